// Loads the optional native parser (server/native/flat_tree.c, built into dist/flat-tree.node by
// scripts/build-native.mjs). Whole-file summaries parse with it when it loads: it returns the tree as one array
// (flatTree.ts) that the summarizer reads without a WebAssembly call per node (summarizing the whole kernel on one
// thread: 477 -> 290 s of CPU, same summaries).
// When it is absent, fails to load, or GFP_LENS_NATIVE=0, everything uses web-tree-sitter and only speed differs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { FlatGrammar, FlatTree } from './flatTree';

export const NATIVE_FILE = 'flat-tree.node';

interface Addon {
  parse(text: string): number;
  parseFlat(text: string): Int32Array;
  language(): { symbols: string[]; fields: string[] };
  trim(): boolean;
  threadCache(bytes: number): boolean;
}

/**
 * Freed parser memory a worker thread keeps for its next parses (parse_alloc.c): with it the workers hardly ever
 * take malloc's lock, so the server can run on one malloc arena (heap.ts) without slowing parsing down.
 */
export const WORKER_PARSE_CACHE_BYTES = 32 * 1024 * 1024;

export interface NativeParser {
  /** Parses and frees the tree (parse-only timing). */
  parseOnly(text: string): void;
  parseFlat(text: string): FlatTree;
}

let cached: { parser: NativeParser | null; note: string; addon?: Addon } | undefined;

function candidates(): string[] {
  return [path.join(__dirname, NATIVE_FILE), path.join(__dirname, '..', NATIVE_FILE), path.join(__dirname, '..', '..', '..', '..', 'dist', NATIVE_FILE)];
}

/** The native parser of this thread, or null (see nativeParserNote() for why). */
export function nativeParser(): NativeParser | null {
  if (cached) return cached.parser;
  if (process.env.GFP_LENS_NATIVE === '0') { cached = { parser: null, note: 'native parser disabled (GFP_LENS_NATIVE=0): web-tree-sitter' }; return null; }
  const file = candidates().find((c) => fs.existsSync(c));
  cached = file ? loadNativeParser(file) : { parser: null, note: `native parser not built (${NATIVE_FILE}): web-tree-sitter` };
  return cached.parser;
}

/** Loads the module at `file`; a file that does not load (another platform, damaged) gives a null parser and why. */
export function loadNativeParser(file: string): { parser: NativeParser | null; note: string; addon?: Addon } {
  try {
    const addon = createRequire(__filename)(file) as Addon;
    if (!isMainThread) addon.threadCache(WORKER_PARSE_CACHE_BYTES);
    const lang = addon.language();
    const grammar = new FlatGrammar(lang.symbols, lang.fields);
    return {
      parser: { parseOnly: (text) => { addon.parse(text); }, parseFlat: (text) => new FlatTree(addon.parseFlat(text), grammar) },
      note: `native parser: ${file}`,
      addon,
    };
  } catch (e) {
    return { parser: null, note: `native parser did not load (${(e as Error).message.split('\n')[0]}): web-tree-sitter` };
  }
}

/** Which parser whole-file summaries use, and why. */
export function nativeParserNote(): string {
  nativeParser();
  return cached!.note;
}

/**
 * Gives memory that threads freed back to the system (glibc malloc_trim: all arenas), through the native module;
 * false when it is not loaded. Called when indexing workers are gone (pool.ts).
 */
export function releaseFreedMemory(): boolean {
  if (!nativeParser() || !cached?.addon) return false;
  try { return cached.addon.trim(); } catch { return false; }
}
