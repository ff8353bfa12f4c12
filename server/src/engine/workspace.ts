// Finds the C sources under workspace roots (with exclusions, symlink-loop safety and clear notes for
// what it skips) and feeds them to the engine, reporting progress and honouring cancellation.
// Summaries are computed by a worker pool (pool.ts/worker.ts) or in-thread for small trees, and served
// from the on-disk cache (cache.ts) when the content is unchanged. The main thread only merges.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSummary, removeOldCacheLayout } from './cache';
import type { Engine } from './engine';
import { WorkerPool } from './pool';
import { expandSummary, type FileSummary } from './summary';
import type { FileStamp } from './snapshot';
import type { EngineProblem } from './types';
import { createRunner, type Job, type JobContext, type JobResult } from './worker';

export const DEFAULT_EXCLUDES = ['tools', 'Documentation', 'scripts', '.git', 'node_modules'];
export interface IndexProgress { done: number; total: number }
export interface IndexOptions {
  exclude?: string[];
  onProgress?: (p: IndexProgress) => void;
  /** Set cancelled = true to stop early. */
  token?: { cancelled: boolean };
  /** Skip files already summarized (e.g. open documents). */
  skip?: (file: string) => boolean;
  /** Worker threads; 0/undefined = one per core (small trees, < 50 files, are summarized in-thread). */
  workers?: number;
  /** Summarize on the calling thread, without workers. */
  inThread?: boolean;
  /** Folder of the on-disk summary cache; none = no cache. */
  cacheDir?: string;
  /** Abandon a file whose summary takes longer than this (worker mode). Default 120 s. */
  jobTimeoutMs?: number;
  /** The result of listSourceFiles(roots, exclude) when the caller already has it. */
  listing?: { files: string[]; problems: EngineProblem[] };
  /** Test hook: workers crash on a file whose path ends with this. */
  crashOn?: string;
}
export interface IndexStats {
  /** Files summarized now / taken from the cache. */
  summarized: number;
  fromCache: number;
  /** Worker threads used (0 = in-thread). */
  workers: number;
  /** Workers replaced after a crash or a timeout. */
  restarts: number;
}
export interface IndexResult {
  files: number; skipped: EngineProblem[]; cancelled: boolean; stats?: IndexStats;
  /** Stamps of the listed files that were skipped (too big, binary), for results snapshots. */
  skippedStamps: Map<string, FileStamp>;
  /** Every file the listing found (indexed, skipped or left to the caller). */
  listed: string[];
  /** Content hashes of the files indexed (from the cache or summarized), when indexing with a cache: its live set. */
  hashes?: Set<string>;
}

function excluded(rel: string, name: string, exclude: string[]): boolean {
  for (const e of exclude) {
    if (!e) continue;
    if (e === name || e === rel || rel.startsWith(e.endsWith('/') ? e : e + '/')) return true;
  }
  return false;
}

/** Every .c/.h file under the roots (a root may itself be a file), sorted; unreadable entries become problems. */
export function listSourceFiles(roots: string[], exclude: string[] = DEFAULT_EXCLUDES): { files: string[]; problems: EngineProblem[] } {
  const out: Listing = { files: [], problems: [] };
  for (const _ of listingSteps(roots, exclude, out)) { /* all at once */ }
  return listed(out);
}

/**
 * listSourceFiles() that gives the event loop a turn every `sliceMs` of walking (a kernel tree has ~5,000 directories
 * and takes ~0.5 s to list: the language server must keep answering meanwhile). Same result.
 */
export async function listSourceFilesAsync(roots: string[], exclude: string[] = DEFAULT_EXCLUDES, sliceMs = 8): Promise<{ files: string[]; problems: EngineProblem[] }> {
  const out: Listing = { files: [], problems: [] };
  const turn = eventLoopTurns(sliceMs);
  for (const _ of listingSteps(roots, exclude, out)) await turn();
  return listed(out);
}

interface Listing { files: string[]; problems: EngineProblem[] }
const listed = (out: Listing) => ({ files: [...new Set(out.files)], problems: out.problems });

/** A function to await between units of work: it gives the event loop a turn once `sliceMs` have passed since the last. */
function eventLoopTurns(sliceMs: number): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last <= sliceMs) return undefined;
    return new Promise<void>((res) => setImmediate(() => { last = performance.now(); res(); }));
  };
}

/** The walk behind both listings: sorted order, excludes, symlink loops noted; yields after each directory. */
function* listingSteps(roots: string[], exclude: string[], out: Listing): Generator<void> {
  const { files, problems } = out;
  const seen = new Set<string>();
  const walk = function* (dir: string, root: string): Generator<void> {
    let real: string;
    try { real = fs.realpathSync(dir); } catch (e) { problems.push({ file: dir, message: `cannot resolve: ${(e as Error).message}` }); return; }
    if (seen.has(real)) { problems.push({ file: dir, message: 'directory already visited (symlink loop or duplicate): skipped' }); return; }
    seen.add(real);
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (e) { problems.push({ file: dir, message: `cannot read directory: ${(e as Error).message}` }); return; }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    yield;
    for (const ent of entries) {
      const full = path.join(dir, ent.name);
      const rel = path.relative(root, full);
      if (excluded(rel, ent.name, exclude)) continue;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try { const st = fs.statSync(full); isDir = st.isDirectory(); isFile = st.isFile(); } catch { problems.push({ file: full, message: 'broken symlink: skipped' }); continue; }
      }
      if (isDir) yield* walk(full, root);
      else if (isFile && /\.[ch]$/.test(ent.name)) files.push(full);
    }
  };
  for (const r of roots) {
    const abs = path.resolve(r);
    let st: fs.Stats;
    try { st = fs.statSync(abs); } catch (e) { problems.push({ file: abs, message: `cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}` }); continue; }
    if (st.isDirectory()) yield* walk(abs, abs);
    else if (st.isFile()) files.push(abs);
  }
}

/** Reads a source file as text; undefined with a note when it cannot be read. */
export function readSource(file: string, maxBytes: number, problems: EngineProblem[]): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) { problems.push({ file, message: 'not a regular file: skipped' }); return undefined; }
    if (st.size > maxBytes) { problems.push({ file, message: `file is ${Math.round(st.size / 1024)} KiB, over the ${Math.round(maxBytes / 1024)} KiB limit: skipped` }); return undefined; }
    const buf = fs.readFileSync(file);
    if (buf.subarray(0, 8192).includes(0)) { problems.push({ file, message: 'binary file (NUL bytes): skipped' }); return undefined; }
    return buf.toString('utf8');
  } catch (e) {
    problems.push({ file, message: `cannot read: ${(e as Error).message}` });
    return undefined;
  }
}

/** Longest stretch of merging results before the event loop gets a turn (requests, cancellation). */
const MERGE_SLICE_MS = 8;
/** Below this many files (and with workers unset/0) summarizing in-thread beats starting workers. */
const IN_THREAD_BELOW = 50;

export async function indexTree(engine: Engine, roots: string[], options: IndexOptions = {}): Promise<IndexResult> {
  const listing = options.listing ?? listSourceFiles(roots, options.exclude ?? DEFAULT_EXCLUDES);
  const files = listing.files;
  const problems = [...listing.problems];
  const stats: IndexStats = { summarized: 0, fromCache: 0, workers: 0, restarts: 0 };
  const skippedStamps = new Map<string, FileStamp>();
  const total = files.length;
  const ctx: JobContext = { maxFileBytes: engine.options.maxFileBytes, extraAllocators: engine.options.extraAllocators, cacheDir: options.cacheDir };
  if (options.cacheDir) void removeOldCacheLayout(options.cacheDir);
  const hashes = options.cacheDir ? new Set<string>() : undefined;
  const todo: string[] = [];
  for (const f of files) if (!options.skip?.(f)) todo.push(f);
  let done = total - todo.length;
  let lastReport = -1;
  let lastTime = 0;
  const progress = (force: boolean) => {
    if (!options.onProgress || done === lastReport) return;
    const now = Date.now();
    if (!force && done - lastReport < 50 && now - lastTime < 100) return;
    lastReport = done; lastTime = now;
    try { options.onProgress({ done, total }); } catch { /* a progress sink must not stop indexing */ }
  };
  progress(true);

  /** Merges one result; returns a job to redo when a cached entry turned out to be damaged. */
  const merge = (r: JobResult): Job | undefined => {
    if (r.status !== 'ok' || r.json === undefined) {
      problems.push({ file: r.file, message: r.note ?? 'skipped' });
      if (r.stat) skippedStamps.set(r.file, { ...r.stat, hash: r.hash ?? '' });
      return undefined;
    }
    const stamp = r.stat && r.hash ? { ...r.stat, hash: r.hash } : undefined;
    if (r.hash) hashes?.add(r.hash);
    let s: FileSummary | undefined;
    if (r.cached) {
      s = parseSummary(r.json, r.file);
      if (!s) return { id: r.id, file: r.file, noCache: true };
      stats.fromCache++;
    } else {
      try { s = JSON.parse(r.json) as FileSummary; expandSummary(s as unknown as Record<string, unknown>); s.file = r.file; } catch (e) {
        problems.push({ file: r.file, message: `internal error: unreadable summary from worker: ${(e as Error).message}` });
        return undefined;
      }
      stats.summarized++;
    }
    engine.addSummary(s, stamp);
    return undefined;
  };
  const cancelled = () => options.token?.cancelled === true;
  const finish = (wasCancelled: boolean): IndexResult => { progress(true); return { files: done, skipped: problems, cancelled: wasCancelled, stats, skippedStamps, listed: files, hashes }; };

  let pool: WorkerPool | undefined;
  const wantPool = !options.inThread && todo.length > 0 && (options.workers ? options.workers > 0 : todo.length >= IN_THREAD_BELOW);
  if (wantPool) {
    try {
      pool = await WorkerPool.create({ ...ctx, workers: options.workers, jobTimeoutMs: options.jobTimeoutMs, crashOn: options.crashOn });
    } catch {
      pool = undefined; // no worker threads here (or no worker script): summarize in-thread
    }
  }

  if (!pool) {
    const runner = await createRunner(ctx);
    try {
      let sinceYield = 0;
      for (let i = 0; i < todo.length; i++) {
        if (cancelled()) return finish(true);
        let r = runner.run({ id: i, file: todo[i] });
        const redo = merge(r);
        if (redo) { r = runner.run(redo); merge(r); }
        done++;
        progress(false);
        if (++sinceYield >= 20) { sinceYield = 0; await new Promise((res) => setImmediate(res)); }
      }
    } finally {
      runner.dispose();
    }
    return finish(false);
  }

  stats.workers = pool.size;
  try {
    // A bounded window of jobs in flight, merged in file order (summaries reach the engine deterministically).
    const window = Math.max(16, pool.size * 8);
    const inFlight: Promise<JobResult>[] = [];
    let next = 0;
    // Results that are already in are merged in microtasks, one after another, and nothing else gets the event loop
    // meanwhile (a warm cache answers hundreds of files at once): give it back every few milliseconds of merging.
    const turn = eventLoopTurns(MERGE_SLICE_MS);
    while (next < todo.length || inFlight.length > 0) {
      while (!cancelled() && next < todo.length && inFlight.length < window) inFlight.push(pool.run({ file: todo[next++] }));
      if (cancelled()) return finish(true);
      const r = await inFlight.shift()!;
      if (cancelled()) return finish(true);
      const redo = merge(r);
      if (redo) merge(await pool.run({ file: redo.file, noCache: true }));
      done++;
      progress(false);
      await turn();
    }
  } finally {
    stats.restarts = pool.restarts;
    await pool.close();
  }
  return finish(false);
}
