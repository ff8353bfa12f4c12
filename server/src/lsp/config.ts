// Reads the `gfpLens` settings section and maps it to EngineOptions plus the index excludes.
// Tolerant: anything malformed is ignored with a note, never an exception.
import { DEFAULT_EXCLUDES, RULES } from '../engine';
import type { Confidence, ContextKind, EngineOptions, RuleId, Severity } from '../engine';

export interface ServerSettings {
  engine: EngineOptions;
  /** Directory names/paths skipped when indexing (the user's list, else the defaults; .git and node_modules always). */
  exclude: string[];
  /** Indexing: worker threads (0 = one per core) and the summary cache folder ('' = the client's storage). */
  index: { workers?: number; cachePath?: string };
  /** Human notes about ignored settings. */
  notes: string[];
}

const ALWAYS_EXCLUDED = ['.git', 'node_modules'];
const SEVERITIES: Severity[] = ['error', 'warning', 'info', 'hint'];
const CONFIDENCES: Confidence[] = ['high', 'medium', 'low'];
const CONTEXTS: ContextKind[] = ['atomic', 'noio', 'nofs'];

function isObject(v: unknown): v is Record<string, unknown> { return typeof v === 'object' && v !== null && !Array.isArray(v); }

export function parseSettings(raw: unknown): ServerSettings {
  const notes: string[] = [];
  const engine: EngineOptions = {};
  const exclude = [...DEFAULT_EXCLUDES];
  const s = isObject(raw) ? raw : {};

  if (isObject(s.rules)) {
    const disabled: RuleId[] = [];
    const severities: Partial<Record<RuleId, Severity>> = {};
    for (const [id, value] of Object.entries(s.rules)) {
      if (!Object.prototype.hasOwnProperty.call(RULES, id)) { notes.push(`unknown rule '${id}' in gfpLens.rules`); continue; }
      const v = typeof value === 'string' ? value.toLowerCase() : value;
      if (v === 'off' || v === false) disabled.push(id as RuleId);
      else if (v === 'information') severities[id as RuleId] = 'info';
      else if (typeof v === 'string' && (SEVERITIES as string[]).includes(v)) severities[id as RuleId] = v as Severity;
      else if (v !== 'on' && v !== true && v !== 'default') notes.push(`gfpLens.rules.${id}: expected "off" or a severity`);
    }
    if (disabled.length) engine.disabledRules = disabled;
    if (Object.keys(severities).length) engine.severities = severities;
  }

  if (isObject(s.extraAllocators)) {
    const out: Record<string, number> = {};
    for (const [name, idx] of Object.entries(s.extraAllocators)) {
      if (typeof idx === 'number' && Number.isInteger(idx) && idx >= -1) out[name] = idx;
      else notes.push(`gfpLens.extraAllocators.${name}: expected an argument index (>= -1)`);
    }
    if (Object.keys(out).length) engine.extraAllocators = out;
  }

  // extraRoots: { "fn": "atomic" } or [{ "function": "fn", "context": "atomic" }].
  const roots: Record<string, ContextKind> = {};
  if (isObject(s.extraRoots)) {
    for (const [name, kind] of Object.entries(s.extraRoots)) {
      if (typeof kind === 'string' && (CONTEXTS as string[]).includes(kind)) roots[name] = kind as ContextKind;
      else notes.push(`gfpLens.extraRoots.${name}: expected one of ${CONTEXTS.join(', ')}`);
    }
  } else if (Array.isArray(s.extraRoots)) {
    for (const r of s.extraRoots) {
      const name = isObject(r) ? (r.function ?? r.name) : undefined;
      const kind = isObject(r) ? (r.context ?? r.kind) : undefined;
      if (typeof name === 'string' && typeof kind === 'string' && (CONTEXTS as string[]).includes(kind)) roots[name] = kind as ContextKind;
      else notes.push('gfpLens.extraRoots: each entry needs "function" and "context"');
    }
  }
  if (Object.keys(roots).length) engine.extraRoots = roots;

  // A given list replaces the defaults (so "tools" can be indexed), but .git and node_modules stay out.
  if (Array.isArray(s.exclude)) {
    exclude.length = 0;
    for (const e of [...s.exclude, ...ALWAYS_EXCLUDED]) if (typeof e === 'string' && e.trim() && !exclude.includes(e.trim())) exclude.push(e.trim());
  }
  if (typeof s.minConfidence === 'string' && (CONFIDENCES as string[]).includes(s.minConfidence)) engine.minConfidence = s.minConfidence as Confidence;
  if (typeof s.maxFileSizeKB === 'number' && s.maxFileSizeKB > 0) engine.maxFileBytes = Math.round(s.maxFileSizeKB * 1024);

  const index: ServerSettings['index'] = {};
  if (typeof s.workers === 'number' && Number.isInteger(s.workers) && s.workers >= 0) index.workers = s.workers;
  if (typeof s.cachePath === 'string' && s.cachePath.trim()) index.cachePath = s.cachePath.trim();

  return { engine, exclude, index, notes };
}

export function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
