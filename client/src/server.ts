// The connection to the GFP Lens language server (dist/server.js over node IPC). Starts and stops it
// with the `gfpLens.enable` setting, passes storage paths as initializationOptions, re-broadcasts the
// `gfpLens/status` notification (StatusParams) to every feature that wants it, and sends the
// client-owned command `gfpLens.reindex` as `workspace/executeCommand`.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DynamicFeature, ExecuteCommandRegistrationOptions, ExecuteCommandRequest, LanguageClient, LanguageClientOptions,
  RegistrationData, ServerOptions, State, StaticFeature, TransportKind,
} from 'vscode-languageclient/node';
import { Commands, StatusNotification, StatusParams } from '../../server/src/protocol';
import { serverProcessEnv } from '../../server/src/heap';

export type ServerState = 'disabled' | 'starting' | 'running' | 'stopped' | 'failed';

/** Command ids the extension registers itself; the server may advertise them, the client must not re-register them. */
const CLIENT_OWNED_COMMANDS: ReadonlySet<string> = new Set(Object.values(Commands));

/**
 * A LanguageClient that leaves our own command ids alone: if the server lists `gfpLens.reindex` in
 * executeCommandProvider, the stock ExecuteCommandFeature would register a VS Code command of the same
 * id, which throws "command already exists" and fails the client's start.
 */
class GfpLanguageClient extends LanguageClient {
  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const dynamic = feature as Partial<DynamicFeature<ExecuteCommandRegistrationOptions>>;
    if (dynamic.registrationType?.method === ExecuteCommandRequest.method && dynamic.register) {
      const register = dynamic.register.bind(feature);
      dynamic.register = (data: RegistrationData<ExecuteCommandRegistrationOptions>) => register({
        ...data,
        registerOptions: {
          ...data.registerOptions,
          commands: (data.registerOptions.commands ?? []).filter((c) => !CLIENT_OWNED_COMMANDS.has(c)),
        },
      });
    }
    super.registerFeature(feature);
  }
}

export class GfpServer implements vscode.Disposable {
  readonly client: LanguageClient;
  private readonly statusEmitter = new vscode.EventEmitter<StatusParams>();
  /** Every `gfpLens/status` notification, in order. */
  readonly onStatus = this.statusEmitter.event;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private _state: ServerState = 'stopped';
  private _lastStatus: StatusParams | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(context: vscode.ExtensionContext, private readonly output: vscode.LogOutputChannel) {
    const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
    const serverOptions: ServerOptions = {
      // A whole kernel tree needs about 1.3 GB of heap; Node's default limit is a quarter of the machine's memory.
      // One malloc arena: the indexing threads' freed memory goes back to the system (server/src/heap.ts).
      run: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--max-old-space-size=4096'], env: serverProcessEnv() } },
      debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'], env: serverProcessEnv() } },
    };
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.{c,h}');
    this.disposables.push(watcher);
    const clientOptions: LanguageClientOptions = {
      // `.h` files are language `cpp` in VS Code, so headers are selected by pattern (DESIGN §6).
      documentSelector: [
        { scheme: 'file', language: 'c' },
        { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
      ],
      synchronize: {
        configurationSection: 'gfpLens',
        fileEvents: watcher,
      },
      outputChannel: output,
      initializationOptions: {
        storagePath: context.storageUri?.fsPath,
        globalStoragePath: context.globalStorageUri.fsPath,
      },
    };
    // The id 'gfpLens' makes the client read `gfpLens.trace.server`.
    this.client = new GfpLanguageClient('gfpLens', 'GFP Lens', serverOptions, clientOptions);
    this.client.onNotification(StatusNotification, (params: StatusParams) => {
      this._lastStatus = params;
      this.statusEmitter.fire(params);
    });
    this.disposables.push(this.client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.setState('running');
      else if (e.newState === State.Starting) this.setState('starting');
      else if (this._state !== 'disabled' && this._state !== 'failed') this.setState('stopped');
    }));
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('gfpLens.enable')) void this.applyEnablement();
    }));
    // Storage folders may not exist yet; the server writes its cache there.
    for (const uri of [context.storageUri, context.globalStorageUri]) {
      if (uri) void Promise.resolve(vscode.workspace.fs.createDirectory(uri)).catch(() => undefined);
    }
  }

  get state(): ServerState { return this._state; }
  /** The last `gfpLens/status` received since the server (re)started. */
  get lastStatus(): StatusParams | undefined { return this._lastStatus; }

  private setState(state: ServerState): void {
    if (state === this._state) return;
    this._state = state;
    if (state !== 'running') this._lastStatus = undefined;
    this.stateEmitter.fire(state);
  }

  private enabled(): boolean {
    return vscode.workspace.getConfiguration('gfpLens').get<boolean>('enable', true);
  }

  /** Starts or stops the server to match `gfpLens.enable`. */
  async applyEnablement(): Promise<void> {
    if (this.enabled()) {
      if (this.client.state === State.Stopped) await this.start();
    } else {
      this.setState('disabled');
      if (this.client.state !== State.Stopped) {
        this.output.info('gfpLens.enable is off: stopping the language server.');
        await this.client.stop().catch((e) => this.output.error(`Stopping the server failed: ${errorText(e)}`));
      }
      this.setState('disabled');
    }
  }

  private async start(): Promise<void> {
    this.setState('starting');
    try {
      await this.client.start();
    } catch (e) {
      this.setState('failed');
      this.output.error(`GFP Lens server failed to start: ${errorText(e)}`);
    }
  }

  /** Sends a custom request; rejects at once when the server is off, instead of starting it. */
  async request<P, R>(method: string, params: P, token?: vscode.CancellationToken): Promise<R> {
    if (this._state !== 'running' && this._state !== 'starting') {
      throw new Error(`GFP Lens server is ${this._state}`);
    }
    return token ? this.client.sendRequest<R>(method, params, token) : this.client.sendRequest<R>(method, params);
  }

  /** `gfpLens.reindex`: asks the server to drop its index and cache and index the workspace again. */
  async reindex(): Promise<void> {
    if (this._state !== 'running') {
      void vscode.window.showWarningMessage(`GFP Lens: cannot reindex, the server is ${this._state}.`);
      return;
    }
    this.output.info('Reindex requested.');
    try {
      await this.client.sendRequest(ExecuteCommandRequest.type, { command: Commands.reindex, arguments: [] });
    } catch (e) {
      this.output.error(`Reindex failed: ${errorText(e)}`);
      void vscode.window.showErrorMessage(`GFP Lens: reindex failed: ${errorText(e)}`);
    }
  }

  async dispose(): Promise<void> {
    this.disposables.forEach((d) => d.dispose());
    this.statusEmitter.dispose();
    this.stateEmitter.dispose();
    if (this.client.state !== State.Stopped) await this.client.stop().catch(() => undefined);
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
