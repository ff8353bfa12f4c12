// A worker_threads pool that runs indexing jobs (worker.ts). Each worker owns one parser; at most two jobs
// are in flight per worker (so a worker never waits for the main thread). run() never rejects: a worker
// that crashes or hangs is terminated and replaced, the job it was running comes back as a skipped file
// with an "internal error" note, and the jobs queued behind it are re-dispatched. If workers cannot be
// started at all, create() rejects and callers fall back to in-thread summarizing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { releaseFreedMemory } from './nativeParser';
import { Worker } from 'node:worker_threads';
import type { Job, JobContext, JobResult } from './worker';

export interface PoolOptions extends JobContext {
  /** Number of workers; 0/undefined = one per core. */
  workers?: number;
  /** Path of the worker script; default: worker.js next to this module (dist/ or out/server/src/engine/). */
  workerScript?: string;
  /** A job running longer than this is abandoned (worker restarted, file noted). Default 120 s. */
  jobTimeoutMs?: number;
  /** Test hook: workers exit abruptly when given a file whose path ends with this. */
  crashOn?: string;
}

interface Pending { job: Job; resolve: (r: JobResult) => void; started?: number }
interface Slot { worker: Worker; ready: boolean; inFlight: Pending[]; dead: boolean; exited?: boolean }

/** How long close() lets a worker finish its current job and close its cache files before terminating it. */
const EXIT_GRACE_MS = 2000;

const IN_FLIGHT = 2;

export function defaultWorkerCount(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

export function locateWorkerScript(): string | undefined {
  const candidates = [path.join(__dirname, 'worker.js'), path.join(__dirname, '..', 'dist', 'worker.js')];
  return candidates.find((c) => fs.existsSync(c));
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private failedStarts = 0;
  /** Set when workers cannot be (re)started: further jobs resolve as skipped at once. */
  broken: string | undefined;
  /** Workers replaced after a crash or a timeout. */
  restarts = 0;
  readonly size: number;

  private constructor(private script: string, private opts: PoolOptions) {
    this.size = opts.workers && opts.workers > 0 ? Math.floor(opts.workers) : defaultWorkerCount();
  }

  /** Starts the workers and waits until each has its parser. Rejects if none can start. */
  static async create(opts: PoolOptions = {}): Promise<WorkerPool> {
    const script = opts.workerScript ?? locateWorkerScript();
    if (!script || !fs.existsSync(script)) throw new Error('worker script not found');
    const pool = new WorkerPool(script, opts);
    const starts: Promise<void>[] = [];
    for (let i = 0; i < pool.size; i++) starts.push(pool.spawn(i));
    try { await Promise.all(starts); } catch (e) { await pool.close(); throw e; }
    const limit = opts.jobTimeoutMs ?? 120_000;
    pool.timer = setInterval(() => pool.checkTimeouts(limit), Math.min(1000, limit));
    pool.timer.unref();
    return pool;
  }

  private spawn(i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(this.script, {
        workerData: { gfpLensWorker: true, ctx: { maxFileBytes: this.opts.maxFileBytes, extraAllocators: this.opts.extraAllocators, cacheDir: this.opts.cacheDir }, crashOn: this.opts.crashOn },
        stdout: false, stderr: false,
      });
      const slot: Slot = { worker, ready: false, inFlight: [], dead: false };
      this.slots[i] = slot;
      worker.on('message', (msg: JobResult | { type: 'ready' }) => {
        if ('type' in msg) {
          slot.ready = true; this.failedStarts = 0; resolve(); this.pump(); return;
        }
        const idx = slot.inFlight.findIndex((p) => p.job.id === msg.id);
        if (idx < 0) return;
        const [p] = slot.inFlight.splice(idx, 1);
        if (slot.inFlight[0]) slot.inFlight[0].started = Date.now();
        p.resolve(msg);
        this.pump();
      });
      const fail = (why: string) => {
        if (slot.dead) return;
        slot.dead = true;
        if (!slot.ready) {
          this.failedStarts++;
          if (this.failedStarts > 3 || this.closed) { this.broken = why; this.failAll(why); reject(new Error(why)); return; }
        }
        this.crashed(i, slot, why).then(resolve, reject);
      };
      worker.on('error', (e) => fail(`worker error: ${e.message}`));
      worker.on('exit', (code) => { slot.exited = true; fail(`worker exited with code ${code}`); });
    });
  }

  /** The head job of a dead worker is reported as an internal error; the rest go back to the queue. */
  private async crashed(i: number, slot: Slot, why: string): Promise<void> {
    const [head, ...rest] = slot.inFlight;
    slot.inFlight = [];
    this.queue.unshift(...rest.map((p) => ({ job: p.job, resolve: p.resolve })));
    head?.resolve({ id: head.job.id, file: head.job.file, status: 'skipped', note: `internal error: ${why} while indexing this file (worker restarted)` });
    if (this.closed) { this.failAll('indexing stopped'); return; }
    this.restarts++;
    void slot.worker.terminate().catch(() => undefined);
    await this.spawn(i);
  }

  private checkTimeouts(limit: number): void {
    const now = Date.now();
    this.slots.forEach((slot, i) => {
      const head = slot?.inFlight[0];
      if (!slot || slot.dead || !head?.started || now - head.started < limit) return;
      slot.dead = true;
      void slot.worker.terminate().catch(() => undefined);
      void this.crashed(i, slot, `timed out after ${Math.round(limit / 1000)} s`).catch(() => undefined);
    });
  }

  private failAll(why: string): void {
    for (const p of this.queue.splice(0)) p.resolve({ id: p.job.id, file: p.job.file, status: 'skipped', note: `not indexed: ${why}` });
  }

  private pump(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!slot || !slot.ready || slot.dead) continue;
      while (slot.inFlight.length < IN_FLIGHT && this.queue.length > 0) {
        const p = this.queue.shift()!;
        if (slot.inFlight.length === 0) p.started = Date.now();
        slot.inFlight.push(p);
        slot.worker.postMessage(p.job);
      }
    }
  }

  /** Queues a job; resolves with its result (never rejects). */
  run(job: Omit<Job, 'id'>): Promise<JobResult> {
    return new Promise((resolve) => {
      const full: Job = { ...job, id: this.nextId++ };
      if (this.closed || this.broken) { resolve({ id: full.id, file: full.file, status: 'skipped', note: `not indexed: ${this.broken ?? 'indexing stopped'}` }); return; }
      this.queue.push({ job: full, resolve });
      this.pump();
    });
  }

  /** Jobs queued or running. */
  get pending(): number { return this.queue.length + this.slots.reduce((n, s) => n + (s?.inFlight.length ?? 0), 0); }

  /** Stops all workers; jobs not finished resolve as skipped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.failAll('indexing stopped');
    const slots = this.slots.filter(Boolean);
    for (const s of slots) {
      s.dead = true;
      for (const p of s.inFlight.splice(0)) p.resolve({ id: p.job.id, file: p.job.file, status: 'skipped', note: 'not indexed: indexing stopped' });
    }
    // ask first: a worker that exits by itself disposes its runner and closes its cache files, instead of being
    // cut off in the middle of an append
    await Promise.all(slots.map((s) => new Promise<void>((resolve) => {
      const kill = () => { s.worker.terminate().catch(() => undefined).finally(resolve); };
      if (s.exited) { resolve(); return; }
      const timer = setTimeout(kill, EXIT_GRACE_MS);
      s.worker.once('exit', () => { clearTimeout(timer); resolve(); });
      try { s.worker.postMessage({ type: 'exit' }); } catch { clearTimeout(timer); kill(); }
    })));
    // the workers' malloc arenas keep what they freed (native parser trees, file buffers) after they are gone
    releaseFreedMemory();
  }
}
