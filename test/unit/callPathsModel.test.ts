// Unit tests of the client's pure helpers: the call-path tree model built from an AllocationSitesResult
// (client/src/callPathsModel.ts) and the status bar text (client/src/statusText.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllocationSitesResult, StatusParams, WireAllocationSite } from '../../server/src/protocol';
import {
  CallPathNode, buildCallPathTree, classifySite, escapeMarkdown, inlineMarkdown, isGfpDocument, parentIndex, plainText, uriBasename,
} from '../../client/src/callPathsModel';
import { findingSummary, statusView } from '../../client/src/statusText';

const C = 'file:///ws/drivers/misc/gfpdemo.c';
const H = 'file:///ws/drivers/misc/gfpdemo.h';

function site(over: Partial<WireAllocationSite>): WireAllocationSite {
  return {
    function: 'f', callee: 'kmalloc', line: 0, character: 0, requested: 'GFP_KERNEL', effective: ['GFP_KERNEL'],
    maySleep: 'yes', contexts: [], findings: [], ...over,
  };
}

const demo: AllocationSitesResult = {
  uri: C,
  version: 3,
  sites: [
    site({
      function: 'gfpdemo_note_event', callee: 'kzalloc', line: 64, character: 6,
      contexts: [{
        kind: 'atomic', description: 'hard-irq handler gfpdemo_irq()',
        path: [
          { kind: 'registration', uri: C, line: 71, character: 8, text: 'request_irq(..., gfpdemo_irq, ...) in gfpdemo_probe()' },
          { kind: 'call', uri: C, line: 55, character: 1, text: 'gfpdemo_irq() -> gfpdemo_note_event()' },
          { kind: 'alloc', uri: C, line: 64, character: 6, text: 'kzalloc(sizeof(*ev), GFP_KERNEL)' },
        ],
      }],
      findings: [{ rule: 'atomic-alloc', severity: 'error', message: 'GFP_KERNEL may sleep; called from hard-irq handler gfpdemo_irq()' }],
    }),
    site({
      function: 'gfpdemo_rx', callee: 'kmalloc', line: 25, character: 7,
      contexts: [{
        kind: 'atomic', description: 'lock `spin_lock_irqsave(&dev->lock, flags)` held in gfpdemo_rx()',
        path: [
          { kind: 'origin', uri: C, line: 24, character: 1, text: 'spin_lock_irqsave(&dev->lock, flags)' },
          { kind: 'alloc', uri: C, line: 25, character: 7, text: 'kmalloc(len, GFP_KERNEL)' },
        ],
      }],
      findings: [{ rule: 'atomic-alloc', severity: 'error', message: 'sleeping allocation under a spinlock' }],
    }),
    site({ function: 'gfpdemo_rx_fixed', callee: 'kmalloc', line: 41, character: 7 }),
    site({ function: 'gfpdemo_rx', callee: 'kmalloc', line: 28, character: 3, requested: 'GFP_ATOMIC', effective: ['GFP_ATOMIC'], maySleep: 'no' }),
    site({
      function: 'gfpdemo_reset', callee: 'kmalloc', line: 90, character: 2, requested: 'GFP_KERNEL', effective: ['GFP_NOIO'], scope: 'noio',
      contexts: [{ kind: 'noio', description: 'block I/O submission gfpdemo_submit()', path: [{ kind: 'origin', uri: H, line: 4, character: 0, text: 'gfpdemo_submit()' }] }],
    }),
  ],
};

function all(nodes: CallPathNode[]): CallPathNode[] {
  return nodes.flatMap((n) => [n, ...all(n.children)]);
}

test('functions are top-level nodes in order of their first allocation', () => {
  const roots = buildCallPathTree(demo);
  assert.deepEqual(roots.map((r) => r.label), ['gfpdemo_rx()', 'gfpdemo_rx_fixed()', 'gfpdemo_note_event()', 'gfpdemo_reset()']);
  assert.deepEqual(roots[0].children.map((s) => s.description), ['gfpdemo_rx() · line 26', 'gfpdemo_rx() · line 29']);
  assert.equal(roots[0].description, '2 allocations · 1 finding');
  assert.equal(roots[0].tone, 'error');
  assert.equal(roots[1].tone, undefined);
  assert.ok(roots.every((r) => r.kind === 'function' && r.collapsible === 'expanded' && r.icon === 'symbol-function'));
});

test('site nodes: label, description, icon by worst context, colour by worst finding, location', () => {
  const roots = buildCallPathTree(demo);
  const note = roots.find((r) => r.label === 'gfpdemo_note_event()')!.children[0];
  assert.equal(note.kind, 'site');
  assert.equal(note.label, 'kzalloc(GFP_KERNEL)');
  assert.match(note.description!, /gfpdemo_note_event\(\)/);
  assert.equal(note.description, 'gfpdemo_note_event() · line 65');
  assert.equal(note.icon, 'zap');
  assert.equal(note.tone, 'error');
  assert.equal(note.collapsible, 'expanded');
  assert.deepEqual(note.location, { uri: C, line: 64, character: 6 });
  assert.equal(note.accessibilityLabel, 'kzalloc(GFP_KERNEL) gfpdemo_note_event() · line 65, 1 finding');
  const fixed = roots.find((r) => r.label === 'gfpdemo_rx_fixed()')!.children[0];
  assert.equal(fixed.icon, 'pass');
  assert.equal(fixed.collapsible, 'none');
  const reset = roots.find((r) => r.label === 'gfpdemo_reset()')!.children[0];
  assert.equal(reset.icon, 'database');
  assert.equal(reset.collapsible, 'collapsed');
  assert.equal(classifySite(site({ scope: 'nofs' })), 'scoped');
  assert.equal(classifySite(site({ contexts: [{ kind: 'nofs', description: '', path: [] }, { kind: 'atomic', description: '', path: [] }] })), 'atomic');
});

test('contexts and steps: labels, basename:line descriptions, step locations in other files', () => {
  const roots = buildCallPathTree(demo);
  const note = roots.find((r) => r.label === 'gfpdemo_note_event()')!.children[0];
  const ctx = note.children[0];
  assert.equal(ctx.kind, 'context');
  assert.equal(ctx.label, 'hard-irq handler gfpdemo_irq()');
  assert.equal(ctx.icon, 'zap');
  assert.equal(ctx.tone, 'error');
  assert.equal(ctx.collapsible, 'expanded');
  assert.deepEqual(ctx.children.map((s) => [s.label, s.description, s.icon]), [
    ['request_irq(..., gfpdemo_irq, ...) in gfpdemo_probe()', 'gfpdemo.c:72', 'plug'],
    ['gfpdemo_irq() -> gfpdemo_note_event()', 'gfpdemo.c:56', 'arrow-right'],
    ['kzalloc(sizeof(*ev), GFP_KERNEL)', 'gfpdemo.c:65', 'package'],
  ]);
  assert.ok(ctx.children.some((s) => s.label.includes('gfpdemo_irq')));
  const headerStep = roots.find((r) => r.label === 'gfpdemo_reset()')!.children[0].children[0].children[0];
  assert.equal(headerStep.description, 'gfpdemo.h:5');
  assert.deepEqual(headerStep.location, { uri: H, line: 4, character: 0 });
});

test('tooltips are markdown with effective flags, scope and findings, C names kept literal', () => {
  const roots = buildCallPathTree(demo);
  const note = roots.find((r) => r.label === 'gfpdemo_note_event()')!.children[0];
  assert.match(note.tooltip, /\*\*`kzalloc\(GFP_KERNEL\)`\*\* in `gfpdemo_note_event\(\)`/);
  assert.match(note.tooltip, /Effective flags: `GFP_KERNEL` · may sleep: \*\*yes\*\*/);
  assert.match(note.tooltip, /\$\(error\) error `atomic-alloc`: GFP\\_KERNEL may sleep/);
  assert.match(note.tooltip, /hard\\-irq handler gfpdemo\\_irq\\\(\\\)/);
  const reset = roots.find((r) => r.label === 'gfpdemo_reset()')!.children[0];
  assert.match(reset.tooltip, /memalloc_noio_save\(\)/);
  assert.match(reset.tooltip, /`GFP_NOIO`/);
  assert.match(reset.tooltip, /No findings/);
  assert.equal(escapeMarkdown('a_b*c'), 'a\\_b\\*c');
  assert.equal(inlineMarkdown('lock `spin_lock(&d->lock)` held in f_g()'), 'lock `spin_lock(&d->lock)` held in f\\_g\\(\\)');
  assert.equal(plainText('lock `spin_lock(&d->lock)` held'), 'lock spin_lock(&d->lock) held');
});

test('server code spans: plain in labels, kept in tooltips', () => {
  const ctx = buildCallPathTree(demo)[0].children[0].children[0];
  assert.equal(ctx.label, 'lock spin_lock_irqsave(&dev->lock, flags) held in gfpdemo_rx()');
  assert.match(ctx.tooltip, /lock `spin_lock_irqsave\(&dev->lock, flags\)` held in gfpdemo\\_rx\\\(\\\)/);
});

test('ids are unique, stable across line moves, and parents are indexed', () => {
  const nodes = all(buildCallPathTree(demo));
  assert.equal(new Set(nodes.map((n) => n.id)).size, nodes.length);
  const moved: AllocationSitesResult = { ...demo, sites: demo.sites.map((s) => ({ ...s, line: s.line + 10 })) };
  assert.deepEqual(all(buildCallPathTree(moved)).map((n) => n.id), nodes.map((n) => n.id));
  const roots = buildCallPathTree(demo);
  const parents = parentIndex(roots);
  const step = roots[2].children[0].children[0].children[1];
  assert.equal(parents.get(step.id)?.kind, 'context');
  assert.equal(parents.get(parents.get(step.id)!.id)?.kind, 'site');
  assert.equal(parents.get(roots[0].id), undefined);
});

test('empty and sloppy results never throw', () => {
  assert.deepEqual(buildCallPathTree({ uri: C, version: null, sites: [] }), []);
  const sloppy = { uri: C, version: null, sites: [{ function: 'g', callee: 'kmalloc', line: 1, character: 0, requested: 'flags', maySleep: 'unknown' }] } as unknown as AllocationSitesResult;
  const [fn] = buildCallPathTree(sloppy);
  assert.equal(fn.children[0].label, 'kmalloc(flags)');
  assert.match(fn.children[0].tooltip, /_unknown_/);
  // a half-typed flags argument spanning lines stays one short line
  const [typed] = buildCallPathTree({ uri: C, version: 2, sites: [site({ callee: 'kzalloc', requested: '8, GFP_KERNEL\n\tgfpdemo_queue(dev, buf);' })] });
  assert.equal(typed.children[0].label, 'kzalloc(8, GFP_KERNEL gfpdemo_queue(dev, buf);)');
  const [long] = buildCallPathTree({ uri: C, version: 2, sites: [site({ requested: 'X'.repeat(100) })] });
  assert.equal(long.children[0].label.length, 'kmalloc()'.length + 48);
});

test('document selection and URI helpers', () => {
  assert.ok(isGfpDocument('file', '/k/include/linux/gfp.h', 'cpp'));
  assert.ok(isGfpDocument('file', '/k/mm/slab.c', 'c'));
  assert.ok(!isGfpDocument('file', '/k/foo.cpp', 'cpp'));
  assert.ok(!isGfpDocument('git', '/k/mm/slab.c', 'c'));
  assert.ok(!isGfpDocument('output', 'extension-output-1', 'log'));
  assert.equal(uriBasename('file:///k/drivers/my%20dir/a%2Bb.c'), 'a+b.c');
  assert.equal(uriBasename('file:///k/x.h?query#frag'), 'x.h');
});

test('status bar text follows the server state and gfpLens/status', () => {
  const st = (over: Partial<StatusParams>): StatusParams => ({ state: 'ready', filesDone: 0, filesTotal: 0, errors: 0, warnings: 0, hints: 0, ...over });
  assert.equal(statusView('running', st({ state: 'indexing', filesDone: 1234, filesTotal: 5678 })).text, '$(sync~spin) GFP: 1234/5678');
  assert.equal(statusView('running', st({ errors: 2, warnings: 1 })).text, '$(shield) GFP: 2 errors, 1 warning');
  const analysing = statusView('running', st({ state: 'analysing', filesTotal: 57000, errors: 23, warnings: 1400 }));
  assert.equal(analysing.text, '$(sync~spin) GFP: analysing');
  assert.match(analysing.tooltip, /57000 files indexed; the whole-tree analysis is running.*last session found 23 errors, 1400 warnings/);
  assert.equal(statusView('running', st({})).text, '$(shield) GFP: clean');
  assert.equal(statusView('running', st({ hints: 3 })).text, '$(shield) GFP: 3 hints');
  assert.equal(statusView('running', undefined).text, '$(sync~spin) GFP: starting');
  assert.equal(statusView('running', st({ state: 'indexing' })).text, '$(sync~spin) GFP: indexing');
  assert.equal(statusView('disabled', undefined).text, '$(circle-slash) GFP: off');
  assert.equal(statusView('failed', undefined).alarm, true);
  assert.equal(findingSummary({ errors: 1, warnings: 0, hints: 5 }), '1 error');
  for (const state of ['disabled', 'starting', 'running', 'stopped', 'failed'] as const) {
    assert.match(statusView(state, undefined).text, /^\$\([a-z~-]+\) GFP/);
  }
});
