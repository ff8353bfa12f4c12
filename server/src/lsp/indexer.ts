// Indexes the workspace folders in the background under LSP work-done progress, one run at a time
// (a new run cancels the previous one), and sends the gfpLens/status notification as it goes. Before a run it
// offers the last session's results snapshot when no file changed (shown until the run is done); after a
// complete run, and at shutdown when the analysis is current, it stores a new one (engine/snapshot.ts).
import type { Connection, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { buildSnapshot, describeCompaction, indexTree, listSourceFilesAsync, maintainCache, nativeParserNote, readSnapshot, snapshotKey, snapshotPath, verifySnapshot, writeSnapshot } from '../engine';
import type { Engine, EngineProblem, FileStamp, Finding, Snapshot } from '../engine';
import { StatusNotification } from '../protocol';
import type { StatusParams } from '../protocol';
import { describe } from './safe';

export interface IndexHooks {
  before(): void; after(cancelled: boolean): void; isOpen(file: string): boolean;
  /** The editor's text of an open document. */
  openText(file: string): string | undefined;
  /** Findings of the last session, valid for the tree as it is now (shown until the index is done). */
  provisional(snap: Snapshot): void;
}

/** A results snapshot is not used when more than this many files changed their stat (hashing them would stall the server). */
const MAX_HASHED_AT_START = 500;

export class WorkspaceIndexer {
  private current: { token: { cancelled: boolean }; done: Promise<void> } | undefined;
  state: StatusParams['state'] = 'starting';
  filesDone = 0;
  filesTotal = 0;
  private lastStatus = 0;
  private generation = 0;
  private chain: Promise<void> = Promise.resolve();

  /** Worker count and summary cache folder passed to every index run (set from settings and the client's storage). */
  indexOptions: { workers?: number; cacheDir?: string } = {};

  constructor(private connection: Connection, private getEngine: () => Engine | undefined, private supportsProgress: () => boolean) {}

  get running(): boolean { return this.current !== undefined; }

  /** Sends the status notification now (counts come from all findings the engine knows). */
  sendStatus(): void {
    const params: StatusParams = { state: this.state, filesDone: this.filesDone, filesTotal: this.filesTotal, errors: 0, warnings: 0, hints: 0 };
    const engine = this.getEngine();
    const count = (findings: Finding[]) => {
      for (const f of findings) {
        if (f.severity === 'error') params.errors++;
        else if (f.severity === 'warning') params.warnings++;
        else params.hints++;
      }
    };
    if (params.state === 'ready' && engine?.partial) params.state = 'analysing';
    const snap = this.lastSnapshot;
    if (snap && (params.state === 'indexing' || params.state === 'analysing')) count(snap.findings);
    else if (engine && params.state === 'ready') {
      try {
        count(engine.findings());
      } catch (e) { this.connection.console.error(`gfp-lens: counting findings failed: ${describe(e)}`); }
    }
    this.lastStatus = Date.now();
    void this.connection.sendNotification(StatusNotification, params).catch(() => {});
  }

  /** Shows the last session's findings at once when no file changed since (snapshot.ts). */
  private useSnapshot(engine: Engine, roots: string[], exclude: string[], files: string[], hooks: IndexHooks): void {
    const dir = this.indexOptions.cacheDir;
    if (!dir) return;
    try {
      const key = snapshotKey(roots, exclude, engine.options);
      const snap = readSnapshot(snapshotPath(dir, key), key);
      if (!snap) return;
      const v = verifySnapshot(snap, files, { maxHashed: MAX_HASHED_AT_START, openText: f => (hooks.isOpen(f) ? hooks.openText(f) : undefined) });
      if (!v.ok) { this.connection.console.info(`gfp-lens: last session's results not used: ${v.reason}`); return; }
      this.connection.console.info(`gfp-lens: showing the findings of ${snap.created} (no file changed) until indexing is done`);
      this.lastSnapshot = snap;
      hooks.provisional(snap);
    } catch (e) {
      this.connection.console.warn(`gfp-lens: reading the last session's results failed: ${describe(e)}`);
    }
  }

  /** Findings of the last session while the current index is being built and analysed (status counts come from it). */
  lastSnapshot: Snapshot | undefined;
  /** A complete index whose results snapshot waits for the background analysis. */
  private snapshotDue = false;

  /** The engine's background analysis finished: store the snapshot an index run left due, update the status. */
  analysisDone(engine: Engine): void {
    this.lastSnapshot = undefined;
    if (this.snapshotDue && engine.isCurrent) { this.snapshotDue = false; this.saveSnapshot(engine, true); }
    this.sendStatus();
  }
  /** What the last complete index saw (the files a snapshot must cover). */
  private lastIndex: { roots: string[]; exclude: string[]; listed: string[]; stamps: Map<string, FileStamp>; skipped: EngineProblem[]; files: number } | undefined;

  /**
   * Stores the findings of the whole tree for the next start. `onlyIfCurrent`: do nothing unless the engine's
   * analysis already covers every edit (at shutdown, where a full analysis would be too slow).
   */
  saveSnapshot(engine: Engine, onlyIfCurrent: boolean): void {
    const dir = this.indexOptions.cacheDir;
    const last = this.lastIndex;
    if (!dir || !last || (onlyIfCurrent && !engine.isCurrent)) return;
    try {
      const findings = engine.findings();
      const key = snapshotKey(last.roots, last.exclude, engine.options);
      const snap = buildSnapshot(key, last.listed, engine, last.stamps, findings, last.skipped, last.files);
      if (snap) writeSnapshot(snapshotPath(dir, key), snap);
    } catch (e) {
      this.connection.console.warn(`gfp-lens: saving results for the next start failed: ${describe(e)}`);
    }
  }

  async cancel(): Promise<void> {
    const c = this.current;
    if (!c) return;
    c.token.cancelled = true;
    await c.done;
  }

  /**
   * (Re)indexes `roots`. `prune`: drop engine files that are no longer listed (after an exclude change).
   * `before`/`after` run around the indexing (after: the caller re-feeds and republishes open documents).
   */
  run(roots: string[], exclude: string[], hooks: IndexHooks, prune = false): Promise<void> {
    // Runs are serialized: a new request cancels the running one, and only the newest queued one runs.
    const generation = ++this.generation;
    if (this.current) this.current.token.cancelled = true;
    const next = this.chain.then(() => (generation === this.generation ? this.runOnce(roots, exclude, hooks, prune) : undefined));
    this.chain = next.catch(() => {});
    return next;
  }

  private async runOnce(roots: string[], exclude: string[], hooks: IndexHooks, prune: boolean): Promise<void> {
    const engine = this.getEngine();
    if (!engine) return;
    const token = { cancelled: false };
    let finish!: () => void;
    const done = new Promise<void>(r => { finish = r; });
    this.current = { token, done };
    let reporter: WorkDoneProgressReporter | undefined;
    try {
      this.state = 'indexing';
      this.filesDone = 0;
      this.filesTotal = 0;
      this.sendStatus();
      if (this.supportsProgress()) {
        try {
          const r = await this.connection.window.createWorkDoneProgress();
          r.token.onCancellationRequested(() => { token.cancelled = true; });
          r.begin('GFP Lens: indexing', 0, 'listing files', true);
          reporter = r;
        } catch (e) {
          this.connection.console.warn(`gfp-lens: no progress UI: ${describe(e)}`);
        }
      }
      hooks.before();
      const listing = await listSourceFilesAsync(roots, exclude);
      if (prune) {
        const keep = new Set(listing.files);
        for (const f of engine.files()) if (!keep.has(f) && !hooks.isOpen(f)) engine.removeFile(f);
      }
      const started = Date.now();
      this.useSnapshot(engine, roots, exclude, listing.files, hooks);
      const result = await indexTree(engine, roots, {
        exclude,
        listing,
        token,
        workers: this.indexOptions.workers || undefined,
        cacheDir: this.indexOptions.cacheDir,
        skip: file => hooks.isOpen(file), // the editor's text of open documents wins over the disk
        onProgress: p => {
          this.filesDone = p.done;
          this.filesTotal = p.total;
          const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
          reporter?.report(pct, `${p.done}/${p.total}`);
          if (Date.now() - this.lastStatus > 200) this.sendStatus();
        },
      });
      for (const s of result.skipped.slice(0, 50)) this.connection.console.info(`gfp-lens: skipped ${s.file}: ${s.message}`);
      if (result.skipped.length > 50) this.connection.console.info(`gfp-lens: ... and ${result.skipped.length - 50} more skipped`);
      this.connection.console.info(`gfp-lens: indexed ${result.files} files in ${Date.now() - started} ms${result.cancelled ? ' (cancelled)' : ''}; ${nativeParserNote()}`);
      this.filesDone = Math.max(this.filesDone, result.files);
      this.filesTotal = Math.max(this.filesTotal, this.filesDone);
      hooks.after(result.cancelled);
      if (!result.cancelled) {
        this.lastIndex = { roots, exclude, listed: result.listed, stamps: result.skippedStamps, skipped: result.skipped, files: result.files };
        const cacheDir = this.indexOptions.cacheDir;
        if (cacheDir && result.hashes) {
          // in the background: records this tree's live set and compacts the packs when they hold enough dead entries
          void maintainCache(cacheDir, { extraAllocators: engine.options.extraAllocators }, roots, result.hashes)
            .then((r) => { try { this.connection.console.info(`gfp-lens: ${describeCompaction(r)}`); } catch { /* connection gone */ } });
        }
        engine.analyze(); // in background mode a large tree is analysed in slices: the snapshot is stored when that is done
        if (engine.partial) this.snapshotDue = true; else this.saveSnapshot(engine, false);
      }
    } catch (e) {
      this.connection.console.error(`gfp-lens: indexing failed: ${describe(e)}`);
      try { hooks.after(true); } catch { /* reported above */ }
    } finally {
      reporter?.done();
      if (!engine.partial) this.lastSnapshot = undefined;
      if (this.current?.token === token) this.current = undefined;
      this.state = 'ready';
      this.sendStatus();
      finish();
    }
  }
}
