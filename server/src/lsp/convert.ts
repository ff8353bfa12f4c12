// Converts engine results (plain data: paths, offsets, 0-based positions) into LSP and wire shapes.
// Pure functions; the URI mapping is passed in.
import { DiagnosticSeverity } from 'vscode-languageserver/node';
import type { Diagnostic, DiagnosticRelatedInformation, Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { AllocationInfo, ContextInfo, Finding, PathStep, Severity, Span } from '../engine';
import type { WireAllocationSite, WireContext, WireStep } from '../protocol';

export type ToUri = (file: string) => string;

export function severityOf(s: Severity): DiagnosticSeverity {
  switch (s) {
    case 'error': return DiagnosticSeverity.Error;
    case 'warning': return DiagnosticSeverity.Warning;
    case 'info': return DiagnosticSeverity.Information;
    default: return DiagnosticSeverity.Hint;
  }
}

export function rangeOf(span: Span): Range {
  return { start: { line: span.start.line, character: span.start.character }, end: { line: span.end.line, character: span.end.character } };
}

function stepRange(step: PathStep): Range {
  return { start: { line: step.line, character: step.character }, end: { line: step.line, character: step.character } };
}

export interface DiagnosticData { id: string; version: number }

export function toDiagnostic(f: Finding, version: number, toUri: ToUri): Diagnostic {
  const relatedInformation: DiagnosticRelatedInformation[] = f.path.map(step => ({
    location: { uri: toUri(step.file), range: stepRange(step) },
    message: `${step.text} (${step.kind})`,
  }));
  const more = f.otherPaths > 0 ? ` (+${f.otherPaths} other path${f.otherPaths === 1 ? '' : 's'})` : '';
  const data: DiagnosticData = { id: f.id, version };
  return {
    range: rangeOf(f.span),
    severity: severityOf(f.severity),
    source: 'gfp-lens',
    code: f.rule,
    message: f.message + more,
    relatedInformation,
    data,
  };
}

/** Range of an offset edit in `doc` (whose text must be the text the edit was computed for). */
export function offsetRange(doc: TextDocument, start: number, end: number): Range {
  return { start: doc.positionAt(start), end: doc.positionAt(end) };
}

export function toWireStep(s: PathStep, toUri: ToUri): WireStep {
  return { kind: s.kind, uri: toUri(s.file), line: s.line, character: s.character, text: s.text };
}

export function toWireContext(c: ContextInfo, toUri: ToUri): WireContext {
  return { kind: c.kind, description: c.description, path: c.path.map(s => toWireStep(s, toUri)) };
}

export function toWireSite(a: AllocationInfo, toUri: ToUri): WireAllocationSite {
  const site: WireAllocationSite = {
    function: a.function,
    callee: a.callee,
    line: a.span.start.line,
    character: a.span.start.character,
    requested: a.requested,
    effective: [...a.effectiveValues],
    maySleep: a.maySleep,
    contexts: a.contexts.map(c => toWireContext(c, toUri)),
    findings: a.findings.map(f => ({ rule: f.rule, severity: f.severity, message: f.message })),
  };
  if (a.scope) site.scope = a.scope.kind;
  return site;
}
