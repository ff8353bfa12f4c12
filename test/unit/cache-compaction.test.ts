// Cache upkeep (cacheCompaction.ts): live entries survive a compaction byte for byte and dead ones go; the newest
// entry of a key is the one kept; recent packs, other trees' recent live sets and a held lock are respected; other
// engine versions' live sets keep nothing; a compacted cache still answers a whole warm index.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createEngine, indexTree } from '../../server/src/engine';
import { SummaryCache, contentHash, optionsHash, packsDir } from '../../server/src/engine/cache';
import { liveSetName, maintainCache } from '../../server/src/engine/cacheCompaction';
import { SUMMARY_VERSION } from '../../server/src/engine/summary';

const fixtures = path.resolve(__dirname, '../../../test/fixtures');
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

function tmp(prefix: string): string { return fs.mkdtempSync(path.join(os.tmpdir(), `gfp-lens-${prefix}-`)); }
const h = (n: number): string => n.toString(16).padStart(40, '0');

/** One writer's pack holding these (hash, body) entries, in a cache of `version`. */
function pack(dir: string, entries: Array<[string, string]>, version = SUMMARY_VERSION): void {
  const cache = new SummaryCache(dir, {}, version);
  for (const [hash, body] of entries) {
    const header = { magic: 'gfp-lens-summary', v: version, opts: optionsHash({}), hash };
    cache.putRaw(hash, zlib.gzipSync(JSON.stringify(header) + '\n' + body));
  }
  cache.close();
}

/** Sets the modification time of every pack, index and live set in the folder to `ms` ago. */
function age(dir: string, ms: number, only?: (name: string) => boolean): void {
  const t = new Date(Date.now() - ms);
  for (const n of fs.readdirSync(packsDir(dir))) if (!only || only(n)) fs.utimesSync(path.join(packsDir(dir), n), t, t);
}

const packNames = (dir: string): string[] => fs.readdirSync(packsDir(dir)).filter((n) => n.endsWith('.pack')).sort();
const body = (dir: string, hash: string, version = SUMMARY_VERSION): string | undefined => new SummaryCache(dir, {}, version).getJson(hash);

test('compaction keeps the live entries (the newest of each key) byte for byte, drops the dead, deletes the old packs', async () => {
  const dir = tmp('compact');
  try {
    pack(dir, [1, 2, 3, 4, 5, 6].map((i) => [h(i), `body ${i} `.repeat(50)]));
    pack(dir, [[h(7), 'body 7'], [h(8), 'body 8'], [h(1), 'body 1, rebuilt']]);
    age(dir, 8 * DAY);
    const before = packNames(dir);
    assert.equal(before.length, 2);
    const r = await maintainCache(dir, {}, ['/tree/a'], [h(1), h(2), h(7)], { minDeadBytes: 0 });
    assert.equal(r.compacted, true, r.note);
    assert.equal(r.packsBefore, 2);
    assert.ok(r.bytesAfter < r.bytesBefore, `${r.bytesAfter} < ${r.bytesBefore}`);
    const after = packNames(dir);
    assert.equal(after.length, 1);
    assert.ok(!before.includes(after[0]), 'a new pack replaced the old ones');
    assert.equal(body(dir, h(1)), 'body 1, rebuilt');
    assert.equal(body(dir, h(2)), 'body 2 '.repeat(50));
    assert.equal(body(dir, h(7)), 'body 7');
    for (const dead of [3, 4, 5, 6, 8]) assert.equal(body(dir, h(dead)), undefined, `entry ${dead} was dead`);
    assert.ok(fs.existsSync(path.join(packsDir(dir), liveSetName(['/tree/a']))), 'the live set is recorded');
    assert.ok(!fs.existsSync(path.join(packsDir(dir), 'compact.lock')), 'the lock is released');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('recent packs are left alone, and too little dead data starts nothing', async () => {
  const dir = tmp('compact-recent');
  try {
    pack(dir, [[h(1), 'one'], [h(2), 'two'], [h(3), 'three']]);
    age(dir, 8 * DAY);
    pack(dir, [[h(4), 'four, being written by another run']]);
    const idle = await maintainCache(dir, {}, ['/t'], [h(1)]); // default threshold: 64 MiB of dead data
    assert.equal(idle.compacted, false);
    assert.match(idle.note ?? '', /nothing to do/);
    assert.equal(packNames(dir).length, 2);
    const r = await maintainCache(dir, {}, ['/t'], [h(1)], { minDeadBytes: 0 });
    assert.equal(r.compacted, true, r.note);
    assert.equal(body(dir, h(1)), 'one');
    assert.equal(body(dir, h(2)), undefined);
    assert.equal(body(dir, h(4)), 'four, being written by another run', 'a recent pack is not touched, live or not');
    assert.equal(packNames(dir).length, 2);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test("trees sharing a folder keep each other's entries until their live set is 30 days old", async () => {
  const dir = tmp('compact-trees');
  try {
    pack(dir, [[h(1), 'a1'], [h(2), 'b2'], [h(3), 'dead3'], [h(4), 'dead4']]);
    age(dir, 8 * DAY);
    await maintainCache(dir, {}, ['/tree/b'], [h(2)], { minDeadBytes: 1 << 30 }); // records B's set only
    const r = await maintainCache(dir, {}, ['/tree/a'], [h(1)], { minDeadBytes: 0 });
    assert.equal(r.compacted, true, r.note);
    assert.equal(body(dir, h(1)), 'a1');
    assert.equal(body(dir, h(2)), 'b2', "tree B's entry is kept");
    assert.equal(body(dir, h(3)), undefined);
    // B not indexed for 31 days: its set expires and its entries go with the next compaction
    const bSet = liveSetName(['/tree/b']);
    age(dir, 31 * DAY, (n) => n === bSet);
    const later = await maintainCache(dir, {}, ['/tree/a'], [h(1)], { minDeadBytes: 0, now: Date.now() + 8 * DAY });
    assert.equal(later.compacted, true, later.note);
    assert.equal(body(dir, h(1)), 'a1');
    assert.equal(body(dir, h(2)), undefined);
    assert.ok(!fs.existsSync(path.join(packsDir(dir), bSet)), 'the expired live set is deleted');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test("another engine version's live set keeps none of its entries", async () => {
  const dir = tmp('compact-version');
  try {
    const old = SUMMARY_VERSION - 1;
    pack(dir, [[h(1), 'old engine 1'], [h(2), 'old engine 2']], old);
    await maintainCache(dir, {}, ['/other-tree'], [h(1), h(2)], { minDeadBytes: 1 << 30 }, old); // an old engine's run on another tree
    pack(dir, [[h(1), 'new engine 1']]);
    age(dir, 8 * DAY);
    const r = await maintainCache(dir, {}, ['/tree'], [h(1)], { minDeadBytes: 0 });
    assert.equal(r.compacted, true, r.note);
    assert.equal(body(dir, h(1)), 'new engine 1');
    assert.equal(body(dir, h(1), old), undefined, 'the old version entry went although the old set named it');
    assert.equal(body(dir, h(2), old), undefined);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a held lock stops a second compaction; a lock over an hour old is stale', async () => {
  const dir = tmp('compact-lock');
  try {
    pack(dir, [[h(1), 'one'], [h(2), 'two']]);
    age(dir, 8 * DAY);
    const lock = path.join(packsDir(dir), 'compact.lock');
    fs.writeFileSync(lock, '');
    const held = await maintainCache(dir, {}, ['/t'], [h(1)], { minDeadBytes: 0 });
    assert.equal(held.compacted, false);
    assert.match(held.note ?? '', /another process/);
    assert.equal(body(dir, h(2)), 'two');
    const t = new Date(Date.now() - 2 * HOUR);
    fs.utimesSync(lock, t, t);
    const r = await maintainCache(dir, {}, ['/t'], [h(1)], { minDeadBytes: 0 });
    assert.equal(r.compacted, true, r.note);
    assert.equal(body(dir, h(2)), undefined);
    assert.ok(!fs.existsSync(lock));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('after edits and a compaction, a warm index still reads every file from the cache', async () => {
  const dir = tmp('compact-index');
  const tree = tmp('compact-tree');
  try {
    fs.cpSync(fixtures, tree, { recursive: true });
    const index = async () => {
      const engine = await createEngine({});
      const r = await indexTree(engine, [tree], { exclude: [], cacheDir: dir, inThread: true });
      const s = Object.fromEntries(engine.files().map((f) => [f, engine.summaryOf(f)]));
      engine.dispose();
      return { r, s };
    };
    const first = await index();
    const n = first.r.files;
    assert.equal(first.r.hashes?.size, new Set(Object.keys(first.s).map((f) => contentHash(fs.readFileSync(f)))).size, 'one hash per distinct content');
    // edit every .c file: their old entries are dead after the next index
    const cfiles = Object.keys(first.s).filter((f) => f.endsWith('.c'));
    for (const f of cfiles) fs.appendFileSync(f, '\nstatic int gfp_lens_compaction_test_edit;\n');
    const second = await index();
    assert.equal(second.r.stats?.summarized, new Set(cfiles.map((f) => contentHash(fs.readFileSync(f)))).size, 'each new content summarized once');
    age(dir, 8 * DAY);
    const r = await maintainCache(dir, {}, [tree], second.r.hashes!, { minDeadBytes: 0 });
    assert.equal(r.compacted, true, r.note);
    assert.equal(packNames(dir).length, 1);
    const third = await index();
    assert.equal(third.r.stats?.fromCache, n);
    assert.equal(third.r.stats?.summarized, 0);
    assert.deepEqual(third.s, second.s);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(tree, { recursive: true, force: true }); }
});
