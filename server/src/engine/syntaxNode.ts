// The part of a tree-sitter syntax node that the summarizer (summarize.ts, gfpEval.ts) uses. Both web-tree-sitter's
// Node and flatTree.ts's FlatNode have it, so one summarizer walks either kind of tree.
export interface SyntaxNode {
  /** Equal for the same node of one tree, different for different nodes. */
  readonly id: number;
  readonly type: string;
  /** UTF-16 code units, as JavaScript string indices. */
  readonly startIndex: number;
  readonly endIndex: number;
  readonly startPosition: { row: number; column: number };
  readonly parent: SyntaxNode | null;
  readonly namedChildren: Array<SyntaxNode | null>;
  readonly namedChildCount: number;
  /** True when the node or anything in it is an ERROR or MISSING node. */
  readonly hasError: boolean;
  childForFieldName(name: string): SyntaxNode | null;
  childrenForFieldName(name: string): Array<SyntaxNode | null>;
  /** The node itself and its descendants of these types, in document order. */
  descendantsOfType(types: string | string[]): Array<SyntaxNode | null>;
}

export interface SyntaxTree {
  readonly rootNode: SyntaxNode;
  /** Frees what the tree holds outside the JS heap (web-tree-sitter trees must be deleted). */
  delete(): void;
}
