// The bundled CLI (dist/cli.js): check in text/json/sarif, exit codes, usage errors, and `lsp --stdio`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { initializeResult, startSession } from '../lsp/harness';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

function run(args: string[], cwd = ROOT, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', input, timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('check samples: gcc-style text, witness path, summary, exit 1', () => {
  const r = run(['check', 'samples']);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stdout, /^samples\/drivers\/misc\/gfpdemo\.c:26:\d+: error: .*\[atomic-alloc\]$/m);
  assert.match(r.stdout, /^ {4}samples\/drivers\/misc\/gfpdemo\.c:25:\d+: .*\(origin\)$/m, 'witness path indented under the finding');
  assert.doesNotMatch(r.stdout, /gfpdemo\.c:42:/, 'no finding for the allocation before the lock');
  assert.match(r.stdout, /^gfp-lens: \d+ errors?, \d+ warnings? in \d+ files?$/m);
  assert.equal(r.stdout.includes('gfpdemo.c:26:'), true);
  assert.equal(r.stdout.includes('[atomic-alloc]'), true);
});

test('check a single file and paths relative to the working directory', () => {
  const r = run(['check', 'gfpdemo.c', '--no-progress'], path.join(ROOT, 'samples/drivers/misc'));
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^gfpdemo\.c:26:\d+: error: /m);
});

test('check --format json parses and has relative paths', () => {
  const r = run(['check', '--format', 'json', 'samples']);
  assert.equal(r.code, 1, r.stderr);
  const findings = JSON.parse(r.stdout);
  assert.ok(Array.isArray(findings) && findings.length > 0);
  const f = findings.find((x: any) => x.rule === 'atomic-alloc' && x.line === 26);
  assert.ok(f, r.stdout);
  assert.equal(f.file, 'samples/drivers/misc/gfpdemo.c');
  assert.equal(f.severity, 'error');
  assert.ok(f.path.length >= 2 && f.path.every((st: any) => !path.isAbsolute(st.file)));
});

test('check --format=sarif is SARIF 2.1.0 with rules, results and code flows', () => {
  const r = run(['check', '--format=sarif', 'samples']);
  assert.equal(r.code, 1, r.stderr);
  const log = JSON.parse(r.stdout);
  assert.equal(log.version, '2.1.0');
  const run0 = log.runs[0];
  assert.equal(run0.tool.driver.name, 'gfp-lens');
  assert.ok(run0.tool.driver.rules.some((x: any) => x.id === 'atomic-alloc'));
  const res = run0.results.find((x: any) => x.ruleId === 'atomic-alloc' && x.locations[0].physicalLocation.region.startLine === 26);
  assert.ok(res);
  assert.equal(res.level, 'error');
  assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, 'samples/drivers/misc/gfpdemo.c');
  assert.equal(run0.tool.driver.rules[res.ruleIndex].id, 'atomic-alloc');
  assert.ok(res.codeFlows[0].threadFlows[0].locations.length >= 2);
});

test('a clean tree exits 0', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-cli-'));
  try {
    fs.writeFileSync(path.join(dir, 'ok.c'), 'static int f(void)\n{\n\treturn 0;\n}\n');
    const r = run(['check', dir]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /0 errors, 0 warnings/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a missing path exits 2 with a clear message', () => {
  const r = run(['check', 'samples', 'no/such/dir']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^gfp-lens: cannot read no\/such\/dir: no such file or directory$/m);
  assert.equal(r.stdout, '');
});

test('usage errors exit 2', () => {
  for (const args of [['check'], ['check', '--bogus', 'samples'], ['check', '--format', 'xml', 'samples'], ['frobnicate'], [], ['check', '--format']]) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^gfp-lens: /, args.join(' '));
  }
  assert.match(run(['check']).stderr, /no paths/);
});

test('--help and --version', () => {
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /gfp-lens check/);
  const v = run(['--version']);
  assert.equal(v.code, 0);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(v.stdout.trim(), `gfp-lens ${pkg.version}`);
});

test('lsp --stdio runs the language server', async () => {
  const s = await startSession({ command: [CLI, 'lsp', '--stdio'] });
  try {
    assert.equal(initializeResult(s).serverInfo?.name, 'gfp-lens');
    const uri = s.uri('drivers/misc/gfpdemo.c');
    s.openFile('drivers/misc/gfpdemo.c');
    await s.waitForDiagnostics(uri, ds => ds.some(d => d.code === 'atomic-alloc' && d.range.start.line === 25));
  } finally {
    await s.shutdown();
  }
});

test('--exclude skips directories under the given roots', () => {
  const r = run(['check', 'samples', '--exclude', 'drivers']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /gfpdemo\.c/);
});

test('an unchanged tree is answered from the last run; a change is analysed again', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-cli-snap-'));
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-cli-cache-'));
  try {
    const src = 'static DEFINE_SPINLOCK(l);\nstatic void *g(void)\n{\n\tvoid *p;\n\tspin_lock(&l);\n\tp = kmalloc(8, GFP_KERNEL);\n\tspin_unlock(&l);\n\treturn p;\n}\n';
    fs.writeFileSync(path.join(dir, 'a.c'), src);
    const first = run(['check', '--format', 'json', '--cache-dir', cache, dir]);
    assert.equal(first.code, 1, first.stderr);
    assert.doesNotMatch(first.stderr, /findings of that run/);
    const second = run(['check', '--format', 'json', '--cache-dir', cache, dir]);
    assert.match(second.stderr, /no file changed since .*: findings of that run/);
    assert.equal(second.stdout, first.stdout);
    assert.equal(second.code, 1);
    fs.writeFileSync(path.join(dir, 'a.c'), src.replace('GFP_KERNEL', 'GFP_ATOMIC'));
    const third = run(['check', '--format', 'json', '--cache-dir', cache, dir]);
    assert.doesNotMatch(third.stderr, /findings of that run/);
    assert.equal(third.code, 0, third.stdout);
    assert.deepEqual(JSON.parse(third.stdout), []);
    const fourth = run(['check', '--format', 'json', '--no-cache', dir]);
    assert.doesNotMatch(fourth.stderr, /findings of that run/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(cache, { recursive: true, force: true }); }
});

test('the cache upkeep finishes before the CLI exits: the old cache layout goes, also on an unchanged tree; the live set is recorded', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-cli-upkeep-'));
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-cli-upkeep-cache-'));
  const plantOldLayout = () => {
    for (let i = 0; i < 40; i++) {
      const sub = path.join(cache, 'summaries', i.toString(16).padStart(2, '0'));
      fs.mkdirSync(sub, { recursive: true });
      for (let j = 0; j < 50; j++) fs.writeFileSync(path.join(sub, `${j}.json.gz`), 'x'.repeat(100));
    }
  };
  try {
    fs.writeFileSync(path.join(dir, 'a.c'), 'static void *g(void)\n{\n\treturn kmalloc(8, GFP_KERNEL);\n}\n');
    plantOldLayout();
    const first = run(['check', '--cache-dir', cache, dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /removing the summary cache of an older gfp-lens/);
    assert.equal(fs.existsSync(path.join(cache, 'summaries')), false, 'removed before the process exited');
    assert.equal(fs.readdirSync(path.join(cache, 'packs')).filter((n) => /^live-[0-9a-f]{16}\.keys$/.test(n)).length, 1);
    plantOldLayout();
    const second = run(['check', '--cache-dir', cache, dir]);
    assert.match(second.stderr, /findings of that run/);
    assert.equal(fs.existsSync(path.join(cache, 'summaries')), false, 'removed on the unchanged-tree path too');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(cache, { recursive: true, force: true }); }
});
