// Incremental re-analysis: after a body edit, the findings of the edited file computed incrementally
// (Engine.updateFile's fast path) equal those of a fresh full analysis of the same texts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEngine, indexTree, listSourceFiles, type Engine } from '../../server/src/engine';
import { mulberry32, sourceFiles } from '../support/files';
import { CallColumns } from '../../server/src/engine/summary';

const fixtures = path.resolve(__dirname, '../../../test/fixtures');
const include = path.join(fixtures, 'include');

function summary(e: Engine, file: string): string[] {
  return e.findings(file).map((f) => `${f.span.start.line}:${f.span.start.character} ${f.rule} ${f.path.map((p) => `${p.line}`).join('>')} ${f.message}`);
}

async function fresh(dir: string, file: string, text: string): Promise<Engine> {
  const e = await createEngine();
  await indexTree(e, [dir, include], { exclude: [], skip: (f) => f === file });
  e.updateFile(file, text);
  return e;
}

/** A fixture file's text before and after `edit` (which must change it). */
function fixtureEdit(kase: string, rel: string, edit: (t: string) => string): { dir: string; file: string; before: string; after: string } {
  const dir = path.join(fixtures, kase);
  const file = path.join(dir, rel);
  const before = fs.readFileSync(file, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, 'the edit must change the text');
  return { dir, file, before, after };
}

/** An engine over the fixture tree, analysed with `before` as the text of `file`, then given `after`. */
async function analysedThenEdited(dir: string, file: string, before: string, after: string): Promise<Engine> {
  const e = await createEngine();
  await indexTree(e, [dir, include], { exclude: [] });
  e.updateFile(file, before);
  e.findings(); // full analysis
  e.updateFile(file, after);
  return e;
}

/** Every finding of every file with its severity, message and witness path. */
function everything(e: Engine): string[] {
  return e.findings().map((f) => `${f.id} ${f.severity} ${f.path.map((p) => `${path.basename(p.file)}:${p.line}`).join('>')} ${f.message}`);
}

const edits: Array<[string, string, (t: string) => string]> = [
  ['seed-noio', 'crypto/xts-demo.c', (t) => t.replace('GFP_KERNEL : GFP_ATOMIC', 'GFP_NOIO : GFP_ATOMIC')],
  ['seed-noio', 'crypto/xts-demo.c', (t) => t.replace('{\n\tstruct xtsdemo_rctx', '{\n\n\n\tstruct xtsdemo_rctx')],
  ['irq-chain', 'drivers/net/demo_ring.c', (t) => t.replace('GFP_KERNEL', 'GFP_ATOMIC')],
  ['irq-chain', 'drivers/net/demo_event.c', (t) => t.replace('dd->ring = demo_ring_grow(dd);', 'dd->ring = NULL;')],
  ['ops-pointer', 'proto.c', (t) => t.replace('spin_lock_bh(&sk->lock);\n\tret', 'ret')],
  ['gfp-flow', 'flow.c', (t) => t.replace('flow_wrap(fd, 64, GFP_KERNEL)', 'flow_wrap(fd, 64, GFP_NOWAIT)')],
];

for (const [kase, rel, edit] of edits) {
  test(`incremental = full after editing ${kase}/${rel}`, async () => {
    const { dir, file, before, after } = fixtureEdit(kase, rel, edit);
    const inc = await analysedThenEdited(dir, file, before, after);
    assert.equal(inc.needsSettle, true, 'a body edit should take the incremental path');
    const full = await fresh(dir, file, after);
    assert.deepEqual(summary(inc, file), summary(full, file));
    inc.settle();
    assert.deepEqual(everything(inc), everything(full), `after settle (${inc.lastSettle})`);
    inc.dispose(); full.dispose();
  });
}

// Static functions of a .c file are not part of its interface: adding, removing or renaming one stays incremental.
const staticEdits: Array<[string, string, string, (t: string) => string]> = [
  ['a new static helper that allocates, called from a function reached from an irq handler', 'irq-chain', 'drivers/net/demo_event.c', (t) => t
    .replace('void demo_handle_event(struct demo_dev *dd)\n{', 'static void demo_event_note(struct demo_dev *dd)\n{\n\tdd->ring = kmalloc(32, GFP_KERNEL);\n}\n\nvoid demo_handle_event(struct demo_dev *dd)\n{\n\tdemo_event_note(dd);')],
  ['a renamed static irq handler (the registration names the new one)', 'irq-chain', 'drivers/net/demo_irq.c', (t) => t.replace(/demo_isr\b/g, 'demo_isr_renamed')],
  ['a removed static helper whose callers remain', 'gfp-flow', 'flow.c', (t) => t.replace(/static void \*flow_wrap\([^)]*\)\n\{[^}]*\}\n/, '')],
  ['a new static function between two others, nothing calls it', 'gfp-flow', 'flow.c', (t) => t.replace('static int flow_note', 'static void flow_spare(struct flow_dev *fd)\n{\n\tspin_lock(&fd->lock);\n\tfd->buf = kzalloc(8, GFP_KERNEL);\n\tspin_unlock(&fd->lock);\n}\n\nstatic int flow_note')],
];

for (const [what, kase, rel, edit] of staticEdits) {
  test(`incremental = full after ${what}`, async () => {
    const { dir, file, before, after } = fixtureEdit(kase, rel, edit);
    const inc = await analysedThenEdited(dir, file, before, after);
    assert.equal(inc.lastUpdate, 'incremental', 'no full analysis for a static function');
    const full = await fresh(dir, file, after);
    assert.deepEqual(summary(inc, file), summary(full, file));
    inc.settle();
    assert.deepEqual(everything(inc), everything(full), `after settle (${inc.lastSettle})`);
    // and back: the edit undone is incremental too
    inc.updateFile(file, before);
    assert.equal(inc.lastUpdate, 'incremental');
    inc.settle();
    const orig = await fresh(dir, file, before);
    assert.deepEqual(everything(inc), everything(orig), 'after undoing the edit');
    inc.dispose(); full.dispose(); orig.dispose();
  });
}

test('an interface change (new function) falls back to a full analysis', async () => {
  const dir = path.join(fixtures, 'negatives');
  const file = listSourceFiles([dir]).files[0];
  const e = await createEngine();
  await indexTree(e, [dir, include], { exclude: [] });
  e.findings();
  e.updateFile(file, fs.readFileSync(file, 'utf8') + '\nint neg_new(void) { return 0; }\n');
  assert.equal(e.needsSettle, false);
  assert.equal(e.lastUpdate, 'full', 'a new non-static function can change how other files resolve their calls');
  assert.ok(e.findings(file).length >= 0);
  e.dispose();
});

test('settle after a body edit re-propagates what the edit reaches and equals a full analysis (seeded random edits)', async () => {
  // Each edit deletes one line that takes/releases a lock, enters/leaves RCU or irq-off, or calls a function, or
  // swaps GFP_KERNEL/GFP_ATOMIC once: edits that change contexts in other files without changing any interface.
  const interesting = /^\s+(spin_|raw_spin_|read_|write_|mutex_|rcu_read_|local_irq_|local_bh_|preempt_|memalloc_)\w*\(.*\);\s*$|^\s+\w+\([^;{}]*\);\s*$/;
  const rnd = mulberry32(20261126);
  const cases = fs.readdirSync(fixtures).filter((d) => d !== 'include' && fs.statSync(path.join(fixtures, d)).isDirectory()).sort();
  let refreshed = 0; let edits = 0;
  for (const kase of cases) {
    const dir = path.join(fixtures, kase);
    const files = sourceFiles(dir, ['.c']);
    for (let k = 0; k < 3; k++) {
      const file = files[Math.floor(rnd() * files.length)];
      const before = fs.readFileSync(file, 'utf8');
      const lines = before.split('\n');
      const candidates = lines.map((l, i) => (interesting.test(l) ? i : -1)).filter((i) => i >= 0);
      let after: string;
      if (candidates.length && rnd() < 0.75) {
        const drop = candidates[Math.floor(rnd() * candidates.length)];
        after = lines.filter((_, i) => i !== drop).join('\n');
      } else if (before.includes('GFP_KERNEL')) after = before.replace('GFP_KERNEL', 'GFP_ATOMIC');
      else if (before.includes('GFP_ATOMIC')) after = before.replace('GFP_ATOMIC', 'GFP_KERNEL');
      else continue;
      const what = `${kase}/${path.relative(dir, file)} edit ${k}`;
      const inc = await analysedThenEdited(dir, file, before, after);
      const incremental = inc.needsSettle;
      inc.settle();
      const full = await fresh(dir, file, after);
      assert.deepEqual(everything(inc), everything(full), `${what} (settle: ${inc.lastSettle})`);
      edits++;
      if (incremental && inc.lastSettle === 'refresh') refreshed++;
      inc.dispose(); full.dispose();
    }
  }
  assert.ok(edits >= 20, `only ${edits} edits were made`);
  assert.ok(refreshed >= edits / 2, `only ${refreshed} of ${edits} edits were settled by refresh()`);
});

test('an edit in a caller changes a callee\'s finding in another file: stale until settle, then refreshed without a full run', async () => {
  const dir = path.join(fixtures, 'irq-chain');
  const file = path.join(dir, 'drivers/net/demo_event.c');
  const before = fs.readFileSync(file, 'utf8');
  const after = before.replace('dd->ring = demo_ring_grow(dd);', 'dd->ring = NULL;');
  const inc = await createEngine();
  await indexTree(inc, [dir, include], { exclude: [] });
  inc.updateFile(file, before);
  const old = everything(inc);
  inc.updateFile(file, after);
  const full = await fresh(dir, file, after);
  assert.notDeepEqual(everything(full), old, 'the edit must change findings');
  assert.notDeepEqual(everything(inc), everything(full), 'before settle, the other file still shows the old finding');
  inc.settle();
  assert.equal(inc.lastSettle, 'refresh');
  assert.deepEqual(everything(inc), everything(full));
  inc.dispose(); full.dispose();
});

test('an edit to a gfp-passing helper updates its callers in other files at settle, without a full run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-flows-'));
  const helper = path.join(dir, 'helper.c');
  const helperText = [
    '#include <linux/slab.h>',
    'void *demo_get_buf(size_t len, gfp_t gfp)',
    '{',
    '\treturn kmalloc(len, gfp);',
    '}',
    'void *demo_get_zeroed(size_t len, gfp_t gfp)',
    '{',
    '\treturn demo_get_buf(len, gfp | __GFP_ZERO);',
    '}',
    '',
  ].join('\n');
  fs.writeFileSync(helper, helperText);
  fs.writeFileSync(path.join(dir, 'user.c'), [
    '#include <linux/spinlock.h>',
    'void *demo_get_zeroed(size_t len, gfp_t gfp);',
    'static DEFINE_SPINLOCK(demo_lock);',
    'void *demo_user(void)',
    '{',
    '\tvoid *p;',
    '\tspin_lock(&demo_lock);',
    '\tp = demo_get_zeroed(32, GFP_KERNEL);',
    '\tspin_unlock(&demo_lock);',
    '\treturn p;',
    '}',
    '',
  ].join('\n'));
  try {
    const variants: Array<[string, string]> = [
      ['lines added above the allocation', helperText.replace('{\n\treturn kmalloc', '{\n\n\n\treturn kmalloc')],
      ['the helper masks out direct reclaim', helperText.replace('kmalloc(len, gfp)', 'kmalloc(len, gfp & ~__GFP_DIRECT_RECLAIM)')],
    ];
    for (const [what, after] of variants) {
      const inc = await createEngine();
      await indexTree(inc, [dir, include], { exclude: [] });
      inc.updateFile(helper, helperText);
      const before = everything(inc);
      assert.ok(before.some((f) => f.includes('atomic-alloc') && f.includes('user.c')), before.join('\n'));
      inc.updateFile(helper, after);
      inc.settle();
      const full = await fresh(dir, helper, after);
      assert.notDeepEqual(everything(full), before, `${what}: the edit must change the caller's finding`);
      assert.equal(inc.lastSettle, 'refresh', what);
      assert.deepEqual(everything(inc), everything(full), what);
      inc.dispose(); full.dispose();
    }
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('an open document keeps its calls in columns, through edits that re-walk one function and shift the rest', async () => {
  const { dir, file, before, after } = fixtureEdit('seed-noio', 'crypto/xts-demo.c', (t) => t.replace('{\n\tstruct xtsdemo_rctx', '{\n\n\n\tstruct xtsdemo_rctx'));
  const e = await analysedThenEdited(dir, file, before, after);
  try {
    const fns = e.summaryOf(file)!.functions.filter((f) => f.calls.length > 0);
    assert.ok(fns.length >= 3, `${fns.length} functions with calls`);
    for (const f of fns) assert.ok(f.calls instanceof CallColumns, `${f.name}: calls in columns`);
    assert.equal(e.lastUpdate, 'incremental');
  } finally { e.dispose(); }
});
