// Background mode (what the language server uses on large trees): the whole-tree analysis and the refresh after
// edits run in slices between requests. These tests check that the results are exactly those of the synchronous
// engine, also when edits arrive between slices, and that until the analysis is done only the open files are used.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../server/src/engine';

const FILES = 40;
const FUNCTIONS = 40;

/**
 * A generated kernel-style tree: file k has a spinlock-holding entry that calls into file k+1, and chains of helpers
 * that call the same helper of the next file, some of which allocate with GFP_KERNEL (reached under the lock of an
 * earlier file: interprocedural warnings up to the propagation depth). File 0 also has a local bug.
 */
function tree(files = FILES): Map<string, string> {
  const out = new Map<string, string>();
  for (let k = 0; k < files; k++) {
    const lines = ['#include <linux/spinlock.h>', '#include <linux/slab.h>', '', `static DEFINE_SPINLOCK(lock${k});`, ''];
    for (let j = 0; j < FUNCTIONS; j++) {
      if (k + 1 < files) lines.push(`void step${k + 1}_${j}(int n);`);
    }
    lines.push('');
    for (let j = 0; j < FUNCTIONS; j++) {
      lines.push(`void step${k}_${j}(int n)`, '{', '\tvoid *p = NULL;', '');
      if (k + 1 < files) lines.push('\tif (n > 0)', `\t\tstep${k + 1}_${j}(n - 1);`);
      if ((j + k) % 7 === 0) lines.push('\tp = kmalloc(64, GFP_KERNEL);');
      lines.push('\tkfree(p);', '}', '');
    }
    lines.push(`void entry${k}(void)`, '{', `\tspin_lock(&lock${k});`);
    if (k + 1 < files) for (let j = 0; j < 4; j++) lines.push(`\tstep${k + 1}_${j}(8);`);
    if (k === 0) lines.push('\tkfree(kmalloc(16, GFP_KERNEL));');
    lines.push(`\tspin_unlock(&lock${k});`, '}', '');
    out.set(`/gen/f${k}.c`, lines.join('\n'));
  }
  return out;
}

/** Every finding with its severity, message and witness path. */
function everything(e: Engine): string[] {
  return e.findings().map((f) => `${f.id} ${f.severity} ${f.path.map((p) => `${p.file}:${p.line}:${p.text}`).join('>')} ${f.message}`);
}

/** An engine over `texts` with `open` files kept as editor documents. */
async function engineOver(texts: Map<string, string>, open: string[]): Promise<Engine> {
  const e = await createEngine();
  for (const [file, text] of texts) if (!open.includes(file)) e.indexText(file, text);
  for (const file of open) e.updateFile(file, texts.get(file)!);
  return e;
}

/** Background mode on `e`; resolves each time a background analysis or refresh is done. */
function background(e: Engine): { done: () => Promise<void> } {
  let waiting: Array<() => void> = [];
  e.background = { minFunctions: 0, sliceMs: 0, onDone: () => { const w = waiting; waiting = []; for (const r of w) r(); } };
  return { done: () => new Promise<void>((r) => waiting.push(r)) };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Settles in the background until nothing is left to refresh. */
async function settleAll(e: Engine): Promise<void> {
  for (let i = 0; i < 20 && (e.needsSettle || e.busy); i++) {
    await e.settleInBackground();
    while (e.busy) await tick();
  }
  assert.equal(e.needsSettle, false, 'the refreshes came to an end');
}

test('a background analysis answers from the open files until it is done, then equals the synchronous one', async () => {
  const texts = tree();
  const e = await engineOver(texts, ['/gen/f0.c']);
  const bg = background(e);
  const done = bg.done();
  const early = e.findings();
  assert.equal(e.partial, true, 'a whole-tree analysis is under way');
  assert.ok(early.length > 0 && early.every((f) => f.span.file === '/gen/f0.c'), 'meanwhile: findings of the open file only');
  assert.ok(early.some((f) => f.rule === 'atomic-alloc' && f.severity === 'error'), 'the local bug of the open file is reported at once');
  await done;
  assert.equal(e.partial, false);
  assert.ok(e.lastBackground && e.lastBackground.kind === 'full' && e.lastBackground.slices > 10, `ran in slices: ${JSON.stringify(e.lastBackground)}`);
  const all = everything(e);
  assert.ok(all.some((f) => f.includes('/gen/f3.c') && f.includes('warning')), 'cross-file warnings are there once it is done');
  const sync = await engineOver(texts, ['/gen/f0.c']);
  assert.deepEqual(all, everything(sync));
});

test('edits made while the background analysis runs are applied when it ends', async () => {
  const texts = tree();
  const e = await engineOver(texts, ['/gen/f0.c', '/gen/f2.c']);
  const bg = background(e);
  const done = bg.done();
  e.findings();
  await tick();
  assert.equal(e.partial, true);
  // a body edit of an open file (flag change) and a disk file that changed (a line added)
  texts.set('/gen/f2.c', texts.get('/gen/f2.c')!.replace(/(step2_5\(int n\)[^}]*)kmalloc\(64, GFP_KERNEL\)/, '$1kmalloc(64, GFP_ATOMIC)'));
  assert.notEqual(texts.get('/gen/f2.c'), tree().get('/gen/f2.c'), 'the edit applies');
  e.updateFile('/gen/f2.c', texts.get('/gen/f2.c')!);
  texts.set('/gen/f5.c', texts.get('/gen/f5.c')!.replace('void entry5(void)\n{', 'void entry5(void)\n{\n'));
  e.indexText('/gen/f5.c', texts.get('/gen/f5.c')!);
  await done;
  assert.equal(e.partial, false);
  await settleAll(e);
  const sync = await engineOver(texts, ['/gen/f0.c', '/gen/f2.c']);
  assert.deepEqual(everything(e), everything(sync));
});

test('a background refresh stays exact when edits come in between its slices', async () => {
  const texts = tree();
  const e = await engineOver(texts, ['/gen/f0.c', '/gen/f1.c']);
  const bg = background(e);
  const done = bg.done();
  e.findings();
  await done;
  // a line added near the top of f0 shifts every line of it: descriptions and paths downstream change
  texts.set('/gen/f0.c', texts.get('/gen/f0.c')!.replace('static DEFINE_SPINLOCK(lock0);', 'static DEFINE_SPINLOCK(lock0);\n'));
  e.updateFile('/gen/f0.c', texts.get('/gen/f0.c')!);
  assert.equal(e.needsSettle, true);
  const refresh = e.settleInBackground();
  await tick();
  assert.equal(e.busy, true, 'the refresh is still running after one slice');
  // meanwhile: an edit in f1 that moves lines and removes an allocation reached from f0's lock
  texts.set('/gen/f1.c', texts.get('/gen/f1.c')!.replace('void step1_6(int n)\n{', 'void step1_6(int n)\n{\n\n').replace(/(step1_6\(int n\)[^}]*)kmalloc\(64, GFP_KERNEL\)/, '$1kmalloc(64, GFP_NOWAIT)'));
  e.updateFile('/gen/f1.c', texts.get('/gen/f1.c')!);
  await refresh;
  assert.equal(e.lastSettle, 'refresh', 'no full analysis was needed');
  assert.ok(e.lastBackground && e.lastBackground.kind === 'refresh' && e.lastBackground.slices > 1, `ran in slices: ${JSON.stringify(e.lastBackground)}`);
  await settleAll(e);
  const sync = await engineOver(texts, ['/gen/f0.c', '/gen/f1.c']);
  assert.deepEqual(everything(e), everything(sync));
});

test('a background analysis that sees many files change meanwhile (a checkout) runs again instead of replaying each', async () => {
  const texts = tree(80);
  const e = await engineOver(texts, ['/gen/f0.c']);
  const bg = background(e);
  const done = bg.done();
  e.findings();
  await tick();
  assert.equal(e.partial, true);
  // every disk file gets a line more at its top (new summaries for 79 files)
  for (const [file, text] of texts) {
    if (file === '/gen/f0.c') continue;
    texts.set(file, `/* checked out */\n${text}`);
    e.indexText(file, texts.get(file)!);
  }
  await done;
  assert.equal(e.lastBackground?.runs, 2, JSON.stringify(e.lastBackground));
  assert.equal(e.needsSettle, false, 'nothing was replayed');
  const sync = await engineOver(texts, ['/gen/f0.c']);
  assert.deepEqual(everything(e), everything(sync));
});

test('while the workspace is indexed no whole-tree analysis starts; one under way is dropped', async () => {
  const texts = tree();
  const e = await engineOver(texts, ['/gen/f0.c']);
  const bg = background(e);
  e.findings();
  assert.equal(e.busy, true, 'a build started');
  e.holdBackground(true);
  assert.equal(e.busy, false, 'indexing drops it');
  const local = e.findings();
  assert.equal(e.busy, false, 'and starts none while held');
  assert.equal(e.partial, true, 'the results are partial meanwhile');
  assert.ok(local.every((f) => f.span.file === '/gen/f0.c'), 'the open file alone answers');
  const done = bg.done();
  e.holdBackground(false);
  e.findings();
  assert.equal(e.partial, true);
  await done;
  const sync = await engineOver(texts, ['/gen/f0.c']);
  assert.deepEqual(everything(e), everything(sync));
});
