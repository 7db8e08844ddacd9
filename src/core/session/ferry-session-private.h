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
#include "ferry-session-nearby.h"
#include "ferry-session-nearby-device.h"
#include "ferry-session-pairing.h"
#include "ferry-session-peer.h"
#include "ferry-session-room.h"
#include "ferry-session-transfer.h"

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
  int                    rtt_ms;         /* -1: unknown */
} FerrySessionPeerInfo;

void               _ferry_session_peer_info_free     (FerrySessionPeerInfo       *info);

/* A transfer as the network thread saw it, in copied values. */
typedef struct {
  guint                   handle;
  char                   *id;
  FerryTransferDirection  direction;
  FerryTransferState      state;
  char                   *peer_name;
  char                   *peer_fingerprint;
  guint64                 total;
  guint64                 bytes_done;
  char                   *reason;
  gboolean                paused_locally;
  gboolean                paused_remotely;
  char                   *folder;       /* receiving, once accepted: a path */
  /* With the first report and when files land, else %NULL: */
  GPtrArray              *paths;        /* char *, as offered */
  GArray                 *sizes;        /* guint64 */
  GPtrArray              *files;        /* char *: the source, or where it landed, or NULL */
} FerrySessionTransferInfo;

typedef enum {
  FERRY_SESSION_TRANSFER_ACCEPT,
  FERRY_SESSION_TRANSFER_DECLINE,
  FERRY_SESSION_TRANSFER_PAUSE,
  FERRY_SESSION_TRANSFER_RESUME,
  FERRY_SESSION_TRANSFER_CANCEL,
} FerrySessionTransferAction;

void                  _ferry_session_transfer_info_free   (FerrySessionTransferInfo       *info);
FerrySessionTransfer *_ferry_session_transfer_new         (FerrySession                   *session,
                                                           const FerrySessionTransferInfo *info);
void                  _ferry_session_transfer_update      (FerrySessionTransfer           *self,
                                                           const FerrySessionTransferInfo *info);
guint                 _ferry_session_transfer_get_handle  (FerrySessionTransfer           *self);
void                  _ferry_session_transfer_report_error (FerrySessionTransfer          *self,
                                                            const GError                  *error);

FerrySessionPeer  *_ferry_session_peer_new           (const FerrySessionPeerInfo *info);
/* Takes every value of @info, notifying those that changed. */
void               _ferry_session_peer_update        (FerrySessionPeer           *self,
                                                      const FerrySessionPeerInfo *info);
void               _ferry_session_peer_set_state     (FerrySessionPeer           *self,
                                                      FerrySessionPeerState       state);
void               _ferry_session_peer_set_trust     (FerrySessionPeer           *self,
                                                      FerryFriendTrust            trust);

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
/* After the list of friends changed. */
void               _ferry_session_room_update_trust  (FerrySessionRoom           *self);

/* A direct room (a pairing code's): no tracker, one peer. */
void               _ferry_session_room_set_direct    (FerrySessionRoom           *self,
                                                      gboolean                    direct);
/* Whether the room looks for its members through the DHT, the members seen in its lobby, and
 * since when (monotonic µs; 0: it does not). */
void               _ferry_session_room_set_dht       (FerrySessionRoom           *self,
                                                      gboolean                    dht,
                                                      guint                       members,
                                                      gint64                      since);

/* @handle names the pairing, and then its direct room, between the GUI and the network thread. */
FerrySessionPairing *_ferry_session_pairing_new       (FerrySession              *session,
                                                       guint                      handle,
                                                       gboolean                   reader);
guint              _ferry_session_pairing_get_handle  (FerrySessionPairing       *self);
void               _ferry_session_pairing_set_link    (FerrySessionPairing       *self,
                                                       const char                *link);
void               _ferry_session_pairing_set_reply_link (FerrySessionPairing    *self,
                                                          const char             *link);
void               _ferry_session_pairing_refuse_reply (FerrySessionPairing      *self,
                                                        const GError             *error);
/* Over: no more calls go to the session.  fail and connect also emit their signal. */
void               _ferry_session_pairing_detach      (FerrySessionPairing       *self);
void               _ferry_session_pairing_fail        (FerrySessionPairing       *self,
                                                       const GError              *error);
void               _ferry_session_pairing_connect     (FerrySessionPairing       *self,
                                                       FerrySessionRoom          *room);

/* A nearby device as the network thread saw it, copied for the GUI. */
typedef struct {
  char *id;
  char *name;
  char *fingerprint;
} FerrySessionNearbyDeviceInfo;

void               _ferry_session_nearby_device_info_free (FerrySessionNearbyDeviceInfo    *info);
FerrySessionNearbyDevice *_ferry_session_nearby_device_new (const FerrySessionNearbyDeviceInfo *info);
void               _ferry_session_nearby_device_update (FerrySessionNearbyDevice           *self,
                                                        const FerrySessionNearbyDeviceInfo *info);
void               _ferry_session_nearby_device_set_connecting (FerrySessionNearbyDevice   *self,
                                                                gboolean                    connecting);

FerrySessionNearby *_ferry_session_nearby_new        (FerrySession               *session);
/* The network side started (@error %NULL), or could not. */
void               _ferry_session_nearby_set_started (FerrySessionNearby         *self,
                                                      const GError               *error);
/* @added: FerrySessionNearbyDeviceInfo. */
void               _ferry_session_nearby_splice_devices (FerrySessionNearby      *self,
                                                         guint                    position,
                                                         guint                    removed,
                                                         GPtrArray               *added);
void               _ferry_session_nearby_update_device (FerrySessionNearby                 *self,
                                                        const FerrySessionNearbyDeviceInfo *info);
void               _ferry_session_nearby_connect_failed (FerrySessionNearby      *self,
                                                         const char              *id,
                                                         const GError            *error);
/* @id: the device we connected to; %NULL when it connected to us. */
void               _ferry_session_nearby_connected   (FerrySessionNearby         *self,
                                                      const char                 *id,
                                                      FerrySessionRoom           *room);
/* The session shut down: stopped, and no more calls go to it. */
void               _ferry_session_nearby_detach      (FerrySessionNearby         *self);

/* Called by FerrySessionNearby for the GUI. */
gboolean           _ferry_session_start_nearby       (FerrySession               *self,
                                                      gboolean                    visible,
                                                      GError                    **error);
void               _ferry_session_stop_nearby        (FerrySession               *self);
void               _ferry_session_set_nearby_visible (FerrySession               *self,
                                                      gboolean                    visible);
void               _ferry_session_nearby_connect     (FerrySession               *self,
                                                      const char                 *id);

/* Called by FerrySessionPairing for the GUI. */
void               _ferry_session_add_pairing_reply  (FerrySession               *self,
                                                      FerrySessionPairing        *pairing,
                                                      const char                 *text);
void               _ferry_session_cancel_pairing     (FerrySession               *self,
                                                      FerrySessionPairing        *pairing);

/* Called by FerrySessionRoom for the GUI. */
void               _ferry_session_send_chat          (FerrySession               *self,
                                                      FerrySessionRoom           *room,
                                                      const char                 *text);
void               _ferry_session_leave              (FerrySession               *self,
                                                      FerrySessionRoom           *room);
/* @peer_id: %NULL for everyone in the room who takes files. */
void               _ferry_session_send_files         (FerrySession               *self,
                                                      FerrySessionRoom           *room,
                                                      const char                 *peer_id,
                                                      GFile * const              *files,
                                                      guint                       n_files);
void               _ferry_session_act_on_transfer    (FerrySession               *self,
                                                      FerrySessionTransfer       *transfer,
                                                      FerrySessionTransferAction  action,
                                                      const guint                *files,
                                                      guint                       n_files);

/* Writes @data to @file (making its folder) so that only the user can read it: for lists that
 * hold secrets or say whom the user trusts. */
gboolean           _ferry_session_save_private_file  (GFile                      *file,
                                                      const char                 *data,
                                                      gsize                       len,
                                                      GError                    **error);

G_END_DECLS
