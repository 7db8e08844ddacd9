/* test-dht-routing.c: the DHT's routing table (src/core/dht/ferry-dht-routing.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <gio/gio.h>

#include "ferry-crypto.h"
#include "ferry-dht-routing.h"

#define MINUTE ((gint64) 60 * G_USEC_PER_SEC)

static GInetSocketAddress *
address (const char *ip,
         guint16     port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);

  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
}

/* An id that first differs from @own at bit @bit, random after it. */
static void
id_at (const guint8 *own,
       guint         bit,
       guint8       *id)
{
  ferry_random_bytes (id, FERRY_KRPC_ID_LEN);
  for (guint i = 0; i < bit; i++)
    {
      guint8 m = 0x80 >> (i % 8);

      id[i / 8] = (id[i / 8] & ~m) | (own[i / 8] & m);
    }
  id[bit / 8] = (id[bit / 8] & ~(0x80 >> (bit % 8))) | (~own[bit / 8] & (0x80 >> (bit % 8)));
}

static void
test_buckets (void)
{
  guint8 own[FERRY_KRPC_ID_LEN], id[FERRY_KRPC_ID_LEN];
  g_autoptr(FerryDhtRouting) table = NULL;
  g_autoptr(GInetSocketAddress) v4 = address ("198.18.1.1", 6881);
  g_autoptr(GInetSocketAddress) v6 = address ("2001:db8::1", 6881);
  const FerryDhtNode *to_ping = NULL;
  gint64 now = 1000 * MINUTE;

  ferry_random_bytes (own, sizeof own);
  table = ferry_dht_routing_new (own, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpint (ferry_dht_routing_add (table, own, v4, TRUE, now, NULL), ==, FERRY_DHT_ROUTING_REFUSED);
  id_at (own, 0, id);
  g_assert_cmpint (ferry_dht_routing_add (table, id, v6, TRUE, now, NULL), ==, FERRY_DHT_ROUTING_REFUSED);

  /* The far half of the id space takes eight nodes, all good. */
  for (guint i = 0; i < FERRY_DHT_K; i++)
    {
      g_autoptr(GInetSocketAddress) a = address ("198.18.1.1", 7000 + i);

      id_at (own, 0, id);
      g_assert_cmpint (ferry_dht_routing_add (table, id, a, TRUE, now, NULL), ==, FERRY_DHT_ROUTING_ADDED);
    }
  g_assert_cmpint (ferry_dht_routing_add (table, id, v4, TRUE, now, NULL), ==, FERRY_DHT_ROUTING_UPDATED);
  id_at (own, 0, id);
  g_assert_cmpint (ferry_dht_routing_add (table, id, v4, TRUE, now, NULL), ==, FERRY_DHT_ROUTING_FULL);
  /* Closer buckets are separate. */
  id_at (own, 9, id);
  g_assert_cmpint (ferry_dht_routing_add (table, id, v4, TRUE, now, NULL), ==, FERRY_DHT_ROUTING_ADDED);
  g_assert_cmpuint (ferry_dht_routing_get_size (table), ==, FERRY_DHT_K + 1);
  g_assert_cmpuint (ferry_dht_routing_count_good (table, now), ==, FERRY_DHT_K + 1);

  /* Sixteen minutes later all are questionable: a newcomer asks for a ping first. */
  now += 16 * MINUTE;
  g_assert_cmpuint (ferry_dht_routing_count_good (table, now), ==, 0);
  id_at (own, 0, id);
  g_assert_cmpint (ferry_dht_routing_add (table, id, v4, TRUE, now, &to_ping), ==, FERRY_DHT_ROUTING_PING_FIRST);
  g_assert_nonnull (to_ping);
  {
    guint8 silent[FERRY_KRPC_ID_LEN];

    memcpy (silent, to_ping->id, sizeof silent);
    ferry_dht_routing_failed (table, silent);
    g_assert_cmpint (ferry_dht_routing_node_state (ferry_dht_routing_lookup (table, silent), now), ==,
                     FERRY_DHT_NODE_QUESTIONABLE);
    ferry_dht_routing_failed (table, silent);
    g_assert_cmpint (ferry_dht_routing_node_state (ferry_dht_routing_lookup (table, silent), now), ==,
                     FERRY_DHT_NODE_BAD);
    /* The bad node makes room. */
    g_assert_cmpint (ferry_dht_routing_add (table, id, v4, TRUE, now, NULL), ==, FERRY_DHT_ROUTING_ADDED);
    g_assert_null (ferry_dht_routing_lookup (table, silent));
  }
}

static void
test_closest (void)
{
  guint8 own[FERRY_KRPC_ID_LEN], target[FERRY_KRPC_ID_LEN];
  g_autoptr(FerryDhtRouting) table = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) closest = NULL;
  g_autoptr(GPtrArray) spread = NULL;
  gint64 now = MINUTE;

  ferry_random_bytes (own, sizeof own);
  ferry_random_bytes (target, sizeof target);
  table = ferry_dht_routing_new (own, G_SOCKET_FAMILY_IPV4);
  /* Many nodes near us and some near the target; every node on a /24 of its own but the
   * first ten, which share one. */
  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *ip = i < 10 ? g_strdup_printf ("198.18.0.%u", i + 1)
                                   : g_strdup_printf ("198.%u.%u.1", 18 + i / 250, i % 250);
      g_autoptr(GInetSocketAddress) a = address (ip, 6881);
      guint8 *id = g_malloc (FERRY_KRPC_ID_LEN);

      if (i < 10)
        {
          memcpy (id, target, FERRY_KRPC_ID_LEN);
          id[FERRY_KRPC_ID_LEN - 1] ^= i + 1;
        }
      else
        id_at (i % 2 ? own : target, g_random_int_range (0, 40), id);
      if (ferry_dht_routing_add (table, id, a, TRUE, now, NULL) == FERRY_DHT_ROUTING_ADDED)
        g_ptr_array_add (all, id);
      else
        g_free (id);
    }

  closest = ferry_dht_routing_closest (table, target, FERRY_DHT_K, FALSE, now);
  g_assert_cmpuint (closest->len, ==, FERRY_DHT_K);
  /* Nearest first, and nothing left out is nearer than the last taken. */
  for (guint i = 1; i < closest->len; i++)
    g_assert_cmpint (ferry_dht_distance_cmp (target, ((FerryDhtNode *) closest->pdata[i - 1])->id,
                                             ((FerryDhtNode *) closest->pdata[i])->id), <, 0);
  for (guint i = 0; i < all->len; i++)
    {
      gboolean in = FALSE;

      for (guint j = 0; j < closest->len; j++)
        in = in || memcmp (all->pdata[i], ((FerryDhtNode *) closest->pdata[j])->id, FERRY_KRPC_ID_LEN) == 0;
      if (!in)
        g_assert_cmpint (ferry_dht_distance_cmp (target, all->pdata[i],
                                                 ((FerryDhtNode *) closest->pdata[closest->len - 1])->id), >, 0);
    }

  /* The ten nodes of one /24 are the nearest, but a lookup takes one of them. */
  spread = ferry_dht_routing_closest (table, target, FERRY_DHT_K, TRUE, now);
  g_assert_cmpuint (spread->len, ==, FERRY_DHT_K);
  for (guint i = 0; i < spread->len; i++)
    for (guint j = i + 1; j < spread->len; j++)
      g_assert_true (memcmp (g_inet_address_to_bytes (g_inet_socket_address_get_address (((FerryDhtNode *) spread->pdata[i])->address)),
                             g_inet_address_to_bytes (g_inet_socket_address_get_address (((FerryDhtNode *) spread->pdata[j])->address)),
                             3) != 0);
}

static void
test_save_load (void)
{
  guint8 own[FERRY_KRPC_ID_LEN], loaded_id[FERRY_KRPC_ID_LEN], id[FERRY_KRPC_ID_LEN];
  g_autoptr(FerryDhtRouting) table = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(GArray) nodes = NULL;
  g_autoptr(GError) error = NULL;

  ferry_random_bytes (own, sizeof own);
  table = ferry_dht_routing_new (own, G_SOCKET_FAMILY_IPV4);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *ip = g_strdup_printf ("198.18.%u.9", i);
      g_autoptr(GInetSocketAddress) a = address (ip, 6000 + i);

      id_at (own, i, id);
      g_assert_cmpint (ferry_dht_routing_add (table, id, a, TRUE, 1, NULL), ==, FERRY_DHT_ROUTING_ADDED);
    }
  saved = ferry_dht_routing_save (table);
  nodes = ferry_dht_routing_load (saved, G_SOCKET_FAMILY_IPV4, loaded_id, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (loaded_id, sizeof loaded_id, own, sizeof own);
  g_assert_cmpuint (nodes->len, ==, 20);
  for (guint i = 0; i < nodes->len; i++)
    {
      FerryKrpcNode *node = &g_array_index (nodes, FerryKrpcNode, i);
      const FerryDhtNode *known = ferry_dht_routing_lookup (table, node->id);

      g_assert_nonnull (known);
      g_assert_cmpuint (g_inet_socket_address_get_port (node->address), ==,
                        g_inet_socket_address_get_port (known->address));
    }

  /* Garbage is refused with an error. */
  g_clear_pointer (&nodes, g_array_unref);
  g_clear_pointer (&saved, g_bytes_unref);
  saved = g_bytes_new_static ("d2:id3:abce", 11);
  nodes = ferry_dht_routing_load (saved, G_SOCKET_FAMILY_IPV4, loaded_id, &error);
  g_assert_null (nodes);
  g_assert_nonnull (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dht-routing/buckets", test_buckets);
  g_test_add_func ("/dht-routing/closest", test_closest);
  g_test_add_func ("/dht-routing/save-load", test_save_load);
  return g_test_run ();
}
