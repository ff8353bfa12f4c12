// The on-disk summary cache: cold and warm runs agree, damaged and other-version entries are ignored and
// rebuilt, the options that change summaries change the key, and workers summarize exactly like the main thread.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createEngine, indexTree, type Engine } from '../../server/src/engine';
import { contentHash, SummaryCache, validateSummary } from '../../server/src/engine/cache';
import { CallColumns, PlainCall, SUMMARY_VERSION, compactSummary, expandSummary, EMPTY_STATE, type CallSite, type FileSummary } from '../../server/src/engine/summary';

const fixtures = path.resolve(__dirname, '../../../test/fixtures');

function tmp(prefix: string): string { return fs.mkdtempSync(path.join(os.tmpdir(), `gfp-lens-${prefix}-`)); }

function summaries(engine: Engine): Record<string, FileSummary> {
  const out: Record<string, FileSummary> = {};
  for (const f of engine.files()) out[f] = engine.summaryOf(f)!;
  return out;
}

async function run(cacheDir: string | undefined, opts: { workers?: number; inThread?: boolean; extraAllocators?: Record<string, number> } = {}) {
  const engine = await createEngine({ extraAllocators: opts.extraAllocators });
  const r = await indexTree(engine, [fixtures], { exclude: [], cacheDir, workers: opts.workers, inThread: opts.inThread ?? !opts.workers });
  const s = summaries(engine);
  const findings = engine.findings().map((f) => f.id);
  engine.dispose();
  return { r, s, findings };
}

/** Appends a cache entry by hand (header + body), for planting bad entries; it is newer than what it replaces. */
function plant(cache: SummaryCache, hash: string, header: object, body: string): void {
  cache.putRaw(hash, zlib.gzipSync(JSON.stringify(header) + '\n' + body));
}

/** Overwrites bytes of a pack file in place (disk damage). */
function damage(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try { fs.writeSync(fd, bytes, 0, bytes.length, offset); } finally { fs.closeSync(fd); }
}

test('cold and warm runs produce identical summaries and findings; warm reads everything from the cache', async () => {
  const dir = tmp('cache');
  try {
    const cold = await run(dir);
    const n = Object.keys(cold.s).length;
    assert.ok(n >= 20, `only ${n} fixture files`);
    // Files with identical content (shared headers) already hit the cache within the cold run.
    assert.equal((cold.r.stats?.summarized ?? 0) + (cold.r.stats?.fromCache ?? 0), n);
    assert.ok((cold.r.stats?.summarized ?? 0) > n / 2);
    const warm = await run(dir);
    assert.equal(warm.r.stats?.fromCache, n);
    assert.equal(warm.r.stats?.summarized, 0);
    assert.deepEqual(warm.s, cold.s);
    assert.deepEqual(warm.findings, cold.findings);
    // With workers, from the same cache.
    const warmW = await run(dir, { workers: 2 });
    assert.equal(warmW.r.stats?.fromCache, n);
    assert.deepEqual(warmW.s, cold.s);
    // Workers writing with a cold cache: several packs, read back by a new run; no file of the cache stays open.
    fs.rmSync(dir, { recursive: true, force: true });
    const coldW = await run(dir, { workers: 2 });
    assert.ok(fs.readdirSync(path.join(dir, 'packs')).filter((f) => f.endsWith('.pack')).length >= 2, 'one pack per worker');
    assert.deepEqual((await run(dir, { workers: 2 })).r.stats?.fromCache, n);
    assert.deepEqual(coldW.s, cold.s);
    const open = fs.readdirSync('/proc/self/fd').map((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } });
    assert.deepEqual(open.filter((f) => f.startsWith(dir)), [], 'cache files left open after indexing');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a cached summary is reused for identical content at another path (file is rewritten)', async () => {
  const dir = tmp('cache');
  const tree = tmp('tree');
  try {
    const first = fs.readdirSync(fixtures, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.c')).sort()[0];
    const src = fs.readFileSync(path.join(fixtures, first));
    fs.writeFileSync(path.join(tree, 'a.c'), src);
    fs.writeFileSync(path.join(tree, 'b.c'), src);
    const engine = await createEngine();
    const r = await indexTree(engine, [tree], { cacheDir: dir, inThread: true });
    assert.equal(r.stats?.summarized, 1);
    assert.equal(r.stats?.fromCache, 1);
    assert.equal(engine.summaryOf(path.join(tree, 'b.c'))!.file, path.join(tree, 'b.c'));
    assert.deepEqual({ ...engine.summaryOf(path.join(tree, 'a.c'))!, file: '' }, { ...engine.summaryOf(path.join(tree, 'b.c'))!, file: '' });
    engine.dispose();
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(tree, { recursive: true, force: true }); }
});

test('damaged, truncated, wrong-version, wrong-shape and foreign entries are ignored and rebuilt', async () => {
  const dir = tmp('cache');
  try {
    const cold = await run(dir);
    const files = Object.keys(cold.s).sort();
    const cache = new SummaryCache(dir, {});
    const hashOf = (f: string) => contentHash(fs.readFileSync(f));
    const good = (f: string) => ({ magic: 'gfp-lens-summary', v: SUMMARY_VERSION, opts: (cache as unknown as { opts: string }).opts, hash: hashOf(f) });
    const bad: string[] = [];
    // 1. other bytes over the start of an entry (no gzip header)
    const e0 = cache.locate(hashOf(files[0]))!;
    damage(e0.pack, e0.offset, Buffer.from('this is not gzip at all'));
    bad.push(files[0]);
    // 2. the second half of an entry zeroed (CRC/length check fails)
    const e1 = cache.locate(hashOf(files[1]))!;
    damage(e1.pack, e1.offset + (e1.length >> 1), Buffer.alloc(e1.length - (e1.length >> 1)));
    bad.push(files[1]);
    // 3. another summary version in the header
    plant(cache, hashOf(files[2]), { ...good(files[2]), v: SUMMARY_VERSION - 1 }, JSON.stringify({ ...cold.s[files[2]], version: SUMMARY_VERSION - 1 }));
    bad.push(files[2]);
    // 4. header claims the current version but the body is another version
    plant(cache, hashOf(files[3]), good(files[3]), JSON.stringify({ ...cold.s[files[3]], version: SUMMARY_VERSION + 1 }));
    bad.push(files[3]);
    // 5. well-formed JSON of the wrong shape
    plant(cache, hashOf(files[4]), good(files[4]), JSON.stringify({ version: SUMMARY_VERSION, functions: [{ name: 1 }] }));
    bad.push(files[4]);
    // 6. an entry recorded for other content (hash mismatch in the header)
    plant(cache, hashOf(files[5]), { ...good(files[5]), hash: '0'.repeat(40) }, JSON.stringify(cold.s[files[5]]));
    bad.push(files[5]);
    // 7. body is not JSON
    plant(cache, hashOf(files[6]), good(files[6]), '{"version": 4, "functions": [');
    bad.push(files[6]);

    // 8. the index points past the end of its pack (a pack cut short)
    const e7 = cache.locate(hashOf(files[7]))!;
    assert.notEqual(e7.pack, cache.locate(hashOf(files[6]))!.pack, 'planted entries are in a pack of their own');
    const idx = e7.pack.replace(/\.pack$/, '.idx');
    const line = fs.readFileSync(idx, 'latin1').split('\n').find((l) => l.startsWith(cache.key(hashOf(files[7]))))!;
    fs.appendFileSync(idx, `${line.slice(0, 41)}${String(fs.statSync(e7.pack).size).padStart(12, '0')} ${line.slice(54)}\n`);
    bad.push(files[7]);
    // 9. a torn index line (a writer killed mid-write) is ignored, and so is whatever it was about to say
    fs.appendFileSync(idx, `${cache.key(hashOf(files[8])).slice(0, 30)}`);
    cache.close();

    const warm = await run(dir, { workers: 2 });
    assert.equal(warm.r.stats?.summarized, bad.length, 'each bad entry is re-summarized');
    assert.equal(warm.r.stats?.fromCache, files.length - bad.length);
    assert.deepEqual(warm.s, cold.s);
    assert.deepEqual(warm.findings, cold.findings);
    // The bad entries were overwritten with good ones.
    // (a cache reads the indexes once: a new one sees the rebuilt entries, newer than the bad ones)
    const fresh = new SummaryCache(dir, {});
    for (const f of bad) assert.ok(fresh.get(hashOf(f), f), `entry for ${f} rebuilt`);
    fresh.close();
    const again = await run(dir, { inThread: true });
    assert.equal(again.r.stats?.fromCache, files.length);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('options that change summaries (extraAllocators) change the cache key', async () => {
  const dir = tmp('cache');
  try {
    const a = await run(dir);
    const b = await run(dir, { extraAllocators: { mydrv_alloc: 1 } });
    assert.equal(b.r.stats?.summarized, a.r.stats?.summarized, 'no entry of the other options is used');
    const b2 = await run(dir, { extraAllocators: { mydrv_alloc: 1 } });
    assert.equal(b2.r.stats?.fromCache, Object.keys(a.s).length);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('workers produce the same summaries as in-thread summarizing', async () => {
  const inThread = await run(undefined, { inThread: true });
  const workers = await run(undefined, { workers: 2 });
  assert.equal(workers.r.stats?.workers, 2);
  assert.equal(inThread.r.stats?.workers, 0);
  assert.deepEqual(workers.s, inThread.s);
  assert.deepEqual(workers.findings, inThread.findings);
});

test('validateSummary accepts real summaries and rejects junk', async () => {
  const { s } = await run(undefined, { inThread: true });
  for (const v of Object.values(s)) if (v.version === SUMMARY_VERSION) assert.ok(validateSummary(JSON.parse(JSON.stringify(v))), v.file);
  for (const junk of [null, 1, 'x', [], {}, { version: SUMMARY_VERSION }, { ...Object.values(s)[0], functions: 'no' }]) {
    assert.equal(validateSummary(junk), false, JSON.stringify(junk)?.slice(0, 40));
  }
});

test('an unwritable cache folder does not fail indexing', async () => {
  const dir = tmp('cache');
  try {
    const blocker = path.join(dir, 'packs');
    fs.writeFileSync(blocker, 'a file where the cache folder should be');
    const r = await run(dir, { inThread: true });
    assert.ok(Object.keys(r.s).length >= 20);
    assert.equal(r.r.skipped.length, 0);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('the stored form drops empty states, all-null argument lists and parameter names, and loads back to shared objects', async () => {
  const engine = await createEngine();
  try {
    const file = path.join(fixtures, 'atomic-basics/basics.c');
    engine.updateFile(file, fs.readFileSync(file, 'utf8'));
    const fresh = engine.summaryOf(file)!;
    const json = JSON.stringify(compactSummary(fresh));
    assert.ok(json.length < JSON.stringify(fresh).length * 0.9, 'the stored form is smaller');
    assert.doesNotMatch(json, /"state":\{"held":\[\],"released":0\}/);
    const back = JSON.parse(json) as FileSummary;
    expandSummary(back as unknown as Record<string, unknown>);
    assert.ok(validateSummary(back));
    // equal to the fresh summary up to parameter names/types and all-null argument lists
    const norm = (s: FileSummary) => JSON.parse(JSON.stringify(s, (k, v) => (k === 'params' ? v.map((p: { isGfp: boolean }) => p.isGfp) : k === 'args' && Array.isArray(v) && v.every((a) => a === null) ? [] : v)));
    assert.deepEqual(norm(back), norm(fresh));
    const states = back.functions.flatMap((f) => [...f.calls, ...f.allocs, ...f.sleeps].map((c) => c.state));
    assert.ok(states.some((st) => st === EMPTY_STATE), 'empty states are the shared object');
    assert.ok(states.some((st) => st !== EMPTY_STATE && st.held.length > 0), 'non-empty states survive');
  } finally { engine.dispose(); }
});

test('loaded calls sit in columns: each site reads back as stored, special calls stay objects, bad positions are not packed', async () => {
  const engine = await createEngine();
  try {
    const files = (fs.readdirSync(fixtures, { recursive: true }) as string[]).filter((f) => f.endsWith('.c')).map((f) => path.join(fixtures, f));
    const stored = { ...(compactSummary(engine.summarizeSafely('all.c', '')) as object), functions: [] as Array<{ name: string; calls: Array<Record<string, unknown>> }> };
    for (const file of files) {
      const one = JSON.parse(JSON.stringify(compactSummary(engine.summarizeSafely(file, fs.readFileSync(file, 'utf8'))))) as typeof stored;
      stored.functions.push(...one.functions);
    }
    // a call whose offset does not fit 32 bits must not be packed (it would read back as another number)
    const isPlain = (c: Record<string, unknown>) => Object.keys(c).sort().join() === 'callee,col,end,line,offset';
    const victimFn = stored.functions.find((f) => f.calls.some(isPlain))!;
    const victimAt = victimFn.calls.findIndex(isPlain);
    victimFn.calls[victimAt].offset = 2 ** 33;
    // nor one whose line and column do not share a 32-bit integer (column 5000, line 2^21)
    const wideFn = stored.functions.filter((f) => f !== victimFn && f.calls.filter(isPlain).length >= 2)[0];
    const wide = wideFn.calls.filter(isPlain);
    wide[0].col = 5000;
    wide[1].line = 2 ** 21;
    const back = JSON.parse(JSON.stringify(stored)) as FileSummary;
    expandSummary(back as unknown as Record<string, unknown>);
    assert.ok(validateSummary(back));
    let plain = 0; let special = 0;
    for (let f = 0; f < back.functions.length; f++) {
      const calls = back.functions[f].calls;
      const want = stored.functions[f].calls;
      if (!want.length) continue;
      assert.ok(calls instanceof CallColumns, `${back.functions[f].name}: calls in columns`);
      assert.equal(calls.length, want.length);
      for (let i = 0; i < want.length; i++) {
        const c: CallSite = calls.at(i)!;
        for (const k of ['offset', 'end', 'line', 'col', 'callee']) assert.equal((c as unknown as Record<string, unknown>)[k], want[i][k], `${k} of call ${i}`);
        assert.equal(calls.calleeAt(i), c.callee);
        assert.equal(calls.offsetAt(i), c.offset);
        assert.equal(calls.stateAt(i), c.state);
        if (c instanceof PlainCall) plain++; else { special++; assert.equal(calls.at(i), c, 'a special call is the same object each time'); }
      }
      assert.equal(calls.at(want.length), undefined);
      assert.deepEqual([...calls].map((c) => c.offset), want.map((c) => c.offset));
    }
    assert.ok(plain > 5 && special > 1, `${plain} plain, ${special} special calls`);
    assert.equal(back.functions[stored.functions.indexOf(victimFn)].calls.at(victimAt)!.offset, 2 ** 33);
    const wideBack = back.functions[stored.functions.indexOf(wideFn)].calls;
    assert.ok([...wideBack].some((c) => c.col === 5000) && [...wideBack].some((c) => c.line === 2 ** 21), 'wide positions read back');
    // a special call with a broken state is caught by the structural check
    const broken = JSON.parse(JSON.stringify(stored)) as { functions: Array<{ calls: Array<Record<string, unknown>> }> };
    broken.functions.find((f) => f.calls.length)!.calls[0].state = 7;
    expandSummary(broken as unknown as Record<string, unknown>);
    assert.equal(validateSummary(broken), false);
  } finally { engine.dispose(); }
});

test('the folder of the old one-file-per-entry cache is deleted; the packs are not', async () => {
  const dir = tmp('cache');
  try {
    const old = path.join(dir, 'summaries', 'ab');
    fs.mkdirSync(old, { recursive: true });
    fs.writeFileSync(path.join(old, 'abcdef.gz'), 'an entry of the old layout');
    const r = await run(dir);
    // indexTree started the removal in the background
    for (let i = 0; i < 100 && fs.existsSync(path.join(dir, 'summaries')); i++) await new Promise((res) => setTimeout(res, 20));
    assert.equal(fs.existsSync(path.join(dir, 'summaries')), false, 'old layout removed');
    assert.equal((await run(dir)).r.stats?.fromCache, Object.keys(r.s).length, 'the packs are still there');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
