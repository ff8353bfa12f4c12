// Offset-preserving blanking of kernel annotations and macros before parsing (notes/tree-sitter.md §3.5).
// The output has the same length and the same newlines as the input, so every offset, line and column
// maps 1:1 back to the real file. Strings and comments may be touched: always read text from the original.
import { nameTable } from './nameTable';

const WORDS = [
  'STATIC', '__init', '__exit', '__user', '__iomem', '__rcu', '__percpu', '__force', '__must_check', 'noinline',
  '__cold', '__hot', '__weak', 'notrace', 'asmlinkage', '__maybe_unused', '__always_unused', '__read_mostly',
  '__ro_after_init', '__packed', '__randomize_layout', '____cacheline_aligned', '____cacheline_aligned_in_smp',
  '__cacheline_aligned', '__cacheline_aligned_in_smp', '__bitwise', 'noinstr', '__bpf_kfunc', '__always_inline',
  '__initdata', '__initconst', '__exitdata', '__devinit', '__devexit', '__meminit', '__ref', '__visible',
  '__noreturn', '__used', '__nocast', '__safe', '__kprobes', 'nokprobe_inline', '__latent_entropy',
  '__no_sanitize_address', '__flatten', '__pure', '__const', '__malloc', '__noclone', 'fastcall', '__sched',
  '__cpuidle', '__irq_entry', '__softirq_entry', '__attribute_const__', '__net_initdata', '__net_init', '__net_exit',
  '__private', '__deprecated', '__unused', '__naked', '__noinline', '__must_be_array', '__lockfunc', '__kernel',
  '__mustcheck', '__nonstring', '__counted', '__init_or_module', '__always_unused', '__trace_iter',
];
const PAREN_WORDS = [
  '__counted_by', '__counted_by_le', '__counted_by_be', '__sized_by', '__aligned', '__attribute__', '__attribute',
  '__must_hold', '__acquires', '__releases', '__cond_acquires', '__cond_releases', '__acquire', '__release',
  '__printf', '__scanf', '__section', '__guarded_by', '__pt_guarded_by', '__alloc_size', '__free', '__cleanup',
  '__no_context_analysis', '__assume_aligned', '__diagnose_as', '__nocfi', '__realloc_size', '__designated_init',
  '__no_kcsan', '__no_sanitize_or_inline', 'DECLARE_BITMAP_NOPE',
];
/** Macros whose N-th (0-based) argument is a type: that argument becomes `0` plus padding. */
const TYPE_ARG: Record<string, number> = nameTable({
  container_of: 1, container_of_const: 1, list_entry: 1, list_first_entry: 1, list_last_entry: 1,
  list_first_entry_or_null: 1, list_last_entry_or_null: 1, rb_entry: 1, rb_entry_safe: 1, hlist_entry: 1,
  hlist_entry_safe: 1, llist_entry: 1, min_t: 0, max_t: 0, clamp_t: 0, clamp_val_t: 0, sizeof_field: 0,
  struct_size_t: 0, offsetofend: 0, typeof_member: 0, kmalloc_obj: 0, kzalloc_obj: 0,
});

/** Annotations that name their lock, kept for the summary (they are blanked in the parse text). */
export interface LockAnnotation { word: string; offset: number; arg: string }
/** A `scoped_guard(kind, arg) {` turned into `while (kind, arg) {`; kept so the walker knows it holds `kind`. */
export interface ScopedGuard { offset: number; kind: string; arg: string }

export interface BlankResult { text: string; annotations: LockAnnotation[]; scopedGuards: ScopedGuard[] }

const WORD_SET = new Set(WORDS);
const PAREN_SET = new Set(PAREN_WORDS);
/**
 * Identifiers the blanker may act on, without visiting every identifier of the file (that was most of its time):
 * every one that starts with `_` (most annotation words do) and the listed words that do not, as whole identifiers.
 * The lookbehind keeps matches at identifier starts; a start after digits is checked in identifierStart().
 */
const OTHER_WORDS = [...new Set([...WORDS, ...PAREN_WORDS, ...Object.keys(TYPE_ARG), 'scoped_guard'].filter((w) => !w.startsWith('_')))]
  .sort((a, b) => b.length - a.length);
const CANDIDATE = new RegExp(`(?<![A-Za-z_])(?:_[A-Za-z0-9_]*|(?:${OTHER_WORDS.join('|')})(?![A-Za-z0-9_]))`, 'g');

const isWordChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Whether an identifier starts at `i` (`[A-Za-z_]` there, and nothing before it in its run but digits). */
function identifierStart(src: string, i: number): boolean {
  let q = i - 1;
  while (q >= 0 && isDigit(src.charCodeAt(q))) q--;
  return q < 0 || !isWordChar(src.charCodeAt(q));
}

/**
 * Start and text of every identifier of `src` that is a listed word, starts with `_` or contains `for_each`, in order:
 * exactly the identifiers that scanning every `[A-Za-z_][A-Za-z0-9_]*` would find and act on.
 */
function candidates(src: string): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  CANDIDATE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CANDIDATE.exec(src))) if (identifierStart(src, m.index)) out.push([m.index, m[0]]);
  // identifiers containing for_each (list_for_each_entry, hash_for_each_possible, ...)
  let extra = false;
  for (let i = src.indexOf('for_each'); i >= 0; i = src.indexOf('for_each', i + 8)) {
    let start = i;
    while (start > 0 && isWordChar(src.charCodeAt(start - 1))) start--;
    while (start < i && isDigit(src.charCodeAt(start))) start++; // leading digits are not part of an identifier
    if (src.charCodeAt(start) === 95) continue; // starts with `_`: found above
    let end = i + 8;
    while (end < src.length && isWordChar(src.charCodeAt(end))) end++;
    out.push([start, src.slice(start, end)]);
    extra = true;
  }
  if (extra) {
    out.sort((a, b) => a[0] - b[0]);
    // one identifier can hold for_each twice, or be a listed word as well
    let k = 0;
    for (const c of out) if (k === 0 || out[k - 1][0] !== c[0]) out[k++] = c;
    out.length = k;
  }
  return out;
}

/** Index just past the `)` that closes the `(` at `open`, or -1. */
export function matchParen(text: string, open: number): number {
  let depth = 0;
  const limit = Math.min(text.length, open + 20000);
  for (let i = open; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41) { depth--; if (depth === 0) return i + 1; }
  }
  return -1;
}

/** Splits "(a, b(c, d), e)" (open..close exclusive of parens) into top-level argument ranges. */
export function splitArgs(text: string, open: number, close: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let depth = 0; let start = open + 1;
  for (let i = open + 1; i < close - 1; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 0) { out.push([start, i]); start = i + 1; }
  }
  out.push([start, close - 1]);
  return out;
}

export function blankKernelC(src: string): BlankResult {
  return blankIdentifiers(src, candidates(src));
}

/**
 * Blanks `src`, acting on `identifiers` (start, text; in order). blankKernelC passes the candidates; tests pass every
 * identifier of the text and must get the same result.
 */
export function blankIdentifiers(src: string, identifiers: Iterable<[number, string]>): BlankResult {
  const annotations: LockAnnotation[] = [];
  const scopedGuards: ScopedGuard[] = [];
  // Fast path: ranges to blank / rewrite, applied at the end.
  const edits: Array<[number, number, string | null]> = []; // [start, end, replacement(null = spaces)]
  let skipUntil = 0; // past the arguments of a blanked `word(...)`: identifiers in them are not looked at
  for (const [start, word] of identifiers) {
    if (start < skipUntil) continue;
    const end = start + word.length;
    if (WORD_SET.has(word)) { edits.push([start, end, null]); continue; }
    if (PAREN_SET.has(word) || (TYPE_ARG[word] !== undefined) || word.includes('for_each') || word === 'scoped_guard') {
      let p = end;
      while (p < src.length && (src[p] === ' ' || src[p] === '\t')) p++;
      if (src[p] !== '(') continue;
      const close = matchParen(src, p);
      if (close < 0) continue;
      if (PAREN_SET.has(word)) {
        if (word === '__acquires' || word === '__releases' || word === '__must_hold' || word === '__cond_acquires') {
          annotations.push({ word, offset: start, arg: src.slice(p + 1, close - 1).trim() });
        }
        edits.push([start, close, null]);
        skipUntil = close;
        continue;
      }
      if (TYPE_ARG[word] !== undefined) {
        const args = splitArgs(src, p, close);
        const a = args[TYPE_ARG[word]];
        if (a && a[1] > a[0]) {
          const s = a[0] + (src.slice(a[0], a[1]).length - src.slice(a[0], a[1]).trimStart().length);
          if (s < a[1]) edits.push([s, a[1], '0']);
        }
        continue;
      }
      // for_each-style iterator or scoped_guard in statement position: not followed by `;`
      let q = close;
      while (q < src.length && /\s/.test(src[q])) q++;
      if (src[q] === ';' || src[q] === ')' || src[q] === ',') continue;
      // must start a statement: previous non-space char is one of ; { } ) or : or a newline after else
      let b = start - 1;
      while (b >= 0 && /\s/.test(src[b])) b--;
      const prev = b >= 0 ? src[b] : '\n';
      const isStmt = prev === ';' || prev === '{' || prev === '}' || prev === ')' || prev === ':' || src.slice(Math.max(0, b - 3), b + 1) === 'else';
      if (!isStmt) continue;
      if (word === 'scoped_guard') {
        const args = splitArgs(src, p, close);
        scopedGuards.push({ offset: start, kind: src.slice(args[0][0], args[0][1]).trim(), arg: args[1] ? src.slice(args[1][0], args[1][1]).trim() : '' });
      }
      edits.push([start, end, 'while']);
    }
  }
  if (edits.length === 0) return { text: src, annotations, scopedGuards };
  const parts: string[] = [];
  let last = 0;
  for (const [s, e, rep] of edits) {
    if (s < last) continue;
    parts.push(src.slice(last, s));
    const seg = src.slice(s, e);
    if (rep === null) parts.push(seg.replace(/[^\n\r]/g, ' '));
    else parts.push(rep + seg.slice(rep.length).replace(/[^\n\r]/g, ' '));
    last = e;
  }
  parts.push(src.slice(last));
  return { text: parts.join(''), annotations, scopedGuards };
}
