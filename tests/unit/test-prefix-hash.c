/* test-prefix-hash.c: a file's SHA-256 with its digests at block ends, saved and restored
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ferry-prefix-hash.h"

#define BLOCK FERRY_PREFIX_HASH_BLOCK
#define SIZE (3 * BLOCK + 12345)

static guint8 *
make_data (void)
{
  guint8 *data = g_malloc (SIZE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (gsize i = 0; i < SIZE; i++)
    data[i] = g_rand_int (rand);
  return data;
}

/* SHA-256 of data[0, len), by GLib's own implementation. */
static void
reference (const guint8 *data,
           gsize         len,
           guint8        digest[32])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize digest_len = 32;

  g_checksum_update (checksum, data, len);
  g_checksum_get_digest (checksum, digest, &digest_len);
}

/* Fed in uneven pieces, the digests at block ends are those of the prefixes, and the final one
 * that of everything. */
static void
test_digests (void)
{
  g_autofree guint8 *data = make_data ();
  g_autoptr(GByteArray) digests = g_byte_array_new ();
  FerryPrefixHash hash;
  guint8 want[32], got[32];
  gsize done = 0, piece = 1;

  ferry_prefix_hash_init (&hash);
  while (done < SIZE)
    {
      gsize n = MIN (piece, SIZE - done);

      ferry_prefix_hash_update (&hash, data + done, n, digests);
      done += n;
      piece = piece * 3 + 7;
    }
  g_assert_cmpuint (hash.n_blocks, ==, 3);
  g_assert_cmpuint (digests->len, ==, 3 * 32);
  for (guint i = 0; i < 3; i++)
    {
      reference (data, (i + 1) * (gsize) BLOCK, want);
      g_assert_cmpmem (digests->data + i * 32, 32, want, 32);
    }
  ferry_prefix_hash_finish (&hash, got);
  reference (data, SIZE, want);
  g_assert_cmpmem (got, 32, want, 32);
}

/* A hash restored from the state saved at a block end goes on exactly as one that never
 * stopped: a program started again needs nothing of the bytes before. */
static void
test_restore (void)
{
  g_autofree guint8 *data = make_data ();
  g_autoptr(GByteArray) digests = g_byte_array_new ();
  g_autoptr(GByteArray) later = g_byte_array_new ();
  FerryPrefixHash first, again;
  guint8 saved[FERRY_PREFIX_HASH_STATE_LEN], want[32], got[32];

  ferry_prefix_hash_init (&first);
  ferry_prefix_hash_update (&first, data, 2 * BLOCK + 100, digests);
  /* The saved state is the one at the last block end, not after the 100 bytes. */
  memcpy (saved, first.state, sizeof saved);
  ferry_prefix_hash_update (&first, data + 2 * BLOCK + 100, SIZE - 2 * BLOCK - 100, digests);

  memset (&again, 0xff, sizeof again);
  g_assert_true (ferry_prefix_hash_restore (&again, 2, saved, sizeof saved));
  ferry_prefix_hash_update (&again, data + 2 * BLOCK, SIZE - 2 * BLOCK, later);
  g_assert_cmpuint (later->len, ==, 32);
  g_assert_cmpmem (later->data, 32, digests->data + 2 * 32, 32);
  ferry_prefix_hash_finish (&again, got);
  reference (data, SIZE, want);
  g_assert_cmpmem (got, 32, want, 32);

  /* A state of the wrong length is refused. */
  g_assert_false (ferry_prefix_hash_restore (&again, 2, saved, sizeof saved - 1));
  g_assert_false (ferry_prefix_hash_restore (&again, 2, NULL, 0));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/prefix-hash/digests", test_digests);
  g_test_add_func ("/prefix-hash/restore", test_restore);
  return g_test_run ();
}
