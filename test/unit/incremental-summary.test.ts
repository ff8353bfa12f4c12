// Function-level incremental summaries: for seeded random edits inside function bodies of every fixture and sample
// file, reuseSummary() either declines or returns exactly what a whole-file summarize() of the new text returns.
// It must also take the fast path for most of those edits (otherwise the edit latency gain silently disappears).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createParser } from '../../server/src/engine/parser';
import { summarize } from '../../server/src/engine/summarize';
import { reuseSummary, diffSpan } from '../../server/src/engine/incremental';
import { parseSummary } from '../../server/src/engine/cache';
import { CallColumns, compactSummary, PlainCall, type FileSummary } from '../../server/src/engine/summary';
import { sourceFiles as cFiles, mulberry32 as rng } from '../support/files';

const repo = path.resolve(__dirname, '../../..');



const SNIPPETS = [
  '\n\tspin_lock(&edit_lock);', '\n\tspin_unlock(&edit_lock);', '\n\tp = kmalloc(8, GFP_KERNEL);', '(void)0;',
  '\n\tmsleep(1);\n', '\n\tif (x)\n\t\treturn -EINVAL;', '\n\tnoio = memalloc_noio_save();', '\n\n\n', ' ', '\n\tlocal_irq_disable();',
  '\n\t(void)0; /* edit */', '\n\tx = 1; // note',
];

test('diffSpan finds the changed span', () => {
  assert.deepEqual(diffSpan('abcdef', 'abXYef'), { start: 2, oldEnd: 4, newEnd: 4 });
  assert.deepEqual(diffSpan('aaaa', 'aaaaa'), { start: 4, oldEnd: 4, newEnd: 5 });
  assert.deepEqual(diffSpan('abc', 'abc'), { start: 3, oldEnd: 3, newEnd: 3 });
});

/** The summary as the index hands it over: stored form, parsed back (calls in columns). */
function loaded(s: FileSummary): FileSummary {
  const back = parseSummary(JSON.stringify(compactSummary(s)), s.file);
  assert.ok(back, s.file);
  return back;
}

/** JSON of a summary; for a loaded one up to what the stored form leaves out (parameter names, all-null argument lists). */
function comparable(s: FileSummary, form: 'fresh' | 'loaded'): unknown {
  if (form === 'fresh') return JSON.parse(JSON.stringify(s));
  return JSON.parse(JSON.stringify(s, (k, v) => (k === 'params' ? v.map((p: { isGfp: boolean }) => p.isGfp) : k === 'args' && Array.isArray(v) && v.every((a) => a === null) ? [] : v)));
}

for (const form of ['fresh', 'loaded'] as const)
test(`a body edit re-walks one function and equals a whole-file summary (${form} summary before the edit)`, async () => {
  const parser = await createParser();
  const files = [...cFiles(path.join(repo, 'test/fixtures')), ...cFiles(path.join(repo, 'samples'))].filter((f) => f.endsWith('.c'));
  assert.ok(files.length >= 10);
  const rand = rng(42);
  let trials = 0; let reused = 0; let plainCalls = 0;
  try {
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const old = form === 'fresh' ? summarize(parser, file, text) : loaded(summarize(parser, file, text));
      if (form === 'loaded') plainCalls += old.functions.reduce((k, f) => k + (f.calls instanceof CallColumns ? [...f.calls].filter((c) => c instanceof PlainCall).length : 0), 0);
      const bodies = old.functions.filter((f) => f.bodyEnd - f.bodyStart > 2);
      for (let k = 0; k < 12 && bodies.length; k++) {
        const f = bodies[Math.floor(rand() * bodies.length)];
        // an edit point just after a `;` or a newline inside the body, or deleting one whole line of it
        const inside = text.slice(f.bodyStart + 1, f.bodyEnd - 1);
        const points = [...inside.matchAll(/[;\n]/g)].map((m) => f.bodyStart + 1 + m.index! + 1);
        if (!points.length) continue;
        const at = points[Math.floor(rand() * points.length)];
        let next: string;
        if (rand() < 0.25) {
          const eol = text.indexOf('\n', at);
          next = eol > at && eol < f.bodyEnd - 1 ? text.slice(0, at) + text.slice(eol + 1) : text;
        } else next = text.slice(0, at) + SNIPPETS[Math.floor(rand() * SNIPPETS.length)] + text.slice(at);
        if (next === text) continue;
        trials++;
        const got = reuseSummary(parser, old, text, next);
        if (!got) continue;
        reused++;
        const want = summarize(parser, file, next);
        assert.deepEqual(comparable(got, form), comparable(want, form), `${path.relative(repo, file)}: edit at offset ${at} in ${f.name}()`);
        // the analysis reads these directly (not through JSON): every shifted call still has its arguments and state
        for (const g of got.functions) for (const c of g.calls) assert.ok(Array.isArray(c.args) && Array.isArray(c.state.held), `${g.name}: ${c.callee}`);
      }
    }
  } finally {
    parser.delete();
  }
  console.log(`incremental summaries: ${reused} of ${trials} edits reused`);
  assert.ok(trials >= 100, `only ${trials} trials`);
  assert.ok(reused >= trials * 0.5, `the fast path was taken for only ${reused} of ${trials} edits`);
  if (form === 'loaded') assert.ok(plainCalls >= 50, `only ${plainCalls} compact call sites were exercised`);
});

test('edits that touch file-level facts are declined', async () => {
  const parser = await createParser();
  try {
    const text = 'static int a(void)\n{\n\treturn 0;\n}\n\nstatic int b(void)\n{\n\treturn 1;\n}\n';
    const old = summarize(parser, 'x.c', text);
    const inBody = text.indexOf('return 0;');
    for (const ins of ['/* gfp-lens-ignore */', '#define X 1\n', '"str";', '/*', 'x; */', 'struct s { int x; };']) {
      assert.equal(reuseSummary(parser, old, text, text.slice(0, inBody) + ins + text.slice(inBody)), undefined, ins);
    }
    // outside any body: declined; inside: taken
    assert.equal(reuseSummary(parser, old, text, 'int g;\n' + text), undefined);
    const ok = reuseSummary(parser, old, text, text.slice(0, inBody) + 'msleep(1);\n\t' + text.slice(inBody));
    assert.ok(ok);
    assert.equal(ok.functions[0].sleeps.length, 1);
    assert.equal(ok.functions[1].line, old.functions[1].line + 1);
  } finally {
    parser.delete();
  }
});
