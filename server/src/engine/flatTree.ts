// A whole syntax tree as one Int32Array (made by the native parser, server/native/flat_tree.c) behind the SyntaxNode
// interface the summarizer uses. Reading a node is an array access, not a WebAssembly call. The array holds every
// named node and the anonymous ones with a field or children: anonymous leaves without a field (punctuation,
// keywords) cannot be reached through SyntaxNode, so they are left out.
// Invariants: records are in preorder, so a node's subtree is the contiguous records [i, next(i)); every access makes
// a new FlatNode (as web-tree-sitter makes a new Node), so nodes compare by `id`, never by identity.
import type { SyntaxNode, SyntaxTree } from './syntaxNode';

/** Ints per node record, and their meaning (keep in step with flat_tree.c). */
const REC = 7;
const SYM_FLAGS = 0, START = 1, END = 2, ROW = 3, COL = 4, NEXT = 5, PARENT = 6;
const NAMED = 1 << 24;
const HAS_ERROR = 1 << 25;
const ERROR_SYMBOL = 0xffff;

/** The grammar's names: symbol id -> type, field id -> field name. */
export class FlatGrammar {
  readonly types: string[];
  private fieldIds = new Map<string, number>();
  constructor(symbols: string[], fields: string[]) {
    this.types = symbols.slice();
    this.types[ERROR_SYMBOL] = 'ERROR';
    fields.forEach((f, i) => { if (i && f) this.fieldIds.set(f, i); });
  }
  private typeSets = new Map<string, Uint8Array>();
  fieldId(name: string): number { return this.fieldIds.get(name) ?? -1; }
  /** symbol id -> 1 when its type is one of `types`. */
  symbolsOf(types: string[]): Uint8Array {
    const key = types.join(',');
    let set = this.typeSets.get(key);
    if (!set) {
      set = new Uint8Array(ERROR_SYMBOL + 1);
      this.types.forEach((t, i) => { if (types.includes(t)) set![i] = 1; });
      this.typeSets.set(key, set);
    }
    return set;
  }
}

export class FlatTree implements SyntaxTree {
  constructor(readonly records: Int32Array, readonly grammar: FlatGrammar) {}
  get rootNode(): SyntaxNode { return new FlatNode(this, 0); }
  delete(): void { /* nothing outside the JS heap */ }
}

class FlatNode implements SyntaxNode {
  constructor(private t: FlatTree, readonly id: number) {}
  private get r(): Int32Array { return this.t.records; }
  get type(): string { return this.t.grammar.types[this.r[this.id * REC + SYM_FLAGS] & 0xffff]; }
  get startIndex(): number { return this.r[this.id * REC + START]; }
  get endIndex(): number { return this.r[this.id * REC + END]; }
  get startPosition(): { row: number; column: number } { return { row: this.r[this.id * REC + ROW], column: this.r[this.id * REC + COL] }; }
  get hasError(): boolean { return (this.r[this.id * REC + SYM_FLAGS] & HAS_ERROR) !== 0; }
  get parent(): SyntaxNode | null {
    const p = this.r[this.id * REC + PARENT];
    return p < 0 ? null : new FlatNode(this.t, p);
  }
  get namedChildren(): Array<SyntaxNode | null> {
    const r = this.r; const out: SyntaxNode[] = [];
    for (let c = this.id + 1, end = r[this.id * REC + NEXT]; c < end; c = r[c * REC + NEXT]) {
      if (r[c * REC + SYM_FLAGS] & NAMED) out.push(new FlatNode(this.t, c));
    }
    return out;
  }
  get namedChildCount(): number {
    const r = this.r; let n = 0;
    for (let c = this.id + 1, end = r[this.id * REC + NEXT]; c < end; c = r[c * REC + NEXT]) if (r[c * REC + SYM_FLAGS] & NAMED) n++;
    return n;
  }
  childForFieldName(name: string): SyntaxNode | null {
    const f = this.t.grammar.fieldId(name);
    if (f < 0) return null;
    const r = this.r;
    for (let c = this.id + 1, end = r[this.id * REC + NEXT]; c < end; c = r[c * REC + NEXT]) {
      if (((r[c * REC + SYM_FLAGS] >> 16) & 0xff) === f) return new FlatNode(this.t, c);
    }
    return null;
  }
  childrenForFieldName(name: string): Array<SyntaxNode | null> {
    const f = this.t.grammar.fieldId(name);
    const out: SyntaxNode[] = [];
    if (f < 0) return out;
    const r = this.r;
    for (let c = this.id + 1, end = r[this.id * REC + NEXT]; c < end; c = r[c * REC + NEXT]) {
      if (((r[c * REC + SYM_FLAGS] >> 16) & 0xff) === f) out.push(new FlatNode(this.t, c));
    }
    return out;
  }
  descendantsOfType(types: string | string[]): Array<SyntaxNode | null> {
    const wanted = this.t.grammar.symbolsOf(Array.isArray(types) ? types : [types]);
    const r = this.r; const out: SyntaxNode[] = [];
    for (let c = this.id, end = r[this.id * REC + NEXT]; c < end; c++) {
      // web-tree-sitter skips empty nodes at the very start of the file (they end at or before its range start)
      if (r[c * REC + END] === 0) continue;
      if (wanted[r[c * REC + SYM_FLAGS] & 0xffff]) out.push(new FlatNode(this.t, c));
    }
    return out;
  }
}
