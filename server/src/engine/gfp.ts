// Symbolic GFP flags: the three bits that matter (may sleep = __GFP_DIRECT_RECLAIM, __GFP_IO, __GFP_FS),
// named values, and the value sets that flag expressions evaluate to. Never numbers: high bits vary by config.
import { nameTable } from './nameTable';

export interface Bits { sleep: boolean; io: boolean; fs: boolean }

/** One possible value of a flags expression. */
export interface GfpAlt {
  /** Display text, e.g. "GFP_KERNEL", "gfp & ~__GFP_FS". */
  name: string;
  /** Known bits; undefined when the value depends on a parameter or is unknown. */
  bits?: Bits;
  /** The value is parameter #param of the enclosing function, with these bits cleared / added. */
  param?: number;
  clear?: Bits;
  add?: Bits;
  /** The value is only taken when a request flag (e.g. CRYPTO_TFM_REQ_MAY_SLEEP) is set (true) / clear (false). */
  cond?: { flag: string; value: boolean };
  unknown?: boolean;
}

const B = (sleep: boolean, io: boolean, fs: boolean): Bits => ({ sleep, io, fs });
export const NO_BITS: Bits = B(false, false, false);

/** Named flags and masks, by the bits they carry. */
export const GFP_NAMES: Record<string, Bits> = nameTable({
  GFP_KERNEL: B(true, true, true), GFP_KERNEL_ACCOUNT: B(true, true, true), GFP_USER: B(true, true, true),
  GFP_HIGHUSER: B(true, true, true), GFP_HIGHUSER_MOVABLE: B(true, true, true), GFP_TRANSHUGE: B(true, true, true),
  GFP_NOFS: B(true, true, false), GFP_NOIO: B(true, false, false),
  GFP_ATOMIC: B(false, false, false), GFP_NOWAIT: B(false, false, false), GFP_TRANSHUGE_LIGHT: B(false, false, false),
  GFP_DMA: B(false, false, false), GFP_DMA32: B(false, false, false),
  __GFP_DIRECT_RECLAIM: B(true, false, false), __GFP_RECLAIM: B(true, false, false), __GFP_IO: B(false, true, false),
  __GFP_FS: B(false, false, true), __GFP_KSWAPD_RECLAIM: NO_BITS, __GFP_HIGH: NO_BITS, __GFP_ZERO: NO_BITS,
  __GFP_NOWARN: NO_BITS, __GFP_NOFAIL: NO_BITS, __GFP_NORETRY: NO_BITS, __GFP_RETRY_MAYFAIL: NO_BITS,
  __GFP_COMP: NO_BITS, __GFP_ACCOUNT: NO_BITS, __GFP_DMA: NO_BITS, __GFP_DMA32: NO_BITS, __GFP_HIGHMEM: NO_BITS,
  __GFP_MOVABLE: NO_BITS, __GFP_RECLAIMABLE: NO_BITS, __GFP_NOMEMALLOC: NO_BITS, __GFP_MEMALLOC: NO_BITS,
  __GFP_THISNODE: NO_BITS, __GFP_HARDWALL: NO_BITS, __GFP_WRITE: NO_BITS, __GFP_NOLOCKDEP: NO_BITS,
  __GFP_ZEROTAGS: NO_BITS, __GFP_SKIP_ZERO: NO_BITS, __GFP_SKIP_KASAN: NO_BITS, __GFP_NO_OBJ_EXT: NO_BITS,
  GFP_ZONEMASK: NO_BITS, GFP_RECLAIM_MASK: B(true, true, true), GFP_MOVABLE_MASK: NO_BITS,
});

export const or = (a: Bits, b: Bits): Bits => B(a.sleep || b.sleep, a.io || b.io, a.fs || b.fs);
export const minus = (a: Bits, b: Bits): Bits => B(a.sleep && !b.sleep, a.io && !b.io, a.fs && !b.fs);

/** Canonical name for a bit pattern, for "effectively GFP_NOIO" texts. */
export function bitsName(b: Bits): string {
  if (b.sleep && b.io && b.fs) return 'GFP_KERNEL';
  if (b.sleep && b.io) return 'GFP_NOFS';
  if (b.sleep) return 'GFP_NOIO';
  return 'GFP_NOWAIT';
}

/** Applies the task's memalloc scope (current_gfp_context): NOIO clears IO|FS, NOFS clears FS. */
export function applyScope(b: Bits, scope: 'noio' | 'nofs' | 'none'): Bits {
  if (scope === 'noio') return B(b.sleep, false, false);
  if (scope === 'nofs') return B(b.sleep, b.io, false);
  return b;
}

/** Substitutes a parameter-dependent alternative with the caller's argument value. */
export function substitute(alt: GfpAlt, arg: GfpAlt): GfpAlt {
  if (alt.param === undefined) return alt;
  const clear = alt.clear ?? NO_BITS; const add = alt.add ?? NO_BITS;
  const out: GfpAlt = { name: arg.name, cond: arg.cond ?? alt.cond };
  if (arg.bits) out.bits = or(minus(arg.bits, clear), add);
  else if (arg.param !== undefined) {
    out.param = arg.param; out.clear = or(arg.clear ?? NO_BITS, clear); out.add = or(minus(arg.add ?? NO_BITS, clear), add);
  } else out.unknown = true;
  if (clear.io || clear.fs || clear.sleep) out.name = `${arg.name} & ~${maskName(clear)}`;
  return out;
}

export function maskName(b: Bits): string {
  const parts: string[] = [];
  if (b.sleep) parts.push('__GFP_DIRECT_RECLAIM');
  if (b.io) parts.push('__GFP_IO');
  if (b.fs) parts.push('__GFP_FS');
  return parts.length === 1 ? parts[0] : `(${parts.join(' | ')})`;
}
