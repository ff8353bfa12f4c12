// On-disk summary cache. A FileSummary is a pure function of (file text, SUMMARY_VERSION, summary options),
// so entries are keyed by a hash of exactly those and never by path or mtime (key = sha1 hex of version +
// options hash + content hash). Layout: append-only packs, one pair per writer (a worker thread of one run):
//   <cacheDir>/packs/<name>.pack   entries back to back, each gzip(header line + "\n" + summary JSON)
//   <cacheDir>/packs/<name>.idx    one 64-byte line per entry: "<key> <offset, 12 digits> <length, 9 digits>\n"
// <name> starts with the writer's creation time, so sorting names sorts writers by age and a newer entry for a
// key wins over an older one (a rebuilt entry over the damaged one it replaces). One file open per writer and
// two appends per entry, instead of a file created and renamed per entry: on a kernel tree that was 10-15 % of
// a cold index (measured). gzip's CRC32 catches damaged entries; the header (magic, version, options hash,
// content hash) is checked before use and the summary's shape is validated after parsing. Anything that does not
// check out (a torn index line, an entry cut short, a foreign or damaged one) is a miss, rebuilt, never trusted.
// Readers see the entries indexed when they opened the cache plus their own. Errors while reading or writing
// never fail indexing; a writer that fails once stops writing (its offsets could no longer be trusted).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { threadId } from 'node:worker_threads';
import { CallColumns, SUMMARY_VERSION, compactSummary, expandSummary, type FileSummary } from './summary';

const MAGIC = 'gfp-lens-summary';
const INDEX_LINE = 64;
const INDEX_RE = /^([0-9a-f]{40}) (\d{12}) (\d{9})$/;

/** Default cache folder for the CLI: $XDG_CACHE_HOME/gfp-lens or ~/.cache/gfp-lens. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'gfp-lens');
}

/** Hash of the options that change summaries (only extraAllocators today), order-independent. */
export function optionsHash(opts: { extraAllocators?: Record<string, number> }): string {
  const ea = opts.extraAllocators ?? {};
  const norm = Object.keys(ea).sort().map((k) => [k, ea[k]]);
  return crypto.createHash('sha1').update(JSON.stringify({ extraAllocators: norm })).digest('hex').slice(0, 16);
}

export function contentHash(buf: Buffer | string): string {
  return crypto.createHash('sha1').update(buf).digest('hex');
}

interface Header { magic: string; v: number; opts: string; hash: string }

/** The packs folder of a cache folder. */
export const packsDir = (cacheDir: string): string => path.join(cacheDir, 'packs');

/**
 * Reads one `.idx` file of the packs folder `dir`, calling `entry` for each well-formed line in file order (later
 * lines of the same key win). Torn or malformed lines are skipped; an unreadable file gives no entries.
 */
export function readPackIndex(dir: string, idxName: string, entry: (key: string, loc: EntryLocation) => void): void {
  let text: string;
  try { text = fs.readFileSync(path.join(dir, idxName), 'latin1'); } catch { return; }
  const pack = path.join(dir, idxName.slice(0, -4) + '.pack');
  for (let i = 0; i + INDEX_LINE <= text.length; i += INDEX_LINE) {
    const m = INDEX_RE.exec(text.slice(i, i + INDEX_LINE - 1));
    if (m && text.charCodeAt(i + INDEX_LINE - 1) === 10) entry(m[1], { pack, offset: Number(m[2]), length: Number(m[3]) });
  }
}

/** One index line (64 bytes) for an entry of `length` bytes at `offset`; throws if the numbers do not fit. */
export function packIndexLine(key: string, offset: number, length: number): string {
  const line = `${key} ${String(offset).padStart(12, '0')} ${String(length).padStart(9, '0')}\n`;
  if (line.length !== INDEX_LINE) throw new Error('entry too large for the index');
  return line;
}

let writersMade = 0;

/** A new, unique pack name: creation time first, so that names sort writers by age. */
export function newPackName(): string {
  return `${Date.now().toString(36).padStart(9, '0')}-${String(writersMade++).padStart(4, '0')}-${process.pid}-${threadId}-${crypto.randomBytes(3).toString('hex')}`;
}

/** Where an entry's bytes are: a pack file (full path), offset and length. */
export interface EntryLocation { pack: string; offset: number; length: number }

export class SummaryCache {
  /** The packs folder. */
  readonly dir: string;
  private readonly opts: string;
  private index: Map<string, EntryLocation> | undefined;
  private readFds = new Map<string, number>();
  /** undefined: not opened yet; null: writing failed, no more writes. */
  private writer: { pack: string; packFd: number; idxFd: number; size: number } | null | undefined;
  /** Counters, for benchmarks and logs. */
  stats = { hits: 0, misses: 0, rejected: 0, writes: 0, writeErrors: 0 };

  constructor(cacheDir: string, summaryOptions: { extraAllocators?: Record<string, number> }, readonly version: number = SUMMARY_VERSION) {
    this.dir = packsDir(cacheDir);
    this.opts = optionsHash(summaryOptions);
  }

  key(hash: string): string {
    return crypto.createHash('sha1').update(`${MAGIC}\0${this.version}\0${this.opts}\0${hash}`).digest('hex');
  }

  /** Reads every index once, oldest writer first, so newer entries replace older ones. */
  private loadIndex(): Map<string, EntryLocation> {
    if (this.index) return this.index;
    const index = new Map<string, EntryLocation>();
    let names: string[] = [];
    try { names = fs.readdirSync(this.dir).filter((n) => n.endsWith('.idx')).sort(); } catch { /* no cache yet */ }
    for (const name of names) readPackIndex(this.dir, name, (key, loc) => index.set(key, loc));
    this.index = index;
    return index;
  }

  /** Where the entry for this content hash is, if the index has one (tests use it to damage entries). */
  locate(hash: string): EntryLocation | undefined {
    return this.loadIndex().get(this.key(hash));
  }

  private readEntry(loc: EntryLocation): Buffer | undefined {
    try {
      let fd = this.readFds.get(loc.pack);
      if (fd === undefined) { fd = fs.openSync(loc.pack, 'r'); this.readFds.set(loc.pack, fd); }
      const buf = Buffer.allocUnsafe(loc.length);
      return fs.readSync(fd, buf, 0, loc.length, loc.offset) === loc.length ? buf : undefined;
    } catch { return undefined; }
  }

  /**
   * The summary JSON (not yet parsed) stored for this content hash, or undefined on a miss.
   * Checks integrity (gzip CRC) and the header; the caller must still parse and validateSummary().
   */
  getJson(hash: string): string | undefined {
    const k = this.key(hash);
    const loc = this.loadIndex().get(k);
    if (!loc) { this.stats.misses++; return undefined; }
    try {
      const raw = this.readEntry(loc);
      if (!raw) throw new Error('entry cut short');
      const text = zlib.gunzipSync(raw).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) throw new Error('no header');
      const h = JSON.parse(text.slice(0, nl)) as Header;
      if (!h || h.magic !== MAGIC || h.v !== this.version || h.opts !== this.opts || h.hash !== hash) throw new Error('header mismatch');
      this.stats.hits++;
      return text.slice(nl + 1);
    } catch {
      this.stats.rejected++;
      this.index?.delete(k);
      return undefined;
    }
  }

  /** Parsed and validated summary for this content hash (with `file` set), or undefined. */
  get(hash: string, file: string): FileSummary | undefined {
    const json = this.getJson(hash);
    if (json === undefined) return undefined;
    const s = parseSummary(json, file, this.version);
    if (!s) { this.stats.hits--; this.stats.rejected++; this.index?.delete(this.key(hash)); }
    return s;
  }

  /** Stores a summary; only complete summaries of the current version are cached. Never throws. */
  put(hash: string, summary: FileSummary, json?: string): void {
    if (!cacheable(summary, this.version)) return;
    const header: Header = { magic: MAGIC, v: this.version, opts: this.opts, hash };
    this.putRaw(hash, zlib.gzipSync(JSON.stringify(header) + '\n' + (json ?? JSON.stringify(compactSummary(summary))), { level: 1 }));
  }

  /** Appends an entry's stored bytes (gzip of header line + JSON) under this content hash. Never throws. */
  putRaw(hash: string, gz: Buffer): void {
    const w = this.openWriter();
    if (!w) { this.stats.writeErrors++; return; }
    try {
      fs.writeSync(w.packFd, gz);
      const k = this.key(hash);
      fs.writeSync(w.idxFd, packIndexLine(k, w.size, gz.length));
      this.loadIndex().set(k, { pack: w.pack, offset: w.size, length: gz.length });
      w.size += gz.length;
      this.stats.writes++;
    } catch {
      this.stats.writeErrors++;
      this.closeWriter();
      this.writer = null;
    }
  }

  private openWriter(): NonNullable<SummaryCache['writer']> | null {
    if (this.writer !== undefined) return this.writer;
    const name = newPackName();
    const pack = path.join(this.dir, `${name}.pack`);
    let packFd: number | undefined;
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      packFd = fs.openSync(pack, 'wx');
      const idxFd = fs.openSync(path.join(this.dir, `${name}.idx`), 'wx');
      this.writer = { pack, packFd, idxFd, size: 0 };
    } catch {
      if (packFd !== undefined) try { fs.closeSync(packFd); } catch { /* ignore */ }
      this.writer = null;
    }
    return this.writer;
  }

  private closeWriter(): void {
    if (!this.writer) return;
    for (const fd of [this.writer.packFd, this.writer.idxFd]) try { fs.closeSync(fd); } catch { /* ignore */ }
  }

  /** Closes the files this cache holds open; it can still be used (they are opened again). */
  close(): void {
    this.closeWriter();
    this.writer = undefined;
    for (const fd of this.readFds.values()) try { fs.closeSync(fd); } catch { /* ignore */ }
    this.readFds.clear();
  }
}

const oldLayoutRemovals = new Map<string, Promise<boolean>>();

/**
 * Deletes, in the background, the one-file-per-entry folder (`<cacheDir>/summaries`) that engines before the packs
 * wrote: nothing reads it any more, and on a kernel tree it holds ~150 MB in ~60,000 files per engine version.
 * Once per folder and process; resolves to whether there was one; errors ignored. A process that exits before it is
 * done (the CLI) must await it, or the next run starts over.
 */
export function removeOldCacheLayout(cacheDir: string): Promise<boolean> {
  let removal = oldLayoutRemovals.get(cacheDir);
  if (!removal) {
    const dir = path.join(cacheDir, 'summaries');
    removal = new Promise((resolve) => {
      fs.stat(dir, (err) => {
        if (err) { resolve(false); return; }
        fs.rm(dir, { recursive: true, force: true }, () => resolve(true));
      });
    });
    oldLayoutRemovals.set(cacheDir, removal);
  }
  return removal;
}

/** Whether a summary may be cached: current version, and not the result of an engine failure. */
export function cacheable(s: FileSummary, version: number = SUMMARY_VERSION): boolean {
  return s.version === version && !s.problems.some((p) => /^(internal error|could not analyse|analysis error)/.test(p));
}

/** JSON.parse + validateSummary; sets `file`. undefined when the text is not a valid summary. */
export function parseSummary(json: string, file: string, version: number = SUMMARY_VERSION): FileSummary | undefined {
  let s: unknown;
  try { s = JSON.parse(json); } catch { return undefined; }
  if (typeof s === 'object' && s !== null) expandSummary(s as Record<string, unknown>);
  if (!validateSummary(s, version)) return undefined;
  s.file = file;
  return s;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isLoc = (x: unknown): boolean => isObj(x) && isNum(x.offset) && isNum(x.end) && isNum(x.line) && isNum(x.col);

/** Structural check of a summary read from disk (enough that the analysis cannot trip over it). */
export function validateSummary(s: unknown, version: number = SUMMARY_VERSION): s is FileSummary {
  if (!isObj(s) || s.version !== version) return false;
  if (!Array.isArray(s.functions) || !Array.isArray(s.bindings) || !Array.isArray(s.problems)) return false;
  for (const k of ['structFields', 'typedefs', 'gfpDefines', 'gfpPrototypes', 'suppressions']) if (!isObj(s[k])) return false;
  if (typeof s.hasSchedMmInclude !== 'boolean' || !isNum(s.includeInsertOffset)) return false;
  if (!s.problems.every((p) => typeof p === 'string')) return false;
  for (const f of s.functions as unknown[]) {
    if (!isLoc(f)) return false;
    const fn = f as Record<string, unknown>;
    if (typeof fn.name !== 'string' || !isNum(fn.bodyStart) || !isNum(fn.bodyEnd) || !isNum(fn.nameStart)) return false;
    for (const k of ['params', 'allocs', 'sleeps', 'scopeIssues']) if (!Array.isArray(fn[k])) return false;
    if (!Array.isArray(fn.calls) && !(fn.calls instanceof CallColumns)) return false;
    // Per site only what the analysis dereferences (kept cheap: there are ~20 sites per function). Plain calls in
    // columns were checked when they were put there.
    for (const k of ['calls', 'allocs', 'sleeps']) {
      const sites = fn[k] instanceof CallColumns ? fn[k].specials() : fn[k] as unknown[];
      for (const c of sites as Array<Record<string, unknown>>) {
        if (typeof c !== 'object' || c === null || typeof c.offset !== 'number') return false;
        const st = c.state as Record<string, unknown> | undefined;
        if (typeof st !== 'object' || st === null || !Array.isArray(st.held)) return false;
      }
    }
  }
  for (const b of s.bindings as unknown[]) if (!isLoc(b) || typeof (b as Record<string, unknown>).fn !== 'string' || !Array.isArray((b as Record<string, unknown>).chain)) return false;
  return true;
}
