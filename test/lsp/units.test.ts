// Pure parts of the server and the CLI, tested in-process: settings mapping, code-action kind
// filtering, URI/path mapping, CLI argument parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, UsageError } from '../../server/src/cli/args';
import { kindWanted } from '../../server/src/lsp/codeActions';
import { parseSettings } from '../../server/src/lsp/config';
import { UriMap, isUnder } from '../../server/src/lsp/uris';

test('settings: rules, allocators, roots, exclude, confidence, size', () => {
  const s = parseSettings({
    rules: { 'atomic-alloc': 'warning', 'redundant-flag': 'off', 'noio-alloc': 'information', 'no-such-rule': 'off', 'nofs-alloc': 'loud' },
    extraAllocators: { my_alloc: 1, bad: 'x', implicit_alloc: -1 },
    extraRoots: { my_irq: 'atomic', bad_root: 'sleepy' },
    exclude: ['out', '', 42],
    minConfidence: 'medium',
    maxFileSizeKB: 512,
  });
  assert.deepEqual(s.engine.disabledRules, ['redundant-flag']);
  assert.deepEqual(s.engine.severities, { 'atomic-alloc': 'warning', 'noio-alloc': 'info' });
  assert.deepEqual(s.engine.extraAllocators, { my_alloc: 1, implicit_alloc: -1 });
  assert.deepEqual(s.engine.extraRoots, { my_irq: 'atomic' });
  assert.deepEqual(s.exclude, ['out', '.git', 'node_modules'], 'the user list replaces the defaults');
  assert.ok(parseSettings({}).exclude.includes('tools'), 'defaults without a list');
  assert.equal(s.engine.minConfidence, 'medium');
  assert.equal(s.engine.maxFileBytes, 512 * 1024);
  assert.equal(s.notes.length, 4, s.notes.join('\n'));
  assert.deepEqual(parseSettings({ extraRoots: [{ function: 'f', context: 'noio' }] }).engine.extraRoots, { f: 'noio' });
  for (const junk of [undefined, null, 42, 'x', [], { rules: 'off' }]) assert.doesNotThrow(() => parseSettings(junk));
});

test('code action kinds', () => {
  assert.ok(kindWanted(undefined, 'quickfix'));
  assert.ok(kindWanted(['source'], 'source.fixAll.gfp-lens'));
  assert.ok(kindWanted(['source.fixAll'], 'source.fixAll.gfp-lens'));
  assert.ok(!kindWanted(['source.fix'], 'source.fixAll.gfp-lens'));
  assert.ok(!kindWanted(['quickfix'], 'source.fixAll.gfp-lens'));
  assert.ok(!kindWanted(['refactor'], 'quickfix'));
});

test('uri mapping round-trips, keeps the client spelling, never throws', () => {
  const m = new UriMap();
  const p = m.toPath('file:///tmp/a%20b/x.c');
  assert.equal(p, '/tmp/a b/x.c');
  assert.equal(m.toUri(p), 'file:///tmp/a%20b/x.c');
  m.remember('file:///tmp/odd%2Dspelling.c');
  assert.equal(m.toUri('/tmp/odd-spelling.c'), 'file:///tmp/odd%2Dspelling.c');
  const v = m.toPath('untitled:Untitled-1');
  assert.ok(m.isVirtual(v));
  assert.equal(m.toUri(v), 'untitled:Untitled-1');
  assert.doesNotThrow(() => m.toPath('file://host/share/x.c'));
  assert.doesNotThrow(() => m.toPath('not a uri'));
  assert.ok(isUnder('/w/a/b.c', ['/w']) && isUnder('/w', ['/w']) && !isUnder('/wx/b.c', ['/w']) && !isUnder('/x', []));
});

test('cli arguments', () => {
  assert.deepEqual(parseArgs(['check', 'a', '--format=json', '-x', 'out', '--exclude', 'arch', '--no-progress', '--', '--weird-name']),
    { kind: 'check', paths: ['a', '--weird-name'], format: 'json', exclude: ['out', 'arch'], progress: false });
  assert.equal(parseArgs(['--version']).kind, 'version');
  assert.equal(parseArgs(['lsp', '--stdio']).kind, 'lsp');
  for (const bad of [[], ['check'], ['check', '-q', 'a'], ['check', 'a', '--format'], ['check', 'a', '--format', 'xml'], ['lsp', '--tcp'], ['nope']]) {
    assert.throws(() => parseArgs(bad), UsageError, bad.join(' '));
  }
});
