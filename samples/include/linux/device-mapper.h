/* GFP Lens sample: minimal device-mapper declarations (written for the tests). */
#ifndef _FIX_DEVICE_MAPPER_H
#define _FIX_DEVICE_MAPPER_H

struct bio;
struct dm_target;

typedef int (*dm_map_fn)(struct dm_target *ti, struct bio *bio);

struct target_type {
	const char *name;
	int (*ctr)(struct dm_target *ti, unsigned int argc, char **argv);
	int (*map)(struct dm_target *ti, struct bio *bio);
	int (*end_io)(struct dm_target *ti, struct bio *bio, int *error);
};

struct dm_target {
	struct target_type *type;
	void *private;
};

int dm_register_target(struct target_type *t);

#endif
