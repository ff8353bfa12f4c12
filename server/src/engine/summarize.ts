// Builds a FileSummary from one file's text: function definitions with their calls, allocation sites,
// sleeping calls and the lock/scope state at each (a flow-sensitive walk of each body), ops-table
// bindings, struct field types, gfp #defines, includes and suppression comments. Never throws on input.
import { blankKernelC, type ScopedGuard } from './blank';
import type { CParser } from './parser';
import type { SyntaxNode as Node } from './syntaxNode';
import { evalGfp, type EvalEnv } from './gfpEval';
import {
  allocatorGfpIndex, atomicGuard, regionApi, scopeRestore, scopeSave, SLEEPING_CALLS, TRYLOCKS, requestFlagSetter,
  NOFS_REGIONS, NOFS_SCOPE_REGIONS, WORK_INIT, LOCK_ARG, COND_ACQUIRE, NORETURN, HANDOFFS, ATOMIC_REGISTRATIONS, PROCESS_REGISTRATIONS, type AtomicKind,
} from './kernelApi';
import {
  SUMMARY_VERSION, EMPTY_STATE, type AllocSite, type ArgSummary, type Binding, type CallSite, type FileSummary, type FnSummary,
  type Loc, type LockRef, type Param, type ScopeIssue, type ScopeRef, type SiteState,
} from './summary';
import type { ContextKind } from './types';
import { nameTable } from './nameTable';

export interface SummarizeOptions { extraAllocators?: Record<string, number> }

/** Mutable walk state along one path. Treated as immutable once shared (clone before changing). */
interface St {
  held: LockRef[];
  released: number;
  scopesMust: ScopeRef[];
  scopesMay: ScopeRef[];
  maySleepReq?: boolean;
  txn?: Loc & { text: string };
}

const NOFS_ENDS = new Set(Object.values(NOFS_REGIONS).flat());
/** Calls whose arguments may name functions or fields the call graph needs (hand-offs, registrations, work). */
const REF_CALLEES = new Set([HANDOFFS, ATOMIC_REGISTRATIONS, PROCESS_REGISTRATIONS, WORK_INIT].flatMap((t) => Object.keys(t)));
const NOFS_SCOPE_ENDS = new Set(Object.values(NOFS_SCOPE_REGIONS).flat());
/** Shared by every site with no lock, scope or request state (most of them): never mutate. */

function cloneSt(s: St): St {
  return { held: s.held.slice(), released: s.released, scopesMust: s.scopesMust.slice(), scopesMay: s.scopesMay.slice(), maySleepReq: s.maySleepReq, txn: s.txn };
}

function join(a: St | null, b: St | null): St | null {
  if (!a) return b;
  if (!b) return a;
  const held = a.held.slice();
  // the same lock (kind and key; for rcu/irq/preempt the kind alone) taken at two places is one lock
  for (const l of b.held) if (!held.some((h) => h.offset === l.offset || (h.kind === l.kind && h.key === l.key))) held.push(l);
  const may = a.scopesMay.slice();
  for (const s of b.scopesMay) if (!may.some((x) => x.offset === s.offset)) may.push(s);
  return {
    held, released: Math.max(a.released, b.released),
    scopesMust: a.scopesMust.filter((s) => b.scopesMust.some((x) => x.offset === s.offset)),
    scopesMay: may,
    maySleepReq: a.maySleepReq === b.maySleepReq ? a.maySleepReq : undefined,
    txn: a.txn && b.txn ? a.txn : undefined,
  };
}

/** A branch condition as a comparable key: `(!foo(x))` -> { text: 'foo(x)', value: false }. */
function condKey(t: string): { text: string; value: boolean } | undefined {
  let text = t.replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  let value = true;
  while (text.startsWith('!')) { value = !value; text = text.slice(1).replace(/^\((.*)\)$/, '$1'); }
  if (!text || text.length > 120 || /[|&]{2}|\?/.test(text)) return undefined;
  return { text, value };
}

/** Separates the aliases of one condition key (`a = b = f()` is tested as `a` or as `b`). */
const ALIAS = '\u0001';
type CondKey = { text: string; value: boolean };
/** Does a lock's (or scope's) condition say it is not held when `key` has `value`? */
function condHits(c: CondKey | undefined, key: CondKey): boolean {
  return !!c && c.value === key.value && (c.text === key.text || (c.text.includes(ALIAS) && c.text.split(ALIAS).includes(key.text)));
}
/** The state without the locks and scopes taken only when `key` has `value` (used where `key` is known to be false). */
function dropWhen(x: St, key: CondKey): St {
  if (!x.held.some((h) => condHits(h.cond, key)) && !x.scopesMay.some((h) => h.conds?.some((c) => condHits(c, key)))) return x;
  const y = cloneSt(x);
  y.held = y.held.filter((h) => !condHits(h.cond, key));
  y.scopesMay = y.scopesMay.filter((h) => !h.conds?.some((c) => condHits(c, key)));
  y.scopesMust = y.scopesMust.filter((h) => !h.conds?.some((c) => condHits(c, key)));
  return y;
}
/** Whether some lock or scope of the state holds only under a condition (what dropWhen can remove). */
function hasConds(x: St): boolean {
  return x.held.some((h) => h.cond) || x.scopesMay.some((h) => !!h.conds?.length);
}
/** Top-level operands of `a && b && c` (or `||`), outer parentheses removed; the whole text when there is no such operator. */
function splitTop(t: string, op: '&&' | '||'): string[] {
  let text = t.trim();
  while (/^\(.*\)$/s.test(text) && balanced(text.slice(1, -1))) text = text.slice(1, -1).trim();
  const out: string[] = [];
  let depth = 0; let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (depth === 0 && text.startsWith(op, i)) { out.push(text.slice(start, i)); start = i + 2; i++; }
  }
  out.push(text.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}
function balanced(t: string): boolean {
  let d = 0;
  for (const ch of t) { if (ch === '(') d++; else if (ch === ')' && --d < 0) return false; }
  return d === 0;
}

function normKey(t: string): string { return t.replace(/\s+/g, '').replace(/^&/, '').replace(/^\((.*)\)$/, '$1'); }

/** Offsets where lines start, to turn offsets into line/col quickly. */
function lineStarts(src: string): number[] {
  const out = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

export class FileSummarizer {
  private src = '';
  private lines: number[] = [];
  private defines: Record<string, string> = nameTable();
  private scopedGuards = new Map<number, ScopedGuard>();
  private wrappers = new Map<string, { acquire: boolean; kind?: AtomicKind }>();
  private out!: FileSummary;
  /** First walk of a file: what each function definition (by start offset) gave and which names it asked about as lock wrappers. */
  private walked: Map<number, WalkedFn> | undefined;
  /** Second walk (lock wrappers known): the first walk's functions that called none of them, reused as they are. */
  private reusable: Map<number, WalkedFn> | undefined;
  /** Names the function being walked looked up as lock wrappers. */
  private wrapperLookups: Set<string> | undefined;
  /** Struct definitions met so far (one inside a function body makes that function's walk not reusable). */
  private structDefs = 0;

  constructor(private parser: CParser, private options: SummarizeOptions = {}) {}

  summarize(file: string, text: string): FileSummary {
    this.out = {
      version: SUMMARY_VERSION, file, functions: [], bindings: [], structFields: nameTable(), typedefs: nameTable(), gfpDefines: nameTable(),
      gfpPrototypes: nameTable(), hasSchedMmInclude: false, includeInsertOffset: 0, suppressions: {}, problems: [],
    };
    if (text.indexOf('\0') >= 0 && /\0{2,}/.test(text.slice(0, 8192))) {
      this.out.problems.push('binary file (NUL bytes): skipped');
      return this.out;
    }
    this.src = text;
    this.lines = lineStarts(text);
    const blanked = blankKernelC(text);
    this.scopedGuards = new Map(blanked.scopedGuards.map((g) => [g.offset, g]));
    // Lock wrappers are detected from the bodies (see below), not from __acquires annotations, which also
    // mark conditional acquirers (true = locked) that would make every caller look locked.
    this.wrappers = new Map();
    this.walked = new Map();
    this.reusable = undefined;
    this.scanComments();
    const tree = this.parser.parseForSummary(blanked.text);
    if (!tree) { this.out.problems.push('parser returned no tree'); return this.out; }
    try {
      this.collectDefines(tree.rootNode);
      this.topLevel(tree.rootNode);
      // Same-file lock wrappers (return holding a lock / release the caller's): walk again knowing them.
      let added = false;
      let macros: Set<string> | undefined;
      for (const fn of this.out.functions) {
        if (this.wrappers.has(fn.name)) continue;
        // real wrappers are tiny; a long function that ends locked usually released inside callees we cannot see here
        if (fn.calls.length > 4) continue;
        // a helper that is also #defined in this file (an empty stub under another CONFIG) locks only in some builds
        macros ??= new Set(Array.from(text.matchAll(/#[ \t]*define[ \t]+([A-Za-z_]\w*)/g), (m) => m[1]));
        if (macros.has(fn.name)) continue;
        if (fn.returnsHolding) { this.wrappers.set(fn.name, { acquire: true, kind: fn.returnsHolding.kind }); added = true; }
        else if (fn.releasesCallerLock) { this.wrappers.set(fn.name, { acquire: false }); added = true; }
      }
      if (added) {
        const keep = { gfpDefines: this.out.gfpDefines, hasSchedMmInclude: this.out.hasSchedMmInclude, includeInsertOffset: this.out.includeInsertOffset, suppressions: this.out.suppressions };
        this.out = { ...this.out, functions: [], bindings: [], structFields: nameTable(), typedefs: nameTable(), gfpPrototypes: nameTable(), ...keep };
        // only functions that call a wrapper can come out differently: the others keep their first walk
        this.reusable = new Map();
        for (const [offset, w] of this.walked!) if (!w.lookups.some((n) => this.wrappers.has(n))) this.reusable.set(offset, w);
        this.walked = undefined;
        this.topLevel(tree.rootNode);
        this.out.wrappers = nameTable(Object.fromEntries(this.wrappers));
      }
    } catch (e) {
      this.out.problems.push(`internal error while summarizing: ${(e as Error).message}`);
    } finally {
      tree.delete();
      this.walked = this.reusable = undefined;
    }
    return this.out;
  }

  /**
   * Re-walks the one function that spans [fnStart, fnEnd) of `text`, everything else blanked out, with the file-level
   * state (GFP defines, lock wrappers) of `prev`, a summary of an earlier version of the same file. Returns undefined
   * when the function does not parse as one definition at exactly that span.
   */
  summarizeFunction(file: string, text: string, fnStart: number, fnEnd: number, prev: FileSummary): { fn: FnSummary; bindings: Binding[]; fileLevel: boolean } | undefined {
    this.out = {
      version: SUMMARY_VERSION, file, functions: [], bindings: [], structFields: nameTable(), typedefs: nameTable(), gfpDefines: prev.gfpDefines,
      gfpPrototypes: nameTable(), hasSchedMmInclude: prev.hasSchedMmInclude, includeInsertOffset: prev.includeInsertOffset, suppressions: {}, problems: [],
    };
    this.src = text;
    this.lines = lineStarts(text);
    this.defines = nameTable(prev.gfpDefines);
    this.wrappers = new Map(Object.entries(prev.wrappers ?? {}));
    const blanked = blankKernelC(text.slice(fnStart, fnEnd));
    this.scopedGuards = new Map(blanked.scopedGuards.map((g) => [g.offset + fnStart, { ...g, offset: g.offset + fnStart }]));
    const point = (offset: number) => { const row = this.lineOf(offset); return { row, column: offset - this.lines[row] }; };
    const tree = this.parser.parseRange(blanked.text, fnStart, point(fnStart), point(fnEnd));
    if (!tree) return undefined;
    try {
      const node = tree.rootNode.namedChildren.find((c) => c && c.startIndex === fnStart);
      // error recovery (a MISSING `}` after a new `//`, say) could end the definition where the whole file would not
      if (!node || node.type !== 'function_definition' || node.endIndex !== fnEnd || node.hasError || tree.rootNode.namedChildren.filter((c) => c && c.type !== 'comment').length !== 1) return undefined;
      this.functionDef(node);
      const fn = this.out.functions[0];
      if (!fn || this.out.problems.length) return undefined;
      const fileLevel = Object.keys(this.out.structFields).length + Object.keys(this.out.typedefs).length + Object.keys(this.out.gfpPrototypes).length > 0;
      return { fn, bindings: this.out.bindings, fileLevel };
    } finally {
      tree.delete();
    }
  }

  /** The `gfp-lens-ignore` suppressions of a text (line -> rules), as summarize() records them. */
  suppressionsOf(text: string): Record<number, string[]> {
    this.src = text;
    this.lines = lineStarts(text);
    this.out = { ...this.out, suppressions: {} };
    this.scanComments();
    return this.out.suppressions;
  }

  // ---------- helpers ----------
  private text(n: Node): string { return this.src.slice(n.startIndex, n.endIndex); }
  private lineOf(offset: number): number {
    let lo = 0; let hi = this.lines.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (this.lines[mid] <= offset) lo = mid; else hi = mid - 1; }
    return lo;
  }
  private loc(n: Node): Loc {
    const at = n.startPosition;
    return { offset: n.startIndex, end: n.endIndex, line: at.row, col: at.column };
  }
  private locAt(offset: number, end = offset): Loc {
    const line = this.lineOf(offset);
    return { offset, end, line, col: offset - this.lines[line] };
  }
  private indentAt(offset: number): string {
    const ls = this.lines[this.lineOf(offset)];
    const m = /^[ \t]*/.exec(this.src.slice(ls, offset));
    return m ? m[0] : '';
  }
  private scanComments(): void {
    const re = /gfp-lens-ignore(-next-line)?(?:\s*:?\s*([a-z-]+(?:\s*,\s*[a-z-]+)*))?|gfp-lens:\s*context\s*=\s*(atomic|noio|nofs|process)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(this.src))) {
      const line = this.lineOf(m.index);
      if (m[3]) continue; // annotations are attached per function below
      const rules = m[2] ? m[2].split(',').map((s) => s.trim()).filter((r) => /-/.test(r)) : [];
      const target = m[1] ? line + 1 : line;
      this.out.suppressions[target] = [...(this.out.suppressions[target] ?? []), ...rules];
      if (!m[1]) {
        // a comment alone on its line applies to the next line too
        const before = this.src.slice(this.lines[line], m.index);
        if (/^\s*(\/\*|\/\/)\s*$/.test(before)) this.out.suppressions[line + 1] = [...(this.out.suppressions[line + 1] ?? []), ...rules];
      }
    }
  }

  /** Whether the source being summarized has any `gfp-lens:` comment (most have none: no search per function then). */
  private annotated = { text: '', any: false };

  private annotationFor(fnStart: number, bodyStart: number): { kind: ContextKind | 'process'; text: string } | undefined {
    if (this.annotated.text !== this.src) this.annotated = { text: this.src, any: this.src.includes('gfp-lens:') };
    if (!this.annotated.any) return undefined;
    const re = /gfp-lens:\s*context\s*=\s*(atomic|noio|nofs|process)/g;
    const from = Math.max(0, fnStart - 300);
    re.lastIndex = from;
    let m: RegExpExecArray | null;
    let found: RegExpExecArray | undefined;
    while ((m = re.exec(this.src)) && m.index < bodyStart + 200) {
      if (m.index < fnStart) {
        const between = this.src.slice(m.index, fnStart);
        if (/[;}]\s*$/.test(between.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').trim()) || between.split('\n').length > 4) continue;
      }
      found = m;
    }
    return found ? { kind: found[1] as ContextKind | 'process', text: found[0] } : undefined;
  }

  private collectDefines(root: Node): void {
    const re = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+([^\n]*(?:\\\n[^\n]*)*)/gm;
    let m: RegExpExecArray | null;
    while ((m = re.exec(this.src))) {
      const body = m[2].replace(/\\\n/g, ' ').replace(/\/\*.*?\*\//g, '').trim();
      if (/\bGFP_|__GFP_/.test(body) && body.length < 200) this.defines[m[1]] = body;
    }
    this.out.gfpDefines = nameTable(this.defines);
    const inc = /^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"][^\n]*\n?/gm;
    while ((m = inc.exec(this.src))) {
      if (m[1] === 'linux/sched/mm.h') this.out.hasSchedMmInclude = true;
      this.out.includeInsertOffset = m.index + m[0].length;
    }
    void root;
  }

  // ---------- top level ----------
  private topLevel(node: Node): void {
    for (const child of node.namedChildren) {
      if (!child) continue;
      switch (child.type) {
        case 'function_definition': this.functionDef(child); break;
        case 'declaration': this.declaration(child, undefined); break;
        case 'type_definition': this.typedef(child); break;
        case 'struct_specifier': case 'union_specifier': this.structDef(child); break;
        case 'comment': case 'preproc_include': case 'preproc_def': case 'preproc_function_def': case 'preproc_call': break;
        case 'expression_statement': this.topExpression(child); break;
        default:
          if (child.namedChildCount > 0) this.topLevel(child);
      }
    }
  }

  /** Top-level `DECLARE_WORK(name, fn);` and similar parse as expressions. */
  private topExpression(n: Node): void {
    for (const call of n.descendantsOfType('call_expression')) {
      if (!call) continue;
      const fnNode = call.childForFieldName('function');
      const name = fnNode?.type === 'identifier' ? this.text(fnNode) : '';
      const w = WORK_INIT[name];
      const args = call.childForFieldName('arguments')?.namedChildren.filter((x): x is Node => !!x) ?? [];
      if (w && args[w.fnArg]) {
        const fn = this.fnRef(args[w.fnArg]);
        const l = this.loc(call);
        if (fn) this.out.bindings.push({ offset: l.offset, end: l.end, line: l.line, col: l.col, fn, chain: [this.text(args[w.workArg]).replace(/^&/, '')], via: 'work' });
      }
    }
  }

  private typeName(typeNode: Node | null): string | undefined {
    if (!typeNode) return undefined;
    if (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') {
      const nm = typeNode.childForFieldName('name');
      if (typeNode.childForFieldName('body')) this.structDef(typeNode);
      return nm ? this.text(nm) : undefined;
    }
    if (typeNode.type === 'type_identifier') return this.text(typeNode);
    return undefined;
  }

  private typedef(n: Node): void {
    const t = n.childForFieldName('type');
    const tag = this.typeName(t);
    for (const d of n.childrenForFieldName('declarator')) {
      if (!d) continue;
      const id = this.declName(d);
      if (id && tag) this.out.typedefs[id] = tag;
    }
  }

  private structDef(n: Node): void {
    const nameNode = n.childForFieldName('name');
    const body = n.childForFieldName('body');
    if (!nameNode || !body) return;
    const tag = this.text(nameNode);
    this.structDefs++;
    const fields = (this.out.structFields[tag] ??= nameTable());
    for (const f of body.namedChildren) {
      if (!f || f.type !== 'field_declaration') continue;
      const ft = this.typeName(f.childForFieldName('type'));
      for (const d of f.childrenForFieldName('declarator')) {
        if (!d) continue;
        const id = this.declName(d);
        if (id) fields[id] = ft ?? '';
      }
    }
  }

  /** The identifier declared by a declarator (through pointers, arrays, function declarators). */
  private declName(d: Node | null): string | undefined {
    let cur: Node | null = d;
    for (let i = 0; cur && i < 8; i++) {
      if (cur.type === 'identifier' || cur.type === 'field_identifier' || cur.type === 'type_identifier') return this.text(cur);
      cur = cur.childForFieldName('declarator') ?? (cur.type === 'parenthesized_declarator' ? cur.namedChildren[0] : null);
    }
    return undefined;
  }

  private functionDeclarator(d: Node | null): Node | null {
    let cur: Node | null = d;
    for (let i = 0; cur && i < 8; i++) {
      if (cur.type === 'function_declarator') {
        const inner = cur.childForFieldName('declarator');
        if (inner && inner.type === 'parenthesized_declarator') return null; // function pointer
        return cur;
      }
      cur = cur.childForFieldName('declarator');
    }
    return null;
  }

  private params(fd: Node): Param[] {
    const list = fd.childForFieldName('parameters');
    const out: Param[] = [];
    for (const p of list?.namedChildren ?? []) {
      if (!p || p.type !== 'parameter_declaration') continue;
      const type = this.text(p.childForFieldName('type') ?? p).replace(/\s+/g, ' ');
      const declarator = p.childForFieldName('declarator');
      const name = this.declName(declarator) ?? '';
      const isPtr = !!declarator && declarator.type === 'pointer_declarator';
      out.push({ name, type: isPtr ? type : type, isGfp: type === 'gfp_t' || (/gfp/i.test(name) && /unsigned|int|u32/.test(type)) });
    }
    return out;
  }

  /** A declaration at file level (no `locals`) or in the body of function `inFunction` (its local types go to `locals`). */
  private declaration(n: Node, locals: Map<string, string> | undefined, inFunction?: string): void {
    const typeNode = n.childForFieldName('type');
    const tag = this.typeName(typeNode);
    for (const d of n.childrenForFieldName('declarator')) {
      if (!d) continue;
      if (!locals) {
        const fd = this.functionDeclarator(d);
        if (fd) {
          const name = this.declName(fd.childForFieldName('declarator'));
          const ps = this.params(fd);
          const gi = ps.findIndex((p) => p.type === 'gfp_t');
          if (name && gi >= 0) this.out.gfpPrototypes[name] = gi;
          continue;
        }
      }
      const id = this.declName(d);
      if (locals && id && tag) locals.set(id, tag);
      if (d.type === 'init_declarator') {
        const value = d.childForFieldName('value');
        if (value && value.type === 'initializer_list' && tag) this.initializerList(value, tag, [], inFunction);
      }
    }
  }

  private initializerList(list: Node, structType: string, chain: string[], inFunction: string | undefined): void {
    for (const item of list.namedChildren) {
      if (!item) continue;
      if (item.type === 'initializer_list') { this.initializerList(item, structType, chain, inFunction); continue; }
      if (item.type !== 'initializer_pair') continue;
      const designators = item.childrenForFieldName('designator').filter((x): x is Node => !!x);
      const fields = designators.filter((x) => x.type === 'field_designator').map((x) => this.text(x).replace(/^\./, '').trim());
      const value = item.childForFieldName('value');
      if (!value) continue;
      const full = [...chain, ...fields];
      if (value.type === 'initializer_list') { this.initializerList(value, structType, full, inFunction); continue; }
      const fn = this.fnRef(value);
      if (fn && full.length) {
        const l = this.loc(item);
        this.out.bindings.push({ offset: l.offset, end: l.end, line: l.line, col: l.col, fn, baseType: structType, structType: full.length === 1 ? structType : undefined, chain: full, via: 'init', inFunction });
      }
    }
  }

  /** A function named by an expression: `f` or `&f` (anything else: undefined). */
  private fnRef(n: Node): string | undefined {
    let cur: Node | null = n;
    if (cur.type === 'pointer_expression' || cur.type === 'cast_expression') cur = cur.childForFieldName('argument') ?? cur.childForFieldName('value');
    if (cur && cur.type === 'identifier') {
      const t = this.text(cur);
      if (/^[a-z_][a-z0-9_]*$/.test(t) && t !== 'NULL') return t;
    }
    return undefined;
  }

  // ---------- functions ----------
  private functionDef(n: Node): void {
    const reused = this.reusable?.get(n.startIndex);
    if (reused) {
      this.out.functions.push(reused.fn);
      for (const b of reused.bindings) this.out.bindings.push(b);
      return;
    }
    const fd = this.functionDeclarator(n.childForFieldName('declarator'));
    const body = n.childForFieldName('body');
    if (!fd || !body) return;
    const nameNode = fd.childForFieldName('declarator');
    const name = nameNode ? this.declName(nameNode) : undefined;
    if (!name) return;
    const specText = this.src.slice(n.startIndex, fd.startIndex);
    const l = this.loc(n);
    const fn: DraftFn = {
      offset: l.offset, end: l.end, line: l.line, col: l.col, name, isStatic: /\bstatic\b/.test(specText), nameStart: nameNode!.startIndex,
      isInit: /\b__init\b/.test(specText) || name === 'start_kernel' || undefined,
      bodyStart: body.startIndex, bodyEnd: body.endIndex, params: this.params(fd),
      calls: [], allocs: [], sleeps: [], scopeIssues: [],
    };
    const ann = this.annotationFor(n.startIndex, body.startIndex);
    if (ann) { fn.annotation = ann.kind; fn.annotationText = ann.text; }
    const bindingsBefore = this.out.bindings.length;
    const structsBefore = this.structDefs;
    const lookups = this.walked ? new Set<string>() : undefined;
    this.wrapperLookups = lookups;
    new FnWalker(this, fn, body).run();
    this.wrapperLookups = undefined;
    this.out.functions.push(fn);
    if (lookups && this.structDefs === structsBefore) {
      this.walked!.set(n.startIndex, { fn, bindings: this.out.bindings.slice(bindingsBefore), lookups: [...lookups] });
    }
  }

  // exposed to FnWalker
  get source(): string { return this.src; }
  get summary(): FileSummary { return this.out; }
  get fileDefines(): Record<string, string> { return this.defines; }
  lockWrapper(name: string): { acquire: boolean; kind?: AtomicKind } | undefined {
    this.wrapperLookups?.add(name);
    return this.wrappers.get(name);
  }
  scopedGuardAt(offset: number): ScopedGuard | undefined { return this.scopedGuards.get(offset); }
  nodeText(n: Node): string { return this.text(n); }
  nodeLoc(n: Node): Loc { return this.loc(n); }
  indent(offset: number): string { return this.indentAt(offset); }
  localDecl(n: Node, locals: Map<string, string>, inFunction: string): void { this.declaration(n, locals, inFunction); }
  functionRef(n: Node): string | undefined { return this.fnRef(n); }
  allocIndex(name: string): number | undefined { return allocatorGfpIndex(name, this.options.extraAllocators); }
}

/** A function being summarized: its calls are still a list to push to. */
type DraftFn = FnSummary & { calls: CallSite[] };

/** What walking one function definition gave: its summary, the bindings it added, the names it asked about as lock wrappers. */
interface WalkedFn { fn: DraftFn; bindings: Binding[]; lookups: string[] }

/** Walks one function body along its control flow. */
class FnWalker {
  private breaks: Array<Array<St | null>> = [];
  private labels = new Map<string, St | null>();
  private exits: St[] = [];
  private localTypes = new Map<string, string>();
  private env: EvalEnv;
  private guardBlocks: Array<LockRef[]> = [];
  private reportedSaves = new Set<number>();
  private releasedKinds = new Set<AtomicKind>();

  constructor(private fs: FileSummarizer, private fn: DraftFn, private body: Node) {
    const params = new Map<string, number>();
    fn.params.forEach((p, i) => { if (p.name && (p.isGfp || /gfp|flags|mask/i.test(p.name))) params.set(p.name, i); });
    this.env = { src: fs.source, params, locals: new Map(), defines: fs.fileDefines };
  }

  run(): void {
    for (const p of this.fn.params) {
      const m = /^(?:const\s+)?(?:struct|union)\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(p.type) ?? /^(?:const\s+)?([A-Za-z_][A-Za-z0-9_]*)/.exec(p.type);
      if (m && p.name) this.localTypes.set(p.name, m[1]);
    }
    this.prepass(this.body);
    if (/memalloc_(noio|nofs)_(save|restore)/.test(this.fs.source.slice(this.body.startIndex, this.body.endIndex))) this.collectHandedOver(this.body);
    const entry: St = { held: [], released: 0, scopesMust: [], scopesMay: [] };
    const end = this.stmt(this.body, entry);
    if (end) this.exit(end, null);
    // lock wrapper: holds a lock at every exit
    if (this.exits.length) {
      // a wrapper only locks: a function that also releases locks of that kind (loops that drop and retake) is not one
      const common = this.exits[0].held.filter((l) => !l.cond && !this.releasedKinds.has(l.kind) && this.exits.every((e) => e.held.some((h) => h.offset === l.offset && !h.cond)));
      if (common.length) this.fn.returnsHolding = common[common.length - 1];
      const rel = Math.min(...this.exits.map((e) => e.released));
      if (rel > 0 && !common.length) this.fn.releasesCallerLock = true;
    }
  }

  /** Local variable types, gfp-valued locals (all assignments), and assignments of functions to fields. */
  private prepass(node: Node): void {
    // only declarations and assignments matter; tree-sitter finds them in document order
    for (const n of node.descendantsOfType(['declaration', 'assignment_expression'])) {
      if (!n) continue;
      if (n.type === 'declaration') {
        this.fs.localDecl(n, this.localTypes, this.fn.name); // its initializer lists' bindings are recorded there
        for (const d of n.childrenForFieldName('declarator')) {
          if (d && d.type === 'init_declarator') {
            const id = d.childForFieldName('declarator');
            const v = d.childForFieldName('value');
            if (id && v && id.type === 'identifier') this.addLocal(this.fs.nodeText(id), v);
          }
        }
      } else if (n.type === 'assignment_expression') {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (l && r && this.plainAssign(n)) {
          if (l.type === 'identifier') this.addLocal(this.fs.nodeText(l), r);
          else if (l.type === 'field_expression') {
            const fn = this.fs.functionRef(r);
            if (fn && !this.isParam(fn) && !this.localTypes.has(fn)) {
              const target = this.fieldChain(l);
              const at = this.fs.nodeLoc(n);
              if (target) this.fs.summary.bindings.push({ offset: at.offset, end: at.end, line: at.line, col: at.col, fn, baseType: target.baseType, chain: target.chain, via: 'assign', inFunction: this.fn.name });
            }
          }
        }
      }
    }
  }

  /** Locals assigned the result of a call (`base = lock_timer_base(t, &flags)`): a lock reached through them may have been taken by that call. */
  private fromCall = new Set<string>();

  private addLocal(name: string, value: Node): void {
    let v: Node | null = value;
    while (v && (v.type === 'parenthesized_expression' || v.type === 'cast_expression')) v = v.namedChildren[v.namedChildren.length - 1] ?? null;
    if (v?.type === 'call_expression') this.fromCall.add(name);
    const t = this.fs.nodeText(value);
    if (!/GFP|gfp|\?/.test(t) && !this.env.params.has(t)) return;
    const list = this.env.locals.get(name) ?? [];
    if (list.length < 8) list.push(value);
    this.env.locals.set(name, list);
  }

  /** `a->b.c` -> base type of `a` (when known) and chain ["b", "c"]. */
  fieldChain(n: Node): { baseType?: string; chain: string[] } | undefined {
    const chain: string[] = [];
    let cur: Node | null = n;
    for (let i = 0; cur && i < 8; i++) {
      if (cur.type === 'field_expression') {
        const f = cur.childForFieldName('field');
        if (!f) return undefined;
        chain.unshift(this.fs.nodeText(f));
        cur = cur.childForFieldName('argument');
      } else if (cur.type === 'parenthesized_expression' || cur.type === 'pointer_expression') {
        cur = cur.namedChildren[cur.namedChildren.length - 1] ?? null;
      } else if (cur.type === 'identifier') {
        return { baseType: this.localTypes.get(this.fs.nodeText(cur)), chain };
      } else if (cur.type === 'call_expression' || cur.type === 'subscript_expression') {
        const inner = cur.type === 'subscript_expression' ? cur.childForFieldName('argument') : null;
        if (inner && inner.type === 'identifier') return { baseType: this.localTypes.get(this.fs.nodeText(inner)), chain };
        return { chain };
      } else return { chain };
    }
    return chain.length ? { chain } : undefined;
  }

  private isParam(name: string): boolean { return this.fn.params.some((p) => p.name === name); }

  /** Locals whose value comes from or goes to a field, a parameter or the caller (scope tokens handed over by design). */
  private handedOver = new Set<string>();

  private isLocalToken(token: string): boolean {
    if (this.handedOver.has(token)) return false;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(token) && !this.fn.params.some((p) => p.name === token);
  }

  /** Finds locals returned, stored into fields, or initialised from fields/parameters. */
  private collectHandedOver(body: Node): void {
    const src = this.fs.source.slice(body.startIndex, body.endIndex);
    for (const m of src.matchAll(/\breturn\s+([A-Za-z_][A-Za-z0-9_]*)\s*;/g)) this.handedOver.add(m[1]);
    for (const m of src.matchAll(/(?:->|\.)[A-Za-z_][A-Za-z0-9_]*\s*=\s*([A-Za-z_][A-Za-z0-9_]*)\s*;/g)) this.handedOver.add(m[1]);
    for (const m of src.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*=\s*[A-Za-z_][A-Za-z0-9_]*(?:->|\.)[A-Za-z_][A-Za-z0-9_.>-]*\s*;/g)) this.handedOver.add(m[1]);
    for (const p of this.fn.params) for (const m of src.matchAll(new RegExp(`\\b([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*\\*?${p.name.replace(/\W/g, '')}\\s*;`, 'g'))) this.handedOver.add(m[1]);
  }

  private exit(st: St, ret: Node | null): void {
    // cleanup guards are released when the function returns
    this.exits.push(st.held.some((h) => h.guard) ? { ...st, held: st.held.filter((h) => !h.guard) } : st);
    for (const s of st.scopesMay) {
      if (!this.isLocalToken(s.token) || this.reportedSaves.has(s.offset)) continue;
      this.reportedSaves.add(s.offset);
      const where = ret ? `the return at line ${ret.startPosition.row + 1}` : 'the end of the function';
      const save = s.kind === 'noio' ? 'memalloc_noio_save' : 'memalloc_nofs_save';
      const restore = s.kind === 'noio' ? 'memalloc_noio_restore' : 'memalloc_nofs_restore';
      const issue: ScopeIssue = {
        offset: s.offset, end: s.end, line: s.line, col: s.col, kind: s.kind,
        message: `${save}() is not undone on the path to ${where}: the task keeps the ${s.kind.toUpperCase()} scope after ${this.fn.name}() returns. Call ${restore}(${s.token}) on every path out.`,
      };
      if (ret) issue.insertRestore = { offset: ret.startIndex, indent: this.fs.indent(ret.startIndex), token: s.token };
      this.fn.scopeIssues.push(issue);
    }
  }

  private stateMemo = new WeakMap<St, SiteState>();
  private state(st: St): SiteState {
    // most sites are in the empty state: answer before the WeakMap (slow, and work for the collector)
    if (!st.held.length && !st.released && !st.scopesMust.length && st.maySleepReq === undefined && !st.txn) return EMPTY_STATE;
    const memo = this.stateMemo.get(st);
    if (memo) return memo;
    const made = this.makeState(st);
    this.stateMemo.set(st, made);
    return made;
  }

  /** The recorded form of a state that is not empty (state() answers the empty ones). */
  private makeState(st: St): SiteState {
    const s: SiteState = { held: st.held.slice(), released: st.released };
    const noio = [...st.scopesMust].reverse().find((x) => x.kind === 'noio');
    const sc = noio ?? st.scopesMust[st.scopesMust.length - 1];
    if (sc) s.scope = sc;
    if (st.maySleepReq !== undefined) s.maySleepReq = st.maySleepReq;
    if (st.txn) s.nofsTxn = st.txn;
    return s;
  }

  // ---------- statements ----------
  private stmt(n: Node, st: St | null): St | null {
    switch (n.type) {
      case 'compound_statement': {
        this.guardBlocks.push([]);
        let cur = st;
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (!cur && c.type !== 'labeled_statement' && c.type !== 'case_statement') {
            // dead code: still record its sites, from a neutral state
            this.stmt(c, { held: [], released: 0, scopesMust: [], scopesMay: [] });
            continue;
          }
          cur = this.stmt(c, cur);
        }
        const guards = this.guardBlocks.pop()!;
        if (cur && guards.length) { cur = cloneSt(cur); cur.held = cur.held.filter((h) => !guards.includes(h)); }
        if (guards.length) this.dropFromLabels(guards);
        return cur;
      }
      case 'expression_statement': case 'declaration': {
        if (!st) return st;
        const after = this.expr(n, st);
        // BUG(), panic(), do_exit(): the path ends here
        const e = n.type === 'expression_statement' ? n.namedChildren[0] : null;
        const f = e?.type === 'call_expression' ? e.childForFieldName('function') : null;
        return f && f.type === 'identifier' && NORETURN.has(this.fs.nodeText(f)) ? null : after;
      }
      case 'return_statement': {
        if (!st) return null;
        const s = this.expr(n, st);
        this.exit(s, n);
        return null;
      }
      case 'if_statement': return this.ifStmt(n, st);
      case 'while_statement': case 'for_statement': return this.loop(n, st);
      case 'do_statement': {
        if (!st) return null;
        this.breaks.push([]);
        const body = n.childForFieldName('body');
        let s = body ? this.stmt(body, st) : st;
        const cond = n.childForFieldName('condition');
        if (s && cond) s = this.expr(cond, s);
        const brk = this.breaks.pop()!;
        const infinite = cond ? /^\(\s*(1|true)\s*\)$/.test(this.fs.nodeText(cond)) : false;
        let out: St | null = infinite ? null : s;
        if (out && cond) out = this.loopExit(out, this.fs.nodeText(cond));
        for (const b of brk) out = join(out, b);
        return out;
      }
      case 'switch_statement': return this.switchStmt(n, st);
      case 'break_statement':
        if (st && this.breaks.length) this.breaks[this.breaks.length - 1].push(st);
        return null;
      case 'continue_statement': return null;
      case 'goto_statement': {
        const label = n.childForFieldName('label');
        if (st && label) {
          const name = this.fs.nodeText(label);
          this.labels.set(name, join(this.labels.get(name) ?? null, st));
        }
        return null;
      }
      case 'labeled_statement': {
        const label = n.childForFieldName('label');
        const name = label ? this.fs.nodeText(label) : '';
        const s = join(st, this.labels.get(name) ?? null) ?? { held: [], released: 0, scopesMust: [], scopesMay: [] };
        let cur: St | null = s;
        for (const c of n.namedChildren) { if (c && c !== label) cur = this.stmt(c, cur); }
        return cur;
      }
      case 'case_statement': {
        let cur = st;
        for (const c of n.namedChildren) { if (c && c !== n.childForFieldName('value')) cur = this.stmt(c, cur); }
        return cur;
      }
      case 'comment': return st;
      default: {
        // preprocessor blocks, ERROR nodes and anything unusual: walk children as statements
        if (!st) return st;
        let cur: St | null = st;
        let sawStmt = false;
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (/statement$|^declaration$|^preproc_/.test(c.type)) { sawStmt = true; cur = this.stmt(c, cur ?? st); }
          else if (c.type !== 'comment') cur = this.expr(c, cur ?? st);
        }
        if (!sawStmt && n.namedChildCount === 0) return st;
        return cur ?? st;
      }
    }
  }

  private ifStmt(n: Node, st: St | null): St | null {
    if (!st) return null;
    const cond = n.childForFieldName('condition');
    let yes = st; let no = st;
    if (cond) {
      const tl = this.trylockIn(cond);
      const after = this.expr(cond, st, tl?.call);
      yes = after; no = after;
      if (tl) {
        const lock = this.lockRef(tl.call, tl.name, tl.kind);
        const locked = cloneSt(after); locked.held.push(lock);
        if (tl.negated) no = locked; else yes = locked;
      }
    }
    // A lock taken under `if (c)` is assumed held again under a later `if (c)` and not under its else.
    // `if (a && b)`: every operand holds in the then-branch; `if (a || b)`: every operand is false in the else-branch.
    const condText = cond ? this.fs.nodeText(cond) : '';
    // (only conditional locks and scopes can be dropped: most states have none, and then no key is needed)
    if (cond && (hasConds(yes) || hasConds(no))) {
      for (const part of splitTop(condText, '&&')) { const k = condKey(part); if (k) yes = dropWhen(yes, { text: k.text, value: !k.value }); }
      for (const part of splitTop(condText, '||')) { const k = condKey(part); if (k) no = dropWhen(no, k); }
    }
    const cons = n.childForFieldName('consequence');
    const alt = n.childForFieldName('alternative');
    const a = cons ? this.stmt(cons, yes) : yes;
    let b: St | null = no;
    if (alt) {
      const inner = alt.type === 'else_clause' ? alt.namedChildren.find((c) => c && c.type !== 'comment') ?? null : alt;
      b = inner ? this.stmt(inner, no) : no;
    }
    // locks taken on one branch only are conditional; a complex condition gets a key nothing else matches
    // (with no lock or scope on either branch there is nothing to mark)
    if (cond && a && b && (a.held.length || b.held.length || a.scopesMay.length || b.scopesMay.length)) {
      const cc = condKey(condText);
      const mark = cc ?? { text: `#${condText.replace(/\s+/g, '')}`, value: true };
      const real = !!cc;
      const key = mark;
      const only = (x: St, other: St, value: boolean): St => {
        const extra = x.held.filter((h) => !h.cond && !other.held.some((o) => o.offset === h.offset));
        const extraScopes = real ? x.scopesMay.filter((h) => !other.scopesMay.some((o) => o.offset === h.offset)) : [];
        if (!extra.length && !extraScopes.length) return x;
        const y = cloneSt(x);
        y.held = x.held.map((h) => (extra.includes(h) ? { ...h, cond: { text: key.text, value } } : h));
        const mark = (h: ScopeRef) => (extraScopes.includes(h) ? { ...h, conds: [...(h.conds ?? []), { text: key.text, value }] } : h);
        const marked = new Map(x.scopesMay.map((h) => [h, mark(h)]));
        y.scopesMay = x.scopesMay.map((h) => marked.get(h)!);
        y.scopesMust = x.scopesMust.map((h) => marked.get(h) ?? h);
        return y;
      };
      return join(only(a, b, key.value), only(b, a, !key.value));
    }
    return join(a, b);
  }

  private trylockIn(cond: Node): { call: Node; name: string; kind: AtomicKind; negated: boolean } | undefined {
    for (const call of cond.descendantsOfType('call_expression')) {
      if (!call) continue;
      const f = call.childForFieldName('function');
      const name = f ? this.fs.nodeText(f) : '';
      if (!TRYLOCKS.has(name)) continue;
      let negated = false;
      for (let p = call.parent; p && p.id !== cond.id; p = p.parent) {
        if (p.type === 'unary_expression' && this.fs.source[p.startIndex] === '!') negated = !negated;
      }
      const kind: AtomicKind = name.startsWith('read') || name.startsWith('write_try') ? 'rwlock' : name.startsWith('bit') ? 'bitlock' : name.startsWith('write_tryseq') ? 'seqlock' : 'spinlock';
      return { call, name, kind, negated };
    }
    return undefined;
  }

  private loop(n: Node, st: St | null): St | null {
    if (!st) return null;
    let s = st;
    for (const field of ['initializer', 'condition', 'update']) {
      const c = n.childForFieldName(field);
      if (c) s = this.expr(c, s);
    }
    const guard = this.fs.scopedGuardAt(n.startIndex);
    let inner = s;
    let guardLock: LockRef | undefined;
    if (guard) {
      const kind = atomicGuard(guard.kind);
      if (kind) {
        guardLock = { ...this.fs.nodeLoc(n), end: n.startIndex + 12, kind, key: normKey(guard.arg), text: `scoped_guard(${guard.kind}${guard.arg ? ', ' + guard.arg : ''})`, guard: true };
        inner = cloneSt(s); inner.held.push(guardLock);
      }
    }
    this.breaks.push([]);
    const body = n.childForFieldName('body');
    let b = body ? this.stmt(body, inner) : inner;
    const brk = this.breaks.pop()!;
    if (guardLock) {
      const drop = (x: St | null) => { if (!x) return x; const y = cloneSt(x); y.held = y.held.filter((h) => h !== guardLock); return y; };
      b = drop(b);
      for (let i = 0; i < brk.length; i++) brk[i] = drop(brk[i]);
      this.dropFromLabels([guardLock]);
      if (guard) return b ?? brk.reduce<St | null>((acc, x) => join(acc, x), null);
    }
    const cond = n.childForFieldName('condition');
    const condText = cond ? this.fs.nodeText(cond).trim() : '';
    const infinite = n.type === 'for_statement' ? !cond : /^\(\s*(1|true)\s*\)$/.test(condText);
    let out: St | null = infinite ? null : join(s, b);
    // the loop ends normally when its condition is false: locks taken only while it is true are not held
    if (out && cond) out = this.loopExit(out, condText);
    for (const x of brk) out = join(out, x);
    return out;
  }

  /** A `goto` that leaves a guard's block runs its cleanup: labels outside no longer hold that lock. */
  private dropFromLabels(locks: LockRef[]): void {
    for (const [name, x] of this.labels) {
      if (!x || !x.held.some((h) => locks.includes(h))) continue;
      const y = cloneSt(x); y.held = y.held.filter((h) => !locks.includes(h)); this.labels.set(name, y);
    }
  }

  /** State after a loop ends normally (its condition is false): locks taken only while it was true are not held. */
  private loopExit(out: St, condText: string): St {
    if (splitTop(condText, '&&').length > 1) return out;
    for (const part of splitTop(condText, '||')) { const k = condKey(part); if (k) out = dropWhen(out, k); }
    return out;
  }

  private switchStmt(n: Node, st: St | null): St | null {
    if (!st) return null;
    const cond = n.childForFieldName('condition');
    const entry = cond ? this.expr(cond, st) : st;
    const body = n.childForFieldName('body');
    this.breaks.push([]);
    let fall: St | null = null;
    let hasDefault = false;
    for (const c of body?.namedChildren ?? []) {
      if (!c) continue;
      if (c.type === 'case_statement') {
        if (!c.childForFieldName('value')) hasDefault = true;
        fall = this.stmt(c, join(fall, entry));
      } else fall = this.stmt(c, fall ?? entry);
    }
    const brk = this.breaks.pop()!;
    let out: St | null = join(fall, hasDefault ? null : entry);
    for (const x of brk) out = join(out, x);
    return out;
  }

  // ---------- expressions ----------
  /** Processes the calls of an expression (inner calls first) and returns the state after it. */
  private expr(n: Node, st: St, skip?: Node): St {
    // no parenthesis, no call (most conditions and simple statements): skip the search
    const open = this.fs.source.indexOf('(', n.startIndex);
    if (open < 0 || open >= n.endIndex) return st;
    // inner calls first: a call ends before the call it is an argument of (the search runs inside tree-sitter)
    const calls = n.descendantsOfType('call_expression').filter((c): c is Node => !!c);
    if (calls.length > 1) calls.sort((a, b) => a.endIndex - b.endIndex || b.startIndex - a.startIndex);
    let s = st;
    for (const c of calls) if (!skip || c.id !== skip.id) s = this.call(c, s);
    return s;
  }

  /**
   * When an acquirer that can fail holds its lock: `p = pte_offset_map_lock(...)` holds it while `p` is non-NULL
   * (every name of `a = b = f()`), `if (radix_tree_preload(gfp))` holds it when the call's value is 0.
   */
  /** `a = b`, not a compound assignment such as `a |= b`. */
  private plainAssign(n: Node): boolean {
    const op = n.childForFieldName('operator');
    return !op || this.fs.nodeText(op) === '=';
  }

  private successKey(call: Node, mode: 'nonnull' | 'zero'): CondKey {
    const names: string[] = [];
    let cur: Node = call;
    while (cur.parent && (cur.parent.type === 'parenthesized_expression' || cur.parent.type === 'cast_expression')) cur = cur.parent;
    for (let p = cur.parent; p; p = p.parent) {
      if (p.type === 'assignment_expression' && this.plainAssign(p)) {
        const left = p.childForFieldName('left');
        if (left) names.push(normKey(this.fs.nodeText(left)));
      } else if (p.type === 'init_declarator') {
        let d = p.childForFieldName('declarator');
        while (d && d.type === 'pointer_declarator') d = d.childForFieldName('declarator');
        if (d) names.push(this.fs.nodeText(d));
        break;
      } else if (p.type !== 'parenthesized_expression') break;
    }
    if (!names.length) names.push(this.fs.nodeText(call).replace(/\s+/g, ''));
    return { text: names.join(ALIAS), value: mode === 'nonnull' };
  }

  private lockRef(call: Node, name: string, kind: AtomicKind): LockRef {
    const args = call.childForFieldName('arguments');
    const first = args?.namedChildren[LOCK_ARG[name] ?? 0];
    const l = this.fs.nodeLoc(call);
    return { offset: l.offset, end: l.end, line: l.line, col: l.col, kind, key: first ? normKey(this.fs.nodeText(first)) : '', text: this.fs.nodeText(call).replace(/\s+/g, ' ').slice(0, 80) };
  }

  /** Only arguments that matter to the analysis are kept (flags, function names, &x->field, short names); others are null. */
  private argSummaries(args: Node[], refs: boolean): Array<ArgSummary | null> {
    return args.map((a) => {
      const text = this.fs.nodeText(a);
      const gfp = a.type !== 'call_expression' && (/GFP|gfp/.test(text) || this.env.params.has(text) || this.env.locals.has(text));
      if (!gfp && !refs) return null; // most arguments: nothing to keep, nothing to build
      const at = a.startPosition;
      const s: ArgSummary = { text: text.length > 120 ? text.slice(0, 120) : text, start: a.startIndex, end: a.endIndex, line: at.row, col: at.column };
      let keep = false;
      if (gfp) { s.values = evalGfp(this.env, a); keep = true; }
      if (!refs) return keep ? s : null;
      const fn = this.fs.functionRef(a);
      if (fn && !this.isParam(fn) && !this.localTypes.has(fn) && !this.env.locals.has(fn)) { s.fnRef = fn; keep = true; }
      if (a.type === 'pointer_expression') {
        const inner = a.childForFieldName('argument');
        if (inner && inner.type === 'field_expression') {
          const fc = this.fieldChain(inner);
          if (fc && fc.chain.length) { s.fieldRef = { field: fc.chain[fc.chain.length - 1], structType: fc.chain.length === 1 ? fc.baseType : undefined }; keep = true; }
        } else if (inner && inner.type === 'identifier') keep = true;
      }
      return keep ? s : null;
    });
  }

  private statementOf(n: Node): Node {
    let cur: Node = n;
    while (cur.parent && !/statement$|^declaration$/.test(cur.type)) cur = cur.parent;
    return cur;
  }

  private call(call: Node, st: St): St {
    const fnNode = call.childForFieldName('function');
    const argsNode = call.childForFieldName('arguments');
    const args = (argsNode?.namedChildren ?? []).filter((x): x is Node => !!x && x.type !== 'comment');
    if (!fnNode) return st;
    // guard(kind)(&lock)
    if (fnNode.type === 'call_expression') {
      const g = fnNode.childForFieldName('function');
      if (g && this.fs.nodeText(g) === 'guard') {
        const kindText = this.fs.nodeText(fnNode.childForFieldName('arguments') ?? fnNode).replace(/[()\s]/g, '');
        const kind = atomicGuard(kindText);
        if (kind) {
          const l = this.fs.nodeLoc(call);
          const lock: LockRef = { offset: l.offset, end: l.end, line: l.line, col: l.col, kind, key: args[0] ? normKey(this.fs.nodeText(args[0])) : '', text: this.fs.nodeText(call).replace(/\s+/g, ' ').slice(0, 80), guard: true };
          const s = cloneSt(st); s.held.push(lock);
          this.guardBlocks[this.guardBlocks.length - 1]?.push(lock);
          return s;
        }
      }
      return st;
    }
    if (fnNode.type !== 'identifier') {
      // call through a pointer: a->b->f(...), (*fp)(...), ops.f(...)
      let target = fnNode;
      while (target.type === 'parenthesized_expression' || target.type === 'pointer_expression') {
        const inner = target.namedChildren[target.namedChildren.length - 1];
        if (!inner) break;
        target = inner;
      }
      const l = this.fs.nodeLoc(call);
      const site: CallSite = { offset: l.offset, end: l.end, line: l.line, col: l.col, args: this.argSummaries(args, false), state: this.state(st) };
      if (target.type === 'field_expression') site.pointer = this.fieldChain(target);
      else if (target.type === 'identifier') site.pointer = { chain: [this.fs.nodeText(target)] };
      if (site.pointer && site.pointer.chain.length) this.fn.calls.push(site);
      return st;
    }
    const name = this.fs.nodeText(fnNode);
    const loc = this.fs.nodeLoc(call);
    // allocation site (state before the call's own effect)
    const gi = this.fs.allocIndex(name);
    if (gi !== undefined) {
      const arg = gi >= 0 ? args[gi] : undefined;
      if (gi < 0 || arg) {
        const stmt = this.statementOf(call);
        const a: AllocSite = {
          offset: loc.offset, end: loc.end, line: loc.line, col: loc.col, callee: name, argIndex: gi, argText: arg ? this.fs.nodeText(arg) : '', argStart: arg ? arg.startIndex : call.endIndex,
          argEnd: arg ? arg.endIndex : call.endIndex,
          values: arg ? evalGfp(this.env, arg) : [{ name: 'GFP_KERNEL', bits: { sleep: true, io: true, fs: true } }],
          state: this.state(st), stmtStart: stmt.startIndex, stmtEnd: stmt.endIndex, indent: this.fs.indent(stmt.startIndex),
          wrapOk: stmt.parent?.type === 'compound_statement' && /statement$|^declaration$/.test(stmt.type) && stmt.type !== 'declaration',
        };
        this.fn.allocs.push(a);
      }
    } else if (SLEEPING_CALLS.has(name)) {
      this.fn.sleeps.push({ offset: loc.offset, end: loc.end, line: loc.line, col: loc.col, callee: name, state: this.state(st) });
    }
    // region APIs
    const region = regionApi(name);
    // powerpc's hard_irq_disable() after local_irq_save() nests in it: the restore re-enables both
    if (region && name === 'hard_irq_disable' && st.held.some((h) => h.kind === 'irq')) return st;
    if (region) {
      const s = cloneSt(st);
      if (region.acquire) {
        const lock = this.lockRef(call, name, region.kind);
        const mode = COND_ACQUIRE[name];
        if (mode) lock.cond = this.successKey(call, mode);
        s.held.push(lock);
      }
      else {
        const lockArg = args[LOCK_ARG[name] ?? 0];
        const key = region.keyed && lockArg ? normKey(this.fs.nodeText(lockArg)) : '';
        let idx = -1;
        for (let i = s.held.length - 1; i >= 0; i--) if (s.held[i].kind === region.kind && (!region.keyed || s.held[i].key === key)) { idx = i; break; }
        if (idx < 0) for (let i = s.held.length - 1; i >= 0; i--) if (s.held[i].kind === region.kind) { idx = i; break; }
        this.releasedKinds.add(region.kind);
        if (idx < 0) for (let i = s.held.length - 1; i >= 0; i--) if (s.held[i].wrapper) { idx = i; break; }
        // a lock reached through a local that a call returned was most likely taken by that call (a lookup that
        // returns locked, as lock_timer_base() does): releasing it does not drop the caller's lock
        const root = /^[A-Za-z_]\w*/.exec(key)?.[0];
        if (idx >= 0) s.held.splice(idx, 1); else if (!(root && this.fromCall.has(root))) s.released++;
      }
      return s;
    }
    const wrapper = this.fs.lockWrapper(name);
    if (wrapper) {
      const s = cloneSt(st);
      if (wrapper.acquire) {
        const lock: LockRef = this.lockRef(call, name, wrapper.kind ?? 'spinlock');
        lock.key = `${name}()`; // in place: the key keeps its position among the fields (summaries compare as JSON)
        lock.wrapper = true;
        s.held.push(lock);
      }
      else if (s.held.length) s.held.pop(); else s.released++;
      return s;
    }
    if (gi !== undefined || SLEEPING_CALLS.has(name)) return st;
    const save = scopeSave(name);
    if (save) return this.scopeSave(call, save, st);
    const restore = scopeRestore(name);
    if (restore) return this.scopeRestore(call, restore, args, st);
    // other calls: recorded for the call graph
    const refs = REF_CALLEES.has(name);
    // explicit fields, not `...loc`: a spread with more properties after it cost ~2 µs a call site (V8)
    this.fn.calls.push({ offset: loc.offset, end: loc.end, line: loc.line, col: loc.col, callee: name, args: this.argSummaries(args, refs), state: this.state(st) });
    if (requestFlagSetter(name) && args[1]) {
      const s = cloneSt(st); s.maySleepReq = /MAY_SLEEP/.test(this.fs.nodeText(args[1])); return s;
    }
    if (NOFS_REGIONS[name]) { const s = cloneSt(st); s.txn = { offset: loc.offset, end: loc.end, line: loc.line, col: loc.col, text: `${name}()` }; return s; }
    if (NOFS_SCOPE_REGIONS[name]) {
      const ref: ScopeRef = { offset: loc.offset, end: loc.end, line: loc.line, col: loc.col, kind: 'nofs', token: '', text: `${name}() (its transaction sets a NOFS scope)` };
      const s = cloneSt(st); s.scopesMust.push(ref); s.scopesMay.push(ref); return s;
    }
    if (NOFS_SCOPE_ENDS.has(name)) {
      const i = st.scopesMay.map((x) => x.token).lastIndexOf('');
      if (i >= 0) { const s = cloneSt(st); const r = s.scopesMay.splice(i, 1)[0]; s.scopesMust = s.scopesMust.filter((x) => x !== r); return s; }
    }
    if (NOFS_ENDS.has(name)) { const s = cloneSt(st); s.txn = undefined; return s; }
    const w = WORK_INIT[name];
    if (w && args[w.fnArg]) {
      const fn = this.fs.functionRef(args[w.fnArg]);
      const work = args[w.workArg];
      if (fn && work) {
        let inner: Node | null = work;
        if (inner.type === 'pointer_expression') inner = inner.childForFieldName('argument');
        const fc = inner && inner.type === 'field_expression' ? this.fieldChain(inner) : undefined;
        this.fs.summary.bindings.push({ offset: loc.offset, end: loc.end, line: loc.line, col: loc.col, fn, baseType: fc?.baseType, chain: fc?.chain ?? [this.fs.nodeText(work).replace(/^&/, '')], via: 'work', inFunction: this.fn.name });
      }
    }
    return st;
  }

  private scopeSave(call: Node, kind: 'noio' | 'nofs', st: St): St {
    let p = call.parent;
    while (p && (p.type === 'parenthesized_expression' || p.type === 'cast_expression')) p = p.parent;
    let token = '';
    if (p && p.type === 'assignment_expression') token = this.fs.nodeText(p.childForFieldName('left')!);
    else if (p && p.type === 'init_declarator') token = this.fs.nodeText(p.childForFieldName('declarator')!);
    token = token.replace(/\s+/g, '');
    const l = this.fs.nodeLoc(call);
    const ref: ScopeRef = { offset: l.offset, end: l.end, line: l.line, col: l.col, kind, token, text: `${kind === 'noio' ? 'memalloc_noio_save' : 'memalloc_nofs_save'}()` };
    const s = cloneSt(st);
    s.scopesMust.push(ref); s.scopesMay.push(ref);
    return s;
  }

  private scopeRestore(call: Node, kind: 'noio' | 'nofs', args: Node[], st: St): St {
    const token = args[0] ? this.fs.nodeText(args[0]).replace(/\s+/g, '') : '';
    const s = cloneSt(st);
    // one token variable may serve a nofs save on one branch and a noio save on another: match the kind first
    let idx = -1;
    for (let i = s.scopesMay.length - 1; i >= 0 && idx < 0; i--) if (s.scopesMay[i].token === token && s.scopesMay[i].kind === kind) idx = i;
    if (idx < 0) idx = s.scopesMay.map((x) => x.token).lastIndexOf(token);
    const loc = this.fs.nodeLoc(call);
    const restore = kind === 'noio' ? 'memalloc_noio_restore' : 'memalloc_nofs_restore';
    if (idx >= 0) {
      const saved = s.scopesMay[idx];
      if (saved.kind !== kind) {
        this.fn.scopeIssues.push({ ...loc, kind, message: `${restore}(${token}) restores a token saved by ${saved.text} at line ${saved.line + 1}: the save and restore calls do not pair up.` });
      } else if (idx !== s.scopesMay.length - 1) {
        const inner = s.scopesMay[s.scopesMay.length - 1];
        this.fn.scopeIssues.push({ ...loc, kind, message: `${restore}(${token}) runs while the later ${inner.text} at line ${inner.line + 1} (token ${inner.token}) is still open: scopes must be restored in LIFO order, each with the token of its own save.` });
      }
      const removed = s.scopesMay.splice(idx, 1)[0];
      s.scopesMust = s.scopesMust.filter((x) => x.offset !== removed.offset);
      this.reportedSaves.delete(-1);
      return s;
    }
    if (this.isLocalToken(token)) {
      const open = s.scopesMay[s.scopesMay.length - 1];
      if (open) {
        this.fn.scopeIssues.push({ ...loc, kind, message: `${restore}(${token}) uses a token that no save in ${this.fn.name}() produced; the open scope from ${open.text} at line ${open.line + 1} was saved in ${open.token}.` });
        s.scopesMay.pop(); s.scopesMust = s.scopesMust.filter((x) => x.offset !== open.offset);
      } else if (!/->|\./.test(token)) {
        this.fn.scopeIssues.push({ ...loc, kind, message: `${restore}(${token}) without a matching ${kind === 'noio' ? 'memalloc_noio_save' : 'memalloc_nofs_save'}() earlier in ${this.fn.name}() on this path.` });
      }
    }
    return s;
  }
}

export function summarize(parser: CParser, file: string, text: string, options: SummarizeOptions = {}): FileSummary {
  return new FileSummarizer(parser, options).summarize(file, text);
}

/** See FileSummarizer.summarizeFunction and FileSummarizer.suppressionsOf. */
export function summarizeFunction(parser: CParser, file: string, text: string, fnStart: number, fnEnd: number, prev: FileSummary, options: SummarizeOptions = {}) {
  const s = new FileSummarizer(parser, options);
  const one = s.summarizeFunction(file, text, fnStart, fnEnd, prev);
  return one && { ...one, suppressions: s.suppressionsOf(text) };
}
