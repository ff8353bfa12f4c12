// Edit storm: 200 incremental didChange notifications with interleaved hovers that are cancelled at once.
// Every request must be answered (a result or RequestCancelled), publishes must never go back in
// version, and the final diagnostics must match the final text.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource, Session, delay, startSession } from './harness';

const DEMO = 'drivers/misc/gfpdemo.c';
const BUG_LINE = 25;

describe('edit storm with cancelled hovers', () => {
  let s: Session;
  before(async () => { s = await startSession(); });
  after(async () => { await s?.shutdown(); });

  test('final diagnostics match the final text, no stale publish', async () => {
    const uri = s.uri(DEMO);
    const doc = s.openFile(DEMO);
    await s.waitForDiagnostics(uri, ds => ds.some(d => d.code === 'atomic-alloc' && d.range.start.line === BUG_LINE), 'initial atomic-alloc');
    const line = doc.getText().split('\n')[BUG_LINE];
    const col = line.indexOf('GFP_KERNEL');
    const kcol = line.indexOf('kmalloc') + 1;
    const range = { start: { line: BUG_LINE, character: col }, end: { line: BUG_LINE, character: col + 10 } };
    const firstPublish = s.publishes.length;

    const hovers: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      s.change(uri, [{ range, newText: i % 2 === 1 ? 'GFP_ATOMIC' : 'GFP_KERNEL' }]);
      if (i % 4 === 0) {
        const cts = new CancellationTokenSource();
        hovers.push(s.hover(uri, BUG_LINE, kcol, cts).then(() => 'answered', (e: { code?: number }) => {
          if (e?.code === -32800) return 'cancelled';
          throw e;
        }));
        cts.cancel();
      }
      if (i % 50 === 49) await delay(5); // let some debounced analyses run mid-storm
    }
    const finalVersion = doc.version;
    assert.equal(finalVersion, 201);
    assert.ok(doc.getText().split('\n')[BUG_LINE].includes('GFP_ATOMIC'));

    const outcomes = await Promise.all(hovers);
    assert.equal(outcomes.length, 50);

    const diags = await s.waitForDiagnostics(uri, () => true, 'diagnostics for the final version');
    assert.equal(diags.filter(d => d.code === 'atomic-alloc' && d.range.start.line === BUG_LINE).length, 0,
      `stale atomic-alloc at line 25: ${JSON.stringify(diags)}`);
    assert.ok(diags.some(d => d.code === 'atomic-alloc' && d.range.start.line !== BUG_LINE), 'the irq-path finding is still there');

    await delay(500); // nothing older may arrive after the final publish
    const mine = s.publishes.slice(firstPublish).filter(p => p.uri === uri);
    const versions = mine.map(p => p.version ?? -1);
    for (let i = 1; i < versions.length; i++) assert.ok(versions[i] >= versions[i - 1], `versions go back: ${versions.join(',')}`);
    assert.equal(s.latest(uri)!.version, finalVersion);
    assert.ok(mine.length < 60, `debounced: ${mine.length} publishes for 200 edits`);

    const h = await s.hover(uri, BUG_LINE, kcol) as { contents: { value: string } } | null;
    assert.ok(h && /GFP_ATOMIC/.test(h.contents.value), `hover after the storm: ${JSON.stringify(h)}`);
  });
});
