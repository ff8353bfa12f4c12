// The server's warm start from a results snapshot: after one session indexed the workspace, the next session
// shows the whole-tree findings of an open document before its own index is done (a cross-file finding that the
// half-loaded engine cannot know yet), then the live ones; a changed file makes it skip the snapshot. The first
// session also records its tree's live set for the summary cache's upkeep.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, startSession, type Session } from './harness';

/** Diagnostics (as line numbers) published for `uri` before the server logged that its workspace index was built. */
function publishesBeforeIndexed(s: Session, uri: string): number[][] {
  const out: number[][] = [];
  let p = 0;
  for (const e of s.events) {
    if (/^log gfp-lens: indexed \d+ files/.test(e)) break;
    if (e.startsWith('publish ')) {
      const pub = s.publishes[p++];
      if (pub.uri === uri) out.push(pub.diagnostics.map(d => d.range.start.line + 1));
    }
  }
  return out;
}

const XTS = 'crypto/xts-mini.c';
const CROSS_FILE_LINE = 15; // noio-alloc in xtsmini_init_crypt, reached from the dm target in another file

async function session(workspace: string, cache: string, all: Session[]): Promise<Session> {
  const s = await startSession({ workspace, settings: { cachePath: cache } });
  all.push(s);
  s.openFile(XTS);
  await s.waitFor('index done', () => (s.statuses.some(x => x.state === 'indexing') && s.statuses.at(-1)?.state === 'ready' ? true : undefined));
  await s.waitForDiagnostics(s.uri(XTS), d => d.some(x => x.range.start.line + 1 === CROSS_FILE_LINE), 'the cross-file finding');
  return s;
}

test('a restart over an unchanged tree shows the last session\'s findings before indexing is done; a change disables that', async () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-snap-ws-'));
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'gfp-lens-snap-cache-'));
  fs.cpSync(path.join(ROOT, 'samples'), workspace, { recursive: true });
  const sessions: Session[] = [];
  try {
    const first = await session(workspace, cache, sessions);
    // after a whole index the server records the tree's live set for the cache's upkeep (cacheCompaction.ts)
    await first.waitFor('cache upkeep', () => first.logs.find(l => /^gfp-lens: summary cache: \d+ packs/.test(l)));
    assert.equal(fs.readdirSync(path.join(cache, 'packs')).filter(f => /^live-[0-9a-f]{16}\.keys$/.test(f)).length, 1);
    const early1 = publishesBeforeIndexed(first, first.uri(XTS));
    assert.ok(early1.every(lines => !lines.includes(CROSS_FILE_LINE)), `no snapshot yet: ${JSON.stringify(early1)}`);
    await first.shutdown();
    assert.equal(fs.readdirSync(path.join(cache, 'snapshots')).filter(f => f.endsWith('.json.gz')).length, 1);

    const second = await session(workspace, cache, sessions);
    const early2 = publishesBeforeIndexed(second, second.uri(XTS));
    assert.ok(early2.some(lines => lines.includes(CROSS_FILE_LINE)), `the snapshot's findings come first: ${JSON.stringify(early2)}\n${second.logs.join('\n')}`);
    assert.ok(second.logs.some(l => /showing the findings of .* until indexing is done/.test(l)), second.logs.join('\n'));
    await second.shutdown();

    fs.appendFileSync(path.join(workspace, 'drivers/misc/gfpdemo.c'), '\n/* changed */\n');
    const third = await session(workspace, cache, sessions);
    assert.ok(third.logs.some(l => /last session's results not used: .*gfpdemo\.c changed/.test(l)), third.logs.join('\n'));
    const early3 = publishesBeforeIndexed(third, third.uri(XTS));
    assert.ok(early3.every(lines => !lines.includes(CROSS_FILE_LINE)), JSON.stringify(early3));
  } finally {
    for (const s of sessions) await s.shutdown();
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
