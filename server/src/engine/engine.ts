// The engine facade: holds per-file summaries (and the text of files given to it directly, for fixes),
// runs the global analysis lazily when something changed, and answers queries with plain data.
import { performance } from 'node:perf_hooks';
import { Analysis, type CheckSite, type RawFinding, type Work } from './analysis';
import { fixesFor, wrapRegion } from './fixes';
import { applyScope, bitsName } from './gfp';
import { renderAllocationHover, renderFunctionHover, renderFlagHover, renderScopeHover } from './hover';
import { createParser, type CParser } from './parser';
import { compactSummary, expandSummary, packCalls, type FileSummary } from './summary';
import { summarize } from './summarize';
import { reuseSummary } from './incremental';
import { textStamp, type FileStamp } from './snapshot';
import {
  RULES, type AllocationInfo, type Confidence, type Fix, type ContextInfo, type EngineOptions, type EngineProblem, type Finding,
  type FunctionInfo, type HoverResult, type Position, type Span, type Tri,
} from './types';
import { GFP_NAMES } from './gfp';

const CONF: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;
/** A background analysis replays at most this many files changed while it ran (each is a replaceFile()); more: it runs again. */
const MAX_REPLAYED = 64;

interface FileEntry {
  summary: FileSummary; text?: string; lines?: number[];
  /** built by re-walking one function */ reused?: boolean;
  /** What the file on disk looked like when it was summarized (indexed files only). */
  stamp?: FileStamp;
}

/**
 * Background mode (the language server sets it): a whole-tree analysis runs in short slices between requests instead
 * of blocking them, and so does the refresh after edits (settleInBackground). Until a whole-tree analysis is done,
 * queries are answered from an analysis of the open files alone (`partial` is true then).
 */
export interface BackgroundMode {
  /** Trees with fewer functions than this are analysed at once, as without background mode. */
  minFunctions: number;
  /** Longest stretch of analysis between two turns of the event loop (ms). */
  sliceMs?: number;
  /** Called when a background analysis or refresh has brought the results up to date. */
  onDone?: () => void;
}

/** How the last background analysis or refresh went (logs, benchmarks). */
export interface BackgroundStats {
  kind: 'full' | 'refresh'; ms: number; slices: number; longestSliceMs: number; functions: number;
  /** Full runs: how many times it started (again after many files changed, or an interface changed, meanwhile). */
  runs?: number;
}

export class Engine {
  private entries = new Map<string, FileEntry>();
  private analysis: Analysis | null = null;
  private byFile: Map<string, RawFinding[]> | null = null;
  private extraProblems: EngineProblem[] = [];
  background: BackgroundMode | undefined;
  /** The whole-tree analysis under way in background mode (cancelled by setting the flag). */
  private build: { cancelled: boolean } | undefined;
  /** Stand-in while it runs: the open files alone, and its findings by file. */
  private local: { analysis: Analysis; byFile: Map<string, RawFinding[]> } | null = null;
  private refreshing = false;
  private functionCount = -1;
  lastBackground: BackgroundStats | undefined;

  constructor(private parser: CParser, public options: EngineOptions = {}) {}

  /** Replace settings; the next query re-analyses. */
  setOptions(options: EngineOptions): void {
    this.options = options;
    if (this.build) { this.build.cancelled = true; this.build = undefined; }
    this.invalidate();
  }

  /**
   * True while results cover only the open files because the whole-tree analysis is still running, or is held back
   * while the workspace is indexed (background mode, large tree).
   */
  get partial(): boolean {
    return !this.analysis && (!!this.build || (this.held && !!this.background && this.countFunctions() >= this.background.minFunctions));
  }

  /**
   * While the workspace is being indexed no whole-tree analysis is started (its summaries are about to change
   * wholesale; one under way is dropped): large trees are answered from the open files alone until resumed.
   */
  holdBackground(hold: boolean): void {
    this.held = hold;
    if (hold && this.build) { this.build.cancelled = true; this.build = undefined; }
  }
  private held = false;
  /** True while a background analysis or refresh is running. */
  get busy(): boolean { return !!this.build || this.refreshing; }

  /** (Re)summarize one file from its text and keep the text (for fixes and hovers). Never throws on bad input. */
  updateFile(file: string, text: string): void {
    const prev = this.entries.get(file);
    const reused = prev?.text !== undefined ? this.reuseSafely(prev.summary, prev.text, text) : undefined;
    const summary = packCalls(reused ?? this.summarizeSafely(file, text));
    this.entries.set(file, { summary, text, reused: !!reused });
    this.local = null;
    this.functionCount = -1;
    if (reused) this.reusedFiles.add(file); else this.reusedFiles.delete(file);
    // Fast path: a body edit re-analyses only this file's functions; the rest of the tree is refreshed by settle().
    this.lastUpdate = this.analysis ? 'full' : undefined;
    if (this.analysis && this.byFile && this.analysis.replaceFile(summary)) {
      this.lastUpdate = 'incremental';
      this.byFile.set(file, this.analysis.findings.filter((f) => f.site.node.file === file));
      // other files' results change only if the edit changed what this file passes on (settle() refreshes them)
      this.stale = this.analysis.hasPending;
      return;
    }
    this.invalidate();
  }

  /** How the last updateFile() was taken into an existing analysis: in place, or by dropping it (tests, logs). */
  lastUpdate: 'incremental' | 'full' | undefined;
  private stale = false;
  /** True when the last global analysis covers every file as it is now (findings() will not re-analyse). */
  get isCurrent(): boolean { return this.analysis !== null && !this.needsSettle && !this.refreshing; }
  /** True when edits were applied incrementally and a full re-analysis would refresh other files. */
  get needsSettle(): boolean { return this.stale || this.reusedFiles.size > 0; }
  private reusedFiles = new Set<string>();
  /** Brings other files' results up to date after incremental updates: a refresh of what the edits reach, or a full analysis. */
  settle(): void {
    const full = this.checkReused();
    if (!this.stale && !full) { this.nothingToSettle(); return; }
    // Re-propagate what the edits can reach; a full analysis only when that cannot be exact.
    if (!full && this.analysis?.refresh()) {
      this.stale = false;
      this.refreshed(this.analysis);
      return;
    }
    this.settleFull();
  }
  /**
   * settle() for background mode: the refresh runs in slices between requests, and edits made meanwhile are applied
   * at once (they are refreshed by the next settle); a full analysis, when needed, is started in the background.
   */
  async settleInBackground(): Promise<void> {
    if (!this.background) { this.settle(); return; }
    if (this.refreshing || this.build) return;
    const full = this.checkReused();
    if (!this.stale && !full) { this.nothingToSettle(); return; }
    const a = this.analysis;
    if (full || !a) { this.settleFull(); return; }
    this.stale = false;
    this.refreshing = true;
    let ok: boolean | undefined;
    try {
      ok = (await this.runSliced(a.refreshSteps(), 'refresh', () => this.analysis === a, () => a.lastRefreshSize))?.value;
    } catch (e) {
      this.extraProblems.push({ file: '', message: `analysis error: ${(e as Error).stack ?? e}` });
      ok = false;
    } finally {
      this.refreshing = false;
    }
    if (this.analysis !== a) return; // a full analysis replaced it meanwhile
    if (ok === false) { this.settleFull(); return; }
    if (ok === undefined) return;
    if (a.hasPending) this.stale = true; // edits made during the refresh
    this.refreshed(a);
    this.background?.onDone?.();
  }

  /** A refresh of `a` is done: its findings by file and how it went. */
  private refreshed(a: Analysis): void {
    this.lastSettle = 'refresh';
    this.lastSettleFunctions = a.lastRefreshSize;
    this.groupFindings(a);
  }

  /** The edits since the last settle changed nothing other files depend on. */
  private nothingToSettle(): void { this.lastSettle = 'refresh'; this.lastSettleFunctions = 0; }

  /** A full analysis instead of a refresh (in the background for a large tree). */
  private settleFull(): void {
    this.lastSettle = 'full';
    this.invalidate();
    this.analyze();
    if (this.analysis) this.background?.onDone?.(); // done at once (small tree)
  }

  /**
   * Runs `work` in slices of at most sliceMs, turning the event loop in between, while `alive()`. Returns its result,
   * or undefined when it was abandoned.
   */
  private async runSliced<T>(work: Work<T>, kind: BackgroundStats['kind'], alive: () => boolean, functions: () => number): Promise<{ value: T } | undefined> {
    const sliceMs = this.background?.sliceMs ?? 12;
    const started = performance.now();
    const stats: BackgroundStats = { kind, ms: 0, slices: 0, longestSliceMs: 0, functions: 0 };
    try {
      for (;;) {
        const t0 = performance.now();
        let r = work.next();
        while (!r.done && performance.now() - t0 < sliceMs) r = work.next();
        const took = performance.now() - t0;
        stats.slices++;
        if (took > stats.longestSliceMs) stats.longestSliceMs = took;
        if (r.done) {
          stats.ms = performance.now() - started;
          stats.functions = functions();
          this.lastBackground = stats;
          return { value: r.value };
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (!alive()) { work.return(undefined as T); return undefined; }
      }
    } catch (e) {
      work.return(undefined as T);
      throw e;
    }
  }

  /**
   * Summaries built by re-walking one function are checked against whole-file ones (a safety net: they should be
   * equal); a difference replaces the summary. Returns true then: only a full analysis is exact.
   */
  private checkReused(): boolean {
    let full = false;
    for (const file of this.reusedFiles) {
      const e = this.entries.get(file);
      if (!e?.reused || e.text === undefined) continue;
      const whole = this.summarizeSafely(file, e.text);
      // compared in the stored form: calls in columns and fresh lists print differently but mean the same
      if (JSON.stringify(compactSummary(whole)) !== JSON.stringify(compactSummary(e.summary))) { this.entries.set(file, { summary: packCalls(whole), text: e.text }); full = true; } else e.reused = false;
    }
    this.reusedFiles.clear();
    return full;
  }

  /** How the last settle() brought the analysis up to date (for tests and logs). */
  lastSettle: 'refresh' | 'full' | undefined;
  /** Functions re-propagated by the last settle() when it was a refresh. */
  lastSettleFunctions = 0;

  /** The summary of `text` from the previous one when the edit stays inside one function body; undefined otherwise. */
  private reuseSafely(prev: FileSummary, prevText: string, text: string): FileSummary | undefined {
    const max = this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (text.length > max || prevText.length > max) return undefined;
    try {
      return reuseSummary(this.parser, prev, prevText, text, { extraAllocators: this.options.extraAllocators });
    } catch {
      return undefined;
    }
  }

  /** Add a summary computed elsewhere (worker, cache) without keeping the text; `stamp`: the disk file it came from. */
  addSummary(summary: FileSummary, stamp?: FileStamp): void {
    const cur = this.entries.get(summary.file);
    if (cur?.text !== undefined) return; // an open document wins over the disk
    this.entries.set(summary.file, { summary, stamp });
    this.functionCount = -1;
    this.invalidate();
  }

  /** What the analysed content of a file was: the disk stamp of an indexed file, the hash of a kept text. */
  stampOf(file: string): FileStamp | undefined {
    const e = this.entries.get(file);
    if (!e) return undefined;
    if (e.text !== undefined) return textStamp(e.text);
    return e.stamp;
  }

  /** Summarize a file's text without keeping the text (bulk indexing). */
  indexText(file: string, text: string): FileSummary {
    // The JSON round trip flattens strings sliced from `text`, which would otherwise keep every source file alive.
    const summary = JSON.parse(JSON.stringify(compactSummary(this.summarizeSafely(file, text)))) as FileSummary;
    expandSummary(summary as unknown as Record<string, unknown>);
    this.addSummary(summary, textStamp(text));
    return summary;
  }

  summarizeSafely(file: string, text: string): FileSummary {
    const max = this.options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (text.length > max) {
      return emptySummary(file, `file is ${Math.round(text.length / 1024)} KiB, over the ${Math.round(max / 1024)} KiB limit (gfpLens.maxFileSizeKB): skipped`);
    }
    try {
      return summarize(this.parser, file, text, { extraAllocators: this.options.extraAllocators });
    } catch (e) {
      return emptySummary(file, `could not analyse: ${(e as Error).message}`);
    }
  }

  /** Forget the kept text of a file (document closed) but keep its summary. */
  releaseText(file: string): void {
    const cur = this.entries.get(file);
    if (cur) { if (cur.text !== undefined) cur.stamp = textStamp(cur.text); cur.text = undefined; cur.lines = undefined; this.local = null; }
  }

  removeFile(file: string): void { if (this.entries.delete(file)) { this.functionCount = -1; this.local = null; this.invalidate(); } }
  hasFile(file: string): boolean { return this.entries.has(file); }
  files(): string[] { return [...this.entries.keys()].sort(); }
  summaryOf(file: string): FileSummary | undefined { return this.entries.get(file)?.summary; }
  textOf(file: string): string | undefined { return this.entries.get(file)?.text; }

  private invalidate(): void { this.analysis = null; this.byFile = null; this.stale = false; }

  /**
   * Runs the global phase if anything changed since the last run. In background mode, for a large tree, it starts
   * a background analysis instead and returns an analysis of the open files alone until that is done.
   */
  analyze(): Analysis {
    if (this.analysis) return this.analysis;
    if (this.background && this.countFunctions() >= this.background.minFunctions) {
      if (!this.held) this.startBuild();
      return this.localAnalysis().analysis;
    }
    const a = this.analyseNow([...this.entries.values()].map((f) => f.summary));
    this.analysis = a;
    this.groupFindings(a);
    return this.analysis;
  }

  /** A full analysis of these summaries at once; an exception is reported and what was computed is kept. */
  private analyseNow(summaries: FileSummary[]): Analysis {
    const a = new Analysis(summaries, { extraRoots: this.options.extraRoots });
    try { a.run(); } catch (e) { this.extraProblems.push({ file: '', message: `analysis error: ${(e as Error).stack ?? e}` }); }
    return a;
  }

  private countFunctions(): number {
    if (this.functionCount < 0) { let n = 0; for (const e of this.entries.values()) n += e.summary.functions.length; this.functionCount = n; }
    return this.functionCount;
  }

  /** The open files alone (background mode, while the whole-tree analysis runs). */
  private localAnalysis(): { analysis: Analysis; byFile: Map<string, RawFinding[]> } {
    if (!this.local) {
      const a = this.analyseNow([...this.entries.values()].filter((e) => e.text !== undefined).map((e) => e.summary));
      this.local = { analysis: a, byFile: groupByFile(a) };
    }
    return this.local;
  }

  /** Starts the whole-tree analysis in the background unless one is running. */
  private startBuild(): void {
    if (this.build) return;
    const token = { cancelled: false };
    this.build = token;
    void this.runBuild(token).catch((e) => {
      this.extraProblems.push({ file: '', message: `analysis error: ${(e as Error).stack ?? e}` });
    }).finally(() => { if (this.build === token) this.build = undefined; });
  }

  /**
   * The background analysis: runs over the summaries as they were when it started, then applies the edits made
   * meanwhile as incremental updates (they are refreshed by the next settle); an edit that changed a file's
   * interface, or a file added or removed meanwhile, starts it again.
   */
  private async runBuild(token: { cancelled: boolean }): Promise<void> {
    for (let runs = 1; !token.cancelled; runs++) {
      const used = new Map<string, FileSummary>();
      for (const [file, e] of this.entries) used.set(file, e.summary);
      const a = new Analysis([...used.values()], { extraRoots: this.options.extraRoots });
      let done: { value: void } | undefined;
      let failed = false;
      try {
        done = await this.runSliced(a.runSteps(), 'full', () => !token.cancelled, () => a.nodes.length);
      } catch (e) {
        // as in the synchronous path: report it and keep what was computed (running again would fail again)
        this.extraProblems.push({ file: '', message: `analysis error: ${(e as Error).stack ?? e}` });
        done = { value: undefined };
        failed = true;
      }
      if (!done || token.cancelled) return;
      let ok = used.size === this.entries.size;
      let replayed = false;
      // many files changed meanwhile (a re-index, a checkout): analysing again is cheaper than replaying them one by one
      let changed = 0;
      for (const [file, e] of this.entries) if (used.get(file) !== e.summary && ++changed > MAX_REPLAYED) { ok = false; break; }
      for (const [file, e] of this.entries) {
        if (!ok || failed) break;
        const before = used.get(file);
        if (before === e.summary) continue;
        try {
          if (!before || !a.replaceFile(e.summary)) ok = false;
          else replayed = true;
        } catch (err) {
          this.extraProblems.push({ file, message: `analysis error: ${(err as Error).stack ?? err}` });
          failed = true;
        }
      }
      if (!ok && !failed) continue;
      this.analysis = a;
      this.groupFindings(a);
      if (this.lastBackground) this.lastBackground.runs = runs;
      this.stale = replayed && a.hasPending;
      this.local = null;
      this.build = undefined;
      this.background?.onDone?.();
      return;
    }
  }

  private groupFindings(a: Analysis): void { this.byFile = groupByFile(a); }

  private keep(f: RawFinding): boolean {
    if (this.options.disabledRules?.includes(f.rule)) return false;
    if (CONF[f.confidence] < CONF[this.options.minConfidence ?? 'low']) return false;
    const sup = f.site.node.summary.suppressions[f.site.report.line];
    if (sup && (sup.length === 0 || sup.includes(f.rule))) return false;
    return true;
  }

  /** Findings of one file, or of all files, sorted by file and position. */
  findings(file?: string): Finding[] {
    const a = this.analyze();
    const byFile = a === this.local?.analysis ? this.local.byFile : this.byFile!;
    const raw = file ? byFile.get(file) ?? [] : [...byFile.values()].flat();
    const out = raw.filter((f) => this.keep(f)).map((f) => this.toFinding(f));
    out.sort((a, b) => (a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1 : a.span.startOffset - b.span.startOffset || a.rule.localeCompare(b.rule)));
    return out;
  }

  private toFinding(f: RawFinding): Finding {
    const file = f.site.node.file;
    const span = this.span(file, f.site.report.offset, f.site.report.end, f.site.report.line, f.site.report.col);
    const entry = this.entries.get(file);
    const severity = this.options.severities?.[f.rule] ?? f.severity;
    const fixes = entry?.text !== undefined ? fixesFor(f, entry.summary, entry.text) : [];
    return {
      id: `${f.rule}:${file}:${f.site.report.offset}`, rule: f.rule, severity, message: f.message, span,
      function: f.site.node.fn.name, path: f.path, confidence: f.confidence, otherPaths: f.otherPaths, fixes,
    };
  }

  private lineStarts(file: string): number[] | undefined {
    const e = this.entries.get(file);
    if (!e || e.text === undefined) return undefined;
    if (!e.lines) {
      e.lines = [0];
      for (let i = e.text.indexOf('\n'); i >= 0; i = e.text.indexOf('\n', i + 1)) e.lines.push(i + 1);
    }
    return e.lines;
  }

  private position(file: string, offset: number, fallback: Position): Position {
    const ls = this.lineStarts(file);
    if (!ls) return fallback;
    let lo = 0; let hi = ls.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ls[mid] <= offset) lo = mid; else hi = mid - 1; }
    return { line: lo, character: offset - ls[lo] };
  }

  span(file: string, start: number, end: number, line: number, col: number): Span {
    const s = { line, character: col };
    return { file, start: s, end: this.position(file, end, { line, character: col + (end - start) }), startOffset: start, endOffset: end };
  }

  /** Allocation sites of a file; with offset, only those in the function containing it. */
  allocations(file: string, offset?: number): AllocationInfo[] {
    const a = this.analyze();
    const nodes = a.functionsOf(file).filter((n) => offset === undefined || (n.fn.offset <= offset && offset <= n.fn.end));
    const out: AllocationInfo[] = [];
    for (const n of nodes) for (const s of a.sites.get(n.id) ?? []) if (s.kind !== 'sleep') out.push(this.allocationInfo(a, s));
    out.sort((x, y) => x.span.startOffset - y.span.startOffset);
    return out;
  }

  private allocationInfo(a: Analysis, s: CheckSite): AllocationInfo {
    const file = s.node.file;
    const callOffset = s.kind === 'flow' ? s.flowCall!.offset : s.report.offset;
    const callEnd = s.kind === 'flow' ? s.flowCall!.end : s.report.end;
    const callLine = s.kind === 'flow' ? s.flowCall!.line : s.report.line;
    const callCol = s.kind === 'flow' ? s.flowCall!.col : s.report.col;
    const ctxs = a.contextsAt(s);
    const contexts: ContextInfo[] = ctxs.map(({ ctx }) => ({ kind: ctx.kind, description: ctx.description, path: ctx.path }));
    const scopeRef = s.state.scope;
    const innerScope = s.innerScope && s.innerScope !== 'none' ? s.innerScope : undefined;
    const scope = scopeRef?.kind === 'noio' || innerScope === 'noio' ? 'noio' : scopeRef?.kind ?? innerScope;
    const values = s.values;
    const effective = values.map((v) => (v.bits ? bitsName(applyScope(v.bits, scope ?? 'none')) : v.name));
    const maySleep: Tri = values.every((v) => v.bits) ? (values.every((v) => v.bits!.sleep) ? 'yes' : values.some((v) => v.bits!.sleep) ? 'maybe' : 'no') : values.some((v) => v.bits?.sleep) ? 'maybe' : 'unknown';
    const findings = this.findings(file).filter((f) => f.span.startOffset === s.report.offset);
    const info: AllocationInfo = {
      span: this.span(file, callOffset, callEnd, callLine, callCol), function: s.node.fn.name, callee: s.callee,
      requested: s.argText, requestedValues: values.map((v) => v.name + (v.cond ? ` (if ${v.cond.value ? '' : '!'}${v.cond.flag.replace(/^\?:/, '')})` : '')),
      effectiveValues: [...new Set(effective)], maySleep, contexts, findings,
    };
    if (scope) {
      const ref = scopeRef ?? undefined;
      info.scope = { kind: scope, file, line: ref?.line ?? callLine, character: ref?.col ?? callCol, text: ref ? ref.text : `memalloc_${scope}_save() in a callee` };
    }
    return info;
  }

  /** A fix that wraps the selected lines [start, end) of a function body in a memalloc scope, if that is safe. */
  wrapSelection(file: string, start: number, end: number, kind: 'noio' | 'nofs'): Fix | undefined {
    const e = this.entries.get(file);
    if (!e || e.text === undefined) return undefined;
    return wrapRegion(e.summary, e.text, start, end, kind);
  }

  functionAt(file: string, offset: number): FunctionInfo | null {
    const a = this.analyze();
    const n = a.functionsOf(file).find((x) => x.fn.offset <= offset && offset <= x.fn.end);
    if (!n) return null;
    const contexts: ContextInfo[] = (a.ctxs.get(n.id) ?? []).map((c) => ({ kind: c.kind, description: c.description + (c.scope !== 'none' ? ` (under memalloc_${c.scope} scope)` : ''), path: a.pathOf(c) }));
    return { name: n.fn.name, span: this.span(file, n.fn.nameStart, n.fn.nameStart + n.fn.name.length, n.fn.line, n.fn.col), contexts };
  }

  hover(file: string, offset: number): HoverResult | null {
    const entry = this.entries.get(file);
    if (!entry) return null;
    const allocs = this.allocations(file, offset);
    const site = allocs.find((x) => x.span.startOffset <= offset && offset <= x.span.endOffset);
    const text = entry.text;
    const word = text ? wordAt(text, offset) : undefined;
    if (site) return { span: site.span, markdown: renderAllocationHover(site, word && GFP_NAMES[word.text] ? word.text : undefined) };
    if (word && text) {
      const span = this.span(file, word.start, word.end, this.position(file, word.start, { line: 0, character: 0 }).line, this.position(file, word.start, { line: 0, character: 0 }).character);
      if (GFP_NAMES[word.text]) return { span, markdown: renderFlagHover(word.text) };
      if (/^memalloc_(noio|nofs)_(save|restore)$/.test(word.text)) return { span, markdown: renderScopeHover(word.text) };
      const n = this.analyze().functionsOf(file).find((x) => x.fn.nameStart === word.start);
      if (n) {
        const info = this.functionAt(file, n.fn.nameStart)!;
        return { span, markdown: renderFunctionHover(info) };
      }
    }
    return null;
  }

  problems(): EngineProblem[] {
    const out: EngineProblem[] = [...this.extraProblems];
    for (const [file, e] of this.entries) for (const p of e.summary.problems) out.push({ file, message: p });
    return out;
  }

  dispose(): void {
    if (this.build) { this.build.cancelled = true; this.build = undefined; }
    this.entries.clear(); this.invalidate(); this.local = null; this.parser.delete();
  }
}

function groupByFile(a: Analysis): Map<string, RawFinding[]> {
  const byFile = new Map<string, RawFinding[]>();
  for (const f of a.findings) {
    const list = byFile.get(f.site.node.file);
    if (list) list.push(f); else byFile.set(f.site.node.file, [f]);
  }
  return byFile;
}

function wordAt(text: string, offset: number): { text: string; start: number; end: number } | undefined {
  let s = offset; let e = offset;
  while (s > 0 && /[A-Za-z0-9_]/.test(text[s - 1])) s--;
  while (e < text.length && /[A-Za-z0-9_]/.test(text[e])) e++;
  return e > s ? { text: text.slice(s, e), start: s, end: e } : undefined;
}

export function emptySummary(file: string, problem: string): FileSummary {
  return {
    version: 0, file, functions: [], bindings: [], structFields: {}, typedefs: {}, gfpDefines: {}, gfpPrototypes: {},
    hasSchedMmInclude: false, includeInsertOffset: 0, suppressions: {}, problems: [problem],
  };
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return new Engine(await createParser(), options);
}

export { RULES };
