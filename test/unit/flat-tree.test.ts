// The native parser (dist/flat-tree.node) and its flat trees must be interchangeable with web-tree-sitter: the same
// nodes, fields and positions, and therefore the same summaries, on every fixture, sample and mutated file.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createParser, type CParser } from '../../server/src/engine/parser';
import { loadNativeParser, nativeParser, nativeParserNote } from '../../server/src/engine/nativeParser';
import { blankKernelC } from '../../server/src/engine/blank';
import { summarize } from '../../server/src/engine/summarize';
import { compactSummary } from '../../server/src/engine/summary';
import type { SyntaxNode } from '../../server/src/engine/syntaxNode';
import { mulberry32 as rng, sourceFiles } from '../support/files';

const repo = path.resolve(__dirname, '../../..');
const corpus = [...sourceFiles(path.join(repo, 'test/fixtures')), ...sourceFiles(path.join(repo, 'samples'))];

/** Odd texts: non-ASCII (UTF-16 positions), broken code, an empty file, a NUL, CRLF, deep nesting. */
const odd: Array<[string, string]> = [
  ['non-ascii', '/* é ✓ 𝄞 */ static int f(void) { char *s = "ü"; return g(s, GFP_KERNEL); }\n'],
  ['lone surrogates', '/* \ud800 */ int f(void) { h("\udc00"); return kmalloc(8, GFP_KERNEL) != 0; }\n'],
  ['broken', 'static int f(void) { if (x { kmalloc(8, GFP_KERNEL); \n int g(void) { return 1; }\n'],
  ['empty', ''],
  ['nul', 'int f(void) { return 0; }\0int g(void) { h(); }\n'],
  ['crlf', 'int f(void)\r\n{\r\n\tspin_lock(&l);\r\n\tkmalloc(4, GFP_KERNEL);\r\n}\r\n'],
  ['deep', 'int f(void) ' + '{'.repeat(300) + 'g();' + '}'.repeat(300) + '\n'],
  ['fields', 'static struct dm_target_type t = { .name = "x", .map = crypt_map, .ops = { .a = &b } };\nvoid f(struct s *p) { p->a.b = c; x |= y; x = y; }\n'],
];

function nodeFacts(n: SyntaxNode): string {
  const fields = ['declarator', 'body', 'type', 'function', 'arguments', 'left', 'right', 'operator', 'condition', 'consequence', 'alternative', 'value', 'label', 'name', 'field', 'argument', 'designator'];
  const f = fields.map((x) => { const c = n.childForFieldName(x); return c ? `${x}=${c.type}@${c.startIndex}` : ''; }).filter(Boolean).join(',');
  const many = n.childrenForFieldName('declarator').map((c) => c?.startIndex).join('/');
  const p = n.parent;
  return `${n.type} ${n.startIndex}-${n.endIndex} ${n.startPosition.row}:${n.startPosition.column} err=${n.hasError} ` +
    `parent=${p ? `${p.type}@${p.startIndex}` : '-'} named=${n.namedChildCount}[${n.namedChildren.map((c) => c?.type).join(',')}] ${f} decls=${many}`;
}

/** Every named node of the tree, in document order, as one line of facts each. */
function describe(root: SyntaxNode): string[] {
  const out: string[] = [];
  const walk = (n: SyntaxNode): void => { out.push(nodeFacts(n)); for (const c of n.namedChildren) if (c) walk(c); };
  walk(root);
  const calls = root.descendantsOfType(['call_expression', 'declaration']).map((c) => `${c?.type}@${c?.startIndex}`);
  out.push(`descendants ${calls.join(' ')}`);
  return out;
}

let wasm: CParser;
let native: CParser;

test('the native parser is built and loads (scripts/build-native.mjs)', async () => {
  assert.ok(nativeParser(), nativeParserNote());
  wasm = await createParser({ native: false });
  native = await createParser();
  assert.equal(wasm.native, null);
  assert.ok(native.native);
});

test('flat trees have the same nodes, fields, positions and errors as web-tree-sitter trees', () => {
  const texts: Array<[string, string]> = [...odd, ...corpus.map((f): [string, string] => [path.relative(repo, f), fs.readFileSync(f, 'utf8')])];
  let nodes = 0;
  for (const [name, text] of texts) {
    const blanked = blankKernelC(text).text;
    const a = wasm.parse(blanked)!;
    const b = native.parseForSummary(blanked)!;
    try {
      const da = describe(a.rootNode);
      const db = describe(b.rootNode);
      nodes += da.length;
      assert.deepEqual(db, da, `${name}: the flat tree differs from web-tree-sitter's`);
    } finally { a.delete(); b.delete(); }
  }
  assert.ok(nodes > 5000, `compared ${nodes} nodes`);
});

test('summaries from flat trees equal summaries from web-tree-sitter trees (files and mutated files)', () => {
  const r = rng(4242);
  const texts: Array<[string, string]> = [...odd];
  for (const f of corpus) {
    const text = fs.readFileSync(f, 'utf8');
    texts.push([path.relative(repo, f), text]);
    // a few mutations per file: cut a span out, duplicate a span (unbalanced braces, half statements)
    for (let k = 0; k < 3; k++) {
      const i = Math.floor(r() * text.length); const j = Math.min(text.length, i + Math.floor(r() * 200));
      texts.push([`${path.relative(repo, f)} mutation ${k}`, k % 2 ? text.slice(0, i) + text.slice(j) : text.slice(0, j) + text.slice(i)]);
    }
  }
  let functions = 0;
  for (const [name, text] of texts) {
    const a = summarize(wasm, name, text);
    const b = summarize(native, name, text);
    functions += a.functions.length;
    assert.equal(JSON.stringify(compactSummary(b)), JSON.stringify(compactSummary(a)), `${name}: summaries differ`);
  }
  assert.ok(functions > 300, `compared ${functions} functions`);
});

test('a native module that does not load (another platform, a damaged file) leaves web-tree-sitter in charge, with the reason', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-native-'));
  try {
    const bogus = path.join(dir, 'flat-tree.node');
    fs.writeFileSync(bogus, Buffer.from('\x7fELF but not really a shared object'));
    const r = loadNativeParser(bogus);
    assert.equal(r.parser, null);
    assert.match(r.note, /^native parser did not load \(.+\): web-tree-sitter$/);
    // the real one loads from its own path
    const real = loadNativeParser(path.join(repo, 'dist', 'flat-tree.node'));
    assert.ok(real.parser, real.note);
    assert.equal(real.parser!.parseFlat('int f(void) { return g(); }').rootNode.type, 'translation_unit');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
