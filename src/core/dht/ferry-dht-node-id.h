/* ferry-dht-node-id.h: node ids tied to the node's address (BEP 42)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A node's 20-byte id starts with 21 bits of the CRC32C of its masked public IP address and a
 * number r from 0 to 7 (kept in the id's last byte), so that nobody can choose where in the id
 * space they sit: a node that wants to be close to a key would need an address for it.  Other
 * nodes check the id of whoever contacts them; addresses of local networks are exempt.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-krpc.h"

G_BEGIN_DECLS

/* A fresh id for a node whose public address is @address. */
void     ferry_dht_node_id_generate (GInetAddress *address,
                                     guint8        id[FERRY_KRPC_ID_LEN]);
/* Whether @id is one a node at @address may have (always, for local addresses). */
gboolean ferry_dht_node_id_is_valid (const guint8  id[FERRY_KRPC_ID_LEN],
                                     GInetAddress *address);

/* Addresses BEP 42 exempts: loopback, private, link-local (and their IPv6 kin). */
gboolean ferry_dht_address_is_local (GInetAddress *address);
/* Whether two public addresses share a /24 (IPv4) or /64 (IPv6): one host with many ports or
 * addresses should not fill a lookup or a bucket.  Local addresses never do. */
gboolean ferry_dht_same_subnet      (GInetSocketAddress *a,
                                     GInetSocketAddress *b);

G_END_DECLS
