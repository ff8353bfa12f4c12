// Evaluates a C flags expression (tree-sitter node) to the set of GFP values it may take:
// names, `|`, `& ~mask`, `?:` (tagged by the request flag it tests), casts, locals assigned in the
// function, parameters (symbolic), and simple #defines of the file. Unknown stays unknown.
import type { SyntaxNode as Node } from './syntaxNode';
import { GFP_NAMES, NO_BITS, or, minus, type Bits, type GfpAlt } from './gfp';

export interface EvalEnv {
  src: string;
  /** gfp-typed (or gfp-named) parameters by name -> index. */
  params: Map<string, number>;
  /** Local variable -> value nodes assigned to it anywhere in the function. */
  locals: Map<string, Node[]>;
  /** #define NAME body (text) of the file and, in the global phase, of headers. */
  defines: Record<string, string>;
}

const MAX_ALTS = 8;

function textOf(env: EvalEnv, n: Node): string { return env.src.slice(n.startIndex, n.endIndex); }

function unknown(name: string): GfpAlt { return { name, unknown: true }; }

/** Cartesian combination with a cap. */
function combine(a: GfpAlt[], b: GfpAlt[], f: (x: GfpAlt, y: GfpAlt) => GfpAlt): GfpAlt[] {
  const out: GfpAlt[] = [];
  for (const x of a) for (const y of b) { if (out.length < MAX_ALTS) out.push(f(x, y)); }
  return out;
}

function orAlt(x: GfpAlt, y: GfpAlt, name: string): GfpAlt {
  const cond = x.cond ?? y.cond;
  if (x.bits && y.bits) return { name, bits: or(x.bits, y.bits), cond };
  if (x.param !== undefined && y.bits) return { name, param: x.param, clear: x.clear, add: or(x.add ?? NO_BITS, y.bits), cond };
  if (y.param !== undefined && x.bits) return { name, param: y.param, clear: y.clear, add: or(y.add ?? NO_BITS, x.bits), cond };
  return { name, unknown: true, cond };
}

function clearAlt(x: GfpAlt, mask: Bits, name: string): GfpAlt {
  if (x.bits) return { name, bits: minus(x.bits, mask), cond: x.cond };
  if (x.param !== undefined) return { name, param: x.param, clear: or(x.clear ?? NO_BITS, mask), add: minus(x.add ?? NO_BITS, mask), cond: x.cond };
  return { ...x, name };
}

/** A request flag tested by a condition, e.g. CRYPTO_TFM_REQ_MAY_SLEEP. */
export function requestFlagIn(condText: string): string | undefined {
  const m = /\b([A-Z0-9_]*MAY_SLEEP)\b/.exec(condText);
  return m ? m[1] : undefined;
}

/** Evaluates the text of a #define body (a `|`-list of names, optionally `& ~name`). */
export function evalDefineText(text: string, defines: Record<string, string>, depth = 0): Bits | undefined {
  if (depth > 5) return undefined;
  const t = text.replace(/[()]/g, ' ').trim();
  const [pos, ...negs] = t.split('&');
  let bits: Bits = NO_BITS;
  for (const part of pos.split('|')) {
    const name = part.trim().replace(/^\(gfp_t\)|^\(__force gfp_t\)/, '').trim();
    if (!name) continue;
    const b = GFP_NAMES[name] ?? (defines[name] !== undefined ? evalDefineText(defines[name], defines, depth + 1) : undefined);
    if (!b) return undefined;
    bits = or(bits, b);
  }
  for (const n of negs) {
    const m = /~\s*(.*)/.exec(n.trim());
    if (!m) return undefined;
    const mask = evalDefineText(m[1], defines, depth + 1);
    if (!mask) return undefined;
    bits = minus(bits, mask);
  }
  return bits;
}

export function evalGfp(env: EvalEnv, n: Node | null, seen: Set<string> = new Set()): GfpAlt[] {
  if (!n) return [unknown('?')];
  const name = textOf(env, n).replace(/\s+/g, ' ');
  switch (n.type) {
    case 'identifier': {
      const b = GFP_NAMES[name];
      if (b) return [{ name, bits: b }];
      const p = env.params.get(name);
      if (p !== undefined && !env.locals.has(name)) return [{ name, param: p }];
      const vals = env.locals.get(name);
      if (vals && !seen.has(name)) {
        seen.add(name);
        const out: GfpAlt[] = [];
        for (const v of vals) for (const a of evalGfp(env, v, seen)) if (out.length < MAX_ALTS) out.push(a);
        if (p !== undefined && out.length < MAX_ALTS) out.push({ name, param: p });
        seen.delete(name);
        if (out.length) return out;
      }
      if (p !== undefined) return [{ name, param: p }];
      const def = env.defines[name];
      if (def !== undefined) {
        const bits = evalDefineText(def, env.defines);
        if (bits) return [{ name, bits }];
      }
      return [unknown(name)];
    }
    case 'number_literal':
      return name === '0' ? [{ name: '0', bits: NO_BITS }] : [unknown(name)];
    case 'parenthesized_expression':
    case 'cast_expression':
      return evalGfp(env, n.childForFieldName('value') ?? n.namedChildren[n.namedChildren.length - 1], seen);
    case 'binary_expression': {
      const op = n.childForFieldName('operator')?.type ?? '';
      const l = n.childForFieldName('left');
      const r = n.childForFieldName('right');
      if (op === '|') return combine(evalGfp(env, l, seen), evalGfp(env, r, seen), (x, y) => orAlt(x, y, name));
      if (op === '&') {
        const left = evalGfp(env, l, seen);
        if (r && r.type === 'unary_expression' && env.src[r.startIndex] === '~') {
          const masks = evalGfp(env, r.childForFieldName('argument'), seen);
          if (masks.length === 1 && masks[0].bits) return left.map((x) => clearAlt(x, masks[0].bits!, name));
          return left.map((x) => ({ ...x, name, unknown: x.unknown || !x.bits }));
        }
        return left.map((x) => ({ ...x, name }));
      }
      return [unknown(name)];
    }
    case 'conditional_expression': {
      const cond = n.childForFieldName('condition');
      const condText = cond ? textOf(env, cond) : '';
      const flag = requestFlagIn(condText) ?? `?:${condText.replace(/\s+/g, ' ').slice(0, 60)}`;
      const negated = /^\s*\(?\s*!/.test(condText);
      const yes = evalGfp(env, n.childForFieldName('consequence'), seen).map((a) => ({ ...a, cond: a.cond ?? { flag, value: !negated } }));
      const no = evalGfp(env, n.childForFieldName('alternative'), seen).map((a) => ({ ...a, cond: a.cond ?? { flag, value: negated } }));
      return [...yes, ...no].slice(0, MAX_ALTS);
    }
    default:
      return [unknown(name)];
  }
}

/** True when a request-flag condition is a real request bit (as opposed to an opaque `?:` test). */
export function isRequestFlag(flag: string): boolean { return !flag.startsWith('?:'); }
