// The kernel blanker (blank.ts) looks only at candidate identifiers (starting with `_`, listed, or containing
// for_each). It must give exactly what acting on every identifier of the text gives (the way it worked before): on
// crafted edge cases, every fixture and sample, and random token soups; and keep lengths and newlines.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { blankIdentifiers, blankKernelC } from '../../server/src/engine/blank';
import { sourceFiles, mulberry32 } from '../support/files';

const repo = path.resolve(__dirname, '../../..');

/** Every `[A-Za-z_][A-Za-z0-9_]*` of the text, in order, as a left-to-right scan finds them. */
function* everyIdentifier(src: string): Generator<[number, string]> {
  const re = /[A-Za-z_][A-Za-z0-9_]*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) yield [m.index, m[0]];
}

function agree(src: string, what: string): void {
  const got = blankKernelC(src);
  assert.deepEqual(got, blankIdentifiers(src, everyIdentifier(src)), what);
  assert.equal(got.text.length, src.length, `${what}: same length`);
  for (let i = 0; i < src.length; i++) if ((src[i] === '\n') !== (got.text[i] === '\n')) assert.fail(`${what}: newline moved at ${i}`);
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
  const r = blankKernelC('int 9__init; int a9__init; noinline int f(void) __acquires(l);');
  assert.equal(r.text, 'int 9      ; int a9__init;          int f(void)              ;');
  assert.deepEqual(r.annotations, [{ word: '__acquires', offset: 48, arg: 'l' }]);
});

test('every fixture and sample blanks as acting on every identifier does', () => {
  const files = sourceFiles(repo);
  assert.ok(files.length >= 20);
  for (const f of files) agree(fs.readFileSync(f, 'utf8'), path.relative(repo, f));
});

test('random token soups blank as acting on every identifier does', () => {
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
