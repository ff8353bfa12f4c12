// The "Allocation Call Paths" view (gfpLens.callPaths): for the active C file, its functions that
// allocate, each allocation site with its effective GFP flags, the contexts it runs in (atomic / NOIO /
// NOFS) and the witness path of each context, every step clickable. Fed by the custom request
// `gfpLens/allocationSites` (AllocationSitesParams -> AllocationSitesResult); the nodes are built by
// the pure callPathsModel.ts. Also registers `gfpLens.showAllocationCallPaths` (only the function at
// the cursor) and `gfpLens.refreshCallPaths` (the whole active file again).
import * as vscode from 'vscode';
import {
  AllocationSitesParams, AllocationSitesRequest, AllocationSitesResult, CallPathsViewId, Commands,
} from '../../server/src/protocol';
import {
  CallPathNode, IconTone, NodeLocation, buildCallPathTree, isGfpDocument, parentIndex, uriBasename,
} from './callPathsModel';
import { GfpServer, errorText } from './server';

/** Internal command behind every site and step node (not contributed to the palette). */
export const RevealLocationCommand = 'gfpLens.revealLocation';

const TONE_COLORS: Record<Exclude<IconTone, undefined>, string> = {
  error: 'problemsErrorIcon.foreground',
  warning: 'problemsWarningIcon.foreground',
  info: 'problemsInfoIcon.foreground',
};
const EDIT_DEBOUNCE_MS = 300;
// JSON-RPC codes of a cancelled request (client side / server side).
const CANCELLED_CODES = new Set([-32800, -32802]);

/** What the view shows: a document, optionally only the function containing `position`. */
interface Target {
  uri: vscode.Uri;
  position?: vscode.Position;
}

function sameUri(a: vscode.Uri | string, b: vscode.Uri | string): boolean {
  const s = (u: vscode.Uri | string) => (typeof u === 'string' ? vscode.Uri.parse(u) : u).toString();
  return s(a) === s(b);
}

class CallPathsProvider implements vscode.TreeDataProvider<CallPathNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  view!: vscode.TreeView<CallPathNode>;
  private roots: CallPathNode[] = [];
  private parents = new Map<string, CallPathNode>();
  private target: Target | undefined;
  private seq = 0;
  private inflight: vscode.CancellationTokenSource | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Set when a refresh was wanted while the view was hidden. */
  private dirty = true;
  /** A document the view itself is opening: its activation must not retarget the view. */
  private navigating: { uri: string; until: number } | undefined;

  constructor(private readonly server: GfpServer) {
    const editor = vscode.window.activeTextEditor;
    if (editor && isGfpDocument(editor.document.uri.scheme, editor.document.fileName, editor.document.languageId)) {
      this.target = { uri: editor.document.uri };
    }
  }

  getTreeItem(n: CallPathNode): vscode.TreeItem {
    const state = n.collapsible === 'none' ? vscode.TreeItemCollapsibleState.None
      : n.collapsible === 'expanded' ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(n.label, state);
    item.id = n.id;
    item.description = n.description;
    item.iconPath = new vscode.ThemeIcon(n.icon, n.tone ? new vscode.ThemeColor(TONE_COLORS[n.tone]) : undefined);
    item.tooltip = new vscode.MarkdownString(n.tooltip, true);
    item.accessibilityInformation = { label: n.accessibilityLabel };
    item.contextValue = `gfpLens.${n.kind}`;
    // Sites, contexts (their origin) and steps jump to source; with a command a row expands only by its twistie.
    if (n.location && n.kind !== 'function') {
      item.command = { command: RevealLocationCommand, title: 'Go to Location', arguments: [n.location] };
    }
    return item;
  }

  getChildren(n?: CallPathNode): CallPathNode[] {
    return n ? n.children : this.roots;
  }

  getParent(n: CallPathNode): CallPathNode | undefined {
    return this.parents.get(n.id);
  }

  /** Follows the active editor; ignores editors the view opened itself and non-C editors. */
  onActiveEditor(editor: vscode.TextEditor | undefined): void {
    if (!editor) return;
    const doc = editor.document;
    if (!isGfpDocument(doc.uri.scheme, doc.fileName, doc.languageId)) return;
    const nav = this.navigating;
    this.navigating = undefined;
    if (nav && nav.until > Date.now() && sameUri(nav.uri, doc.uri)) return;
    if (this.target && sameUri(this.target.uri, doc.uri)) return;
    this.target = { uri: doc.uri };
    this.schedule(0);
  }

  onEdit(e: vscode.TextDocumentChangeEvent): void {
    if (this.target && e.contentChanges.length && sameUri(this.target.uri, e.document.uri)) this.schedule(EDIT_DEBOUNCE_MS);
  }

  /** Shows only the function at `position` of `uri`. */
  async showFunction(uri: vscode.Uri, position: vscode.Position): Promise<void> {
    this.target = { uri, position };
    this.dirty = true;
    await vscode.commands.executeCommand(`${CallPathsViewId}.focus`);
    await this.refresh();
  }

  /** Whole active file again (drops a function filter). */
  async refreshAll(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (editor && isGfpDocument(editor.document.uri.scheme, editor.document.fileName, editor.document.languageId)) {
      this.target = { uri: editor.document.uri };
    } else if (this.target) {
      this.target = { uri: this.target.uri };
    }
    this.dirty = true;
    await this.refresh();
  }

  schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; void this.refresh(); }, delayMs);
  }

  onVisible(): void {
    if (this.view.visible && this.dirty) void this.refresh();
  }

  async reveal(loc: NodeLocation): Promise<void> {
    const uri = vscode.Uri.parse(loc.uri);
    if (!this.target || !sameUri(this.target.uri, uri)) this.navigating = { uri: uri.toString(), until: Date.now() + 3000 };
    const pos = new vscode.Position(loc.line, loc.character);
    try {
      const editor = await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), preview: true });
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      this.navigating = undefined;
      void vscode.window.showErrorMessage(`GFP Lens: cannot open ${uriBasename(loc.uri)}: ${errorText(e)}`);
    }
  }

  private setTree(roots: CallPathNode[], message: string | undefined, description: string | undefined): void {
    this.roots = roots;
    this.parents = parentIndex(roots);
    this.view.message = message;
    this.view.description = description;
    this.changed.fire();
  }

  async refresh(): Promise<void> {
    if (!this.view.visible) { this.dirty = true; return; }
    this.dirty = false;
    this.inflight?.cancel();
    this.inflight = undefined;
    const target = this.target;
    if (!target) {
      this.setTree([], 'Open a C source or header file to see its allocation sites and call paths.', undefined);
      return;
    }
    const name = uriBasename(target.uri.toString());
    const state = this.server.state;
    if (state !== 'running' && state !== 'starting') {
      const why = state === 'disabled' ? 'GFP Lens is disabled (setting gfpLens.enable).' : `The GFP Lens server is ${state}.`;
      this.setTree([], why, name);
      return;
    }
    const seq = ++this.seq;
    const cts = new vscode.CancellationTokenSource();
    this.inflight = cts;
    const params: AllocationSitesParams = { uri: target.uri.toString() };
    if (target.position) params.position = { line: target.position.line, character: target.position.character };
    let result: AllocationSitesResult | null;
    try {
      result = await this.server.request<AllocationSitesParams, AllocationSitesResult | null>(AllocationSitesRequest, params, cts.token);
    } catch (e) {
      if (seq !== this.seq) return;
      const code = (e as { code?: number }).code;
      if (code !== undefined && CANCELLED_CODES.has(code)) return;
      this.setTree([], `Could not get allocation sites: ${errorText(e)}`, name);
      return;
    } finally {
      cts.dispose();
      if (this.inflight === cts) this.inflight = undefined;
    }
    if (seq !== this.seq) return; // a newer refresh superseded this one
    const roots = result ? buildCallPathTree(result) : [];
    const fn = target.position ? roots[0]?.label : undefined;
    const description = fn ? `${name} · ${fn}` : name;
    let message: string | undefined;
    if (!roots.length) {
      message = target.position
        ? `No allocation sites in the function at line ${target.position.line + 1} of ${name}.`
        : `No allocation sites in ${name}.`;
    }
    this.setTree(roots, message, description);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.inflight?.cancel();
    this.changed.dispose();
  }
}

export function registerCallPathsTree(server: GfpServer): vscode.Disposable {
  const provider = new CallPathsProvider(server);
  const view = vscode.window.createTreeView(CallPathsViewId, { treeDataProvider: provider, showCollapseAll: true });
  provider.view = view;
  return vscode.Disposable.from(
    provider,
    view,
    view.onDidChangeVisibility(() => provider.onVisible()),
    vscode.window.onDidChangeActiveTextEditor((e) => provider.onActiveEditor(e)),
    vscode.workspace.onDidChangeTextDocument((e) => provider.onEdit(e)),
    server.onStatus((s) => { if (s.state === 'ready') provider.schedule(EDIT_DEBOUNCE_MS); }),
    server.onDidChangeState(() => provider.schedule(0)),
    vscode.commands.registerCommand(RevealLocationCommand, (loc: NodeLocation) => provider.reveal(loc)),
    vscode.commands.registerCommand(Commands.refreshTree, () => provider.refreshAll()),
    vscode.commands.registerCommand(Commands.showCallPaths, async () => {
      const editor = vscode.window.activeTextEditor;
      const doc = editor?.document;
      if (!editor || !doc || !isGfpDocument(doc.uri.scheme, doc.fileName, doc.languageId)) {
        void vscode.window.showInformationMessage('GFP Lens: put the cursor inside a function of a C file first.');
        return;
      }
      await provider.showFunction(doc.uri, editor.selection.active);
    }),
  );
}
