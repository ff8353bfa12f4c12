// Test harness for the language server: starts the BUNDLED dist/server.js --stdio as a child process,
// drives it with a real JSON-RPC client (vscode-jsonrpc), answers the server's own requests
// (configuration, capability registration, progress creation) and records what it publishes.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancellationTokenSource, ProgressType, StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, PublishDiagnosticsParams, TextEdit, WorkspaceEdit } from 'vscode-languageserver-protocol';

export const ROOT = path.resolve(__dirname, '../../..');
export const SERVER = path.join(ROOT, 'dist', 'server.js');
export const WAIT_MS = Number(process.env.GFP_LENS_TEST_WAIT_MS ?? 30000);

export interface StatusParams { state: string; filesDone: number; filesTotal: number; errors: number; warnings: number; hints: number }

export class Session {
  readonly publishes: PublishDiagnosticsParams[] = [];
  readonly statuses: StatusParams[] = [];
  readonly logs: string[] = [];
  readonly progressTokens: (string | number)[] = [];
  readonly progress: { token: string | number; value: { kind: string; percentage?: number; message?: string } }[] = [];
  /** Order of arrival: "publish <uri>", "status <state>" and "log <message>". */
  readonly events: string[] = [];
  readonly docs = new Map<string, TextDocument>();
  settings: unknown = {};
  private listeners = new Set<() => void>();
  exited = false;
  /** The workspace belongs to the test (startSession's `workspace` option): shutdown leaves it. */
  keepWorkspace = false;

  constructor(readonly child: ChildProcessWithoutNullStreams, readonly conn: MessageConnection, readonly workspace: string) {
    child.on('exit', () => { this.exited = true; this.notify(); });
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => { this.publishes.push(p); this.events.push(`publish ${p.uri}`); this.notify(); });
    conn.onNotification('gfpLens/status', (p: StatusParams) => { this.statuses.push(p); this.events.push(`status ${p.state}`); this.notify(); });
    conn.onNotification('window/logMessage', (p: { message: string }) => { this.logs.push(p.message); this.events.push(`log ${p.message}`); });
    conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => this.settings));
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('client/unregisterCapability', () => null);
    // $/progress is dispatched by token (onProgress), not as a plain notification.
    conn.onRequest('window/workDoneProgress/create', (p: { token: string | number }) => {
      this.progressTokens.push(p.token);
      conn.onProgress(new ProgressType<{ kind: string; percentage?: number; message?: string }>(), p.token, value => {
        this.progress.push({ token: p.token, value }); this.notify();
      });
      return null;
    });
    conn.listen();
  }

  private notify(): void { for (const l of [...this.listeners]) l(); }

  /** Resolves with the first value `probe` returns (checked now and on every notification). */
  waitFor<T>(what: string, probe: () => T | undefined, timeout = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v: T | undefined;
        try { v = probe(); } catch (e) { finish(); reject(e); return; }
        if (v !== undefined) { finish(); resolve(v); }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeout} ms waiting for ${what}\nlast publishes: ${JSON.stringify(this.publishes.slice(-3), null, 1).slice(0, 3000)}\nlogs:\n${this.logs.slice(-20).join('\n')}`));
      }, timeout);
      const finish = () => { clearTimeout(timer); this.listeners.delete(check); };
      this.listeners.add(check);
      check();
    });
  }

  /** The newest diagnostics published for `uri`. */
  latest(uri: string): PublishDiagnosticsParams | undefined {
    for (let i = this.publishes.length - 1; i >= 0; i--) if (this.publishes[i].uri === uri) return this.publishes[i];
    return undefined;
  }

  /** Waits until the newest publish for `uri` is for the document's current version and satisfies `pred`. */
  waitForDiagnostics(uri: string, pred: (d: Diagnostic[]) => boolean = () => true, what = 'diagnostics'): Promise<Diagnostic[]> {
    return this.waitFor(`${what} for ${path.basename(uri)} v${this.docs.get(uri)?.version}`, () => {
      const p = this.latest(uri);
      const doc = this.docs.get(uri);
      if (!p || (doc && p.version !== undefined && p.version !== doc.version)) return undefined;
      return pred(p.diagnostics) ? p.diagnostics : undefined;
    });
  }

  uri(rel: string): string { return pathToFileURL(path.join(this.workspace, rel)).href; }

  open(uri: string, text: string, languageId = 'c'): TextDocument {
    const doc = TextDocument.create(uri, languageId, 1, text);
    this.docs.set(uri, doc);
    void this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return doc;
  }

  openFile(rel: string): TextDocument {
    return this.open(this.uri(rel), fs.readFileSync(path.join(this.workspace, rel), 'utf8'));
  }

  /** Applies incremental edits (ranges in the current text) and sends them as one didChange. */
  change(uri: string, edits: TextEdit[]): TextDocument {
    const doc = this.docs.get(uri)!;
    const version = doc.version + 1;
    const changes = edits.map(e => ({ range: e.range, text: e.newText }));
    TextDocument.update(doc, changes, version);
    void this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
    return doc;
  }

  close(uri: string): void {
    this.docs.delete(uri);
    void this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  hover(uri: string, line: number, character: number, token?: CancellationTokenSource): Promise<{ contents: { kind: string; value: string }; range?: unknown } | null> {
    const params = { textDocument: { uri }, position: { line, character } };
    // Pass the token only when there is one: an explicit undefined would be sent as a positional param.
    return token ? this.conn.sendRequest('textDocument/hover', params, token.token) : this.conn.sendRequest('textDocument/hover', params);
  }

  async shutdown(): Promise<void> {
    try {
      if (!this.exited) {
        await Promise.race([this.conn.sendRequest('shutdown'), new Promise(r => setTimeout(r, 3000))]);
        void this.conn.sendNotification('exit');
      }
    } catch { /* the server may be gone already */ }
    await new Promise<void>(resolve => {
      if (this.exited) return resolve();
      const t = setTimeout(() => { this.child.kill('SIGKILL'); resolve(); }, 3000);
      this.child.once('exit', () => { clearTimeout(t); resolve(); });
    });
    this.conn.dispose();
    if (!this.keepWorkspace) fs.rmSync(this.workspace, { recursive: true, force: true });
  }
}

/** Copies samples/ to a temp workspace, starts the server, runs initialize + initialized. */
export async function startSession(options: {
  settings?: unknown; args?: string[]; command?: string[]; setup?: (workspace: string) => void;
  /** Use this folder as the workspace (not copied, not deleted at shutdown). */
  workspace?: string;
  /** Extra environment variables of the server process. */
  env?: Record<string, string>;
} = {}): Promise<Session> {
  const workspace = options.workspace ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-lsp-'));
  if (!options.workspace) fs.cpSync(path.join(ROOT, 'samples'), workspace, { recursive: true });
  options.setup?.(workspace);
  const command = options.command ?? [SERVER, '--stdio'];
  const child = spawn(process.execPath, [...command, ...(options.args ?? [])], { cwd: workspace, stdio: 'pipe', env: { ...process.env, ...options.env } });
  const stderr: string[] = [];
  child.stderr.on('data', d => { stderr.push(String(d)); });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const s = new Session(child, conn, workspace);
  s.keepWorkspace = !!options.workspace;
  if (options.settings !== undefined) s.settings = options.settings;
  const rootUri = pathToFileURL(workspace).href;
  let initTimer: NodeJS.Timeout | undefined;
  const init = await Promise.race([
    conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'samples' }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true, didChangeWatchedFiles: { dynamicRegistration: true } },
        window: { workDoneProgress: true },
        textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true }, hover: { contentFormat: ['markdown'] } },
      },
    }),
    new Promise((_, reject) => { initTimer = setTimeout(() => reject(new Error(`initialize timed out; server stderr: ${stderr.join('')}`)), WAIT_MS); }),
  ]).finally(() => clearTimeout(initTimer));
  (s as { initializeResult?: unknown }).initializeResult = init;
  void conn.sendNotification('initialized', {});
  return s;
}

export function initializeResult(s: Session): { capabilities: Record<string, unknown>; serverInfo?: { name: string; version?: string } } {
  return (s as unknown as { initializeResult: never }).initializeResult;
}

/** Applies a WorkspaceEdit the way a careful client does: refuses it when a document version differs. */
export function applyWorkspaceEdit(edit: WorkspaceEdit, docs: Map<string, TextDocument>): Map<string, string> | { refused: string } {
  const out = new Map<string, string>();
  for (const change of edit.documentChanges ?? []) {
    if (!('textDocument' in change)) return { refused: 'resource operations are not expected' };
    const doc = docs.get(change.textDocument.uri);
    if (!doc) return { refused: `unknown document ${change.textDocument.uri}` };
    if (change.textDocument.version !== null && change.textDocument.version !== doc.version) {
      return { refused: `version ${change.textDocument.version} != current ${doc.version}` };
    }
    out.set(doc.uri, TextDocument.applyEdits(doc, change.edits as TextEdit[]));
  }
  if (edit.changes) return { refused: 'unversioned changes' };
  return out;
}

export function delay(ms: number): Promise<void> { return new Promise(r => setTimeout(r, ms)); }

export { CancellationTokenSource };
