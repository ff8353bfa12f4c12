// Incremental re-analysis: after a body edit, the findings of the edited file computed incrementally
// (Engine.updateFile's fast path) equal those of a fresh full analysis of the same texts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEngine, indexTree, listSourceFiles, type Engine } from '../../server/src/engine';

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
    const dir = path.join(fixtures, kase);
    const file = path.join(dir, rel);
    const before = fs.readFileSync(file, 'utf8');
    const after = edit(before);
    assert.notEqual(after, before, 'the edit must change the text');
    const inc = await createEngine();
    await indexTree(inc, [dir, include], { exclude: [] });
    inc.updateFile(file, before);
    inc.findings(); // full analysis in place
    inc.updateFile(file, after);
    assert.equal(inc.needsSettle, true, 'a body edit should take the incremental path');
    const full = await fresh(dir, file, after);
    assert.deepEqual(summary(inc, file), summary(full, file));
    inc.settle();
    assert.deepEqual(inc.findings().map((f) => f.id), full.findings().map((f) => f.id));
    inc.dispose(); full.dispose();
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
  assert.ok(e.findings(file).length >= 0);
  e.dispose();
});
