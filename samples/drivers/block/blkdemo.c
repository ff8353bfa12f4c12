// SPDX-License-Identifier: GPL-2.0
/*
 * blkdemo: a kernel-style block driver written for GFP Lens's samples. Its .submit_bio runs on the
 * block I/O path, where reclaim must not start more I/O.
 */
#include <linux/blkdev.h>
#include <linux/slab.h>

struct blkdemo_dev {
	void *cache;
	void *meta;
};

/* Correct: the scope makes this GFP_KERNEL effectively GFP_NOIO. */
static void blkdemo_fill_cache(struct blkdemo_dev *bd)
{
	unsigned int noio_flag;

	noio_flag = memalloc_noio_save();
	bd->cache = kmalloc(512, GFP_KERNEL);
	memalloc_noio_restore(noio_flag);
}

/* BUG: GFP_KERNEL may recurse into I/O from the I/O path. */
static void blkdemo_load_meta(struct blkdemo_dev *bd)
{
	bd->meta = kzalloc(256, GFP_KERNEL);
}

static void blkdemo_submit_bio(struct bio *bio)
{
	struct blkdemo_dev *bd = bio->bi_bdev->bd_disk->private_data;

	blkdemo_fill_cache(bd);
	blkdemo_load_meta(bd);
	bio_endio(bio);
}

static const struct block_device_operations blkdemo_fops = {
	.submit_bio = blkdemo_submit_bio,
};
