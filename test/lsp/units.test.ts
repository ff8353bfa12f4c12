// Pure parts of the server and the CLI, tested in-process: settings mapping, code-action kind
// filtering, URI/path mapping, CLI argument parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, UsageError } from '../../server/src/cli/args';
import type { TextDocumentEdit, TextEdit } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding, Fix } from '../../server/src/engine';
import { codeActions, kindWanted } from '../../server/src/lsp/codeActions';
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
  const proto = parseSettings({ rules: { constructor: 'off', toString: 'error' } });
  assert.equal(proto.engine.disabledRules, undefined, 'a rule named like an Object.prototype member is unknown');
  assert.equal(proto.notes.length, 2, proto.notes.join('\n'));
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

test('code actions: versioned edits, fix-all shares identical edits and skips clashing ones', () => {
  const text = '#include <a.h>\nvoid f(void)\n{\n\tx = kmalloc(1, GFP_KERNEL);\n\ty = kmalloc(2, GFP_KERNEL);\n}\n';
  const doc = TextDocument.create('file:///w/f.c', 'c', 7, text);
  const file = '/w/f.c';
  const inc = { startOffset: 15, endOffset: 15, newText: '#include <linux/sched/mm.h>\n' };
  const at = (needle: string) => text.indexOf(needle);
  const finding = (n: number, fixes: Fix[]): Finding => {
    const s = at(`kmalloc(${n}`);
    const pos = doc.positionAt(s);
    const end = doc.positionAt(s + 10);
    return {
      id: `noio-alloc:${file}:${s}`, rule: 'noio-alloc', severity: 'warning', message: 'm', function: 'f', confidence: 'high', otherPaths: 0,
      span: { file, start: pos, end, startOffset: s, endOffset: s + 10 }, path: [], fixes,
    };
  };
  const wrap = (n: number): Fix => ({ title: `Wrap ${n}`, kind: 'wrap-noio', preferred: true, file, edits: [
    inc, { startOffset: at(`\tx`) + (n - 1) * (at('\ty') - at('\tx')), endOffset: at(`\tx`) + (n - 1) * (at('\ty') - at('\tx')), newText: '/*s*/' },
  ] });
  const swap = (n: number): Fix => {
    const s = text.indexOf('GFP_KERNEL', at(`kmalloc(${n}`));
    return { title: 'Use GFP_NOIO', kind: 'swap-flag', preferred: false, file, edits: [{ startOffset: s, endOffset: s + 10, newText: 'GFP_NOIO' }] };
  };
  const findings = [finding(1, [wrap(1), swap(1)]), finding(2, [wrap(2), swap(2)])];
  const params = (line: number, only?: string[]) => ({
    textDocument: { uri: doc.uri }, range: { start: { line, character: 6 }, end: { line, character: 6 } }, context: { diagnostics: [], only },
  });
  const quick = codeActions(doc, file, findings, params(3), u => u);
  assert.deepEqual(quick.map(a => a.title), ['Wrap 1', 'Use GFP_NOIO', 'Fix all GFP Lens problems (2)']);
  for (const a of quick) assert.equal((a.edit!.documentChanges![0] as TextDocumentEdit).textDocument.version, 7);
  const all = codeActions(doc, file, findings, params(0, ['source.fixAll']), u => u);
  assert.equal(all.length, 1);
  const out = TextDocument.applyEdits(doc, (all[0].edit!.documentChanges![0] as TextDocumentEdit).edits as TextEdit[]);
  assert.equal(out.split('#include <linux/sched/mm.h>').length - 1, 1, 'the shared include is added once');
  assert.equal(out.split('/*s*/').length - 1, 2);
  assert.deepEqual(codeActions(doc, file, findings, params(1), u => u), [], 'nothing where there is no finding');
  assert.deepEqual(codeActions(doc, file, findings, params(3, ['refactor']), u => u), []);
});
