/* ferry-dht-item.c: values stored in the DHT (BEP 44): targets, signatures
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <nettle/eddsa.h>

#include "ferry-bencode.h"
#include "ferry-dht-item.h"

static void
sha1 (const guint8 *a,
      gsize         a_len,
      const guint8 *b,
      gsize         b_len,
      guint8        out[FERRY_DHT_TARGET_LEN])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  gsize len = FERRY_DHT_TARGET_LEN;

  g_checksum_update (checksum, a, a_len);
  if (b_len > 0)
    g_checksum_update (checksum, b, b_len);
  g_checksum_get_digest (checksum, out, &len);
}

void
ferry_dht_item_immutable_target (const guint8 *value,
                                 gsize         value_len,
                                 guint8        target[FERRY_DHT_TARGET_LEN])
{
  sha1 (value, value_len, NULL, 0, target);
}

void
ferry_dht_item_mutable_target (const guint8  public_key[FERRY_DHT_KEY_LEN],
                               const guint8 *salt,
                               gsize         salt_len,
                               guint8        target[FERRY_DHT_TARGET_LEN])
{
  sha1 (public_key, FERRY_DHT_KEY_LEN, salt, salt_len, target);
}

GBytes *
ferry_dht_item_signed_buffer (const guint8 *salt,
                              gsize         salt_len,
                              gint64        seq,
                              const guint8 *value,
                              gsize         value_len)
{
  GByteArray *out = g_byte_array_new ();

  if (salt_len > 0)
    {
      ferry_bencode_write_str (out, "salt");
      ferry_bencode_write_bytes (out, salt, salt_len);
    }
  ferry_bencode_write_str (out, "seq");
  ferry_bencode_write_int (out, seq);
  ferry_bencode_write_str (out, "v");
  g_byte_array_append (out, value, value_len);
  return g_byte_array_free_to_bytes (out);
}

void
ferry_dht_item_public_key (const guint8 seed[FERRY_DHT_KEY_LEN],
                           guint8       public_key[FERRY_DHT_KEY_LEN])
{
  ed25519_sha512_public_key (public_key, seed);
}

void
ferry_dht_item_sign (const guint8  seed[FERRY_DHT_KEY_LEN],
                     const guint8 *salt,
                     gsize         salt_len,
                     gint64        seq,
                     const guint8 *value,
                     gsize         value_len,
                     guint8        signature[FERRY_DHT_SIGNATURE_LEN])
{
  g_autoptr(GBytes) buffer = ferry_dht_item_signed_buffer (salt, salt_len, seq, value, value_len);
  guint8 public_key[FERRY_DHT_KEY_LEN];

  ed25519_sha512_public_key (public_key, seed);
  ed25519_sha512_sign (public_key, seed, g_bytes_get_size (buffer), g_bytes_get_data (buffer, NULL), signature);
}

gboolean
ferry_dht_item_verify (const guint8  public_key[FERRY_DHT_KEY_LEN],
                       const guint8 *salt,
                       gsize         salt_len,
                       gint64        seq,
                       const guint8 *value,
                       gsize         value_len,
                       const guint8  signature[FERRY_DHT_SIGNATURE_LEN])
{
  g_autoptr(GBytes) buffer = ferry_dht_item_signed_buffer (salt, salt_len, seq, value, value_len);

  return ed25519_sha512_verify (public_key, g_bytes_get_size (buffer), g_bytes_get_data (buffer, NULL),
                                signature) == 1;
}
