/* test-dht-item.c: BEP 44 targets and signatures, with BEP 44's test vectors and RFC 8032's
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "ferry-crypto.h"
#include "ferry-dht-item.h"

static const char value[] = "12:Hello World!";
/* BEP 44, tests 1 and 2. */
static const char bep44_public[] = "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548";
static const char bep44_signature_1[] =
  "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff"
  "1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01";
static const char bep44_signature_2[] =
  "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d"
  "df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08";

static void
hex (const char *text,
     guint8     *out,
     gsize       len)
{
  g_assert_true (ferry_hex_decode (text, -1, '\0', out, len));
}

static void
assert_hex (const guint8 *data,
            gsize         len,
            const char   *expected)
{
  g_autofree char *text = ferry_hex_encode (data, len);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_targets (void)
{
  guint8 public_key[FERRY_DHT_KEY_LEN], target[FERRY_DHT_TARGET_LEN];

  hex (bep44_public, public_key, sizeof public_key);
  ferry_dht_item_mutable_target (public_key, NULL, 0, target);
  assert_hex (target, sizeof target, "4a533d47ec9c7d95b1ad75f576cffc641853b750");
  ferry_dht_item_mutable_target (public_key, (const guint8 *) "foobar", 6, target);
  assert_hex (target, sizeof target, "411eba73b6f087ca51a3795d9c8c938d365e32c1");
  ferry_dht_item_immutable_target ((const guint8 *) value, strlen (value), target);
  assert_hex (target, sizeof target, "e5f96f6f38320f0f33959cb4d3d656452117aadb");
}

static void
test_signed_buffer (void)
{
  g_autoptr(GBytes) plain = ferry_dht_item_signed_buffer (NULL, 0, 1, (const guint8 *) value, strlen (value));
  g_autoptr(GBytes) salted = ferry_dht_item_signed_buffer ((const guint8 *) "foobar", 6, 1, (const guint8 *) value,
                                                           strlen (value));

  g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), "3:seqi1e1:v12:Hello World!", 26);
  g_assert_cmpmem (g_bytes_get_data (salted, NULL), g_bytes_get_size (salted),
                   "4:salt6:foobar3:seqi1e1:v12:Hello World!", 40);
}

/* BEP 44 gives its private key in the expanded form, not as a seed: its signatures are checked
 * here, and signing is checked with RFC 8032. */
static void
test_verify (void)
{
  guint8 public_key[FERRY_DHT_KEY_LEN], signature[FERRY_DHT_SIGNATURE_LEN];
  const guint8 *v = (const guint8 *) value;

  hex (bep44_public, public_key, sizeof public_key);
  hex (bep44_signature_1, signature, sizeof signature);
  g_assert_true (ferry_dht_item_verify (public_key, NULL, 0, 1, v, strlen (value), signature));
  /* Another sequence number, a salt, another value or a flipped bit: refused. */
  g_assert_false (ferry_dht_item_verify (public_key, NULL, 0, 2, v, strlen (value), signature));
  g_assert_false (ferry_dht_item_verify (public_key, (const guint8 *) "foobar", 6, 1, v, strlen (value), signature));
  g_assert_false (ferry_dht_item_verify (public_key, NULL, 0, 1, (const guint8 *) "12:Hello World?", 15, signature));
  signature[10] ^= 1;
  g_assert_false (ferry_dht_item_verify (public_key, NULL, 0, 1, v, strlen (value), signature));

  hex (bep44_signature_2, signature, sizeof signature);
  g_assert_true (ferry_dht_item_verify (public_key, (const guint8 *) "foobar", 6, 1, v, strlen (value), signature));
  g_assert_false (ferry_dht_item_verify (public_key, NULL, 0, 1, v, strlen (value), signature));
}

static void
test_sign (void)
{
  guint8 seed[FERRY_DHT_KEY_LEN], public_key[FERRY_DHT_KEY_LEN], signature[FERRY_DHT_SIGNATURE_LEN];

  /* RFC 8032, section 7.1, test 1. */
  hex ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, sizeof seed);
  ferry_dht_item_public_key (seed, public_key);
  assert_hex (public_key, sizeof public_key, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");

  /* A signature made here verifies, and only for what it signed. */
  ferry_dht_item_sign (seed, (const guint8 *) "salt!", 5, 7, (const guint8 *) "i42e", 4, signature);
  g_assert_true (ferry_dht_item_verify (public_key, (const guint8 *) "salt!", 5, 7, (const guint8 *) "i42e", 4,
                                        signature));
  g_assert_false (ferry_dht_item_verify (public_key, (const guint8 *) "salt!", 5, 8, (const guint8 *) "i42e", 4,
                                         signature));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dht-item/targets", test_targets);
  g_test_add_func ("/dht-item/signed-buffer", test_signed_buffer);
  g_test_add_func ("/dht-item/verify", test_verify);
  g_test_add_func ("/dht-item/sign", test_sign);
  return g_test_run ();
}
