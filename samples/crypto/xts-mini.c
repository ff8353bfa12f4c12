// SPDX-License-Identifier: GPL-2.0
/* GFP Lens sample: an xts-like template whose init allocates depending on MAY_SLEEP. */
#include <linux/slab.h>
#include <crypto/skcipher.h>

struct xtsmini_rctx {
	void *buf;
};

static int xtsmini_init_crypt(struct skcipher_request *req)
{
	struct xtsmini_rctx *rctx = skcipher_request_ctx(req);
	gfp_t gfp = (req->base.flags & CRYPTO_TFM_REQ_MAY_SLEEP) ? GFP_KERNEL : GFP_ATOMIC;

	rctx->buf = kmalloc(req->cryptlen, gfp); /* NOIO path: dm .map -> worker -> encrypt */
	if (!rctx->buf)
		return -ENOMEM;
	return 0;
}

static int xtsmini_encrypt(struct skcipher_request *req)
{
	int err = xtsmini_init_crypt(req);

	if (err)
		return err;
	return xtsmini_do_encrypt(req);
}

static int xtsmini_create(struct crypto_template *tmpl, struct rtattr **tb)
{
	struct skcipher_instance *inst;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL);
	if (!inst)
		return -ENOMEM;
	inst->alg.encrypt = xtsmini_encrypt;
	inst->alg.decrypt = xtsmini_decrypt;
	return skcipher_register_instance(tmpl, inst);
}
