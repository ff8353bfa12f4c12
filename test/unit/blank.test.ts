// The kernel blanker (blank.ts): offsets and newlines kept; annotation words, attribute calls, type arguments and
// for_each/scoped_guard statements rewritten. It looks only at candidate identifiers (starting with `_`, listed, or
// containing for_each): checked against a scan of every identifier, the way it worked before, on crafted edge cases,
// every fixture and sample, and random token soups.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BLANK_TABLES, blankKernelC, matchParen } from '../../server/src/engine/blank';
import { sourceFiles, mulberry32 } from '../support/files';

const repo = path.resolve(__dirname, '../../..');

/** Reference: every `[A-Za-z_][A-Za-z0-9_]*` in order, acted on when listed or containing for_each (the old loop). */
function reference(src: string): { edits: Array<[number, number, string | null]>; annotations: string[]; guards: string[] } {
  const words = new Set(BLANK_TABLES.WORDS); const paren = new Set(BLANK_TABLES.PAREN_WORDS); const typeArg = BLANK_TABLES.TYPE_ARG;
  const edits: Array<[number, number, string | null]> = []; const annotations: string[] = []; const guards: string[] = [];
  const re = /[A-Za-z_][A-Za-z0-9_]*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const word = m[0]; const start = m.index; const end = start + word.length;
    if (words.has(word)) { edits.push([start, end, null]); continue; }
    const isType = Object.prototype.hasOwnProperty.call(typeArg, word);
    if (!(paren.has(word) || isType || word.includes('for_each') || word === 'scoped_guard')) continue;
    let p = end;
    while (p < src.length && (src[p] === ' ' || src[p] === '\t')) p++;
    if (src[p] !== '(') continue;
    const close = matchParen(src, p);
    if (close < 0) continue;
    if (paren.has(word)) { if (/^__(acquires|releases|must_hold|cond_acquires)$/.test(word)) annotations.push(`${word}@${start}`); edits.push([start, close, null]); re.lastIndex = close; continue; }
    if (isType) { edits.push([start, end, 'T']); continue; } // its argument is rewritten; the position is what matters here
    let q = close;
    while (q < src.length && /\s/.test(src[q])) q++;
    if (src[q] === ';' || src[q] === ')' || src[q] === ',') continue;
    let b = start - 1;
    while (b >= 0 && /\s/.test(src[b])) b--;
    const prev = b >= 0 ? src[b] : '\n';
    if (!(prev === ';' || prev === '{' || prev === '}' || prev === ')' || prev === ':' || src.slice(Math.max(0, b - 3), b + 1) === 'else')) continue;
    if (word === 'scoped_guard') guards.push(`${start}`);
    edits.push([start, end, 'while']);
  }
  return { edits, annotations, guards };
}

/** What blankKernelC did, in the reference's terms: blanked words, rewritten statements, annotations, guards. */
function observed(src: string) {
  const r = blankKernelC(src);
  assert.equal(r.text.length, src.length, 'same length');
  for (let i = 0; i < src.length; i++) if ((src[i] === '\n') !== (r.text[i] === '\n')) assert.fail(`newline moved at ${i}`);
  return { text: r.text, annotations: r.annotations.map((a) => `${a.word}@${a.offset}`), guards: r.scopedGuards.map((g) => `${g.offset}`) };
}

function agree(src: string, what: string): void {
  const ref = reference(src);
  const got = observed(src);
  assert.deepEqual(got.annotations, ref.annotations, `${what}: annotations`);
  assert.deepEqual(got.guards, ref.guards, `${what}: scoped guards`);
  // every reference edit shows in the text: blanked words are spaces, statements start with `while`
  let last = 0;
  for (const [s, e, rep] of ref.edits) {
    if (s < last) continue;
    if (rep === null) assert.ok(/^[\s]*$/.test(got.text.slice(s, e)), `${what}: ${JSON.stringify(src.slice(s, e))} at ${s} blanked`);
    else if (rep === 'while') assert.equal(got.text.slice(s, s + 5), 'while', `${what}: statement at ${s}`);
    last = e;
  }
  // and nothing else changed outside the reference's edits (type arguments aside, which the reference only marks)
  const touched = new Uint8Array(src.length + 1);
  for (const [s, e, rep] of ref.edits) {
    if (rep === 'T') { const close = matchParen(src, src.indexOf('(', e)); for (let i = e; i < close; i++) touched[i] = 1; }
    else for (let i = s; i < e; i++) touched[i] = 1;
  }
  for (let i = 0; i < src.length; i++) if (!touched[i] && got.text[i] !== src[i]) assert.fail(`${what}: changed ${JSON.stringify(src.slice(Math.max(0, i - 20), i + 20))} at ${i}`);
}

test('edge cases: identifiers after digits, for_each inside identifiers and inside blanked attributes, listed words as parts of names', () => {
  const cases = [
    'static void __init f(void) __acquires(&l)\n{\n\tlist_for_each_entry(p, &h, node) {\n\t}\n}\n',
    'int a9__init; int 9__init; int x9_for_each_y(a) {\n}\nint 0x__user;\n',
    '__attribute__((section("list_for_each_x"))) int y;\n{ for_each_for_each(a) {\n} }\n',
    '{ _for_each_z(a);\n__for_each_w(b) {\n} }\n',
    'p = container_of(ptr, struct foo, member); q = min_t(unsigned long, a, b);\n',
    'void g(void)\n{\n\tscoped_guard(spinlock, &l) {\n\t}\n}\n',
    'STATICx xnoinline noinline STATIC __STATIC __init__ noinline_x\n',
    'else hlist_for_each_entry_safe(a, b) x = 1;\n',
    '__attribute__((__acquires(x), noinline)) int z; __must_hold(__releases(y)) int w;\n',
  ];
  for (const c of cases) agree(c, JSON.stringify(c));
  const r = blankKernelC('int 9__init; int a9__init;');
  assert.equal(r.text, 'int 9      ; int a9__init;', 'an identifier starts after leading digits, never inside a name');
});

test('every fixture and sample blanks as a scan of every identifier does', () => {
  const files = sourceFiles(repo);
  assert.ok(files.length >= 20);
  for (const f of files) agree(fs.readFileSync(f, 'utf8'), path.relative(repo, f));
});

test('random token soups blank as a scan of every identifier does', () => {
  const rnd = mulberry32(20261126);
  const pieces = ['__init', 'noinline', 'STATIC', '__user', '9', 'x', '_', 'for_each', 'list_for_each_entry', 'scoped_guard', 'container_of',
    '__attribute__', '__acquires', '(', ')', '{', '}', ';', ',', ' ', '\n', '\t', 'a', '0x', 'else', ':', '__counted_by', 'min_t', 'struct foo'];
  for (let n = 0; n < 3000; n++) {
    let s = '';
    const len = 1 + Math.floor(rnd() * 30);
    for (let i = 0; i < len; i++) s += pieces[Math.floor(rnd() * pieces.length)];
    agree(s, JSON.stringify(s));
  }
});
