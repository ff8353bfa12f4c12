// Quick-fixes for findings, as offset edits against the exact text the summary was made from:
// swap a flag, wrap a statement in a memalloc scope (token declared, include added once),
// add a missing restore before an early return, drop a redundant flag, or suppress with a comment.
import type { RawFinding } from './analysis';
import type { FileSummary } from './summary';
import type { Fix, OffsetEdit, RuleId } from './types';

const FLAG_WORD = /\b(GFP_KERNEL_ACCOUNT|GFP_KERNEL|GFP_USER|GFP_HIGHUSER_MOVABLE|GFP_HIGHUSER|GFP_NOFS|GFP_NOIO)\b/;

/** Replace the sleeping base flag inside the flags argument text [start, end). */
function swapFlag(file: string, text: string, start: number, end: number, to: string, title: string, preferred: boolean): Fix | undefined {
  const arg = text.slice(start, end);
  const m = FLAG_WORD.exec(arg);
  if (!m || m[1] === to) return undefined;
  // GFP_KERNEL_ACCOUNT keeps its accounting: add __GFP_ACCOUNT
  const replacement = m[1] === 'GFP_KERNEL_ACCOUNT' ? `${to} | __GFP_ACCOUNT` : to;
  return { title, kind: 'swap-flag', preferred, file, edits: [{ startOffset: start + m.index, endOffset: start + m.index + m[1].length, newText: replacement }] };
}

/** `noio_flag`, or `noio_flag2`, … when the function already uses that name. */
function freshToken(body: string, kind: 'noio' | 'nofs'): string {
  let token = `${kind}_flag`;
  for (let i = 2; new RegExp(`\\b${token}\\b`).test(body); i++) token = `${kind}_flag${i}`;
  return token;
}

/** The `#include <linux/sched/mm.h>` a scope wrap needs, unless the file has it. */
function includeEdits(summary: FileSummary): OffsetEdit[] {
  return summary.hasSchedMmInclude ? [] : [{ startOffset: summary.includeInsertOffset, endOffset: summary.includeInsertOffset, newText: '#include <linux/sched/mm.h>\n' }];
}

function lineStart(text: string, offset: number): number { return text.lastIndexOf('\n', offset - 1) + 1; }

/** Wrap the statement containing the allocation in a memalloc scope. */
function wrapScope(f: RawFinding, summary: FileSummary, text: string, kind: 'noio' | 'nofs', preferred: boolean): Fix | undefined {
  const a = f.site.alloc;
  if (!a || !a.wrapOk) return undefined;
  const fn = f.site.node.fn;
  const body = text.slice(fn.bodyStart, fn.bodyEnd);
  const token = freshToken(body, kind);
  const edits: OffsetEdit[] = includeEdits(summary);
  // declare the token after the opening brace's leading declarations, kernel style
  const declAt = declarationInsertPoint(text, fn.bodyStart, fn.bodyEnd);
  const bodyIndent = /\n([ \t]+)\S/.exec(body)?.[1] ?? '\t';
  const firstLine = text.indexOf('\n', fn.bodyStart) + 1;
  edits.push({ startOffset: declAt, endOffset: declAt, newText: `${bodyIndent}unsigned int ${token};\n${declAt === firstLine ? '\n' : ''}` });
  const ind = a.indent;
  edits.push({ startOffset: a.stmtStart, endOffset: a.stmtStart, newText: `${token} = memalloc_${kind}_save();\n${ind}` });
  edits.push({ startOffset: a.stmtEnd, endOffset: a.stmtEnd, newText: `\n${ind}memalloc_${kind}_restore(${token});` });
  edits.sort((x, y) => x.startOffset - y.startOffset);
  return { title: `Wrap in memalloc_${kind}_save()/memalloc_${kind}_restore()`, kind: kind === 'noio' ? 'wrap-noio' : 'wrap-nofs', preferred, file: summary.file, edits };
}

/** Apply edits (sorted, non-overlapping) to a text. */
export function applyEdits(text: string, edits: OffsetEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.startOffset - a.startOffset)) out = out.slice(0, e.startOffset) + e.newText + out.slice(e.endOffset);
  return out;
}

/**
 * Wrap the whole body of the allocating function in a scope: offered when the body has no return, or a single
 * final `return <simple expression>;` (no call in it), so the restore runs on every path.
 */
function wrapBody(f: RawFinding, summary: FileSummary, text: string, kind: 'noio' | 'nofs'): Fix | undefined {
  const fn = f.site.node.fn;
  const body = text.slice(fn.bodyStart, fn.bodyEnd);
  if (!body.startsWith('{') || !body.endsWith('}') || /\bgoto\b/.test(body)) return undefined;
  const returns = body.match(/\breturn\b/g)?.length ?? 0;
  const ind = /\n([ \t]+)\S/.exec(body)?.[1] ?? '\t';
  let restoreAt = fn.bodyStart + body.lastIndexOf('\n') + 1;
  if (returns > 1) return undefined;
  if (returns === 1) {
    const m = /\n([ \t]*)return\b([^;]*);[ \t]*\n\}$/.exec(body);
    if (!m || /\(/.test(m[2])) return undefined;
    restoreAt = fn.bodyStart + m.index + 1;
  }
  if (restoreAt <= fn.bodyStart) return undefined;
  const token = freshToken(body, kind);
  const declAt = declarationInsertPoint(text, fn.bodyStart, fn.bodyEnd);
  const edits: OffsetEdit[] = includeEdits(summary);

  edits.push({ startOffset: declAt, endOffset: declAt, newText: `${ind}unsigned int ${token};\n\n${ind}${token} = memalloc_${kind}_save();\n` });
  edits.push({ startOffset: restoreAt, endOffset: restoreAt, newText: `${ind}memalloc_${kind}_restore(${token});\n` });
  edits.sort((x, y) => x.startOffset - y.startOffset);
  if (edits.some((e, i) => i > 0 && e.startOffset < edits[i - 1].endOffset)) return undefined;
  return { title: `Wrap the body of ${fn.name}() in memalloc_${kind}_save()/memalloc_${kind}_restore()`, kind: kind === 'noio' ? 'wrap-noio' : 'wrap-nofs', preferred: false, file: summary.file, edits };
}

/** After `{` and the block of declarations that opens a function body. */
function declarationInsertPoint(text: string, bodyStart: number, bodyEnd: number): number {
  let p = text.indexOf('\n', bodyStart) + 1;
  if (p <= 0 || p > bodyEnd) return bodyStart + 1;
  const declRe = /^[ \t]+(?:const\s+|static\s+|unsigned\s+|signed\s+|struct\s+|union\s+|enum\s+)*[A-Za-z_][A-Za-z0-9_]*[\s*]+[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\s*(=[^;]*)?(,[^;]*)?;[ \t]*(\/\*.*\*\/)?[ \t]*$/;
  for (;;) {
    const e = text.indexOf('\n', p);
    if (e < 0 || e > bodyEnd) break;
    const line = text.slice(p, e);
    if (!declRe.test(line) || /\breturn\b|\(/.test(line.replace(/=.*$/, ''))) break;
    p = e + 1;
  }
  return p;
}

export function fixesFor(f: RawFinding, summary: FileSummary, text: string): Fix[] {
  const out: Fix[] = [];
  const file = summary.file;
  const push = (x: Fix | undefined) => { if (x) out.push(x); };
  const s = f.site;
  const argStart = s.kind === 'flow' ? s.report.offset : s.alloc?.argStart ?? -1;
  const argEnd = s.kind === 'flow' ? s.report.end : s.alloc?.argEnd ?? -1;
  const hasArg = argStart >= 0 && argEnd > argStart;
  switch (f.rule as RuleId) {
    case 'atomic-alloc':
      if (hasArg) {
        push(swapFlag(file, text, argStart, argEnd, 'GFP_ATOMIC', 'Use GFP_ATOMIC (may use emergency reserves; never sleeps)', true));
        push(swapFlag(file, text, argStart, argEnd, 'GFP_NOWAIT', 'Use GFP_NOWAIT (fails fast; never sleeps)', false));
      }
      break;
    case 'noio-alloc':
    case 'scope-lost': {
      if (hasArg) push(swapFlag(file, text, argStart, argEnd, 'GFP_NOIO', 'Use GFP_NOIO', f.rule === 'noio-alloc'));
      const noio = /NOIO|__GFP_IO|I\/O/.test(f.message) || f.path.some((p) => /I\/O|noio|NOIO/.test(p.text));
      push(wrapScope(f, summary, text, noio ? 'noio' : 'nofs', f.rule === 'scope-lost' || !hasArg));
      push(wrapBody(f, summary, text, noio ? 'noio' : 'nofs'));
      break;
    }
    case 'nofs-alloc':
      if (hasArg) push(swapFlag(file, text, argStart, argEnd, 'GFP_NOFS', 'Use GFP_NOFS', true));
      push(wrapScope(f, summary, text, 'nofs', !hasArg));
      push(wrapBody(f, summary, text, 'nofs'));
      break;
    case 'redundant-flag':
      if (hasArg) {
        const arg = text.slice(argStart, argEnd);
        const m = /\bGFP_NO(IO|FS)\b/.exec(arg);
        if (m) out.push({ title: `Use GFP_KERNEL: the memalloc scope already implies ${m[0]}`, kind: 'remove-flag', preferred: true, file, edits: [{ startOffset: argStart + m.index, endOffset: argStart + m.index + m[0].length, newText: 'GFP_KERNEL' }] });
      }
      break;
    case 'unbalanced-scope': {
      const issue = s.node.fn.scopeIssues.find((i) => i.offset === s.report.offset && i.message === f.message);
      if (issue?.insertRestore) {
        const r = issue.insertRestore;
        out.push({ title: `Add memalloc_${issue.kind}_restore(${r.token}) before this return`, kind: 'add-restore', preferred: true, file, edits: [{ startOffset: r.offset, endOffset: r.offset, newText: `memalloc_${issue.kind}_restore(${r.token});\n${r.indent}` }] });
      }
      break;
    }
    default: break;
  }
  // suppression comment on the line above, at the line's indentation
  const ls = lineStart(text, s.report.offset);
  const indent = /^[ \t]*/.exec(text.slice(ls, s.report.offset))?.[0] ?? '';
  out.push({ title: `Suppress ${f.rule} here with a gfp-lens-ignore comment`, kind: 'suppress', preferred: false, file, edits: [{ startOffset: ls, endOffset: ls, newText: `${indent}/* gfp-lens-ignore-next-line ${f.rule} */\n` }] });
  return out;
}

/**
 * Wrap a selected region of a function body (whole lines) in a memalloc scope. Refused (undefined) unless the region
 * lies inside one function body after its declarations, has balanced brackets, and cannot jump out of the scope
 * (no return, goto, break or continue), so the restore runs whenever the save did.
 */
export function wrapRegion(summary: FileSummary, text: string, start: number, end: number, kind: 'noio' | 'nofs'): Fix | undefined {
  const fn = summary.functions.find((f) => f.bodyStart < start && end < f.bodyEnd);
  if (!fn || end < start) return undefined;
  const s0 = lineStart(text, start);
  let e0 = end > start && text[end - 1] === '\n' ? end - 1 : text.indexOf('\n', end);
  if (e0 < 0 || e0 >= fn.bodyEnd) e0 = fn.bodyEnd - 1;
  const region = text.slice(s0, e0);
  if (!region.trim() || /\b(return|goto|break|continue)\b/.test(region)) return undefined;
  let paren = 0; let brace = 0;
  for (const c of region) { if (c === '(') paren++; else if (c === ')') paren--; else if (c === '{') brace++; else if (c === '}') brace--; if (paren < 0 || brace < 0) return undefined; }
  if (paren !== 0 || brace !== 0 || !/[;}]\s*$/.test(region)) return undefined;
  const declAt = declarationInsertPoint(text, fn.bodyStart, fn.bodyEnd);
  if (declAt > s0) return undefined;
  const body = text.slice(fn.bodyStart, fn.bodyEnd);
  const token = freshToken(body, kind);
  const ind = /^[ \t]*/.exec(region)?.[0] ?? '\t';
  const bodyIndent = /\n([ \t]+)\S/.exec(body)?.[1] ?? '\t';
  const firstLine = text.indexOf('\n', fn.bodyStart) + 1;
  const edits: OffsetEdit[] = includeEdits(summary);
  const decl = `${bodyIndent}unsigned int ${token};\n${declAt === firstLine ? '\n' : ''}`;
  if (declAt === s0) edits.push({ startOffset: s0, endOffset: s0, newText: `${decl}${ind}${token} = memalloc_${kind}_save();\n` });
  else {
    edits.push({ startOffset: declAt, endOffset: declAt, newText: decl });
    edits.push({ startOffset: s0, endOffset: s0, newText: `${ind}${token} = memalloc_${kind}_save();\n` });
  }
  edits.push({ startOffset: e0, endOffset: e0, newText: `\n${ind}memalloc_${kind}_restore(${token});` });
  edits.sort((x, y) => x.startOffset - y.startOffset);
  return { title: `Wrap selection in memalloc_${kind}_save()/memalloc_${kind}_restore()`, kind: kind === 'noio' ? 'wrap-noio' : 'wrap-nofs', preferred: false, file: summary.file, edits };
}
