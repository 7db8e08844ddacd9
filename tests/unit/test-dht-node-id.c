/* test-dht-node-id.c: BEP 42 node ids, with the table of BEP 42
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>

#include "ferry-crypto.h"
#include "ferry-dht-node-id.h"

static const struct {
  const char *address;
  const char *id;
} bep42[] = {
  { "124.31.75.21", "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401" },
  { "21.75.31.124", "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256" },
  { "65.23.51.170", "a5d43220bc8f112a3d426c84764f8c2a1150e616" },
  { "84.124.73.14", "1b0321dd1bb1fe518101ceef99462b947a01ff41" },
  { "43.213.53.83", "e56f6cbf5b7c4be0237986d5243b87aa6d51305a" },
};

static void
test_known_answers (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bep42); i++)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (bep42[i].address);
      g_autoptr(GInetAddress) other = g_inet_address_new_from_string (bep42[(i + 1) % G_N_ELEMENTS (bep42)].address);
      guint8 id[FERRY_KRPC_ID_LEN];

      g_assert_true (ferry_hex_decode (bep42[i].id, -1, '\0', id, sizeof id));
      g_assert_true (ferry_dht_node_id_is_valid (id, address));
      g_assert_false (ferry_dht_node_id_is_valid (id, other));
      /* Another r in the last byte changes the prefix. */
      id[FERRY_KRPC_ID_LEN - 1] ^= 1;
      g_assert_false (ferry_dht_node_id_is_valid (id, address));
    }
}

static void
test_generate (void)
{
  const char *addresses[] = { "198.51.100.7", "203.0.113.200", "2001:db8::1", "2001:4860:4860::8888" };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    for (int round = 0; round < 50; round++)
      {
        g_autoptr(GInetAddress) address = g_inet_address_new_from_string (addresses[i]);
        guint8 id[FERRY_KRPC_ID_LEN];

        ferry_dht_node_id_generate (address, id);
        g_assert_true (ferry_dht_node_id_is_valid (id, address));
      }
}

static void
test_local_exempt (void)
{
  const char *local[] = { "127.0.0.1", "10.1.2.3", "192.168.0.9", "172.16.5.5", "169.254.1.1", "::1",
                          "fe80::1", "fd00::5" };
  guint8 id[FERRY_KRPC_ID_LEN] = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (local); i++)
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (local[i]);

      g_assert_true (ferry_dht_node_id_is_valid (id, address));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dht-node-id/bep42-table", test_known_answers);
  g_test_add_func ("/dht-node-id/generate", test_generate);
  g_test_add_func ("/dht-node-id/local-exempt", test_local_exempt);
  return g_test_run ();
}
