// Plain data the engine hands to its users (LSP server, CLI, tests). No LSP or VS Code types here:
// positions are 0-based lines and UTF-16 columns plus string offsets, exactly what JS strings index.

export type RuleId =
  | 'atomic-alloc'      // sleeping allocation in atomic context
  | 'atomic-sleep'      // other sleeping call (mutex_lock, msleep, ...) in atomic context
  | 'noio-alloc'        // __GFP_IO allocation on a block I/O path without a NOIO scope
  | 'nofs-alloc'        // __GFP_FS allocation on a filesystem reclaim path without a NOFS scope
  | 'scope-lost'        // work queued from a scoped I/O/FS path allocates with IO/FS in the worker
  | 'unbalanced-scope'  // memalloc_*_save without restore, wrong token, restore without save
  | 'redundant-flag';   // GFP_NOIO/GFP_NOFS inside a scope that already implies it

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type Confidence = 'high' | 'medium' | 'low';

export const RULES: Record<RuleId, { severity: Severity; title: string }> = {
  'atomic-alloc': { severity: 'error', title: 'Sleeping allocation in atomic context' },
  'atomic-sleep': { severity: 'error', title: 'Sleeping call in atomic context' },
  'noio-alloc': { severity: 'warning', title: '__GFP_IO allocation on a block I/O path' },
  'nofs-alloc': { severity: 'warning', title: '__GFP_FS allocation on a filesystem reclaim path' },
  'scope-lost': { severity: 'warning', title: 'memalloc scope lost across an async hand-off' },
  'unbalanced-scope': { severity: 'error', title: 'Unbalanced memalloc scope' },
  'redundant-flag': { severity: 'hint', title: 'Redundant GFP_NOIO/GFP_NOFS inside a scope' },
};

export interface Position { line: number; character: number }

/** A range in one file: line/character for editors, offsets for edits. */
export interface Span {
  file: string;
  start: Position;
  end: Position;
  startOffset: number;
  endOffset: number;
}

/** How one step of a witness path reaches the next. */
export type StepKind =
  | 'origin'        // where the context starts: lock line, registration, I/O entry, annotation
  | 'call'          // direct call
  | 'pointer'       // call through a function pointer / ops table
  | 'registration'  // callback registered (request_irq, timer_setup, ...)
  | 'handoff'       // async hand-off (queue_work, kthread_run, ...)
  | 'scope'         // memalloc_*_save that changes the effective flags
  | 'alloc';        // the allocation (or sleeping call) itself

export interface PathStep {
  kind: StepKind;
  file: string;
  line: number;       // 0-based
  character: number;  // 0-based UTF-16
  /** Human text for this step, e.g. "spin_lock(&dev->lock) in foo_rx()" or "crypt_map() -> kcryptd_queue_crypt()". */
  text: string;
}

/** A text replacement in one file, by offsets into the text the fix was computed from. */
export interface OffsetEdit { startOffset: number; endOffset: number; newText: string }

export type FixKind = 'swap-flag' | 'wrap-noio' | 'wrap-nofs' | 'add-restore' | 'remove-flag' | 'suppress';

export interface Fix {
  title: string;
  kind: FixKind;
  preferred: boolean;
  file: string;
  edits: OffsetEdit[];
}

export interface Finding {
  /** Stable within one analysis: rule + file + offset. */
  id: string;
  rule: RuleId;
  severity: Severity;
  message: string;
  /** Where it is reported (the allocation call, or the caller argument that carries the bad flag). */
  span: Span;
  /** Enclosing function name of `span`. */
  function: string;
  /** Deterministic witness path, origin first, the allocation last. */
  path: PathStep[];
  confidence: Confidence;
  /** How many other distinct origins/paths lead to this site (0 when only one). */
  otherPaths: number;
  fixes: Fix[];
}

export type ContextKind = 'atomic' | 'noio' | 'nofs';

/** One context that reaches a program point, with where it comes from. */
export interface ContextInfo {
  kind: ContextKind;
  /** e.g. "spin_lock(&q->lock) at drivers/x.c:42" or "hard-irq handler registered by request_irq()". */
  description: string;
  path: PathStep[];
}

export interface ScopeInfo { kind: 'noio' | 'nofs'; file: string; line: number; character: number; text: string }

export type Tri = 'yes' | 'no' | 'maybe' | 'unknown';

/** Everything known about one allocation call. */
export interface AllocationInfo {
  span: Span;
  function: string;
  callee: string;
  /** Source text of the gfp argument ("GFP_KERNEL", "gfp", "" for vmalloc). */
  requested: string;
  /** Possible symbolic values of the requested flags, e.g. ["GFP_KERNEL", "GFP_ATOMIC"]. */
  requestedValues: string[];
  /** The same after any memalloc scope in force, e.g. ["GFP_NOIO"]. */
  effectiveValues: string[];
  maySleep: Tri;
  scope?: ScopeInfo;
  contexts: ContextInfo[];
  findings: Finding[];
}

/** What the engine knows about a function (for hover on a name and the tree view). */
export interface FunctionInfo {
  name: string;
  span: Span;
  contexts: ContextInfo[];
}

export interface HoverResult {
  span: Span;
  /** Markdown, file:line references rendered as links by the caller via `links`. */
  markdown: string;
}

export interface EngineProblem { file: string; message: string }

export interface EngineOptions {
  /** Extra allocators: name -> 0-based gfp argument index (-1: implicit GFP_KERNEL). */
  extraAllocators?: Record<string, number>;
  /** Extra roots: function name -> context kind. */
  extraRoots?: Record<string, ContextKind>;
  /** Rules switched off. */
  disabledRules?: RuleId[];
  /** Severity overrides per rule. */
  severities?: Partial<Record<RuleId, Severity>>;
  /** Drop findings below this confidence. */
  minConfidence?: Confidence;
  /** Files larger than this many bytes are skipped with a note. */
  maxFileBytes?: number;
}
