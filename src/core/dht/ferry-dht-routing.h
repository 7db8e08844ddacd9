/* ferry-dht-routing.h: a DHT node's routing table (BEP 5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The nodes a node knows, kept in buckets by how many leading bits their id shares with ours:
 * bucket i holds up to K = 8 nodes whose id first differs from ours at bit i, so the table knows
 * many nodes near itself and a few far away, and any lookup gets closer by at least a bit each
 * step.  A node is good when it answered within the last 15 minutes, questionable when silent
 * longer, and bad after failing to answer twice in a row; a full bucket takes a new node in
 * place of a bad one, and otherwise asks its caller to ping its most questionable node first.
 * One table per address family (BEP 32: the IPv4 and IPv6 DHTs are separate overlays).  The
 * table is saved as bencode and loaded again as nodes to ping, not trusted until they answer.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-krpc.h"

G_BEGIN_DECLS

#define FERRY_DHT_K 8
#define FERRY_DHT_GOOD_FOR_US ((gint64) 15 * 60 * G_USEC_PER_SEC)

typedef struct _FerryDhtRouting FerryDhtRouting;

typedef enum {
  FERRY_DHT_NODE_GOOD,
  FERRY_DHT_NODE_QUESTIONABLE,
  FERRY_DHT_NODE_BAD,
} FerryDhtNodeState;

typedef enum {
  FERRY_DHT_ROUTING_ADDED,
  FERRY_DHT_ROUTING_UPDATED,
  FERRY_DHT_ROUTING_PING_FIRST,  /* full: *@to_ping should be pinged, and replaced if it fails */
  FERRY_DHT_ROUTING_FULL,        /* full of good nodes: not taken */
  FERRY_DHT_ROUTING_REFUSED,     /* ourselves, or another family */
} FerryDhtRoutingResult;

typedef struct {
  guint8              id[FERRY_KRPC_ID_LEN];
  GInetSocketAddress *address;
  gint64              last_answer_us;   /* 0: never answered */
  guint               failures;         /* queries without an answer since the last answer */
} FerryDhtNode;

FerryDhtRouting      *ferry_dht_routing_new        (const guint8            own_id[FERRY_KRPC_ID_LEN],
                                                    GSocketFamily           family);
void                  ferry_dht_routing_free       (FerryDhtRouting        *self);
guint                 ferry_dht_routing_get_size   (FerryDhtRouting        *self);
/* The number of good nodes at @now_us. */
guint                 ferry_dht_routing_count_good (FerryDhtRouting        *self,
                                                    gint64                  now_us);
FerryDhtNodeState     ferry_dht_routing_node_state (const FerryDhtNode     *node,
                                                    gint64                  now_us);
/* A node was heard from: @answered when it answered one of our queries (queries it sent us
 * prove less).  @to_ping (nullable) is set for FERRY_DHT_ROUTING_PING_FIRST. */
FerryDhtRoutingResult ferry_dht_routing_add        (FerryDhtRouting        *self,
                                                    const guint8            id[FERRY_KRPC_ID_LEN],
                                                    GInetSocketAddress     *address,
                                                    gboolean                answered,
                                                    gint64                  now_us,
                                                    const FerryDhtNode    **to_ping);
/* A query to @id went unanswered. */
void                  ferry_dht_routing_failed     (FerryDhtRouting        *self,
                                                    const guint8            id[FERRY_KRPC_ID_LEN]);
const FerryDhtNode   *ferry_dht_routing_lookup     (FerryDhtRouting        *self,
                                                    const guint8            id[FERRY_KRPC_ID_LEN]);
/* Up to @n nodes closest to @target by XOR distance, nearest first, bad nodes left out; with
 * @one_per_subnet at most one node per /24 (IPv4) or /64 (IPv6), so that a few hosts cannot
 * fill a lookup.  (element-type FerryDhtNode, borrowed) */
GPtrArray            *ferry_dht_routing_closest    (FerryDhtRouting        *self,
                                                    const guint8            target[FERRY_KRPC_ID_LEN],
                                                    guint                   n,
                                                    gboolean                one_per_subnet,
                                                    gint64                  now_us);
/* Compares the XOR distances of @a and @b to @target: <0 when @a is closer. */
int                   ferry_dht_distance_cmp       (const guint8            target[FERRY_KRPC_ID_LEN],
                                                    const guint8            a[FERRY_KRPC_ID_LEN],
                                                    const guint8            b[FERRY_KRPC_ID_LEN]);

/* {"id": our id, "nodes" or "nodes6": compact node entries}, bencoded. */
GBytes               *ferry_dht_routing_save       (FerryDhtRouting        *self);
/* The nodes of a saved table, to ping; %NULL with an error for one that is not ours to read
 * (another family, malformed).  @own_id gets the saved id. (element-type FerryKrpcNode) */
GArray               *ferry_dht_routing_load       (GBytes                 *saved,
                                                    GSocketFamily           family,
                                                    guint8                  own_id[FERRY_KRPC_ID_LEN],
                                                    GError                **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDhtRouting, ferry_dht_routing_free)

G_END_DECLS
