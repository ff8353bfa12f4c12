// Results snapshots (snapshot.ts): a snapshot written after a whole-tree analysis is used again only for exactly
// the same tree, options and engine code; a touched but unchanged file still matches (and gets its new stat);
// changed, new, deleted or resized files, other keys, other engine code and damaged files are misses.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEngine, indexTree } from '../../server/src/engine';
import {
  buildSnapshot, engineFingerprint, readSnapshot, snapshotJsonPieces, snapshotKey, snapshotPath, verifySnapshot, writeSnapshot, type Snapshot,
} from '../../server/src/engine/snapshot';

const LOCKED = `#include <linux/spinlock.h>
#include <linux/slab.h>
static DEFINE_SPINLOCK(demo_lock);
static void *demo_get(void)
{
\tvoid *p;
\tspin_lock(&demo_lock);
\tp = kmalloc(64, GFP_KERNEL);
\tspin_unlock(&demo_lock);
\treturn p;
}
`;

function tree(): { dir: string; cache: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-snap-'));
  fs.writeFileSync(path.join(dir, 'a.c'), LOCKED);
  fs.writeFileSync(path.join(dir, 'b.c'), 'static int ok(void)\n{\n\treturn 0;\n}\n');
  fs.writeFileSync(path.join(dir, 'big.c'), `/* ${'x'.repeat(5000)} */\n`);
  return { dir, cache: fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-snapcache-')) };
}

/** Indexes `dir` like the CLI does and returns the snapshot it would store (big.c is over the 4 KiB limit used here). */
async function snapshotOf(dir: string, cache: string): Promise<{ snap: Snapshot; key: string; files: string[] }> {
  const engine = await createEngine({ maxFileBytes: 4096 });
  try {
    const r = await indexTree(engine, [dir], { exclude: [], inThread: true, cacheDir: cache });
    const key = snapshotKey([dir], [], engine.options);
    const snap = buildSnapshot(key, r.listed, engine, r.skippedStamps, engine.findings(), r.skipped, r.files);
    assert.ok(snap, 'every listed file has a stamp');
    return { snap, key, files: r.listed };
  } finally { engine.dispose(); }
}

test('a snapshot round-trips and matches the unchanged tree, including the file skipped for its size', async () => {
  const { dir, cache } = tree();
  try {
    const { snap, key, files } = await snapshotOf(dir, cache);
    assert.deepEqual(Object.keys(snap.files).sort(), files.slice().sort());
    assert.equal(snap.files[path.join(dir, 'big.c')].hash, '', 'skipped for size: not read, not hashed');
    assert.ok(snap.findings.some((f) => f.rule === 'atomic-alloc' && f.function === 'demo_get'), JSON.stringify(snap.findings));
    assert.ok(snap.problems.some((p) => p.file.endsWith('big.c')));
    const file = snapshotPath(cache, key);
    assert.ok(writeSnapshot(file, snap));
    const back = readSnapshot(file, key);
    assert.ok(back);
    assert.deepEqual(back.findings, snap.findings);
    assert.deepEqual(verifySnapshot(back, files), { ok: true, hashed: 0 });
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(cache, { recursive: true, force: true }); }
});

test('a large snapshot is written in pieces that read back as the same object (thousands of files, hundreds of findings)', async () => {
  const { dir, cache } = tree();
  try {
    const { snap, key } = await snapshotOf(dir, cache);
    const big: Snapshot = { ...snap, files: {}, findings: [] };
    for (let i = 0; i < 5000; i++) big.files[path.join(dir, `d${i % 7}`, `f"${i}\\.c`)] = { size: i, mtimeMs: i * 1.5, hash: i.toString(16).padStart(40, '0') };
    for (let i = 0; i < 600; i++) big.findings.push({ ...snap.findings[0], id: `x:${i}`, message: `message ${i} with "quotes" and \u00e9` });
    const pieces = [...snapshotJsonPieces(big)];
    assert.ok(pieces.length > 5, `${pieces.length} pieces`);
    assert.ok(Math.max(...pieces.map((p) => p.length)) < JSON.stringify(big).length / 3, 'no piece is most of the JSON');
    assert.deepEqual(JSON.parse(pieces.join('')), big);
    const file = snapshotPath(cache, key);
    assert.ok(writeSnapshot(file, big));
    assert.deepEqual(readSnapshot(file, key), big);
    assert.deepEqual(JSON.parse([...snapshotJsonPieces({ ...big, files: {}, findings: [] })].join('')), { ...big, files: {}, findings: [] });
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(cache, { recursive: true, force: true }); }
});

test('touched but unchanged files match after hashing and get their new stat; an edit of the same size does not match', async () => {
  const { dir, cache } = tree();
  try {
    const { snap, files } = await snapshotOf(dir, cache);
    const a = path.join(dir, 'a.c');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(a, later, later);
    const v = verifySnapshot(snap, files);
    assert.deepEqual(v, { ok: true, hashed: 1 });
    assert.equal(snap.files[a].mtimeMs, fs.statSync(a).mtimeMs, 'new stat recorded');
    assert.deepEqual(verifySnapshot(snap, files), { ok: true, hashed: 0 });
    // same size, other content
    fs.writeFileSync(a, LOCKED.replace('GFP_KERNEL', 'GFP_ATOMIC'.slice(0, 10)));
    assert.equal(fs.statSync(a).size, LOCKED.length);
    const w = verifySnapshot(snap, files);
    assert.equal(w.ok, false);
    assert.match(w.reason!, /a\.c changed/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(cache, { recursive: true, force: true }); }
});

test('a new, deleted or resized (skipped) file, a limit on hashing, or different editor text is a miss', async () => {
  const { dir, cache } = tree();
  try {
    const { snap, files } = await snapshotOf(dir, cache);
    assert.equal(verifySnapshot(snap, [...files, path.join(dir, 'c.c')]).ok, false, 'new file');
    assert.equal(verifySnapshot(snap, files.filter((f) => !f.endsWith('b.c'))).ok, false, 'deleted file');
    const big = path.join(dir, 'big.c');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(big, later, later);
    assert.equal(verifySnapshot(snap, files).ok, true, 'a skipped file only has to keep its size');
    fs.appendFileSync(big, 'int x;\n');
    assert.equal(verifySnapshot(snap, files).ok, false, 'resized skipped file');
    fs.writeFileSync(big, `/* ${'x'.repeat(5000)} */\n`);
    fs.utimesSync(path.join(dir, 'a.c'), later, later);
    fs.utimesSync(path.join(dir, 'b.c'), later, later);
    assert.equal(verifySnapshot(snap, files, { maxHashed: 1 }).reason, 'too many files changed on disk');
    const a = path.join(dir, 'a.c');
    assert.equal(verifySnapshot(snap, files, { openText: (f) => (f === a ? LOCKED + '\n' : undefined) }).ok, false, 'editor text differs');
    assert.equal(verifySnapshot(snap, files, { openText: (f) => (f === a ? LOCKED : undefined) }).ok, true, 'editor text equal');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(cache, { recursive: true, force: true }); }
});

test('other options, other engine code and damaged files are misses; no snapshot without a stamp for every file', async () => {
  const { dir, cache } = tree();
  try {
    const { snap, key } = await snapshotOf(dir, cache);
    const file = snapshotPath(cache, key);
    writeSnapshot(file, snap);
    assert.notEqual(snapshotKey([dir], [], { maxFileBytes: 8192 }), key, 'options are part of the key');
    assert.notEqual(snapshotKey([dir], ['sub'], { maxFileBytes: 4096 }), key, 'excludes are part of the key');
    assert.equal(snapshotKey([dir], [], { maxFileBytes: 4096 }), key);
    assert.equal(readSnapshot(file, snapshotKey([dir], [], { maxFileBytes: 8192 })), undefined);
    assert.equal(readSnapshot(file, key, 'another-engine'), undefined);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-fp-'));
    fs.writeFileSync(path.join(other, 'x.js'), 'one');
    const fp1 = engineFingerprint(other);
    fs.writeFileSync(path.join(other, 'x.js'), 'two');
    assert.notEqual(engineFingerprint(other), fp1, 'the fingerprint follows the code');
    fs.rmSync(other, { recursive: true, force: true });
    const raw = fs.readFileSync(file);
    fs.writeFileSync(file, raw.subarray(0, raw.length - 9));
    assert.equal(readSnapshot(file, key), undefined, 'truncated');
    fs.writeFileSync(file, 'not gzip');
    assert.equal(readSnapshot(file, key), undefined, 'garbage');
    assert.equal(buildSnapshot(key, [path.join(dir, 'gone.c')], { stampOf: () => undefined }, new Map(), [], [], 0), undefined);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(cache, { recursive: true, force: true }); }
});
