// Quick-fix edits: each changes only what its title says, keeps the file parseable, and the re-analysed
// text no longer has the finding.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createEngine, indexTree } from '../../server/src/engine';
import { applyEdits } from '../../server/src/engine/fixes';

const samples = path.resolve(__dirname, '../../../samples');
const blk = path.join(samples, 'drivers/block/blkdemo.c');

async function engineWith(text: string) {
  const e = await createEngine();
  await indexTree(e, [samples], { skip: (f) => f === blk });
  e.updateFile(blk, text);
  return e;
}

for (const title of [/^Use GFP_NOIO/, /^Wrap in memalloc_noio_save/, /^Wrap the body of blkdemo_load_meta\(\)/]) {
  test(`blkdemo noio fix ${title}`, async () => {
    const text = fs.readFileSync(blk, 'utf8');
    const e = await engineWith(text);
    const f = e.findings(blk).find((x) => x.rule === 'noio-alloc' && x.function === 'blkdemo_load_meta');
    assert.ok(f, 'the noio-alloc finding in blkdemo_load_meta()');
    const fix = f.fixes.find((x) => title.test(x.title));
    assert.ok(fix, `fix ${title} among ${f.fixes.map((x) => x.title).join(' | ')}`);
    const after = applyEdits(text, fix.edits);
    // nothing outside the edits changed: removing the inserted text gives the original back
    const inserted = fix.edits.filter((x) => x.startOffset === x.endOffset);
    if (inserted.length === fix.edits.length) {
      let back = after;
      for (const x of [...fix.edits].sort((a, b) => a.startOffset - b.startOffset).reverse()) {
        const shift = fix.edits.filter((y) => y.startOffset < x.startOffset).reduce((n, y) => n + y.newText.length, 0);
        back = back.slice(0, x.startOffset + shift) + back.slice(x.startOffset + shift + x.newText.length);
      }
      assert.equal(back, text);
    }
    assert.equal((after.match(/#include <linux\/sched\/mm.h>/g) ?? []).length <= 1, true, 'the include is added at most once');
    const e2 = await engineWith(after);
    assert.ok(!e2.findings(blk).some((x) => x.rule === 'noio-alloc' && x.function === 'blkdemo_load_meta'), 'the finding is gone after the fix');
    assert.equal(e2.problems().filter((p) => p.file === blk).length, 0);
    if (/Wrap/.test(fix.title)) {
      assert.match(after, /unsigned int noio_flag;/);
      assert.match(after, /noio_flag = memalloc_noio_save\(\);[\s\S]*kzalloc\(256, GFP_KERNEL\);[\s\S]*memalloc_noio_restore\(noio_flag\);/);
    }
    e.dispose(); e2.dispose();
  });
}

test('wrap a selected region in a memalloc scope', async () => {
  const text = fs.readFileSync(blk, 'utf8');
  const e = await engineWith(text);
  const start = text.indexOf('\tblkdemo_fill_cache(bd);');
  const end = text.indexOf('\tbio_endio(bio);');
  const fix = e.wrapSelection(blk, start, end, 'noio');
  assert.ok(fix, 'a whole-lines selection inside a body is wrappable');
  const after = applyEdits(text, fix.edits);
  assert.match(after, /\tunsigned int noio_flag;\n\n\tnoio_flag = memalloc_noio_save\(\);\n\tblkdemo_fill_cache\(bd\);\n\tblkdemo_load_meta\(bd\);\n\tmemalloc_noio_restore\(noio_flag\);\n\tbio_endio\(bio\);/);
  assert.equal((after.match(/#include <linux\/sched\/mm.h>/g) ?? []).length, 1);
  const e2 = await engineWith(after);
  assert.ok(!e2.findings(blk).some((x) => x.rule === 'noio-alloc'), 'the NOIO finding reached through the wrapped call is gone');
  // refused: a selection that can leave the scope, or that is not inside a body
  const ret = fs.readFileSync(path.join(samples, 'drivers/misc/gfpdemo.c'), 'utf8');
  const demo = path.join(samples, 'drivers/misc/gfpdemo.c');
  e.updateFile(demo, ret);
  const a = ret.indexOf('\tbuf = kmalloc(len, GFP_KERNEL);\n\tif (!buf) {');
  assert.equal(e.wrapSelection(demo, a, ret.indexOf('\tgfpdemo_queue(dev, buf);\n\tspin_unlock_irqrestore'), 'noio'), undefined, 'a region with return is refused');
  assert.equal(e.wrapSelection(demo, 0, 20, 'noio'), undefined, 'outside a function body');
  e.dispose(); e2.dispose();
});
