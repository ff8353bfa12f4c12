// The language server end to end over stdio: diagnostics with witness paths, hover, quick-fixes applied
// to the text, stale edits refused, the allocationSites request, status notifications, close.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, Diagnostic, TextDocumentEdit } from 'vscode-languageserver-protocol';
import { Session, applyWorkspaceEdit, initializeResult, startSession } from './harness';

const DEMO = 'drivers/misc/gfpdemo.c';
const BUG_LINE = 25;      // buf = kmalloc(len, GFP_KERNEL);  inside spin_lock_irqsave
const LOCK_LINE = 24;     // spin_lock_irqsave(&dev->lock, flags);
const OK_LINE = 41;       // the allocation before the lock in gfpdemo_rx_fixed

const atomicAt = (line: number) => (d: Diagnostic) => d.code === 'atomic-alloc' && d.range.start.line === line;

describe('gfp-lens language server', () => {
  let s: Session;
  let uri: string;

  before(async () => {
    s = await startSession();
    uri = s.uri(DEMO);
    s.openFile(DEMO);
  });
  after(async () => { await s?.shutdown(); });

  test('advertises its capabilities', () => {
    const init = initializeResult(s);
    assert.equal(init.serverInfo?.name, 'gfp-lens');
    const caps = init.capabilities as Record<string, any>;
    assert.ok(caps.hoverProvider);
    assert.deepEqual(caps.codeActionProvider.codeActionKinds, ['quickfix', 'refactor.rewrite', 'source.fixAll.gfp-lens']);
    assert.deepEqual(caps.executeCommandProvider.commands, ['gfpLens.reindex']);
    assert.equal(caps.textDocumentSync.change, 2);
  });

  test('atomic-alloc error under spin_lock_irqsave, with the lock in the witness path', async () => {
    const diags = await s.waitForDiagnostics(uri, ds => ds.some(atomicAt(BUG_LINE)), 'atomic-alloc at line 25');
    const d = diags.find(atomicAt(BUG_LINE))!;
    assert.equal(d.severity, 1);
    assert.equal(d.source, 'gfp-lens');
    assert.ok(typeof d.message === 'string' && d.message.length > 0);
    assert.ok(d.relatedInformation?.some(r => r.location.uri === uri && r.location.range.start.line === LOCK_LINE),
      `relatedInformation should include the spin_lock line: ${JSON.stringify(d.relatedInformation)}`);
    assert.ok((d.data as { id?: string }).id, 'diagnostic data carries the finding id');
    assert.equal(diags.filter(x => x.range.start.line === OK_LINE).length, 0, 'no diagnostic for the allocation before the lock');
    assert.equal(s.latest(uri)!.version, 1, 'published for the open version');
  });

  test('hover on kmalloc explains the atomic context and the requested flags', async () => {
    const line = s.docs.get(uri)!.getText().split('\n')[BUG_LINE];
    const h = await s.hover(uri, BUG_LINE, line.indexOf('kmalloc') + 2);
    assert.ok(h, 'a hover');
    assert.equal(h.contents.kind, 'markdown');
    assert.match(h.contents.value, /atomic/i);
    assert.match(h.contents.value, /GFP_KERNEL/);
    assert.ok(h.range, 'hover has a range');
  });

  test('hover on a blank line answers null', async () => {
    assert.equal(await s.hover(uri, 9, 0), null);
  });

  let fixVersion = 0;
  test('quick-fix "Use GFP_ATOMIC" replaces only the flag; stale versions are refused', async () => {
    const doc = s.docs.get(uri)!;
    const text = doc.getText();
    const diags = s.latest(uri)!.diagnostics.filter(d => d.range.start.line === BUG_LINE);
    const lineLen = text.split('\n')[BUG_LINE].length;
    const actions = await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: BUG_LINE, character: 0 }, end: { line: BUG_LINE, character: lineLen } },
      context: { diagnostics: diags },
    }) as CodeAction[];
    const fix = actions.find(a => a.title.startsWith('Use GFP_ATOMIC'));
    assert.ok(fix, `actions: ${actions.map(a => a.title).join(' | ')}`);
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.isPreferred, true);
    assert.ok(fix.diagnostics?.some(atomicAt(BUG_LINE)));
    const dc = fix.edit!.documentChanges![0] as TextDocumentEdit;
    assert.equal(dc.textDocument.version, doc.version, 'edit carries the version it was computed for');

    const applied = applyWorkspaceEdit(fix.edit!, s.docs);
    assert.ok(applied instanceof Map, JSON.stringify(applied));
    const at = doc.offsetAt({ line: BUG_LINE, character: 0 }) + text.split('\n')[BUG_LINE].indexOf('GFP_KERNEL');
    const expected = text.slice(0, at) + 'GFP_ATOMIC' + text.slice(at + 'GFP_KERNEL'.length);
    assert.equal(applied.get(uri), expected, 'only GFP_KERNEL on line 26 changes');

    // The user types elsewhere (a comment at the top) before applying: the old edit must be refused,
    // and a request right after the change is answered for the new version.
    s.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: '/* edited */\n' }]);
    const stale = applyWorkspaceEdit(fix.edit!, s.docs);
    assert.ok(!(stale instanceof Map), 'an edit for an older version is refused');
    const again = await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: BUG_LINE + 1, character: 0 }, end: { line: BUG_LINE + 1, character: lineLen } },
      context: { diagnostics: [] },
    }) as CodeAction[];
    const fix2 = again.find(a => a.title.startsWith('Use GFP_ATOMIC'));
    assert.ok(fix2, 'the fix is offered again for the moved line');
    assert.equal((fix2.edit!.documentChanges![0] as TextDocumentEdit).textDocument.version, doc.version);
    const applied2 = applyWorkspaceEdit(fix2.edit!, s.docs);
    assert.ok(applied2 instanceof Map);
    const newText = applied2.get(uri)!;
    assert.equal(newText, '/* edited */\n' + expected);
    fixVersion = doc.version;

    // Apply it: the diagnostic at (now) line 26 disappears.
    const full = { start: { line: 0, character: 0 }, end: doc.positionAt(doc.getText().length) };
    s.change(uri, [{ range: full, newText }]);
    const after = await s.waitForDiagnostics(uri, () => true, 'diagnostics after the fix');
    assert.equal(after.filter(atomicAt(BUG_LINE + 1)).length, 0, JSON.stringify(after));
    assert.equal(s.latest(uri)!.version, fixVersion + 1);
  });

  test('source.fixAll.gfp-lens combines preferred fixes when asked for', async () => {
    const actions = await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    }) as CodeAction[];
    assert.equal(actions.length, 1, JSON.stringify(actions));
    assert.equal(actions[0].kind, 'source.fixAll.gfp-lens');
    const applied = applyWorkspaceEdit(actions[0].edit!, s.docs);
    assert.ok(applied instanceof Map);
    const text = applied.get(uri)!;
    assert.ok(!/kzalloc\(sizeof\(\*ev\), GFP_KERNEL\)/.test(text) && /kzalloc\(sizeof\(\*ev\), GFP_ATOMIC\)/.test(text), 'the irq-path kzalloc is fixed');
    assert.equal(text.length, s.docs.get(uri)!.getText().length, 'only same-length flag swaps');
  });

  test('no action at all where there is no problem (no light bulb on every line)', async () => {
    const actions = await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 10, character: 0 }, end: { line: 10, character: 0 } },
      context: { diagnostics: [] },
    }) as CodeAction[];
    assert.deepEqual(actions, []);
  });

  test('a diagnostic sent from the Problems panel gets its fixes whatever the range', async () => {
    const d = s.latest(uri)!.diagnostics.find(x => x.code === 'atomic-alloc')!;
    const actions = await s.conn.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: d.range.start.line, character: 0 }, end: { line: d.range.start.line, character: 0 } },
      context: { diagnostics: [d] },
    }) as CodeAction[];
    assert.ok(actions.some(a => a.kind === 'quickfix' && a.isPreferred), JSON.stringify(actions.map(a => a.title)));
  });

  test('gfpLens/allocationSites lists sites with contexts and witness paths', async () => {
    const res = await s.conn.sendRequest('gfpLens/allocationSites', { uri }) as any;
    assert.equal(res.uri, uri);
    assert.equal(res.version, s.docs.get(uri)!.version);
    const kz = res.sites.find((x: any) => x.callee === 'kzalloc' && x.function === 'gfpdemo_note_event');
    assert.ok(kz, `sites: ${JSON.stringify(res.sites.map((x: any) => `${x.function}:${x.callee}`))}`);
    assert.equal(kz.requested, 'GFP_KERNEL');
    const irq = kz.contexts.find((c: any) => c.kind === 'atomic' && JSON.stringify(c.path).includes('gfpdemo_irq'));
    assert.ok(irq, `contexts: ${JSON.stringify(kz.contexts)}`);
    assert.ok(irq.path.every((st: any) => st.uri.startsWith('file:')));
    assert.ok(kz.findings.some((f: any) => f.rule === 'atomic-alloc'));

    const lines = s.docs.get(uri)!.getText().split('\n');
    const inNote = lines.findIndex(l => l.includes('kzalloc('));
    const only = await s.conn.sendRequest('gfpLens/allocationSites', { uri, position: { line: inNote, character: 1 } }) as any;
    assert.ok(only.sites.length >= 1 && only.sites.every((x: any) => x.function === 'gfpdemo_note_event'), JSON.stringify(only.sites));
  });

  test('status notification reaches ready with finding counts; open documents are published before indexing', async () => {
    const ready = await s.waitFor('status ready', () => s.statuses.find(x => x.state === 'ready' && x.errors > 0));
    assert.ok(ready.filesTotal >= 1);
    assert.equal(s.events[0], 'status starting', s.events.join('\n'));
    const firstPublish = s.events.indexOf(`publish ${uri}`);
    const firstIndexing = s.events.indexOf('status indexing');
    assert.ok(firstPublish >= 0 && firstIndexing > firstPublish, `open document first, then the index: ${s.events.join(', ')}`);
  });

  test('unknown and malformed requests are answered, the server stays up', async () => {
    assert.equal(await s.conn.sendRequest('gfpLens/allocationSites', { uri: 'file:///nonexistent/x.c' }).then(r => (r as any)?.sites?.length ?? 0), 0);
    assert.equal(await s.conn.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///not/open.c' }, position: { line: 0, character: 0 } }), null);
    assert.deepEqual(await s.conn.sendRequest('textDocument/codeAction', { textDocument: { uri: 'file:///not/open.c' }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } }), []);
    assert.equal(await s.conn.sendRequest('workspace/executeCommand', { command: 'gfpLens.reindex', arguments: [] }), null);
    const h = await s.hover(uri, 0, 0);
    assert.ok(h === null || typeof h.contents.value === 'string');
    assert.equal(s.exited, false);
  });

  test('closing the document clears its diagnostics', async () => {
    s.close(uri);
    await s.waitFor('empty diagnostics after close', () => {
      const p = s.latest(uri);
      return p && p.diagnostics.length === 0 ? true : undefined;
    });
  });
});
