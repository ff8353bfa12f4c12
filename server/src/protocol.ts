// Wire types of GFP Lens's custom LSP requests and notifications, defined once and imported by both
// the server (server/src/lsp) and the VS Code client (client/src). Plain JSON shapes only: no imports.

/** Request: allocation sites of one document with their contexts and witness paths. */
export const AllocationSitesRequest = 'gfpLens/allocationSites';
export interface AllocationSitesParams {
  uri: string;
  /** When set, only sites inside the function containing this position. */
  position?: { line: number; character: number };
}
export interface AllocationSitesResult {
  uri: string;
  /** Document version the result was computed for (null when the file is not open). */
  version: number | null;
  sites: WireAllocationSite[];
}

export interface WireStep {
  kind: 'origin' | 'call' | 'pointer' | 'registration' | 'handoff' | 'scope' | 'alloc';
  uri: string;
  line: number;       // 0-based
  character: number;  // 0-based
  text: string;
}

export interface WireContext {
  kind: 'atomic' | 'noio' | 'nofs';
  description: string;
  path: WireStep[];
}

export interface WireFinding {
  rule: string;
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
}

export interface WireAllocationSite {
  function: string;
  callee: string;
  line: number;
  character: number;
  /** Source text of the flags argument, e.g. "GFP_KERNEL". */
  requested: string;
  /** Effective flags after scopes, e.g. ["GFP_NOIO"]. */
  effective: string[];
  /** Set when a memalloc scope is in force here: "noio" | "nofs". */
  scope?: 'noio' | 'nofs';
  maySleep: 'yes' | 'no' | 'maybe' | 'unknown';
  contexts: WireContext[];
  findings: WireFinding[];
}

/** Notification server -> client: index progress and finding counts (drives the status bar). */
export const StatusNotification = 'gfpLens/status';
export interface StatusParams {
  /** analysing: the index is loaded and the whole-tree analysis runs in the background (findings of open files so far). */
  state: 'starting' | 'indexing' | 'analysing' | 'ready';
  filesDone: number;
  filesTotal: number;
  errors: number;
  warnings: number;
  hints: number;
}

/** Command ids and view ids shared by client, tests and package.json. */
export const Commands = {
  refreshTree: 'gfpLens.refreshCallPaths',
  showCallPaths: 'gfpLens.showAllocationCallPaths',
  reindex: 'gfpLens.reindex',
  showOutput: 'gfpLens.showOutput',
} as const;
export const CallPathsViewId = 'gfpLens.callPaths';
export const ViewContainerId = 'gfpLens';
