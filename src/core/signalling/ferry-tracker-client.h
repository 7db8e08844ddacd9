/* ferry-tracker-client.h: one WebTorrent tracker (WebSocket) for one swarm
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Speaks the bittorrent-tracker WebSocket protocol as P2PT does (see docs/INTEROP.md, "Tracker
 * servers"): announces carry numwant and up to 5 complete (non-trickle) SDP offers, never
 * "event":"update"; relayed offers come out as ::offer and are answered with send_answer () on
 * the same socket; answers are matched to our offers by offer_id; unanswered offers expire.  It
 * re-announces on the server's interval, pings the socket and declares it dead when nothing comes
 * back, reconnects with exponential back-off and jitter, and sends "event":"stopped" on stop ().
 * Everything the tracker sends is untrusted: malformed messages become ::warning, never a crash.
 *
 * The client does not create peer connections: the owner (FerryRoom) makes offers when asked
 * through ::announce-needed, and gets each offer's object back with ::answer or ::offer-expired.
 *
 * It runs on the thread-default GMainContext of ferry_tracker_client_new (), which must be the
 * thread-default context whenever it is iterated (libsoup starts I/O on the thread-default
 * context from its own callbacks).
 */
#pragma once

#include <glib-object.h>

#include "ferry-bin20.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_TRACKER_STATE_DISCONNECTED,  /* not started, or stopped */
  FERRY_TRACKER_STATE_CONNECTING,
  FERRY_TRACKER_STATE_CONNECTED,
  FERRY_TRACKER_STATE_FAILED,        /* see failure-reason; a reconnect is scheduled */
} FerryTrackerState;

/* Largest WebSocket message we send: aquatic's frame limit, and libsoup 3.2 does not fragment. */
#define FERRY_TRACKER_MAX_MESSAGE 16384
#define FERRY_TRACKER_MAX_OFFERS 5

typedef struct {
  guint8   offer_id[FERRY_BIN20_LEN];
  char    *sdp;
  GObject *object;   /* handed back by ::answer or ::offer-expired (e.g. the peer connection) */
} FerryTrackerOffer;

#define FERRY_TYPE_TRACKER_CLIENT (ferry_tracker_client_get_type ())
G_DECLARE_FINAL_TYPE (FerryTrackerClient, ferry_tracker_client, FERRY, TRACKER_CLIENT, GObject)

/* Properties:
 *   url                string   ws:// or wss:// (construct-only)
 *   state              FerryTrackerState (int, read-only)
 *   failure-reason     string   why the last connection failed or the tracker refused us
 *   interval           guint    re-announce interval in s, from the tracker (default 120)
 *   swarm-size         guint    complete + incomplete from the last announce response
 * Timers, shortened by tests (all in ms):
 *   offer-timeout      guint    default 50000
 *   reconnect-min      guint    first back-off, default 2000 (doubles, ±50 % jitter)
 *   reconnect-max      guint    back-off ceiling, default 300000
 *   ping-interval      guint    WebSocket ping period, default 30000; no message or pong within
 *                               two periods means the connection is dead (libsoup pings in whole
 *                               seconds: the period is rounded up, plus 1 s of slack); 0: off
 *   max-interval       guint    ceiling on the tracker's interval, default 170000 (aquatic drops
 *                               peers silent for 180 s)
 *   min-interval       guint    floor on the tracker's interval, default 10000: every announce
 *                               costs the owner up to 5 fresh peer connections, so a broken or
 *                               hostile tracker must not make us announce every second
 *
 * Back-off: the n-th consecutive failed attempt waits reconnect-min × 2ⁿ, capped at reconnect-max,
 * times a random factor in [0.5, 1.5).  The count restarts once the tracker has sent anything
 * (a message or a pong) on a connection, so that a server that accepts and drops every
 * connection is not hammered every reconnect-min.  A url that is not ws:// or wss:// fails in
 * start () (FAILED, failure-reason set) and is not retried.
 *
 * Signals:
 *   ::announce-needed ()                       connected, interval elapsed, or request_announce ()
 *   ::offer (peer_id_hex, offer_id GBytes, sdp) a peer's offer relayed to us; answer it with
 *                                               send_answer ()
 *   ::answer (peer_id_hex, object, sdp)         an answer to one of our offers
 *   ::offer-expired (object)                    an offer nobody answered in time (or dropped
 *                                               when the socket closed)
 *   ::warning (message)                         "warning message", "failure reason", bad input
 */
FerryTrackerClient *ferry_tracker_client_new        (const char          *url,
                                                     const guint8         info_hash[FERRY_BIN20_LEN],
                                                     const guint8         peer_id[FERRY_BIN20_LEN]);
void                ferry_tracker_client_start      (FerryTrackerClient  *self);
/* Sends "event":"stopped" when connected, closes, and drops pending offers (::offer-expired). */
void                ferry_tracker_client_stop       (FerryTrackerClient  *self);
/* Asks for an ::announce-needed as soon as connected (e.g. a peer connection just failed). */
void                ferry_tracker_client_request_announce (FerryTrackerClient *self);

/* Announces with as many of @offers (element-type FerryTrackerOffer) as fit in 16 KiB and
 * FERRY_TRACKER_MAX_OFFERS, in order, with numwant = that number.  Returns how many were sent.
 * The client copies what it needs and takes its own reference on each sent offer's object until
 * it is answered or expires; the caller keeps ownership of @offers.  Returns 0 when not
 * connected.  With no offers (NULL, empty, or none fitting) it still announces, with numwant 0,
 * so that the tracker keeps us in the swarm and relays other peers' offers to us. */
guint               ferry_tracker_client_announce   (FerryTrackerClient  *self,
                                                     GPtrArray           *offers);
gboolean            ferry_tracker_client_send_answer (FerryTrackerClient *self,
                                                      const guint8        to_peer_id[FERRY_BIN20_LEN],
                                                      GBytes             *offer_id,
                                                      const char         *sdp);

FerryTrackerState   ferry_tracker_client_get_state  (FerryTrackerClient  *self);
const char         *ferry_tracker_client_get_url    (FerryTrackerClient  *self);
const char         *ferry_tracker_client_get_failure_reason (FerryTrackerClient *self);

FerryTrackerOffer  *ferry_tracker_offer_new         (const char          *sdp,
                                                     GObject             *object);
void                ferry_tracker_offer_free        (FerryTrackerOffer   *offer);

G_END_DECLS
