/* ferry-dht-rate.h: how often a DHT node may send, so that it respects public nodes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Public nodes ban addresses that query them too often (libtorrent blocks one that sends more
 * than 50 messages in 10 s), and every node's upload is small.  A node of Ferry's sends at most
 * one query a second to any one node, and overall at most a burst of 50 and 10 a second
 * sustained (a token bucket).  Time is given by the caller, so tests need not wait.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_DHT_RATE_PER_NODE_US G_USEC_PER_SEC
#define FERRY_DHT_RATE_BURST 50
#define FERRY_DHT_RATE_PER_SECOND 10

typedef struct _FerryDhtRate FerryDhtRate;

FerryDhtRate *ferry_dht_rate_new   (void);
void          ferry_dht_rate_free  (FerryDhtRate       *self);
/* Whether a query to @to may go now; when it may, it is counted.  Otherwise @wait_us (nullable)
 * says how long until it may. */
gboolean      ferry_dht_rate_take  (FerryDhtRate       *self,
                                    GInetSocketAddress *to,
                                    gint64              now_us,
                                    gint64             *wait_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDhtRate, ferry_dht_rate_free)

G_END_DECLS
