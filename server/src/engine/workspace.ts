// Finds the C sources under workspace roots and feeds them to the engine.
import type { Engine } from './engine';
import type { EngineProblem } from './types';

export const DEFAULT_EXCLUDES = ['tools', 'Documentation', 'scripts', '.git', 'node_modules'];
export interface IndexProgress { done: number; total: number }
export interface IndexOptions {
  exclude?: string[];
  onProgress?: (p: IndexProgress) => void;
  /** Set cancelled = true to stop early. */
  token?: { cancelled: boolean };
}
export interface IndexResult { files: number; skipped: EngineProblem[]; cancelled: boolean }

export function listSourceFiles(roots: string[], exclude: string[] = DEFAULT_EXCLUDES): { files: string[]; problems: EngineProblem[] } {
  void roots; void exclude; return { files: [], problems: [] };
}
export async function indexTree(engine: Engine, roots: string[], options: IndexOptions = {}): Promise<IndexResult> {
  void engine; void roots; void options; return { files: 0, skipped: [], cancelled: false };
}
