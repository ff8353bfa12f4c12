// Builds the optional native parser dist/flat-tree.node (server/native/flat_tree.c + the vendored tree-sitter
// runtime + tree-sitter-c's parser.c from node_modules, against the N-API headers of the node-api-headers package).
// Skips the compile when the output is newer than every input. Without a C compiler it prints why and exits 0:
// the engine then parses with web-tree-sitter only (slower, same results). `--require` makes a failure an error.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'dist', 'flat-tree.node');
const vendor = path.join(root, 'server/native/vendor/tree-sitter/lib');
const grammar = path.join(root, 'node_modules/tree-sitter-c/src');
const napi = path.join(root, 'node_modules/node-api-headers/include');
const native = path.join(root, 'server/native');
const sources = [path.join(vendor, 'src/lib.c'), path.join(grammar, 'parser.c'), path.join(native, 'flat_tree.c'), path.join(native, 'parse_alloc.c')];
const require_ = process.argv.includes('--require');

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

function fail(why) {
  console.error(`build-native: ${why}; the engine will parse with web-tree-sitter only (slower, same results)`);
  process.exit(require_ ? 1 : 0);
}

for (const f of [...sources, napi]) if (!fs.existsSync(f)) fail(`missing ${path.relative(root, f)}`);
const inputs = Math.max(newest(vendor), newest(napi), newest(native), ...sources.map((f) => fs.statSync(f).mtimeMs), fs.statSync(new URL(import.meta.url)).mtimeMs);
if (fs.existsSync(out) && fs.statSync(out).mtimeMs > inputs) process.exit(0);
const cc = process.env.CC || 'cc';
fs.mkdirSync(path.dirname(out), { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
try {
  execFileSync(cc, [
    '-O2', '-fPIC', '-shared', '-std=gnu11', '-fvisibility=hidden', '-DNDEBUG',
    '-I', path.join(vendor, 'include'), '-I', path.join(vendor, 'src'), '-I', grammar, '-I', napi, '-pthread',
    ...sources, '-o', tmp,
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  fs.renameSync(tmp, out); // atomic: a running server never loads a half-written file
} catch (e) {
  fs.rmSync(tmp, { force: true });
  fail(`${cc} failed (${e.message.split('\n')[0]})`);
}
console.error(`build-native: ${path.relative(root, out)}`);
