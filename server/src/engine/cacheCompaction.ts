// Keeps the summary cache's packs folder bounded. Packs are append-only (cache.ts): each run that summarizes a
// file adds an entry, and nothing else removes the entries of file versions that are gone or of older engine
// versions. After a complete index the caller records its tree's live set (the cache keys of every file it read),
// and when the older packs hold more dead bytes than max(64 MiB, half the live bytes), the live entries of those
// packs are copied, as stored, into one new pack and the older packs are deleted.
// Invariants:
// - Live = the keys of every tree indexed into this folder within the last 30 days (one `live-<tree>.keys` file per
//   set of roots), so trees that share a folder (the CLI's default one) keep each other's entries.
// - Packs modified within the last 7 days are neither read from nor deleted: another process may be writing them,
//   and the trees that use them may not have recorded a live set yet (packs written before live sets existed, or a
//   subtree indexed before its whole tree: dropping their entries would make that tree's next index cold).
// - The new pack holds only entries that win for their key (newest pack wins) and is written, data then index,
//   before any old pack is deleted; an old pack's .idx goes before its .pack. A reader that indexed a deleted pack
//   earlier fails to read the entry: a miss, summarized again, never wrong.
// - One compaction at a time per folder (a lock file made with O_EXCL; a lock older than an hour is stale).
// - Never throws: a failure leaves the folder as it was, or with an extra pack whose entries duplicate older ones.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SummaryCache, newPackName, packIndexLine, packsDir, readPackIndex, type EntryLocation } from './cache';
import { SUMMARY_VERSION } from './summary';

const DAY_MS = 24 * 3600 * 1000;

export interface CompactionOptions {
  /** Live sets older than this are forgotten (default 30 days). */
  liveSetMaxAgeMs?: number;
  /** Packs modified more recently than this are left alone (default 7 days). */
  recentMs?: number;
  /** Dead bytes below this never start a compaction (default 64 MiB). */
  minDeadBytes?: number;
  /** The time to judge ages by (tests). */
  now?: number;
}

export interface CompactionReport {
  /** Whether a new pack replaced older ones. */
  compacted: boolean;
  packsBefore: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Bytes of the entries that are live (this tree's and other recent trees'). */
  liveBytes: number;
  /** Why nothing was done, or what went wrong. */
  note?: string;
}

const LIVE_MAGIC = 'gfp-lens-live';
const LIVE_RE = /^live-[0-9a-f]{16}\.keys$/;
const LOCK = 'compact.lock';
const COPY_CHUNK = 4 << 20;

/** Name of the live-set file for a set of roots (absolute, order-independent). */
export function liveSetName(roots: string[]): string {
  const key = [...new Set(roots.map((r) => path.resolve(r)))].sort().join('\0');
  return `live-${crypto.createHash('sha1').update(key).digest('hex').slice(0, 16)}.keys`;
}

/** Lets the event loop run (the server answers requests) every few thousand keys. */
const YIELD_EVERY = 2048;
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Writes a tree's live set (the cache keys of these content hashes), atomically. */
async function writeLiveSet(dir: string, roots: string[], cache: SummaryCache, hashes: Iterable<string>): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const h of hashes) {
    keys.add(cache.key(h));
    if (keys.size % YIELD_EVERY === 0) await turn();
  }
  const file = path.join(dir, liveSetName(roots));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(tmp, `${LIVE_MAGIC} ${cache.version}\n${[...keys].join('\n')}\n`);
  fs.renameSync(tmp, file);
  return keys;
}

/** Adds the keys of every recent live set of this engine version to `live`; deletes the expired sets. */
function readLiveSets(dir: string, live: Set<string>, version: number, maxAgeMs: number, now: number): void {
  let names: string[] = [];
  try { names = fs.readdirSync(dir).filter((n) => LIVE_RE.test(n)); } catch { return; }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > maxAgeMs) { fs.unlinkSync(file); continue; }
      const lines = fs.readFileSync(file, 'latin1').split('\n');
      if (lines[0] !== `${LIVE_MAGIC} ${version}`) continue; // another engine version's keys: not ours to keep
      for (let i = 1; i < lines.length; i++) if (lines[i].length === 40) live.add(lines[i]);
    } catch { /* unreadable: its tree's entries may go */ }
  }
}

interface PackInfo { name: string; pack: string; idx: string; size: number; old: boolean }

function listPacks(dir: string, now: number, recentMs: number): PackInfo[] {
  let names: string[] = [];
  try { names = fs.readdirSync(dir).filter((n) => n.endsWith('.idx')).sort(); } catch { return []; }
  const out: PackInfo[] = [];
  for (const n of names) {
    const base = n.slice(0, -4);
    const pack = path.join(dir, `${base}.pack`);
    const idx = path.join(dir, n);
    try {
      const ps = fs.statSync(pack);
      const is = fs.statSync(idx);
      out.push({ name: base, pack, idx, size: ps.size + is.size, old: now - Math.max(ps.mtimeMs, is.mtimeMs) > recentMs });
    } catch { /* a pair being deleted or never completed */ }
  }
  return out;
}

function takeLock(dir: string, now: number): number | undefined {
  const file = path.join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try { return fs.openSync(file, 'wx'); } catch {
      try { if (now - fs.statSync(file).mtimeMs > 3600 * 1000) fs.unlinkSync(file); else return undefined; } catch { /* gone: retry */ }
    }
  }
  return undefined;
}

/**
 * Records this tree's live set and compacts the packs when enough of them is dead (see the top of the file).
 * `hashes` are the content hashes of every file the index read (cache hits and new entries alike).
 */
export async function maintainCache(cacheDir: string, summaryOptions: { extraAllocators?: Record<string, number> },
  roots: string[], hashes: Iterable<string>, options: CompactionOptions = {}, version: number = SUMMARY_VERSION): Promise<CompactionReport> {
  const now = options.now ?? Date.now();
  const dir = packsDir(cacheDir);
  const report: CompactionReport = { compacted: false, packsBefore: 0, bytesBefore: 0, bytesAfter: 0, liveBytes: 0 };
  let lockFd: number | undefined;
  try {
    const cache = new SummaryCache(cacheDir, summaryOptions, version);
    const live = await writeLiveSet(dir, roots, cache, hashes);
    lockFd = takeLock(dir, now);
    if (lockFd === undefined) { report.note = 'another process is compacting this cache'; return report; }
    readLiveSets(dir, live, version, options.liveSetMaxAgeMs ?? 30 * DAY_MS, now);
    const packs = listPacks(dir, now, options.recentMs ?? 7 * DAY_MS);
    report.packsBefore = packs.length;
    report.bytesBefore = report.bytesAfter = packs.reduce((a, p) => a + p.size, 0);
    // Newest pack wins for a key, as when the cache reads its index.
    const winners = new Map<string, EntryLocation>();
    for (const p of packs) {
      readPackIndex(dir, `${p.name}.idx`, (key, loc) => { if (live.has(key)) winners.set(key, loc); });
      await turn();
    }
    const old = packs.filter((p) => p.old);
    const oldPacks = new Set(old.map((p) => p.pack));
    const copy: Array<{ key: string; loc: EntryLocation }> = [];
    let oldLiveBytes = 0;
    for (const [key, loc] of winners) {
      report.liveBytes += loc.length;
      if (oldPacks.has(loc.pack)) { copy.push({ key, loc }); oldLiveBytes += loc.length; }
    }
    const oldBytes = old.reduce((a, p) => a + p.size, 0);
    const dead = oldBytes - oldLiveBytes;
    if (dead <= Math.max(options.minDeadBytes ?? 64 << 20, report.liveBytes / 2)) {
      report.note = `${mib(dead)} dead in packs older than the recent ones: nothing to do`;
      return report;
    }
    await writeCompacted(dir, copy);
    for (const p of old) {
      try { fs.unlinkSync(p.idx); fs.unlinkSync(p.pack); } catch { /* someone else removed it */ }
    }
    report.compacted = true;
    report.bytesAfter = listPacks(dir, now, 0).reduce((a, p) => a + p.size, 0);
    return report;
  } catch (e) {
    report.note = `cache maintenance failed: ${(e as Error).message}`;
    return report;
  } finally {
    if (lockFd !== undefined) {
      try { fs.closeSync(lockFd); } catch { /* ignore */ }
      try { fs.unlinkSync(path.join(dir, LOCK)); } catch { /* ignore */ }
    }
  }
}

/** Copies the entries, as stored, into a new pack (adjacent entries of a pack in one read). */
async function writeCompacted(dir: string, entries: Array<{ key: string; loc: EntryLocation }>): Promise<void> {
  entries.sort((a, b) => (a.loc.pack < b.loc.pack ? -1 : a.loc.pack > b.loc.pack ? 1 : a.loc.offset - b.loc.offset));
  const name = newPackName();
  const out = await fs.promises.open(path.join(dir, `${name}.pack`), 'wx');
  const lines: string[] = [];
  let size = 0;
  let src: { pack: string; fh: fs.promises.FileHandle } | undefined;
  try {
    let i = 0;
    while (i < entries.length) {
      // a run of entries that lie back to back in one pack, up to COPY_CHUNK bytes
      const first = entries[i].loc;
      let j = i + 1;
      let end = first.offset + first.length;
      while (j < entries.length && entries[j].loc.pack === first.pack && entries[j].loc.offset === end && end - first.offset < COPY_CHUNK) {
        end += entries[j].loc.length; j++;
      }
      if (!src || src.pack !== first.pack) {
        await src?.fh.close();
        src = { pack: first.pack, fh: await fs.promises.open(first.pack, 'r') };
      }
      const buf = Buffer.allocUnsafe(end - first.offset);
      const { bytesRead } = await src.fh.read(buf, 0, buf.length, first.offset);
      if (bytesRead !== buf.length) throw new Error(`${path.basename(first.pack)} is shorter than its index`);
      await out.write(buf, 0, buf.length);
      for (let k = i; k < j; k++) {
        lines.push(packIndexLine(entries[k].key, size + entries[k].loc.offset - first.offset, entries[k].loc.length));
      }
      size += buf.length;
      i = j;
    }
  } catch (e) {
    await out.close();
    try { fs.unlinkSync(path.join(dir, `${name}.pack`)); } catch { /* ignore */ }
    throw e;
  } finally {
    await src?.fh.close().catch(() => undefined);
  }
  await out.close();
  await fs.promises.writeFile(path.join(dir, `${name}.idx`), lines.join(''), { flag: 'wx' });
}

const mib = (n: number): string => `${(n / (1 << 20)).toFixed(1)} MiB`;

/** One line for logs: what maintenance did. */
export function describeCompaction(r: CompactionReport): string {
  if (r.compacted) return `summary cache compacted: ${r.packsBefore} packs, ${mib(r.bytesBefore)} -> ${mib(r.bytesAfter)} (live ${mib(r.liveBytes)})`;
  return `summary cache: ${r.packsBefore} packs, ${mib(r.bytesBefore)}, live ${mib(r.liveBytes)}${r.note ? `; ${r.note}` : ''}`;
}
