// Finds the C sources under workspace roots (with exclusions, symlink-loop safety and clear notes for
// what it skips) and feeds them to the engine, reporting progress and honouring cancellation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from './engine';
import type { EngineProblem } from './types';

export const DEFAULT_EXCLUDES = ['tools', 'Documentation', 'scripts', '.git', 'node_modules'];
export interface IndexProgress { done: number; total: number }
export interface IndexOptions {
  exclude?: string[];
  onProgress?: (p: IndexProgress) => void;
  /** Set cancelled = true to stop early. */
  token?: { cancelled: boolean };
  /** Skip files already summarized (e.g. open documents). */
  skip?: (file: string) => boolean;
}
export interface IndexResult { files: number; skipped: EngineProblem[]; cancelled: boolean }

function excluded(rel: string, name: string, exclude: string[]): boolean {
  for (const e of exclude) {
    if (!e) continue;
    if (e === name || e === rel || rel.startsWith(e.endsWith('/') ? e : e + '/')) return true;
  }
  return false;
}

/** Every .c/.h file under the roots (a root may itself be a file), sorted; unreadable entries become problems. */
export function listSourceFiles(roots: string[], exclude: string[] = DEFAULT_EXCLUDES): { files: string[]; problems: EngineProblem[] } {
  const files: string[] = [];
  const problems: EngineProblem[] = [];
  const seen = new Set<string>();
  const walk = (dir: string, root: string) => {
    let real: string;
    try { real = fs.realpathSync(dir); } catch (e) { problems.push({ file: dir, message: `cannot resolve: ${(e as Error).message}` }); return; }
    if (seen.has(real)) { problems.push({ file: dir, message: 'directory already visited (symlink loop or duplicate): skipped' }); return; }
    seen.add(real);
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (e) { problems.push({ file: dir, message: `cannot read directory: ${(e as Error).message}` }); return; }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const full = path.join(dir, ent.name);
      const rel = path.relative(root, full);
      if (excluded(rel, ent.name, exclude)) continue;
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try { const st = fs.statSync(full); isDir = st.isDirectory(); isFile = st.isFile(); } catch { problems.push({ file: full, message: 'broken symlink: skipped' }); continue; }
      }
      if (isDir) walk(full, root);
      else if (isFile && /\.[ch]$/.test(ent.name)) files.push(full);
    }
  };
  for (const r of roots) {
    const abs = path.resolve(r);
    let st: fs.Stats;
    try { st = fs.statSync(abs); } catch (e) { problems.push({ file: abs, message: `cannot read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}` }); continue; }
    if (st.isDirectory()) walk(abs, abs);
    else if (st.isFile()) files.push(abs);
  }
  return { files: [...new Set(files)], problems };
}

/** Reads a source file as text; undefined with a note when it cannot be read. */
export function readSource(file: string, maxBytes: number, problems: EngineProblem[]): string | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) { problems.push({ file, message: 'not a regular file: skipped' }); return undefined; }
    if (st.size > maxBytes) { problems.push({ file, message: `file is ${Math.round(st.size / 1024)} KiB, over the ${Math.round(maxBytes / 1024)} KiB limit: skipped` }); return undefined; }
    const buf = fs.readFileSync(file);
    if (buf.subarray(0, 8192).includes(0)) { problems.push({ file, message: 'binary file (NUL bytes): skipped' }); return undefined; }
    return buf.toString('utf8');
  } catch (e) {
    problems.push({ file, message: `cannot read: ${(e as Error).message}` });
    return undefined;
  }
}

export async function indexTree(engine: Engine, roots: string[], options: IndexOptions = {}): Promise<IndexResult> {
  const { files, problems } = listSourceFiles(roots, options.exclude ?? DEFAULT_EXCLUDES);
  const max = engine.options.maxFileBytes ?? 2 * 1024 * 1024;
  let done = 0;
  let lastReport = 0;
  for (const file of files) {
    if (options.token?.cancelled) return { files: done, skipped: problems, cancelled: true };
    if (!options.skip?.(file)) {
      const text = readSource(file, max, problems);
      if (text !== undefined) engine.indexText(file, text);
    }
    done++;
    if (done - lastReport >= 50 || done === files.length) {
      lastReport = done;
      options.onProgress?.({ done, total: files.length });
      await new Promise((r) => setImmediate(r));
    }
  }
  return { files: done, skipped: problems, cancelled: false };
}
