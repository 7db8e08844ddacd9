/* test-dht-rate.c: how often the DHT node may send (src/core/dht/ferry-dht-rate.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>

#include "ferry-dht-rate.h"

#define SECOND G_USEC_PER_SEC

static GInetSocketAddress *
node (guint n)
{
  g_autofree char *ip = g_strdup_printf ("198.18.%u.%u", n / 250, n % 250 + 1);
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);

  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, 6881));
}

/* One query a second to any one node. */
static void
test_per_node (void)
{
  g_autoptr(FerryDhtRate) rate = ferry_dht_rate_new ();
  g_autoptr(GInetSocketAddress) a = node (0);
  g_autoptr(GInetSocketAddress) b = node (1);
  gint64 wait = 0;

  g_assert_true (ferry_dht_rate_take (rate, a, 0, NULL));
  g_assert_false (ferry_dht_rate_take (rate, a, SECOND / 4, &wait));
  g_assert_cmpint (wait, ==, 3 * SECOND / 4);
  g_assert_true (ferry_dht_rate_take (rate, b, SECOND / 4, NULL));
  g_assert_true (ferry_dht_rate_take (rate, a, SECOND, NULL));
}

/* A burst of 50, then 10 a second, over many nodes; never more than that in any 10 s. */
static void
test_overall (void)
{
  g_autoptr(FerryDhtRate) rate = ferry_dht_rate_new ();
  g_autoptr(GArray) sent = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = 0;

  /* Every 10 ms, as many queries to new nodes as are let through. */
  for (gint64 now = 0; now < 60 * SECOND; now += SECOND / 100)
    for (;;)
      {
        g_autoptr(GInetSocketAddress) to = node (n);

        if (!ferry_dht_rate_take (rate, to, now, NULL))
          break;
        g_array_append_val (sent, now);
        n++;
      }
  /* The first 50 at once. */
  g_assert_cmpint (g_array_index (sent, gint64, FERRY_DHT_RATE_BURST - 1), ==, 0);
  g_assert_cmpint (g_array_index (sent, gint64, FERRY_DHT_RATE_BURST), >, 0);
  /* 50 + 10 a second for 60 s. */
  g_assert_cmpuint (sent->len, >=, FERRY_DHT_RATE_BURST + 59 * FERRY_DHT_RATE_PER_SECOND);
  g_assert_cmpuint (sent->len, <=, FERRY_DHT_RATE_BURST + 60 * FERRY_DHT_RATE_PER_SECOND);
  /* After the burst, any 10 s carry at most 10 × 10 + 1. */
  for (guint i = FERRY_DHT_RATE_BURST; i < sent->len; i++)
    {
      guint in_window = 0;

      for (guint j = i; j < sent->len && g_array_index (sent, gint64, j) < g_array_index (sent, gint64, i) + 10 * SECOND; j++)
        in_window++;
      g_assert_cmpuint (in_window, <=, 10 * FERRY_DHT_RATE_PER_SECOND + 1);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dht-rate/per-node", test_per_node);
  g_test_add_func ("/dht-rate/overall", test_overall);
  return g_test_run ();
}
