/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GFPDEMO_H
#define _GFPDEMO_H

struct gfpdemo_dev;
struct gfpdemo_event { int code; };
void gfpdemo_queue(struct gfpdemo_dev *dev, void *item);

#endif
