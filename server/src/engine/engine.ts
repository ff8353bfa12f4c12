// The engine facade: holds per-file summaries, runs the global analysis lazily, answers queries.
import type { AllocationInfo, EngineOptions, EngineProblem, Finding, FunctionInfo, HoverResult } from './types';

export class Engine {
  constructor(public options: EngineOptions = {}) {}
  /** Replace settings; the next query re-analyses. */
  setOptions(options: EngineOptions): void { this.options = options; }
  /** (Re)summarize one file from its text. Never throws on bad input. */
  updateFile(file: string, text: string): void { void file; void text; throw new Error('not implemented yet'); }
  removeFile(file: string): void { void file; }
  files(): string[] { return []; }
  /** Findings of one file, or of all files. */
  findings(file?: string): Finding[] { void file; return []; }
  /** Allocation sites of a file; with offset, only those in the function containing it. */
  allocations(file: string, offset?: number): AllocationInfo[] { void file; void offset; return []; }
  hover(file: string, offset: number): HoverResult | null { void file; void offset; return null; }
  functionAt(file: string, offset: number): FunctionInfo | null { void file; void offset; return null; }
  problems(): EngineProblem[] { return []; }
  dispose(): void {}
}

export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return new Engine(options);
}
