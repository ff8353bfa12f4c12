// Entry point of dist/cli.js, the `gfp-lens` command: `check` analyses files/trees with the engine and
// prints findings (text/json/sarif); `lsp` runs the same language server as dist/server.js.
// Exit codes: 0 no error-severity finding, 1 at least one, 2 usage error or unreadable path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EXCLUDES, buildSnapshot, createEngine, defaultCacheDir, describeCompaction, indexTree, listSourceFiles, maintainCache, readSnapshot, removeOldCacheLayout, snapshotKey, snapshotPath, verifySnapshot, writeSnapshot } from '../engine';
import type { Engine, EngineProblem, FileStamp, Finding } from '../engine';
import { serverVersion, startServer } from '../lsp/server';
import { tuneHeap } from '../heap';
import { USAGE, UsageError, parseArgs } from './args';
import type { Command } from './args';
import { formatJson, formatSarif, formatText, rel, sortFindings } from './report';

class ExitError extends Error { constructor(message: string, public code: number) { super(message); } }

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'not a directory';
    case 'EISDIR': return 'is a directory';
    default: return err?.message ?? String(e);
  }
}

async function check(cmd: Extract<Command, { kind: 'check' }>): Promise<number> {
  const cwd = process.cwd();
  const dirs: string[] = [];
  const files: { file: string; text: string }[] = [];
  for (const p of cmd.paths) {
    const abs = path.resolve(cwd, p);
    try {
      const st = fs.statSync(abs);
      if (st.isDirectory()) { fs.readdirSync(abs); dirs.push(abs); }
      else files.push({ file: abs, text: fs.readFileSync(abs, 'utf8') });
    } catch (e) {
      throw new ExitError(`gfp-lens: cannot read ${p}: ${reason(e)}`, 2);
    }
  }

  const cacheDir = cmd.noCache ? undefined : cmd.cacheDir ?? defaultCacheDir();
  // Cache upkeep runs while we work and is awaited before the process exits (process.exit would cut it short).
  const upkeep: Array<Promise<unknown>> = [];
  if (cacheDir && fs.existsSync(path.join(cacheDir, 'summaries'))) {
    process.stderr.write(`gfp-lens: note: removing the summary cache of an older gfp-lens (${path.join(cacheDir, 'summaries')}), once\n`);
    upkeep.push(removeOldCacheLayout(cacheDir));
  }
  try {
    return await checkWith(cmd, cwd, dirs, files, cacheDir, upkeep);
  } finally {
    await Promise.all(upkeep);
  }
}

async function checkWith(cmd: Extract<Command, { kind: 'check' }>, cwd: string, dirs: string[], files: { file: string; text: string }[],
  cacheDir: string | undefined, upkeep: Array<Promise<unknown>>): Promise<number> {
  const exclude = [...DEFAULT_EXCLUDES, ...cmd.exclude];
  const ctx = { cwd, version: serverVersion() };
  const emit = async (findings: Finding[], analysed: number, skipped: EngineProblem[]): Promise<number> => {
    for (const s of skipped.slice(0, 20)) process.stderr.write(`gfp-lens: note: skipped ${rel(s.file, cwd)}: ${s.message}\n`);
    if (skipped.length > 20) process.stderr.write(`gfp-lens: note: ... and ${skipped.length - 20} more files skipped\n`);
    const out = cmd.format === 'json' ? formatJson(findings, ctx)
      : cmd.format === 'sarif' ? formatSarif(findings, ctx)
        : formatText(findings, ctx, analysed);
    await write(process.stdout, out);
    return findings.some(f => f.severity === 'error') ? 1 : 0;
  };

  // An unchanged tree gets the findings of the last run from the results snapshot (snapshot.ts).
  const listing = dirs.length ? listSourceFiles(dirs, exclude) : { files: [], problems: [] };
  const listed = [...new Set([...files.map(f => f.file), ...listing.files])];
  const key = snapshotKey([...dirs, ...files.map(f => f.file)], exclude, {});
  const snapFile = cacheDir ? snapshotPath(cacheDir, key) : undefined;
  if (snapFile) {
    const snap = readSnapshot(snapFile, key);
    const check = snap && verifySnapshot(snap, listed, { openText: f => files.find(x => x.file === f)?.text });
    if (snap && check && check.ok) {
      if (check.hashed > 0) writeSnapshot(snapFile, snap); // same contents, new mtimes (a fresh checkout): record them
      process.stderr.write(`gfp-lens: note: no file changed since ${snap.created}: findings of that run\n`);
      return emit(sortFindings(snap.findings), snap.analysed, snap.problems);
    }
  }

  let engine: Engine | undefined;
  try {
    engine = await createEngine({});
    const showProgress = cmd.progress && process.stderr.isTTY === true;
    let analysed = 0;
    for (const f of files) { engine.updateFile(f.file, f.text); analysed++; }
    let skipped: EngineProblem[] = [];
    let skippedStamps = new Map<string, FileStamp>();
    if (dirs.length > 0) {
      let last = 0;
      const result = await indexTree(engine, dirs, {
        exclude,
        listing,
        cacheDir,
        onProgress: showProgress ? p => {
          const now = Date.now();
          if (now - last < 100 && p.done < p.total) return;
          last = now;
          process.stderr.write(`\rgfp-lens: indexing ${p.done}/${p.total}\x1b[K`);
        } : undefined,
      });
      if (showProgress) process.stderr.write('\r\x1b[K');
      analysed += result.files;
      if (cacheDir && result.hashes && !result.cancelled) {
        upkeep.push(maintainCache(cacheDir, { extraAllocators: engine.options.extraAllocators }, dirs, result.hashes).then((r) => {
          if (r.compacted || /failed/.test(r.note ?? '')) process.stderr.write(`gfp-lens: note: ${describeCompaction(r)}\n`);
        }));
      }
      skipped = result.skipped;
      skippedStamps = result.skippedStamps;
    }
    const findings: Finding[] = sortFindings(engine.findings());
    if (snapFile) {
      const snap = buildSnapshot(key, listed, engine, skippedStamps, findings, skipped, analysed);
      if (snap) writeSnapshot(snapFile, snap);
    }
    return await emit(findings, analysed, skipped);
  } finally {
    try { engine?.dispose(); } catch { /* exiting anyway */ }
  }
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise(resolve => { stream.write(text, () => resolve()); });
}

export async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      await write(process.stderr, `gfp-lens: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  switch (cmd.kind) {
    case 'help': await write(process.stdout, USAGE + '\n'); return 0;
    case 'version': await write(process.stdout, `gfp-lens ${serverVersion()}\n`); return 0;
    case 'lsp': startServer({ stdio: true }); return -1; // keeps running until the client exits
    case 'check':
      try {
        return await check(cmd);
      } catch (e) {
        if (e instanceof ExitError) { await write(process.stderr, e.message + '\n'); return e.code; }
        throw e;
      }
  }
}

tuneHeap();
main(process.argv.slice(2)).then(code => {
  if (code >= 0) process.exit(code);
}, async e => {
  await write(process.stderr, `gfp-lens: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(3);
});
