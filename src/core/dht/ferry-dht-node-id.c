/* ferry-dht-node-id.c: node ids tied to the node's address (BEP 42)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-crc32c.h"
#include "ferry-crypto.h"
#include "ferry-dht-node-id.h"

/* BEP 42 masks: the bits of an address that a network can hardly choose. */
static const guint8 mask4[4] = { 0x03, 0x0f, 0x3f, 0xff };
static const guint8 mask6[8] = { 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff };

/* The CRC32C of @address masked, with @r in its top bits. */
static guint32
address_crc (GInetAddress *address,
             guint8        r)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);
  gboolean v4 = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
  const guint8 *mask = v4 ? mask4 : mask6;
  gsize len = v4 ? sizeof mask4 : sizeof mask6;
  guint8 masked[8];

  for (gsize i = 0; i < len; i++)
    masked[i] = bytes[i] & mask[i];
  masked[0] |= (r & 7) << 5;
  return ferry_crc32c (masked, len);
}

void
ferry_dht_node_id_generate (GInetAddress *address,
                            guint8        id[FERRY_KRPC_ID_LEN])
{
  guint32 crc;

  g_return_if_fail (G_IS_INET_ADDRESS (address));

  ferry_random_bytes (id, FERRY_KRPC_ID_LEN);
  crc = address_crc (address, id[FERRY_KRPC_ID_LEN - 1]);
  id[0] = crc >> 24;
  id[1] = crc >> 16;
  id[2] = ((crc >> 8) & 0xf8) | (id[2] & 0x07);
}

gboolean
ferry_dht_address_is_local (GInetAddress *address)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_is_loopback (address) || g_inet_address_get_is_link_local (address) ||
      g_inet_address_get_is_site_local (address))
    return TRUE;
  /* IPv6 unique local addresses (fc00::/7); GLib's site-local is fec0::/10 for IPv6. */
  return g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 && (bytes[0] & 0xfe) == 0xfc;
}

gboolean
ferry_dht_node_id_is_valid (const guint8  id[FERRY_KRPC_ID_LEN],
                            GInetAddress *address)
{
  guint32 crc;

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);

  if (ferry_dht_address_is_local (address))
    return TRUE;
  crc = address_crc (address, id[FERRY_KRPC_ID_LEN - 1]);
  return id[0] == (guint8) (crc >> 24) && id[1] == (guint8) (crc >> 16) &&
         (id[2] & 0xf8) == ((crc >> 8) & 0xf8);
}

gboolean
ferry_dht_same_subnet (GInetSocketAddress *a,
                       GInetSocketAddress *b)
{
  GInetAddress *x = g_inet_socket_address_get_address (a);
  GInetAddress *y = g_inet_socket_address_get_address (b);
  gsize prefix = g_inet_address_get_family (x) == G_SOCKET_FAMILY_IPV4 ? 3 : 8;

  return g_inet_address_get_family (x) == g_inet_address_get_family (y) &&
         !ferry_dht_address_is_local (x) && !ferry_dht_address_is_local (y) &&
         memcmp (g_inet_address_to_bytes (x), g_inet_address_to_bytes (y), prefix) == 0;
}
