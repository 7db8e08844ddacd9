/* ferry-session-private.h: what FerrySession drives in its proxies
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here runs on the GUI's main context.  The network thread only ever produces the
 * plain values below; FerrySession applies them to the proxies.
 */
#pragma once

#include "ferry-chat-message.h"
#include "ferry-session.h"
#include "ferry-session-peer.h"
#include "ferry-session-room.h"

G_BEGIN_DECLS

/* A FerryPeer as the network thread saw it, copied for the GUI. */
typedef struct {
  char                  *id;
  char                  *display_name;
  FerryPeerKind          kind;
  FerrySessionPeerState  state;
  gboolean               verified;
  char                  *verification_code;
  char                  *fingerprint;
  gboolean               can_receive_files;
  FerryIceCandidateType  local_candidate_type;
  FerryIceCandidateType  remote_candidate_type;
} FerrySessionPeerInfo;

void               _ferry_session_peer_info_free     (FerrySessionPeerInfo       *info);

FerrySessionPeer  *_ferry_session_peer_new           (const FerrySessionPeerInfo *info);
/* Takes every value of @info, notifying those that changed. */
void               _ferry_session_peer_update        (FerrySessionPeer           *self,
                                                      const FerrySessionPeerInfo *info);
void               _ferry_session_peer_set_state     (FerrySessionPeer           *self,
                                                      FerrySessionPeerState       state);

/* @time: ms since 1970 (UTC). */
FerryChatMessage  *_ferry_chat_message_new           (const char                 *peer_name,
                                                      const char                 *text,
                                                      const char                 *id,
                                                      gint64                      time,
                                                      gboolean                    outgoing);
void               _ferry_chat_message_set_delivered (FerryChatMessage           *self);

/* @handle names the room between the GUI and the network thread. */
FerrySessionRoom  *_ferry_session_room_new           (FerrySession               *session,
                                                      guint                       handle,
                                                      FerryRoomLink              *link);
guint              _ferry_session_room_get_handle    (FerrySessionRoom           *self);
void               _ferry_session_room_set_state     (FerrySessionRoom           *self,
                                                      FerrySessionRoomState       state);
void               _ferry_session_room_report_error  (FerrySessionRoom           *self,
                                                      const GError               *error);
/* Adds the peer, or updates it. */
void               _ferry_session_room_update_peer   (FerrySessionRoom           *self,
                                                      const FerrySessionPeerInfo *info);
/* The peer is gone in @state (FAILED or LEFT). */
void               _ferry_session_room_remove_peer   (FerrySessionRoom           *self,
                                                      const char                 *id,
                                                      FerrySessionPeerState       state);
void               _ferry_session_room_add_message   (FerrySessionRoom           *self,
                                                      FerryChatMessage           *message);
void               _ferry_session_room_mark_delivered (FerrySessionRoom          *self,
                                                       const char                *id);
/* Tracker @index of the room: added when it is the next one, else updated. */
void               _ferry_session_room_update_tracker (FerrySessionRoom          *self,
                                                       guint                      index,
                                                       const char                *url,
                                                       FerryTrackerState          state,
                                                       const char                *last_error);
/* The room was left: LEFT, its peers gone, and no more calls go to the session. */
void               _ferry_session_room_detach        (FerrySessionRoom           *self);

/* Called by FerrySessionRoom for the GUI. */
void               _ferry_session_send_chat          (FerrySession               *self,
                                                      FerrySessionRoom           *room,
                                                      const char                 *text);
void               _ferry_session_leave              (FerrySession               *self,
                                                      FerrySessionRoom           *room);

G_END_DECLS
