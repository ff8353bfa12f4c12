// C names that are also members of JavaScript's Object.prototype (`constructor`, `toString`, `valueOf`, `__proto__`)
// are plain names to the engine: a call through a function pointer named `constructor` (as svc_rdma_rw.c makes) is a
// call, not a lock release; a struct named `toString` gets its own fields; hovering such a word is no flag hover.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createEngine } from '../../server/src/engine';
import { createParser } from '../../server/src/engine/parser';
import { summarize } from '../../server/src/engine/summarize';
import { allocatorGfpIndex, regionApi } from '../../server/src/engine/kernelApi';

const SRC = `struct toString {
	int valueOf;
	void (*constructor)(int);
};

static DEFINE_SPINLOCK(l);

static void build(void (*constructor)(int), struct toString *t)
{
	void *p;

	spin_lock(&l);
	constructor(1);
	t->constructor(2);
	spin_unlock(&l);
	p = kmalloc(8, GFP_KERNEL);
	kfree(p);
}
`;

test('kernel names that are also Object.prototype members are plain names', async () => {
  assert.equal(allocatorGfpIndex('constructor'), undefined);
  assert.equal(allocatorGfpIndex('toString', {}), undefined);
  assert.equal(allocatorGfpIndex('my_alloc', JSON.parse('{"my_alloc": 2}')), 2);
  assert.equal(regionApi('constructor'), undefined);
  for (const native of [true, false]) {
    const s = summarize(await createParser({ native }), '/t/names.c', SRC);
    assert.deepEqual(s.problems, []);
    const fn = s.functions.find((f) => f.name === 'build')!;
    const calls = fn.calls as unknown as Array<{ callee?: string; state: { held: unknown[] } }>;
    assert.ok(calls.some((c) => c.callee === 'constructor' && c.state.held.length === 1), 'the pointer call is a call, under the lock');
    assert.equal(fn.allocs.length, 1);
    assert.equal(fn.allocs[0].state.held.length, 0);
    assert.equal(fn.allocs[0].state.released, 0, 'calling `constructor` released no lock');
    assert.deepEqual({ ...s.structFields.toString }, { valueOf: '', constructor: '' });
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype.toString, 'valueOf'), false, 'nothing written onto Object.prototype.toString');
  }
  const engine = await createEngine({});
  try {
    engine.updateFile('/t/names.c', SRC);
    for (const word of ['constructor(1)', 'toString *t', 'valueOf;']) {
      const h = engine.hover('/t/names.c', SRC.indexOf(word) + 1);
      assert.ok(!h || !/GFP|flag/i.test(h.markdown), `no flag hover on ${word}: ${h?.markdown}`);
    }
    assert.equal(engine.findings().filter((f) => f.function === 'build').length, 0, 'the allocation after the unlock is fine');
  } finally { engine.dispose(); }
});
