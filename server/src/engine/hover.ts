// Renders hover text (Markdown) for allocation calls, GFP flags, memalloc scope calls and function names.
// file:line references are `file://` links with a #L fragment, which editors open at that line.
import { pathToFileURL } from 'node:url';
import { GFP_NAMES } from './gfp';
import type { AllocationInfo, ContextInfo, FunctionInfo, PathStep } from './types';

const KIND: Record<string, string> = { atomic: 'atomic', noio: 'NOIO required (block I/O path)', nofs: 'NOFS required (filesystem reclaim path)' };

function base(file: string): string { const i = file.lastIndexOf('/'); return i >= 0 ? file.slice(i + 1) : file; }

export function link(file: string, line: number): string {
  return `[${base(file)}:${line + 1}](${pathToFileURL(file).href}#L${line + 1})`;
}

function pathLines(path: PathStep[]): string[] {
  return path.map((s, i) => `${'  '.repeat(1)}${i + 1}. ${s.text} — ${link(s.file, s.line)}${s.kind !== 'call' ? ` _(${s.kind})_` : ''}`);
}

function contextLines(ctxs: ContextInfo[]): string[] {
  if (!ctxs.length) return ['No atomic, NOIO or NOFS context reaches this point as far as GFP Lens can tell (process context).'];
  const out: string[] = ['**Contexts reaching this point:**', ''];
  // shortest path per kind first
  const sorted = [...ctxs].sort((a, b) => a.path.length - b.path.length);
  for (const c of sorted.slice(0, 4)) {
    out.push(`- **${KIND[c.kind]}**: ${c.description}`);
    out.push(...pathLines(c.path));
  }
  if (sorted.length > 4) out.push(`- …and ${sorted.length - 4} more`);
  return out;
}

export function renderAllocationHover(a: AllocationInfo, flagWord?: string): string {
  const lines: string[] = [];
  lines.push(`**GFP Lens** · \`${a.callee}(${a.requested || '…'})\` in \`${a.function}()\``, '');
  const req = a.requested ? `\`${a.requested}\`` : '`GFP_KERNEL` (implicit)';
  const possible = a.requestedValues.length > 1 ? ` (possible values: ${a.requestedValues.map((v) => `\`${v}\``).join(', ')})` : '';
  const eff = a.effectiveValues.map((v) => `\`${v}\``).join(' or ');
  if (a.scope) {
    lines.push(`Requested ${req}${possible}, effectively ${eff} here: \`${a.scope.text}\` at ${link(a.scope.file, a.scope.line)}`, '');
  } else {
    lines.push(`Requested ${req}${possible}, effectively ${eff} (no memalloc scope in force here)`, '');
  }
  lines.push(`May sleep: **${a.maySleep}**`, '');
  if (flagWord) lines.push(flagSummary(flagWord), '');
  lines.push(...contextLines(a.contexts));
  for (const f of a.findings) lines.push('', `⚠ **${f.rule}** (${f.severity}, ${f.confidence} confidence${f.otherPaths ? `, ${f.otherPaths} other path${f.otherPaths > 1 ? 's' : ''}` : ''}): ${f.message}`);
  return lines.join('\n');
}

function flagSummary(name: string): string {
  const b = GFP_NAMES[name];
  if (!b) return '';
  const yes = (x: boolean) => (x ? 'yes' : 'no');
  return `\`${name}\`: may sleep (direct reclaim) **${yes(b.sleep)}**, may start I/O (__GFP_IO) **${yes(b.io)}**, may call into the filesystem (__GFP_FS) **${yes(b.fs)}**`;
}

export function renderFlagHover(name: string): string {
  const b = GFP_NAMES[name]!;
  const where = b.sleep ? (b.io && b.fs ? 'process context only; not under spinlocks, in irq/softirq/RCU sections, or on block I/O / filesystem reclaim paths' : b.io ? 'process context; safe on filesystem reclaim paths, not on block I/O paths' : 'process context; safe on block I/O and filesystem reclaim paths') : 'any context (does not sleep)';
  return [`**GFP Lens** · \`${name}\``, '', flagSummary(name), '', `Use in: ${where}.`].join('\n');
}

export function renderScopeHover(name: string): string {
  const noio = name.includes('noio');
  const save = name.endsWith('_save');
  return [
    `**GFP Lens** · \`${name}()\``, '',
    save
      ? `Starts a ${noio ? 'NOIO' : 'NOFS'} allocation scope for the **current task**: until the matching restore, every allocation of this task loses ${noio ? '`__GFP_IO | __GFP_FS`' : '`__GFP_FS`'} (so \`GFP_KERNEL\` behaves as \`${noio ? 'GFP_NOIO' : 'GFP_NOFS'}\`).`
      : `Ends the ${noio ? 'NOIO' : 'NOFS'} scope started by the save that returned this token. Restores must use their own save's token, in LIFO order.`,
    '', 'The scope does not follow work handed to a workqueue, kthread, timer or async crypto: open it again in the worker.',
  ].join('\n');
}

export function renderFunctionHover(f: FunctionInfo): string {
  const lines = [`**GFP Lens** · \`${f.name}()\``, ''];
  if (!f.contexts.length) lines.push('Runs in process context as far as GFP Lens can tell (no atomic, NOIO or NOFS context reaches it).');
  else {
    lines.push('**Can run in:**', '');
    for (const c of f.contexts.slice(0, 5)) {
      lines.push(`- **${KIND[c.kind]}**: ${c.description}`);
      lines.push(...pathLines(c.path));
    }
  }
  return lines.join('\n');
}
