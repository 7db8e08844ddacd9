/* ferry-dht-storage.h: what a DHT node stores for others (BEP 5 peers, BEP 44 items)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A node that answers queries hands out write tokens (get_peers, get) and stores what comes
 * back with a valid token: the peers announced for an info_hash, and immutable and mutable items.
 * Tokens are the first 8 bytes of SHA-1 (secret | address of the querier), the secret replaced
 * every 5 minutes and the previous one still accepted, so a token lives 5 to 10 minutes.  Puts
 * are checked as BEP 44 says, each refusal with its KRPC error code: 205 value too big, 206
 * invalid signature, 207 salt too big, 301 cas mismatch, 302 sequence number less than the one
 * stored.  Everything is capped (peers per info_hash, info_hashes, items), oldest dropped first,
 * and expires: peers after 30 minutes, items after 2 hours without a new put.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-dht-item.h"
#include "ferry-krpc.h"

G_BEGIN_DECLS

#define FERRY_DHT_TOKEN_LEN 8

/* KRPC error codes of BEP 44. */
#define FERRY_KRPC_VALUE_TOO_BIG 205
#define FERRY_KRPC_BAD_SIGNATURE 206
#define FERRY_KRPC_SALT_TOO_BIG 207
#define FERRY_KRPC_CAS_MISMATCH 301
#define FERRY_KRPC_SEQ_TOO_LOW 302

typedef struct _FerryDhtStorage FerryDhtStorage;

typedef struct {
  gboolean is_mutable;
  guint8   public_key[FERRY_DHT_KEY_LEN];
  guint8   signature[FERRY_DHT_SIGNATURE_LEN];
  gint64   seq;
  GBytes  *value;                            /* the bencoded value */
} FerryDhtStoredItem;

FerryDhtStorage *ferry_dht_storage_new          (void);
void             ferry_dht_storage_free         (FerryDhtStorage      *self);

void             ferry_dht_storage_make_token   (FerryDhtStorage      *self,
                                                 GInetAddress         *from,
                                                 gint64                now_us,
                                                 guint8                token[FERRY_DHT_TOKEN_LEN]);
gboolean         ferry_dht_storage_check_token  (FerryDhtStorage      *self,
                                                 GInetAddress         *from,
                                                 const guint8         *token,
                                                 gsize                 token_len,
                                                 gint64                now_us);

void             ferry_dht_storage_announce     (FerryDhtStorage      *self,
                                                 const guint8          info_hash[FERRY_KRPC_ID_LEN],
                                                 GInetSocketAddress   *peer,
                                                 gint64                now_us);
/* Up to @max peers announced for @info_hash (of @family). (element-type GInetSocketAddress) */
GPtrArray       *ferry_dht_storage_get_peers    (FerryDhtStorage      *self,
                                                 const guint8          info_hash[FERRY_KRPC_ID_LEN],
                                                 GSocketFamily         family,
                                                 guint                 max,
                                                 gint64                now_us);

/* Stores an immutable item (@value bencoded) under its SHA-1; 0 or a KRPC error code. */
int              ferry_dht_storage_put_immutable (FerryDhtStorage     *self,
                                                  GBytes              *value,
                                                  gint64               now_us);
/* Stores a mutable item after BEP 44's checks; @cas (nullable) is the sequence number the
 * writer expects to replace.  0 or a KRPC error code. */
int              ferry_dht_storage_put_mutable  (FerryDhtStorage      *self,
                                                 const guint8          public_key[FERRY_DHT_KEY_LEN],
                                                 const guint8         *salt,
                                                 gsize                 salt_len,
                                                 gint64                seq,
                                                 const gint64         *cas,
                                                 GBytes               *value,
                                                 const guint8          signature[FERRY_DHT_SIGNATURE_LEN],
                                                 gint64                now_us);
/* The item stored under @target, or %NULL. (transfer none) */
const FerryDhtStoredItem *ferry_dht_storage_get_item (FerryDhtStorage *self,
                                                      const guint8     target[FERRY_KRPC_ID_LEN],
                                                      gint64           now_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDhtStorage, ferry_dht_storage_free)

G_END_DECLS
