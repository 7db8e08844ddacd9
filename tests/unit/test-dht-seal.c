/* test-dht-seal.c: sealed DHT values (src/core/dht/ferry-dht-seal.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "ferry-dht-seal.h"

static const guint8 secret[32] = "a room secret of 32 bytes, here";
static const guint8 alice[FERRY_DHT_MEMBER_ID_LEN] = "alice01";
static const guint8 bob[FERRY_DHT_MEMBER_ID_LEN] = "bob0001";
static const guint8 everyone[FERRY_DHT_MEMBER_ID_LEN] = { 0 };

static void
setup (FerryDhtEpochKeys *keys,
       guint8             salt[FERRY_DHT_SALT_LEN])
{
  ferry_dht_epoch_keys (secret, sizeof secret, 493000, keys);
  ferry_dht_slot_salt (keys, "mbox", alice, sizeof alice, salt);
}

static void
assert_refused (const FerryDhtEpochKeys *keys,
                const guint8            *salt,
                gint64                   seq,
                GBytes                  *sealed,
                const guint8            *recipient,
                gint64                   not_before,
                int                      code)
{
  g_autoptr(GError) error = NULL;
  FerryDhtOpened opened;

  g_assert_false (ferry_dht_open (keys, salt, seq, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                                  recipient, not_before, &opened, &error));
  g_assert_error (error, FERRY_DHT_SEAL_ERROR, code);
  g_assert_null (opened.payload);
}

static void
test_round_trip (void)
{
  FerryDhtEpochKeys keys;
  guint8 salt[FERRY_DHT_SALT_LEN];
  g_autoptr(GBytes) payload = g_bytes_new_static ("an offer", 8);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) error = NULL;
  FerryDhtOpened opened;

  setup (&keys, salt);
  sealed = ferry_dht_seal (&keys, salt, 42, alice, bob, 1700000000123, payload);
  g_assert_cmpuint (g_bytes_get_size (sealed), ==, 8 + FERRY_DHT_SEAL_OVERHEAD);
  g_assert_true (ferry_dht_open (&keys, salt, 42, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), bob,
                                 0, &opened, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (opened.sender, sizeof opened.sender, alice, sizeof alice);
  g_assert_cmpint (opened.created_ms, ==, 1700000000123);
  g_assert_true (g_bytes_equal (opened.payload, payload));
  ferry_dht_opened_clear (&opened);

  /* The DHT sees neither the payload nor the ids. */
  g_assert_null (memmem (g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), "an offer", 8));
  g_assert_null (memmem (g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), "alice01", 7));
}

static void
test_refused (void)
{
  FerryDhtEpochKeys keys, next_hour, other_room;
  guint8 salt[FERRY_DHT_SALT_LEN], other_slot[FERRY_DHT_SALT_LEN];
  g_autoptr(GBytes) payload = g_bytes_new_static ("an offer", 8);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) cut = NULL;
  g_autoptr(GBytes) lobby = NULL;
  guint8 flipped[200];
  FerryDhtOpened opened;

  setup (&keys, salt);
  sealed = ferry_dht_seal (&keys, salt, 42, alice, bob, 1000, payload);
  ferry_dht_epoch_keys (secret, sizeof secret, 493001, &next_hour);
  ferry_dht_epoch_keys ((const guint8 *) "another secret", 14, 493000, &other_room);
  ferry_dht_slot_salt (&keys, "mbox", bob, sizeof bob, other_slot);

  assert_refused (&next_hour, salt, 42, sealed, bob, 0, FERRY_DHT_SEAL_ERROR_FORGED);
  assert_refused (&other_room, salt, 42, sealed, bob, 0, FERRY_DHT_SEAL_ERROR_FORGED);
  assert_refused (&keys, other_slot, 42, sealed, bob, 0, FERRY_DHT_SEAL_ERROR_FORGED);
  assert_refused (&keys, salt, 43, sealed, bob, 0, FERRY_DHT_SEAL_ERROR_FORGED);
  assert_refused (&keys, salt, 42, sealed, alice, 0, FERRY_DHT_SEAL_ERROR_NOT_FOR_US);
  assert_refused (&keys, salt, 42, sealed, NULL, 0, FERRY_DHT_SEAL_ERROR_NOT_FOR_US);
  assert_refused (&keys, salt, 42, sealed, bob, 1001, FERRY_DHT_SEAL_ERROR_REPLAYED);

  memcpy (flipped, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
  flipped[20] ^= 0x40;
  g_assert_false (ferry_dht_open (&keys, salt, 42, flipped, g_bytes_get_size (sealed), bob, 0, &opened, NULL));
  flipped[20] ^= 0x40;
  flipped[0] = 2;
  g_assert_false (ferry_dht_open (&keys, salt, 42, flipped, g_bytes_get_size (sealed), bob, 0, &opened, NULL));
  cut = g_bytes_new_from_bytes (sealed, 0, 20);
  assert_refused (&keys, salt, 42, cut, bob, 0, FERRY_DHT_SEAL_ERROR_INVALID);

  /* Sealed for everyone (the lobby): anyone of the room opens it. */
  lobby = ferry_dht_seal (&keys, salt, 1, alice, everyone, 5, payload);
  g_assert_true (ferry_dht_open (&keys, salt, 1, g_bytes_get_data (lobby, NULL), g_bytes_get_size (lobby), NULL, 0,
                                 &opened, NULL));
  ferry_dht_opened_clear (&opened);
}

/* Keys and salts differ by hour and by slot, and do not show the secret. */
static void
test_keys (void)
{
  FerryDhtEpochKeys a, b;
  guint8 lobby[FERRY_DHT_SALT_LEN], lobby_next[FERRY_DHT_SALT_LEN], mbox[FERRY_DHT_SALT_LEN];

  g_assert_cmpuint (ferry_dht_epoch_at (3600 * 493000 + 3599), ==, 493000);
  g_assert_cmpuint (ferry_dht_epoch_at (3600 * 493001), ==, 493001);
  ferry_dht_epoch_keys (secret, sizeof secret, 493000, &a);
  ferry_dht_epoch_keys (secret, sizeof secret, 493001, &b);
  g_assert_true (memcmp (a.sign_seed, b.sign_seed, sizeof a.sign_seed) != 0);
  g_assert_true (memcmp (a.seal_key, b.seal_key, sizeof a.seal_key) != 0);
  g_assert_true (memcmp (a.sign_seed, a.seal_key, sizeof a.sign_seed) != 0);
  ferry_dht_slot_salt (&a, "lobby", NULL, 0, lobby);
  ferry_dht_slot_salt (&b, "lobby", NULL, 0, lobby_next);
  ferry_dht_slot_salt (&a, "mbox", alice, sizeof alice, mbox);
  g_assert_true (memcmp (lobby, lobby_next, sizeof lobby) != 0);
  g_assert_true (memcmp (lobby, mbox, sizeof lobby) != 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dht-seal/round-trip", test_round_trip);
  g_test_add_func ("/dht-seal/refused", test_refused);
  g_test_add_func ("/dht-seal/keys", test_keys);
  return g_test_run ();
}
