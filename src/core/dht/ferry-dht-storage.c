/* ferry-dht-storage.c: what a DHT node stores for others (BEP 5 peers, BEP 44 items)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-crypto.h"
#include "ferry-dht-storage.h"

#define MINUTE_US ((gint64) 60 * G_USEC_PER_SEC)
#define TOKEN_ROTATION_US (5 * MINUTE_US)
#define PEER_LIFETIME_US (30 * MINUTE_US)
#define ITEM_LIFETIME_US (120 * MINUTE_US)
/* Caps like those of libtorrent's defaults. */
#define MAX_INFO_HASHES 2000
#define MAX_PEERS_PER_HASH 500
#define MAX_ITEMS 700

typedef struct {
  GInetSocketAddress *address;
  gint64              announced_us;
} Peer;

typedef struct {
  FerryDhtStoredItem item;
  gint64             stored_us;
} Item;

struct _FerryDhtStorage
{
  guint8      secrets[2][16];   /* current, previous */
  gint64      rotated_us;
  GHashTable *peers;            /* info_hash (GBytes) → GPtrArray of Peer */
  GHashTable *items;            /* target (GBytes) → Item */
};

static void
peer_free (gpointer data)
{
  Peer *peer = data;

  g_object_unref (peer->address);
  g_free (peer);
}

static void
item_free (gpointer data)
{
  Item *item = data;

  g_bytes_unref (item->item.value);
  g_free (item);
}

FerryDhtStorage *
ferry_dht_storage_new (void)
{
  FerryDhtStorage *self = g_new0 (FerryDhtStorage, 1);

  ferry_random_bytes (self->secrets, sizeof self->secrets);
  self->rotated_us = G_MININT64;
  self->peers = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref,
                                       (GDestroyNotify) g_ptr_array_unref);
  self->items = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, item_free);
  return self;
}

void
ferry_dht_storage_free (FerryDhtStorage *self)
{
  if (self == NULL)
    return;
  ferry_memzero (self->secrets, sizeof self->secrets);
  g_hash_table_unref (self->peers);
  g_hash_table_unref (self->items);
  g_free (self);
}

/* Tokens */

static void
rotate (FerryDhtStorage *self,
        gint64           now_us)
{
  if (self->rotated_us == G_MININT64)
    self->rotated_us = now_us;
  while (now_us - self->rotated_us >= TOKEN_ROTATION_US)
    {
      memcpy (self->secrets[1], self->secrets[0], sizeof self->secrets[0]);
      ferry_random_bytes (self->secrets[0], sizeof self->secrets[0]);
      /* After a long silence both secrets are new: no old token survives. */
      if (now_us - self->rotated_us >= 2 * TOKEN_ROTATION_US)
        ferry_random_bytes (self->secrets[1], sizeof self->secrets[1]);
      self->rotated_us = now_us;
    }
}

static void
token_for (const guint8 *secret,
           GInetAddress *from,
           guint8        token[FERRY_DHT_TOKEN_LEN])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize len = sizeof digest;

  g_checksum_update (checksum, secret, 16);
  g_checksum_update (checksum, g_inet_address_to_bytes (from), g_inet_address_get_native_size (from));
  g_checksum_get_digest (checksum, digest, &len);
  memcpy (token, digest, FERRY_DHT_TOKEN_LEN);
}

void
ferry_dht_storage_make_token (FerryDhtStorage *self,
                              GInetAddress    *from,
                              gint64           now_us,
                              guint8           token[FERRY_DHT_TOKEN_LEN])
{
  rotate (self, now_us);
  token_for (self->secrets[0], from, token);
}

gboolean
ferry_dht_storage_check_token (FerryDhtStorage *self,
                               GInetAddress    *from,
                               const guint8    *token,
                               gsize            token_len,
                               gint64           now_us)
{
  guint8 expected[FERRY_DHT_TOKEN_LEN];

  rotate (self, now_us);
  if (token_len != FERRY_DHT_TOKEN_LEN)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    {
      token_for (self->secrets[i], from, expected);
      if (ferry_memequal_constant_time (expected, token, sizeof expected))
        return TRUE;
    }
  return FALSE;
}

/* Peers */

static GBytes *
key_of (const guint8 *id)
{
  return g_bytes_new (id, FERRY_KRPC_ID_LEN);
}

static void
expire_peers (GPtrArray *peers,
              gint64     now_us)
{
  for (guint i = peers->len; i-- > 0;)
    if (now_us - ((Peer *) g_ptr_array_index (peers, i))->announced_us >= PEER_LIFETIME_US)
      g_ptr_array_remove_index (peers, i);
}

void
ferry_dht_storage_announce (FerryDhtStorage    *self,
                            const guint8        info_hash[FERRY_KRPC_ID_LEN],
                            GInetSocketAddress *address,
                            gint64              now_us)
{
  g_autoptr(GBytes) key = key_of (info_hash);
  GPtrArray *peers = g_hash_table_lookup (self->peers, key);
  Peer *peer;

  if (peers == NULL)
    {
      if (g_hash_table_size (self->peers) >= MAX_INFO_HASHES)
        return;
      peers = g_ptr_array_new_with_free_func (peer_free);
      g_hash_table_insert (self->peers, g_bytes_ref (key), peers);
    }
  expire_peers (peers, now_us);
  for (guint i = 0; i < peers->len; i++)
    {
      peer = g_ptr_array_index (peers, i);
      if (g_inet_address_equal (g_inet_socket_address_get_address (peer->address),
                                g_inet_socket_address_get_address (address)) &&
          g_inet_socket_address_get_port (peer->address) == g_inet_socket_address_get_port (address))
        {
          peer->announced_us = now_us;
          return;
        }
    }
  if (peers->len >= MAX_PEERS_PER_HASH)
    g_ptr_array_remove_index (peers, 0);
  peer = g_new0 (Peer, 1);
  peer->address = g_object_ref (address);
  peer->announced_us = now_us;
  g_ptr_array_add (peers, peer);
}

GPtrArray *
ferry_dht_storage_get_peers (FerryDhtStorage *self,
                             const guint8     info_hash[FERRY_KRPC_ID_LEN],
                             GSocketFamily    family,
                             guint            max,
                             gint64           now_us)
{
  g_autoptr(GBytes) key = key_of (info_hash);
  GPtrArray *peers = g_hash_table_lookup (self->peers, key);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  if (peers == NULL)
    return found;
  expire_peers (peers, now_us);
  /* The latest announced first. */
  for (guint i = peers->len; i-- > 0 && found->len < max;)
    {
      Peer *peer = g_ptr_array_index (peers, i);

      if (g_inet_address_get_family (g_inet_socket_address_get_address (peer->address)) == family)
        g_ptr_array_add (found, g_object_ref (peer->address));
    }
  return found;
}

/* Items */

static void
make_room (FerryDhtStorage *self,
           gint64           now_us)
{
  GHashTableIter iter;
  gpointer key, value, oldest_key = NULL;
  gint64 oldest = G_MAXINT64;

  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Item *item = value;

      if (now_us - item->stored_us >= ITEM_LIFETIME_US)
        g_hash_table_iter_remove (&iter);
      else if (item->stored_us < oldest)
        {
          oldest = item->stored_us;
          oldest_key = key;
        }
    }
  if (g_hash_table_size (self->items) >= MAX_ITEMS && oldest_key != NULL)
    g_hash_table_remove (self->items, oldest_key);
}

static void
store (FerryDhtStorage    *self,
       const guint8       *target,
       FerryDhtStoredItem *item,
       gint64              now_us)
{
  Item *stored = g_new0 (Item, 1);

  make_room (self, now_us);
  stored->item = *item;
  stored->item.value = g_bytes_ref (item->value);
  stored->stored_us = now_us;
  g_hash_table_insert (self->items, key_of (target), stored);
}

int
ferry_dht_storage_put_immutable (FerryDhtStorage *self,
                                 GBytes          *value,
                                 gint64           now_us)
{
  FerryDhtStoredItem item = { .is_mutable = FALSE, .value = value };
  guint8 target[FERRY_KRPC_ID_LEN];

  if (g_bytes_get_size (value) > FERRY_DHT_MAX_VALUE)
    return FERRY_KRPC_VALUE_TOO_BIG;
  ferry_dht_item_immutable_target (g_bytes_get_data (value, NULL), g_bytes_get_size (value), target);
  store (self, target, &item, now_us);
  return 0;
}

int
ferry_dht_storage_put_mutable (FerryDhtStorage *self,
                               const guint8     public_key[FERRY_DHT_KEY_LEN],
                               const guint8    *salt,
                               gsize            salt_len,
                               gint64           seq,
                               const gint64    *cas,
                               GBytes          *value,
                               const guint8     signature[FERRY_DHT_SIGNATURE_LEN],
                               gint64           now_us)
{
  FerryDhtStoredItem item = { .is_mutable = TRUE, .seq = seq, .value = value };
  const FerryDhtStoredItem *old;
  guint8 target[FERRY_KRPC_ID_LEN];

  if (g_bytes_get_size (value) > FERRY_DHT_MAX_VALUE)
    return FERRY_KRPC_VALUE_TOO_BIG;
  if (salt_len > FERRY_DHT_MAX_SALT)
    return FERRY_KRPC_SALT_TOO_BIG;
  if (!ferry_dht_item_verify (public_key, salt, salt_len, seq, g_bytes_get_data (value, NULL),
                              g_bytes_get_size (value), signature))
    return FERRY_KRPC_BAD_SIGNATURE;
  ferry_dht_item_mutable_target (public_key, salt, salt_len, target);
  if ((old = ferry_dht_storage_get_item (self, target, now_us)) != NULL)
    {
      if (cas != NULL && *cas != old->seq)
        return FERRY_KRPC_CAS_MISMATCH;
      /* The same value again keeps it alive; anything else needs a higher number. */
      if (seq < old->seq || (seq == old->seq && !g_bytes_equal (value, old->value)))
        return FERRY_KRPC_SEQ_TOO_LOW;
    }
  memcpy (item.public_key, public_key, FERRY_DHT_KEY_LEN);
  memcpy (item.signature, signature, FERRY_DHT_SIGNATURE_LEN);
  store (self, target, &item, now_us);
  return 0;
}

const FerryDhtStoredItem *
ferry_dht_storage_get_item (FerryDhtStorage *self,
                            const guint8     target[FERRY_KRPC_ID_LEN],
                            gint64           now_us)
{
  g_autoptr(GBytes) key = key_of (target);
  Item *item = g_hash_table_lookup (self->items, key);

  if (item != NULL && now_us - item->stored_us >= ITEM_LIFETIME_US)
    {
      g_hash_table_remove (self->items, key);
      return NULL;
    }
  return item != NULL ? &item->item : NULL;
}
