/* ferry-pairing-code.c: compact pairing codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Version 1, every number big-endian (docs/PAIRING.md):
 *
 *   0   1   version (1)
 *   1   1   flags: 0x01 a reply, 0x02 the sender is the DTLS client; the others must be 0
 *   2   4   expiry, seconds since 1970
 *   6  16   a code: its secret; a reply: HMAC-SHA256 (reply key, the reply without this field
 *           and the checksum), cut to 16 bytes
 *  22   1   number of candidates, at most 8, then each:
 *           1 kind (bits 0–1: host, srflx, prflx, relay; 0x04: IPv6; the others 0),
 *           4 or 16 address, 2 port (UDP)
 * end-4 4   the first 4 bytes of SHA-256 of everything before
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-crypto.h"
#include "ferry-pairing-code.h"

#define VERSION 1
#define FLAG_REPLY       0x01
#define FLAG_DTLS_CLIENT 0x02
#define KIND_IPV6        0x04
#define HEADER_LEN (1 + 1 + 4 + FERRY_PAIRING_SECRET_LEN + 1)
#define COUNT_OFFSET (HEADER_LEN - 1)
#define CHECKSUM_LEN 4
#define MIN_LEN (HEADER_LEN + CHECKSUM_LEN)
#define MAX_LEN (HEADER_LEN + FERRY_PAIRING_MAX_CANDIDATES * (1 + 16 + 2) + CHECKSUM_LEN)
#define TAG_OFFSET 6

G_DEFINE_QUARK (ferry-pairing-code-error-quark, ferry_pairing_code_error)

static const char * const type_names[] = { "host", "srflx", "prflx", "relay" };
/* RFC 8445 5.1.2.2's recommended type preferences. */
static const guint type_preferences[] = { 126, 100, 110, 0 };

static void
candidate_clear (gpointer data)
{
  FerryPairingCandidate *candidate = data;

  g_clear_object (&candidate->address);
}

FerryPairingCode *
ferry_pairing_code_new (gboolean reply,
                        guint    lifetime_s)
{
  FerryPairingCode *code = g_new0 (FerryPairingCode, 1);

  code->reply = reply;
  code->expires = g_get_real_time () / G_USEC_PER_SEC + lifetime_s;
  if (!reply)
    ferry_random_bytes (code->secret, sizeof code->secret);
  code->candidates = g_array_new (FALSE, TRUE, sizeof (FerryPairingCandidate));
  g_array_set_clear_func (code->candidates, candidate_clear);
  return code;
}

void
ferry_pairing_code_free (FerryPairingCode *code)
{
  if (code == NULL)
    return;
  ferry_memzero (code->secret, sizeof code->secret);
  g_array_unref (code->candidates);
  g_free (code);
}

gboolean
ferry_pairing_code_add_candidate (FerryPairingCode  *code,
                                  const char        *candidate,
                                  GError           **error)
{
  g_auto(GStrv) words = NULL;
  g_autoptr(GPtrArray) fields = g_ptr_array_new ();
  g_autoptr(GInetAddress) address = NULL;
  FerryPairingCandidate entry = { 0 };
  guint64 port;
  guint type;

  g_return_val_if_fail (code != NULL && candidate != NULL, FALSE);

  if (g_str_has_prefix (candidate, "a="))
    candidate += 2;
  words = g_strsplit (candidate, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      g_ptr_array_add (fields, words[i]);
  /* candidate:FOUNDATION COMPONENT TRANSPORT PRIORITY ADDRESS PORT typ TYPE … */
  if (fields->len < 8 || !g_str_has_prefix (fields->pdata[0], "candidate:") ||
      g_strcmp0 (fields->pdata[6], "typ") != 0)
    {
      g_set_error (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_INVALID,
                   _("“%s” is not an ICE candidate"), candidate);
      return FALSE;
    }
  for (type = 0; type < G_N_ELEMENTS (type_names); type++)
    if (g_str_equal (fields->pdata[7], type_names[type]))
      break;
  if (g_ascii_strcasecmp (fields->pdata[2], "udp") != 0 || !g_str_equal (fields->pdata[1], "1") ||
      type == G_N_ELEMENTS (type_names) ||
      !(address = g_inet_address_new_from_string (fields->pdata[4])) ||
      !g_ascii_string_to_unsigned (fields->pdata[5], 10, 1, G_MAXUINT16, &port, NULL))
    {
      g_set_error (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_INVALID,
                   _("Only UDP candidates with an IP address fit in a pairing code: “%s”"), candidate);
      return FALSE;
    }
  if (code->candidates->len >= FERRY_PAIRING_MAX_CANDIDATES)
    {
      g_set_error (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_INVALID,
                   _("A pairing code holds at most %u candidates"), FERRY_PAIRING_MAX_CANDIDATES);
      return FALSE;
    }
  entry.type = type;
  entry.address = g_steal_pointer (&address);
  entry.port = port;
  g_array_append_val (code->candidates, entry);
  return TRUE;
}

char *
ferry_pairing_code_get_candidate_sdp (const FerryPairingCode *code,
                                      guint                   index)
{
  const FerryPairingCandidate *candidate;
  g_autofree char *address = NULL;
  guint32 priority;

  g_return_val_if_fail (code != NULL && index < code->candidates->len, NULL);

  candidate = &g_array_index (code->candidates, FerryPairingCandidate, index);
  address = g_inet_address_to_string (candidate->address);
  /* RFC 8445 5.1.2.1, component 1; the earlier a candidate in the code, the higher. */
  priority = (type_preferences[candidate->type] << 24) | ((65535 - index) << 8) | 255;
  return g_strdup_printf ("candidate:%u 1 udp %u %s %u typ %s", index + 1, priority, address,
                          candidate->port, type_names[candidate->type]);
}

static void
put_u32 (GByteArray *out,
         guint32     value)
{
  guint8 bytes[4] = { value >> 24, value >> 16, value >> 8, value };

  g_byte_array_append (out, bytes, 4);
}

static void
sha256_prefix (const guint8 *data,
               gsize         len,
               guint8       *out,
               gsize         out_len)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_checksum_update (sum, data, len);
  g_checksum_get_digest (sum, digest, &digest_len);
  memcpy (out, digest, out_len);
}

/* The bytes of @code without the checksum. */
static GByteArray *
serialize (const FerryPairingCode *code)
{
  GByteArray *out = g_byte_array_new ();
  guint8 header[2] = { VERSION, (code->reply ? FLAG_REPLY : 0) | (code->dtls_client ? FLAG_DTLS_CLIENT : 0) };
  guint8 count = code->candidates->len;

  g_byte_array_append (out, header, 2);
  put_u32 (out, CLAMP (code->expires, 0, G_MAXUINT32));
  g_byte_array_append (out, code->reply ? code->tag : code->secret, FERRY_PAIRING_SECRET_LEN);
  g_byte_array_append (out, &count, 1);
  for (guint i = 0; i < code->candidates->len; i++)
    {
      const FerryPairingCandidate *candidate = &g_array_index (code->candidates, FerryPairingCandidate, i);
      gboolean ipv6 = g_inet_address_get_family (candidate->address) == G_SOCKET_FAMILY_IPV6;
      guint8 kind = candidate->type | (ipv6 ? KIND_IPV6 : 0);
      guint8 port[2] = { candidate->port >> 8, candidate->port };

      g_byte_array_append (out, &kind, 1);
      g_byte_array_append (out, g_inet_address_to_bytes (candidate->address),
                           g_inet_address_get_native_size (candidate->address));
      g_byte_array_append (out, port, 2);
    }
  return out;
}

/* HMAC-SHA256 with the reply key over the reply's bytes outside the tag. */
static void
reply_tag (const GByteArray *bytes,
           const guint8      secret[FERRY_PAIRING_SECRET_LEN],
           guint8            tag[FERRY_PAIRING_TAG_LEN])
{
  g_autoptr(GByteArray) covered = g_byte_array_new ();
  guint8 key[32], mac[32];

  ferry_hkdf_sha256 (secret, FERRY_PAIRING_SECRET_LEN, "ferry pairing v1 reply", key, sizeof key);
  g_byte_array_append (covered, bytes->data, TAG_OFFSET);
  g_byte_array_append (covered, bytes->data + TAG_OFFSET + FERRY_PAIRING_TAG_LEN,
                       bytes->len - TAG_OFFSET - FERRY_PAIRING_TAG_LEN);
  ferry_hmac_sha256 (key, sizeof key, covered->data, covered->len, mac);
  memcpy (tag, mac, FERRY_PAIRING_TAG_LEN);
  ferry_memzero (key, sizeof key);
}

void
ferry_pairing_code_sign_reply (FerryPairingCode *reply,
                               const guint8      secret[FERRY_PAIRING_SECRET_LEN])
{
  g_autoptr(GByteArray) bytes = NULL;

  g_return_if_fail (reply != NULL && reply->reply);

  bytes = serialize (reply);
  reply_tag (bytes, secret, reply->tag);
}

char *
ferry_pairing_code_to_string (const FerryPairingCode *code)
{
  g_autoptr(GByteArray) bytes = NULL;
  guint8 checksum[CHECKSUM_LEN];

  g_return_val_if_fail (code != NULL, NULL);

  bytes = serialize (code);
  sha256_prefix (bytes->data, bytes->len, checksum, sizeof checksum);
  g_byte_array_append (bytes, checksum, sizeof checksum);
  return ferry_base64url_encode (bytes->data, bytes->len);
}

char *
ferry_pairing_code_to_link (const FerryPairingCode *code)
{
  g_autofree char *text = ferry_pairing_code_to_string (code);

  return g_strconcat (FERRY_PAIRING_LINK_PREFIX, text, NULL);
}

gboolean
ferry_pairing_code_is_link (const char *text)
{
  gsize len = strlen (FERRY_PAIRING_LINK_PREFIX);

  g_return_val_if_fail (text != NULL, FALSE);

  while (g_ascii_isspace (*text))
    text++;
  return g_ascii_strncasecmp (text, FERRY_PAIRING_LINK_PREFIX, len) == 0;
}

static gboolean G_GNUC_PRINTF (3, 4)
fail (GError                **error,
      FerryPairingCodeError   code,
      const char             *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (FERRY_PAIRING_CODE_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

static guint32
get_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static gboolean
read_candidates (FerryPairingCode  *code,
                 const guint8      *p,
                 const guint8      *end,
                 guint              count,
                 GError           **error)
{
  for (guint i = 0; i < count; i++)
    {
      FerryPairingCandidate candidate = { 0 };
      gsize address_len;

      if (p == end || (*p & ~(KIND_IPV6 | 0x03)) != 0)
        return fail (error, FERRY_PAIRING_CODE_ERROR_INVALID, _("The pairing code is damaged"));
      address_len = (*p & KIND_IPV6) ? 16 : 4;
      if ((gsize) (end - p) < 1 + address_len + 2)
        return fail (error, FERRY_PAIRING_CODE_ERROR_INVALID, _("The pairing code is damaged"));
      candidate.type = *p & 0x03;
      candidate.address = g_inet_address_new_from_bytes (p + 1, address_len == 16 ? G_SOCKET_FAMILY_IPV6
                                                                                  : G_SOCKET_FAMILY_IPV4);
      candidate.port = (p[1 + address_len] << 8) | p[2 + address_len];
      p += 1 + address_len + 2;
      g_array_append_val (code->candidates, candidate);
      if (candidate.port == 0)
        return fail (error, FERRY_PAIRING_CODE_ERROR_INVALID, _("The pairing code is damaged"));
    }
  if (p != end)
    return fail (error, FERRY_PAIRING_CODE_ERROR_INVALID, _("The pairing code is damaged"));
  return TRUE;
}

#define BASE64URL_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

FerryPairingCode *
ferry_pairing_code_parse (const char  *text,
                          gint64       now,
                          GError     **error)
{
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(GString) compact = g_string_new (NULL);
  g_autofree guint8 *bytes = NULL;
  gsize len = 0;
  guint8 checksum[CHECKSUM_LEN];
  const char *p;

  g_return_val_if_fail (text != NULL, NULL);

  if (ferry_pairing_code_is_link (text))
    text = strchr (text, '#') + 1;
  for (p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (compact, *p);
  if (compact->len == 0)
    return (fail (error, FERRY_PAIRING_CODE_ERROR_INVALID, _("The pairing code is empty")), NULL);
  /* Unpadded base64 never leaves one character over: a code cut short (or with one too many)
   * is the likely mistake when the characters are all right. */
  if (compact->len % 4 == 1 && strspn (compact->str, BASE64URL_ALPHABET) == compact->len)
    return (fail (error, FERRY_PAIRING_CODE_ERROR_CHECKSUM,
                  _("This pairing code is incomplete or has a character too many: check that all "
                    "of it was copied")), NULL);
  if (compact->len > (MAX_LEN * 4 + 2) / 3 || !(bytes = ferry_base64url_decode (compact->str, &len)))
    return (fail (error, FERRY_PAIRING_CODE_ERROR_INVALID,
                  _("This is not a pairing code: it has characters or a length a code cannot have")), NULL);
  if (len < MIN_LEN)
    return (fail (error, FERRY_PAIRING_CODE_ERROR_INVALID,
                  _("The pairing code is too short: part of it is missing")), NULL);
  sha256_prefix (bytes, len - CHECKSUM_LEN, checksum, sizeof checksum);
  if (!ferry_memequal_constant_time (checksum, bytes + len - CHECKSUM_LEN, CHECKSUM_LEN))
    return (fail (error, FERRY_PAIRING_CODE_ERROR_CHECKSUM,
                  _("The pairing code has a mistake in it: check every character, or copy it again")), NULL);
  if (bytes[0] != VERSION)
    return (fail (error, FERRY_PAIRING_CODE_ERROR_VERSION,
                  _("The pairing code comes from a newer version of Ferry")), NULL);
  if ((bytes[1] & ~(FLAG_REPLY | FLAG_DTLS_CLIENT)) != 0 || bytes[COUNT_OFFSET] > FERRY_PAIRING_MAX_CANDIDATES)
    return (fail (error, FERRY_PAIRING_CODE_ERROR_INVALID, _("The pairing code is damaged")), NULL);

  code = ferry_pairing_code_new (bytes[1] & FLAG_REPLY, 0);
  code->dtls_client = (bytes[1] & FLAG_DTLS_CLIENT) != 0;
  code->expires = get_u32 (bytes + 2);
  memset (code->secret, 0, sizeof code->secret);
  memcpy (code->reply ? code->tag : code->secret, bytes + TAG_OFFSET, FERRY_PAIRING_SECRET_LEN);
  if (!read_candidates (code, bytes + HEADER_LEN, bytes + len - CHECKSUM_LEN, bytes[COUNT_OFFSET], error))
    return NULL;
  if (code->expires < now)
    return (fail (error, FERRY_PAIRING_CODE_ERROR_EXPIRED,
                  _("The pairing code has expired: ask for a new one")), NULL);
  ferry_memzero (bytes, len);
  return g_steal_pointer (&code);
}

gboolean
ferry_pairing_code_verify_reply (const FerryPairingCode  *reply,
                                 const guint8             secret[FERRY_PAIRING_SECRET_LEN],
                                 GError                 **error)
{
  g_autoptr(GByteArray) bytes = NULL;
  guint8 tag[FERRY_PAIRING_TAG_LEN];

  g_return_val_if_fail (reply != NULL, FALSE);

  if (!reply->reply)
    return fail (error, FERRY_PAIRING_CODE_ERROR_NOT_FOR_US,
                 _("This is a pairing code, not a reply to one: enter it on the other computer"));
  bytes = serialize (reply);
  reply_tag (bytes, secret, tag);
  if (!ferry_memequal_constant_time (tag, reply->tag, sizeof tag))
    return fail (error, FERRY_PAIRING_CODE_ERROR_FORGED,
                 _("This reply does not answer your pairing code: it comes from someone else"));
  return TRUE;
}

/* ICE credentials are ice-chars (RFC 8839): standard base64 without padding is made of them. */
static void
derive_credentials (const guint8  secret[FERRY_PAIRING_SECRET_LEN],
                    const char   *info,
                    char          ufrag[9],
                    char          pwd[25])
{
  guint8 okm[24];
  g_autofree char *text = NULL;

  ferry_hkdf_sha256 (secret, FERRY_PAIRING_SECRET_LEN, info, okm, sizeof okm);
  text = g_base64_encode (okm, sizeof okm);   /* 32 characters, no padding */
  memcpy (ufrag, text, 8);
  ufrag[8] = '\0';
  memcpy (pwd, text + 8, 24);
  pwd[24] = '\0';
  ferry_memzero (okm, sizeof okm);
}

void
ferry_pairing_derive_keys (const guint8      secret[FERRY_PAIRING_SECRET_LEN],
                           FerryPairingKeys *keys)
{
  g_return_if_fail (keys != NULL);

  derive_credentials (secret, "ferry pairing v1 ice owner", keys->owner_ufrag, keys->owner_pwd);
  derive_credentials (secret, "ferry pairing v1 ice reader", keys->reader_ufrag, keys->reader_pwd);
  ferry_hkdf_sha256 (secret, FERRY_PAIRING_SECRET_LEN, "ferry pairing v1 auth", keys->auth_key,
                     sizeof keys->auth_key);
}
