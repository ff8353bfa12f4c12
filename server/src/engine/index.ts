// Public face of the GFP-context engine: the only module the LSP server, the CLI and the tests import.
// Files are identified by absolute path; texts are JS strings; results are plain data (types.ts).
export * from './types';
export { Engine, createEngine } from './engine';
export { indexTree, listSourceFiles, listSourceFilesAsync, DEFAULT_EXCLUDES } from './workspace';
export type { IndexProgress, IndexResult, IndexOptions } from './workspace';
export type { IndexStats } from './workspace';
export { contentHash, defaultCacheDir, removeOldCacheLayout } from './cache';
export { describeCompaction, maintainCache } from './cacheCompaction';
export type { CompactionReport } from './cacheCompaction';
export { buildSnapshot, engineFingerprint, readSnapshot, snapshotKey, snapshotPath, verifySnapshot, writeSnapshot } from './snapshot';
export type { FileStamp, Snapshot } from './snapshot';
export { nativeParserNote } from './nativeParser';
