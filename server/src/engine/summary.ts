// The per-file summary: plain JSON data computed from one file's text (a pure function of text + options).
// It is what workers produce, what the disk cache stores and what the global analysis consumes.
import type { GfpAlt } from './gfp';
import type { AtomicKind, ScopeKind } from './kernelApi';
import type { ContextKind } from './types';

/** Bump whenever the summary shape or its meaning changes: cached summaries of other versions are ignored. */
export const SUMMARY_VERSION = 18;

export interface Loc { offset: number; end: number; line: number; col: number }

export interface LockRef extends Loc {
  kind: AtomicKind; key: string; text: string;
  /** Taken by calling a same-file lock wrapper. */
  wrapper?: boolean;
  /** A cleanup guard (guard()/scoped_guard()): released when its block or the function ends. */
  guard?: boolean;
  /** Taken only when this branch condition had this value (for correlated `if (c) lock; ... if (c) unlock;`). */
  cond?: { text: string; value: boolean };
}
export interface ScopeRef extends Loc { kind: ScopeKind; token: string; text: string; conds?: Array<{ text: string; value: boolean }> }

/** Lock/scope state at one program point, as seen inside its function. */
export interface SiteState {
  /** Atomic regions entered in this function and (possibly) still held here. */
  held: LockRef[];
  /** Number of releases of locks the function did not take (it drops its caller's lock) before this point. */
  released: number;
  /** memalloc scope certainly in force here (innermost; NOIO wins over NOFS). */
  scope?: ScopeRef;
  /** A crypto request's MAY_SLEEP bit as set earlier in this function, if it was. */
  maySleepReq?: boolean;
  /** Inside a filesystem transaction started in this function. */
  nofsTxn?: Loc & { text: string };
}

export interface ArgSummary {
  text: string;
  start: number;
  end: number;
  line: number;
  col: number;
  /** Flag values when the argument looks like GFP flags. */
  values?: GfpAlt[];
  /** A function named by the argument (`f`, `&f`). */
  fnRef?: string;
  /** For `&x->field` / `&x.field`: the field name and the struct type of x when known. */
  fieldRef?: { field: string; structType?: string };
}

export interface PointerTarget {
  /** Type of the expression the field is read from, when known (struct tag or typedef). */
  baseType?: string;
  /** Field chain from the base, e.g. ["type", "map"] for ti->type->map. */
  chain: string[];
}

export interface CallSite extends Loc {
  callee?: string;
  pointer?: PointerTarget;
  /** Arguments by position; null where the argument carries nothing the analysis uses. */
  args: Array<ArgSummary | null>;
  state: SiteState;
}

export interface AllocSite extends Loc {
  callee: string;
  argIndex: number;       // -1: implicit GFP_KERNEL
  argText: string;
  argStart: number;
  argEnd: number;
  values: GfpAlt[];
  state: SiteState;
  /** Nearest enclosing statement (for wrap fixes): offsets and indentation. */
  stmtStart: number;
  stmtEnd: number;
  indent: string;
  /** The statement sits directly in a block, so it can be wrapped in a scope. */
  wrapOk: boolean;
}

export interface SleepSite extends Loc { callee: string; state: SiteState }

export interface ScopeIssue extends Loc {
  kind: ScopeKind;
  message: string;
  /** Where a `memalloc_*_restore(token);` could be inserted (before an early return). */
  insertRestore?: { offset: number; indent: string; token: string };
}

export interface Param { name: string; type: string; isGfp: boolean }

export interface FnSummary extends Loc {
  name: string;
  isStatic: boolean;
  /** `__init` code (and start_kernel): runs at boot, where irqs-off allocation is allowed (gfp_allowed_mask). */
  isInit?: boolean;
  nameStart: number;
  bodyStart: number;
  bodyEnd: number;
  params: Param[];
  /** From a `gfp-lens: context=<kind>` comment or a `__must_hold()`-style annotation. */
  annotation?: ContextKind | 'process';
  annotationText?: string;
  /** Returns with an atomic region held (lock wrapper, `__acquires`). */
  returnsHolding?: LockRef;
  /** Releases, on every path, a lock it did not take (an unlock wrapper or a lock-dropping helper). */
  releasesCallerLock?: boolean;
  /** A list while a file is summarized; `CallColumns` once loaded from storage or a worker. */
  calls: CallList;
  allocs: AllocSite[];
  sleeps: SleepSite[];
  scopeIssues: ScopeIssue[];
}

/** A function stored into an ops-table field (designated initializer, assignment, INIT_WORK). */
export interface Binding extends Loc {
  fn: string;
  /** Struct type owning the field, when known. */
  structType?: string;
  /** Root type and the chain, resolved in the global phase when structType is unknown at summary time. */
  baseType?: string;
  chain: string[];
  via: 'init' | 'assign' | 'work';
  /** Function in which an assignment/INIT_WORK appears. */
  inFunction?: string;
}

export interface FileSummary {
  version: number;
  file: string;
  functions: FnSummary[];
  bindings: Binding[];
  /** struct/union tag -> field -> type tag of that field (struct/union/typedef name), for pointer resolution. */
  structFields: Record<string, Record<string, string>>;
  /** typedef name -> struct tag. */
  typedefs: Record<string, string>;
  /** Simple object-like #defines whose body mentions GFP flags. */
  gfpDefines: Record<string, string>;
  /** Prototypes with a gfp_t parameter (name -> gfp parameter index). */
  gfpPrototypes: Record<string, number>;
  hasSchedMmInclude: boolean;
  /** Offset just after the last top-level #include line (for adding one), or 0. */
  includeInsertOffset: number;
  /** Lines suppressed by `gfp-lens-ignore` comments: line -> rule ids (empty = all). */
  suppressions: Record<number, string[]>;
  /** Same-file lock wrappers found by the first walk (name -> acquires?), when there are any: a re-walk of one function needs them. */
  wrappers?: Record<string, { acquire: boolean; kind?: AtomicKind }>;
  problems: string[];
}

// ---------- compact form for storage (cache, worker messages) ----------
// Most sites are made with no lock or scope in force and most call arguments carry nothing: stored summaries leave
// those out and parameters become 0/1 (is it a gfp_t?); loading puts back shared frozen objects, so memory holds one
// empty state, one empty argument list and two parameter objects instead of millions of copies.

/** The state at a site where nothing is held, released or in force (shared, frozen). */
export const EMPTY_STATE: SiteState = Object.freeze({ held: Object.freeze([]) as unknown as LockRef[], released: 0 }) as SiteState;
/** The arguments of a call none of whose arguments matter (shared, frozen). */
export const EMPTY_ARGS: Array<ArgSummary | null> = Object.freeze([]) as unknown as Array<ArgSummary | null>;
/** Shared frozen empty list for the many functions without allocations, sleeps, scope issues, calls or parameters. */
const EMPTY_LIST: never[] = Object.freeze([]) as unknown as never[];
const PARAMS: [Param, Param] = [Object.freeze({ name: '', type: '', isGfp: false }), Object.freeze({ name: '', type: '', isGfp: true })];

const isEmptyState = (st: SiteState): boolean => st === EMPTY_STATE || (st.held.length === 0 && st.released === 0 && Object.keys(st).length === 2);

/** The summary as it is stored: a shallow copy without empty states, all-null argument lists and parameter names. */
export function compactSummary(s: FileSummary): unknown {
  // copies without the left-out fields, in their order (not `{ ...x }` then `delete`: deleting makes a slow object)
  const without = (x: object, dropState: boolean, dropArgs: boolean): unknown => {
    if (!dropState && !dropArgs) return x;
    const o: Record<string, unknown> = {};
    for (const k in x) if (!(dropState && k === 'state') && !(dropArgs && k === 'args')) o[k] = (x as Record<string, unknown>)[k];
    return o;
  };
  const site = (x: { state: SiteState }): unknown => without(x, isEmptyState(x.state), false);
  return {
    ...s,
    functions: s.functions.map((fn) => ({
      ...fn,
      params: fn.params.map((p) => (p.isGfp ? 1 : 0)),
      calls: fn.calls.map((c) => without(c, isEmptyState(c.state), !c.args.some((a) => a !== null))),
      allocs: fn.allocs.map(site),
      sleeps: fn.sleeps.map(site),
    })),
  };
}

/**
 * The calls of a function, in source order. A fresh summary holds an array; a loaded one holds `CallColumns`, which
 * hands out a call site object when one is asked for.
 */
export interface CallList extends Iterable<CallSite> {
  readonly length: number;
  at(i: number): CallSite | undefined;
  map<T>(f: (c: CallSite, i: number) => T): T[];
}

/**
 * A loaded call site with nothing but its position and callee: no lock or scope state, no argument that matters, no
 * pointer (96 % of the ~4 M calls of a kernel tree). `args` and `state` are the shared empty ones, from the prototype.
 * `CallColumns` makes a new one each time it is asked (so sites are compared by offset, never by identity).
 */
export class PlainCall implements CallSite {
  constructor(readonly offset: number, readonly end: number, readonly line: number, readonly col: number, readonly callee: string) {}
  get args(): Array<ArgSummary | null> { return EMPTY_ARGS; }
  get state(): SiteState { return EMPTY_STATE; }
  get pointer(): PointerTarget | undefined { return undefined; }
  toJSON(): unknown { return { offset: this.offset, end: this.end, line: this.line, col: this.col, callee: this.callee, args: EMPTY_ARGS, state: EMPTY_STATE }; }
}

/** Line and column of a call in columns share one 32-bit integer: line * 2048 + column. */
const COL_BITS = 11;
const COL_LIMIT = 1 << COL_BITS;
const LINE_LIMIT = 1 << (31 - COL_BITS);
/** A position that fits the columns (anything else stays an object). */
const fitsColumns = (line: number, col: number): boolean => line >= 0 && line < LINE_LIMIT && col >= 0 && col < COL_LIMIT;

/**
 * The calls of one loaded function in columns: offset, end and line * 2048 + column of call i in `pos` at (from + i) * 3
 * (one Int32Array per file), its callee in `callees` at from + i (one list per file), and the rare call that is not
 * plain (arguments, state or a pointer: ~4 %; or a line or column too large to share an integer) as its object in
 * `special`. 20 bytes per plain call (12 in the position array, 8 for the callee) instead of a 64-byte object and its
 * list slot: ~190 MB less on a kernel tree. Immutable: an edit makes new columns (`shiftedBy`).
 */
export class CallColumns implements CallList {
  constructor(private readonly pos: Int32Array, private readonly callees: readonly string[], private readonly from: number,
    readonly length: number, private readonly special: ReadonlyArray<CallSite | undefined> | null) {}
  at(i: number): CallSite | undefined {
    if (!(i >= 0 && i < this.length)) return undefined;
    const s = this.special?.[i];
    if (s) return s;
    const k = (this.from + i) * 3;
    const lc = this.pos[k + 2];
    return new PlainCall(this.pos[k], this.pos[k + 1], lc >> COL_BITS, lc & (COL_LIMIT - 1), this.callees[this.from + i]);
  }
  /** The callee of call i without making a site object (undefined for a call through a pointer). */
  calleeAt(i: number): string | undefined {
    const s = this.special?.[i];
    return s ? s.callee : this.callees[this.from + i];
  }
  /** The state at call i without making a site object. */
  stateAt(i: number): SiteState { return this.special?.[i]?.state ?? EMPTY_STATE; }
  /** The offset of call i without making a site object. */
  offsetAt(i: number): number {
    const s = this.special?.[i];
    return s ? s.offset : this.pos[(this.from + i) * 3];
  }
  /** A copy with every position moved by `dOff` and every line by `dLine` (an edit above); `shift` copies a special call. */
  shiftedBy(dOff: number, dLine: number, shift: (c: CallSite) => CallSite): CallColumns {
    const n = this.length;
    const pos = new Int32Array(n * 3);
    const callees = new Array<string>(n);
    let special: Array<CallSite | undefined> | null = null;
    for (let i = 0; i < n; i++) {
      const k = (this.from + i) * 3;
      const s = this.special?.[i] ?? (fitsColumns((this.pos[k + 2] >> COL_BITS) + dLine, 0) ? undefined : this.at(i));
      if (s) { special ??= new Array<CallSite | undefined>(n).fill(undefined); special[i] = shift(s); callees[i] = ''; continue; }
      pos[i * 3] = this.pos[k] + dOff; pos[i * 3 + 1] = this.pos[k + 1] + dOff; pos[i * 3 + 2] = this.pos[k + 2] + dLine * COL_LIMIT;
      callees[i] = this.callees[this.from + i];
    }
    return new CallColumns(pos, callees, 0, n, special);
  }
  /** The calls that are not plain (what a structural check of stored data must look at). */
  specials(): CallSite[] { return (this.special ?? []).filter((s): s is CallSite => !!s); }
  *[Symbol.iterator](): Iterator<CallSite> { for (let i = 0; i < this.length; i++) yield this.at(i)!; }
  map<T>(f: (c: CallSite, i: number) => T): T[] {
    const out = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = f(this.at(i)!, i);
    return out;
  }
  toJSON(): unknown { return this.map((c) => c); }
}

const CALL_KEYS = new Set(['offset', 'end', 'line', 'col', 'callee']);
const isInt32 = (x: unknown): x is number => typeof x === 'number' && (x | 0) === x;
/** Position and callee of a call fit the columns (32-bit integers, line and column that share one, a name). */
const fitsAsPlain = (c: Record<string, unknown>): boolean => isInt32(c.offset) && isInt32(c.end) && isInt32(c.line)
  && isInt32(c.col) && fitsColumns(c.line, c.col) && typeof c.callee === 'string';

/** A stored call with only position and callee that fit the columns. */
function isPlainCall(c: Record<string, unknown>): boolean {
  if (!fitsAsPlain(c)) return false;
  for (const k in c) if (!CALL_KEYS.has(k)) return false;
  return true;
}

/** A fresh call with nothing but position and callee: what a loaded summary holds as a plain call. */
function isFreshPlainCall(c: Record<string, unknown>): boolean {
  if (!fitsAsPlain(c)) return false;
  if (c.pointer !== undefined || !Array.isArray(c.args) || c.args.some((a) => a !== null)) return false;
  if (typeof c.state !== 'object' || c.state === null || !isEmptyState(c.state as SiteState)) return false;
  for (const k in c) if (!CALL_KEYS.has(k) && k !== 'args' && k !== 'state' && k !== 'pointer') return false;
  return true;
}

/**
 * The calls of a freshly summarized file in columns (in place; functions already in columns are left as they are),
 * the form a loaded summary has: an open document's summary is then as small as an indexed one, and an edit above a
 * function shifts its columns instead of copying a list of objects. Returns `s`.
 */
export function packCalls(s: FileSummary): FileSummary {
  const fresh = s.functions.filter((f) => Array.isArray(f.calls) && f.calls.length > 0);
  if (fresh.length) callColumns(fresh as unknown as Array<Record<string, unknown>>, isFreshPlainCall);
  return s;
}

/** The stored calls of every function of a file as `CallColumns` over one position array and one callee list. */
function callColumns(functions: Array<Record<string, unknown>>, plain: (c: Record<string, unknown>) => boolean = isPlainCall): void {
  let total = 0;
  for (const fn of functions) if (typeof fn === 'object' && fn !== null && Array.isArray(fn.calls)) total += fn.calls.length;
  if (total === 0) { for (const fn of functions) if (typeof fn === 'object' && fn !== null && Array.isArray(fn.calls)) fn.calls = EMPTY_LIST; return; }
  const pos = new Int32Array(total * 3);
  const callees = new Array<string>(total);
  let next = 0;
  for (const fn of functions) {
    if (typeof fn !== 'object' || fn === null || !Array.isArray(fn.calls)) continue;
    const list = fn.calls as unknown[];
    if (!list.length) { fn.calls = EMPTY_LIST; continue; }
    const from = next;
    next += list.length;
    let special: Array<CallSite | undefined> | null = null;
    for (let i = 0; i < list.length; i++) {
      const c = list[i] as Record<string, unknown>;
      const k = (from + i) * 3;
      if (typeof c === 'object' && c !== null && plain(c)) {
        pos[k] = c.offset as number; pos[k + 1] = c.end as number; pos[k + 2] = (c.line as number) * COL_LIMIT + (c.col as number);
        callees[from + i] = intern(c.callee as string);
        continue;
      }
      if (typeof c === 'object' && c !== null) {
        if (c.state === undefined) c.state = EMPTY_STATE;
        if (c.args === undefined) c.args = EMPTY_ARGS;
        if (typeof c.callee === 'string') c.callee = intern(c.callee);
      }
      special ??= new Array<CallSite | undefined>(list.length).fill(undefined);
      special[i] = c as unknown as CallSite;
      callees[from + i] = '';
    }
    fn.calls = new CallColumns(pos, callees, from, list.length, special);
  }
}

/** One copy of each callee and function name across all loaded summaries (millions of calls, ~300 k names). */
const NAMES = new Map<string, string>();
function intern(x: string): string {
  const y = NAMES.get(x);
  if (y !== undefined) return y;
  NAMES.set(x, x);
  return x;
}

/**
 * A record loaded from storage as a dictionary-mode object (null prototype) with interned string values. Parsed
 * records of a kernel's ~100 k structs each get their own hidden classes (~130 bytes per field); dictionaries take a
 * third of that. Key order, and so JSON.stringify of the summary, is unchanged.
 */
function dict(rec: Record<string, unknown>): Record<string, unknown> {
  let empty = true;
  for (const k in rec) { void k; empty = false; break; }
  if (empty) return EMPTY_DICT; // most .c files define no struct, typedef, gfp macro or gfp prototype
  const d = Object.create(null) as Record<string, unknown>;
  for (const k in rec) { const v = rec[k]; d[k] = typeof v === 'string' ? intern(v) : v; }
  return d;
}

/** The shared frozen record of a file that has none of a kind (an empty dictionary is ~100 bytes, 4 per file). */
const EMPTY_DICT = Object.freeze(Object.create(null) as Record<string, unknown>);

/** Shared frozen chain arrays of one field (`.map = f`: most bindings). */
const CHAINS = new Map<string, readonly string[]>();
function internBinding(b: Record<string, unknown>): void {
  for (const k of ['fn', 'structType', 'baseType', 'via', 'inFunction']) if (typeof b[k] === 'string') b[k] = intern(b[k] as string);
  const chain = b.chain;
  if (!Array.isArray(chain)) return;
  if (chain.length === 1 && typeof chain[0] === 'string') {
    let c = CHAINS.get(chain[0]);
    if (!c) { c = Object.freeze([intern(chain[0])]); CHAINS.set(c[0], c); }
    b.chain = c;
  } else for (let i = 0; i < chain.length; i++) if (typeof chain[i] === 'string') chain[i] = intern(chain[i] as string);
}

/** Shared frozen parameter lists by their gfp pattern ("0,0,1"): a few hundred patterns for ~700 k functions. */
const PARAM_LISTS = new Map<string, readonly Param[]>();
function paramList(stored: unknown[]): unknown[] {
  if (!stored.every((p) => p === 0 || p === 1)) return stored.map((p) => (p === 1 ? PARAMS[1] : p === 0 ? PARAMS[0] : p));
  const key = stored.join(',');
  let l = PARAM_LISTS.get(key);
  if (!l) { l = Object.freeze(stored.map((p) => PARAMS[p as 0 | 1])); PARAM_LISTS.set(key, l); }
  return l as unknown[];
}

/** Undoes compactSummary in place (with shared frozen objects); the caller validates the shape afterwards. */
export function expandSummary(s: Record<string, unknown>): void {
  if (!Array.isArray(s.functions)) return;
  for (const k of ['structFields', 'typedefs', 'gfpDefines', 'gfpPrototypes']) {
    const rec = s[k];
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) continue;
    const d = dict(rec as Record<string, unknown>);
    if (k === 'structFields') for (const tag in d) if (typeof d[tag] === 'object' && d[tag] !== null && !Array.isArray(d[tag])) d[tag] = dict(d[tag] as Record<string, unknown>);
    s[k] = d;
  }
  if (Array.isArray(s.bindings)) for (const b of s.bindings as Array<Record<string, unknown>>) if (typeof b === 'object' && b !== null) internBinding(b);
  for (const fn of s.functions as Array<Record<string, unknown>>) {
    if (typeof fn !== 'object' || fn === null) continue;
    if (typeof fn.name === 'string') fn.name = intern(fn.name);
    if (Array.isArray(fn.params)) fn.params = fn.params.length ? paramList(fn.params) : EMPTY_LIST;
    if (Array.isArray(fn.scopeIssues) && !fn.scopeIssues.length) fn.scopeIssues = EMPTY_LIST;
    for (const k of ['allocs', 'sleeps']) {
      const list = fn[k];
      if (!Array.isArray(list)) continue;
      if (!list.length) { fn[k] = EMPTY_LIST; continue; }
      for (const c of list as Array<Record<string, unknown>>) {
        if (typeof c !== 'object' || c === null) continue;
        if (c.state === undefined) c.state = EMPTY_STATE;
        if (typeof c.callee === 'string') c.callee = intern(c.callee);
      }
    }
  }
  callColumns(s.functions as Array<Record<string, unknown>>);
}

