/* ferry-data-channel-private.h: what FerryPeerConnection drives in a FerryDataChannel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-data-channel.h"
#include "ferry-dcep.h"
#include "ferry-sctp-transport.h"

G_BEGIN_DECLS

FerryDataChannel *_ferry_data_channel_new         (const char                 *label,
                                                   const FerryDataChannelInit *init);
/* A channel the peer opened with DCEP on @sid. */
FerryDataChannel *_ferry_data_channel_new_remote  (const FerryDcepMessage     *open,
                                                   guint16                     sid);
void              _ferry_data_channel_set_id      (FerryDataChannel           *self,
                                                   int                         id);
/* SCTP is up: sends the DCEP OPEN (unless negotiated or remote) and fires ::open. */
void              _ferry_data_channel_open        (FerryDataChannel           *self,
                                                   FerrySctpTransport         *sctp);
void              _ferry_data_channel_acked       (FerryDataChannel           *self);
void              _ferry_data_channel_receive     (FerryDataChannel           *self,
                                                   guint32                     ppid,
                                                   GBytes                     *data);
void              _ferry_data_channel_buffered_amount_changed (FerryDataChannel *self,
                                                               guint64           amount);
/* The peer closed the channel; ours closes once what we queued is sent. */
void              _ferry_data_channel_closing     (FerryDataChannel           *self);
/* The stream was reset or the connection ended. */
void              _ferry_data_channel_closed      (FerryDataChannel           *self,
                                                   const GError               *error);
/* The transport the channel runs on while it is open or closing (for tests). */
FerrySctpTransport *_ferry_data_channel_get_transport (FerryDataChannel       *self);

G_END_DECLS
