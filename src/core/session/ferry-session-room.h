/* ferry-session-room.h: a room the session joined, as the GUI sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GUI's handle on one FerryRoom running on the session's network thread.  Everything here
 * lives on the GUI's main context: the models change and the signals come there, from copies of
 * what the network thread reported.  Calls are passed on to the network thread and return at
 * once; their results come back as changes of the models or as ::error.
 *
 * States:
 *   JOINING   no tracker (nor the DHT) reached yet, nobody connected
 *   JOINED    at least one tracker (or the DHT) reached, or somebody connected
 *   OFFLINE   every tracker failed (and the DHT is blocked, when the room uses it) and nobody is
 *             connected; the trackers are retried
 *   LEFT      ferry_session_room_leave () or ferry_session_shutdown (); the room is no longer in
 *             the session's rooms and its peers are gone
 *
 * Properties (read-only, notified on the GUI's main context):
 *   link    FerryRoomLink   the link it was joined with (the GUI's own object)
 *   title   string          the label of a secret room, the identifier of a plain one
 *   kind    FerryRoomKind   secret or plain
 *   state   FerrySessionRoomState
 *   direct  boolean         a pairing code's room (ferry_session_pair ()): no tracker, only the
 *                           one computer that proved the code; in JOINED while it is connected,
 *                           OFFLINE once it is gone
 *   dht     boolean         the room looks for its members through the session's DHT node (a
 *                           secret room whose link has dht=1, while the session's dht-enabled is
 *                           on); the DHT counts as reached, for the state, once it is ready or
 *                           degraded
 *   dht-members  guint      members seen in the room's DHT lobby this hour, us excluded
 *   dht-since    gint64     when the room started looking through the DHT, in
 *                           g_get_monotonic_time ()'s clock; 0 while it does not
 * Signals:
 *   ::error (const GError *)  something of the room failed: a message that could not be sent,
 *                             a connection that failed authentication (it may be intercepted),
 *                             the identity that could not be loaded
 */
#pragma once

#include <gio/gio.h>

#include "ferry-room-link.h"
#include "ferry-session-peer.h"
#include "ferry-tracker-client.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_SESSION_ROOM_JOINING,
  FERRY_SESSION_ROOM_JOINED,
  FERRY_SESSION_ROOM_OFFLINE,
  FERRY_SESSION_ROOM_LEFT,
} FerrySessionRoomState;

/* The GUI keeps the latest messages of a room, so that a chatty or hostile member cannot fill
 * its memory. */
#define FERRY_SESSION_ROOM_MAX_MESSAGES 1000

/* ferry-session.h includes this header. */
typedef struct _FerrySession FerrySession;

#define FERRY_TYPE_SESSION_ROOM (ferry_session_room_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionRoom, ferry_session_room, FERRY, SESSION_ROOM, GObject)

/* One tracker of a room, for diagnostics.
 * Properties (read-only): url (string), state (FerryTrackerState), last-error (string: why the
 * last connection failed or the tracker refused us, or %NULL). */
#define FERRY_TYPE_SESSION_TRACKER (ferry_session_tracker_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionTracker, ferry_session_tracker, FERRY, SESSION_TRACKER, GObject)

FerryRoomLink         *ferry_session_room_get_link     (FerrySessionRoom *self);
const char            *ferry_session_room_get_title    (FerrySessionRoom *self);
FerryRoomKind          ferry_session_room_get_kind     (FerrySessionRoom *self);
FerrySessionRoomState  ferry_session_room_get_state    (FerrySessionRoom *self);
gboolean               ferry_session_room_get_direct   (FerrySessionRoom *self);
gboolean               ferry_session_room_get_dht      (FerrySessionRoom *self);
guint                  ferry_session_room_get_dht_members (FerrySessionRoom *self);
gint64                 ferry_session_room_get_dht_since (FerrySessionRoom *self);
/* (nullable): the session of the room, %NULL once it was left. */
FerrySession          *ferry_session_room_get_session  (FerrySessionRoom *self);
/* (element-type FerrySessionPeer): the connected peers (and those reconnecting). */
GListModel            *ferry_session_room_get_peers    (FerrySessionRoom *self);
/* (element-type FerryChatMessage): oldest first, at most the latest
 * FERRY_SESSION_ROOM_MAX_MESSAGES. */
GListModel            *ferry_session_room_get_messages (FerrySessionRoom *self);
/* (element-type FerrySessionTracker): in the order the room uses them. */
GListModel            *ferry_session_room_get_trackers (FerrySessionRoom *self);

/* Sends @text (UTF-8) to everyone in the room; "" sends nothing.  The message joins the
 * messages once it went out, with its id and time, and becomes "delivered" when a peer
 * acknowledges it.  When it cannot go out (nobody is in the room, say), ::error says why. */
void                   ferry_session_room_send_chat    (FerrySessionRoom *self,
                                                        const char       *text);
/* Says goodbye to the trackers and peers; the room goes to LEFT at once. */
void                   ferry_session_room_leave        (FerrySessionRoom *self);
/* Offers @files (files and folders, @n_files of them) to @peer, or with %NULL to everyone in
 * the room who takes files (a transfer each).  The files are read in a worker thread; the
 * transfers appear in ferry_session_get_transfers (), and a file that cannot be read or nobody
 * to send to comes as ::error. */
void                   ferry_session_room_send_files   (FerrySessionRoom *self,
                                                        FerrySessionPeer *peer,
                                                        GFile * const    *files,
                                                        guint             n_files);

const char            *ferry_session_tracker_get_url        (FerrySessionTracker *self);
FerryTrackerState      ferry_session_tracker_get_state      (FerrySessionTracker *self);
const char            *ferry_session_tracker_get_last_error (FerrySessionTracker *self);

G_END_DECLS
