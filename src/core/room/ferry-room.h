/* ferry-room.h: a room: one swarm on several WebTorrent trackers, one connection per peer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The room announces its info_hash on every tracker with fresh non-trickle offers, answers the
 * offers relayed to it, and keeps the resulting connections grouped by peer id (FerryPeer).  A
 * peer seen through several trackers is one peer; losing a tracker does not drop live
 * connections; a failed connection triggers a new announce at once, and while the swarm has
 * members we are not connected to, the room re-announces sooner than the tracker's interval so
 * that a mesh forms quickly.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-identity.h"
#include "ferry-peer.h"
#include "ferry-room-link.h"
#include "ferry-rtc-config.h"

G_BEGIN_DECLS

#define FERRY_TYPE_ROOM (ferry_room_get_type ())
G_DECLARE_FINAL_TYPE (FerryRoom, ferry_room, FERRY, ROOM, GObject)

/* Signals:
 *   ::peer-joined (FerryPeer)          a peer is connected (in a secret room: and verified)
 *   ::peer-left (FerryPeer)            its last connection closed
 *   ::message (FerryPeer, text)        chat, once per message id
 *   ::chat-message (FerryPeer, text, id, time)  the same, just before ::message, with the
 *                                      message's id (%NULL from peers that send none) and the
 *                                      author's time (ms since 1970, or
 *                                      FERRY_PEER_MESSAGE_NO_TIME)
 *   ::history-message (FerryPeer, author, text)  in a WebDrop room, a message of the room's
 *                               past that a WebDrop peer told us, written by @author (by its
 *                               word); each one once
 *   ::message-delivered (FerryPeer, id)  the peer acknowledged a message we sent (the first time
 *                                      for that peer's certificate)
 *   ::peer-error (FerryPeer, GError)   a connection failed or was refused (e.g. authentication)
 * Properties:
 *   mesh-retry   guint  ms before re-announcing while the swarm has peers we lack (default 5000)
 *   offers       guint  offers per announce, at most 5 (default 5)
 */

/* @trackers: tracker URLs in addition to the link's own. */
FerryRoom          *ferry_room_new              (FerryRoomLink        *link,
                                                 FerryIdentity        *identity,
                                                 FerryRtcConfig       *config,
                                                 const char * const   *trackers,
                                                 const char           *display_name);
void                ferry_room_join             (FerryRoom            *self);
/* Says "stopped" to the trackers and closes every connection. */
void                ferry_room_leave            (FerryRoom            *self);

/* Sends to every connected peer; fails only when nobody is connected (or @text is not UTF-8). */
gboolean            ferry_room_send_chat        (FerryRoom            *self,
                                                 const char           *text,
                                                 GError              **error);
/* The same for non-empty @text, returning the message's id (::message-delivered names it) and
 * setting @time (nullable) to the time it carries, in ms since 1970.  The message is kept for a
 * day (at most the latest 200 of the room), and sent again to each Ferry peer that acknowledges
 * messages and has not acknowledged this one when it joins, after it was away or for the first
 * time (docs/PROTOCOL.md, "Missed messages"). */
char               *ferry_room_send_chat_full   (FerryRoom            *self,
                                                 const char           *text,
                                                 gint64               *time,
                                                 GError              **error);

/* Adds a peer met without the room's trackers (a pairing code, a nearby device), connected or
 * not: it joins the room's chat, history and transfers like any other.  A room whose link has
 * no tracker and that is given none holds only such peers. */
void                ferry_room_add_peer         (FerryRoom            *self,
                                                 FerryPeer            *peer);

FerryRoomLink      *ferry_room_get_link         (FerryRoom            *self);
/* The configuration of the room's connections (with the identity's certificate). */
FerryRtcConfig     *ferry_room_get_rtc_config   (FerryRoom            *self);
/* Our tracker peer id, in hex. */
const char         *ferry_room_get_peer_id      (FerryRoom            *self);
/* The connected peers. (element-type FerryPeer) */
GListModel         *ferry_room_get_peers        (FerryRoom            *self);
/* (element-type FerryTrackerClient): tests shorten their timers before join (). */
GPtrArray          *ferry_room_get_trackers     (FerryRoom            *self);

G_END_DECLS
