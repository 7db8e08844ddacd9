/* fuzz-dht-seal.c: ferry_dht_open () on arbitrary values
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Any value a DHT node may return for a room's slot.  It does not open (a clear error), and the
 * same bytes sealed as a payload open again to exactly themselves.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-dht-seal.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint8 secret[32] = "the fuzzer's room secret, 32 by";
  static const guint8 member[FERRY_DHT_MEMBER_ID_LEN] = "member1";
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) error = NULL;
  guint8 salt[FERRY_DHT_SALT_LEN];
  FerryDhtEpochKeys keys;
  FerryDhtOpened opened;

  fuzz_init ();

  ferry_dht_epoch_keys (secret, sizeof secret, 1, &keys);
  ferry_dht_slot_salt (&keys, "lobby", NULL, 0, salt);
  if (ferry_dht_open (&keys, salt, 1, data, size, member, 0, &opened, &error))
    g_error ("random bytes opened");
  g_assert_true (error->domain == FERRY_DHT_SEAL_ERROR);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_clear_error (&error);

  if (size > FERRY_DHT_MAX_VALUE - FERRY_DHT_SEAL_OVERHEAD)
    return 0;
  payload = g_bytes_new (data, size);
  sealed = ferry_dht_seal (&keys, salt, 1, member, member, 7, payload);
  g_assert_true (ferry_dht_open (&keys, salt, 1, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), member,
                                 0, &opened, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (opened.payload, payload));
  ferry_dht_opened_clear (&opened);
  return 0;
}
