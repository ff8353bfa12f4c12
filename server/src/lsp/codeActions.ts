// Quick-fixes and "fix all": every engine Fix of a finding in the requested range becomes a CodeAction
// whose WorkspaceEdit is a versioned TextDocumentEdit, so a client holding a newer version refuses it.
// The caller guarantees the engine holds the document's current text (fix offsets refer to it).
import { CodeActionKind } from 'vscode-languageserver/node';
import type { CodeAction, CodeActionParams, Diagnostic, Range, TextEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding, Fix, OffsetEdit } from '../engine';
import { offsetRange, toDiagnostic } from './convert';
import type { ToUri } from './convert';

export const FixAllKind = 'source.fixAll.gfp-lens';

/** Does a requested `only` list accept `kind`? ("source" accepts "source.fixAll.gfp-lens".) */
export function kindWanted(only: string[] | undefined, kind: string): boolean {
  if (!only || only.length === 0) return true;
  return only.some(o => kind === o || kind.startsWith(o + '.'));
}

function overlaps(a: Range, b: Range): boolean {
  const before = (p: { line: number; character: number }, q: { line: number; character: number }) =>
    p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function textEdits(doc: TextDocument, fix: Fix): TextEdit[] {
  return fix.edits.map(e => ({ range: offsetRange(doc, e.startOffset, e.endOffset), newText: e.newText }));
}

function matchingDiagnostic(f: Finding, diagnostics: Diagnostic[], version: number, toUri: ToUri): Diagnostic {
  const mine = diagnostics.filter(d => d.source === 'gfp-lens' && d.code === f.rule);
  const byId = mine.find(d => (d.data as { id?: string } | undefined)?.id === f.id);
  const byRange = mine.find(d => d.range.start.line === f.span.start.line && d.range.start.character === f.span.start.character);
  return byId ?? byRange ?? toDiagnostic(f, version, toUri);
}

export function codeActions(doc: TextDocument, file: string, findings: Finding[], params: CodeActionParams, toUri: ToUri, selectionFixes: Fix[] = []): CodeAction[] {
  const only = params.context.only;
  const version = doc.version;
  const mine = findings.filter(f => f.span.file === file);
  const actions: CodeAction[] = [];
  const docEdit = (edits: TextEdit[]) => ({ documentChanges: [{ textDocument: { uri: doc.uri, version }, edits }] });

  // Findings in the requested range, or named by a diagnostic the client sent (Problems panel).
  const askedIds = new Set(params.context.diagnostics.map(d => (d.data as { id?: string } | undefined)?.id).filter(Boolean));
  let quickFixes = 0;
  if (kindWanted(only, CodeActionKind.QuickFix)) {
    for (const f of mine) {
      const range = { start: f.span.start, end: f.span.end };
      if (!overlaps(range, params.range) && !askedIds.has(f.id)) continue;
      const diagnostic = matchingDiagnostic(f, params.context.diagnostics, version, toUri);
      for (const fix of f.fixes) {
        if (fix.file !== file || fix.edits.length === 0) continue;
        actions.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          isPreferred: fix.preferred,
          diagnostics: [diagnostic],
          edit: docEdit(textEdits(doc, fix)),
        });
        quickFixes++;
      }
    }
  }

  // Wrapping a selected region in a memalloc scope (offered only for a non-empty selection the engine accepts).
  if (kindWanted(only, CodeActionKind.RefactorRewrite)) {
    for (const fix of selectionFixes) {
      if (fix.file !== file || fix.edits.length === 0) continue;
      actions.push({ title: fix.title, kind: CodeActionKind.RefactorRewrite, edit: docEdit(textEdits(doc, fix)) });
    }
  }

  // Fix-all when asked for by kind (source menu, codeActionsOnSave), or beside quick-fixes at a
  // problem; never on its own for an unfiltered request, which would put a light bulb on every line.
  const explicit = !!only && only.length > 0 && kindWanted(only, FixAllKind);
  if (explicit || (!only?.length && quickFixes > 0)) {
    // Each finding's preferred fix; an edit identical to one already taken (e.g. the same #include
    // added by two wrap fixes) is shared, any other overlap skips that fix (the next run picks it up).
    const chosen: OffsetEdit[] = [];
    const same = (a: OffsetEdit, b: OffsetEdit) => a.startOffset === b.startOffset && a.endOffset === b.endOffset && a.newText === b.newText;
    const clashes = (e: OffsetEdit, c: OffsetEdit) => (e.startOffset < c.endOffset && c.startOffset < e.endOffset)
      || (e.startOffset === c.startOffset && (e.startOffset === e.endOffset || c.startOffset === c.endOffset));
    let count = 0;
    for (const f of mine) {
      const fix = f.fixes.find(x => x.preferred && x.file === file && x.edits.length > 0);
      if (!fix) continue;
      const fresh = fix.edits.filter(e => !chosen.some(c => same(e, c)));
      if (fresh.some(e => chosen.some(c => clashes(e, c)))) continue;
      chosen.push(...fresh);
      count++;
    }
    const edits = chosen.map(e => ({ range: offsetRange(doc, e.startOffset, e.endOffset), newText: e.newText }));
    if (count > 0 && (explicit || count > 1)) {
      actions.push({ title: `Fix all GFP Lens problems (${count})`, kind: FixAllKind, edit: docEdit(edits) });
    }
  }
  return actions;
}
