/* ferry-crypto.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "ferry-crypto.h"

void
ferry_random_bytes (void  *buf,
                    gsize  len)
{
  /* GNUTLS_RND_KEY is the strongest level; it only fails when the system's entropy source is
   * broken, and continuing with predictable secrets would be worse than stopping. */
  if (gnutls_rnd (GNUTLS_RND_KEY, buf, len) < 0)
    g_error ("The system random number generator failed");
}

void
ferry_random_secret (guint8 secret[FERRY_ROOM_SECRET_LEN])
{
  ferry_random_bytes (secret, FERRY_ROOM_SECRET_LEN);
}

void
ferry_peer_id_generate (guint8 peer_id[FERRY_PEER_ID_LEN])
{
  if (gnutls_rnd (GNUTLS_RND_RANDOM, peer_id, FERRY_PEER_ID_LEN) < 0)
    g_error ("The system random number generator failed");
}

void
ferry_info_hash_from_identifier (const char *identifier,
                                 guint8      info_hash[FERRY_INFO_HASH_LEN])
{
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  gsize len = FERRY_INFO_HASH_LEN;

  g_return_if_fail (identifier != NULL);

  g_checksum_update (sha1, (const guchar *) identifier, strlen (identifier));
  g_checksum_get_digest (sha1, info_hash, &len);
}

void
ferry_hkdf_sha256 (const guint8 *secret,
             gsize         secret_len,
             const char   *info,
             guint8       *out,
             gsize         out_len)
{
  /* RFC 5869: an absent salt is HashLen zero bytes. */
  guint8 salt_bytes[FERRY_SHA256_LEN] = { 0 };
  guint8 prk[FERRY_SHA256_LEN];
  gnutls_datum_t key = { (unsigned char *) secret, secret_len };
  gnutls_datum_t salt = { salt_bytes, sizeof salt_bytes };
  gnutls_datum_t prk_datum = { prk, sizeof prk };
  gnutls_datum_t info_datum = { (unsigned char *) info, strlen (info) };

  if (gnutls_hkdf_extract (GNUTLS_MAC_SHA256, &key, &salt, prk) < 0 ||
      gnutls_hkdf_expand (GNUTLS_MAC_SHA256, &prk_datum, &info_datum, out, out_len) < 0)
    g_error ("HKDF-SHA256 failed");

  ferry_memzero (prk, sizeof prk);
}

void
ferry_derive_room_keys (const guint8 secret[FERRY_ROOM_SECRET_LEN],
                        guint8       info_hash[FERRY_INFO_HASH_LEN],
                        guint8       auth_key[FERRY_AUTH_KEY_LEN])
{
  if (info_hash != NULL)
    {
      guint8 okm[FERRY_SHA256_LEN];

      ferry_hkdf_sha256 (secret, FERRY_ROOM_SECRET_LEN, "ferry v1 info_hash", okm, sizeof okm);
      memcpy (info_hash, okm, FERRY_INFO_HASH_LEN);
    }

  if (auth_key != NULL)
    ferry_hkdf_sha256 (secret, FERRY_ROOM_SECRET_LEN, "ferry v1 auth", auth_key, FERRY_AUTH_KEY_LEN);
}

void
ferry_hmac_sha256 (const guint8 *key,
                   gsize         key_len,
                   const guint8 *data,
                   gsize         data_len,
                   guint8        out[FERRY_SHA256_LEN])
{
  if (gnutls_hmac_fast (GNUTLS_MAC_SHA256, key, key_len, data, data_len, out) < 0)
    g_error ("HMAC-SHA256 failed");
}

gboolean
ferry_memequal_constant_time (const void *a,
                              const void *b,
                              gsize       len)
{
  const volatile guint8 *pa = a;
  const volatile guint8 *pb = b;
  guint8 diff = 0;

  for (gsize i = 0; i < len; i++)
    diff |= pa[i] ^ pb[i];

  return diff == 0;
}

void
ferry_memzero (void  *buf,
               gsize  len)
{
  volatile guint8 *p = buf;

  while (len--)
    *p++ = 0;
}

char *
ferry_base64url_encode (const guint8 *data,
                        gsize         len)
{
  char *text = g_base64_encode (data, len);
  char *p;

  for (p = text; *p != '\0' && *p != '='; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
    }
  *p = '\0';

  return text;
}

guint8 *
ferry_base64url_decode (const char *text,
                        gsize      *out_len)
{
  gsize len = strlen (text);
  g_autofree char *std = NULL;
  gsize i;

  /* Unpadded base64 never leaves a single character in its last quantum. */
  if (len % 4 == 1)
    return NULL;

  std = g_malloc (len + 3);
  for (i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!g_ascii_isalnum (c))
        return NULL;
      std[i] = c;
    }
  while (i % 4 != 0)
    std[i++] = '=';
  std[i] = '\0';

  return g_base64_decode (std, out_len);
}

char *
ferry_hex_encode (const guint8 *data,
                  gsize         len)
{
  static const char digits[] = "0123456789abcdef";
  char *hex = g_malloc (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    {
      hex[2 * i] = digits[data[i] >> 4];
      hex[2 * i + 1] = digits[data[i] & 0xf];
    }
  hex[len * 2] = '\0';

  return hex;
}

gboolean
ferry_hex_decode (const char *text,
                  gssize      len,
                  char        separator,
                  guint8     *out,
                  gsize       n_bytes)
{
  gsize step = separator != '\0' ? 3 : 2;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);
  g_return_val_if_fail (out != NULL || n_bytes == 0, FALSE);

  if (len < 0)
    len = strlen (text);
  /* Two digits a byte, and a separator between two bytes. */
  if ((gsize) len != (n_bytes == 0 ? 0 : n_bytes * step - (step - 2)))
    return FALSE;

  for (gsize i = 0; i < n_bytes; i++)
    {
      const char *p = text + i * step;
      int hi = g_ascii_xdigit_value (p[0]);
      int lo = g_ascii_xdigit_value (p[1]);

      if (hi < 0 || lo < 0 || (step == 3 && i + 1 < n_bytes && p[2] != separator))
        return FALSE;
      out[i] = hi << 4 | lo;
    }
  return TRUE;
}
