/* ferry-prefix-hash.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * nettle's sha256_ctx is a plain structure in its public header, so a copy of it is a copy of the
 * hash (no allocation per block, as gnutls_hash_copy () would make), and its eight state words
 * are what the hash holds at a block end: 1 MiB is a whole number of SHA-256's 64-byte blocks,
 * so nothing waits in its buffer there.  Saved states are the words in big-endian order; the
 * byte count follows from the number of blocks.  /prefix-hash/restore checks that a restored
 * hash gives the same digests as one that never stopped.
 */
#include "config.h"

#include <string.h>

#include "ferry-prefix-hash.h"

G_STATIC_ASSERT (FERRY_PREFIX_HASH_BLOCK % SHA256_BLOCK_SIZE == 0);
G_STATIC_ASSERT (FERRY_PREFIX_HASH_STATE_LEN == _SHA256_DIGEST_LENGTH * 4);

static void
save_state (FerryPrefixHash *hash)
{
  for (guint i = 0; i < _SHA256_DIGEST_LENGTH; i++)
    {
      guint32 word = GUINT32_TO_BE (hash->ctx.state[i]);

      memcpy (hash->state + 4 * i, &word, 4);
    }
}

void
ferry_prefix_hash_init (FerryPrefixHash *hash)
{
  memset (hash, 0, sizeof *hash);
  sha256_init (&hash->ctx);
  save_state (hash);
}

gboolean
ferry_prefix_hash_restore (FerryPrefixHash *hash,
                           guint64          n_blocks,
                           const guint8    *state,
                           gsize            len)
{
  if (len != FERRY_PREFIX_HASH_STATE_LEN || n_blocks > G_MAXUINT64 / FERRY_PREFIX_HASH_BLOCK)
    return FALSE;
  ferry_prefix_hash_init (hash);
  for (guint i = 0; i < _SHA256_DIGEST_LENGTH; i++)
    {
      guint32 word;

      memcpy (&word, state + 4 * i, 4);
      hash->ctx.state[i] = GUINT32_FROM_BE (word);
    }
  hash->ctx.count = n_blocks * (FERRY_PREFIX_HASH_BLOCK / SHA256_BLOCK_SIZE);
  hash->n_blocks = n_blocks;
  memcpy (hash->state, state, len);
  return TRUE;
}

void
ferry_prefix_hash_update (FerryPrefixHash *hash,
                          const guint8    *data,
                          gsize            len,
                          GByteArray      *digests)
{
  while (len > 0)
    {
      gsize n = MIN (len, FERRY_PREFIX_HASH_BLOCK - hash->block_fill);

      sha256_update (&hash->ctx, n, data);
      hash->block_fill += n;
      data += n;
      len -= n;
      if (hash->block_fill < FERRY_PREFIX_HASH_BLOCK)
        break;
      hash->block_fill = 0;
      hash->n_blocks++;
      save_state (hash);
      if (digests != NULL)
        {
          struct sha256_ctx copy = hash->ctx;
          guint8 digest[SHA256_DIGEST_SIZE];

          sha256_digest (&copy, sizeof digest, digest);
          g_byte_array_append (digests, digest, sizeof digest);
        }
    }
}

void
ferry_prefix_hash_finish (FerryPrefixHash *hash,
                          guint8           digest[SHA256_DIGEST_SIZE])
{
  sha256_digest (&hash->ctx, SHA256_DIGEST_SIZE, digest);
  ferry_prefix_hash_init (hash);
}
