/* ferry-session-peer.h: another member of a room, as the GUI sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A copy, on the GUI's main context, of what the network thread knows about a FerryPeer.  The
 * proxy never touches the FerryPeer: FerrySession sends it every change as copied values.
 *
 * States:
 *   CONNECTING  the peer lost its connection and another one is being set up
 *   CONNECTED   a connection is open (in a secret room: and the peer proved it has the link)
 *   FAILED      its connection broke (a network error, or the peer vanished); it is gone
 *   LEFT        it closed its connection, or we left the room; it is gone
 * A peer shows up in its room's peers once connected, since the room reports nobody earlier,
 * and leaves that list in FAILED or LEFT; whoever keeps a reference sees the final state.
 *
 * Properties (read-only, notified on the GUI's main context):
 *   id                 string   the peer's tracker peer id, in hex (one visit to the room)
 *   display-name       string   from its hello, or a name made from its id
 *   kind               FerryPeerKind   Ferry, a plain P2PT app (e.g. in a browser), or unknown
 *   state              FerrySessionPeerState
 *   verified           gboolean  in a secret room, the peer proved it holds the room link
 *   verification-code  string   nine digits for people to compare out of band, or %NULL
 *   fingerprint        string   lowercase hex of the SHA-256 of its certificate, or %NULL;
 *                               the same across rooms and restarts
 *   can-receive-files  gboolean  a connected Ferry peer whose hello lists "files"
 *   local-candidate-type   FerryIceCandidateType  of the selected ICE pair of the connection
 *   remote-candidate-type  FerryIceCandidateType  (NONE when none is up)
 *   relayed            gboolean  either candidate of that pair is a TURN relay
 */
#pragma once

#include <glib-object.h>

#include "ferry-friends.h"
#include "ferry-peer.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_SESSION_PEER_CONNECTING,
  FERRY_SESSION_PEER_CONNECTED,
  FERRY_SESSION_PEER_FAILED,
  FERRY_SESSION_PEER_LEFT,
} FerrySessionPeerState;

#define FERRY_TYPE_SESSION_PEER (ferry_session_peer_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionPeer, ferry_session_peer, FERRY, SESSION_PEER, GObject)

const char            *ferry_session_peer_get_id                (FerrySessionPeer *self);
const char            *ferry_session_peer_get_display_name      (FerrySessionPeer *self);
FerryPeerKind          ferry_session_peer_get_kind              (FerrySessionPeer *self);
FerrySessionPeerState  ferry_session_peer_get_state             (FerrySessionPeer *self);
gboolean               ferry_session_peer_get_verified          (FerrySessionPeer *self);
const char            *ferry_session_peer_get_verification_code (FerrySessionPeer *self);
const char            *ferry_session_peer_get_fingerprint       (FerrySessionPeer *self);
gboolean               ferry_session_peer_get_can_receive_files (FerrySessionPeer *self);
FerryIceCandidateType  ferry_session_peer_get_local_candidate_type  (FerrySessionPeer *self);
FerryIceCandidateType  ferry_session_peer_get_remote_candidate_type (FerrySessionPeer *self);
gboolean               ferry_session_peer_get_relayed           (FerrySessionPeer *self);
/* The round-trip time in whole milliseconds (SCTP's smoothed measurement, updated every few
 * seconds; 0 on the same machine), or -1 while unknown. */
int                    ferry_session_peer_get_rtt_ms            (FerrySessionPeer *self);
/* Whether this is a remembered friend, or someone using a friend's name (ferry-friends.h). */
FerryFriendTrust       ferry_session_peer_get_trust             (FerrySessionPeer *self);

G_END_DECLS
