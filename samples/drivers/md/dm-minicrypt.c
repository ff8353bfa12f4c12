// SPDX-License-Identifier: GPL-2.0
/*
 * GFP Lens sample: a device-mapper crypt-like target in the shape of the seed deadlock.
 * .map queues the bio to a worker; the worker encrypts through the skcipher API with
 * CRYPTO_TFM_REQ_MAY_SLEEP set, so the cipher's init allocates with GFP_KERNEL on an I/O path.
 */
#include <linux/device-mapper.h>
#include <linux/workqueue.h>
#include <crypto/skcipher.h>
#include "dm-minicrypt.h"

struct minicrypt_io {
	struct dm_target *ti;
	struct bio *bio;
	struct work_struct work;
	struct skcipher_request *req;
};

static struct workqueue_struct *minicrypt_wq;

static void minicrypt_worker(struct work_struct *work)
{
	struct minicrypt_io *io = container_of(work, struct minicrypt_io, work);

	minicrypt_convert(io);
	minicrypt_endio(io);
}

static int minicrypt_map(struct dm_target *ti, struct bio *bio)
{
	struct minicrypt_io *io = dm_per_bio_data(bio, sizeof(*io));

	io->ti = ti;
	io->bio = bio;
	INIT_WORK(&io->work, minicrypt_worker);
	queue_work(minicrypt_wq, &io->work);
	return DM_MAPIO_SUBMITTED;
}

static struct target_type minicrypt_target = {
	.name = "minicrypt",
	.map = minicrypt_map,
};

static int __init dm_minicrypt_init(void)
{
	return dm_register_target(&minicrypt_target);
}
