/* GFP Lens sample: a miniature symmetric-cipher API in the shape of the kernel's (written for the tests). */
#ifndef _FIX_SKCIPHER_H
#define _FIX_SKCIPHER_H

#define CRYPTO_TFM_REQ_MAY_BACKLOG	0x00000400
#define CRYPTO_TFM_REQ_MAY_SLEEP	0x00000200

struct crypto_async_request {
	unsigned int flags;
	void *data;
};

struct skcipher_request {
	struct crypto_async_request base;
	struct crypto_skcipher *tfm;
	unsigned int cryptlen;
};

struct skcipher_alg {
	int (*encrypt)(struct skcipher_request *req);
	int (*decrypt)(struct skcipher_request *req);
	unsigned int ivsize;
};

struct skcipher_instance {
	struct skcipher_alg alg;
	void *ctx;
};

struct skcipher_alg *crypto_skcipher_alg(struct crypto_skcipher *tfm);

static inline void skcipher_request_set_callback(struct skcipher_request *req, unsigned int flags,
						 void *compl, void *data)
{
	req->base.flags = flags;
	req->base.data = data;
}

static inline int crypto_skcipher_encrypt(struct skcipher_request *req)
{
	struct skcipher_alg *alg = crypto_skcipher_alg(req->tfm);

	return alg->encrypt(req);
}

#endif
