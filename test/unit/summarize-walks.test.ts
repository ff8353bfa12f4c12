// The summarizer's second walk of a file (run when it finds same-file lock wrappers) reuses the first walk of every
// function that calls none of them: the summary must be what walking everything again gives, in the same order,
// with each function's bindings once and the struct types defined inside bodies kept.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createParser } from '../../server/src/engine/parser';
import { summarize } from '../../server/src/engine/summarize';

const SRC = `struct dev {
	spinlock_t lock;
	struct dev_ops *ops;
};

static void helper(void)
{
}

static void setup(struct dev *d)
{
	struct local_ops {
		void (*run)(void);
	} lo = { .run = helper };

	d->ops->run = helper;
	kfree(kmalloc(8, GFP_KERNEL));
}

static void attach(struct dev *d)
{
	d->ops->run = helper;
}

static void dev_lock(struct dev *d)
{
	spin_lock(&d->lock);
}

static void dev_unlock(struct dev *d)
{
	spin_unlock(&d->lock);
}

static void user(struct dev *d)
{
	void *p;

	dev_lock(d);
	p = kmalloc(8, GFP_KERNEL);
	dev_unlock(d);
	kfree(p);
}
`;

test('a second walk that knows the lock wrappers keeps the first walk of functions that do not call them', async () => {
  for (const native of [true, false]) {
    const parser = await createParser({ native });
    const s = summarize(parser, '/t/walks.c', SRC);
    assert.deepEqual(s.problems, []);
    assert.deepEqual(Object.keys(s.wrappers ?? {}).sort(), ['dev_lock', 'dev_unlock'], 'both wrappers found: a second walk ran');
    assert.deepEqual(s.functions.map((f) => f.name), ['helper', 'setup', 'attach', 'dev_lock', 'dev_unlock', 'user']);
    const user = s.functions.find((f) => f.name === 'user')!;
    assert.equal(user.allocs.length, 1);
    assert.equal(user.allocs[0].state.held.length, 1, 'the allocation in user() is under the wrapper lock');
    assert.equal(user.allocs[0].state.held[0].wrapper, true);
    const setup = s.functions.find((f) => f.name === 'setup')!;
    assert.equal(setup.allocs.length, 1);
    assert.equal(setup.allocs[0].state.held.length, 0);
    assert.deepEqual({ ...s.structFields.local_ops }, { run: '' }, 'a struct defined in a body survives the second walk');
    const fromSetup = s.bindings.filter((b) => b.inFunction === 'setup').map((b) => `${b.via}:${b.chain.join('.')}=${b.fn}`);
    assert.deepEqual(fromSetup.sort(), ['assign:ops.run=helper', 'init:run=helper'], 'each binding once');
    // attach() calls no wrapper and defines no struct: its first walk is reused, bindings included
    assert.deepEqual(s.bindings.filter((b) => b.inFunction === 'attach').map((b) => `${b.via}:${b.chain.join('.')}=${b.fn}`), ['assign:ops.run=helper']);
    assert.deepEqual(s.bindings.map((b) => b.inFunction), ['setup', 'setup', 'attach'], 'bindings in walk order, each once');
  }
});
