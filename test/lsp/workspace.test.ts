// Workspace behaviour: settings (rules off, severity overrides) read at start and on change, files
// changed on disk (workspace/didChangeWatchedFiles) feeding cross-file findings into open documents.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Session, delay, startSession } from './harness';

const DEMO = 'drivers/misc/gfpdemo.c';

describe('settings', () => {
  let s: Session;
  before(async () => { s = await startSession({ settings: { rules: { 'atomic-alloc': 'warning' } } }); });
  after(async () => { await s?.shutdown(); });

  test('initial settings apply to the first diagnostics, changes apply on didChangeConfiguration', async () => {
    const uri = s.uri(DEMO);
    s.openFile(DEMO);
    const first = await s.waitForDiagnostics(uri, ds => ds.some(d => d.code === 'atomic-alloc'));
    assert.ok(first.filter(d => d.code === 'atomic-alloc').every(d => d.severity === 2), 'severity override to warning');
    assert.ok(s.publishes.filter(p => p.uri === uri).every(p => p.diagnostics.every(d => d.severity !== 1)), 'never published with the default severity');

    s.settings = { rules: { 'atomic-alloc': 'off' } };
    void s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await s.waitForDiagnostics(uri, ds => !ds.some(d => d.code === 'atomic-alloc'), 'atomic-alloc switched off');

    s.settings = {};
    void s.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await s.waitForDiagnostics(uri, ds => ds.some(d => d.code === 'atomic-alloc' && d.severity === 1), 'atomic-alloc back as error');
  });
});

describe('files changed on disk', () => {
  let s: Session;
  before(async () => { s = await startSession(); });
  after(async () => { await s?.shutdown(); });

  test('a caller created on disk makes the open callee report; deleting it clears the finding', async () => {
    await s.waitFor('index ready', () => s.statuses.find(x => x.state === 'ready'));
    const calleeRel = 'drivers/misc/helper.c';
    const callerRel = 'drivers/misc/caller.c';
    fs.writeFileSync(path.join(s.workspace, calleeRel),
      '#include <linux/slab.h>\n\nvoid *gfpdemo_helper_alloc(size_t n)\n{\n\treturn kmalloc(n, GFP_KERNEL);\n}\n');
    const uri = s.uri(calleeRel);
    s.openFile(calleeRel);
    await s.waitForDiagnostics(uri, ds => ds.length === 0, 'no finding without a caller');

    const caller = path.join(s.workspace, callerRel);
    fs.writeFileSync(caller, [
      '#include <linux/spinlock.h>', 'static DEFINE_SPINLOCK(l);', 'void *gfpdemo_helper_alloc(size_t n);', '',
      'void gfpdemo_caller(void)', '{', '\tvoid *p;', '', '\tspin_lock(&l);', '\tp = gfpdemo_helper_alloc(8);', '\tspin_unlock(&l);', '}', '',
    ].join('\n'));
    void s.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: s.uri(callerRel), type: 1 }] });
    const ds = await s.waitForDiagnostics(uri, d => d.some(x => x.code === 'atomic-alloc' && x.range.start.line === 4), 'cross-file atomic-alloc');
    const d = ds.find(x => x.code === 'atomic-alloc')!;
    assert.ok(d.relatedInformation?.some(r => r.location.uri === s.uri(callerRel)), 'witness path goes through caller.c');

    fs.rmSync(caller);
    void s.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: s.uri(callerRel), type: 3 }] });
    await s.waitForDiagnostics(uri, d2 => d2.length === 0, 'finding gone after the caller was deleted');
  });

  test('gfpLens.reindex re-indexes and reports ready again, bursts are serialized', async () => {
    const before = s.statuses.length;
    const answers = await Promise.all([1, 2, 3].map(() => s.conn.sendRequest('workspace/executeCommand', { command: 'gfpLens.reindex', arguments: [] })));
    assert.deepEqual(answers, [null, null, null]);
    const settled = () => {
      const a = s.statuses.slice(before);
      const last = a[a.length - 1];
      return a.some(x => x.state === 'indexing') && last?.state === 'ready' && last.filesTotal > 0 && last.filesDone === last.filesTotal ? true : undefined;
    };
    await s.waitFor('ready after the reindex burst', settled);
    await delay(300);
    await s.waitFor('still ready after a pause', settled);
    const after = s.statuses.slice(before);
    assert.ok(after.some(x => x.state === 'indexing'));
    assert.equal(after[after.length - 1].state, 'ready', JSON.stringify(after));
    // Never two runs at once: every 'indexing' run is closed by a 'ready' before the next one starts.
    let open = 0;
    for (const st of after) {
      if (st.state === 'indexing' && st.filesDone === 0 && st.filesTotal === 0) { assert.equal(open, 0, JSON.stringify(after)); open = 1; }
      if (st.state === 'ready') open = 0;
    }
  });
});

describe('indexing progress', () => {
  let s: Session;
  before(async () => {
    s = await startSession({
      setup: ws => {
        const demo = fs.readFileSync(path.join(ws, DEMO), 'utf8');
        const dir = path.join(ws, 'drivers/many');
        fs.mkdirSync(dir, { recursive: true });
        for (let i = 0; i < 400; i++) fs.writeFileSync(path.join(dir, `copy${i}.c`), demo.replace(/gfpdemo_/g, `gfpdemo${i}_`));
      },
    });
  });
  after(async () => { await s?.shutdown(); });

  test('work-done progress reports done/total and can be cancelled by the user', async () => {
    const report = await s.waitFor('a progress report', () => s.progress.find(p => p.value.kind === 'report' && /^\d+\/\d+$/.test(p.value.message ?? '')));
    assert.equal(s.progressTokens.length, 1);
    assert.equal(report.token, s.progressTokens[0]);
    assert.ok(s.progress.some(p => p.value.kind === 'begin'));
    void s.conn.sendNotification('window/workDoneProgress/cancel', { token: s.progressTokens[0] });
    await s.waitFor('progress end', () => s.progress.find(p => p.value.kind === 'end'));
    const ready = await s.waitFor('ready after cancel', () => s.statuses.find(x => x.state === 'ready'));
    assert.ok(ready.filesDone < ready.filesTotal, `cancelled early: ${JSON.stringify(ready)}`);
    // Still serving: an opened file is analysed.
    const uri = s.uri(DEMO);
    s.openFile(DEMO);
    await s.waitForDiagnostics(uri, ds => ds.some(d => d.code === 'atomic-alloc'));
  });
});
