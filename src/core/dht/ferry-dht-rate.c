/* ferry-dht-rate.c: how often a DHT node may send, so that it respects public nodes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "ferry-dht-rate.h"

/* Forgetting nodes not queried for a while keeps the table small. */
#define FORGET_AFTER_US (60 * G_USEC_PER_SEC)
#define FORGET_EVERY 1024

struct _FerryDhtRate
{
  GHashTable *last_query;   /* "address port" → gint64 µs of the last query */
  double      tokens;
  gint64      refilled_us;
  guint       taken;
};

FerryDhtRate *
ferry_dht_rate_new (void)
{
  FerryDhtRate *self = g_new0 (FerryDhtRate, 1);

  self->last_query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->tokens = FERRY_DHT_RATE_BURST;
  self->refilled_us = G_MININT64;
  return self;
}

void
ferry_dht_rate_free (FerryDhtRate *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->last_query);
  g_free (self);
}

static void
forget_old (FerryDhtRate *self,
            gint64        now_us)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->last_query);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now_us - *(gint64 *) value >= FORGET_AFTER_US)
      g_hash_table_iter_remove (&iter);
}

gboolean
ferry_dht_rate_take (FerryDhtRate       *self,
                     GInetSocketAddress *to,
                     gint64              now_us,
                     gint64             *wait_us)
{
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (to));
  g_autofree char *key = g_strdup_printf ("%s %u", ip, g_inet_socket_address_get_port (to));
  gint64 *last = g_hash_table_lookup (self->last_query, key);
  gint64 wait = 0;

  if (self->refilled_us == G_MININT64)
    self->refilled_us = now_us;
  self->tokens = MIN (FERRY_DHT_RATE_BURST,
                      self->tokens + (double) (now_us - self->refilled_us) * FERRY_DHT_RATE_PER_SECOND / G_USEC_PER_SEC);
  self->refilled_us = now_us;

  if (last != NULL && now_us - *last < FERRY_DHT_RATE_PER_NODE_US)
    wait = *last + FERRY_DHT_RATE_PER_NODE_US - now_us;
  if (self->tokens < 1)
    wait = MAX (wait, (gint64) ((1 - self->tokens) * G_USEC_PER_SEC / FERRY_DHT_RATE_PER_SECOND) + 1);
  if (wait > 0)
    {
      if (wait_us != NULL)
        *wait_us = wait;
      return FALSE;
    }

  self->tokens -= 1;
  if (last == NULL)
    {
      last = g_new (gint64, 1);
      g_hash_table_insert (self->last_query, g_steal_pointer (&key), last);
    }
  *last = now_us;
  if (++self->taken % FORGET_EVERY == 0)
    forget_old (self, now_us);
  return TRUE;
}
