// The per-file indexing job and the worker-thread entry point (bundled to dist/worker.js; tsc puts it at
// out/server/src/engine/worker.js). A job reads the file itself (no source text crosses threads), checks
// size/binary, hashes the bytes, answers from the disk cache when it can, and otherwise summarizes with its
// own parser (one per thread) and stores the result. It returns the summary as JSON text, which the main
// thread parses and merges. runJob never throws; the same function runs in-thread for small trees.
import * as fs from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { blankKernelC } from './blank';
import { contentHash, SummaryCache } from './cache';
import { DEFAULT_MAX_FILE_BYTES, Engine } from './engine';
import { createParser, type CParser } from './parser';
import { compactSummary } from './summary';

export interface JobContext {
  maxFileBytes?: number;
  extraAllocators?: Record<string, number>;
  cacheDir?: string;
}

export type JobMode = 'summarize' | 'parse';

export interface Job {
  id: number;
  file: string;
  mode?: JobMode;
  /** Ignore any cached entry (it was found damaged by the main thread). */
  noCache?: boolean;
}

export interface JobResult {
  id: number;
  file: string;
  /** ok: json holds a summary; skipped: note says why (not parsed); parsed: parse-only job done. */
  status: 'ok' | 'skipped' | 'parsed';
  json?: string;
  note?: string;
  cached?: boolean;
  hash?: string;
  bytes?: number;
  /** fstat of the file before it was read (for results snapshots); absent when the file could not be opened. */
  stat?: { size: number; mtimeMs: number };
}

export interface JobRunner {
  run(job: Job): JobResult;
  dispose(): void;
}

/** Builds a runner with its own parser and cache handle (one per thread). */
export async function createRunner(ctx: JobContext): Promise<JobRunner> {
  const parser: CParser = await createParser();
  const engine = new Engine(parser, { maxFileBytes: ctx.maxFileBytes, extraAllocators: ctx.extraAllocators });
  const cache = ctx.cacheDir ? new SummaryCache(ctx.cacheDir, { extraAllocators: ctx.extraAllocators }) : undefined;
  const max = ctx.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  return {
    run(job: Job): JobResult {
      const { id, file } = job;
      let stat: JobResult['stat'];
      const skip = (note: string): JobResult => ({ id, file, status: 'skipped', note, stat });
      try {
        let buf: Buffer;
        let fd: number | undefined;
        try {
          fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); // a FIFO named x.c must not block us
          const st = fs.fstatSync(fd);
          if (!st.isFile()) return skip('not a regular file: skipped');
          stat = { size: st.size, mtimeMs: st.mtimeMs };
          if (st.size > max) return skip(`file is ${Math.round(st.size / 1024)} KiB, over the ${Math.round(max / 1024)} KiB limit: skipped`);
          buf = fs.readFileSync(fd);
          // A file can grow between fstat and read; the limit is about what we parse.
          if (buf.length > max) return skip(`file is ${Math.round(buf.length / 1024)} KiB, over the ${Math.round(max / 1024)} KiB limit: skipped`);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          stat = undefined;
          if (code === 'ENOENT') return skip('file disappeared during indexing: skipped');
          if (code === 'EISDIR') return skip('not a regular file: skipped');
          return skip(`cannot read: ${(e as Error).message}`);
        } finally {
          if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already closed */ }
        }
        if (buf.subarray(0, 8192).includes(0)) return { ...skip('binary file (NUL bytes): skipped'), hash: contentHash(buf) };
        if (job.mode === 'parse') {
          parser.parseOnly(blankKernelC(buf.toString('utf8')).text);
          return { id, file, status: 'parsed', bytes: buf.length };
        }
        const hash = contentHash(buf);
        if (cache && !job.noCache) {
          const json = cache.getJson(hash);
          if (json !== undefined) return { id, file, status: 'ok', json, cached: true, hash, bytes: buf.length, stat };
        }
        const summary = engine.summarizeSafely(file, buf.toString('utf8'));
        const json = JSON.stringify(compactSummary(summary));
        cache?.put(hash, summary, json);
        return { id, file, status: 'ok', json, cached: false, hash, bytes: buf.length, stat };
      } catch (e) {
        return skip(`internal error: indexing failed: ${(e as Error).message}`);
      }
    },
    dispose() {
      try { engine.dispose(); } catch { /* ignore */ }
      cache?.close();
    },
  };
}

/** Message loop when started as a worker thread by pool.ts. */
async function workerMain(): Promise<void> {
  const port = parentPort!;
  const runner = await createRunner(workerData.ctx as JobContext);
  port.on('message', (msg: Job | { type: 'exit' }) => {
    if ('type' in msg) { runner.dispose(); process.exit(0); }
    const job = msg as Job;
    if (workerData.crashOn && job.file.endsWith(workerData.crashOn)) process.exit(3); // test hook: simulate a crash
    port.postMessage(runner.run(job));
  });
  port.postMessage({ type: 'ready' });
}

if (!isMainThread && workerData && workerData.gfpLensWorker) {
  workerMain().catch((e) => { console.error(`gfp-lens worker: ${(e as Error).stack ?? e}`); process.exit(2); });
}
