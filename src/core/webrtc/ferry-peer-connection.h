/* ferry-peer-connection.h: a WebRTC peer connection for data channels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ICE (libnice) → DTLS 1.2 (GnuTLS) → SCTP (usrsctp) → data channels (DCEP), interoperable with
 * Chromium, Firefox and libwebrtc.  Everything runs on the thread-default GMainContext the
 * connection was created on; no call blocks it.  Signals are emitted on that context, never from
 * inside libnice, GnuTLS or usrsctp.
 *
 * Non-trickle by default: create_offer/create_answer finish once candidate gathering is done (or
 * a few seconds have passed) and return a complete description, as WebTorrent trackers need.
 * With the configuration's trickle flag they finish at once and candidates follow through
 * ::local-candidate.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-data-channel.h"
#include "ferry-dtls-transport.h"
#include "ferry-ice-transport.h"
#include "ferry-rtc-config.h"
#include "ferry-sctp-transport.h"
#include "ferry-sdp.h"

G_BEGIN_DECLS

/* As in every state enum of the transports, the terminal states come last, FAILED before
 * CLOSED: "state >= FAILED" means the connection is over. */
typedef enum {
  FERRY_PEER_CONNECTION_NEW,
  FERRY_PEER_CONNECTION_CONNECTING,
  FERRY_PEER_CONNECTION_CONNECTED,
  FERRY_PEER_CONNECTION_FAILED,
  FERRY_PEER_CONNECTION_CLOSED,
} FerryPeerConnectionState;

#define FERRY_PEER_CONNECTION_ERROR (ferry_peer_connection_error_quark ())

typedef enum {
  FERRY_PEER_CONNECTION_ERROR_INVALID_STATE,
  FERRY_PEER_CONNECTION_ERROR_ICE_FAILED,
  FERRY_PEER_CONNECTION_ERROR_SCTP_FAILED,
  FERRY_PEER_CONNECTION_ERROR_PEER_GONE,
  FERRY_PEER_CONNECTION_ERROR_CONFIGURATION,
  FERRY_PEER_CONNECTION_ERROR_TOO_MANY_CHANNELS,
  FERRY_PEER_CONNECTION_ERROR_INVALID_ARGUMENT,   /* the caller passed something unusable */
} FerryPeerConnectionError;

#define FERRY_TYPE_PEER_CONNECTION (ferry_peer_connection_get_type ())
G_DECLARE_FINAL_TYPE (FerryPeerConnection, ferry_peer_connection, FERRY, PEER_CONNECTION, GObject)

GQuark               ferry_peer_connection_error_quark       (void);

/* Fails for an unusable configuration (e.g. relay-only without a TURN server). */
FerryPeerConnection *ferry_peer_connection_new               (FerryRtcConfig       *config,
                                                              GError              **error);

void                 ferry_peer_connection_create_offer      (FerryPeerConnection  *self,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
char                *ferry_peer_connection_create_offer_finish (FerryPeerConnection *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);
/* After the remote offer has been set. */
void                 ferry_peer_connection_create_answer     (FerryPeerConnection  *self,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
char                *ferry_peer_connection_create_answer_finish (FerryPeerConnection *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);
gboolean             ferry_peer_connection_set_remote_description (FerryPeerConnection *self,
                                                                   FerrySdpType         type,
                                                                   const char          *sdp,
                                                                   GError             **error);
/* A trickled "candidate:…"; %NULL or "" means the peer's end of candidates. */
gboolean             ferry_peer_connection_add_remote_candidate (FerryPeerConnection *self,
                                                                 const char          *candidate,
                                                                 GError             **error);

/* Pairing codes (docs/PAIRING.md): no descriptions travel.  First gather with ICE credentials
 * derived from the code (and the ICE role: the code's reader controls); the result is our
 * "candidate:…" lines.  Then start with the peer's credentials, its candidates (none for the
 * code's owner, who learns the reader's address from its checks; more may be added, and ICE
 * does not give up for lack of them: the configuration's ICE timeout bounds the wait) and our
 * DTLS role.  The peer's certificate is then accepted as it is: get_remote_fingerprint () gives
 * it once DTLS is up, and the caller proves it (the hello's MAC). */
void                 ferry_peer_connection_gather_paired     (FerryPeerConnection  *self,
                                                              const char           *ufrag,
                                                              const char           *pwd,
                                                              gboolean              controlling,
                                                              GCancellable         *cancellable,
                                                              GAsyncReadyCallback   callback,
                                                              gpointer              user_data);
GPtrArray           *ferry_peer_connection_gather_paired_finish (FerryPeerConnection *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);
gboolean             ferry_peer_connection_start_paired      (FerryPeerConnection  *self,
                                                              const char           *remote_ufrag,
                                                              const char           *remote_pwd,
                                                              const char * const   *candidates,
                                                              gboolean              dtls_client,
                                                              GError              **error);
/* Opens a channel; before the connection is up it opens as soon as SCTP is.
 * @init may be %NULL for an ordered, reliable channel. */
FerryDataChannel    *ferry_peer_connection_create_data_channel (FerryPeerConnection        *self,
                                                                const char                 *label,
                                                                const FerryDataChannelInit *init,
                                                                GError                    **error);

void                 ferry_peer_connection_close             (FerryPeerConnection  *self);

FerryPeerConnectionState ferry_peer_connection_get_state     (FerryPeerConnection  *self);
/* Why the connection failed, or %NULL. */
const GError        *ferry_peer_connection_get_error         (FerryPeerConnection  *self);
/* Diagnostics: the transports' states (CLOSED before they exist or after they are gone). */
FerryIceState        ferry_peer_connection_get_ice_state     (FerryPeerConnection  *self);
FerryDtlsState       ferry_peer_connection_get_dtls_state    (FerryPeerConnection  *self);
FerrySctpState       ferry_peer_connection_get_sctp_state    (FerryPeerConnection  *self);
/* "host 10.0.0.1:5000 -> prflx 10.0.0.2:6000", or %NULL. */
char                *ferry_peer_connection_describe_selected_pair (FerryPeerConnection *self);
const char          *ferry_peer_connection_get_local_candidate_type  (FerryPeerConnection *self);
const char          *ferry_peer_connection_get_remote_candidate_type (FerryPeerConnection *self);
/* "AES-128-GCM", once DTLS is up. */
const char          *ferry_peer_connection_get_dtls_cipher   (FerryPeerConnection  *self);
/* TRUE when we are the DTLS client (even stream ids). */
gboolean             ferry_peer_connection_is_dtls_client    (FerryPeerConnection  *self);
const guint8        *ferry_peer_connection_get_local_fingerprint  (FerryPeerConnection *self);
/* SHA-256 of the peer's verified certificate, once DTLS is up. */
const guint8        *ferry_peer_connection_get_remote_fingerprint (FerryPeerConnection *self);
/* The largest message the peer accepts, once connected. */
guint64              ferry_peer_connection_get_max_message_size (FerryPeerConnection *self);
/* The round-trip time in milliseconds once connected, else -1. */
int                  ferry_peer_connection_get_rtt_ms (FerryPeerConnection *self);
/* The largest SCTP packet once connected (docs/INTEROP.md, "Packet sizes"), else 0. */
guint                ferry_peer_connection_get_max_packet (FerryPeerConnection *self);
/* Whether datagrams from the peer arrive several to a buffer (docs/INTEROP.md, "Receive
 * offload"). */
gboolean             ferry_peer_connection_get_receive_offload (FerryPeerConnection *self);

G_END_DECLS
