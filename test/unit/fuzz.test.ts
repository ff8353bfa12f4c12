// Robustness: seeded random mutations of the fixture files plus hostile files (random bytes, NULs, invalid
// UTF-8, a 10 MB line, a 50 MB table, 5,000-deep braces, empty files, a directory named x.c, a symlink loop,
// an unreadable file, a file deleted mid-run) go through indexTree (workers and in-thread) and
// engine.updateFile. Nothing may throw, huge files are skipped with a note, every file that survives has a
// summary, the global analysis still runs, and the real fixtures still produce their expected findings.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEngine, indexTree, type Engine, type EngineProblem } from '../../server/src/engine';
import { sourceFiles, mulberry32 } from '../support/files';

const fixtures = path.resolve(__dirname, '../../../test/fixtures');
const SEED = Number(process.env.GFP_LENS_FUZZ_SEED ?? 20261125);
const MUTANTS_PER_FILE = Number(process.env.GFP_LENS_FUZZ_MUTANTS ?? 4);


const cFiles = (dir: string) => sourceFiles(dir, ['.c']);
const rng = mulberry32;

const SNIPPETS = ['{', '}', '{{{', '}}}', '(', ')', '/*', '*/', '"', "'", '#if 0\n', '#endif\n', '\\\n', ';', 'spin_lock(&l);', 'kmalloc(n, GFP_KERNEL)', 'memalloc_noio_save()', 'static void', '->', '??/', '\t\t'];

function mutate(src: Buffer, r: () => number): Buffer {
  let b = Buffer.from(src);
  const pos = () => Math.floor(r() * (b.length + 1));
  const ops = 1 + Math.floor(r() * 4);
  for (let k = 0; k < ops; k++) {
    const op = Math.floor(r() * 8);
    const i = pos();
    const j = Math.min(b.length, i + Math.floor(r() * 400));
    switch (op) {
      case 0: b = b.subarray(0, i); break;                                                  // truncate
      case 1: b = Buffer.concat([b.subarray(0, i), b.subarray(j)]); break;                  // delete a span
      case 2: b = Buffer.concat([b.subarray(0, j), b.subarray(i, j), b.subarray(j)]); break; // duplicate a span
      case 3: {                                                                             // random bytes
        const n = 1 + Math.floor(r() * 32);
        const rnd = Buffer.alloc(n);
        for (let q = 0; q < n; q++) rnd[q] = Math.floor(r() * 256);
        b = Buffer.concat([b.subarray(0, i), rnd, b.subarray(i)]); break;
      }
      case 4: b = Buffer.concat([b.subarray(0, i), Buffer.from([0]), b.subarray(i)]); break;                  // NUL
      case 5: b = Buffer.concat([b.subarray(0, i), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x80, 0xed, 0xa0, 0x80]), b.subarray(i)]); break; // invalid UTF-8
      case 6: { const s = SNIPPETS[Math.floor(r() * SNIPPETS.length)]; b = Buffer.concat([b.subarray(0, i), Buffer.from(s.repeat(1 + Math.floor(r() * 3))), b.subarray(i)]); break; } // unbalanced tokens
      default: {                                                                            // swap two spans
        const x = b.subarray(i, j); const y = b.subarray(j, Math.min(b.length, j + (j - i)));
        b = Buffer.concat([b.subarray(0, i), y, x, b.subarray(j + y.length)]);
      }
    }
  }
  return b;
}

const MB = 1024 * 1024;

function hostile(dir: string, r: () => number): { huge: string[]; special: Record<string, string> } {
  const w = (rel: string, data: Buffer | string) => { const p = path.join(dir, rel); fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, data); return p; };
  const rand = Buffer.alloc(64 * 1024);
  for (let i = 0; i < rand.length; i++) rand[i] = Math.floor(r() * 256);
  w('h/random.c', rand);
  w('h/random-text.c', Buffer.from(rand.map((x) => 32 + (x % 95))));
  w('h/nul-early.c', Buffer.concat([Buffer.from('int a;\0\0\0 void f(void) { kmalloc(1, GFP_KERNEL); }\n'), Buffer.alloc(100)]));
  w('h/nul-late.c', Buffer.concat([Buffer.from('void f(void)\n{\n' + '\tx();\n'.repeat(3000)), Buffer.from([0]), Buffer.from('}\n')]));
  w('h/invalid-utf8.c', Buffer.concat([Buffer.from('/* \xff\xfe */ void f(void) {'), Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf8, 0x88]), Buffer.from(' kmalloc(4, GFP_KERNEL); }\n')]));
  w('h/bom-crlf.c', '\ufeffvoid f(void)\r\n{\r\n\tspin_lock(&l);\r\n\tkmalloc(4, GFP_KERNEL);\r\n\tspin_unlock(&l);\r\n}\r\n');
  w('h/empty.c', '');
  w('h/only-newlines.c', '\n'.repeat(10000));
  w('h/deep-braces.c', 'void f(void)\n{\n' + '{'.repeat(5000) + 'kmalloc(1, GFP_KERNEL);' + '}'.repeat(5000) + '\n}\n');
  w('h/deep-open.c', 'void f(void)\n{\n' + '{ spin_lock(&l); '.repeat(5000));
  w('h/deep-parens.c', 'int x = ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + ';\n');
  w('h/deep-close.c', '}'.repeat(5000) + 'void f(void) { kmalloc(1, GFP_KERNEL); }\n');
  w('h/long-ident.c', `void ${'a'.repeat(200000)}(void) { kmalloc(1, GFP_KERNEL); }\n`);
  w('h/many-functions.c', Array.from({ length: 3000 }, (_, i) => `static void g${i}(void) { spin_lock(&l); kmalloc(${i}, GFP_KERNEL); spin_unlock(&l); }\n`).join(''));
  const huge = [
    w('h/huge-line.c', 'int t[] = {' + '1,'.repeat(5 * MB) + '};'),             // 10 MB, one line
    w('h/huge-table.c', Buffer.alloc(50 * MB, 'static const int tbl[] = { 0x1234, 0x5678, 0x9abc, 0xdef0 };\n')), // 50 MB
  ];
  fs.mkdirSync(path.join(dir, 'h/dir.c'));                                       // a directory named like a source
  w('h/dir.c/inside.c', 'void inside(void) { }\n');
  fs.symlinkSync('..', path.join(dir, 'h/loop'));                               // symlink loop
  fs.symlinkSync('missing.c', path.join(dir, 'h/dangling.c'));                  // broken symlink
  const unreadable = w('h/unreadable.c', 'void u(void) { kmalloc(1, GFP_KERNEL); }\n');
  fs.chmodSync(unreadable, 0o000);
  const vanishing = w('h/vanishing.c', 'void v(void) { }\n');
  return { huge, special: { unreadable, vanishing } };
}

function expectations(files: string[]): Array<{ file: string; line: number; rule: string }> {
  const out: Array<{ file: string; line: number; rule: string }> = [];
  for (const file of files) {
    fs.readFileSync(file, 'utf8').split('\n').forEach((text, line) => {
      const m = /\/\*\s*expect:\s*([a-z-]+(?:\s*,\s*[a-z-]+)*)\s*\*\//.exec(text);
      if (m) for (const rule of m[1].split(',').map((s) => s.trim())) out.push({ file, line, rule });
    });
  }
  return out;
}

/** Failures of the machinery (worker crash, unreadable worker output, global analysis throwing). */
const internal = (ps: EngineProblem[]) => ps.filter((p) => /^(internal error: |analysis error)/.test(p.message));
/** Exceptions inside one file's summarizer: caught and turned into a per-file note (the file keeps an empty summary). */
const caught = (ps: EngineProblem[]) => ps.filter((p) => /^(internal error while|could not analyse)/.test(p.message));

test('fuzz: mutated fixtures and hostile files never break indexing, updates or the analysis', { timeout: 240_000 }, async (t) => {
  const started = Date.now();
  const r = rng(SEED);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-fuzz-'));
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-fuzz-cache-'));
  const engines: Engine[] = [];
  try {
    const sources = cFiles(fixtures);
    assert.ok(sources.length >= 10);
    const mutants: string[] = [];
    for (const src of sources) {
      const buf = fs.readFileSync(src);
      for (let k = 0; k < MUTANTS_PER_FILE; k++) {
        const p = path.join(dir, 'm', path.relative(fixtures, src).replace(/\.c$/, `.m${k}.c`));
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, mutate(buf, r));
        mutants.push(p);
      }
    }
    const { huge, special } = hostile(dir, r);

    for (const mode of ['workers', 'in-thread'] as const) {
      const engine = await createEngine();
      engines.push(engine);
      let first = true;
      const res = await indexTree(engine, [dir], {
        workers: mode === 'workers' ? 2 : undefined, inThread: mode === 'in-thread', cacheDir: mode === 'workers' ? cacheDir : undefined,
        skip: (f) => {
          if (first && mode === 'workers') { first = false; fs.rmSync(special.vanishing, { force: true }); }
          return false;
        },
      });
      assert.equal(res.cancelled, false);
      const notes = new Map(res.skipped.map((p) => [p.file, p.message]));
      for (const h of huge) {
        assert.match(notes.get(h) ?? '', /over the .* limit: skipped/, `${h} skipped with a note`);
        assert.ok(!engine.hasFile(h), 'huge files are not parsed');
      }
      if (mode === 'workers') assert.match(notes.get(special.vanishing) ?? '', /disappeared/);
      assert.ok(notes.has(path.join(dir, 'h/dangling.c')));
      assert.ok([...notes.values()].some((m) => /already visited/.test(m)), 'symlink loop noted');
      assert.ok(engine.hasFile(path.join(dir, 'h/dir.c/inside.c')));
      assert.ok(notes.has(special.unreadable) || engine.hasFile(special.unreadable), 'unreadable: noted, or (as root) read');
      // Every listed file either has a summary or a note saying why not.
      for (const f of [...mutants, path.join(dir, 'h/deep-braces.c'), path.join(dir, 'h/empty.c'), path.join(dir, 'h/many-functions.c')]) {
        assert.ok(engine.hasFile(f) || notes.has(f), `no summary and no note for ${f}`);
      }
      for (const f of mutants) if (!notes.has(f)) assert.ok(engine.summaryOf(f), f);
      assert.deepEqual(internal(res.skipped), [], 'no worker crash or internal error');
      const all = engine.findings();
      assert.ok(Array.isArray(all));
      assert.deepEqual(internal(engine.problems()), []);
      // Known: the summarizer's recursive walk overflows the stack on 5,000-deep nesting. It is caught per file
      // (no exception escapes, the file gets an empty summary with the note); report it, fail on anything else.
      const c = caught(engine.problems());
      for (const p of c) t.diagnostic(`${mode}: caught in summarizer: ${path.basename(p.file)}: ${p.message}`);
      assert.deepEqual(c.filter((p) => !/deep-/.test(p.file)), [], 'summarizer exceptions outside the deep-nesting files');
    }

    // engine.updateFile with every mutant (as if typed in an editor), then queries on each.
    const engine = engines[0];
    for (const f of mutants) {
      const text = fs.readFileSync(f).toString('utf8');
      engine.updateFile(f, text);
      for (const off of [0, text.length >> 1, text.length]) { engine.hover(f, off); engine.allocations(f, off); engine.functionAt(f, off); }
    }
    // Huge text through updateFile: a note, not a parse.
    const big = 'int t[] = {' + '1,'.repeat(5 * MB) + '};';
    const t0 = Date.now();
    engine.updateFile(path.join(dir, 'h/typed-huge.c'), big);
    assert.ok(Date.now() - t0 < 5000, 'a huge text is refused quickly');
    assert.match(engine.summaryOf(path.join(dir, 'h/typed-huge.c'))!.problems.join('\n'), /over the .* limit/);
    engine.findings();
    assert.deepEqual(internal(engine.problems()), []);
    assert.ok(Date.now() - started < 180_000, `fuzz took ${Date.now() - started} ms`);
  } finally {
    for (const e of engines) e.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('fuzz: the real fixtures still produce their findings beside hostile files', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-fuzz2-'));
  try {
    hostile(dir, rng(SEED + 1));
    const cases = ['seed-noio'].map((c) => path.join(fixtures, c)).filter((c) => fs.existsSync(c));
    assert.ok(cases.length > 0);
    for (const c of cases) {
      const engine = await createEngine();
      await indexTree(engine, [c, path.join(fixtures, 'include'), dir], { exclude: [], inThread: true });
      const got = new Set(engine.findings().map((f) => `${f.span.file}:${f.span.start.line}:${f.rule}`));
      const want = expectations(cFiles(c)).map((e) => `${e.file}:${e.line}:${e.rule}`);
      assert.ok(want.length > 0, c);
      for (const k of want) assert.ok(got.has(k), `missing ${k}`);
      engine.dispose();
    }
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
