// Builds everything: esbuild bundles for the extension client, the language server, the CLI,
// the indexing worker and the benchmark (dist/), the optional native parser (dist/flat-tree.node, see
// build-native.mjs), plus a tsc compile of the tests (out/).
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
fs.mkdirSync(dist, { recursive: true });

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };
const entries = [
  ['client/src/extension.ts', 'extension.js', ['vscode']],
  ['server/src/lsp/main.ts', 'server.js', []],
  ['server/src/cli/main.ts', 'cli.js', []],
  ['server/src/engine/worker.ts', 'worker.js', []],
  ['scripts/bench.ts', 'bench.js', []],
];
await Promise.all(entries.filter(([src]) => fs.existsSync(path.join(root, src))).map(([src, out, external]) =>
  esbuild.build({ ...common, entryPoints: [path.join(root, src)], outfile: path.join(dist, out), external,
    banner: out === 'cli.js' ? { js: '#!/usr/bin/env node' } : undefined })));
if (fs.existsSync(path.join(dist, 'cli.js'))) fs.chmodSync(path.join(dist, 'cli.js'), 0o755);
for (const f of ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-c/tree-sitter-c.wasm']) {
  fs.copyFileSync(path.join(root, 'node_modules', f), path.join(dist, path.basename(f)));
}
execFileSync(process.execPath, [path.join(root, 'scripts/build-native.mjs')], { stdio: 'inherit' });
if (!process.argv.includes('--no-tsc')) {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
}
