// Kernel-scale benchmark: `npm run bench -- <tree> [more dirs] [--workers N] [--edits N] [--edit-budget S]
//   [--file path] [--cache-dir DIR] [--json out.json]`
// One run measures: tree size; tree-sitter parse-only time with the same worker count; cold full index into
// an empty cache and its ratio to parse-only; warm index from that cache into a new Engine; the global
// analysis (engine.findings()); edit->diagnostics and hover latency on one large file; peak RSS; engine
// exceptions; findings per rule; warm start from a results snapshot in a new process. Bundled to dist/bench.js by scripts/build.mjs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import {
  buildSnapshot, createEngine, indexTree, listSourceFiles, snapshotKey, snapshotPath, writeSnapshot, DEFAULT_EXCLUDES, type Engine, type EngineProblem,
} from '../server/src/engine';
import { sortFindings } from '../server/src/cli/report';
import { WorkerPool, defaultWorkerCount } from '../server/src/engine/pool';
import { nativeParserNote } from '../server/src/engine/nativeParser';
import { serverProcessEnv, tuneHeap } from '../server/src/heap';

const HEAP_MB = 12000;

/** Runs the benchmark in a child with a big heap and the environment the extension gives the language server. */
function relaunchWithBigHeap(): boolean {
  if (process.env.GFP_LENS_BENCH_CHILD) return false;
  const env = serverProcessEnv();
  if (v8.getHeapStatistics().heap_size_limit >= 6000 * 1024 * 1024 && env.MALLOC_ARENA_MAX === process.env.MALLOC_ARENA_MAX) return false;
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--expose-gc', __filename, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...env, GFP_LENS_BENCH_CHILD: '1' } });
  process.exitCode = r.status ?? 1;
  return true;
}

interface Args { roots: string[]; noParse?: boolean; onlyCold?: boolean; noBackground?: boolean; workers: number; edits: number; editBudgetS: number; file?: string; cacheDir?: string; json?: string }

function parseArgs(argv: string[]): Args {
  const a: Args = { roots: [], workers: 0, edits: 200, editBudgetS: 300 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--workers') a.workers = Number(argv[++i]);
    else if (v === '--edits') a.edits = Number(argv[++i]);
    else if (v === '--edit-budget') a.editBudgetS = Number(argv[++i]);
    else if (v === '--file') a.file = path.resolve(argv[++i]);
    else if (v === '--cache-dir') a.cacheDir = path.resolve(argv[++i]);
    else if (v === '--json') a.json = path.resolve(argv[++i]);
    else if (v === '--no-parse-only') a.noParse = true;
    else if (v === '--no-background') a.noBackground = true;
    else if (v === '--only-cold') a.onlyCold = true;
    else a.roots.push(path.resolve(v));
  }
  if (a.roots.length === 0) { console.error('usage: npm run bench -- <tree> [dirs...] [--workers N] [--edits N] [--edit-budget S] [--file F] [--cache-dir D] [--no-parse-only] [--only-cold] [--no-background] [--json out]'); process.exit(2); }
  return a;
}

const gc = (): void => { (globalThis as { gc?: () => void }).gc?.(); };
const secs = (ms: number): string => (ms / 1000).toFixed(1) + ' s';
const msf = (ms: number): string => ms.toFixed(ms < 10 ? 2 : 1) + ' ms';
function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const isException = (m: string): boolean => /^(internal error|could not analyse|analysis error)/.test(m);

async function timeIndex(engine: Engine, a: Args, cacheDir: string, label: string) {
  let lastPrint = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await indexTree(engine, a.roots, {
    workers: a.workers, cacheDir,
    onProgress: (p) => {
      if (!process.stderr.isTTY) return;
      const now = Date.now();
      if (now - lastPrint > 500 || p.done === p.total) { lastPrint = now; process.stderr.write(`\r${label}: ${p.done}/${p.total}\x1b[K`); }
    },
  });
  const ms = performance.now() - t0;
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  const u = process.cpuUsage(c0);
  return { r, ms, cpuS: (u.user + u.system) / 1e6 };
}

async function main(): Promise<void> {
  if (relaunchWithBigHeap()) return;
  tuneHeap(); // as the language server and the CLI do
  const a = parseArgs(process.argv.slice(2));
  const workers = a.workers > 0 ? a.workers : defaultWorkerCount();
  const rows: Array<[string, string]> = [];
  const out: Record<string, unknown> = { roots: a.roots, workers, node: process.version, cpus: os.cpus().length, date: new Date().toISOString() };
  const row = (k: string, v: string) => {
    rows.push([k, v]); console.error(`  ${k}: ${v}`);
    out.rows = rows;
    if (a.json) try { fs.writeFileSync(a.json, JSON.stringify(out, null, 2) + '\n'); } catch { /* best effort */ }
  };
  /** The process's peak RSS (MiB) as each phase ends: the phase where it jumps is the one that set the peak. */
  const peaks: Array<[string, number]> = [];
  const markPeak = (phase: string): void => { peaks.push([phase, process.resourceUsage().maxRSS / 1024]); out.peakRssAfterPhase = Object.fromEntries(peaks); };
  /** CPU seconds of the whole process (all threads) since `from`. */
  const cpu = (from: NodeJS.CpuUsage): number => { const u = process.cpuUsage(from); return (u.user + u.system) / 1e6; };

  const { files } = listSourceFiles(a.roots, DEFAULT_EXCLUDES);
  let bytes = 0;
  let largest = { file: '', size: 0 };
  for (const f of files) {
    try { const s = fs.statSync(f).size; bytes += s; if (f.endsWith('.c') && s > largest.size) largest = { file: f, size: s }; } catch { /* gone */ }
  }
  out.files = files.length; out.mb = bytes / 1e6;
  row('files', `${files.length} (.c/.h), ${(bytes / 1e6).toFixed(1)} MB`);
  row('workers', `${workers} (machine: ${os.cpus().length} cores, load avg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? 'unset'} as the extension starts the server)`);
  row('parser', nativeParserNote());

  // 1. Parse only (blank + tree-sitter parse + delete), same worker count. Run again after the cold index: the
  // machine's speed drifts by up to a third over minutes, and the second run shows how much it did meanwhile.
  const parseOnly = async (): Promise<{ ms: number; cpuS: number }> => {
    const c0 = process.cpuUsage();
    const pool = await WorkerPool.create({ workers });
    const t0 = performance.now();
    const window = workers * 8;
    const q: Promise<unknown>[] = [];
    for (const f of files) {
      q.push(pool.run({ file: f, mode: 'parse' }));
      if (q.length >= window) await q.shift();
    }
    await Promise.all(q);
    const ms = performance.now() - t0;
    await pool.close();
    return { ms, cpuS: cpu(c0) };
  };
  if (!a.noParse) {
    const { ms, cpuS } = await parseOnly();
    out.parseOnlyMs = ms; out.parseOnlyCpuS = cpuS;
    row('parse only', `${secs(ms)} (${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s), CPU ${cpuS.toFixed(1)} s`);
    markPeak('parse only');
  }

  // 2. Cold index into an empty cache.
  const tmpCache = a.cacheDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-bench-cache-'));
  if (a.cacheDir) for (const d of ['summaries', 'packs']) fs.rmSync(path.join(tmpCache, d), { recursive: true, force: true });
  let problems: EngineProblem[] = [];
  {
    const engine = await createEngine({});
    const { r, ms, cpuS } = await timeIndex(engine, a, tmpCache, 'cold');
    out.coldMs = ms; out.coldCpuS = cpuS; out.coldStats = r.stats; out.skipped = r.skipped.length;
    const ratio = a.noParse ? ' (no parse-only baseline)' : ` = ${(ms / (out.parseOnlyMs as number)).toFixed(2)}x parse-only`;
    const cpuRatio = a.noParse ? '' : ` = ${(cpuS / (out.parseOnlyCpuS as number)).toFixed(2)}x`;
    row('cold index', `${secs(ms)}${ratio}, CPU ${cpuS.toFixed(1)} s${cpuRatio} (${r.stats?.summarized} summarized, ${r.skipped.length} skipped, ${r.stats?.restarts} worker restarts)`);
    problems = [...r.skipped];
    engine.dispose();
    markPeak('cold index');
  }
  if (!a.noParse) {
    const again = await parseOnly();
    out.parseOnlyAgainMs = again.ms; out.parseOnlyAgainCpuS = again.cpuS;
    const mean = ((out.parseOnlyMs as number) + again.ms) / 2;
    row('parse only, again', `${secs(again.ms)}, CPU ${again.cpuS.toFixed(1)} s: cold index = ${((out.coldMs as number) / again.ms).toFixed(2)}x this run, ${((out.coldMs as number) / mean).toFixed(2)}x the mean of both`);
  }
  if (a.onlyCold) { if (!a.cacheDir) fs.rmSync(tmpCache, { recursive: true, force: true }); return; }
  gc();
  let cacheBytes = 0; let cacheFiles = 0;
  const du = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) du(p); else { cacheFiles++; cacheBytes += fs.statSync(p).size; } } };
  try { du(tmpCache); } catch { /* empty */ }
  out.cacheMB = cacheBytes / 1e6;
  row('cache size', `${cacheFiles} entries, ${(cacheBytes / 1e6).toFixed(1)} MB`);

  // 3. Warm index from the cache into a new Engine.
  const engine = await createEngine({});
  let warm: Awaited<ReturnType<typeof timeIndex>>['r'];
  {
    const { r, ms, cpuS } = await timeIndex(engine, a, tmpCache, 'warm');
    warm = r;
    out.warmMs = ms; out.warmCpuS = cpuS; out.warmStats = r.stats;
    row('warm index', `${secs(ms)}, CPU ${cpuS.toFixed(1)} s (${r.stats?.fromCache} from cache, ${r.stats?.summarized} summarized)`);
    markPeak('warm index');
  }

  // 4. Global analysis.
  let findingsAll;
  {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    findingsAll = engine.findings();
    const ms = performance.now() - t0;
    out.findingsMs = ms; out.findingsCpuS = cpu(c0); out.findings = findingsAll.length;
    row('engine.findings() (global analysis)', `${secs(ms)}, CPU ${(out.findingsCpuS as number).toFixed(1)} s, ${findingsAll.length} findings`);
    markPeak('analysis');
  }
  const perRule: Record<string, number> = {};
  for (const f of findingsAll) perRule[f.rule] = (perRule[f.rule] ?? 0) + 1;
  out.perRule = perRule;

  // 4b. Warm start from the results snapshot, in a new process (what `gfp-lens check` and the server do on an
  // unchanged tree): once with the recorded mtimes, once with every mtime changed (a fresh checkout: all files hashed).
  {
    const key = snapshotKey(a.roots, DEFAULT_EXCLUDES, {});
    const snap = buildSnapshot(key, warm.listed, engine, warm.skippedStamps, sortFindings(findingsAll), warm.skipped, warm.files);
    const file = snapshotPath(tmpCache, key);
    if (snap && writeSnapshot(file, snap)) {
      const cli = path.join(__dirname, 'cli.js');
      const start = (label: string) => {
        const t0 = performance.now();
        const cmd = [process.execPath, cli, 'check', ...a.roots, '--format', 'json', '--no-progress', '--cache-dir', tmpCache];
        const timer = fs.existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '%M'] : []; // GNU time prints the child's peak RSS (KiB)
        const r = spawnSync(timer[0] ?? cmd[0], [...timer.slice(1), ...(timer.length ? cmd : cmd.slice(1))], { encoding: 'utf8', maxBuffer: 1 << 30 });
        const ms = performance.now() - t0;
        const used = /findings of that run/.test(r.stderr);
        const n = (() => { try { return (JSON.parse(r.stdout) as unknown[]).length; } catch { return -1; } })();
        const rssMB = Number(/(\d+)\s*$/.exec(r.stderr)?.[1] ?? NaN) / 1024;
        row(label, `${secs(ms)}, peak RSS ${rssMB.toFixed(0)} MiB, ${n} findings${used ? '' : ' (snapshot NOT used)'}`);
        return { ms, rssMB, used, n };
      };
      const same = start('warm start, results snapshot (new process)');
      out.snapshotStartMs = same.ms; out.snapshotStartRssMB = same.rssMB; out.snapshotUsed = same.used;
      for (const st of Object.values(snap.files)) st.mtimeMs = -2;
      writeSnapshot(file, snap);
      const fresh = start('  ... every mtime changed (all files hashed)');
      out.snapshotRehashMs = fresh.ms; out.snapshotRehashUsed = fresh.used;
    } else row('warm start, results snapshot', 'not written (a file had no stamp)');
  }
  findingsAll = undefined;
  if (!a.cacheDir) fs.rmSync(tmpCache, { recursive: true, force: true });
  markPeak('warm start');

  // 5. Edit -> diagnostics on one large file.
  const target = a.file ?? files.find((f) => f.endsWith('/drivers/md/dm-crypt.c')) ?? largest.file;
  if (target) {
    const base = fs.readFileSync(target, 'utf8');
    engine.updateFile(target, base);
    engine.findings(target);
    const fns = (engine.summaryOf(target)?.functions ?? []).filter((f) => f.bodyEnd - f.bodyStart > 200);
    const fn = fns.find((f) => f.allocs.length > 0) ?? fns[0];
    const lat: number[] = [];
    if (fn) {
      const at = fn.bodyStart + 1;
      const budget = performance.now() + a.editBudgetS * 1000;
      for (let i = 0; i < a.edits && performance.now() < budget; i++) {
        const text = i % 2 === 0 ? base.slice(0, at) + `\n\t(void)0; /* edit ${i} */` + base.slice(at) : base;
        const t0 = performance.now();
        engine.updateFile(target, text);
        engine.findings(target);
        lat.push(performance.now() - t0);
      }
      engine.updateFile(target, base);
    }
    // 5b. The cross-file refresh that follows when typing pauses (settle), for one edit that adds a line and one that does not.
    markPeak('edits');
    out.peakRssBeforeSettleMB = process.resourceUsage().maxRSS / 1024;
    row('peak RSS so far', `${(out.peakRssBeforeSettleMB as number).toFixed(0)} MiB (indexing, analysis, edits); running peak after ${peaks.map(([p, mb]) => `${p} ${mb.toFixed(0)}`).join(', ')}`);
    if (fn) {
      const at = fn.bodyStart + 1;
      const cases: Array<[string, string]> = [['edit adds a line', base.slice(0, at) + '\n\t(void)0;' + base.slice(at)], ['edit within a line', base.slice(0, at) + ' (void)0;' + base.slice(at)]];
      for (const [label, text] of cases) {
        engine.updateFile(target, base); engine.findings(target); if (engine.needsSettle) engine.settle();
        engine.updateFile(target, text); engine.findings(target);
        const t0 = performance.now();
        engine.settle();
        const ms = performance.now() - t0;
        const how = engine.lastSettle === 'refresh' ? (engine.lastSettleFunctions ? `refresh of ${engine.lastSettleFunctions} functions` : 'nothing to refresh: no other file depends on what changed') : 'full analysis';
        (out.settle as unknown[] | undefined)?.push({ label, ms, how }) ?? (out.settle = [{ label, ms, how }]);
        row(`settle after one ${label}`, `${secs(ms)} (${how})`);
      }
      engine.updateFile(target, base); engine.findings(target); if (engine.needsSettle) engine.settle();
    }
    out.editFile = target; out.editFn = fn?.name; out.editCount = lat.length;
    out.editP50 = pct(lat, 50); out.editP95 = pct(lat, 95);
    row('edit -> diagnostics', `p50 ${msf(out.editP50 as number)}, p95 ${msf(out.editP95 as number)} over ${lat.length} edits in ${fn?.name ?? '?'}() of ${path.relative(process.cwd(), target)}`);

    // 6. Hover at allocation sites of that file (analysis already up to date).
    engine.findings(target);
    const sites = engine.allocations(target).map((s) => s.span.startOffset + 1);
    const hov: number[] = [];
    for (let i = 0; sites.length > 0 && i < 200; i++) {
      const t0 = performance.now();
      engine.hover(target, sites[i % sites.length]);
      hov.push(performance.now() - t0);
    }
    out.hoverSites = sites.length; out.hoverP50 = pct(hov, 50); out.hoverP95 = pct(hov, 95);
    row('hover', `p50 ${msf(out.hoverP50 as number)}, p95 ${msf(out.hoverP95 as number)} over ${hov.length} hovers at ${sites.length} allocation sites`);
  }

  const rss = process.resourceUsage().maxRSS / 1024;
  out.peakRssMB = rss;
  row('peak RSS', `${rss.toFixed(0)} MiB (whole process, worker threads included)`);

  // 7. Background mode, as the language server runs a large tree (after the peak RSS figure: a second whole-tree
  // analysis while the first one's garbage is still around would distort it). How long the event loop stays blocked
  // at most while the whole tree is analysed, and while a settle refresh runs.
  if (!a.noBackground) {
    let lag = 0;
    let last = performance.now();
    const probe = setInterval(() => { const now = performance.now(); lag = Math.max(lag, now - last - 5); last = now; }, 5);
    const done = () => new Promise<void>((resolve) => { engine.background = { minFunctions: 0, onDone: resolve }; });
    try {
      let finished = done();
      engine.setOptions({}); // drops the analysis: the next query starts the background one
      const t0 = performance.now();
      engine.findings(target);
      const partialMs = performance.now() - t0;
      lag = 0; last = performance.now();
      await finished;
      const full = engine.lastBackground;
      out.background = { full, lagMs: lag, partialMs, findings: engine.findings().length };
      row('background analysis (server)', full ? `${secs(full.ms)} in ${full.slices} slices, longest ${msf(full.longestSliceMs)}; event loop blocked at most ${msf(lag)}; open file answered in ${msf(partialMs)} meanwhile; ${engine.findings().length} findings` : 'not run');
      if (target) {
        const base = fs.readFileSync(target, 'utf8');
        const fn = (engine.summaryOf(target)?.functions ?? []).find((f) => f.bodyEnd - f.bodyStart > 200 && f.allocs.length > 0);
        if (fn) {
          engine.updateFile(target, base.slice(0, fn.bodyStart + 1) + '\n\t(void)0;' + base.slice(fn.bodyStart + 1));
          engine.findings(target);
          finished = done();
          lag = 0; last = performance.now();
          void engine.settleInBackground();
          await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
          const refresh = engine.lastBackground;
          (out.background as Record<string, unknown>).refresh = { ...refresh, lagMs: lag };
          row('background settle (edit adds a line)', refresh?.kind === 'refresh' ? `${secs(refresh.ms)} for ${refresh.functions} functions in ${refresh.slices} slices, longest ${msf(refresh.longestSliceMs)}; event loop blocked at most ${msf(lag)}` : 'no refresh ran');
        }
      }
    } finally {
      clearInterval(probe);
      engine.background = undefined;
    }
  }
  const exceptions = [...problems, ...engine.problems()].filter((p) => isException(p.message));
  out.exceptions = exceptions.length;
  out.exceptionSamples = exceptions.slice(0, 10);
  row('engine exceptions', `${exceptions.length}${exceptions.length ? ' e.g. ' + exceptions.slice(0, 3).map((p) => `${path.basename(p.file)}: ${p.message.split('\n')[0].slice(0, 100)}`).join('; ') : ''}`);
  row('findings per rule', Object.entries(perRule).sort().map(([k, v]) => `${k} ${v}`).join(', ') || 'none');

  const w = Math.max(...rows.map(([k]) => k.length));
  console.log('\nGFP Lens benchmark');
  console.log(`${'-'.repeat(w)}  ${'-'.repeat(40)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  out.done = true;
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(out, null, 2) + '\n');
  engine.dispose();
}

main().catch((e) => { console.error(e); process.exit(1); });
