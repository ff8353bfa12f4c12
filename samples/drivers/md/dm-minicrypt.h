/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DM_MINICRYPT_H
#define _DM_MINICRYPT_H
struct minicrypt_io;
void minicrypt_convert(struct minicrypt_io *io);
void minicrypt_endio(struct minicrypt_io *io);
#endif
