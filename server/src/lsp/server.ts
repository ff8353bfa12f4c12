// The GFP Lens language server: wires LSP requests and notifications to the engine. The only part of
// the project that speaks LSP (DESIGN §3). Startup order: initialize creates the engine; initialized
// reads settings, analyses and publishes open documents FIRST, then indexes the workspace in the
// background and republishes. Every handler is guarded: cancellation gives an empty answer, an
// exception is logged and gives an empty answer; the server never crashes on input.
import { tuneHeap } from '../heap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CodeActionKind, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, FileChangeType,
  MarkupKind, ProposedFeatures, TextDocumentSyncKind, TextDocuments, createConnection,
} from 'vscode-languageserver/node';
import type {
  CodeAction, CodeActionParams, Connection, ExecuteCommandParams, Hover, HoverParams, InitializeParams, InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createEngine } from '../engine';
import type { Engine, Snapshot } from '../engine';
import { AllocationSitesRequest, Commands } from '../protocol';
import type { AllocationSitesParams, AllocationSitesResult } from '../protocol';
import { FixAllKind, codeActions } from './codeActions';
import { parseSettings, sameList } from './config';
import type { ServerSettings } from './config';
import { rangeOf, toWireSite } from './convert';
import { DocumentAnalyzer } from './documents';
import { WorkspaceIndexer } from './indexer';
import { describe, guard, guardVoid } from './safe';
import { UriMap } from './uris';

export const SERVER_NAME = 'gfp-lens';
const SOURCE_RE = /\.(c|h)$/i;

export interface StartOptions {
  /** Force stdio transport even when the command line names none (the CLI's `lsp` subcommand). */
  stdio?: boolean;
}

export function startServer(options: StartOptions = {}): Connection {
  tuneHeap();
  const argv = process.argv;
  const hasTransport = argv.some(a => /^--(stdio|node-ipc|socket|pipe)/.test(a));
  const connection = options.stdio && !hasTransport
    ? createConnection(ProposedFeatures.all, process.stdin, process.stdout)
    : createConnection(ProposedFeatures.all);
  const log = { error: (m: string) => connection.console.error(m) };
  const documents = new TextDocuments(TextDocument);
  const uris = new UriMap();
  const analyzer = new DocumentAnalyzer(connection, documents, uris);
  let engine: Engine | undefined;
  let settings: ServerSettings = parseSettings(undefined);
  let roots: string[] = [];
  let caps = { configuration: false, progress: false, watchedFilesDynamic: false, configurationDynamic: false, workspaceFolders: false };
  let initialized = false;
  const indexer = new WorkspaceIndexer(connection, () => engine, () => caps.progress);
  let statusTimer: NodeJS.Timeout | undefined;
  analyzer.onPublished = () => {
    // Refresh the status-bar counts after edits, at most a few times a second.
    if (indexer.running || !initialized || statusTimer) return;
    statusTimer = setTimeout(() => { statusTimer = undefined; if (!indexer.running) indexer.sendStatus(); }, 250);
  };

  const indexHooks = {
    before: () => { engine?.holdBackground(true); },
    after: () => {
      engine?.holdBackground(false);
      analyzer.invalidateAll();
      engine?.analyze(); // a large tree: starts the background analysis; the last session's findings stay until it is done
      if (!engine?.partial) analyzer.setProvisional(undefined);
      analyzer.publishAll();
    },
    isOpen: (file: string) => uris.isOpen(file),
    openText: (file: string) => { const u = uris.toUri(file); return documents.get(u)?.getText(); },
    provisional: (snap: Snapshot) => { analyzer.setProvisional(snap); analyzer.publishAll(); indexer.sendStatus(); },
  };
  const reindex = (prune: boolean) => {
    if (!engine || roots.length === 0) {
      // No folder (any more): keep only open documents.
      if (engine && prune) { for (const f of engine.files()) if (!uris.isOpen(f)) engine.removeFile(f); analyzer.publishAll(); }
      indexer.state = 'ready';
      indexer.sendStatus();
      return Promise.resolve();
    }
    indexer.indexOptions = { workers: settings.index.workers, cacheDir: settings.index.cachePath ?? (storagePath ? path.join(storagePath, 'cache') : undefined) };
    return indexer.run(roots, settings.exclude, indexHooks, prune);
  };
  let storagePath: string | undefined;
  /** The engine's background analysis or refresh is done: show its results. */
  const analysed = () => {
    analyzer.setProvisional(undefined);
    analyzer.publishAll();
    if (engine) indexer.analysisDone(engine);
  };

  connection.onInitialize(async (params: InitializeParams): Promise<InitializeResult> => {
    const c = params.capabilities;
    caps = {
      configuration: !!c.workspace?.configuration,
      progress: !!c.window?.workDoneProgress,
      watchedFilesDynamic: !!c.workspace?.didChangeWatchedFiles?.dynamicRegistration,
      configurationDynamic: !!c.workspace?.didChangeConfiguration?.dynamicRegistration,
      workspaceFolders: !!c.workspace?.workspaceFolders,
    };
    const folders = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: '' }] : []);
    roots = folders.filter(f => f.uri.startsWith('file:')).map(f => uris.toPath(f.uri));
    const init = params.initializationOptions as { storagePath?: unknown; globalStoragePath?: unknown } | undefined;
    const sp = typeof init?.storagePath === 'string' ? init.storagePath : typeof init?.globalStoragePath === 'string' ? init.globalStoragePath : undefined;
    storagePath = sp;
    analyzer.roots = roots;
    try {
      engine = await createEngine(parseSettings(params.initializationOptions).engine);
      engine.background = { minFunctions: backgroundMinFunctions(), onDone: analysed };
      analyzer.engine = engine;
    } catch (e) {
      connection.console.error(`gfp-lens: the analysis engine failed to start: ${describe(e)}`);
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite, FixAllKind] },
        executeCommandProvider: { commands: [Commands.reindex] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: SERVER_NAME, version: serverVersion() },
    };
  });

  async function readSettings(): Promise<void> {
    if (!caps.configuration) return;
    try {
      const raw = await connection.workspace.getConfiguration({ section: 'gfpLens' });
      settings = parseSettings(raw);
      for (const n of settings.notes) connection.console.warn(`gfp-lens: ${n}`);
      engine?.setOptions(settings.engine);
      analyzer.invalidateAll();
    } catch (e) {
      connection.console.error(`gfp-lens: reading settings failed: ${describe(e)}`);
    }
  }

  connection.onInitialized(guardVoid(log, 'initialized', async () => {
    if (caps.configurationDynamic) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'gfpLens' }).catch(() => {});
    if (caps.watchedFilesDynamic) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.{c,h}' }] }).catch(() => {});
    }
    if (caps.workspaceFolders) connection.workspace.onDidChangeWorkspaceFolders(guardVoid(log, 'workspace folders', async e => {
      const removed = new Set(e.removed.map(f => uris.toPath(f.uri)));
      roots = roots.filter(r => !removed.has(r)).concat(e.added.filter(f => f.uri.startsWith('file:')).map(f => uris.toPath(f.uri)));
      analyzer.roots = roots;
      await reindex(removed.size > 0);
    }));
    if (!engine) void connection.window.showErrorMessage('GFP Lens: the analysis engine failed to start; see the GFP Lens output for details.');
    indexer.state = 'starting';
    indexer.sendStatus();
    await readSettings();
    initialized = true; // documents opened before this point are analysed now, with the user's settings
    analyzer.publishAll(); // open documents first, before the (possibly long) workspace index
    await reindex(false);
  }));

  connection.onDidChangeConfiguration(guardVoid(log, 'configuration', async () => {
    if (!initialized) return;
    const old = settings;
    await readSettings();
    // Summaries depend on the allocator list and the size limit: those changes need a re-index.
    const resummarize = JSON.stringify(old.engine.extraAllocators ?? {}) !== JSON.stringify(settings.engine.extraAllocators ?? {})
      || old.engine.maxFileBytes !== settings.engine.maxFileBytes;
    if (resummarize || !sameList(old.exclude, settings.exclude)) await reindex(true);
    else analyzer.publishAll();
    indexer.sendStatus();
  }));

  // Files changed on disk (not open in the editor): coalesced in short batches, so duplicate events
  // (a client that watches files itself and honours our registration) and checkout storms cost one pass.
  const pendingFiles = new Map<string, FileChangeType>();
  let filesTimer: NodeJS.Timeout | undefined;
  const applyFileChanges = guardVoid(log, 'watched files', () => {
    filesTimer = undefined;
    if (!engine) return;
    const open = new Set(documents.all().map(d => uris.toPath(d.uri)));
    const batch = [...pendingFiles];
    pendingFiles.clear();
    let changed = false;
    for (const [file, type] of batch) {
      if (open.has(file)) continue; // open documents: the editor's text wins
      try {
        let text: string | undefined;
        if (type !== FileChangeType.Deleted) {
          try { text = fs.readFileSync(file, 'utf8'); } catch { text = undefined; }
        }
        if (text === undefined) engine.removeFile(file); else engine.indexText(file, text);
        changed = true;
      } catch (e) {
        connection.console.error(`gfp-lens: updating ${file} failed: ${describe(e)}`);
      }
    }
    if (changed) analyzer.publishAll();
  });
  connection.onDidChangeWatchedFiles(guardVoid(log, 'watched files', params => {
    for (const ch of params.changes) {
      if (!ch.uri.startsWith('file:')) continue;
      const file = uris.toPath(ch.uri);
      if (SOURCE_RE.test(file)) pendingFiles.set(file, ch.type);
    }
    if (pendingFiles.size > 0 && !filesTimer) filesTimer = setTimeout(applyFileChanges, 50);
  }));

  documents.onDidOpen(guardVoid(log, 'didOpen', e => { uris.remember(e.document.uri); if (initialized) analyzer.analyseNow(e.document.uri); }));
  documents.onDidChangeContent(guardVoid(log, 'didChange', e => { if (initialized) analyzer.schedule(e.document.uri); }));
  documents.onDidClose(guardVoid(log, 'didClose', e => analyzer.closed(e.document.uri)));

  connection.onHover(guard(log, 'hover', null, (params: HoverParams): Hover | null => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc || !engine) return null;
    const file = analyzer.ensureCurrent(doc);
    if (!file) return null;
    const h = engine.hover(file, doc.offsetAt(params.position));
    if (!h || !h.markdown) return null;
    const note = engine.partial ? '\n\n---\n*GFP Lens is still analysing the whole tree: contexts that come from other files are not shown yet.*' : '';
    return { contents: { kind: MarkupKind.Markdown, value: h.markdown + note }, range: rangeOf(h.span) };
  }));

  connection.onCodeAction(guard(log, 'codeAction', [] as CodeAction[], (params: CodeActionParams): CodeAction[] => {
    const doc = documents.get(params.textDocument.uri);
    if (!doc || !engine) return [];
    const file = analyzer.ensureCurrent(doc); // fixes must be computed for the text the client has now
    if (!file || analyzer.analysedVersion(doc.uri) !== doc.version) return [];
    const start = doc.offsetAt(params.range.start);
    const end = doc.offsetAt(params.range.end);
    const selection = end > start
      ? (['noio', 'nofs'] as const).map(k => engine!.wrapSelection(file, start, end, k)).filter((x): x is NonNullable<typeof x> => !!x)
      : [];
    return codeActions(doc, file, engine.findings(file), params, f => uris.toUri(f), selection);
  }));

  connection.onRequest(AllocationSitesRequest, guard(log, AllocationSitesRequest, null as AllocationSitesResult | null,
    (params: AllocationSitesParams): AllocationSitesResult | null => {
      if (!engine || !params?.uri) return null;
      const doc = documents.get(params.uri);
      const file = doc ? analyzer.ensureCurrent(doc) : uris.toPath(params.uri);
      if (!file) return null;
      let offset: number | undefined;
      if (params.position) {
        if (doc) offset = doc.offsetAt(params.position);
        else {
          try { offset = TextDocument.create(params.uri, 'c', 0, fs.readFileSync(file, 'utf8')).offsetAt(params.position); } catch { offset = undefined; }
        }
      }
      const sites = engine.allocations(file, offset).map(a => toWireSite(a, f => uris.toUri(f)));
      return { uri: params.uri, version: doc ? doc.version : null, sites };
    }));

  connection.onExecuteCommand(guard(log, 'executeCommand', null, (params: ExecuteCommandParams) => {
    if (params.command === Commands.reindex) void reindex(true).catch(e => log.error(describe(e)));
    return null;
  }));

  connection.onShutdown(() => {
    // findings as they are now, for the next start (only when no re-analysis is pending: shutdown must be quick)
    if (engine && !indexer.running) indexer.saveSnapshot(engine, true);
    void indexer.cancel();
    analyzer.dispose();
    if (statusTimer) clearTimeout(statusTimer);
    if (filesTimer) clearTimeout(filesTimer);
  });
  connection.onExit(() => { try { engine?.dispose(); } catch { /* exiting anyway */ } });

  documents.listen(connection);
  connection.listen();
  return connection;
}

/**
 * Trees with at least this many functions are analysed in the background (engine BackgroundMode): about 0.4 s of
 * analysis on the reference machine; the kernel has 700 k. GFP_LENS_BACKGROUND_MIN_FUNCTIONS overrides it (tests).
 */
export function backgroundMinFunctions(): number {
  const v = Number(process.env.GFP_LENS_BACKGROUND_MIN_FUNCTIONS);
  return Number.isFinite(v) && v >= 0 && process.env.GFP_LENS_BACKGROUND_MIN_FUNCTIONS !== '' ? v : 10000;
}

/** The extension/CLI version from the package.json that ships beside dist/. */
export function serverVersion(): string {
  for (const rel of ['../package.json', '../../../package.json', '../../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, rel), 'utf8'));
      if (pkg && pkg.name === 'gfp-lens' && typeof pkg.version === 'string') return pkg.version;
    } catch { /* try the next */ }
  }
  return '0.0.0';
}
