/* ferry-dht-lookup.c: an iterative lookup's bookkeeping (Kademlia, BEP 5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-dht-lookup.h"
#include "ferry-dht-node-id.h"
#include "ferry-dht-routing.h"

/* Candidates kept: enough that the K closest survive nodes that fail. */
#define MAX_CANDIDATES (FERRY_DHT_K * 8)

struct _FerryDhtLookup
{
  guint8     target[FERRY_KRPC_ID_LEN];
  GPtrArray *nodes;      /* of FerryDhtLookupNode, nearest first */
  guint      in_flight;
};

static void
node_free (gpointer data)
{
  FerryDhtLookupNode *node = data;

  g_clear_object (&node->address);
  g_clear_pointer (&node->token, g_bytes_unref);
  g_free (node);
}

FerryDhtLookup *
ferry_dht_lookup_new (const guint8 target[FERRY_KRPC_ID_LEN])
{
  FerryDhtLookup *self = g_new0 (FerryDhtLookup, 1);

  memcpy (self->target, target, FERRY_KRPC_ID_LEN);
  self->nodes = g_ptr_array_new_with_free_func (node_free);
  return self;
}

void
ferry_dht_lookup_free (FerryDhtLookup *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->nodes);
  g_free (self);
}

const guint8 *
ferry_dht_lookup_get_target (FerryDhtLookup *self)
{
  return self->target;
}

static gboolean
same_address (GInetSocketAddress *a,
              GInetSocketAddress *b)
{
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b) &&
         g_inet_address_equal (g_inet_socket_address_get_address (a),
                               g_inet_socket_address_get_address (b));
}

gboolean
ferry_dht_lookup_add (FerryDhtLookup     *self,
                      const guint8        id[FERRY_KRPC_ID_LEN],
                      GInetSocketAddress *address)
{
  FerryDhtLookupNode *node;
  guint at = self->nodes->len;

  for (guint i = 0; i < self->nodes->len; i++)
    {
      FerryDhtLookupNode *other = g_ptr_array_index (self->nodes, i);

      if (memcmp (other->id, id, FERRY_KRPC_ID_LEN) == 0 || same_address (other->address, address) ||
          ferry_dht_same_subnet (other->address, address))
        return FALSE;
      if (at == self->nodes->len && ferry_dht_distance_cmp (self->target, id, other->id) < 0)
        at = i;
    }
  if (at >= MAX_CANDIDATES)
    return FALSE;

  node = g_new0 (FerryDhtLookupNode, 1);
  memcpy (node->id, id, FERRY_KRPC_ID_LEN);
  node->address = g_object_ref (address);
  g_ptr_array_insert (self->nodes, at, node);

  /* Drop the farthest that nobody waits for. */
  for (guint i = self->nodes->len; i > MAX_CANDIDATES; i--)
    {
      FerryDhtLookupNode *last = g_ptr_array_index (self->nodes, i - 1);

      if (last->state != FERRY_DHT_LOOKUP_ASKED)
        g_ptr_array_remove_index (self->nodes, i - 1);
    }
  return TRUE;
}

FerryDhtLookupNode *
ferry_dht_lookup_next (FerryDhtLookup *self)
{
  guint alive = 0;

  for (guint i = 0; i < self->nodes->len && alive < FERRY_DHT_K; i++)
    {
      FerryDhtLookupNode *node = g_ptr_array_index (self->nodes, i);

      if (node->state == FERRY_DHT_LOOKUP_FAILED)
        continue;
      alive++;
      if (node->state == FERRY_DHT_LOOKUP_NEW)
        {
          node->state = FERRY_DHT_LOOKUP_ASKED;
          self->in_flight++;
          return node;
        }
    }
  return NULL;
}

void
ferry_dht_lookup_unask (FerryDhtLookup     *self,
                        FerryDhtLookupNode *node)
{
  g_return_if_fail (node->state == FERRY_DHT_LOOKUP_ASKED);
  node->state = FERRY_DHT_LOOKUP_NEW;
  self->in_flight--;
}

void
ferry_dht_lookup_answered (FerryDhtLookup     *self,
                           FerryDhtLookupNode *node,
                           GBytes             *token)
{
  g_return_if_fail (node->state == FERRY_DHT_LOOKUP_ASKED);
  node->state = FERRY_DHT_LOOKUP_ANSWERED;
  if (token != NULL)
    node->token = g_bytes_ref (token);
  self->in_flight--;
}

void
ferry_dht_lookup_failed (FerryDhtLookup     *self,
                         FerryDhtLookupNode *node)
{
  g_return_if_fail (node->state == FERRY_DHT_LOOKUP_ASKED);
  node->state = FERRY_DHT_LOOKUP_FAILED;
  self->in_flight--;
}

guint
ferry_dht_lookup_in_flight (FerryDhtLookup *self)
{
  return self->in_flight;
}

gboolean
ferry_dht_lookup_is_done (FerryDhtLookup *self)
{
  guint alive = 0;

  if (self->in_flight > 0)
    return FALSE;
  for (guint i = 0; i < self->nodes->len && alive < FERRY_DHT_K; i++)
    {
      FerryDhtLookupNode *node = g_ptr_array_index (self->nodes, i);

      if (node->state == FERRY_DHT_LOOKUP_NEW)
        return FALSE;
      alive += node->state != FERRY_DHT_LOOKUP_FAILED;
    }
  return TRUE;
}

GPtrArray *
ferry_dht_lookup_closest (FerryDhtLookup *self,
                          guint           n,
                          gboolean        with_token)
{
  GPtrArray *closest = g_ptr_array_new ();

  for (guint i = 0; i < self->nodes->len && closest->len < n; i++)
    {
      FerryDhtLookupNode *node = g_ptr_array_index (self->nodes, i);

      if (node->state == FERRY_DHT_LOOKUP_ANSWERED && (!with_token || node->token != NULL))
        g_ptr_array_add (closest, node);
    }
  return closest;
}

guint
ferry_dht_lookup_answers (FerryDhtLookup *self)
{
  guint answers = 0;

  for (guint i = 0; i < self->nodes->len; i++)
    answers += ((FerryDhtLookupNode *) g_ptr_array_index (self->nodes, i))->state == FERRY_DHT_LOOKUP_ANSWERED;
  return answers;
}
