/* test-dht-storage.c: what a DHT node stores for others (src/core/dht/ferry-dht-storage.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <gio/gio.h>

#include "ferry-crypto.h"
#include "ferry-dht-storage.h"

#define MINUTE ((gint64) 60 * G_USEC_PER_SEC)

static GInetSocketAddress *
address (const char *ip,
         guint16     port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);

  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
}

static void
test_tokens (void)
{
  g_autoptr(FerryDhtStorage) storage = ferry_dht_storage_new ();
  g_autoptr(GInetAddress) alice = g_inet_address_new_from_string ("198.18.0.1");
  g_autoptr(GInetAddress) mallory = g_inet_address_new_from_string ("198.18.0.2");
  guint8 token[FERRY_DHT_TOKEN_LEN];
  gint64 t0 = 100 * MINUTE;

  ferry_dht_storage_make_token (storage, alice, t0, token);
  g_assert_true (ferry_dht_storage_check_token (storage, alice, token, sizeof token, t0 + MINUTE));
  g_assert_false (ferry_dht_storage_check_token (storage, mallory, token, sizeof token, t0 + MINUTE));
  g_assert_false (ferry_dht_storage_check_token (storage, alice, token, sizeof token - 1, t0));
  /* Still good after one rotation, no longer after two. */
  g_assert_true (ferry_dht_storage_check_token (storage, alice, token, sizeof token, t0 + 6 * MINUTE));
  g_assert_false (ferry_dht_storage_check_token (storage, alice, token, sizeof token, t0 + 11 * MINUTE));
}

static void
test_peers (void)
{
  g_autoptr(FerryDhtStorage) storage = ferry_dht_storage_new ();
  g_autoptr(GInetSocketAddress) a = address ("198.18.0.1", 6881);
  g_autoptr(GInetSocketAddress) a_again = address ("198.18.0.1", 6881);
  g_autoptr(GInetSocketAddress) b = address ("198.18.0.2", 6882);
  g_autoptr(GInetSocketAddress) c = address ("2001:db8::3", 6883);
  g_autoptr(GPtrArray) v4 = NULL;
  g_autoptr(GPtrArray) v6 = NULL;
  g_autoptr(GPtrArray) later = NULL;
  guint8 info_hash[FERRY_KRPC_ID_LEN] = "an info hash, twenty";

  ferry_dht_storage_announce (storage, info_hash, a, 0);
  ferry_dht_storage_announce (storage, info_hash, b, MINUTE);
  ferry_dht_storage_announce (storage, info_hash, a_again, 20 * MINUTE);
  ferry_dht_storage_announce (storage, info_hash, c, 2 * MINUTE);
  v4 = ferry_dht_storage_get_peers (storage, info_hash, G_SOCKET_FAMILY_IPV4, 50, 21 * MINUTE);
  v6 = ferry_dht_storage_get_peers (storage, info_hash, G_SOCKET_FAMILY_IPV6, 50, 21 * MINUTE);
  g_assert_cmpuint (v4->len, ==, 2);
  g_assert_cmpuint (v6->len, ==, 1);
  /* Thirty minutes after their announce, b and c are gone; a announced again. */
  later = ferry_dht_storage_get_peers (storage, info_hash, G_SOCKET_FAMILY_IPV4, 50, 40 * MINUTE);
  g_assert_cmpuint (later->len, ==, 1);
  g_assert_cmpuint (g_inet_socket_address_get_port (later->pdata[0]), ==, 6881);
}

static void
test_immutable (void)
{
  g_autoptr(FerryDhtStorage) storage = ferry_dht_storage_new ();
  g_autoptr(GBytes) value = g_bytes_new_static ("12:Hello World!", 15);
  g_autofree guint8 *big = g_malloc0 (FERRY_DHT_MAX_VALUE + 1);
  g_autoptr(GBytes) too_big = g_bytes_new (big, FERRY_DHT_MAX_VALUE + 1);
  guint8 target[FERRY_KRPC_ID_LEN];
  const FerryDhtStoredItem *item;

  g_assert_cmpint (ferry_dht_storage_put_immutable (storage, value, 0), ==, 0);
  g_assert_true (ferry_hex_decode ("e5f96f6f38320f0f33959cb4d3d656452117aadb", -1, '\0', target, sizeof target));
  item = ferry_dht_storage_get_item (storage, target, MINUTE);
  g_assert_nonnull (item);
  g_assert_false (item->is_mutable);
  g_assert_true (g_bytes_equal (item->value, value));
  g_assert_cmpint (ferry_dht_storage_put_immutable (storage, too_big, 0), ==, FERRY_KRPC_VALUE_TOO_BIG);
  /* Two hours without a new put: gone. */
  g_assert_null (ferry_dht_storage_get_item (storage, target, 121 * MINUTE));
}

static int
put (FerryDhtStorage *storage,
     const guint8    *seed,
     const char      *salt,
     gint64           seq,
     const gint64    *cas,
     const char      *value)
{
  g_autoptr(GBytes) bytes = g_bytes_new (value, strlen (value));
  guint8 public_key[FERRY_DHT_KEY_LEN], signature[FERRY_DHT_SIGNATURE_LEN];
  gsize salt_len = salt ? strlen (salt) : 0;

  ferry_dht_item_public_key (seed, public_key);
  ferry_dht_item_sign (seed, (const guint8 *) salt, salt_len, seq, (const guint8 *) value, strlen (value), signature);
  return ferry_dht_storage_put_mutable (storage, public_key, (const guint8 *) salt, salt_len, seq, cas, bytes,
                                        signature, 0);
}

static void
test_mutable (void)
{
  g_autoptr(FerryDhtStorage) storage = ferry_dht_storage_new ();
  g_autoptr(GBytes) hello = g_bytes_new_static ("12:Hello World!", 15);
  guint8 public_key[FERRY_DHT_KEY_LEN], signature[FERRY_DHT_SIGNATURE_LEN], target[FERRY_KRPC_ID_LEN];
  guint8 seed[FERRY_DHT_KEY_LEN];
  g_autofree char *long_salt = g_strnfill (FERRY_DHT_MAX_SALT + 1, 's');
  g_autofree char *filler = g_strnfill (997, 'x');
  g_autofree char *long_value = NULL;
  const FerryDhtStoredItem *item;
  gint64 cas;

  /* BEP 44's test 1, as a put. */
  g_assert_true (ferry_hex_decode ("77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548", -1, '\0',
                                   public_key, sizeof public_key));
  g_assert_true (ferry_hex_decode ("305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff"
                                   "1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01", -1, '\0',
                                   signature, sizeof signature));
  g_assert_cmpint (ferry_dht_storage_put_mutable (storage, public_key, NULL, 0, 1, NULL, hello, signature, 0), ==, 0);
  g_assert_true (ferry_hex_decode ("4a533d47ec9c7d95b1ad75f576cffc641853b750", -1, '\0', target, sizeof target));
  item = ferry_dht_storage_get_item (storage, target, 0);
  g_assert_nonnull (item);
  g_assert_cmpint (item->seq, ==, 1);
  signature[0] ^= 1;
  g_assert_cmpint (ferry_dht_storage_put_mutable (storage, public_key, NULL, 0, 2, NULL, hello, signature, 0), ==,
                   FERRY_KRPC_BAD_SIGNATURE);

  ferry_random_bytes (seed, sizeof seed);
  g_assert_cmpint (put (storage, seed, "room", 5, NULL, "i1e"), ==, 0);
  g_assert_cmpint (put (storage, seed, "room", 4, NULL, "i2e"), ==, FERRY_KRPC_SEQ_TOO_LOW);
  g_assert_cmpint (put (storage, seed, "room", 5, NULL, "i2e"), ==, FERRY_KRPC_SEQ_TOO_LOW);
  g_assert_cmpint (put (storage, seed, "room", 5, NULL, "i1e"), ==, 0);
  cas = 4;
  g_assert_cmpint (put (storage, seed, "room", 6, &cas, "i3e"), ==, FERRY_KRPC_CAS_MISMATCH);
  cas = 5;
  g_assert_cmpint (put (storage, seed, "room", 6, &cas, "i3e"), ==, 0);
  /* Another salt is another item. */
  g_assert_cmpint (put (storage, seed, "other", 1, NULL, "i9e"), ==, 0);
  g_assert_cmpint (put (storage, seed, long_salt, 1, NULL, "i1e"), ==, FERRY_KRPC_SALT_TOO_BIG);
  /* 1,001 bytes encoded. */
  long_value = g_strconcat ("997:", filler, NULL);
  g_assert_cmpint (put (storage, seed, "room", 7, NULL, long_value), ==, FERRY_KRPC_VALUE_TOO_BIG);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dht-storage/tokens", test_tokens);
  g_test_add_func ("/dht-storage/peers", test_peers);
  g_test_add_func ("/dht-storage/immutable", test_immutable);
  g_test_add_func ("/dht-storage/mutable", test_mutable);
  return g_test_run ();
}
