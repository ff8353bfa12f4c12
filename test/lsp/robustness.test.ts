// Broken input: random bytes, NUL bytes, unbalanced braces, huge lines, untitled documents. The server
// may publish diagnostics or none, but it must answer every request and keep serving real files.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Session, startSession } from './harness';

describe('robustness on broken input', () => {
  let s: Session;
  before(async () => { s = await startSession(); });
  after(async () => { await s?.shutdown(); });

  const inputs: Record<string, string> = {
    'random.c': randomBytes(20000).toString('latin1'),
    'random-utf8.c': randomBytes(20000).toString('utf8'),
    'nul.c': '\0'.repeat(4096) + 'static int f(void)\n{\n\tkmalloc(1, GFP_KERNEL);\0\0\n}\n' + '\0'.repeat(100),
    'braces.c': '{{{{ static int f( {\n\tspin_lock(&l);\n\tkmalloc(1, GFP_KERNEL);\n'.repeat(200) + '}}}}}}}}}}}'.repeat(50) + ')))((([[[',
    'unterminated.c': 'static void g(void)\n{\n\tspin_lock(&l);\n\tp = kmalloc(1, GFP_KERNEL /* unterminated comment\n\t"string\n',
    'longline.c': 'int x = ' + '1 + '.repeat(50000) + '1;\n',
    'macros.c': '#define X(a) a ## a\n#if 0\n{\n#endif\nX(kmalloc)(1, GFP_KERNEL);\n#include\n__attribute__((((\n',
    'crlf.c': 'static void h(void)\r\n{\r\n\tspin_lock(&l);\r\n\tp = kmalloc(1, GFP_KERNEL);\r\n\tspin_unlock(&l);\r\n}\r\n',
  };

  test('every broken document gets a (possibly empty) publish and hovers are answered', async () => {
    const uris: string[] = [];
    for (const [name, text] of Object.entries(inputs)) {
      const uri = s.uri(`broken/${name}`);
      uris.push(uri);
      s.open(uri, text);
    }
    const untitled = 'untitled:Untitled-1';
    s.open(untitled, 'void u(void) { spin_lock(&l); kmalloc(8, GFP_KERNEL); spin_unlock(&l); }\n');
    uris.push(untitled);
    for (const uri of uris) await s.waitForDiagnostics(uri, () => true, `a publish for ${uri}`);
    for (const uri of uris) {
      const doc = s.docs.get(uri)!;
      const lines = doc.lineCount;
      for (const pos of [{ line: 0, character: 0 }, { line: Math.floor(lines / 2), character: 3 }, { line: lines + 10, character: 999 }]) {
        const h = await s.hover(uri, pos.line, pos.character);
        assert.ok(h === null || typeof h.contents.value === 'string', `hover on ${uri}`);
      }
      const actions = await s.conn.sendRequest('textDocument/codeAction', {
        textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } }, context: { diagnostics: [] },
      });
      assert.ok(Array.isArray(actions));
      const sites = await s.conn.sendRequest('gfpLens/allocationSites', { uri, position: { line: 1, character: 0 } }) as { sites: unknown[] } | null;
      assert.ok(sites === null || Array.isArray(sites.sites));
    }
    // Edits into the middle of broken text, then close them all.
    for (const uri of uris) s.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, newText: '}\0{' }]);
    for (const uri of uris) await s.waitForDiagnostics(uri, () => true, `a publish after editing ${uri}`);
    for (const uri of uris) s.close(uri);
    assert.equal(s.exited, false, 'server still running');
  });

  test('the server still serves a real file afterwards', async () => {
    const uri = s.uri('drivers/misc/gfpdemo.c');
    const doc = s.openFile('drivers/misc/gfpdemo.c');
    await s.waitForDiagnostics(uri, ds => ds.some(d => d.code === 'atomic-alloc'), 'atomic-alloc in gfpdemo.c');
    const line = doc.getText().split('\n')[25];
    const h = await s.hover(uri, 25, line.indexOf('kmalloc') + 1);
    assert.ok(h && /GFP_KERNEL/.test(h.contents.value));
  });

  test('malformed params do not crash the server', async () => {
    const bad: [string, unknown][] = [
      ['textDocument/hover', {}],
      ['textDocument/hover', { textDocument: { uri: 42 }, position: null }],
      ['textDocument/codeAction', { textDocument: {} }],
      ['gfpLens/allocationSites', null],
      ['gfpLens/allocationSites', { uri: 'not a uri', position: { line: -1, character: -5 } }],
    ];
    for (const [method, params] of bad) {
      await s.conn.sendRequest(method, params).catch(() => null);
    }
    void s.conn.sendNotification('textDocument/didChange', { textDocument: { uri: 'file:///never/opened.c', version: 3 }, contentChanges: [{ text: 'x' }] });
    void s.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: s.uri('drivers/misc/missing.c'), type: 2 }, { uri: 'file:///gone.c', type: 3 }] });
    const uri = s.uri('drivers/misc/gfpdemo.c');
    const h = await s.hover(uri, 25, 8);
    assert.ok(h === null || typeof h.contents.value === 'string');
    assert.equal(s.exited, false);
  });
});
