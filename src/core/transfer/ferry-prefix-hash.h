/* ferry-prefix-hash.h: a file's SHA-256 as its bytes go by, with its digest at each block end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a receiver proves when a transfer resumes: for each whole 1 MiB block it holds, the
 * SHA-256 of the file from its start to the end of that block.  One pass over the bytes gives
 * these and the whole-file SHA-256 (a digest at a block end is a copy of the running hash,
 * finished).  The running hash at a block end can be saved (FERRY_PREFIX_HASH_STATE_LEN bytes)
 * and restored, so that a program started again goes on hashing from its saved state without
 * reading the bytes before it.
 */
#pragma once

#include <glib.h>
#include <nettle/sha2.h>

G_BEGIN_DECLS

#define FERRY_PREFIX_HASH_BLOCK (1024 * 1024)
#define FERRY_PREFIX_HASH_STATE_LEN 32

typedef struct {
  struct sha256_ctx ctx;
  guint64           n_blocks;     /* whole blocks hashed */
  gsize             block_fill;   /* bytes of the block after them */
  guint8            state[FERRY_PREFIX_HASH_STATE_LEN];  /* at the end of block n_blocks */
} FerryPrefixHash;

void     ferry_prefix_hash_init    (FerryPrefixHash *hash);
/* Goes on from @state, saved at the end of block @n_blocks; FALSE (and @hash untouched) when
 * @state has the wrong length. */
gboolean ferry_prefix_hash_restore (FerryPrefixHash *hash,
                                    guint64          n_blocks,
                                    const guint8    *state,
                                    gsize            len);
/* Hashes @len bytes; appends the digest at each block end to @digests (unless NULL). */
void     ferry_prefix_hash_update  (FerryPrefixHash *hash,
                                    const guint8    *data,
                                    gsize            len,
                                    GByteArray      *digests);
/* The digest of everything hashed; @hash starts over. */
void     ferry_prefix_hash_finish  (FerryPrefixHash *hash,
                                    guint8           digest[SHA256_DIGEST_SIZE]);

G_END_DECLS
