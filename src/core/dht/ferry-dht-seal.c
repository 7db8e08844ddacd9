/* ferry-dht-seal.c: sealed values, so that the DHT learns nothing of a room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>

#include "ferry-crypto.h"
#include "ferry-dht-seal.h"

#define VERSION 1
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEADER_LEN (8 + 8 + 2 * FERRY_DHT_MEMBER_ID_LEN)
#define AAD_LABEL "ferry-dht"

G_DEFINE_QUARK (ferry-dht-seal-error-quark, ferry_dht_seal_error)

guint64
ferry_dht_epoch_at (gint64 unix_seconds)
{
  return unix_seconds < 0 ? 0 : (guint64) unix_seconds / 3600;
}

void
ferry_dht_epoch_keys (const guint8      *secret,
                      gsize              secret_len,
                      guint64            epoch,
                      FerryDhtEpochKeys *keys)
{
  g_autofree char *sign = g_strdup_printf ("ferry v1 dht sign %" G_GUINT64_FORMAT, epoch);
  g_autofree char *seal = g_strdup_printf ("ferry v1 dht seal %" G_GUINT64_FORMAT, epoch);

  keys->epoch = epoch;
  ferry_hkdf_sha256 (secret, secret_len, sign, keys->sign_seed, sizeof keys->sign_seed);
  ferry_hkdf_sha256 (secret, secret_len, seal, keys->seal_key, sizeof keys->seal_key);
}

void
ferry_dht_slot_salt (const FerryDhtEpochKeys *keys,
                     const char              *name,
                     const guint8            *extra,
                     gsize                    extra_len,
                     guint8                   salt[FERRY_DHT_SALT_LEN])
{
  g_autoptr(GByteArray) input = g_byte_array_new ();
  guint8 mac[FERRY_SHA256_LEN];

  g_byte_array_append (input, (const guint8 *) name, strlen (name) + 1);
  if (extra_len > 0)
    g_byte_array_append (input, extra, extra_len);
  ferry_hmac_sha256 (keys->seal_key, sizeof keys->seal_key, input->data, input->len, mac);
  memcpy (salt, mac, FERRY_DHT_SALT_LEN);
}

static void
put_be64 (guint8  *out,
          guint64  value)
{
  for (int i = 7; i >= 0; i--, value >>= 8)
    out[i] = value & 0xff;
}

static guint64
get_be64 (const guint8 *in)
{
  guint64 value = 0;

  for (int i = 0; i < 8; i++)
    value = (value << 8) | in[i];
  return value;
}

static void
make_aad (const guint8 salt[FERRY_DHT_SALT_LEN],
          gint64       seq,
          guint8       aad[sizeof AAD_LABEL - 1 + FERRY_DHT_SALT_LEN + 8])
{
  memcpy (aad, AAD_LABEL, sizeof AAD_LABEL - 1);
  memcpy (aad + sizeof AAD_LABEL - 1, salt, FERRY_DHT_SALT_LEN);
  put_be64 (aad + sizeof AAD_LABEL - 1 + FERRY_DHT_SALT_LEN, (guint64) seq);
}

static gnutls_aead_cipher_hd_t
cipher_new (const FerryDhtEpochKeys *keys)
{
  gnutls_datum_t key = { (unsigned char *) keys->seal_key, sizeof keys->seal_key };
  gnutls_aead_cipher_hd_t cipher = NULL;

  if (gnutls_aead_cipher_init (&cipher, GNUTLS_CIPHER_AES_256_GCM, &key) < 0)
    g_error ("GnuTLS has no AES-256-GCM");
  return cipher;
}

GBytes *
ferry_dht_seal (const FerryDhtEpochKeys *keys,
                const guint8             salt[FERRY_DHT_SALT_LEN],
                gint64                   seq,
                const guint8             sender[FERRY_DHT_MEMBER_ID_LEN],
                const guint8             recipient[FERRY_DHT_MEMBER_ID_LEN],
                gint64                   created_ms,
                GBytes                  *payload)
{
  gnutls_aead_cipher_hd_t cipher = cipher_new (keys);
  gsize payload_len = g_bytes_get_size (payload);
  g_autofree guint8 *plain = g_malloc (HEADER_LEN + payload_len);
  guint8 aad[sizeof AAD_LABEL - 1 + FERRY_DHT_SALT_LEN + 8];
  gsize sealed_len = HEADER_LEN + payload_len + TAG_LEN;
  guint8 *out = g_malloc (1 + NONCE_LEN + sealed_len);

  put_be64 (plain, keys->epoch);
  put_be64 (plain + 8, (guint64) created_ms);
  memcpy (plain + 16, sender, FERRY_DHT_MEMBER_ID_LEN);
  memcpy (plain + 16 + FERRY_DHT_MEMBER_ID_LEN, recipient, FERRY_DHT_MEMBER_ID_LEN);
  if (payload_len > 0)
    memcpy (plain + HEADER_LEN, g_bytes_get_data (payload, NULL), payload_len);
  make_aad (salt, seq, aad);

  out[0] = VERSION;
  ferry_random_bytes (out + 1, NONCE_LEN);
  if (gnutls_aead_cipher_encrypt (cipher, out + 1, NONCE_LEN, aad, sizeof aad, TAG_LEN, plain,
                                  HEADER_LEN + payload_len, out + 1 + NONCE_LEN, &sealed_len) < 0)
    g_error ("AES-256-GCM failed to seal");
  gnutls_aead_cipher_deinit (cipher);
  ferry_memzero (plain, HEADER_LEN + payload_len);
  return g_bytes_new_take (out, 1 + NONCE_LEN + sealed_len);
}

gboolean
ferry_dht_open (const FerryDhtEpochKeys *keys,
                const guint8             salt[FERRY_DHT_SALT_LEN],
                gint64                   seq,
                const guint8            *sealed,
                gsize                    sealed_len,
                const guint8             recipient[FERRY_DHT_MEMBER_ID_LEN],
                gint64                   not_before_ms,
                FerryDhtOpened          *opened,
                GError                 **error)
{
  static const guint8 everyone[FERRY_DHT_MEMBER_ID_LEN] = { 0 };
  guint8 aad[sizeof AAD_LABEL - 1 + FERRY_DHT_SALT_LEN + 8];
  gnutls_aead_cipher_hd_t cipher;
  g_autofree guint8 *plain = NULL;
  gsize plain_len;
  int status;

  memset (opened, 0, sizeof *opened);
  if (sealed_len < 1 + NONCE_LEN + HEADER_LEN + TAG_LEN || sealed_len > FERRY_DHT_MAX_VALUE || sealed[0] != VERSION)
    {
      g_set_error_literal (error, FERRY_DHT_SEAL_ERROR, FERRY_DHT_SEAL_ERROR_INVALID,
                           _("Not a sealed value of a version this Ferry knows"));
      return FALSE;
    }
  plain_len = sealed_len - 1 - NONCE_LEN;
  plain = g_malloc (plain_len);
  make_aad (salt, seq, aad);
  cipher = cipher_new (keys);
  status = gnutls_aead_cipher_decrypt (cipher, sealed + 1, NONCE_LEN, aad, sizeof aad, TAG_LEN,
                                       sealed + 1 + NONCE_LEN, sealed_len - 1 - NONCE_LEN, plain, &plain_len);
  gnutls_aead_cipher_deinit (cipher);
  if (status < 0 || plain_len < HEADER_LEN || get_be64 (plain) != keys->epoch)
    {
      g_set_error_literal (error, FERRY_DHT_SEAL_ERROR, FERRY_DHT_SEAL_ERROR_FORGED,
                           _("A sealed value does not open: it belongs to another room, hour or slot"));
      return FALSE;
    }
  if (memcmp (plain + 16 + FERRY_DHT_MEMBER_ID_LEN, everyone, FERRY_DHT_MEMBER_ID_LEN) != 0 &&
      (recipient == NULL || memcmp (plain + 16 + FERRY_DHT_MEMBER_ID_LEN, recipient, FERRY_DHT_MEMBER_ID_LEN) != 0))
    {
      g_set_error_literal (error, FERRY_DHT_SEAL_ERROR, FERRY_DHT_SEAL_ERROR_NOT_FOR_US,
                           _("A sealed value is for another member"));
      return FALSE;
    }
  if ((gint64) get_be64 (plain + 8) < not_before_ms)
    {
      g_set_error_literal (error, FERRY_DHT_SEAL_ERROR, FERRY_DHT_SEAL_ERROR_REPLAYED,
                           _("A sealed value is older than one already taken"));
      return FALSE;
    }
  memcpy (opened->sender, plain + 16, FERRY_DHT_MEMBER_ID_LEN);
  opened->created_ms = (gint64) get_be64 (plain + 8);
  opened->payload = g_bytes_new (plain + HEADER_LEN, plain_len - HEADER_LEN);
  ferry_memzero (plain, plain_len);
  return TRUE;
}

void
ferry_dht_opened_clear (FerryDhtOpened *opened)
{
  g_clear_pointer (&opened->payload, g_bytes_unref);
}
