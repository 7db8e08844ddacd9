/* ferry-peer-private.h: what FerryRoom drives in a FerryPeer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-identity.h"
#include "ferry-peer.h"
#include "ferry-peer-connection.h"

G_BEGIN_DECLS

/* @auth_key: the room's K in a secret room, %NULL in a plain room. */
FerryPeer *_ferry_peer_new             (const char          *id,
                                        const char          *local_id,
                                        FerryIdentity       *identity,
                                        const guint8        *auth_key,
                                        const char          *local_name);
/* Takes over a connection to this peer.  @channel may be %NULL when the peer opens it. */
void       _ferry_peer_add_connection  (FerryPeer           *self,
                                        FerryPeerConnection *pc,
                                        FerryDataChannel    *channel,
                                        gboolean             we_offered);
void       _ferry_peer_close           (FerryPeer           *self);
/* The room is a WebDrop room: the peer sends WebDrop's "init" on every connection, saying we
 * wrote @own_messages chat messages there (updated by calling again), and speaks WebDrop's
 * control messages with peers that are not Ferry peers. */
void       _ferry_peer_set_webdrop     (FerryPeer           *self,
                                        guint                own_messages);

G_END_DECLS
