/* ferry-dht-item.h: values stored in the DHT (BEP 44): targets, signatures
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An immutable item is stored under the SHA-1 of its bencoded value; a mutable item under the
 * SHA-1 of its owner's Ed25519 public key followed by an optional salt, with a sequence number
 * and the owner's signature over
 *
 *   ["4:salt" LEN ":" SALT] "3:seqi" SEQ "e1:v" ENCODED-VALUE
 *
 * (the salt part only when there is a salt).  Ed25519 is nettle's (RFC 8032); keys are kept as
 * their 32-byte seed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_DHT_TARGET_LEN 20
#define FERRY_DHT_KEY_LEN 32
#define FERRY_DHT_SIGNATURE_LEN 64
/* BEP 44's limits: a value's encoding, and a salt. */
#define FERRY_DHT_MAX_VALUE 1000
#define FERRY_DHT_MAX_SALT 64

void     ferry_dht_item_immutable_target (const guint8 *value,
                                          gsize         value_len,
                                          guint8        target[FERRY_DHT_TARGET_LEN]);
void     ferry_dht_item_mutable_target   (const guint8  public_key[FERRY_DHT_KEY_LEN],
                                          const guint8 *salt,
                                          gsize         salt_len,
                                          guint8        target[FERRY_DHT_TARGET_LEN]);
/* What a mutable item's signature covers; @value is the value's bencoded form. */
GBytes  *ferry_dht_item_signed_buffer    (const guint8 *salt,
                                          gsize         salt_len,
                                          gint64        seq,
                                          const guint8 *value,
                                          gsize         value_len);
void     ferry_dht_item_public_key       (const guint8  seed[FERRY_DHT_KEY_LEN],
                                          guint8        public_key[FERRY_DHT_KEY_LEN]);
void     ferry_dht_item_sign             (const guint8  seed[FERRY_DHT_KEY_LEN],
                                          const guint8 *salt,
                                          gsize         salt_len,
                                          gint64        seq,
                                          const guint8 *value,
                                          gsize         value_len,
                                          guint8        signature[FERRY_DHT_SIGNATURE_LEN]);
gboolean ferry_dht_item_verify           (const guint8  public_key[FERRY_DHT_KEY_LEN],
                                          const guint8 *salt,
                                          gsize         salt_len,
                                          gint64        seq,
                                          const guint8 *value,
                                          gsize         value_len,
                                          const guint8  signature[FERRY_DHT_SIGNATURE_LEN]);

G_END_DECLS
