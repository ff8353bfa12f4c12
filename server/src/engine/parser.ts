// The one module that parses: loads web-tree-sitter + the C grammar (WASM) once, and parses kernel C after
// offset-preserving blanking (blank.ts); whole-file summaries go to the native parser when it loads
// (nativeParser.ts: same trees, flat). Callers must delete() trees.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tree, Node, Language as LanguageT } from 'web-tree-sitter';
import { nativeParser, type NativeParser } from './nativeParser';
import type { SyntaxTree } from './syntaxNode';
// require() (not import) so bundlers pick the CommonJS build of web-tree-sitter.
import WebTreeSitter = require('web-tree-sitter');
const { Parser, Language } = WebTreeSitter;
type Language = LanguageT;
type Parser = InstanceType<typeof WebTreeSitter.Parser>;

export type { Tree, Node };

let ready: Promise<Language> | null = null;

/** Finds a wasm file next to the bundle (dist/) or in node_modules (tests, tsc output). */
function locate(file: string, pkgPath: string): string {
  const candidates = [path.join(__dirname, file), path.join(__dirname, '..', file), path.join(__dirname, '..', '..', '..', 'dist', file)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return require.resolve(pkgPath);
}

export function loadLanguage(): Promise<Language> {
  if (!ready) {
    ready = (async () => {
      const runtime = locate('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm');
      await Parser.init({ locateFile: () => runtime } as object);
      return Language.load(fs.readFileSync(locate('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm')));
    })();
  }
  return ready;
}

/** A parser bound to the C grammar; one per thread. */
export class CParser {
  private parser: Parser;
  /** The native parser whole-file summaries use, or null for web-tree-sitter (see nativeParser.ts). */
  readonly native: NativeParser | null;
  constructor(language: Language, options: ParserOptions = {}) {
    this.parser = new Parser();
    this.parser.setLanguage(language);
    this.native = options.native === false ? null : nativeParser();
  }
  /** Parses already-blanked text. Returns null if tree-sitter gives up (it never should). */
  parse(blanked: string, oldTree?: Tree | null): Tree | null {
    return this.parser.parse(blanked, oldTree ?? null);
  }
  /** Parses already-blanked text for a whole-file summary: with the native parser when it loads (a flat tree). */
  parseForSummary(blanked: string): SyntaxTree | null {
    return this.native ? this.native.parseFlat(blanked) : this.parse(blanked);
  }
  /** Parses and frees the tree, with the parser parseForSummary uses (parse-only timing). */
  parseOnly(blanked: string): void {
    if (this.native) this.native.parseOnly(blanked);
    else this.parse(blanked)?.delete();
  }
  /**
   * Parses only [start, end) of a document whose text there is `slice` (already blanked); node positions are those of
   * the whole document. `startPoint`/`endPoint` are the row and column of `start` and `end`.
   */
  parseRange(slice: string, start: number, startPoint: { row: number; column: number }, endPoint: { row: number; column: number }): Tree | null {
    const end = start + slice.length;
    return this.parser.parse((index: number) => (index >= start && index < end ? slice.slice(index - start) : ''), null, {
      includedRanges: [{ startIndex: start, endIndex: end, startPosition: startPoint, endPosition: endPoint }],
    });
  }
  delete(): void { this.parser.delete(); }
}

export interface ParserOptions {
  /** false: whole-file summaries parse with web-tree-sitter even when the native parser loads (tests compare both). */
  native?: boolean;
}

export async function createParser(options: ParserOptions = {}): Promise<CParser> {
  return new CParser(await loadLanguage(), options);
}
