// SPDX-License-Identifier: GPL-2.0
/* GFP Lens sample: the convert loop of the crypt-like target, in its own file. */
#include <crypto/skcipher.h>
#include "dm-minicrypt.h"

void minicrypt_convert(struct minicrypt_io *io)
{
	struct skcipher_request *req = io->req;
	int r;

	skcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP,
				      minicrypt_done, io);
	r = crypto_skcipher_encrypt(req);
	if (r == -EINPROGRESS)
		wait_for_completion(&io->restart);
}

void minicrypt_endio(struct minicrypt_io *io)
{
	bio_endio(io->bio);
}
