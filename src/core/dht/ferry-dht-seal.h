/* ferry-dht-seal.h: sealed values, so that the DHT learns nothing of a room (docs/DHT.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A room's members share its secret; from it and the hour (the epoch, unix time / 3600) they
 * derive the Ed25519 seed that signs the room's items and the key that seals their values, so
 * that keys change every hour and cannot be computed ahead by anyone without the secret.  Each
 * item lives in a slot (the lobby, a mailbox from one member to another) whose BEP 44 salt is a
 * MAC of the slot's name.  A sealed value is
 *
 *   version 1 (1 byte) | nonce (12) | AES-256-GCM (plaintext) with its 16-byte tag
 *
 * authenticated together with "ferry-dht", the slot's salt and the item's sequence number, so a
 * value moved to another slot, item or epoch does not open.  The plaintext starts with the epoch,
 * the sender's time in ms, the sender's and the recipient's 8-byte member ids (zeros: everyone).
 */
#pragma once

#include <glib.h>

#include "ferry-dht-item.h"

G_BEGIN_DECLS

#define FERRY_DHT_SEAL_ERROR (ferry_dht_seal_error_quark ())

typedef enum {
  FERRY_DHT_SEAL_ERROR_INVALID,    /* not a sealed value of a version we know */
  FERRY_DHT_SEAL_ERROR_FORGED,     /* does not open: another room, epoch, slot or sequence number */
  FERRY_DHT_SEAL_ERROR_NOT_FOR_US, /* sealed for another member */
  FERRY_DHT_SEAL_ERROR_REPLAYED,   /* older than what we already have from that slot */
} FerryDhtSealError;

#define FERRY_DHT_MEMBER_ID_LEN 8
#define FERRY_DHT_SALT_LEN 16
/* What sealing adds to a payload: version, nonce, header, tag. */
#define FERRY_DHT_SEAL_OVERHEAD (1 + 12 + 32 + 16)

typedef struct {
  guint64 epoch;
  guint8  sign_seed[FERRY_DHT_KEY_LEN];
  guint8  seal_key[32];
} FerryDhtEpochKeys;

typedef struct {
  guint8  sender[FERRY_DHT_MEMBER_ID_LEN];
  gint64  created_ms;
  GBytes *payload;
} FerryDhtOpened;

GQuark  ferry_dht_seal_error_quark (void);
guint64 ferry_dht_epoch_at         (gint64                   unix_seconds);
void    ferry_dht_epoch_keys       (const guint8            *secret,
                                    gsize                    secret_len,
                                    guint64                  epoch,
                                    FerryDhtEpochKeys       *keys);
/* The salt of slot @name (and @extra, e.g. two member ids for a mailbox). */
void    ferry_dht_slot_salt        (const FerryDhtEpochKeys *keys,
                                    const char              *name,
                                    const guint8            *extra,
                                    gsize                    extra_len,
                                    guint8                   salt[FERRY_DHT_SALT_LEN]);
GBytes *ferry_dht_seal             (const FerryDhtEpochKeys *keys,
                                    const guint8             salt[FERRY_DHT_SALT_LEN],
                                    gint64                   seq,
                                    const guint8             sender[FERRY_DHT_MEMBER_ID_LEN],
                                    const guint8             recipient[FERRY_DHT_MEMBER_ID_LEN],
                                    gint64                   created_ms,
                                    GBytes                  *payload);
/* Opens what was sealed with these keys, salt and @seq for @recipient (or for everyone), and not
 * before @not_before_ms (the time of the last value taken from that slot: an older one is a
 * replay). */
gboolean ferry_dht_open            (const FerryDhtEpochKeys *keys,
                                    const guint8             salt[FERRY_DHT_SALT_LEN],
                                    gint64                   seq,
                                    const guint8            *sealed,
                                    gsize                    sealed_len,
                                    const guint8             recipient[FERRY_DHT_MEMBER_ID_LEN],
                                    gint64                   not_before_ms,
                                    FerryDhtOpened          *opened,
                                    GError                 **error);
void    ferry_dht_opened_clear     (FerryDhtOpened          *opened);

G_END_DECLS
