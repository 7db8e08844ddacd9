/* ferry-peer.h: another member of a room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A peer is known by its tracker peer id; every WebRTC connection to it (through several trackers,
 * or both sides offering at once) belongs to the same FerryPeer, and duplicates are closed by a
 * rule both sides compute alike.  A Ferry peer sends a hello first (docs/PROTOCOL.md); in a secret
 * room its MAC must verify before anything else it sends is accepted, and a mismatch closes the
 * connection because it may be intercepted.  A peer that sends no hello is a plain P2PT peer: its
 * string messages are chat, and it gets chat as plain strings.
 */
#pragma once

#include <glib-object.h>

#include "ferry-data-channel.h"
#include "ferry-identity.h"
#include "ferry-peer-connection.h"
#include "ferry-peer-message.h"
#include "ferry-webdrop.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_PEER_KIND_UNKNOWN,  /* nothing received yet */
  FERRY_PEER_KIND_FERRY,    /* sent a Ferry hello */
  FERRY_PEER_KIND_P2PT,     /* a plain P2PT peer (e.g. a browser app) */
  FERRY_PEER_KIND_WEBDROP,  /* the WebDrop app, in a WebDrop room: it sent "init" */
} FerryPeerKind;

/* The candidate types of an ICE pair (RFC 8445 5.1.1.1); the nicks are the SDP names ("host",
 * "srflx", "prflx", "relay").  NONE: no connection is up, so there is no selected pair. */
typedef enum {
  FERRY_ICE_CANDIDATE_TYPE_NONE,
  FERRY_ICE_CANDIDATE_TYPE_HOST,
  FERRY_ICE_CANDIDATE_TYPE_SRFLX,
  FERRY_ICE_CANDIDATE_TYPE_PRFLX,
  FERRY_ICE_CANDIDATE_TYPE_RELAY,
} FerryIceCandidateType;

#define FERRY_PEER_ERROR (ferry_peer_error_quark ())

typedef enum {
  FERRY_PEER_ERROR_AUTHENTICATION,  /* the hello MAC did not verify: possibly intercepted */
  FERRY_PEER_ERROR_PROTOCOL,        /* malformed or unexpected messages */
  FERRY_PEER_ERROR_NOT_CONNECTED,
} FerryPeerError;

#define FERRY_TYPE_PEER (ferry_peer_get_type ())
G_DECLARE_FINAL_TYPE (FerryPeer, ferry_peer, FERRY, PEER, GObject)

/* The label of every channel a transfer opens starts with this; the transfer id follows. */
#define FERRY_PEER_TRANSFER_CHANNEL_PREFIX "ferry-transfer/"

/* Properties: id, display-name, kind, verified, connected, local-candidate-type and
 * remote-candidate-type (FerryIceCandidateType, of the selected ICE pair of the connection the
 * peer is reached by; notified when that pair or that connection changes).
 * Signals:
 *   ::message (text)            a chat message
 *   ::chat-message (text, id, time)  the same chat message with its id (%NULL when it has none)
 *                               and time (ms since 1970, or FERRY_PEER_MESSAGE_NO_TIME), emitted
 *                               just before ::message; repeats are not filtered (FerryRoom does)
 *   ::peer-message (FerryPeerMessage *)  any other message of a Ferry peer (transfers)
 *   ::history-message (author, text, time)  in a WebDrop room, a message of the room's past
 *                               that the peer kept (answering our getMsgs): its author's name as
 *                               the peer says, and its time as text (may be %NULL)
 *   ::webdrop-message (FerryWebdropMessage *)  in a WebDrop room, a control message other than
 *                               init and msg (getMsgs, getShares, ping, newShare, startSending),
 *                               or the signalling of a file's own connection (file signal)
 *   ::data-channel (FerryDataChannel)   the peer opened a channel labelled
 *                               FERRY_PEER_TRANSFER_CHANNEL_PREFIX… on an accepted connection;
 *                               a handler takes a reference, else it is dropped (and closes)
 *   ::error (GError)            a connection was refused or broke (e.g. authentication failed)
 *   ::closed ()                 no connection is left */
GQuark        ferry_peer_error_quark            (void);

/* A peer met without a room (a pairing code): on @pc, with its @channel (%NULL when the peer
 * opens it), proving its certificate by a hello whose MAC verifies with @auth_key
 * (FERRY_AUTH_KEY_LEN bytes), exactly as in a secret room; with no @auth_key (a code everyone
 * nearby saw) nothing is proven, as in a public room: users compare verification codes. */
FerryPeer    *ferry_peer_new_direct             (FerryPeerConnection *pc,
                                                 FerryDataChannel    *channel,
                                                 gboolean             we_offered,
                                                 FerryIdentity       *identity,
                                                 const guint8        *auth_key,
                                                 const char          *local_name);

/* The tracker peer id, in hex. */
const char   *ferry_peer_get_id                 (FerryPeer   *self);
/* From the peer's hello, or a name made from its id. */
const char   *ferry_peer_get_display_name       (FerryPeer   *self);
FerryPeerKind ferry_peer_get_kind               (FerryPeer   *self);
/* TRUE once the peer proved, in a secret room, that it holds the room link. */
gboolean      ferry_peer_get_verified           (FerryPeer   *self);
gboolean      ferry_peer_get_connected          (FerryPeer   *self);
/* For people to compare out of band; %NULL until connected. */
char         *ferry_peer_get_verification_code  (FerryPeer   *self);
guint         ferry_peer_get_n_connections      (FerryPeer   *self);
/* The candidate types of the selected ICE pair of the connection the peer is reached by (the one
 * chat goes over).  %FALSE, and both NONE, when no connection is up.  Either may be %NULL. */
gboolean      ferry_peer_get_selected_candidate_types (FerryPeer             *self,
                                                       FerryIceCandidateType *local,
                                                       FerryIceCandidateType *remote);
/* The round-trip time of the connection in use, in milliseconds, or -1 while unknown. */
int           ferry_peer_get_rtt_ms                 (FerryPeer             *self);

/* A Ferry peer gets {"type":"chat",…}, a plain P2PT peer the string, any other peer of a WebDrop
 * room WebDrop's {"type":"msg","msg","time"}.  @text must be UTF-8 (else
 * FERRY_PEER_ERROR_PROTOCOL); "" sends nothing. */
gboolean      ferry_peer_send_chat              (FerryPeer   *self,
                                                 const char  *text,
                                                 GError     **error);

/* Chat with delivery marks (docs/PROTOCOL.md): a Ferry peer whose hello lists "chat-ack" gets
 * {"type":"chat","id","time","text"}, another Ferry peer {"type":"chat","text"}, a plain P2PT
 * peer (or one whose hello has not arrived yet) the string only, or WebDrop's "msg" in a WebDrop
 * room.  @id: %NULL or
 * FERRY_PEER_MESSAGE_ID_LENGTH base64url characters; @time: ms since 1970 or
 * FERRY_PEER_MESSAGE_NO_TIME.  Otherwise as ferry_peer_send_chat (). */
gboolean      ferry_peer_send_chat_full         (FerryPeer   *self,
                                                 const char  *text,
                                                 const char  *id,
                                                 gint64       time,
                                                 GError     **error);

/* Whether the peer's hello listed @capability ("chat-ack", "files"); FALSE for P2PT peers. */
gboolean      ferry_peer_has_capability         (FerryPeer   *self,
                                                 const char  *capability);
/* The SHA-256 of the certificate the peer presented, FERRY_SHA256_LEN bytes; it stays the same
 * across rooms and restarts.  %NULL when not connected. */
const guint8 *ferry_peer_get_fingerprint        (FerryPeer   *self);
/* To a Ferry peer only (else FERRY_PEER_ERROR_NOT_CONNECTED). */
gboolean      ferry_peer_send_message           (FerryPeer               *self,
                                                 const FerryPeerMessage  *message,
                                                 GError                 **error);
/* A WebDrop control message to a peer that is not a Ferry peer, in a WebDrop room (else
 * FERRY_PEER_ERROR_NOT_CONNECTED). */
gboolean      ferry_peer_send_webdrop           (FerryPeer                  *self,
                                                 const FerryWebdropMessage  *message,
                                                 GError                    **error);
/* A new ordered, reliable channel on the connection the peer is reached by; @label must start
 * with FERRY_PEER_TRANSFER_CHANNEL_PREFIX. */
FerryDataChannel *ferry_peer_open_data_channel  (FerryPeer   *self,
                                                 const char  *label,
                                                 GError     **error);

G_END_DECLS
