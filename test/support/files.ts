// Shared helpers for the unit tests: listing fixture sources and a seeded random generator.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Files under `dir` (recursively) whose names end with one of `exts`, sorted. */
export function sourceFiles(dir: string, exts: string[] = ['.c', '.h']): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(full, exts));
    else if (exts.some((x) => e.name.endsWith(x))) out.push(full);
  }
  return out.sort();
}

/** mulberry32: small, seedable, identical on every machine, so a failure names a reproducible case. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
