// Renders findings for the CLI: gcc-style text (with the witness path), JSON, and SARIF 2.1.0.
// Paths are shown relative to the working directory; positions 1-based, as compilers print them.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES } from '../engine';
import type { Finding, PathStep, Severity } from '../engine';

export interface ReportContext { cwd: string; version: string }

export function rel(file: string, cwd: string): string {
  const r = path.relative(cwd, file);
  return r === '' ? '.' : r;
}

/** Deterministic order: file, line, column, rule. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    a.span.file < b.span.file ? -1 : a.span.file > b.span.file ? 1
      : a.span.start.line - b.span.start.line || a.span.start.character - b.span.start.character
      || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

function stepLine(s: PathStep, cwd: string): string {
  return `    ${rel(s.file, cwd)}:${s.line + 1}:${s.character + 1}: ${s.text} (${s.kind})`;
}

export function formatText(findings: Finding[], ctx: ReportContext, filesAnalysed: number): string {
  const lines: string[] = [];
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const f of findings) {
    counts[f.severity]++;
    const more = f.otherPaths > 0 ? ` (+${f.otherPaths} other path${f.otherPaths === 1 ? '' : 's'})` : '';
    lines.push(`${rel(f.span.file, ctx.cwd)}:${f.span.start.line + 1}:${f.span.start.character + 1}: ${f.severity}: ${f.message}${more} [${f.rule}]`);
    for (const s of f.path) lines.push(stepLine(s, ctx.cwd));
  }
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const parts = [plural(counts.error, 'error'), plural(counts.warning, 'warning')];
  if (counts.info) parts.push(`${counts.info} info`);
  if (counts.hint) parts.push(plural(counts.hint, 'hint'));
  lines.push(`gfp-lens: ${parts.join(', ')} in ${plural(filesAnalysed, 'file')}`);
  return lines.join('\n') + '\n';
}

export function formatJson(findings: Finding[], ctx: ReportContext): string {
  const out = findings.map(f => ({
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    file: rel(f.span.file, ctx.cwd),
    line: f.span.start.line + 1,
    column: f.span.start.character + 1,
    endLine: f.span.end.line + 1,
    endColumn: f.span.end.character + 1,
    function: f.function,
    confidence: f.confidence,
    otherPaths: f.otherPaths,
    path: f.path.map(s => ({ kind: s.kind, file: rel(s.file, ctx.cwd), line: s.line + 1, column: s.character + 1, text: s.text })),
    fixes: f.fixes.map(x => ({ title: x.title, kind: x.kind, preferred: x.preferred })),
  }));
  return JSON.stringify(out, null, 2) + '\n';
}

function sarifLevel(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

function artifactUri(file: string, cwd: string): string {
  const r = path.relative(cwd, file);
  if (r.startsWith('..') || path.isAbsolute(r)) return pathToFileURL(file).href;
  return r.split(path.sep).map(encodeURIComponent).join('/');
}

export function formatSarif(findings: Finding[], ctx: ReportContext): string {
  const ruleIds = Object.keys(RULES) as (keyof typeof RULES)[];
  const location = (file: string, sl: number, sc: number, el?: number, ec?: number) => {
    const uri = artifactUri(file, ctx.cwd);
    const region: Record<string, number> = { startLine: sl + 1, startColumn: sc + 1 };
    if (el !== undefined && ec !== undefined) { region.endLine = el + 1; region.endColumn = ec + 1; }
    return { physicalLocation: { artifactLocation: uri.startsWith('file:') ? { uri } : { uri, uriBaseId: '%SRCROOT%' }, region } };
  };
  const results = findings.map(f => {
    const result: Record<string, unknown> = {
      ruleId: f.rule,
      ruleIndex: ruleIds.indexOf(f.rule),
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [location(f.span.file, f.span.start.line, f.span.start.character, f.span.end.line, f.span.end.character)],
      properties: { confidence: f.confidence, function: f.function, otherPaths: f.otherPaths },
    };
    if (f.path.length > 0) {
      result.codeFlows = [{
        threadFlows: [{
          locations: f.path.map(s => ({
            location: { ...location(s.file, s.line, s.character), message: { text: s.text } },
            kinds: [s.kind],
          })),
        }],
      }];
    }
    return result;
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'gfp-lens',
          version: ctx.version,
          informationUri: 'https://example.invalid/gfp-lens',
          rules: ruleIds.map(id => ({
            id,
            name: id,
            shortDescription: { text: RULES[id].title },
            defaultConfiguration: { level: sarifLevel(RULES[id].severity) },
          })),
        },
      },
      originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(ctx.cwd + path.sep).href } },
      results,
    }],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
