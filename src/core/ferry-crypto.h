/* ferry-crypto.h: random values, room key derivation and MACs (GnuTLS and GLib primitives)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_PEER_ID_LEN 20
#define FERRY_INFO_HASH_LEN 20
#define FERRY_ROOM_SECRET_LEN 32
#define FERRY_AUTH_KEY_LEN 32
#define FERRY_SHA256_LEN 32

/* Fills @buf from GnuTLS's random generator (GNUTLS_RND_RANDOM for secrets). */
void     ferry_random_bytes             (void         *buf,
                                         gsize         len);
void     ferry_random_secret            (guint8        secret[FERRY_ROOM_SECRET_LEN]);
void     ferry_peer_id_generate         (guint8        peer_id[FERRY_PEER_ID_LEN]);

/* Plain rooms: info_hash = SHA-1 (UTF-8 identifier), as P2PT does. */
void     ferry_info_hash_from_identifier (const char   *identifier,
                                          guint8        info_hash[FERRY_INFO_HASH_LEN]);

/* Secret rooms (docs/ROOM-LINKS.md, "Secret rooms"):
 * info_hash = HKDF-SHA256 (secret, "ferry v1 info_hash")[0..20] and
 * K = HKDF-SHA256 (secret, "ferry v1 auth"), both without salt.  Either output may be %NULL. */
void     ferry_derive_room_keys         (const guint8  secret[FERRY_ROOM_SECRET_LEN],
                                         guint8        info_hash[FERRY_INFO_HASH_LEN],
                                         guint8        auth_key[FERRY_AUTH_KEY_LEN]);

/* HKDF-SHA256 (RFC 5869) without salt, @info as the context. */
void     ferry_hkdf_sha256              (const guint8 *secret,
                                         gsize         secret_len,
                                         const char   *info,
                                         guint8       *out,
                                         gsize         out_len);

void     ferry_hmac_sha256              (const guint8 *key,
                                         gsize         key_len,
                                         const guint8 *data,
                                         gsize         data_len,
                                         guint8        out[FERRY_SHA256_LEN]);

/* Compares in time independent of where the buffers differ. */
gboolean ferry_memequal_constant_time   (const void   *a,
                                         const void   *b,
                                         gsize         len);

/* Overwrites @buf so that a secret does not linger in freed memory. */
void     ferry_memzero                  (void         *buf,
                                         gsize         len);

/* base64url without padding (RFC 4648 section 5), used by room links. */
char    *ferry_base64url_encode         (const guint8 *data,
                                         gsize         len);
guint8  *ferry_base64url_decode         (const char   *text,
                                         gsize        *out_len);

/* Lower-case hex digits, two a byte. */
char    *ferry_hex_encode               (const guint8 *data,
                                         gsize         len);
/* Reads @n_bytes bytes written as two hex digits each (either case) from the @len characters at
 * @text (-1: up to its NUL), with @separator between bytes unless it is '\0' ("AB:CD" for ':').
 * Returns %FALSE unless @text holds exactly that; @out may then be partly written. */
gboolean ferry_hex_decode               (const char   *text,
                                         gssize        len,
                                         char          separator,
                                         guint8       *out,
                                         gsize         n_bytes);

G_END_DECLS
