/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-dht-lookup.h"
#include "ferry-dht-routing.h"

static GInetSocketAddress *
address (const char *ip,
         guint16     port)
{
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (ip, port));
}

/* An id at XOR distance @d (in its last byte) from the all-zero target. */
static void
id_at (guint8 id[FERRY_KRPC_ID_LEN],
       guint8 d)
{
  memset (id, 0, FERRY_KRPC_ID_LEN);
  id[FERRY_KRPC_ID_LEN - 1] = d;
}

static void
test_order_and_end (void)
{
  static const guint8 target[FERRY_KRPC_ID_LEN] = { 0 };
  g_autoptr(FerryDhtLookup) lookup = ferry_dht_lookup_new (target);
  g_autoptr(GPtrArray) closest = NULL;
  FerryDhtLookupNode *node;
  guint8 id[FERRY_KRPC_ID_LEN];
  guint asked = 0;

  /* Twelve nodes at distances 12…1, on addresses of distinct /24s. */
  for (guint d = 12; d >= 1; d--)
    {
      g_autofree char *ip = g_strdup_printf ("198.18.%u.1", d);
      g_autoptr(GInetSocketAddress) a = address (ip, 6881);

      id_at (id, d);
      g_assert_true (ferry_dht_lookup_add (lookup, id, a));
    }
  /* The same id again, or another node in a /24 we have, is not taken. */
  {
    g_autoptr(GInetSocketAddress) a = address ("198.18.40.1", 6881);
    g_autoptr(GInetSocketAddress) b = address ("198.18.3.9", 7000);

    id_at (id, 5);
    g_assert_false (ferry_dht_lookup_add (lookup, id, a));
    id_at (id, 50);
    g_assert_false (ferry_dht_lookup_add (lookup, id, b));
  }

  /* Closest first; only the 8 closest are asked while they hold. */
  while ((node = ferry_dht_lookup_next (lookup)) != NULL)
    {
      g_assert_cmpint (node->id[FERRY_KRPC_ID_LEN - 1], ==, ++asked);
      if (asked == 2)
        ferry_dht_lookup_failed (lookup, node);
      else
        ferry_dht_lookup_answered (lookup, node, NULL);
    }
  /* Node 2 failed, so the ninth closest was asked as well. */
  g_assert_cmpuint (asked, ==, 9);
  g_assert_true (ferry_dht_lookup_is_done (lookup));

  /* A closer node heard of reopens the lookup. */
  {
    g_autoptr(GInetSocketAddress) a = address ("10.0.0.1", 6881);
    g_autoptr(GInetSocketAddress) b = address ("10.0.0.2", 6881);

    id_at (id, 0);
    g_assert_true (ferry_dht_lookup_add (lookup, id, a));
    g_assert_false (ferry_dht_lookup_is_done (lookup));
    node = ferry_dht_lookup_next (lookup);
    g_assert_nonnull (node);
    g_assert_true (g_inet_socket_address_get_port (node->address) == 6881);
    /* Held back by the rate limits: put back, asked again later. */
    ferry_dht_lookup_unask (lookup, node);
    g_assert_cmpuint (ferry_dht_lookup_in_flight (lookup), ==, 0);
    node = ferry_dht_lookup_next (lookup);
    ferry_dht_lookup_answered (lookup, node, NULL);
    /* Private addresses may share a subnet. */
    id_at (id, 13);
    g_assert_true (ferry_dht_lookup_add (lookup, id, b));
  }

  closest = ferry_dht_lookup_closest (lookup, 3, FALSE);
  g_assert_cmpuint (closest->len, ==, 3);
  g_assert_cmpint (((FerryDhtLookupNode *) closest->pdata[0])->id[FERRY_KRPC_ID_LEN - 1], ==, 0);
  g_assert_cmpint (((FerryDhtLookupNode *) closest->pdata[1])->id[FERRY_KRPC_ID_LEN - 1], ==, 1);
  g_assert_cmpint (((FerryDhtLookupNode *) closest->pdata[2])->id[FERRY_KRPC_ID_LEN - 1], ==, 3);
}

static void
test_tokens (void)
{
  static const guint8 target[FERRY_KRPC_ID_LEN] = { 0 };
  g_autoptr(FerryDhtLookup) lookup = ferry_dht_lookup_new (target);
  g_autoptr(GPtrArray) with_token = NULL;
  g_autoptr(GBytes) token = g_bytes_new_static ("abcd", 4);
  guint8 id[FERRY_KRPC_ID_LEN];

  for (guint d = 1; d <= 4; d++)
    {
      g_autofree char *ip = g_strdup_printf ("198.18.%u.1", d);
      g_autoptr(GInetSocketAddress) a = address (ip, 6881);

      id_at (id, d);
      ferry_dht_lookup_add (lookup, id, a);
    }
  for (guint i = 0; i < 4; i++)
    {
      FerryDhtLookupNode *node = ferry_dht_lookup_next (lookup);

      ferry_dht_lookup_answered (lookup, node, i % 2 == 0 ? token : NULL);
    }
  with_token = ferry_dht_lookup_closest (lookup, 8, TRUE);
  g_assert_cmpuint (with_token->len, ==, 2);
  g_assert_cmpuint (ferry_dht_lookup_answers (lookup), ==, 4);
}

static void
test_cap (void)
{
  static const guint8 target[FERRY_KRPC_ID_LEN] = { 0 };
  g_autoptr(FerryDhtLookup) lookup = ferry_dht_lookup_new (target);
  guint8 id[FERRY_KRPC_ID_LEN];
  guint taken = 0;

  /* Far more candidates than a lookup keeps: the nearest stay. */
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *ip = g_strdup_printf ("10.%u.%u.1", i / 250, i % 250);
      g_autoptr(GInetSocketAddress) a = address (ip, 6881);

      memset (id, 0, sizeof id);
      id[0] = 200 - i;
      taken += ferry_dht_lookup_add (lookup, id, a);
    }
  g_assert_cmpuint (taken, ==, 200);
  for (guint i = 0; i < FERRY_DHT_K; i++)
    g_assert_cmpint (ferry_dht_lookup_next (lookup)->id[0], ==, 1 + i);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dht-lookup/order-and-end", test_order_and_end);
  g_test_add_func ("/dht-lookup/tokens", test_tokens);
  g_test_add_func ("/dht-lookup/cap", test_cap);
  return g_test_run ();
}
