// Checks that the extension manifest (package.json "contributes") agrees with itself and with the
// shared ids in server/src/protocol.ts, and that the grammar and snippets it points to parse and work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CallPathsViewId, Commands, ViewContainerId } from '../../server/src/protocol';
import { RULES } from '../../server/src/engine/types';

// Compiled to out/test/unit/: the repository root is three levels up.
const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const contributes = pkg.contributes;

interface CommandContribution { command: string; title: string; category?: string; icon?: string }
interface MenuItem { command: string; when?: string; group?: string }

test('every command used in a menu is declared', () => {
  const declared = new Set((contributes.commands as CommandContribution[]).map((c) => c.command));
  for (const [menu, items] of Object.entries(contributes.menus as Record<string, MenuItem[]>)) {
    for (const item of items) assert.ok(declared.has(item.command), `${menu} uses undeclared ${item.command}`);
  }
});

test('declared commands are exactly the protocol command ids, with titles and the GFP Lens category', () => {
  const declared = (contributes.commands as CommandContribution[]).map((c) => c.command).sort();
  assert.deepEqual(declared, Object.values(Commands).sort());
  for (const c of contributes.commands as CommandContribution[]) {
    assert.ok(c.title && c.title.length > 3, `${c.command} has a title`);
    assert.equal(c.category, 'GFP Lens');
  }
  const refresh = (contributes.commands as CommandContribution[]).find((c) => c.command === Commands.refreshTree);
  assert.equal(refresh?.icon, '$(refresh)');
});

test('menus: refresh on the view title, show-call-paths in the C editor context menu', () => {
  const viewTitle = contributes.menus['view/title'] as MenuItem[];
  assert.ok(viewTitle.some((m) => m.command === Commands.refreshTree && m.when === `view == ${CallPathsViewId}`));
  const ctx = contributes.menus['editor/context'] as MenuItem[];
  const show = ctx.find((m) => m.command === Commands.showCallPaths);
  assert.ok(show?.when?.includes('editorLangId == c') && show.when.includes('editorLangId == cpp'));
});

test('the client registers every declared command', () => {
  const srcDir = path.join(root, 'client', 'src');
  const source = fs.readdirSync(srcDir).filter((f) => f.endsWith('.ts'))
    .map((f) => fs.readFileSync(path.join(srcDir, f), 'utf8')).join('\n');
  for (const key of Object.keys(Commands)) {
    assert.match(source, new RegExp(`registerCommand\\(Commands\\.${key}\\b`), `client registers Commands.${key}`);
  }
});

test('view container and view ids equal the protocol constants; the icon exists', () => {
  const containers = contributes.viewsContainers.activitybar as { id: string; title: string; icon: string }[];
  const container = containers.find((c) => c.id === ViewContainerId);
  assert.ok(container, 'activity bar container');
  assert.equal(container.title, 'GFP Lens');
  assert.ok(fs.existsSync(path.join(root, container.icon)), container.icon);
  assert.match(fs.readFileSync(path.join(root, container.icon), 'utf8'), /<svg[\s>]/);
  const views = contributes.views[ViewContainerId] as { id: string; name: string }[];
  assert.deepEqual(views.map((v) => [v.id, v.name]), [[CallPathsViewId, 'Allocation Call Paths']]);
});

test('activation events cover C, C++ headers, C workspaces and the view', () => {
  for (const e of ['onLanguage:c', 'onLanguage:cpp', 'workspaceContains:**/*.c', `onView:${CallPathsViewId}`]) {
    assert.ok((pkg.activationEvents as string[]).includes(e), e);
  }
  assert.equal(pkg.main, './dist/extension.js');
});

test('configuration: documented gfpLens.* settings with the agreed defaults', () => {
  assert.equal(contributes.configuration.title, 'GFP Lens');
  const props = contributes.configuration.properties as Record<string, Record<string, unknown>>;
  for (const [key, schema] of Object.entries(props)) {
    assert.ok(key.startsWith('gfpLens.'), key);
    assert.equal(typeof schema.markdownDescription, 'string', `${key} has a markdownDescription`);
  }
  assert.equal(props['gfpLens.enable'].default, true);
  assert.deepEqual(props['gfpLens.exclude'].default, ['tools', 'Documentation', 'scripts']);
  assert.equal(props['gfpLens.minConfidence'].default, 'low');
  assert.equal(props['gfpLens.workers'].default, 0);
  assert.equal(props['gfpLens.cachePath'].default, '');
  assert.equal(props['gfpLens.maxFileSizeKB'].default, 2048);
  assert.deepEqual(props['gfpLens.trace.server'].enum, ['off', 'messages', 'verbose']);
  // Rule ids in the settings schema are the engine's rule ids, each with "off" and the four severities.
  const ruleProps = props['gfpLens.rules'].properties as Record<string, { enum: string[] }>;
  assert.deepEqual(Object.keys(ruleProps).sort(), Object.keys(RULES).sort());
  for (const r of Object.values(ruleProps)) assert.deepEqual(r.enum, ['off', 'error', 'warning', 'info', 'hint']);
  assert.deepEqual((props['gfpLens.extraRoots'].additionalProperties as { enum: string[] }).enum, ['atomic', 'noio', 'nofs']);
});

interface Grammar {
  scopeName: string;
  injectionSelector: string;
  patterns: { include: string }[];
  repository: Record<string, { name: string; match: string }>;
}

function loadGrammar(): { grammar: Grammar; contribution: { scopeName: string; path: string; injectTo: string[] } } {
  const contribution = (contributes.grammars as { scopeName: string; path: string; injectTo: string[] }[])[0];
  const grammar = JSON.parse(fs.readFileSync(path.join(root, contribution.path), 'utf8')) as Grammar;
  return { grammar, contribution };
}

/** Scope names of the grammar rules whose regex matches the whole of `word`. */
function scopesOf(grammar: Grammar, word: string): string[] {
  return Object.values(grammar.repository)
    .filter((r) => new RegExp(`^(?:${r.match})$`).test(word))
    .map((r) => r.name);
}

test('the injection grammar is contributed for C and C++ and parses', () => {
  const { grammar, contribution } = loadGrammar();
  assert.equal(grammar.scopeName, 'source.c.gfp-lens');
  assert.equal(contribution.scopeName, grammar.scopeName);
  assert.deepEqual(contribution.injectTo, ['source.c', 'source.cpp']);
  assert.equal(grammar.injectionSelector, 'L:source.c -comment -string, L:source.cpp -comment -string');
  for (const p of grammar.patterns) assert.ok(grammar.repository[p.include.slice(1)], p.include);
});

test('the grammar highlights GFP flags and memalloc scope calls, not lower-case look-alikes', () => {
  const { grammar } = loadGrammar();
  assert.deepEqual(scopesOf(grammar, 'GFP_KERNEL'), ['constant.language.gfp.gfp-lens']);
  assert.deepEqual(scopesOf(grammar, 'GFP_KERNEL_ACCOUNT'), ['constant.language.gfp.gfp-lens']);
  assert.deepEqual(scopesOf(grammar, '__GFP_IO'), ['constant.language.gfp.internal.gfp-lens']);
  assert.deepEqual(scopesOf(grammar, 'memalloc_noio_save'), ['support.function.memalloc.gfp-lens']);
  assert.deepEqual(scopesOf(grammar, 'memalloc_nofs_restore'), ['support.function.memalloc.gfp-lens']);
  for (const word of ['gfp_kernel', 'gfp_t', 'memalloc_noio', 'my_memalloc_noio_saver', 'XGFP_KERNEL']) {
    assert.deepEqual(scopesOf(grammar, word), [], word);
  }
  // In running text: `\b` keeps GFP_ from matching inside __GFP_IO, and identifiers with a prefix stay plain.
  const flag = new RegExp(grammar.repository['gfp-flag'].match, 'g');
  assert.deepEqual('kmalloc(n, GFP_KERNEL | __GFP_ZERO); MYGFP_X'.match(flag), ['GFP_KERNEL']);
});

test('snippets parse and give kernel-style NOIO and NOFS scopes', () => {
  const files = new Set((contributes.snippets as { language: string; path: string }[]).map((s) => s.path));
  const languages = (contributes.snippets as { language: string }[]).map((s) => s.language).sort();
  assert.deepEqual(languages, ['c', 'cpp']);
  for (const file of files) {
    const snippets = JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')) as Record<string, unknown>;
    const entries = Object.entries(snippets).filter(([k]) => !k.startsWith('$')) as [string, { prefix: string | string[]; body: string[]; description: string }][];
    for (const kind of ['noio', 'nofs']) {
      const found = entries.find(([, s]) => ([] as string[]).concat(s.prefix).includes(kind));
      assert.ok(found, `a snippet with prefix ${kind}`);
      const body = found[1].body.join('\n');
      assert.match(body, new RegExp(`unsigned int \\$\\{1:${kind}_flag\\};`));
      assert.match(body, new RegExp(`\\$1 = memalloc_${kind}_save\\(\\);`));
      assert.match(body, new RegExp(`memalloc_${kind}_restore\\(\\$1\\);`));
      for (const line of found[1].body) assert.ok(!/^ +/.test(line), `no space indentation: ${JSON.stringify(line)}`);
      assert.ok(found[1].description.length > 10);
    }
  }
});

test('.vscodeignore ships only runtime files, and everything the manifest points to', () => {
  // (`npx vsce ls --no-dependencies` shows the real list; it walks the whole tree, too slow for a unit test.)
  const lines = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '**', 'exclude everything first');
  const allowed = /^!(package\.json|README\.md|LICENSE(\.md|\.txt)?|CHANGELOG\.md|dist\/(extension|server|cli|worker)\.js|dist\/\*\.wasm|dist\/flat-tree\.node|(media|syntaxes|snippets)\/\*\*)$/;
  for (const l of lines.slice(1)) assert.match(l, allowed);
  const included = (p: string) => lines.slice(1).some((l) => {
    const pat = l.slice(1).replace(/\./g, '\\.').replace(/\*\*/g, '.+').replace(/\*/g, '[^/]+');
    return new RegExp(`^${pat}$`).test(p.replace(/^\.\//, ''));
  });
  const referenced = [pkg.main, 'dist/server.js', 'dist/worker.js', 'dist/tree-sitter.wasm', 'dist/tree-sitter-c.wasm', 'dist/flat-tree.node',
    contributes.viewsContainers.activitybar[0].icon,
    ...contributes.grammars.map((g: { path: string }) => g.path),
    ...contributes.snippets.map((s: { path: string }) => s.path)];
  for (const p of referenced) assert.ok(included(p), `${p} is shipped`);
  for (const p of ['client/src/extension.ts', 'node_modules/x/index.js', 'dist/extension.js.map', 'dist/bench.js', 'samples/a.c', 'out/x.js', 'server/native/flat_tree.c', 'dist/flat-tree.node.123.tmp']) {
    assert.ok(!included(p), `${p} is not shipped`);
  }
});
