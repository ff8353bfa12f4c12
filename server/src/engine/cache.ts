// On-disk summary cache. A FileSummary is a pure function of (file text, SUMMARY_VERSION, summary options),
// so entries are keyed by a hash of exactly those and never by path or mtime. Layout:
//   <cacheDir>/summaries/<aa>/<key>.gz   (key = sha1 hex of version + options hash + content hash; aa = its first 2 chars)
// Each entry is gzip(header line + "\n" + summary JSON). gzip's CRC32 catches damaged files; the header
// (magic, version, options hash, content hash) is checked before use and the summary's shape is validated
// after parsing. Anything that does not check out is a miss (and is rebuilt and overwritten), never trusted.
// Writes go to a temp file and are renamed into place, so concurrent indexers (CLI + server) never see
// half-written entries. Errors while reading or writing the cache never fail indexing.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { CallColumns, SUMMARY_VERSION, compactSummary, expandSummary, type FileSummary } from './summary';

const MAGIC = 'gfp-lens-summary';

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

export class SummaryCache {
  readonly dir: string;
  private readonly opts: string;
  private made = new Set<string>();
  /** Counters, for benchmarks and logs. */
  stats = { hits: 0, misses: 0, rejected: 0, writes: 0, writeErrors: 0 };

  constructor(cacheDir: string, summaryOptions: { extraAllocators?: Record<string, number> }, readonly version: number = SUMMARY_VERSION) {
    this.dir = path.join(cacheDir, 'summaries');
    this.opts = optionsHash(summaryOptions);
  }

  key(hash: string): string {
    return crypto.createHash('sha1').update(`${MAGIC}\0${this.version}\0${this.opts}\0${hash}`).digest('hex');
  }

  entryPath(hash: string): string {
    const k = this.key(hash);
    return path.join(this.dir, k.slice(0, 2), `${k}.gz`);
  }

  /**
   * The summary JSON (not yet parsed) stored for this content hash, or undefined on a miss.
   * Checks integrity (gzip CRC) and the header; the caller must still parse and validateSummary().
   */
  getJson(hash: string): string | undefined {
    const p = this.entryPath(hash);
    let raw: Buffer;
    try { raw = fs.readFileSync(p); } catch { this.stats.misses++; return undefined; }
    try {
      const text = zlib.gunzipSync(raw).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) throw new Error('no header');
      const h = JSON.parse(text.slice(0, nl)) as Header;
      if (!h || h.magic !== MAGIC || h.v !== this.version || h.opts !== this.opts || h.hash !== hash) throw new Error('header mismatch');
      this.stats.hits++;
      return text.slice(nl + 1);
    } catch {
      this.stats.rejected++;
      return undefined;
    }
  }

  /** Parsed and validated summary for this content hash (with `file` set), or undefined. */
  get(hash: string, file: string): FileSummary | undefined {
    const json = this.getJson(hash);
    if (json === undefined) return undefined;
    const s = parseSummary(json, file, this.version);
    if (!s) { this.stats.hits--; this.stats.rejected++; }
    return s;
  }

  /** Stores a summary; only complete summaries of the current version are cached. Never throws. */
  put(hash: string, summary: FileSummary, json?: string): void {
    if (!cacheable(summary, this.version)) return;
    const p = this.entryPath(hash);
    const tmp = `${p}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      const d = path.dirname(p);
      if (!this.made.has(d)) { fs.mkdirSync(d, { recursive: true }); this.made.add(d); }
      const header: Header = { magic: MAGIC, v: this.version, opts: this.opts, hash };
      const body = JSON.stringify(header) + '\n' + (json ?? JSON.stringify(compactSummary(summary)));
      fs.writeFileSync(tmp, zlib.gzipSync(body, { level: 1 }));
      fs.renameSync(tmp, p);
      this.stats.writes++;
    } catch {
      this.stats.writeErrors++;
      try { fs.unlinkSync(tmp); } catch { /* not created */ }
    }
  }
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
