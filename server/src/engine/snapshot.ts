// The results snapshot: the findings of a whole-tree analysis, stored with a stamp (size, mtime, content hash) of
// every file that went into it, so that a restart over an unchanged tree can show them without loading a single
// summary. Layout: <cacheDir>/snapshots/<key>.json.gz, key = sha1 of the roots, the excludes and the options.
// Invariants: a snapshot is only used when the engine code is byte-identical (fingerprint of the running engine's
// JavaScript), the key matches, the listed files are exactly the recorded ones and every file either has the
// recorded size and mtime or hashes to the recorded content hash. Anything else is a miss, never a partial use
// (one changed file can change findings anywhere). Damaged files are misses; writes are atomic (temp + rename).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { contentHash } from './cache';
import type { EngineProblem, Finding } from './types';

const MAGIC = 'gfp-lens-results';

/**
 * What a file looked like when it was analysed. size/mtimeMs -1: text came from an editor, only the hash counts.
 * hash '': skipped for its size without being read (only the size counts).
 */
export interface FileStamp { size: number; mtimeMs: number; hash: string }

/** The stamp of a text that came from an editor (or was read once and let go): only its hash counts. */
export function textStamp(text: string): FileStamp {
  return { size: -1, mtimeMs: -1, hash: contentHash(text) };
}

export interface Snapshot {
  magic: string;
  fingerprint: string;
  key: string;
  /** ISO time the analysis finished. */
  created: string;
  /** Every listed file (analysed or skipped) -> its stamp. */
  files: Record<string, FileStamp>;
  /** Files analysed (what the CLI's text report counts). */
  analysed: number;
  findings: Finding[];
  /** Notes about skipped files, replayed as they were. */
  problems: EngineProblem[];
}

let cachedFingerprint: string | undefined;
/**
 * A hash of the engine code that is running: every .js file next to this module (the bundles in dist/, or the
 * compiled engine modules in out/). Any change to the code that computes findings gives another fingerprint.
 */
export function engineFingerprint(dir: string = __dirname): string {
  if (cachedFingerprint !== undefined && dir === __dirname) return cachedFingerprint;
  const h = crypto.createHash('sha1');
  let names: string[] = [];
  try { names = fs.readdirSync(dir).filter((n) => n.endsWith('.js')).sort(); } catch { /* no code found: unique value below */ }
  for (const n of names) {
    h.update(n).update('\0');
    try { h.update(fs.readFileSync(path.join(dir, n))); } catch { h.update(String(Math.random())); }
  }
  if (!names.length) h.update(String(Math.random()));
  const fp = h.digest('hex');
  if (dir === __dirname) cachedFingerprint = fp;
  return fp;
}

/** Key of one analysis setup: roots, excludes and options (order-independent where order does not matter). */
export function snapshotKey(roots: string[], exclude: string[], options: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') return Object.keys(v).sort().map((k) => [k, norm((v as Record<string, unknown>)[k])]);
    return v;
  };
  const body = JSON.stringify([MAGIC, [...roots].map((r) => path.resolve(r)).sort(), [...new Set(exclude)].sort(), norm(options ?? {})]);
  return crypto.createHash('sha1').update(body).digest('hex');
}

export function snapshotPath(cacheDir: string, key: string): string {
  return path.join(cacheDir, 'snapshots', `${key}.json.gz`);
}

/** Writes atomically; never throws (returns false when it could not). */
/**
 * The snapshot's JSON in pieces of a few hundred kilobytes, in order. A kernel tree's snapshot is ~11 MB of JSON:
 * one string and its UTF-8 copy added ~30 MB to the server's peak memory right after a whole-tree analysis.
 */
export function* snapshotJsonPieces(snap: Snapshot): Generator<string> {
  const { files, findings, ...rest } = snap;
  const head = JSON.stringify(rest);
  yield `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"files":{`;
  let part: string[] = [];
  let sep = '';
  for (const f in files) {
    part.push(`${JSON.stringify(f)}:${JSON.stringify(files[f])}`);
    if (part.length === 2048) { yield sep + part.join(','); sep = ','; part = []; }
  }
  if (part.length) yield sep + part.join(',');
  yield '},"findings":[';
  for (let i = 0; i < findings.length; i += 256) yield (i ? ',' : '') + findings.slice(i, i + 256).map((x) => JSON.stringify(x)).join(',');
  yield ']}';
}

/** Writes atomically (temp + rename) as gzip members, one per piece (gunzip reads them as one stream). */
export function writeSnapshot(file: string, snap: Snapshot): boolean {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  let fd: number | undefined;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = fs.openSync(tmp, 'w');
    for (const piece of snapshotJsonPieces(snap)) fs.writeSync(fd, zlib.gzipSync(piece, { level: 1 }));
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
    return true;
  } catch {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already closed */ }
    try { fs.unlinkSync(tmp); } catch { /* not created */ }
    return false;
  }
}

/** The snapshot at `file` if it is intact and made by this engine for this key; undefined otherwise. */
export function readSnapshot(file: string, key: string, fingerprint: string = engineFingerprint()): Snapshot | undefined {
  let s: Snapshot;
  try { s = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as Snapshot; } catch { return undefined; }
  if (!s || typeof s !== 'object' || s.magic !== MAGIC || s.fingerprint !== fingerprint || s.key !== key) return undefined;
  if (!s.files || typeof s.files !== 'object' || !Array.isArray(s.findings) || !Array.isArray(s.problems) || typeof s.analysed !== 'number') return undefined;
  return s;
}

export interface VerifyOptions {
  /** Give up (a miss) once this many files need their content hashed (stat changed). Default: no limit. */
  maxHashed?: number;
  /** The current text of files open in an editor (compared by hash instead of the disk). */
  openText?: (file: string) => string | undefined;
}

/** Whether `files` (the current listing) are exactly the snapshot's files with the same contents. */
export function verifySnapshot(snap: Snapshot, files: string[], opts: VerifyOptions = {}): { ok: boolean; hashed: number; reason?: string } {
  // Files whose stat changed but whose content did not get their new stat recorded in `snap` (the caller may save it).
  const recorded = snap.files;
  if (Object.keys(recorded).length !== files.length) return { ok: false, hashed: 0, reason: 'the set of files changed' };
  let hashed = 0;
  for (const f of files) {
    const st = recorded[f];
    if (!st) return { ok: false, hashed, reason: `new file ${f}` };
    const open = opts.openText?.(f);
    if (open !== undefined) {
      if (contentHash(open) !== st.hash) return { ok: false, hashed, reason: `${f} differs in the editor` };
      continue;
    }
    let size: number; let mtimeMs: number;
    try { const s = fs.statSync(f); size = s.size; mtimeMs = s.mtimeMs; } catch { return { ok: false, hashed, reason: `cannot stat ${f}` }; }
    if (st.size === size && st.mtimeMs === mtimeMs) continue;
    // no hash: skipped for its size without being read; it is the same skip while the size is the same
    if (!st.hash) { if (st.size === size) continue; return { ok: false, hashed, reason: `${f} changed` }; }
    if (opts.maxHashed !== undefined && hashed >= opts.maxHashed) return { ok: false, hashed, reason: 'too many files changed on disk' };
    hashed++;
    let buf: Buffer;
    try { buf = fs.readFileSync(f); } catch { return { ok: false, hashed, reason: `cannot read ${f}` }; }
    if (contentHash(buf) !== st.hash) return { ok: false, hashed, reason: `${f} changed` };
    recorded[f] = { size, mtimeMs, hash: st.hash };
  }
  return { ok: true, hashed };
}

/** Something that knows what content each analysed file had (the Engine). */
export interface StampSource { stampOf(file: string): FileStamp | undefined }

/**
 * A snapshot of `findings` over `files` (every listed file), or undefined when some file has no stamp
 * (it vanished or could not be read during indexing: then nothing proves the next run would see the same tree).
 */
export function buildSnapshot(key: string, files: string[], engine: StampSource, skippedStamps: Map<string, FileStamp>,
  findings: Finding[], problems: EngineProblem[], analysed: number): Snapshot | undefined {
  const stamps: Record<string, FileStamp> = {};
  for (const f of files) {
    const st = engine.stampOf(f) ?? skippedStamps.get(f);
    if (!st) return undefined;
    stamps[f] = st;
  }
  return { magic: MAGIC, fingerprint: engineFingerprint(), key, created: new Date().toISOString(), files: stamps, analysed, findings, problems };
}
