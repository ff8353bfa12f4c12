// Keeps the engine's view of open documents in step with the editor and publishes their diagnostics.
// Invariants: (1) before any query about an open document the engine holds exactly that document's
// newest text (ensureCurrent, synchronous, so nothing can interleave between update and query; the
// engine keeps the text of open files and indexing never overwrites them);
// (2) diagnostics are only ever published for the version the engine analysed, which is the newest
// open version, tagged with that version (while the workspace index loads, a version whose text hashes to
// what the last session's results snapshot saw may show that snapshot's findings instead); (3) a closed
// document leaves no diagnostics behind.
import * as fs from 'node:fs';
import type { Connection, Diagnostic, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { contentHash, type Engine, type FileStamp, type Finding, type Snapshot } from '../engine';
import { toDiagnostic } from './convert';
import { describe } from './safe';
import type { UriMap } from './uris';
import { isUnder } from './uris';

export const DEBOUNCE_MS = 75;
/** After edits were analysed incrementally, the full cross-file refresh runs once the editor is idle this long. */
export const SETTLE_MS = 1500;

export class DocumentAnalyzer {
  engine: Engine | undefined;
  /** Workspace folder roots (absolute paths). */
  roots: string[] = [];
  private engineVersion = new Map<string, number>();
  private published = new Map<string, { version: number; json: string }>();
  private timers = new Map<string, NodeJS.Timeout>();
  /**
   * The last session's findings (results snapshot) while the workspace index is being built: an open document
   * whose text is the one the snapshot saw shows them instead of what the half-loaded engine says.
   */
  private provisional: { byFile: Map<string, Finding[]>; hashes: Record<string, FileStamp>; checked: Map<string, { version: number; same: boolean }> } | undefined;
  setProvisional(snap: Snapshot | undefined): void {
    if (!snap) { this.provisional = undefined; return; }
    const byFile = new Map<string, Finding[]>();
    for (const f of snap.findings) {
      const list = byFile.get(f.span.file);
      if (list) list.push(f); else byFile.set(f.span.file, [f]);
    }
    this.provisional = { byFile, hashes: snap.files, checked: new Map() };
  }

  /** The snapshot's findings for `doc` if the snapshot saw exactly its current text. */
  private provisionalFor(doc: TextDocument, file: string): Finding[] | undefined {
    const p = this.provisional;
    const st = p?.hashes[file];
    if (!p || !st) return undefined;
    let seen = p.checked.get(doc.uri);
    if (seen?.version !== doc.version) p.checked.set(doc.uri, (seen = { version: doc.version, same: contentHash(doc.getText()) === st.hash }));
    return seen.same ? p.byFile.get(file) ?? [] : undefined;
  }

  /** Called after diagnostics were (re)published, e.g. to refresh the status counts. */
  onPublished: () => void = () => {};

  constructor(private connection: Connection, private documents: TextDocuments<TextDocument>, private uris: UriMap) {}

  /** Makes the engine hold `doc`'s current text. Returns the file id, or undefined without an engine. */
  ensureCurrent(doc: TextDocument): string | undefined {
    const engine = this.engine;
    if (!engine) return undefined;
    const file = this.uris.remember(doc.uri);
    if (this.engineVersion.get(doc.uri) !== doc.version) {
      this.engineVersion.delete(doc.uri);
      engine.updateFile(file, doc.getText());
      this.engineVersion.set(doc.uri, doc.version);
    }
    return file;
  }

  /** The version the engine holds for an open document (undefined if unknown). */
  analysedVersion(uri: string): number | undefined { return this.engineVersion.get(uri); }

  /** Debounced re-analysis after an edit. */
  schedule(uri: string): void {
    const old = this.timers.get(uri);
    if (old) clearTimeout(old);
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      this.publishAll();
    }, DEBOUNCE_MS));
  }

  /** Analyse now (no debounce), e.g. on open. */
  analyseNow(uri: string): void {
    const old = this.timers.get(uri);
    if (old) { clearTimeout(old); this.timers.delete(uri); }
    this.publishAll();
  }

  /** Forget what the engine holds, e.g. after the whole index was rebuilt or options changed. */
  invalidateAll(): void { this.engineVersion.clear(); }

  /**
   * Republishes every open document that is not waiting for its own debounce. Cross-file facts mean
   * an edit in one file can change another file's findings, so all open documents are refreshed.
   */
  publishAll(): void {
    if (!this.engine) return;
    const docs = this.documents.all().filter(d => !this.timers.has(d.uri));
    // Feed every open text first, then query: findings of one file may depend on another open file.
    const ready: TextDocument[] = [];
    for (const doc of docs) {
      try { this.ensureCurrent(doc); ready.push(doc); } catch (e) {
        // The engine's view of this file is unknown now: publish nothing rather than stale findings.
        this.connection.console.error(`gfp-lens: analysing ${doc.uri} failed: ${describe(e)}`);
        this.sendIfChanged(doc, []);
      }
    }
    for (const doc of ready) this.publish(doc);
    this.onPublished();
    this.scheduleSettle();
  }

  private settleTimer: NodeJS.Timeout | undefined;
  /** Edits take the engine's incremental path; refresh the rest of the tree when typing pauses. */
  private scheduleSettle(): void {
    if (this.settleTimer) clearTimeout(this.settleTimer);
    if (!this.engine?.needsSettle) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      if (this.timers.size) { this.scheduleSettle(); return; }
      // in slices between requests; the engine's onDone republishes (server.ts)
      this.engine?.settleInBackground().catch(e => this.connection.console.error(`gfp-lens: refresh failed: ${describe(e)}`));
    }, SETTLE_MS);
  }

  private publish(doc: TextDocument): void {
    const engine = this.engine;
    if (!engine) return;
    let diagnostics: Diagnostic[] = [];
    try {
      const file = this.uris.toPath(doc.uri);
      const toUri = (f: string) => this.uris.toUri(f);
      const found = this.provisionalFor(doc, file) ?? engine.findings(file);
      diagnostics = found.filter(f => f.span.file === file).map(f => toDiagnostic(f, doc.version, toUri));
    } catch (e) {
      this.connection.console.error(`gfp-lens: findings for ${doc.uri} failed: ${describe(e)}`);
    }
    this.sendIfChanged(doc, diagnostics);
  }

  private sendIfChanged(doc: TextDocument, diagnostics: Diagnostic[]): void {
    const json = JSON.stringify(diagnostics.map(d => ({ ...d, data: undefined })));
    const last = this.published.get(doc.uri);
    if (last && last.version === doc.version && last.json === json) return;
    this.published.set(doc.uri, { version: doc.version, json });
    void this.connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics }).catch(() => {});
  }

  /** A document was closed: drop its editor text (back to the disk text if it belongs to the workspace). */
  closed(uri: string): void {
    const t = this.timers.get(uri);
    if (t) { clearTimeout(t); this.timers.delete(uri); }
    this.engineVersion.delete(uri);
    this.published.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] }).catch(() => {});
    const file = this.uris.toPath(uri);
    this.uris.forget(uri);
    const engine = this.engine;
    if (!engine) return;
    try {
      let disk: string | undefined;
      if (!this.uris.isVirtual(file) && isUnder(file, this.roots)) {
        try { disk = fs.readFileSync(file, 'utf8'); } catch { disk = undefined; }
      }
      // Back to the disk text as an indexed (not open) file, or gone when it is outside the workspace.
      if (disk !== undefined) { engine.releaseText(file); engine.indexText(file, disk); } else engine.removeFile(file);
    } catch (e) {
      this.connection.console.error(`gfp-lens: closing ${uri} failed: ${describe(e)}`);
    }
    this.publishAll();
  }

  dispose(): void { for (const t of this.timers.values()) clearTimeout(t); this.timers.clear(); }
}
