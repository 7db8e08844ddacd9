/* ferry-stun-query.h: our public IPv4 address, as a STUN server sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One STUN Binding request (RFC 5389) from a new UDP socket to the first STUN (or TURN) server
 * of a configuration, sent again a few times, and the XOR-MAPPED-ADDRESS of the answer.  Behind
 * a NAT that is the router's public address; everything behind the same router gets the same
 * one.  Runs on the thread-default main context; nothing blocks.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-rtc-config.h"

G_BEGIN_DECLS

/* FERRY_PEER_CONNECTION_ERROR_CONFIGURATION when @config has no server; G_IO_ERROR_TIMED_OUT
 * when none answers. */
void  ferry_stun_query_public_address_async  (FerryRtcConfig       *config,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
/* The address as text ("203.0.113.5"). */
char *ferry_stun_query_public_address_finish (GAsyncResult         *result,
                                              GError              **error);

G_END_DECLS
