/* ferry-ice-transport.h: ICE over libnice (full RFC 5245 mode, one component)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs on the thread-default GMainContext it was created on; every timer, resolver call and
 * libnice callback lives there.  Datagrams that arrive before a receiver is attached (a browser's
 * DTLS ClientHello may beat our CONNECTED event) are queued, not dropped.
 */
#pragma once

#include <glib-object.h>

#include "ferry-rtc-config.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_ICE_STATE_NEW,
  FERRY_ICE_STATE_CHECKING,
  FERRY_ICE_STATE_CONNECTED,
  FERRY_ICE_STATE_COMPLETED,
  FERRY_ICE_STATE_FAILED,
  FERRY_ICE_STATE_CLOSED,
} FerryIceState;

typedef void (*FerryIceReceiveFunc) (const guint8 *data,
                                     gsize         len,
                                     gpointer      user_data);

#define FERRY_TYPE_ICE_TRANSPORT (ferry_ice_transport_get_type ())
G_DECLARE_FINAL_TYPE (FerryIceTransport, ferry_ice_transport, FERRY, ICE_TRANSPORT, GObject)

FerryIceTransport *ferry_ice_transport_new            (FerryRtcConfig     *config,
                                                       gboolean            controlling);

/* Starts gathering (after resolving TURN host names).  Emits ::local-candidate for each
 * candidate and ::gathering-done when gathering ends or the configured ceiling passes. */
void               ferry_ice_transport_gather         (FerryIceTransport  *self);
gboolean           ferry_ice_transport_get_gathering_done (FerryIceTransport *self);
/* When the last datagram for us arrived (g_get_monotonic_time ()), or when the transport was
 * made.  libnice answers connectivity checks itself: those do not count. */
gint64             ferry_ice_transport_get_last_receive_time (FerryIceTransport *self);
/* The candidates gathered so far, as "candidate:…" strings (relay only under the relay policy). */
GPtrArray         *ferry_ice_transport_get_local_candidates (FerryIceTransport *self);
void               ferry_ice_transport_get_local_credentials (FerryIceTransport *self,
                                                              char            **ufrag,
                                                              char            **pwd);

/* Before gathering: credentials of our choosing instead of random ones (pairing codes). */
void               ferry_ice_transport_set_local_credentials (FerryIceTransport *self,
                                                              const char        *ufrag,
                                                              const char        *pwd);
void               ferry_ice_transport_set_controlling (FerryIceTransport *self,
                                                        gboolean           controlling);
void               ferry_ice_transport_set_remote_credentials (FerryIceTransport *self,
                                                               const char      *ufrag,
                                                               const char      *pwd);
/* Adds one "candidate:…" (with or without "a=").  <uuid>.local names are resolved with a short
 * timeout and otherwise dropped quietly.  Returns %FALSE only for a malformed candidate. */
gboolean           ferry_ice_transport_add_remote_candidate (FerryIceTransport *self,
                                                             const char      *candidate,
                                                             GError         **error);
/* No more remote candidates will come (non-trickle, or end-of-candidates). */
void               ferry_ice_transport_remote_gathering_done (FerryIceTransport *self);

FerryIceState      ferry_ice_transport_get_state      (FerryIceTransport  *self);
gboolean           ferry_ice_transport_send           (FerryIceTransport  *self,
                                                       const guint8       *data,
                                                       gsize               len);
void               ferry_ice_transport_set_receive_func (FerryIceTransport *self,
                                                         FerryIceReceiveFunc func,
                                                         gpointer          user_data);
/* "host 10.0.0.1:5000 -> prflx 10.0.0.2:6000", or %NULL before a pair is selected. */
char              *ferry_ice_transport_describe_selected_pair (FerryIceTransport *self);
/* The MTU of the kernel's route to the remote address when the selected pair is direct UDP to
 * one of our own addresses or to one on the local address's link (in its prefix); 0 otherwise. */
guint              ferry_ice_transport_get_link_mtu   (FerryIceTransport  *self);
/* Whether the kernel joins datagrams of the selected pair into one buffer (UDP GRO, only when
 * the remote address is one of our own). */
gboolean           ferry_ice_transport_get_receive_offload (FerryIceTransport *self);
/* Candidate types of the selected pair ("host", "srflx", "prflx", "relay"), or %NULL. */
const char        *ferry_ice_transport_get_local_candidate_type  (FerryIceTransport *self);
const char        *ferry_ice_transport_get_remote_candidate_type (FerryIceTransport *self);
void               ferry_ice_transport_close          (FerryIceTransport  *self);

G_END_DECLS
