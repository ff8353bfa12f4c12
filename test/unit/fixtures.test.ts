// Data-driven fixture suite: every directory under test/fixtures (except include/) is a small kernel-style
// tree whose C files carry their expected findings in comments:
//   /* expect: rule[, rule] */        a finding of that rule is reported on this line
//   /* expect: rule(severity) */      ...with that severity (error, warning, hint)
//   /* expect-path: a > b > c */      ...and its witness path passes through these functions in this order
// The runner indexes the tree (plus test/fixtures/include) and fails on missing AND on unexpected findings.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEngine, indexTree, type Finding } from '../../server/src/engine';
import { sourceFiles as cFiles } from '../support/files';

const root = path.resolve(__dirname, '../../../test/fixtures');
const include = path.join(root, 'include');

interface Expectation { file: string; line: number; rule: string; severity?: string; path?: string[] }

function expectations(files: string[]): Expectation[] {
  const out: Expectation[] = [];
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, line) => {
      const m = /\/\*\s*expect:\s*([a-z-]+(?:\([a-z]+\))?(?:\s*,\s*[a-z-]+(?:\([a-z]+\))?)*)\s*\*\//.exec(text);
      if (!m) return;
      const p = /\/\*\s*expect-path:\s*([^*]+)\*\//.exec(text);
      for (const item of m[1].split(',').map((s) => s.trim())) {
        const [, rule, severity] = /^([a-z-]+)(?:\(([a-z]+)\))?$/.exec(item)!;
        out.push({ file, line, rule, severity, path: p ? p[1].split('>').map((s) => s.trim()) : undefined });
      }
    });
  }
  return out;
}


/** The function names a witness path passes through, in order. */
function pathFunctions(f: Finding): string[] {
  const names: string[] = [];
  for (const s of f.path) for (const m of s.text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\(\)/g)) if (names[names.length - 1] !== m[1]) names.push(m[1]);
  return names;
}

function isSubsequence(needle: string[], hay: string[]): boolean {
  let i = 0;
  for (const h of hay) if (h === needle[i]) i++;
  return i === needle.length;
}

const cases = fs.readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'include').map((d) => d.name).sort();

test('there are fixture cases', () => { assert.ok(cases.length >= 10, `only ${cases.length} fixture cases`); });

for (const name of cases) {
  test(`fixture ${name}`, async () => {
    const dir = path.join(root, name);
    const engine = await createEngine();
    await indexTree(engine, [dir, include], { exclude: [] });
    const findings = engine.findings();
    const expected = expectations(cFiles(dir));
    const key = (file: string, line: number, rule: string) => `${path.relative(root, file)}:${line + 1}: ${rule}`;
    const got = new Map(findings.map((f) => [key(f.span.file, f.span.start.line, f.rule), f]));
    const want = new Map(expected.map((e) => [key(e.file, e.line, e.rule), e]));
    const missing = [...want.keys()].filter((k) => !got.has(k));
    const unexpected = [...got.keys()].filter((k) => !want.has(k));
    const detail = unexpected.map((k) => `${k}\n    ${got.get(k)!.message}\n    path: ${pathFunctions(got.get(k)!).join(' > ')}`);
    assert.deepEqual({ missing, unexpected: detail }, { missing: [], unexpected: [] });
    for (const [k, e] of want) {
      if (e.severity) assert.equal(got.get(k)!.severity, e.severity, `${k}: severity`);
      if (!e.path) continue;
      const f = got.get(k)!;
      assert.ok(isSubsequence(e.path, pathFunctions(f)), `${k}: path ${pathFunctions(f).join(' > ')} does not pass through ${e.path.join(' > ')}`);
      assert.ok(f.path.length >= 2 || e.path.length <= 1, `${k}: witness path too short`);
      assert.equal(f.path[f.path.length - 1].kind, 'alloc', `${k}: the path must end at the allocation`);
    }
    engine.dispose();
  });
}
