// Pure model of the "Allocation Call Paths" tree: turns a `gfpLens/allocationSites` result
// (AllocationSitesResult, see server/src/protocol.ts) into plain nodes (labels, codicon ids,
// markdown tooltips, locations). No `vscode` import, so it is unit-tested under plain node;
// callPathsTree.ts maps these nodes onto vscode.TreeItems one to one.
import type {
  AllocationSitesResult, WireAllocationSite, WireContext, WireFinding, WireStep,
} from '../../server/src/protocol';

export type NodeKind = 'function' | 'site' | 'context' | 'step';
export type Collapsible = 'none' | 'collapsed' | 'expanded';
/** Colour hint for an icon: the worst finding severity under the node (hints stay uncoloured). */
export type IconTone = 'error' | 'warning' | 'info' | undefined;

export interface NodeLocation { uri: string; line: number; character: number }

export interface CallPathNode {
  /** Unique in one tree and stable across edits that do not reorder sites, so expansion survives refresh. */
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  /** Codicon id, e.g. "zap". */
  icon: string;
  tone: IconTone;
  /** Markdown; identifiers are in code spans, free text is escaped. */
  tooltip: string;
  /** Plain text for screen readers and tests: label and description. */
  accessibilityLabel: string;
  collapsible: Collapsible;
  /** Where a click takes the user: the site, the context's origin, the step (function nodes only expand). */
  location?: NodeLocation;
  children: CallPathNode[];
}

/** Worst-first ranking of what a site runs under. "scoped": a memalloc scope is in force, no required context. */
export type SiteClass = 'atomic' | 'noio' | 'nofs' | 'scoped' | 'none';

export const CONTEXT_ICONS: Record<WireContext['kind'], string> = {
  atomic: 'zap',
  noio: 'database',
  nofs: 'file',
};
export const SITE_ICONS: Record<SiteClass, string> = {
  ...CONTEXT_ICONS,
  scoped: 'shield',
  none: 'pass',
};
export const STEP_ICONS: Record<WireStep['kind'], string> = {
  origin: 'debug-start',
  call: 'arrow-right',
  pointer: 'symbol-field',
  registration: 'plug',
  handoff: 'debug-step-over',
  scope: 'shield',
  alloc: 'package',
};
const STEP_KIND_TEXT: Record<WireStep['kind'], string> = {
  origin: 'context starts',
  call: 'call',
  pointer: 'call through a function pointer',
  registration: 'callback registration',
  handoff: 'async hand-off',
  scope: 'memalloc scope',
  alloc: 'allocation',
};
const CONTEXT_TEXT: Record<WireContext['kind'], string> = {
  atomic: 'atomic context (must not sleep)',
  noio: 'NOIO required (block I/O path)',
  nofs: 'NOFS required (filesystem reclaim path)',
};
const SEVERITY_RANK: Record<WireFinding['severity'], number> = { error: 3, warning: 2, info: 1, hint: 0 };
const SEVERITY_ICON: Record<WireFinding['severity'], string> = {
  error: '$(error)', warning: '$(warning)', info: '$(info)', hint: '$(lightbulb)',
};

/** Escapes markdown punctuation in free text (step texts, messages) so `_` or `*` in C names stay literal. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => '\\' + c);
}

/** Server texts may carry markdown `code spans`: tree labels show them as plain text, on one line. */
export function plainText(text: string): string {
  return oneLine(text.replace(/`([^`]+)`/g, '$1'));
}

/** Source text (a flags argument may span lines, or be half-typed) squeezed onto one line of at most `max` chars. */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** Markdown for a server text: its `code spans` are kept, everything else is escaped. */
export function inlineMarkdown(text: string): string {
  return text.split(/(`[^`]+`)/).map((part, i) => (i % 2 ? part : escapeMarkdown(part))).join('');
}

/** A code span that survives backticks in the text. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** Last path segment of a URI (or a plain path), percent-decoded. */
export function uriBasename(uri: string): string {
  const noQuery = uri.replace(/[?#].*$/, '');
  const seg = noQuery.slice(noQuery.lastIndexOf('/') + 1);
  try { return decodeURIComponent(seg); } catch { return seg; }
}

/** `name:line` with a 1-based line, as kernel developers read locations. */
export function shortLocation(uri: string, line: number): string {
  return `${uriBasename(uri)}:${line + 1}`;
}

export function classifySite(site: WireAllocationSite): SiteClass {
  const kinds = new Set(site.contexts.map((c) => c.kind));
  if (kinds.has('atomic')) return 'atomic';
  if (kinds.has('noio')) return 'noio';
  if (kinds.has('nofs')) return 'nofs';
  if (site.scope) return 'scoped';
  return 'none';
}

export function worstTone(findings: readonly WireFinding[]): IconTone {
  let worst: WireFinding['severity'] | undefined;
  for (const f of findings) {
    if (!worst || SEVERITY_RANK[f.severity] > SEVERITY_RANK[worst]) worst = f.severity;
  }
  return worst === 'hint' ? undefined : worst;
}

function worstOf(tones: IconTone[]): IconTone {
  if (tones.includes('error')) return 'error';
  if (tones.includes('warning')) return 'warning';
  if (tones.includes('info')) return 'info';
  return undefined;
}

export function siteLabel(site: WireAllocationSite): string {
  return `${site.callee}(${oneLine(site.requested ?? '', 48)})`;
}

export function siteDescription(site: WireAllocationSite): string {
  return `${site.function}() · line ${site.line + 1}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function siteTooltip(site: WireAllocationSite, uri: string): string {
  const lines: string[] = [];
  lines.push(`**${code(siteLabel(site))}** in ${code(site.function + '()')} · ${escapeMarkdown(shortLocation(uri, site.line))}`);
  lines.push('');
  const effective = site.effective.length ? site.effective.map(code).join(' or ') : '_unknown_';
  lines.push(`Effective flags: ${effective} · may sleep: **${site.maySleep}**`);
  if (site.scope) {
    lines.push('');
    lines.push(`$(shield) Inside a ${code(`memalloc_${site.scope}_save()`)} scope`);
  }
  lines.push('');
  if (site.contexts.length) {
    lines.push('**Contexts**');
    lines.push('');
    for (const c of site.contexts) lines.push(`- $(${CONTEXT_ICONS[c.kind]}) ${inlineMarkdown(c.description)}`);
  } else {
    lines.push('No atomic, NOIO or NOFS context reaches this allocation.');
  }
  lines.push('');
  if (site.findings.length) {
    lines.push('**Findings**');
    lines.push('');
    for (const f of site.findings) {
      lines.push(`- ${SEVERITY_ICON[f.severity]} ${f.severity} ${code(f.rule)}: ${inlineMarkdown(f.message)}`);
    }
  } else {
    lines.push('$(pass) No findings.');
  }
  return lines.join('\n');
}

function stepNode(step: WireStep, id: string): CallPathNode {
  const where = shortLocation(step.uri, step.line);
  const label = plainText(step.text);
  return {
    id,
    kind: 'step',
    label,
    description: where,
    icon: STEP_ICONS[step.kind] ?? 'circle-small',
    tone: undefined,
    tooltip: `${escapeMarkdown(STEP_KIND_TEXT[step.kind] ?? step.kind)}: ${inlineMarkdown(step.text)}\n\n${escapeMarkdown(where)}`,
    accessibilityLabel: `${label} ${where}`,
    collapsible: 'none',
    location: { uri: step.uri, line: step.line, character: step.character },
    children: [],
  };
}

function contextNode(ctx: WireContext, id: string, tone: IconTone): CallPathNode {
  const children = ctx.path.map((s, i) => stepNode(s, `${id}/${i}`));
  const origin = ctx.path[0];
  const label = plainText(ctx.description);
  return {
    id,
    kind: 'context',
    label,
    description: plural(ctx.path.length, 'step'),
    icon: CONTEXT_ICONS[ctx.kind] ?? 'circle-outline',
    tone,
    tooltip: `**${escapeMarkdown(CONTEXT_TEXT[ctx.kind] ?? ctx.kind)}**\n\n${inlineMarkdown(ctx.description)}`,
    accessibilityLabel: `${label} ${plural(ctx.path.length, 'step')}`,
    collapsible: children.length ? 'expanded' : 'none',
    location: origin ? { uri: origin.uri, line: origin.line, character: origin.character } : undefined,
    children,
  };
}

function siteNode(site: WireAllocationSite, uri: string, id: string): CallPathNode {
  const tone = worstTone(site.findings);
  // A context is coloured by the findings that name its kind's rules; fall back to the site's tone.
  const children = site.contexts.map((c, i) => contextNode(c, `${id}/${i}:${c.kind}`, contextTone(c, site.findings) ?? undefined));
  const label = siteLabel(site);
  const description = siteDescription(site);
  return {
    id,
    kind: 'site',
    label,
    description,
    icon: SITE_ICONS[classifySite(site)],
    tone,
    tooltip: siteTooltip(site, uri),
    accessibilityLabel: `${label} ${description}${site.findings.length ? ', ' + plural(site.findings.length, 'finding') : ''}`,
    // Sites with findings open on their witness paths; clean sites stay folded.
    collapsible: !children.length ? 'none' : site.findings.length ? 'expanded' : 'collapsed',
    location: { uri, line: site.line, character: site.character },
    children,
  };
}

const RULES_BY_CONTEXT: Record<WireContext['kind'], string[]> = {
  atomic: ['atomic-alloc', 'atomic-sleep'],
  noio: ['noio-alloc', 'scope-lost'],
  nofs: ['nofs-alloc', 'scope-lost'],
};

function contextTone(ctx: WireContext, findings: readonly WireFinding[]): IconTone {
  const rules = RULES_BY_CONTEXT[ctx.kind] ?? [];
  return worstTone(findings.filter((f) => rules.includes(f.rule)));
}

/** Options for buildCallPathTree. */
export interface BuildOptions {
  /** Prefix for node ids (e.g. the document URI) so two files never share ids. */
  idPrefix?: string;
}

/**
 * Builds the tree: functions (in order of their first allocation), their sites (by position), each
 * site's contexts, each context's witness path steps. Never throws on odd input (missing arrays are empty).
 */
export function buildCallPathTree(result: AllocationSitesResult, options: BuildOptions = {}): CallPathNode[] {
  const prefix = options.idPrefix ?? result.uri;
  const sites = [...(result.sites ?? [])]
    .map((s) => ({ ...s, contexts: s.contexts ?? [], findings: s.findings ?? [], effective: s.effective ?? [] }))
    .sort((a, b) => a.line - b.line || a.character - b.character);
  const byFunction = new Map<string, WireAllocationSite[]>();
  for (const s of sites) {
    const list = byFunction.get(s.function);
    if (list) list.push(s); else byFunction.set(s.function, [s]);
  }
  const roots: CallPathNode[] = [];
  for (const [fn, fnSites] of byFunction) {
    const fnId = `${prefix}#${fn}`;
    // Ids count occurrences of the same callee in the function, so they survive edits that move lines.
    const seen = new Map<string, number>();
    const children = fnSites.map((s) => {
      const n = seen.get(s.callee) ?? 0;
      seen.set(s.callee, n + 1);
      return siteNode(s, result.uri, `${fnId}/${s.callee}#${n}`);
    });
    const tone = worstOf(children.map((c) => c.tone));
    const findings = fnSites.reduce((n, s) => n + s.findings.length, 0);
    const description = plural(fnSites.length, 'allocation') + (findings ? ` · ${plural(findings, 'finding')}` : '');
    roots.push({
      id: fnId,
      kind: 'function',
      label: `${fn}()`,
      description,
      icon: 'symbol-function',
      tone,
      tooltip: `${code(fn + '()')}: ${escapeMarkdown(description)}`,
      accessibilityLabel: `${fn}() ${description}`,
      collapsible: 'expanded',
      location: { uri: result.uri, line: fnSites[0].line, character: fnSites[0].character },
      children,
    });
  }
  return roots;
}

/** Parent lookup for TreeView.reveal: node id -> parent node. */
export function parentIndex(roots: readonly CallPathNode[]): Map<string, CallPathNode> {
  const parents = new Map<string, CallPathNode>();
  const walk = (n: CallPathNode) => { for (const c of n.children) { parents.set(c.id, n); walk(c); } };
  roots.forEach(walk);
  return parents;
}

/** True for documents GFP Lens analyses: C sources and headers on disk (headers have language id cpp). */
export function isGfpDocument(scheme: string, fileName: string, languageId: string): boolean {
  if (scheme !== 'file') return false;
  return /\.[ch]$/i.test(fileName) || languageId === 'c';
}
