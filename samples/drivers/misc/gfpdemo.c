// SPDX-License-Identifier: GPL-2.0
/*
 * gfpdemo: a small kernel-style driver written for GFP Lens's samples.
 * It shows sleeping allocations in atomic context next to correct code.
 */
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/interrupt.h>
#include "gfpdemo.h"

struct gfpdemo_dev {
	spinlock_t lock;
	struct list_head queue;
	int irq;
};

static void gfpdemo_note_event(struct gfpdemo_dev *dev);

/* BUG: GFP_KERNEL may sleep, but the lock is held with interrupts off. */
static int gfpdemo_rx(struct gfpdemo_dev *dev, size_t len)
{
	unsigned long flags;
	void *buf;

	spin_lock_irqsave(&dev->lock, flags);
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf) {
		spin_unlock_irqrestore(&dev->lock, flags);
		return -ENOMEM;
	}
	gfpdemo_queue(dev, buf);
	spin_unlock_irqrestore(&dev->lock, flags);
	return 0;
}

/* Correct: allocate first, then take the lock. */
static int gfpdemo_rx_fixed(struct gfpdemo_dev *dev, size_t len)
{
	unsigned long flags;
	void *buf;

	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	spin_lock_irqsave(&dev->lock, flags);
	gfpdemo_queue(dev, buf);
	spin_unlock_irqrestore(&dev->lock, flags);
	return 0;
}

/* Runs in hard-irq context once registered with request_irq() below. */
static irqreturn_t gfpdemo_irq(int irq, void *data)
{
	struct gfpdemo_dev *dev = data;

	gfpdemo_note_event(dev);
	return IRQ_HANDLED;
}

/* Called from the irq handler: this allocation is a bug on that path. */
static void gfpdemo_note_event(struct gfpdemo_dev *dev)
{
	struct gfpdemo_event *ev;

	ev = kzalloc(sizeof(*ev), GFP_KERNEL);
	if (ev)
		gfpdemo_queue(dev, ev);
}

static int gfpdemo_probe(struct gfpdemo_dev *dev)
{
	return request_irq(dev->irq, gfpdemo_irq, 0, "gfpdemo", dev);
}
