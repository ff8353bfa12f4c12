// Process-wide memory tuning shared by the language server, the CLI and the benchmark: the V8 heap growing factor
// (set at startup) and the malloc arena limit (only settable in the environment a process is started with).
import * as v8 from 'node:v8';

/**
 * V8 grows the heap by a factor it picks between 1.1 and 4 after each full collection, high when collection is fast.
 * Our heap is mostly long-lived index data (~0.6 GB for a kernel tree before the analysis, ~1.2 GB after), so a
 * high factor means no full collection during a whole-tree analysis and all its garbage on top of the peak. A fixed
 * 1.6 cut the peak RSS of indexing + analysing the kernel from 1,626 to 1,551 MB at the same speed (measured;
 * 1.2 was no lower and slower).
 */
export const HEAP_GROWING_PERCENT = 60;

export function tuneHeap(): void {
  try { v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`); } catch { /* not a V8 that has it: defaults */ }
}

/**
 * glibc gives each thread that allocates its own malloc arena and keeps the arenas' freed memory after the thread
 * is gone. The indexing workers (file buffers, messages) left ~90 MB of such memory in the process for its whole
 * life on a kernel tree; with one arena it goes back to the system (peak RSS of index + analysis 1,607 -> 1,516 MiB,
 * cold indexing of fs/ and net/ as fast: measured). The native parser's threads keep their own freed blocks
 * (server/native/parse_alloc.c), so they rarely take the one arena's lock: without that cache two workers parsed at
 * half speed on it (measured). Other C libraries ignore the variable. A value the user set wins.
 */
export function serverProcessEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, MALLOC_ARENA_MAX: base.MALLOC_ARENA_MAX ?? '1' };
}
