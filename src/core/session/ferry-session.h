/* ferry-session.h: the core on a network thread of its own, for the GUI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libnice, GnuTLS, usrsctp, libsoup, the rooms and the transfers all run on one network thread
 * that iterates its own GMainContext (docs/ARCHITECTURE.md, "Threads").  The GUI talks to them
 * only through FerrySession and the proxies it hands out (FerrySessionRoom, FerrySessionPeer,
 * FerryChatMessage, FerrySessionTransfer, FerrySessionPairing, FerrySessionNearby), which live on
 * the main context of the thread that created the session:
 * calls are passed to the network thread, and what happens there comes back as copied values
 * that update the proxies, so that their signals and notifications are emitted on the GUI's
 * context.  No core object is ever touched from the GUI thread, nor a proxy from the network
 * thread.
 *
 * usrsctp runs every SCTP association of a process on one main context: a process has one
 * session at a time, and runs no other peer connections.
 *
 * Properties (set from the GUI; a room takes them when it is joined, since FerryRoom fixes its
 * trackers, servers and name when it is created):
 *   display-name     string    the name others see; %NULL or "": the user's real name
 *   download-folder  GFile     where received files go (for the transfers of the session)
 *   trackers         strv      WebTorrent trackers, used with those a link carries
 *   stun-servers     strv      the first one is used (libnice takes one)
 *   turn-servers     GVariant  a(sss): URL, username, credential, as the app's GSettings key
 *   relay-only       gboolean  connect only through a TURN relay, hiding our addresses
 *   dht-enabled      gboolean  secret rooms whose link asks for it (dht=1) also find their members
 *                              through the mainline DHT (docs/DHT.md); unlike the others, it
 *                              applies to the rooms already open at once
 *   dht-bootstrap    strv      "HOST:PORT" of the DHT nodes to start from; the default is
 *                              FERRY_DHT_BOOTSTRAP from the environment when it is set
 *                              (comma-separated, empty: none, as ferry-cli reads it), else the
 *                              public routers of the schema
 *   identity-path    string    (construct-only) the identity file; default in the user's data
 *                              folder
 *   state-dir        GFile     (construct-only) where unfinished transfers are kept; default in
 *                              the user's data folder
 *   friends-file     GFile     (construct-only) the list of friends (ferry-friends.h); default in
 *                              the user's data folder
 *   dht-state-dir    GFile     (construct-only) where the DHT node keeps its routing tables between
 *                              runs; default "ferry" in the user's state folder
 *
 * The DHT (read-only, notified on the GUI's main context when they change): one node for the
 * whole session, running from the first room that looks for people through it until the last
 * one is left (or dht-enabled is turned off).
 *   dht-state        FerryDhtState  STOPPED while no room uses it
 *   dht-nodes        guint     nodes in its routing tables
 *   dht-good-nodes   guint     of those, the ones that answered lately
 */
#pragma once

#include <gio/gio.h>

#include "ferry-dht.h"
#include "ferry-friends.h"
#include "ferry-room-link.h"
#include "ferry-rtc-config.h"
#include "ferry-session-nearby.h"
#include "ferry-session-pairing.h"
#include "ferry-session-room.h"
#include "ferry-session-transfer.h"

G_BEGIN_DECLS

#define FERRY_SESSION_ERROR (ferry_session_error_quark ())

typedef enum {
  FERRY_SESSION_ERROR_NO_TRACKER,   /* neither the settings nor the link name a tracker, and the
                                     * room does not use the DHT */
  FERRY_SESSION_ERROR_NOT_IN_ROOM,  /* the room was left */
} FerrySessionError;

#define FERRY_TYPE_SESSION (ferry_session_get_type ())
G_DECLARE_FINAL_TYPE (FerrySession, ferry_session, FERRY, SESSION, GObject)

GQuark            ferry_session_error_quark (void);

/* Starts the network thread, with the default identity and state folder. */
FerrySession     *ferry_session_new         (void);

/* Joins the room of @link, or returns the room already joined with a link to the same room.
 * A secret room whose link has dht=1 also looks for its members through the DHT while
 * dht-enabled is on, side by side with the trackers.  Fails at once for a configuration that
 * cannot work (no tracker and no DHT, a malformed server URL, relay-only without a TURN server);
 * later failures come as the room's ::error.  Returns a new reference. */
FerrySessionRoom *ferry_session_join        (FerrySession   *self,
                                             FerryRoomLink  *link,
                                             GError        **error);
/* Connects with a pairing code (docs/PAIRING.md), without any server: @code %NULL or "" makes
 * a code (its link comes as the pairing's "link"), otherwise @code (a code or its link) is read
 * at once and a bad one fails with the parser's error (FERRY_PAIRING_CODE_ERROR); a reply code
 * fails too (the owner enters it, ferry_session_pairing_add_reply ()).  Fails at once for a
 * configuration that cannot work.  Once the other computer proved the code, its direct room
 * (no tracker; chat, history and files as in any room) joins ferry_session_get_rooms () and
 * comes as the pairing's ::connected.  Returns a new reference. */
FerrySessionPairing *ferry_session_pair     (FerrySession   *self,
                                             const char     *code,
                                             GError        **error);
/* Ferry devices on the local network (ferry-session-nearby.h): the session's one handle on
 * them, stopped until started. */
FerrySessionNearby *ferry_session_get_nearby (FerrySession  *self);
/* WebDrop's same-network room ("Nearby (WebDrop)"): asks the first STUN server of the settings
 * for our public IPv4 address, on the caller's main context, and gives the room WebDrop puts
 * browsers with that address in. */
void              ferry_session_find_webdrop_nearby_async  (FerrySession        *self,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
FerryRoomLink    *ferry_session_find_webdrop_nearby_finish (FerrySession        *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
/* (element-type FerrySessionRoom): the rooms joined and not left. */
GListModel       *ferry_session_get_rooms   (FerrySession   *self);
/* (element-type FerrySessionTransfer): every transfer of the session, oldest first: the
 * unfinished ones kept from earlier runs, then those offered and received since it started.
 * Finished transfers stay in the list. */
GListModel       *ferry_session_get_transfers (FerrySession *self);
/* The friends the user verified: adding or removing one updates every peer's trust. */
FerryFriends     *ferry_session_get_friends (FerrySession   *self);
/* The session's DHT node, as the network thread last reported it. */
FerryDhtState     ferry_session_get_dht_state      (FerrySession *self);
guint             ferry_session_get_dht_nodes      (FerrySession *self);
guint             ferry_session_get_dht_good_nodes (FerrySession *self);
gboolean          ferry_session_get_dht_enabled    (FerrySession *self);

/* Leaves every room, lets the goodbyes go out (a fraction of a second) and joins the network
 * thread.  Nothing of the session is reported afterwards.  Also done by dispose. */
void              ferry_session_shutdown    (FerrySession   *self);

/* What the app and ferry-cli share. */

/* The configuration of peer connections from the user's settings: the first of @stun_servers
 * (libnice takes one), @turn_servers (nullable, a(sss): URL, username, credential) and the
 * relay-only policy, which needs a TURN server. */
FerryRtcConfig   *ferry_session_rtc_config_new (const char * const *stun_servers,
                                                GVariant           *turn_servers,
                                                gboolean            relay_only,
                                                GError            **error);
/* Where files go when the user chose no folder: Downloads, or the home folder without one. */
GFile            *ferry_session_get_default_download_folder (void);

G_END_DECLS
