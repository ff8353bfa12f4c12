// The server's background analysis (engine BackgroundMode), forced on for the small sample tree with
// GFP_LENS_BACKGROUND_MIN_FUNCTIONS=0: after indexing, the status says "analysing" and an open document shows the
// findings of the open files alone; when the whole-tree analysis is done the cross-file finding is published, the
// status is ready with counts, and the results snapshot the index run left due is written.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSession } from './harness';

const XTS = 'crypto/xts-mini.c';
const CROSS_FILE_LINE = 15; // noio-alloc in xtsmini_init_crypt, reached from the dm target in another file

test('background analysis: open files first, then the whole tree; status analysing then ready; snapshot written after it', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-bg-cache-'));
  const s = await startSession({ settings: { cachePath: cache }, env: { GFP_LENS_BACKGROUND_MIN_FUNCTIONS: '0' } });
  try {
    const uri = s.uri(XTS);
    s.openFile(XTS);
    await s.waitForDiagnostics(uri, d => d.some(x => x.range.start.line + 1 === CROSS_FILE_LINE), 'the cross-file finding');
    const ready = await s.waitFor('status ready after analysing', () => {
      const i = s.statuses.findIndex(x => x.state === 'analysing');
      return i >= 0 ? s.statuses.slice(i + 1).find(x => x.state === 'ready') : undefined;
    });
    assert.ok(ready.errors + ready.warnings > 0, JSON.stringify(ready));
    // the order of the status notifications: indexing, then analysing, then ready
    const states = s.statuses.map(x => x.state).filter((x, i, a) => i === 0 || a[i - 1] !== x);
    const lastIndexing = states.lastIndexOf('indexing');
    const analysing = states.indexOf('analysing', lastIndexing);
    assert.ok(lastIndexing >= 0 && analysing > lastIndexing && states.indexOf('ready', analysing) > analysing, states.join(' > '));
    // what the open document showed before the whole tree was analysed: its own findings, not the cross-file one
    const mine = s.publishes.filter(p => p.uri === uri).map(p => p.diagnostics.map(d => d.range.start.line + 1));
    const first = mine.findIndex(lines => lines.includes(CROSS_FILE_LINE));
    assert.ok(first > 0, `published without the cross-file finding first: ${JSON.stringify(mine)}`);
    assert.ok(s.logs.every(l => !/analysis error|internal error/.test(l)), s.logs.join('\n'));
    // the snapshot of the complete results, stored once the analysis was done
    await s.waitFor('snapshot written', () => (fs.existsSync(path.join(cache, 'snapshots')) && fs.readdirSync(path.join(cache, 'snapshots')).some(f => f.endsWith('.json.gz')) ? true : undefined));
  } finally {
    await s.shutdown();
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
