/* ferry-dht-routing.c: a DHT node's routing table (BEP 5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-bencode.h"
#include "ferry-dht-node-id.h"
#include "ferry-dht-routing.h"

#define N_BUCKETS (FERRY_KRPC_ID_LEN * 8)
/* Failures in a row that make a node bad. */
#define BAD_AFTER 2

struct _FerryDhtRouting
{
  guint8         own_id[FERRY_KRPC_ID_LEN];
  GSocketFamily  family;
  GPtrArray     *buckets[N_BUCKETS];   /* of FerryDhtNode, at most K each; %NULL when empty */
  guint          size;
};

static void
node_free (gpointer data)
{
  FerryDhtNode *node = data;

  g_clear_object (&node->address);
  g_free (node);
}

FerryDhtRouting *
ferry_dht_routing_new (const guint8  own_id[FERRY_KRPC_ID_LEN],
                       GSocketFamily family)
{
  FerryDhtRouting *self = g_new0 (FerryDhtRouting, 1);

  memcpy (self->own_id, own_id, FERRY_KRPC_ID_LEN);
  self->family = family;
  return self;
}

void
ferry_dht_routing_free (FerryDhtRouting *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < N_BUCKETS; i++)
    g_clear_pointer (&self->buckets[i], g_ptr_array_unref);
  g_free (self);
}

guint
ferry_dht_routing_get_size (FerryDhtRouting *self)
{
  return self->size;
}

/* The index of the first bit where @id differs from ours; N_BUCKETS for our own id. */
static guint
bucket_of (FerryDhtRouting *self,
           const guint8    *id)
{
  for (guint i = 0; i < FERRY_KRPC_ID_LEN; i++)
    {
      guint8 x = self->own_id[i] ^ id[i];

      if (x != 0)
        return i * 8 + (guint) __builtin_clz (x) - 24;
    }
  return N_BUCKETS;
}

FerryDhtNodeState
ferry_dht_routing_node_state (const FerryDhtNode *node,
                              gint64              now_us)
{
  if (node->failures >= BAD_AFTER)
    return FERRY_DHT_NODE_BAD;
  if (node->last_answer_us != 0 && now_us - node->last_answer_us < FERRY_DHT_GOOD_FOR_US && node->failures == 0)
    return FERRY_DHT_NODE_GOOD;
  return FERRY_DHT_NODE_QUESTIONABLE;
}

guint
ferry_dht_routing_count_good (FerryDhtRouting *self,
                              gint64           now_us)
{
  guint good = 0;

  for (guint i = 0; i < N_BUCKETS; i++)
    for (guint j = 0; self->buckets[i] != NULL && j < self->buckets[i]->len; j++)
      if (ferry_dht_routing_node_state (g_ptr_array_index (self->buckets[i], j), now_us) == FERRY_DHT_NODE_GOOD)
        good++;
  return good;
}

static FerryDhtNode *
find (FerryDhtRouting *self,
      const guint8    *id,
      guint           *bucket,
      guint           *position)
{
  guint b = bucket_of (self, id);

  if (b == N_BUCKETS || self->buckets[b] == NULL)
    return NULL;
  for (guint i = 0; i < self->buckets[b]->len; i++)
    {
      FerryDhtNode *node = g_ptr_array_index (self->buckets[b], i);

      if (memcmp (node->id, id, FERRY_KRPC_ID_LEN) == 0)
        {
          if (bucket != NULL)
            *bucket = b;
          if (position != NULL)
            *position = i;
          return node;
        }
    }
  return NULL;
}

const FerryDhtNode *
ferry_dht_routing_lookup (FerryDhtRouting *self,
                          const guint8     id[FERRY_KRPC_ID_LEN])
{
  return find (self, id, NULL, NULL);
}

FerryDhtRoutingResult
ferry_dht_routing_add (FerryDhtRouting     *self,
                       const guint8         id[FERRY_KRPC_ID_LEN],
                       GInetSocketAddress  *address,
                       gboolean             answered,
                       gint64               now_us,
                       const FerryDhtNode **to_ping)
{
  FerryDhtNode *node, *worst = NULL;
  GPtrArray *bucket;
  guint b = bucket_of (self, id);

  if (b == N_BUCKETS ||
      g_inet_address_get_family (g_inet_socket_address_get_address (address)) != self->family)
    return FERRY_DHT_ROUTING_REFUSED;

  if ((node = find (self, id, NULL, NULL)) != NULL)
    {
      g_set_object (&node->address, address);
      if (answered)
        {
          node->last_answer_us = now_us;
          node->failures = 0;
        }
      return FERRY_DHT_ROUTING_UPDATED;
    }

  if (self->buckets[b] == NULL)
    self->buckets[b] = g_ptr_array_new_with_free_func (node_free);
  bucket = self->buckets[b];
  if (bucket->len >= FERRY_DHT_K)
    {
      guint worst_at = 0;

      /* The bad node, else the questionable one silent longest. */
      for (guint i = 0; i < bucket->len; i++)
        {
          FerryDhtNode *candidate = g_ptr_array_index (bucket, i);
          FerryDhtNodeState state = ferry_dht_routing_node_state (candidate, now_us);

          if (state == FERRY_DHT_NODE_GOOD)
            continue;
          if (worst == NULL || state == FERRY_DHT_NODE_BAD ||
              (ferry_dht_routing_node_state (worst, now_us) != FERRY_DHT_NODE_BAD &&
               candidate->last_answer_us < worst->last_answer_us))
            {
              worst = candidate;
              worst_at = i;
            }
        }
      if (worst == NULL)
        return FERRY_DHT_ROUTING_FULL;
      if (ferry_dht_routing_node_state (worst, now_us) != FERRY_DHT_NODE_BAD)
        {
          if (to_ping != NULL)
            *to_ping = worst;
          return FERRY_DHT_ROUTING_PING_FIRST;
        }
      g_ptr_array_remove_index (bucket, worst_at);
      self->size--;
    }

  node = g_new0 (FerryDhtNode, 1);
  memcpy (node->id, id, FERRY_KRPC_ID_LEN);
  node->address = g_object_ref (address);
  node->last_answer_us = answered ? now_us : 0;
  g_ptr_array_add (bucket, node);
  self->size++;
  return FERRY_DHT_ROUTING_ADDED;
}

void
ferry_dht_routing_failed (FerryDhtRouting *self,
                          const guint8     id[FERRY_KRPC_ID_LEN])
{
  FerryDhtNode *node = find (self, id, NULL, NULL);

  if (node != NULL)
    node->failures++;
}

int
ferry_dht_distance_cmp (const guint8 target[FERRY_KRPC_ID_LEN],
                        const guint8 a[FERRY_KRPC_ID_LEN],
                        const guint8 b[FERRY_KRPC_ID_LEN])
{
  for (guint i = 0; i < FERRY_KRPC_ID_LEN; i++)
    {
      guint8 da = a[i] ^ target[i], db = b[i] ^ target[i];

      if (da != db)
        return da < db ? -1 : 1;
    }
  return 0;
}

static int
closer_cb (gconstpointer a,
           gconstpointer b,
           gpointer      target)
{
  const FerryDhtNode *x = *(FerryDhtNode * const *) a;
  const FerryDhtNode *y = *(FerryDhtNode * const *) b;

  return ferry_dht_distance_cmp (target, x->id, y->id);
}

GPtrArray *
ferry_dht_routing_closest (FerryDhtRouting *self,
                           const guint8     target[FERRY_KRPC_ID_LEN],
                           guint            n,
                           gboolean         one_per_subnet,
                           gint64           now_us)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GPtrArray *closest = g_ptr_array_new ();

  for (guint i = 0; i < N_BUCKETS; i++)
    for (guint j = 0; self->buckets[i] != NULL && j < self->buckets[i]->len; j++)
      {
        FerryDhtNode *node = g_ptr_array_index (self->buckets[i], j);

        if (ferry_dht_routing_node_state (node, now_us) != FERRY_DHT_NODE_BAD)
          g_ptr_array_add (all, node);
      }
  /* A few hundred nodes at most: sorting them all is simpler than walking buckets outwards. */
  g_ptr_array_sort_with_data (all, closer_cb, (gpointer) target);
  for (guint i = 0; i < all->len && closest->len < n; i++)
    {
      FerryDhtNode *node = g_ptr_array_index (all, i);
      gboolean taken = FALSE;

      for (guint j = 0; one_per_subnet && j < closest->len && !taken; j++)
        taken = ferry_dht_same_subnet (((FerryDhtNode *) g_ptr_array_index (closest, j))->address, node->address);
      if (!taken)
        g_ptr_array_add (closest, node);
    }
  return closest;
}

GBytes *
ferry_dht_routing_save (FerryDhtRouting *self)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr(GByteArray) nodes = g_byte_array_new ();

  for (guint i = 0; i < N_BUCKETS; i++)
    for (guint j = 0; self->buckets[i] != NULL && j < self->buckets[i]->len; j++)
      {
        FerryDhtNode *node = g_ptr_array_index (self->buckets[i], j);

        g_byte_array_append (nodes, node->id, FERRY_KRPC_ID_LEN);
        ferry_krpc_write_address (nodes, node->address);
      }
  ferry_bencode_write_mark (out, 'd');
  ferry_bencode_write_str (out, "id");
  ferry_bencode_write_bytes (out, self->own_id, FERRY_KRPC_ID_LEN);
  ferry_bencode_write_str (out, self->family == G_SOCKET_FAMILY_IPV4 ? "nodes" : "nodes6");
  ferry_bencode_write_bytes (out, nodes->data, nodes->len);
  ferry_bencode_write_mark (out, 'e');
  return g_byte_array_free_to_bytes (out);
}

GArray *
ferry_dht_routing_load (GBytes        *saved,
                        GSocketFamily  family,
                        guint8         own_id[FERRY_KRPC_ID_LEN],
                        GError       **error)
{
  g_autoptr(FerryBencode) root = ferry_bencode_parse (g_bytes_get_data (saved, NULL), g_bytes_get_size (saved), error);
  const FerryBencode *id;
  const guint8 *bytes;
  gsize len;

  if (root == NULL)
    return NULL;
  id = ferry_bencode_lookup (root, "id");
  if (id == NULL || ferry_bencode_get_kind (id) != FERRY_BENCODE_BYTES ||
      (bytes = ferry_bencode_get_bytes (id, &len), len != FERRY_KRPC_ID_LEN))
    {
      g_set_error_literal (error, FERRY_KRPC_ERROR, FERRY_KRPC_ERROR_INVALID, _("A saved routing table has no id"));
      return NULL;
    }
  memcpy (own_id, bytes, FERRY_KRPC_ID_LEN);
  return ferry_krpc_nodes_parse (ferry_bencode_lookup (root, family == G_SOCKET_FAMILY_IPV4 ? "nodes" : "nodes6"),
                                 family == G_SOCKET_FAMILY_IPV6, error);
}
