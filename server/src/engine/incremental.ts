// Function-level incremental summaries: when an edit stays inside one function body, re-walk only that function
// and shift every position after it, instead of re-parsing and re-walking the whole file.
// Invariant: the result equals summarize(newText) (test/unit/incremental-summary.test.ts checks this on mutated
// fixtures); whenever that cannot be guaranteed cheaply the function returns undefined and the caller summarizes
// the whole file.
import type { CParser } from './parser';
import { summarizeFunction, type SummarizeOptions } from './summarize';
import { CallColumns, PlainCall, type Binding, type FileSummary, type FnSummary } from './summary';

/** Position fields of summary records (offsets into the file); `line` fields move with them, `col` never does. */
const OFFSET_KEYS = new Set(['offset', 'end', 'start', 'nameStart', 'bodyStart', 'bodyEnd', 'argStart', 'argEnd', 'stmtStart', 'stmtEnd']);

/** The changed span: [start, oldEnd) of the old text became [start, newEnd) of the new one. */
export interface TextChange { start: number; oldEnd: number; newEnd: number }

export function diffSpan(oldText: string, newText: string): TextChange {
  const max = Math.min(oldText.length, newText.length);
  let start = 0;
  while (start < max && oldText.charCodeAt(start) === newText.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < max - start && oldText.charCodeAt(oldText.length - 1 - tail) === newText.charCodeAt(newText.length - 1 - tail)) tail++;
  return { start, oldEnd: oldText.length - tail, newEnd: newText.length - tail };
}

function countLines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** A deep copy of summary data with every offset moved by `dOff` and every line by `dLine` (shared objects stay shared). */
function shifted<T>(value: T, dOff: number, dLine: number, memo = new Map<object, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  if (Object.isFrozen(value)) return value; // the shared empty state: no positions
  if (value instanceof PlainCall) return new PlainCall(value.offset + dOff, value.end + dOff, value.line + dLine, value.col, value.callee) as T;
  if (value instanceof CallColumns) return value.shiftedBy(dOff, dLine, (c) => shifted(c, dOff, dLine, memo)) as T;
  const seen = memo.get(value as object);
  if (seen) return seen as T;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    memo.set(value, out);
    for (const v of value) out.push(shifted(v, dOff, dLine, memo));
    return out as T;
  }
  const out: Record<string, unknown> = {};
  memo.set(value as object, out);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'number') out[k] = OFFSET_KEYS.has(k) ? v + dOff : k === 'line' ? v + dLine : v;
    else if (k === 'values' || k === 'params') out[k] = v; // flag values and parameters carry no positions
    else if (k === 'message' && typeof v === 'string') out[k] = v.replace(/\bline (\d+)/g, (_, n: string) => `line ${Number(n) + dLine}`);
    else out[k] = shifted(v, dOff, dLine, memo);
  }
  return out as T;
}

/** Every block comment in `s` is closed within `s` (a lone opener or closer would re-comment code outside). */
function closedComments(s: string): boolean {
  let open = false;
  for (let i = 0; i < s.length - 1; i++) {
    if (!open && s[i] === '/' && s[i + 1] === '*') { open = true; i++; }
    else if (open && s[i] === '*' && s[i + 1] === '/') { open = false; i++; }
    else if (!open && s[i] === '*' && s[i + 1] === '/') return false;
  }
  return !open;
}

/**
 * The summary of `newText` built from `old` (the summary of `oldText`) by re-walking only the edited function,
 * or undefined when the edit is not confined to one function body or touches file-level facts.
 */
export function reuseSummary(parser: CParser, old: FileSummary, oldText: string, newText: string, options: SummarizeOptions = {}): FileSummary | undefined {
  if (old.problems.length || oldText === newText) return undefined;
  const ch = diffSpan(oldText, newText);
  const idx = old.functions.findIndex((f) => f.bodyStart < ch.start && ch.oldEnd < f.bodyEnd);
  if (idx < 0) return undefined;
  const f = old.functions[idx];
  // nested or overlapping definitions (K&R oddities, #ifdef variants sharing a body) are left to the full walk
  if (old.functions.some((g, i) => i !== idx && g.offset < f.end && f.offset < g.end)) return undefined;
  // preprocessor lines, comment and string delimiters, annotations and suppressions can change file-level facts
  const removed = oldText.slice(ch.start, ch.oldEnd);
  const added = newText.slice(ch.start, ch.newEnd);
  if (!closedComments(removed) || !closedComments(added)) return undefined;
  if (/[#"']|gfp-lens|\b(struct|union|enum|typedef)\b/.test(removed + added)) return undefined;
  if (/\/$/.test(oldText.slice(0, ch.start)) || /^[*/]/.test(oldText.slice(ch.oldEnd))) return undefined;
  const dOff = ch.newEnd - ch.oldEnd;
  const dLine = countLines(newText, ch.start, ch.newEnd) - countLines(oldText, ch.start, ch.oldEnd);
  const changeEndLine = countLines(oldText, 0, ch.oldEnd);
  const next = old.functions.find((g) => g.offset >= f.end);
  if (next && next.line <= changeEndLine) return undefined;
  const one = summarizeFunction(parser, old.file, newText, f.offset, f.end + dOff, old, options);
  if (!one || one.fileLevel) return undefined;
  // a lock wrapper, or a function that could become one, changes how the rest of the file is walked
  const wrapperLike = (g: FnSummary) => g.calls.length <= 4 && (!!g.returnsHolding || !!g.releasesCallerLock);
  if (old.wrappers?.[f.name] || wrapperLike(f) || wrapperLike(one.fn) || one.fn.name !== f.name) return undefined;
  const after = (offset: number) => offset >= f.end;
  const functions = old.functions.map((g, i) => (i === idx ? one.fn : after(g.offset) ? shifted(g, dOff, dLine) : g));
  const bindings: Binding[] = [];
  let placed = false;
  for (const b of old.bindings) {
    if (b.offset < f.offset) { bindings.push(b); continue; }
    if (!placed) { bindings.push(...one.bindings); placed = true; }
    if (after(b.offset)) bindings.push(shifted(b, dOff, dLine));
  }
  if (!placed) bindings.push(...one.bindings);
  return {
    ...old,
    functions,
    bindings,
    includeInsertOffset: after(old.includeInsertOffset) && old.includeInsertOffset > 0 ? old.includeInsertOffset + dOff : old.includeInsertOffset,
    suppressions: one.suppressions,
  };
}
