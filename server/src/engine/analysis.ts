// The global phase: builds the kernel-wide call graph from file summaries (direct calls, ops-table
// pointers, registrations, async hand-offs), computes gfp parameter flows, propagates contexts
// (atomic / NOIO / NOFS with the memalloc scope in force) from their roots, and evaluates the rules
// at every allocation and sleeping call. Everything is deterministic: inputs are visited in sorted order.
import { applyScope, bitsName, NO_BITS, or, substitute, type Bits, type GfpAlt } from './gfp';
import { isRequestFlag } from './gfpEval';
import { ATOMIC_REGISTRATIONS, FIELD_ROOTS, HANDOFFS, type ScopeKind } from './kernelApi';
import { CallColumns, type AllocSite, type Binding, type CallList, type CallSite, type FileSummary, type FnSummary, type LockRef, type Loc, type ScopeRef, type SiteState, type SleepSite } from './summary';
import { RULES, type Confidence, type ContextKind, type PathStep, type RuleId, type Severity, type StepKind } from './types';
import { hasName } from './nameTable';

export interface FnNode {
  id: number; file: string; fn: FnSummary; summary: FileSummary;
  /** [this node], shared by every edge and lookup with this node as the only target (millions of them). */
  one?: FnNode[];
}
const one = (n: FnNode): FnNode[] => (n.one ??= [n]);

type ScopeState = ScopeKind | 'none';

/** A context arriving at a function entry, linked to where it came from. */
export interface CtxRec {
  kind: ContextKind;
  scope: ScopeState;
  lost: boolean;
  req?: boolean;
  /** An atomic context in which in_interrupt() is true: an interrupt or softirq callback, or bottom halves disabled. */
  intr: boolean;
  confidence: Confidence;
  depth: number;
  node: FnNode;
  /** The origin steps of a root (empty for propagated records, which use `via`). */
  steps: PathStep[];
  /** For a propagated record: the edge it arrived by (its step text is built only when a path is shown). */
  via?: { from: FnNode; site: CallSite; kind: StepKind; label: string };
  parent: CtxRec | null;
  description: string;
  arrivals: number;
}

/** Where a parameter's flags end up: an allocation reached with that parameter. */
interface FlowRec {
  clear: Bits;
  add: Bits;
  held?: LockRef & { file: string; fnName: string };
  scope?: ScopeState;
  /** Steps from the call into the flow function down to the allocation. */
  steps: PathStep[];
  alloc: { file: string; site: AllocSite | CallSite; callee: string };
  released: number;
  /** Somewhere on the flow a callee released the lock held by its caller before allocating. */
  dropsLock?: boolean;
}

/** One place a rule is evaluated: a real allocation, a call that passes flags into an allocating function, or a sleeping call. */
export interface CheckSite {
  node: FnNode;
  kind: 'alloc' | 'flow' | 'sleep';
  /** Report location: the allocation call, or the argument carrying the flags. */
  report: Loc;
  callee: string;
  argText: string;
  values: GfpAlt[];
  state: SiteState;
  /** For flow sites: the lock/scope met inside the callees, and the steps down to the allocator. */
  innerHeld?: LockRef & { file: string; fnName: string };
  innerScope?: ScopeState;
  innerSteps: PathStep[];
  /** A callee on the flow path released the caller's lock before allocating. */
  innerReleased?: boolean;
  alloc?: AllocSite;
  flowCall?: CallSite;
}

export interface RawFinding {
  rule: RuleId;
  severity: Severity;
  message: string;
  site: CheckSite;
  path: PathStep[];
  confidence: Confidence;
  otherPaths: number;
}

export interface SiteContext {
  kind: ContextKind; description: string; path: PathStep[]; scope: ScopeState; lost: boolean;
  /** An atomic context in which in_interrupt() is true (irq, softirq, bh disabled): vfree() defers then. */
  intr?: boolean;
  /** The context is visible in the reporting function itself (lock held there, or the function is the registered callback/root). */
  local?: boolean;
}

const CONF_ORDER: Record<Confidence, number> = { high: 2, medium: 1, low: 0 };
const minConf = (a: Confidence, b: Confidence): Confidence => (CONF_ORDER[a] <= CONF_ORDER[b] ? a : b);
const strongest = (a: ScopeState | undefined, b: ScopeState | undefined): ScopeState =>
  a === 'noio' || b === 'noio' ? 'noio' : a === 'nofs' || b === 'nofs' ? 'nofs' : 'none';
/** Contexts propagate at most this many call edges from their origin: deeper paths are mostly infeasible. */
const MAX_DEPTH = 8;
/** Beyond this depth a finding is at most medium confidence. */
const HIGH_DEPTH = 4;
const MAX_NAME_CANDIDATES = 8;
const MAX_FIELD_CANDIDATES = 12;

export interface AnalysisOptions {
  extraRoots?: Record<string, ContextKind>;
}

const EDGE_KINDS: StepKind[] = ['call', 'pointer', 'handoff'];
const CONFIDENCES: Confidence[] = ['high', 'medium', 'low'];
/**
 * A call edge. There are millions: kind, confidence, the dead flag and the index of the call in its function's call
 * list share one small integer, and the site and label are read from that list when asked (56 bytes; a plain call
 * in columns then has no object of its own).
 */
class Edge {
  private bits: number;
  constructor(kind: 'call' | 'pointer' | 'handoff', private readonly calls: CallList, index: number, readonly targets: FnNode[], confidence: Confidence,
    /** The calling function. */
    readonly from: FnNode) {
    this.bits = EDGE_KINDS.indexOf(kind) | (CONFIDENCES.indexOf(confidence) << 2) | (index << 5);
  }
  get kind(): StepKind { return EDGE_KINDS[this.bits & 3]; }
  get confidence(): Confidence { return CONFIDENCES[(this.bits >> 2) & 3]; }
  /** The call (a new object each time for a plain call in columns: compare sites by offset, not identity). */
  get site(): CallSite { return this.calls.at(this.bits >>> 5)!; }
  /** The lock and scope state at the call, without making a site object. */
  get state(): SiteState { const c = this.calls; return c instanceof CallColumns ? c.stateAt(this.bits >>> 5) : this.site.state; }
  /** The offset of the call, without making a site object. */
  get offset(): number { const c = this.calls; return c instanceof CallColumns ? c.offsetAt(this.bits >>> 5) : this.site.offset; }
  /** The field a pointer call goes through, the kind of a hand-off, '' for a direct call. */
  get label(): string {
    const kind = this.bits & 3;
    if (kind === 1) { const chain = this.site.pointer?.chain ?? []; return chain[chain.length - 1] ?? ''; }
    return kind === 2 ? HANDOFF_BY_NAME.get(this.site.callee ?? '')?.label ?? '' : '';
  }
  /** Replaced by a newer edge list of `from` (still in some callers lists until they are next read). */
  get dead(): boolean { return (this.bits & 16) !== 0; }
  kill(): void { this.bits |= 16; }
}
type BindingMap = Map<string, Array<{ b: Binding; file: string; node: FnNode }>>;
/** Where a file's bindings were indexed: map, key, map, key, ... (one flat list per file instead of a pair per binding). */
type BindingKeys = Array<BindingMap | string>;
function* bindingPairs(keys: BindingKeys | undefined): Generator<[BindingMap, string]> {
  if (keys) for (let i = 0; i < keys.length; i += 2) yield [keys[i] as BindingMap, keys[i + 1] as string];
}
/** Files with more functions than this keep a name map for same-file lookups (scanning a short list is as fast). */
const LOCAL_MAP_MIN = 16;
const NO_EDGES: Edge[] = Object.freeze([]) as unknown as Edge[];
/** A list built by push() holds 16 or more slots; its exact-size copy (most lists are short: 100 bytes less each). */
const trimmed = <T>(l: T[]): T[] => (l.length < 16 ? l.slice() : l);
/** The hand-off and registration tables as Maps (millions of lookups by callee name). */
const HANDOFF_BY_NAME = new Map(Object.entries(HANDOFFS));
const REGISTRATION_BY_NAME = new Map(Object.entries(ATOMIC_REGISTRATIONS));

export class Analysis {
  nodes: FnNode[] = [];
  /**
   * Same-file lookup by name (the first definition of a name) for files with more than LOCAL_MAP_MIN functions;
   * smaller files are scanned in `nodesByFile` (a map per file held ~36 MB on a kernel tree). See `localFn`.
   */
  private byFile = new Map<string, Map<string, FnNode>>();
  /** Every function of a file in source order (duplicates under #ifdef included). */
  private nodesByFile = new Map<string, FnNode[]>();
  private byName = new Map<string, FnNode[]>();
  private headerStatic = new Map<string, FnNode[]>();
  private structFields = new Map<string, Record<string, string>>();
  private typedefs = new Map<string, string>();
  private bindingsByTypeField = new Map<string, Array<{ b: Binding; file: string; node: FnNode }>>();
  private bindingsByField = new Map<string, Array<{ b: Binding; file: string; node: FnNode }>>();
  private workByField = new Map<string, Array<{ b: Binding; file: string; node: FnNode }>>();
  private gfpPrototypes = new Map<string, number>();
  /** Outgoing edges by node id. */
  private edges: Array<Edge[] | undefined> = [];
  private flows = new Map<number, Map<number, FlowRec[]>>();
  ctxs = new Map<number, CtxRec[]>();
  sites = new Map<number, CheckSite[]>();
  findings: RawFinding[] = [];

  constructor(private summaries: FileSummary[], private options: AnalysisOptions = {}) {}

  run(): void { drain(this.runSteps()); }

  /**
   * The full run as a generator that yields every few hundred units of work, so that a caller can spread it over
   * many short slices and stay responsive (the language server does; run() drains it at once). Nothing else may use
   * or change this object until it is done.
   */
  *runSteps(): Work {
    yield* this.index();
    let k = 0;
    for (const n of this.nodes) {
      const list = this.computeEdges(n);
      this.edges[n.id] = list.length ? list : NO_EDGES;
      if ((++k & 255) === 0) yield;
    }
    yield* this.buildCallers();
    yield* this.computeFlows(this.nodes);
    yield* this.collectSites(this.nodes);
    const queue: CtxRec[] = [];
    yield* this.seed(null, queue, this.ctxs);
    yield* this.bfs(queue);
    yield* this.trimLists();
    yield* this.evaluate(this.nodes);
  }

  /**
   * Callers of each function (reverse edges, for incremental updates and refreshes), in the order they were added.
   * Replaced edges are marked dead and dropped from these lists when a list is next read (callersOf).
   */
  private callers: Array<Edge[] | undefined> = [];
  private deadEdges = 0;
  private setEdges(n: FnNode, list: Edge[]): void {
    const old = this.edges[n.id];
    if (old) {
      for (const e of old) e.kill();
      // dead edges are dropped from a callers list when it is read; many edits between reads: drop them everywhere
      if ((this.deadEdges += old.length) > 200_000) {
        this.deadEdges = 0;
        for (let id = 0; id < this.callers.length; id++) this.callersOf(id);
      }
    }
    this.edges[n.id] = list.length ? list : NO_EDGES;
    for (const e of list) {
      for (const t of e.targets) {
        const l = this.callers[t.id];
        if (l) l.push(e); else this.callers[t.id] = [e];
      }
    }
  }
  private edgesOf(id: number): Edge[] { return this.edges[id] ?? NO_EDGES; }
  /** The callers lists of a full run, each allocated at its final size, in the order setEdges() would add them. */
  private *buildCallers(): Work {
    const count = new Int32Array(this.nodes.length);
    let k = 0;
    for (const n of this.nodes) {
      for (const e of this.edgesOf(n.id)) for (const t of e.targets) count[t.id]++;
      if ((++k & 4095) === 0) yield;
    }
    const callers: Array<Edge[] | undefined> = new Array(this.nodes.length);
    for (let id = 0; id < count.length; id++) {
      if (count[id]) callers[id] = new Array<Edge>(count[id]);
      count[id] = 0;
      if ((++k & 4095) === 0) yield;
    }
    for (const n of this.nodes) {
      for (const e of this.edgesOf(n.id)) for (const t of e.targets) callers[t.id]![count[t.id]++] = e;
      if ((++k & 4095) === 0) yield;
    }
    this.callers = callers;
  }
  /** The live edges into a function (the edge's `from` is the caller). */
  private callersOf(id: number): Edge[] {
    const list = this.callers[id];
    if (!list) return NO_EDGES;
    if (!list.some((e) => e.dead)) return list;
    const live = list.filter((e) => !e.dead);
    this.callers[id] = live.length ? live : undefined;
    return live;
  }
  /** Exact-size copies of the short lists a full run built by push() (binding tables, contexts). */
  private *trimLists(): Work {
    let k = 0;
    for (const m of [this.bindingsByTypeField, this.bindingsByField, this.workByField, this.ctxs]) {
      for (const [key, l] of m as Map<unknown, unknown[]>) {
        m.set(key as never, trimmed(l) as never);
        if ((++k & 16383) === 0) yield;
      }
    }
  }

  /**
   * Interface of a file: what other files' analysis depends on. Equal interface => incremental update is sound for
   * everything outside the file's own functions' downstream. The static functions of a .c file that no ops table of
   * the file names are not part of it: only the file itself can call them, so they may come and go in an edit.
   */
  static interfaceKey(s: FileSummary): string {
    const header = s.file.endsWith('.h');
    const bound = new Set(s.bindings.map((b) => b.fn));
    return JSON.stringify([
      s.functions.filter((f) => header || !f.isStatic || bound.has(f.name)).map((f) => [f.name, f.isStatic, f.params.map((p) => p.isGfp), f.annotation ?? '']),
      s.bindings.map((b) => [b.fn, b.chain, b.structType ?? '', b.baseType ?? '', b.via]),
      s.structFields, s.typedefs, s.gfpPrototypes,
    ]);
  }

  /**
   * Replaces one file's summary in place and recomputes what lives in that file: its functions' edges,
   * flows, sites, the contexts reaching them (from unchanged callers and roots) and their findings.
   * Callers in other files keep their previous flow sites, and callees in other files keep their previous
   * contexts, until the next full run. Returns false (nothing changed) when the file's interface changed
   * or the file is new: the caller must then run a full analysis.
   */
  replaceFile(summary: FileSummary): boolean {
    if (!this.summaryIndex) this.summaryIndex = new Map(this.summaries.map((x, i) => [x.file, i]));
    const idx = this.summaryIndex.get(summary.file) ?? -1;
    if (idx < 0 || Analysis.interfaceKey(this.summaries[idx]) !== Analysis.interfaceKey(summary)) return false;
    const old = this.summaries[idx];
    const oldNodes = this.nodesByFile.get(summary.file) ?? [];
    if (oldNodes.length !== old.functions.length) return false;
    this.summaries[idx] = summary;
    // the functions of the new text, matched to the old ones by name and occurrence (statics may come and go)
    const byFn = new Map(oldNodes.map((n) => [n.fn, n]));
    const pairs = matchFunctions(old.functions, summary.functions);
    const kept: FnNode[] = []; const keptNew: FnSummary[] = [];
    for (const [i, j] of pairs) { const n = byFn.get(old.functions[i]); if (n) { kept.push(n); keptNew.push(summary.functions[j]); } }
    const keptSet = new Set(kept);
    const removed = oldNodes.filter((n) => !keptSet.has(n));
    // what refresh() may have to revisit, seen before the edit (compared with the same after it, below)
    const oldIds = kept.map((n) => n.id);
    const flowsBefore = this.flowSignature(oldIds);
    const dropsBefore = this.dropSignature(kept);
    const sigBefore = kept.map((n) => this.propagationSignature(n));
    const oldTargets = oldIds.map((id) => this.calleesAndRegistered([id]));
    const releasedBefore = kept.map((n) => !!n.fn.releasesCallerLock);
    for (const n of removed) {
      for (const id of this.calleesAndRegistered([n.id])) this.pending.add(id);
      this.retire(n);
    }
    kept.forEach((n, i) => { n.fn = keptNew[i]; n.summary = summary; });
    // new functions (statics only: the interface is unchanged) get new nodes; the file's lists follow the new order
    const byNew = new Map(kept.map((n) => [n.fn, n]));
    const nodes = summary.functions.map((fn) => {
      let n = byNew.get(fn);
      if (!n) { n = { id: this.nodes.length, file: summary.file, fn, summary, one: undefined }; this.nodes.push(n); }
      return n;
    });
    const added = nodes.filter((n) => !keptSet.has(n));
    this.nodesByFile.set(summary.file, nodes);
    this.setLocal(summary.file, nodes);
    const ids = new Set(nodes.map((n) => n.id));
    // which calls may drop a caller's lock: this file's own entries are recomputed; everyone's when a function of
    // this file changed whether it releases a lock it did not take
    if (added.length || removed.length || kept.some((n, i) => !!n.fn.releasesCallerLock !== releasedBefore[i])) this.callerDropMemo.clear();
    else for (const id of ids) this.callerDropMemo.delete(id);
    // bindings of this file point at new locations
    const boundBefore = this.boundFrom(summary.file);
    for (const [m, k] of bindingPairs(this.bindingKeys.get(summary.file))) {
      const list = m.get(k);
      if (list) m.set(k, list.filter((e) => e.file !== summary.file));
    }
    this.indexBindings(summary);
    // a function of another file bound here (`.map = f`) has a root that names this file's line: refresh() redoes it
    const boundAfter = this.boundFrom(summary.file);
    if (boundAfter.key !== boundBefore.key) for (const id of [...boundBefore.ids, ...boundAfter.ids]) if (!ids.has(id)) this.pending.add(id);
    for (const n of nodes) this.setEdges(n, this.computeEdges(n));
    for (const n of nodes) this.flows.delete(n.id);
    drain(this.computeFlows(nodes));
    for (const n of nodes) this.sites.delete(n.id);
    drain(this.collectSites(nodes));
    drain(this.repropagate(ids, this.ctxs));
    this.touched?.push(...ids);
    this.findings = this.findings.filter((f) => !ids.has(f.site.node.id));
    drain(this.evaluate(nodes));
    // only functions whose outgoing propagation changed feed refresh(), with what they reached before and now
    kept.forEach((n, i) => {
      if (this.propagationSignature(n) === sigBefore[i]) return;
      this.pending.add(n.id);
      for (const id of oldTargets[i]) this.pending.add(id);
      for (const id of this.calleesAndRegistered([n.id])) this.pending.add(id);
    });
    for (const n of added) {
      this.pending.add(n.id);
      for (const id of this.calleesAndRegistered([n.id])) this.pending.add(id);
    }
    // changes that reach upstream (callers' gfp flows, whether a call may drop the caller's lock) need a full run
    if (this.dropSignature(kept) !== dropsBefore) this.needsFullRun = true;
    // callers' gfp flows and flow sites are rebuilt by refresh()
    if (this.flowSignature(oldIds) !== flowsBefore) for (const id of oldIds) this.flowsChanged.add(id);
    return true;
  }

  /** Position of each file in `summaries` (built at the first replaceFile(); files are never added or removed). */
  private summaryIndex: Map<string, number> | undefined;

  /** Takes a function that an edit removed out of everything (its node id is not reused). */
  private retire(n: FnNode): void {
    this.setEdges(n, []);
    this.edges[n.id] = undefined;
    this.flows.delete(n.id);
    this.sites.delete(n.id);
    this.ctxs.delete(n.id);
    this.callerDropMemo.delete(n.id);
    this.dropRegistrations(n.id);
    this.findings = this.findings.filter((f) => f.site.node !== n);
  }

  /** The functions bound in ops tables by a file, with where (to see whether an edit moved a binding). */
  private boundFrom(file: string): { ids: number[]; key: string } {
    const ids: number[] = []; const parts: string[] = [];
    const seen = new Set<unknown>();
    for (const [m, k] of bindingPairs(this.bindingKeys.get(file))) {
      const list = m.get(k);
      if (!list || seen.has(list)) continue;
      seen.add(list);
      for (const e of list) if (e.file === file) { ids.push(e.node.id); parts.push(`${k}=${e.node.id}@${e.b.line}:${e.b.col}`); }
    }
    return { ids, key: parts.join(';') };
  }

  /** Functions whose contexts may be stale after replaceFile() (refresh() recomputes them and what they reach). */
  private pending = new Set<number>();
  /** Set when an edit changed something upstream of the edited file: refresh() cannot be exact then. */
  private needsFullRun = false;
  /** Edited functions whose gfp-parameter flows changed since the last full run or refresh (callers depend on them). */
  private flowsChanged = new Set<number>();

  /**
   * Rebuilds the flows of every caller that passes its own gfp parameter on to a changed function (transitively),
   * and the sites of their direct callers, where flow sites live. Returns the functions whose sites were rebuilt.
   */
  private refreshFlows(): Set<number> {
    const upstream = new Set<number>(this.flowsChanged);
    const stack = [...this.flowsChanged];
    while (stack.length) {
      const id = stack.pop()!;
      for (const edge of this.callersOf(id)) {
        const from = edge.from;
        if (edge.kind !== 'call' || upstream.has(from.id) || !from.fn.params.some((p) => p.isGfp)) continue;
        upstream.add(from.id);
        stack.push(from.id);
      }
    }
    const order = (ids: Iterable<number>) => sortedIds(ids).map((id) => this.nodes[id]);
    for (const id of upstream) this.flows.delete(id);
    drain(this.computeFlows(order(upstream)));
    const resited = new Set<number>(upstream);
    for (const id of upstream) for (const edge of this.callersOf(id)) resited.add(edge.from.id);
    for (const id of resited) this.sites.delete(id);
    drain(this.collectSites(order(resited)));
    return resited;
  }

  /** Targets of the edges and of the callback registrations of these functions. */
  private calleesAndRegistered(ids: number[]): number[] {
    const out: number[] = [];
    for (const id of ids) {
      for (const e of this.edgesOf(id)) for (const t of e.targets) out.push(t.id);
      const n = this.nodes[id];
      for (const { ref } of this.regByNode.get(id) ?? []) for (const t of this.resolveName(n.file, ref).slice(0, MAX_NAME_CANDIDATES)) out.push(t.id);
    }
    return out;
  }

  /**
   * Everything a function passes on to its callees: its contexts, and per edge the targets and the lock/scope state
   * with line numbers (they appear in callees' descriptions and paths). Equal before and after an edit: nothing
   * downstream of the function can change.
   */
  private propagationSignature(n: FnNode): string {
    const loc = (l: Loc | undefined) => (l ? `${l.line}:${l.col}` : '');
    const ctxs = (this.ctxs.get(n.id) ?? []).map((c) => `${c.kind}/${c.scope}/${c.lost}/${c.req}/${c.intr}/${c.depth}/${c.confidence}/${c.description}`).join(';');
    const edges = this.edgesOf(n.id).map((e) => {
      const st = e.state;
      return `${e.kind}:${e.label}:${e.confidence}:${e.targets.map((t) => t.id).join(',')}@${loc(e.site)}:${st.held.map((h) => `${h.kind}${h.key}${loc(h)}${h.text}`).join('|')}:${st.released}:${st.scope ? st.scope.kind + loc(st.scope) : ''}:${st.maySleepReq}:${st.nofsTxn ? loc(st.nofsTxn) + st.nofsTxn.text : ''}`;
    }).join(';');
    const regs = (this.regByNode.get(n.id) ?? []).map((r) => `${r.ref}@${loc(r.c)}`).join(';');
    return `${n.fn.line}:${n.fn.col}|${ctxs}|${edges}|${regs}`;
  }

  /** The gfp-parameter flows of these functions, as a comparable string. */
  private flowSignature(ids: number[]): string {
    return JSON.stringify(ids.map((id) => [...(this.flows.get(id) ?? new Map<number, FlowRec[]>())].map(([q, recs]) => [q, recs.map((r) => [
      r.clear, r.add, r.held ? [r.held.file, r.held.line] : 0, r.scope ?? '', r.released, !!r.dropsLock, r.alloc.file, r.steps.map((x) => `${x.file}:${x.line}:${x.character}:${x.text}`),
    ])])));
  }

  /** Whether each of these functions may release its caller's lock (what callers' propagation depends on). */
  private dropSignature(nodes: FnNode[]): string {
    return nodes.map((n) => `${n.fn.releasesCallerLock ? 1 : 0}${this.mayDropCallerLock(n, 2) ? 1 : 0}`).join('');
  }

  /**
   * Brings the contexts and findings of everything an edit can reach up to date after replaceFile(): every function
   * reachable from the edited files' functions (and from what they called or registered before the edit) is
   * re-propagated from its unchanged callers and its roots; callers whose gfp flows depend on an edited function get
   * their flows and flow sites rebuilt. Returns false when only a full run is exact (an edit changed whether a
   * function may drop its caller's lock, which callers' propagation depends on); nothing is changed then.
   */
  refresh(): boolean { return drain(this.refreshSteps()); }

  /**
   * refresh() as a generator (see runSteps). Unlike a full run, replaceFile() may be called between its steps: the
   * contexts are computed aside and swapped in at the end, except for functions an edit replaced meanwhile, which go
   * back to the pending set (with the rest of that edit's reach) for the next refresh; findings are then re-evaluated
   * a slice of functions at a time.
   */
  *refreshSteps(): Generator<void, boolean, void> {
    if (this.needsFullRun) return false;
    const resited = this.flowsChanged.size ? this.refreshFlows() : new Set<number>();
    this.flowsChanged.clear();
    const reach = yield* this.reachOfPending();
    const all = sortedIds(new Set([...resited, ...reach]));
    this.lastRefreshSize = all.length;
    if (!all.length) return true;
    const fresh = new Map<number, CtxRec[]>();
    this.touched = [];
    try {
      yield* this.repropagate(reach, fresh);
      // (a replaced function goes back to the pending set: conservative, its new contexts came from replaceFile())
      const touched = new Set(this.touched);
      for (const id of reach) {
        if (touched.has(id)) { this.pending.add(id); continue; }
        const list = fresh.get(id);
        if (list) this.ctxs.set(id, list); else this.ctxs.delete(id);
      }
      fresh.clear();
    } finally {
      this.touched = null;
    }
    for (let i = 0; i < all.length; i += 128) {
      const slice = all.slice(i, i + 128);
      const redo = new Set(slice);
      this.findings = this.findings.filter((f) => !redo.has(f.site.node.id));
      drain(this.evaluate(slice.map((id) => this.nodes[id])));
      yield;
    }
    return true;
  }

  /** Functions replaced by replaceFile() while a refresh is under way (null when none is). */
  private touched: number[] | null = null;
  /** True when edits since the last full run or refresh left something for refresh() to do. */
  get hasPending(): boolean { return this.pending.size > 0 || this.flowsChanged.size > 0 || this.needsFullRun; }

  /**
   * Everything reachable from the pending functions (the pending set is emptied at the start: edits made while this
   * runs add to it for the next refresh).
   */
  private *reachOfPending(): Work<Set<number>> {
    const reach = new Set<number>();
    if (!this.pending.size) return reach;
    const stack = [...this.pending];
    this.pending.clear();
    this.callerDropMemo.clear();
    let k = 0;
    while (stack.length) {
      const id = stack.pop()!;
      if (reach.has(id)) continue;
      reach.add(id);
      for (const e of this.edgesOf(id)) for (const t of e.targets) if (!reach.has(t.id)) stack.push(t.id);
      if ((++k & 4095) === 0) yield;
    }
    return reach;
  }
  /**
   * Recomputes the contexts of `set` into `into` (this.ctxs, or a map swapped in later) from the roots arriving there
   * and from the contexts of callers outside it, by depth as a full run does (a function keeps the first record of
   * each kind it gets: the shortest comes first).
   */
  private *repropagate(set: Set<number>, into: Map<number, CtxRec[]>): Work {
    for (const id of set) into.delete(id);
    // Records are processed by depth (a full run's queue is in depth order too: a function keeps the first record of
    // each kind it gets, so the shortest one must come first). Contexts come from the roots and from callers outside.
    const buckets: CtxRec[][] = [];
    const queue = { push: (x: CtxRec) => (buckets[x.depth] ??= []).push(x) } as unknown as CtxRec[];
    yield* this.seed(set, queue, into);
    const ids = sortedIds(set);
    // steps from callers outside, taken at their depth (not before shorter paths from inside)
    const outside: Array<Array<[CtxRec, Edge, FnNode]>> = [];
    let k = 0;
    for (const id of ids) {
      const t = this.nodes[id];
      for (const edge of this.callersOf(id)) {
        const from = edge.from;
        if (set.has(from.id)) continue;
        for (const x of this.ctxs.get(from.id) ?? []) (outside[x.depth] ??= []).push([x, edge, t]);
      }
      if ((++k & 255) === 0) yield;
    }
    for (let d = 0; d < buckets.length || d < outside.length; d++) {
      for (const [x, edge, t] of outside[d] ?? []) {
        this.step(x, edge, [t], queue, into);
        if ((++k & 255) === 0) yield;
      }
      const b = buckets[d] ?? [];
      for (let i = 0; i < b.length; i++) {
        const x = b[i];
        for (const e of this.edgesOf(x.node.id)) {
          const targets = e.targets.filter((t) => set.has(t.id));
          if (targets.length) this.step(x, e, targets, queue, into);
        }
        if ((++k & 255) === 0) yield;
      }
    }
  }

  /** Functions re-propagated by the last refresh() (for logs and benchmarks). */
  lastRefreshSize = 0;

  // ---------- indexing ----------
  private *index(): Work {
    const files = [...this.summaries].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    let k = 0;
    // Name lists are allocated at their final size (counted first): lists grown by push() and trimmed later would
    // leave ~100 MB of garbage on a kernel tree, and few full collections run during an analysis to take it back.
    const lists = [this.byName, this.headerStatic];
    /** Which name list a function goes to: 0 global, 1 header static, -1 none (macro-generated definitions such as
     * STORE(x) {...} are not callable by that name; a .c file's statics are found by localFn). */
    const listOf = (s: FileSummary, fn: FnSummary) => (MACRO_NAME.test(fn.name) ? -1 : !fn.isStatic ? 0 : s.file.endsWith('.h') ? 1 : -1);
    const counts = [new Map<string, number>(), new Map<string, number>()];
    for (const s of files) {
      for (const fn of s.functions) { const w = listOf(s, fn); if (w >= 0) counts[w].set(fn.name, (counts[w].get(fn.name) ?? 0) + 1); }
      if ((++k & 255) === 0) yield;
    }
    for (const w of [0, 1]) {
      for (const [name, n] of counts[w]) { lists[w].set(name, new Array<FnNode>(n)); counts[w].set(name, 0); if ((++k & 4095) === 0) yield; }
    }
    for (const s of files) {
      if ((++k & 63) === 0) yield;
      const mine = s.functions.map((fn) => {
        const node: FnNode = { id: this.nodes.length, file: s.file, fn, summary: s, one: undefined };
        this.nodes.push(node);
        const w = listOf(s, fn);
        if (w >= 0) { const i = counts[w].get(fn.name)!; lists[w].get(fn.name)![i] = node; counts[w].set(fn.name, i + 1); }
        return node;
      });
      if (mine.length) this.nodesByFile.set(s.file, mine);
      this.setLocal(s.file, mine);
      for (const [tag, fields] of Object.entries(s.structFields)) {
        const cur = this.structFields.get(tag);
        this.structFields.set(tag, cur ? { ...fields, ...cur } : fields);
      }
      for (const [t, tag] of Object.entries(s.typedefs)) if (!this.typedefs.has(t)) this.typedefs.set(t, tag);
      for (const [name, idx] of Object.entries(s.gfpPrototypes)) this.gfpPrototypes.set(name, idx);
    }
    for (const s of files) {
      this.indexBindings(s);
      if ((++k & 255) === 0) yield;
    }
  }

  /** Where each file's bindings were indexed (map, key), so an edit can take them out again cheaply. */
  private bindingKeys = new Map<string, BindingKeys>();

  private indexBindings(s: FileSummary): void {
    const keys: BindingKeys = [];
    const add = (m: BindingMap, k: string, entry: { b: Binding; file: string; node: FnNode }) => { push(m, k, entry); keys.push(m, k); };
    for (const b of s.bindings) {
      const targets = this.resolveName(s.file, b.fn);
      if (!targets.length) continue;
      for (const node of targets.slice(0, 1)) {
        const field = b.chain[b.chain.length - 1];
        const entry = { b, file: s.file, node };
        if (b.via === 'work') { add(this.workByField, field, entry); continue; }
        const type = b.structType ?? this.ownerType(b.baseType, b.chain);
        if (type) add(this.bindingsByTypeField, `${type}.${field}`, entry);
        add(this.bindingsByField, field, entry);
      }
    }
    this.bindingKeys.set(s.file, trimmed(keys));
  }

  private canonType(t: string | undefined): string | undefined {
    if (!t) return undefined;
    let cur = t;
    for (let i = 0; i < 4 && this.typedefs.has(cur) && this.typedefs.get(cur) !== cur; i++) cur = this.typedefs.get(cur)!;
    return cur;
  }

  /** The struct type that owns the last field of `chain`, starting from `baseType`. */
  private ownerType(baseType: string | undefined, chain: string[]): string | undefined {
    let t = this.canonType(baseType);
    for (let i = 0; t && i < chain.length - 1; i++) t = this.canonType(this.structFields.get(t)?.[chain[i]] || undefined);
    return t;
  }

  /** The first function of `file` named `name`. */
  private localFn(file: string, name: string): FnNode | undefined {
    const map = this.byFile.get(file);
    if (map) return map.get(name);
    const list = this.nodesByFile.get(file);
    if (list) for (const n of list) if (n.fn.name === name) return n;
    return undefined;
  }

  /** Keeps a name map for a file with many functions (see `byFile`). */
  private setLocal(file: string, nodes: FnNode[]): void {
    if (nodes.length <= LOCAL_MAP_MIN) { this.byFile.delete(file); return; }
    const local = new Map<string, FnNode>();
    for (const n of nodes) if (!local.has(n.fn.name)) local.set(n.fn.name, n);
    this.byFile.set(file, local);
  }

  resolveName(file: string, name: string): FnNode[] {
    const local = this.localFn(file, name);
    if (local) return one(local);
    const global = this.byName.get(name);
    const found = global && global.length ? global : this.headerStatic.get(name) ?? [];
    // code under arch/X never calls into arch/Y (not even when arch/Y has the only global definition: then the
    // callee is arch/X's static inline in a header)
    const arch = archOf(file);
    if (!arch) return found;
    const archOk = (n: FnNode) => { const a = archOf(n.file); return !a || a === arch; };
    const mine = found.filter(archOk);
    if (mine.length || found !== global) return mine.length === 1 ? one(mine[0]) : mine;
    const fallback = (this.headerStatic.get(name) ?? []).filter(archOk);
    return fallback.length === 1 ? one(fallback[0]) : fallback;
  }

  /** The first function of each name in `file`, in source order. */
  functionsOf(file: string): FnNode[] {
    const seen = new Set<string>();
    return (this.nodesByFile.get(file) ?? []).filter((n) => !seen.has(n.fn.name) && !!seen.add(n.fn.name));
  }

  // ---------- edges ----------
  private computeEdges(n: FnNode): Edge[] {
    const out: Edge[] = [];
    const calls = n.fn.calls;
    const columns = calls instanceof CallColumns ? calls : undefined;
    for (let i = 0; i < calls.length; i++) {
      // a direct call is looked at by its callee alone (in columns: without making a site object)
      const name = columns ? columns.calleeAt(i) : calls.at(i)!.callee;
      const h = name ? HANDOFF_BY_NAME.get(name) : undefined;
      if (name && !h) {
        if (REGISTRATION_BY_NAME.has(name)) continue;
        const targets = this.resolveName(n.file, name);
        if (targets.length && targets.length <= MAX_NAME_CANDIDATES) out.push(new Edge('call', calls, i, targets, targets.length === 1 ? 'high' : 'medium', n));
        continue;
      }
      const c = calls.at(i)!;
      if (h) {
        let targets: FnNode[] = []; let confidence: Confidence = 'high';
        if (h.fnArg >= 0) {
          const ref = c.args[h.fnArg]?.fnRef;
          if (ref) targets = this.resolveName(n.file, ref);
        } else if (h.workArg !== undefined) {
          const fr = c.args[h.workArg]?.fieldRef;
          const field = fr?.field ?? c.args[h.workArg]?.text.replace(/^&/, '');
          const all = field ? this.workByField.get(field) ?? [] : [];
          const same = all.filter((e) => e.file === n.file);
          const pick = same.length ? same : all;
          confidence = same.length ? (same.length === 1 ? 'high' : 'medium') : 'low';
          if (pick.length <= MAX_FIELD_CANDIDATES) targets = uniq(pick.map((e) => e.node));
        }
        if (targets.length) out.push(new Edge('handoff', calls, i, targets, confidence, n));
      } else if (c.pointer) {
        const field = c.pointer.chain[c.pointer.chain.length - 1];
        const owner = this.ownerType(c.pointer.baseType, c.pointer.chain);
        let entries = owner ? this.bindingsByTypeField.get(`${owner}.${field}`) : undefined;
        let confidence: Confidence = 'high';
        if (!entries || !entries.length) {
          if (c.pointer.chain.length === 1 && !c.pointer.baseType) continue; // plain function-pointer variable: unknown
          entries = this.bindingsByField.get(field) ?? [];
          confidence = 'low';
        } else if (entries.length > 3) confidence = 'medium';
        const targets = uniq(entries.map((e) => e.node));
        if (targets.length && targets.length <= MAX_FIELD_CANDIDATES) out.push(new Edge('pointer', calls, i, targets, confidence, n));
      }
    }
    return trimmed(out);
  }

  // ---------- gfp parameter flows ----------
  private *computeFlows(nodes: FnNode[]): Work {
    // base: allocations whose flags are a parameter
    let k = 0;
    for (const n of nodes) {
      if ((++k & 255) === 0) yield;
      for (const a of n.fn.allocs) {
        for (const v of a.values) {
          if (v.param === undefined) continue;
          this.addFlow(n, v.param, {
            clear: v.clear ?? NO_BITS, add: v.add ?? NO_BITS, held: heldOf(a.state, n), scope: a.state.scope?.kind, released: a.state.released,
            steps: [allocStep(n.file, a, n.fn.name)], alloc: { file: n.file, site: a, callee: a.callee },
          });
        }
      }
      // calls to prototypes with gfp_t parameters that have no definition anywhere: treat as allocators
      for (const c of n.fn.calls) {
        if (!c.callee) continue;
        const pi = this.gfpPrototypes.get(c.callee);
        if (pi === undefined || this.resolveName(n.file, c.callee).length) continue;
        for (const v of c.args[pi]?.values ?? []) {
          if (v.param === undefined) continue;
          this.addFlow(n, v.param, {
            clear: v.clear ?? NO_BITS, add: v.add ?? NO_BITS, held: heldOf(c.state, n), scope: c.state.scope?.kind, released: c.state.released,
            steps: [{ kind: 'alloc', file: n.file, line: c.line, character: c.col, text: `${c.callee}(${c.args[pi]!.text}) (declared with a gfp_t parameter)` }],
            alloc: { file: n.file, site: c, callee: c.callee },
          });
        }
      }
    }
    // transitive: a parameter passed on to a function whose parameter flows
    let changed = true;
    for (let round = 0; changed && round < 12; round++) {
      changed = false;
      for (const n of nodes) {
        if ((++k & 255) === 0) yield;
        for (const e of this.edgesOf(n.id)) {
          if (e.kind !== 'call') continue;
          for (const t of e.targets) {
            const tf = this.flows.get(t.id);
            if (!tf) continue;
            for (const [q, recs] of tf) {
              for (const v of e.site.args[q]?.values ?? []) {
                if (v.param === undefined) continue;
                const rec = recs.find((r) => r.released > 0 || r.dropsLock) ?? recs[0];
                const outer = heldOf(e.state, n);
                const next: FlowRec = {
                  clear: or(v.clear ?? NO_BITS, rec.clear), add: or(v.add ?? NO_BITS, rec.add),
                  // the callee dropped the lock held here (or its caller's) before allocating
                  held: rec.released ? undefined : outer ?? (e.state.released ? undefined : rec.held),
                  scope: strongest(e.state.scope?.kind, rec.scope), released: e.state.released + (outer ? 0 : rec.released),
                  dropsLock: rec.dropsLock || (!!outer && rec.released > 0),
                  steps: [callStep(n, e.site, t, 'call'), ...rec.steps], alloc: rec.alloc,
                };
                if (this.addFlow(n, v.param, next)) changed = true;
              }
            }
          }
        }
      }
    }
  }

  private addFlow(n: FnNode, param: number, rec: FlowRec): boolean {
    let m = this.flows.get(n.id);
    if (!m) { m = new Map(); this.flows.set(n.id, m); }
    const list = m.get(param) ?? [];
    if (list.some((r) => r.alloc.site === rec.alloc.site)) return false;
    if (list.length >= 2) {
      if (!(rec.released > 0 || rec.dropsLock) || list.some((r) => r.released > 0 || r.dropsLock)) return false;
      list.pop();
    }
    list.push(rec);
    list.sort((a, b) => a.steps.length - b.steps.length);
    m.set(param, list);
    return true;
  }

  // ---------- sites ----------
  private *collectSites(nodes: FnNode[]): Work {
    let k = 0;
    for (const n of nodes) {
      if ((++k & 255) === 0) yield;
      const list: CheckSite[] = [];
      for (const a of n.fn.allocs) {
        list.push({ node: n, kind: 'alloc', report: a, callee: a.callee, argText: a.argText, values: a.values, state: a.state, innerSteps: [], alloc: a });
      }
      for (const s of n.fn.sleeps) {
        list.push({ node: n, kind: 'sleep', report: s, callee: s.callee, argText: '', values: [], state: s.state, innerSteps: [] });
      }
      for (const e of this.edgesOf(n.id)) {
        if (e.kind !== 'call') continue;
        const t = e.targets[0];
        const tf = this.flows.get(t.id);
        if (!tf) continue;
        for (const [q, recs] of tf) {
          const arg = e.site.args[q];
          if (!arg || !arg.values) continue;
          const consts = arg.values.filter((v) => v.param === undefined);
          if (!consts.length) continue;
          const rec = recs.find((r) => r.released > 0 || r.dropsLock) ?? recs[0];
          const values = consts.map((v) => substitute({ name: arg.text, param: 0, clear: rec.clear, add: rec.add }, v));
          const argLoc = this.locIn(n, arg.start, arg.end, e.site);
          list.push({
            node: n, kind: 'flow', report: argLoc, callee: t.fn.name, argText: arg.text, values, state: e.state,
            innerHeld: rec.released ? undefined : rec.held, innerScope: rec.scope, innerSteps: [callStep(n, e.site, t, 'call'), ...rec.steps], flowCall: e.site,
            innerReleased: rec.released > 0,
          });
        }
      }
      // prototypes with gfp_t params and no definition: the call is the allocation
      for (const c of n.fn.calls) {
        if (!c.callee) continue;
        const pi = this.gfpPrototypes.get(c.callee);
        if (pi === undefined || this.resolveName(n.file, c.callee).length) continue;
        const arg = c.args[pi];
        const consts = (arg?.values ?? []).filter((v) => v.param === undefined);
        if (!arg || !consts.length) continue;
        list.push({
          node: n, kind: 'flow', report: this.locIn(n, arg.start, arg.end, c), callee: c.callee, argText: arg.text, values: consts, state: c.state,
          innerSteps: [{ kind: 'alloc', file: n.file, line: c.line, character: c.col, text: `${c.callee}(…, ${arg.text}) may allocate (declared with a gfp_t parameter, no definition indexed)` }], flowCall: c,
        });
      }
      if (list.length) this.sites.set(n.id, list);
    }
  }

  /** Line/col of an argument: same line as the call unless the text says otherwise. */
  private locIn(n: FnNode, start: number, end: number, call: CallSite): Loc {
    void n;
    const arg = call.args.find((a) => a?.start === start);
    return { offset: start, end, line: arg?.line ?? call.line, col: arg?.col ?? call.col };
  }

  // ---------- propagation ----------
  private addCtx(node: FnNode, rec: Omit<CtxRec, 'arrivals' | 'node'>, queue: CtxRec[], into: Map<number, CtxRec[]>): void {
    const list = into.get(node.id) ?? [];
    const same = list.find((c) => c.kind === rec.kind && c.scope === rec.scope && c.lost === rec.lost && c.req === rec.req && c.intr === rec.intr);
    if (same) {
      same.arrivals++;
      // Among equally short records the surer one wins, then the smaller origin, whatever order they arrived in
      // (full runs, refreshes and single-file updates then agree): records of one depth all arrive before any of
      // them is propagated, and a shorter one always arrives first.
      if (rec.depth === same.depth && (CONF_ORDER[rec.confidence] > CONF_ORDER[same.confidence]
        || (rec.confidence === same.confidence && tieKey(rec) < tieKey(same)))) {
        setRec(same, rec);
      }
      return;
    }
    if (list.length >= 12) return;
    const full: CtxRec = {
      kind: rec.kind, scope: rec.scope, lost: rec.lost, req: rec.req, intr: rec.intr, confidence: rec.confidence, depth: rec.depth,
      node, steps: rec.steps, via: rec.via, parent: rec.parent, description: rec.description, arrivals: 1,
    };
    list.push(full);
    into.set(node.id, list);
    queue.push(full);
  }

  /** Registration calls (request_irq, timer_setup, ...) anywhere in the tree. */
  /** Calls that register a callback (request_irq, timer_setup, ...), by the name they register and by the calling function. */
  private regByRef = new Map<string, Array<{ n: FnNode; c: CallSite; ref: string }>>();
  private regByNode = new Map<number, Array<{ ref: string; c: CallSite }>>();

  /** Forgets the registration calls a function makes (before they are read again, or when it is removed). */
  private dropRegistrations(id: number): void {
    for (const { ref, c } of this.regByNode.get(id) ?? []) {
      const list = this.regByRef.get(ref)?.filter((r) => r.c !== c);
      if (list?.length) this.regByRef.set(ref, list); else this.regByRef.delete(ref);
    }
    this.regByNode.delete(id);
  }

  private collectRegCalls(n: FnNode): void {
    for (const c of n.fn.calls) {
      const reg = c.callee ? REGISTRATION_BY_NAME.get(c.callee) : undefined;
      const ref = reg ? c.args[reg.fnArg]?.fnRef : undefined;
      if (!ref) continue;
      push(this.regByRef, ref, { n, c, ref });
      push(this.regByNode, n.id, { ref, c });
    }
  }

  /** Registered as an interrupt-context callback (request_irq, timer_setup, ...): whatever it holds, in_interrupt() is true. */
  private isInterruptCallback(n: FnNode): boolean {
    return !!this.regByRef.get(n.fn.name)?.some((r) => this.resolveName(r.n.file, r.ref).slice(0, MAX_NAME_CANDIDATES).includes(n));
  }

  /** Root contexts: all of them (targets = null), or only those arriving at the given functions. */
  private *seed(targets: Set<number> | null, queue: CtxRec[], into: Map<number, CtxRec[]>): Work {
    const want = (t: FnNode) => !targets || targets.has(t.id);
    // the registration calls of each function are re-read one function at a time (replaceFile() may run in between)
    let k = 0;
    if (!targets) {
      this.regByRef.clear(); this.regByNode.clear();
      for (const n of this.nodes) {
        this.collectRegCalls(n);
        if ((++k & 1023) === 0) yield;
      }
    } else {
      for (const id of targets) {
        this.dropRegistrations(id);
        this.collectRegCalls(this.nodes[id]);
        if ((++k & 1023) === 0) yield;
      }
    }
    // registrations (sorted by file for determinism); when re-seeding a few functions, only registrations naming them
    const candidates = targets
      ? [...new Set([...targets].map((id) => this.nodes[id].fn.name))].flatMap((name) => this.regByRef.get(name) ?? [])
      : [...this.regByRef.values()].flat();
    const regs: typeof candidates = [];
    for (const r of candidates) {
      if (this.resolveName(r.n.file, r.ref).slice(0, MAX_NAME_CANDIDATES).some(want)) regs.push(r);
      if ((++k & 1023) === 0) yield;
    }
    regs.sort((a, b) => a.n.id - b.n.id || a.c.offset - b.c.offset);
    for (const { n, c, ref } of regs) {
      if ((++k & 255) === 0) yield;
      const reg = ATOMIC_REGISTRATIONS[c.callee!];
      for (const t of this.resolveName(n.file, ref).slice(0, MAX_NAME_CANDIDATES)) {
        if (!want(t)) continue;
        this.addCtx(t, {
          kind: 'atomic', scope: 'none', lost: false, intr: true, confidence: 'high', depth: 0, parent: null,
          description: `${ref}() is a ${reg.label}, registered by ${c.callee}() at ${base(n.file)}:${c.line + 1}`,
          steps: [
            { kind: 'origin', file: n.file, line: c.line, character: c.col, text: `${c.callee}() registers ${ref}() as a ${reg.label}` },
            { kind: 'registration', file: t.file, line: t.fn.line, character: t.fn.col, text: `${ref}() runs in atomic context (${reg.label})` },
          ],
        }, queue, into);
      }
    }
    // ops-table fields
    for (const root of FIELD_ROOTS) for (const type of root.structs) {
      const field = root.field;
      for (const { b, file, node } of this.bindingsByTypeField.get(`${type}.${field}`) ?? []) {
        if (!want(node)) continue;
        this.addCtx(node, {
          kind: root.kind, scope: 'none', lost: false, intr: root.kind === 'atomic', confidence: 'high', depth: 0, parent: null,
          description: `${b.fn}() is the ${root.label}, set at ${base(file)}:${b.line + 1}`,
          steps: [
            { kind: 'origin', file, line: b.line, character: b.col, text: `.${field} = ${b.fn} (struct ${type}): ${root.label}` },
            { kind: 'registration', file: node.file, line: node.fn.line, character: node.fn.col, text: `${b.fn}() runs on the ${root.kind === 'atomic' ? 'atomic' : root.kind.toUpperCase() + '-required'} path` },
          ],
        }, queue, into);
      }
    }
    // annotations and settings
    const sortedTargets = targets ? sortedIds(targets) : [];
    const scopeNodes = targets ? sortedTargets.map((id) => this.nodes[id]) : this.nodes;
    for (const n of scopeNodes) {
      if ((++k & 255) === 0) yield;
      const kind = n.fn.annotation ?? (this.options.extraRoots && hasName(this.options.extraRoots, n.fn.name) ? this.options.extraRoots[n.fn.name] : undefined);
      if (!kind || kind === 'process') continue;
      const how = n.fn.annotation ? `annotated "${n.fn.annotationText}"` : 'listed in gfpLens.extraRoots';
      this.addCtx(n, {
        kind, scope: 'none', lost: false, intr: false, confidence: 'high', depth: 0, parent: null,
        description: `${n.fn.name}() is ${how}`,
        steps: [{ kind: 'origin', file: n.file, line: n.fn.line, character: n.fn.col, text: `${n.fn.name}() ${how}` }],
      }, queue, into);
    }
    // call-site roots: calls made while holding a lock, or inside a filesystem transaction
    const callSiteRoots = (n: FnNode, e: Edge, t: FnNode) => {
      if (e.kind === 'handoff' || !plausibleTargets(n, e, [t]).length) return;
      const lock = atomicHeld(e.state, n);
      if (lock && !this.calleeMayDropBefore(n, lock, e.offset)) {
        this.addCtx(t, {
          kind: 'atomic', scope: 'none', lost: false, intr: disablesBh(lock) || this.isInterruptCallback(n), confidence: e.confidence, depth: 1, parent: null,
          description: `${lockWhat(lock)} \`${lock.text}\` held in ${n.fn.name}() at ${base(n.file)}:${lock.line + 1}`,
          steps: [lockStep(n, lock), callStep(n, e.site, t, e.kind, e.label)],
        }, queue, into);
      }
      const txn = e.state.nofsTxn;
      if (txn && !e.state.scope) {
        this.addCtx(t, {
          kind: 'nofs', scope: 'none', lost: false, intr: false, confidence: e.confidence, depth: 1, parent: null,
          description: `inside the filesystem transaction started by ${txn.text} in ${n.fn.name}() at ${base(n.file)}:${txn.line + 1}`,
          steps: [{ kind: 'origin', file: n.file, line: txn.line, character: txn.col, text: `${txn.text} starts a transaction in ${n.fn.name}()` }, callStep(n, e.site, t, e.kind, e.label)],
        }, queue, into);
      }
    };
    if (!targets) {
      for (const n of this.nodes) {
        for (const e of this.edgesOf(n.id)) for (const t of e.targets) callSiteRoots(n, e, t);
        if ((++k & 255) === 0) yield;
      }
    } else {
      for (const id of sortedTargets) {
        const t = this.nodes[id];
        for (const edge of this.callersOf(id)) {
          callSiteRoots(edge.from, edge, t);
          if ((++k & 127) === 0) yield;
        }
      }
    }
  }

  /** One propagation step of context x over edge e to its targets. */
  private step(x: CtxRec, e: Edge, targets: FnNode[], queue: CtxRec[], into: Map<number, CtxRec[]>): void {
    if (x.depth >= MAX_DEPTH) return;
    const st = e.state;
    if (x.kind === 'atomic' && (e.kind === 'handoff' || st.released > 0 || this.firstCallerDrop(x.node) < e.offset)) return;
    targets = plausibleTargets(x.node, e, targets);
    if (!targets.length) return;
    let scope: ScopeState; let lost = x.lost;
    if (e.kind === 'handoff') {
      if (strongest(x.scope, st.scope?.kind) !== 'none') lost = true;
      scope = 'none';
    } else scope = strongest(x.scope, st.scope?.kind);
    const req = st.maySleepReq ?? x.req;
    for (const t of targets) {
      this.addCtx(t, {
        kind: x.kind, scope, lost, req, intr: x.intr, confidence: minConf(minConf(x.confidence, e.confidence), x.depth + 1 > HIGH_DEPTH ? 'medium' : 'high'), depth: x.depth + 1, parent: x,
        description: x.description, steps: NO_STEPS, via: { from: x.node, site: e.site, kind: e.kind, label: e.label },
      }, queue, into);
    }
  }

  /** Breadth-first propagation over the whole graph (queue order = roots in sorted order, then by depth); repropagate() does a part. */
  private *bfs(queue: CtxRec[]): Work {
    let k = 0;
    for (let qi = 0; qi < queue.length; qi++) {
      const x = queue[qi];
      const out = this.edgesOf(x.node.id);
      for (const e of out) if (e.targets.length) this.step(x, e, e.targets, queue, this.ctxs);
      if ((k += 1 + out.length) > 512) { k = 0; yield; }
    }
  }

  /** Full witness path of a context record, origin first. */
  pathOf(c: CtxRec): PathStep[] {
    const chain: CtxRec[] = [];
    for (let cur: CtxRec | null = c; cur; cur = cur.parent) chain.unshift(cur);
    return chain.flatMap((x) => (x.via ? [callStep(x.via.from, x.via.site, x.node, x.via.kind, x.via.label)] : x.steps));
  }

  // ---------- rules ----------
  /** The contexts that reach a check site, with full paths ending at the site. */
  contextsAt(s: CheckSite): Array<{ ctx: SiteContext; confidence: Confidence; req?: boolean }> {
    const out: Array<{ ctx: SiteContext; confidence: Confidence; req?: boolean }> = [];
    const tail = this.siteTail(s);
    const held = s.innerReleased ? undefined : atomicHeld(s.state, s.node);
    if (held) {
      // a callee made under the lock before this site may drop it (an unlock helper, a function that releases the
      // caller's lock on some path): the context is then not certain from this function alone
      const local = !this.calleeMayDropBefore(s.node, held, s.report.offset);
      out.push({ ctx: { kind: 'atomic', scope: 'none', lost: false, intr: disablesBh(held) || this.isInterruptCallback(s.node), local, description: `${lockWhat(held)} \`${held.text}\` held in ${s.node.fn.name}() at ${base(s.node.file)}:${held.line + 1}`, path: [lockStep(s.node, held), ...tail] }, confidence: 'high', req: s.state.maySleepReq });
    } else if (s.innerHeld) {
      const h = s.innerHeld;
      out.push({ ctx: { kind: 'atomic', scope: 'none', lost: false, intr: disablesBh(h), description: `${lockWhat(h)} \`${h.text}\` held in ${h.fnName}() at ${base(h.file)}:${h.line + 1}`, path: [...tail.slice(0, -1), { kind: 'origin', file: h.file, line: h.line, character: h.col, text: `${h.text} in ${h.fnName}()` }, tail[tail.length - 1]] }, confidence: 'high', req: s.state.maySleepReq });
    }
    if (s.state.nofsTxn) {
      const t = s.state.nofsTxn;
      out.push({ ctx: { kind: 'nofs', scope: 'none', lost: false, local: true, description: `inside the filesystem transaction started by ${t.text} at ${base(s.node.file)}:${t.line + 1}`, path: [{ kind: 'origin', file: s.node.file, line: t.line, character: t.col, text: `${t.text} starts a transaction in ${s.node.fn.name}()` }, ...tail] }, confidence: 'high', req: s.state.maySleepReq });
    }
    for (const c of this.ctxs.get(s.node.id) ?? []) {
      if (c.kind === 'atomic' && (s.state.released > 0 || s.innerReleased)) continue;
      const ctx = { kind: c.kind, scope: c.scope, lost: c.lost, intr: c.intr, description: c.description, local: c.depth === 0 } as SiteContext;
      // the path is built only when someone looks at it (most contexts produce no finding)
      let path: PathStep[] | undefined;
      Object.defineProperty(ctx, 'path', { enumerable: true, get: () => (path ??= [...this.pathOf(c), ...tail]) });
      out.push({ ctx, confidence: c.confidence, req: s.state.maySleepReq ?? c.req });
    }
    return out;
  }

  /** Does some call made while `held` is held, before `offset` in the same function, reach a function that releases a lock it did not take? */
  private calleeMayDropBefore(node: FnNode, held: LockRef, offset: number): boolean {
    for (const e of this.edgesOf(node.id)) {
      if (e.kind !== 'call' || e.offset <= held.offset || e.offset >= offset) continue;
      if (!e.state.held.some((h) => h.offset === held.offset)) continue;
      if (e.targets.some((t) => this.mayDropCallerLock(t, 2))) return true;
    }
    return false;
  }

  /** Offset of the first call in `n`, made with nothing of `n`'s own held, that may drop `n`'s caller's lock (Infinity if none). */
  private firstCallerDrop(n: FnNode): number {
    let v = this.callerDropMemo.get(n.id);
    if (v === undefined) {
      v = Infinity;
      for (const e of this.edgesOf(n.id)) {
        if (e.kind !== 'call' || e.offset >= v || e.state.held.length || e.targets.length > 2) continue;
        if (e.targets.some((t) => this.mayDropCallerLock(t, 2))) v = e.offset;
      }
      this.callerDropMemo.set(n.id, v);
    }
    return v;
  }
  private callerDropMemo = new Map<number, number>();

  private mayDropCallerLock(n: FnNode, depth: number): boolean {
    if (n.fn.releasesCallerLock) return true;
    if (depth <= 1) return false;
    for (const e of this.edgesOf(n.id)) {
      if (e.kind !== 'call' || e.targets.length > 2 || e.state.held.length) continue;
      if (e.targets.some((t) => this.mayDropCallerLock(t, depth - 1))) return true;
    }
    return false;
  }

  private siteTail(s: CheckSite): PathStep[] {
    if (s.kind === 'flow') return s.innerSteps;
    const what = s.kind === 'sleep' ? `${s.callee}() may sleep` : `${s.callee}(${s.argText || 'implicit GFP_KERNEL'})`;
    return [{ kind: 'alloc', file: s.node.file, line: s.report.line, character: s.report.col, text: `${what} in ${s.node.fn.name}()` }];
  }

  /** Values that hold on this path: request-flag conditionals resolved by `req`; others uncertain. */
  static certainValues(values: GfpAlt[], req: boolean | undefined): { certain: GfpAlt[]; uncertain: GfpAlt[] } {
    const certain: GfpAlt[] = []; const uncertain: GfpAlt[] = [];
    for (const v of values) {
      if (v.unknown || v.param !== undefined || !v.bits) { uncertain.push(v); continue; }
      if (v.cond) {
        if (isRequestFlag(v.cond.flag)) {
          if (req === undefined) { uncertain.push(v); continue; }
          if (req !== v.cond.value) continue;
        } else { uncertain.push(v); continue; }
      }
      certain.push(v);
    }
    // an opaque ?: whose every branch is known counts as certain when all branches agree
    if (!certain.length && uncertain.length && uncertain.every((v) => v.bits && v.cond && !isRequestFlag(v.cond.flag))) {
      return { certain: [], uncertain };
    }
    return { certain, uncertain };
  }

  effectiveScope(s: CheckSite, ctx: SiteContext): ScopeState {
    return strongest(strongest(ctx.scope, s.state.scope?.kind), s.innerScope);
  }

  private *evaluate(nodes: FnNode[]): Work {
    let k = 0;
    for (const n of nodes) {
      if ((++k & 63) === 0) yield;
      for (const s of this.sites.get(n.id) ?? []) {
        const byRule = new Map<RuleId, Array<{ path: PathStep[]; confidence: Confidence; message: string; local: boolean }>>();
        for (const { ctx, confidence, req } of this.contextsAt(s)) {
          const verdict = this.judge(s, ctx, req);
          if (!verdict) continue;
          const list = byRule.get(verdict.rule) ?? [];
          list.push({ path: ctx.path, confidence, message: verdict.message, local: !!ctx.local });
          byRule.set(verdict.rule, list);
        }
        for (const [rule, list] of byRule) {
          list.sort((a, b) => Number(b.local) - Number(a.local) || CONF_ORDER[b.confidence] - CONF_ORDER[a.confidence] || a.path.length - b.path.length || pathKey(a.path).localeCompare(pathKey(b.path)));
          const best = list[0];
          // Severity follows the evidence: an atomic finding is an error when the atomic context is visible in the
          // reporting function itself; reached through calls from elsewhere it is a warning (possible, check the path).
          const severity = (rule === 'atomic-alloc' || rule === 'atomic-sleep') && !best.local ? 'warning' : RULES[rule].severity;
          this.findings.push({ rule, severity, message: best.message, site: s, path: best.path, confidence: best.confidence, otherPaths: list.length - 1 });
        }
        // redundant GFP_NOIO / GFP_NOFS inside a scope
        if (s.kind === 'alloc' && s.state.scope) {
          const t = s.argText.trim();
          const sc = s.state.scope;
          if (sc.token !== '' && ((t === 'GFP_NOIO' && sc.kind === 'noio') || (t === 'GFP_NOFS' && (sc.kind === 'nofs' || sc.kind === 'noio')))) {
            this.findings.push({
              rule: 'redundant-flag', severity: RULES['redundant-flag'].severity, site: s, confidence: 'high', otherPaths: 0,
              message: `${t} is redundant here: ${sc.text} at line ${sc.line + 1} already makes every allocation of this task ${sc.kind === 'noio' ? 'GFP_NOIO' : 'GFP_NOFS'}. Plain GFP_KERNEL states the intent and keeps working if the scope moves.`,
              path: [{ kind: 'scope', file: n.file, line: sc.line, character: sc.col, text: `${sc.text} in ${n.fn.name}()` }, ...this.siteTail(s)],
            });
          }
        }
      }
      for (const issue of n.fn.scopeIssues) {
        this.findings.push({
          rule: 'unbalanced-scope', severity: RULES['unbalanced-scope'].severity, message: issue.message, confidence: 'high', otherPaths: 0,
          site: { node: n, kind: 'alloc', report: issue, callee: '', argText: '', values: [], state: { held: [], released: 0 }, innerSteps: [] },
          path: [{ kind: 'scope', file: n.file, line: issue.line, character: issue.col, text: issue.message.split(':')[0] }],
        });
      }
    }
  }

  judge(s: CheckSite, ctx: SiteContext, req: boolean | undefined): { rule: RuleId; message: string } | undefined {
    const fnName = s.node.fn.name;
    if (s.kind === 'sleep') {
      if (ctx.kind !== 'atomic') return undefined;
      // vfree() defers to vfree_atomic() when in_interrupt(): irq/softirq/RCU callbacks and bh-disabled regions
      if (s.callee === 'vfree' && ctx.intr) return undefined;
      return { rule: 'atomic-sleep', message: `${s.callee}() may sleep, but ${fnName}() can run in atomic context: ${ctx.description}. Sleeping here is a "scheduling while atomic" bug.` };
    }
    const { certain } = Analysis.certainValues(s.values, req);
    if (!certain.length) return undefined;
    const where = s.kind === 'flow' ? `${s.argText} passed to ${s.callee}() reaches an allocation` : `${s.callee}(${s.argText || '…'})`;
    if (ctx.kind === 'atomic') {
      const bad = certain.find((v) => v.bits!.sleep);
      if (!bad) return undefined;
      return { rule: 'atomic-alloc', message: `${where} may sleep (${bad.name} allows direct reclaim), but ${fnName}() runs in atomic context: ${ctx.description}. Use GFP_ATOMIC or GFP_NOWAIT, or allocate before entering the atomic section.` };
    }
    const scope = this.effectiveScope(s, ctx);
    const bad = certain.find((v) => {
      const eff = applyScope(v.bits!, scope);
      return ctx.kind === 'noio' ? eff.sleep && eff.io : eff.sleep && eff.fs;
    });
    if (!bad) return undefined;
    const effName = bitsName(applyScope(bad.bits!, scope));
    const eff = effName === bad.name ? bad.name : `${bad.name}, effectively ${effName}`;
    if (ctx.lost) {
      return { rule: 'scope-lost', message: `${where} allocates with ${ctx.kind === 'noio' ? '__GFP_IO' : '__GFP_FS'} (${eff}) in work handed off from a ${ctx.kind === 'noio' ? 'block I/O' : 'filesystem reclaim'} path that holds a memalloc scope: the scope belongs to the queuing task and does not follow the work (${ctx.description}). Open the scope in the worker, or use ${ctx.kind === 'noio' ? 'GFP_NOIO' : 'GFP_NOFS'}.` };
    }
    if (ctx.kind === 'noio') {
      return { rule: 'noio-alloc', message: `${where} may start I/O from reclaim (${eff}) on a block I/O path: ${ctx.description}. Reclaim can recurse into the I/O being served and deadlock; use GFP_NOIO or a memalloc_noio_save()/restore() scope.` };
    }
    return { rule: 'nofs-alloc', message: `${where} may recurse into the filesystem from reclaim (${eff}) on a filesystem reclaim path: ${ctx.description}. Use GFP_NOFS or a memalloc_nofs_save()/restore() scope.` };
  }
}

// ---------- helpers ----------
/** A piece of work that yields now and then (see Analysis.runSteps). */
export type Work<T = void> = Generator<void, T, void>;
/** Runs a piece of work to its end at once. */
export function drain<T>(work: Work<T>): T {
  for (;;) { const r = work.next(); if (r.done) return r.value; }
}
/** Canonical order among equally short, equally sure records of one kind: by description, then by where they came from. */
function tieKey(r: Omit<CtxRec, 'arrivals' | 'node'>): string {
  const from = r.via ? `${r.via.from.file}:${r.via.site.offset}` : r.steps.map((s) => `${s.file}:${s.line}:${s.character}`).join(',');
  return `${r.description}\u0000${from}`;
}
const NO_STEPS: PathStep[] = [];
/**
 * Sets every field of a record from `rec` (optional ones included). Records are built as one literal with every field
 * and updated field by field: spreading and Object.assign() made them dictionaries (~790 bytes each instead of ~130),
 * and a field that `rec` lacks (a root's `via`) would keep the value of the record it replaces.
 */
function setRec(r: CtxRec, rec: Omit<CtxRec, 'arrivals' | 'node'>): CtxRec {
  r.kind = rec.kind; r.scope = rec.scope; r.lost = rec.lost; r.req = rec.req; r.intr = rec.intr; r.confidence = rec.confidence;
  r.depth = rec.depth; r.steps = rec.steps; r.via = rec.via; r.parent = rec.parent; r.description = rec.description;
  return r;
}
/** Kernel convention: ALL_CAPS names are macros. */
const MACRO_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Which of an edge's targets a context may follow. Field-name-only pointers (low) stay in the caller's
 * directory; pointers with many typed candidates (medium) stay in the caller's subsystem (first two path
 * components); hand-offs resolved without confidence stay in the caller's file.
 */
function plausibleTargets(from: FnNode, e: Edge, targets: FnNode[]): FnNode[] {
  if (e.kind === 'handoff' && e.confidence !== 'high') return targets.filter((t) => t.file === from.file);
  if (e.confidence === 'low') return targets.filter((t) => dir(t.file) === dir(from.file));
  if (e.kind === 'pointer' && e.targets.length > 1) {
    // which implementation runs depends on the object: only follow into the caller's own subsystem
    const here = dir(from.file);
    return targets.filter((t) => dir(t.file) === here);
  }
  return targets;
}
/** drivers/scsi/x.c -> drivers/scsi; crypto/xts.c and include/crypto/skcipher.h -> crypto; kernel/sched/x.c -> kernel. */
function subsystem(file: string): string {
  const parts = file.split('/');
  for (let i = parts.length - 2; i >= 0; i--) {
    const p = parts[i];
    if (p === 'include' && parts[i + 1] === 'linux') return 'include/linux';
    if (p === 'include' && i + 2 < parts.length) return parts[i + 1] === 'uapi' ? 'include/linux' : parts[i + 1];
  }
  const roots = ['arch', 'drivers', 'fs', 'net', 'sound', 'kernel', 'mm', 'block', 'crypto', 'lib', 'security', 'virt', 'io_uring', 'ipc', 'init', 'samples', 'rust'];
  for (let i = 0; i < parts.length - 1; i++) {
    if (!roots.includes(parts[i])) continue;
    const nested = ['arch', 'drivers', 'fs', 'net', 'sound'].includes(parts[i]);
    return nested && i + 2 < parts.length ? `${parts[i]}/${parts[i + 1]}` : parts[i];
  }
  return dir(file);
}
function dir(file: string): string { const i = file.lastIndexOf('/'); return i >= 0 ? file.slice(0, i) : ''; }
/** The innermost held region that makes this point atomic (irqs-off in boot code does not). */
function atomicHeld(st: SiteState, n: FnNode): LockRef | undefined {
  for (let i = st.held.length - 1; i >= 0; i--) {
    const h = st.held[i];
    if (h.kind === 'irq' && n.fn.isInit) continue;
    return h;
  }
  return undefined;
}
function push<K, V>(m: Map<K, V[]>, k: K, v: V): void { const l = m.get(k); if (l) l.push(v); else m.set(k, [v]); }
function uniq<T>(xs: T[]): T[] { return [...new Set(xs)]; }
/** Pairs [old index, new index] of functions with the same name and the same occurrence of that name, in order. */
function matchFunctions(before: FnSummary[], after: FnSummary[]): Array<[number, number]> {
  const seen = new Map<string, number[]>();
  before.forEach((f, i) => { const l = seen.get(f.name); if (l) l.push(i); else seen.set(f.name, [i]); });
  const used = new Map<string, number>();
  const out: Array<[number, number]> = [];
  after.forEach((f, j) => {
    const k = used.get(f.name) ?? 0;
    const i = seen.get(f.name)?.[k];
    used.set(f.name, k + 1);
    if (i !== undefined) out.push([i, j]);
  });
  return out;
}
/** Function ids in ascending order (a typed-array sort: refreshes sort a hundred thousand of them). */
function sortedIds(ids: Iterable<number>): number[] { return Array.from(Int32Array.from(ids).sort()); }
/** The architecture directory a file is under (`arch/<x>/...`), if any. */
function archOf(file: string): string | undefined {
  let a = ARCH_OF.get(file);
  if (a === undefined) ARCH_OF.set(file, (a = /(?:^|\/)arch\/([^/]+)\//.exec(file)?.[1] ?? ''));
  return a || undefined;
}
/** archOf by file (millions of lookups, a regex each before). */
const ARCH_OF = new Map<string, string>();
export function base(file: string): string { const i = file.lastIndexOf('/'); return i >= 0 ? file.slice(i + 1) : file; }
function pathKey(p: PathStep[]): string { return p.map((s) => `${s.file}:${s.line}`).join('>'); }

/** Holding it makes in_interrupt() true: local_bh_disable(), the _bh lock variants, rcu_read_lock_bh(). */
function disablesBh(l: LockRef): boolean { return l.kind === 'bh' || /^[A-Za-z_]\w*_bh\s*\(/.test(l.text); }

function lockWhat(l: LockRef): string {
  switch (l.kind) {
    case 'rcu': return 'RCU read-side section';
    case 'irq': return 'interrupts disabled by';
    case 'bh': return 'bottom halves disabled by';
    case 'preempt': return 'preemption disabled by';
    case 'preload': return 'preemption disabled by';
    default: return 'lock';
  }
}

function heldOf(st: SiteState, n: FnNode): (LockRef & { file: string; fnName: string }) | undefined {
  const h = atomicHeld(st, n);
  return h ? { ...h, file: n.file, fnName: n.fn.name } : undefined;
}

function lockStep(n: FnNode, lock: LockRef): PathStep {
  return { kind: 'origin', file: n.file, line: lock.line, character: lock.col, text: `${lock.text} in ${n.fn.name}()` };
}

function callStep(from: FnNode, site: CallSite, to: FnNode, kind: StepKind, label = ''): PathStep {
  const text = kind === 'handoff' ? `${from.fn.name}() hands ${to.fn.name}() off (${site.callee}${label ? `, ${label}` : ''})`
    : kind === 'pointer' ? `${from.fn.name}() calls ${to.fn.name}() through ->${label}`
      : `${from.fn.name}() calls ${to.fn.name}()`;
  return { kind, file: from.file, line: site.line, character: site.col, text };
}

function allocStep(file: string, a: AllocSite, fnName: string): PathStep {
  return { kind: 'alloc', file, line: a.line, character: a.col, text: `${a.callee}(${a.argText || 'implicit GFP_KERNEL'}) in ${fnName}()` };
}

export type { ScopeRef, SleepSite };
