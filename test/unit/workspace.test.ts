// Workspace indexing: excludes, symlink loops, broken links, directories named like sources, files that
// vanish or cannot be read, progress, cancellation, and a worker crash that must not lose the run.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEngine, indexTree, listSourceFiles, listSourceFilesAsync, DEFAULT_EXCLUDES } from '../../server/src/engine';

const SRC = 'static int f(void) { void *p = kmalloc(8, GFP_KERNEL); return p != 0; }\n';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-ws-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return root;
}

const rels = (root: string, files: string[]) => files.map((f) => path.relative(root, f)).sort();

test('default and custom excludes (names and workspace-relative paths)', () => {
  const root = tree({
    'a.c': SRC, 'tools/t.c': SRC, 'Documentation/d.c': SRC, 'scripts/s.c': SRC, '.git/g.c': SRC, 'node_modules/n.c': SRC,
    'drivers/x/y.c': SRC, 'drivers/x/z.h': SRC, 'drivers/keep/k.c': SRC, 'sub/tools/deep.c': SRC, 'readme.txt': 'x',
  });
  try {
    assert.deepEqual(rels(root, listSourceFiles([root]).files), ['a.c', 'drivers/keep/k.c', 'drivers/x/y.c', 'drivers/x/z.h']);
    assert.deepEqual(rels(root, listSourceFiles([root], [...DEFAULT_EXCLUDES, 'drivers/x']).files), ['a.c', 'drivers/keep/k.c']);
    assert.deepEqual(rels(root, listSourceFiles([root], ['drivers/x/']).files).filter((f) => f.startsWith('drivers')), ['drivers/keep/k.c']);
    assert.ok(rels(root, listSourceFiles([root], []).files).includes('tools/t.c'));
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});

test('symlink loops, duplicate links, broken links and a directory named x.c', async () => {
  const root = tree({ 'a.c': SRC, 'sub/b.c': SRC, 'x.c/inner.c': SRC });
  try {
    fs.symlinkSync('..', path.join(root, 'sub', 'loop'));
    fs.symlinkSync(path.join(root, 'sub'), path.join(root, 'again'));
    fs.symlinkSync(path.join(root, 'nowhere.c'), path.join(root, 'broken.c'));
    fs.symlinkSync('self.c', path.join(root, 'self.c'));
    const { files, problems } = listSourceFiles([root]);
    const got = rels(root, files);
    assert.ok(got.includes('a.c') && got.includes('x.c/inner.c'));
    assert.ok(!got.includes('x.c'), 'a directory named x.c is not a source file');
    assert.equal(got.filter((f) => f.endsWith('b.c')).length, 1, `one copy of sub/b.c: ${got.join(', ')}`);
    assert.ok(problems.some((p) => /symlink loop|already visited/.test(p.message)), JSON.stringify(problems));
    assert.ok(problems.some((p) => p.file.endsWith('broken.c') && /broken symlink/.test(p.message)));
    assert.ok(problems.some((p) => p.file.endsWith('self.c')));
    // the language server's listing turns the event loop between directories (a slice of 0 ms: after every one)
    let turns = 0; let listing = true;
    const tick = () => { if (listing) { turns++; setImmediate(tick); } };
    setImmediate(tick);
    const async = await listSourceFilesAsync([root], DEFAULT_EXCLUDES, 0);
    listing = false;
    assert.deepEqual(async, { files, problems }, 'same files and notes, in the same order');
    assert.ok(turns > 0, 'the event loop ran during the listing');
    const engine = await createEngine();
    const r = await indexTree(engine, [root], { inThread: true });
    assert.equal(r.cancelled, false);
    assert.ok(engine.hasFile(path.join(root, 'x.c', 'inner.c')));
    assert.ok(!engine.hasFile(path.join(root, 'x.c')));
    engine.findings();
    engine.dispose();
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});

for (const mode of ['in-thread', 'workers'] as const) {
  test(`a file deleted or replaced by a directory during indexing is skipped with a note (${mode})`, async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++) files[`d/f${String(i).padStart(2, '0')}.c`] = SRC.replace('f(', `f${i}(`);
    const root = tree(files);
    try {
      const gone = path.join(root, 'd/f10.c');
      const dir = path.join(root, 'd/f20.c');
      let first = true;
      const engine = await createEngine();
      const r = await indexTree(engine, [root], {
        inThread: mode === 'in-thread', workers: mode === 'workers' ? 2 : undefined,
        // skip() runs after listing and before reading: the right moment to pull files away.
        skip: () => {
          if (first) { first = false; fs.unlinkSync(gone); fs.unlinkSync(dir); fs.mkdirSync(dir); }
          return false;
        },
      });
      assert.equal(r.files, 60);
      assert.ok(r.skipped.some((p) => p.file === gone && /disappeared|no such file/.test(p.message)), JSON.stringify(r.skipped));
      assert.ok(r.skipped.some((p) => p.file === dir && /not a regular file/.test(p.message)), JSON.stringify(r.skipped));
      assert.ok(!engine.hasFile(gone));
      assert.equal(engine.files().length, 58);
      engine.dispose();
    } finally { fs.rmSync(root, { recursive: true, force: true }); }
  });
}

test('an unreadable file is skipped with a note (as root it is readable: then it is indexed)', async () => {
  const root = tree({ 'a.c': SRC, 'secret.c': SRC });
  try {
    const secret = path.join(root, 'secret.c');
    fs.chmodSync(secret, 0o000);
    let readable = true;
    try { fs.readFileSync(secret); } catch { readable = false; }
    const engine = await createEngine();
    const r = await indexTree(engine, [root], { inThread: true });
    if (readable) {
      // Running as root (CAP_DAC_OVERRIDE): permissions do not stop reads, so the file is simply indexed.
      assert.ok(engine.hasFile(secret));
    } else {
      assert.ok(!engine.hasFile(secret));
      assert.ok(r.skipped.some((p) => p.file === secret && /cannot read/.test(p.message)));
    }
    assert.ok(engine.hasFile(path.join(root, 'a.c')));
    engine.dispose();
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});

test('progress reaches the total; cancellation stops early', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 120; i++) files[`f${i}.c`] = SRC.replace('f(', `f${i}(`);
  const root = tree(files);
  try {
    for (const opts of [{ inThread: true }, { workers: 2 }]) {
      const seen: number[] = [];
      const engine = await createEngine();
      const r = await indexTree(engine, [root], { ...opts, onProgress: (p) => { assert.equal(p.total, 120); seen.push(p.done); } });
      assert.equal(seen[seen.length - 1], 120);
      assert.ok(seen.every((d, i) => i === 0 || d >= seen[i - 1]), 'monotonic');
      assert.equal(r.cancelled, false);
      const token = { cancelled: false };
      const engine2 = await createEngine();
      const r2 = await indexTree(engine2, [root], { ...opts, token, onProgress: (p) => { if (p.done >= 10) token.cancelled = true; } });
      assert.equal(r2.cancelled, true);
      assert.ok(r2.files < 120, `stopped at ${r2.files}`);
      engine.dispose(); engine2.dispose();
    }
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});

test('a worker crash is recorded as a problem for that file, the worker is restarted and the run completes', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 80; i++) files[`f${String(i).padStart(2, '0')}.c`] = SRC.replace('f(', `f${i}(`);
  const root = tree(files);
  try {
    const engine = await createEngine();
    const r = await indexTree(engine, [root], { workers: 2, crashOn: '/f33.c' });
    assert.equal(r.files, 80);
    assert.ok((r.stats?.restarts ?? 0) >= 1);
    const crash = r.skipped.filter((p) => p.file.endsWith('/f33.c'));
    assert.equal(crash.length, 1);
    assert.match(crash[0].message, /^internal error: worker exited/);
    assert.equal(engine.files().length, 79);
    engine.findings();
    engine.dispose();
  } finally { fs.rmSync(root, { recursive: true, force: true }); }
});
