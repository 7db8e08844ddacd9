/* ferry-tracker-message.h: WebTorrent tracker messages, parsed and built without I/O
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One WebSocket message is one JSON object (docs/INTEROP.md, "Tracker servers").  The parser takes
 * the raw text of a message from a text or a binary frame, checks every field it knows and refuses
 * the message with a GError when anything is malformed; the tracker is untrusted.  The 20-byte ids
 * are read from the raw text (ferry-bin20.h) because json-glib 1.6 cuts strings at \u0000;
 * everything else goes through json-glib.
 *
 * The builders write the three messages a P2PT peer sends, key for key and byte for byte as
 * JSON.stringify does in bittorrent-tracker's WebSocketTracker (docs/INTEROP.md, "Messages we
 * send").  The parser also reads those (and the tracker's relayed offers and answers), so that a
 * built message parses back to what it was built from.
 */
#pragma once

#include <glib.h>

#include "ferry-bin20.h"

G_BEGIN_DECLS

#define FERRY_TRACKER_MESSAGE_ERROR (ferry_tracker_message_error_quark ())

typedef enum {
  FERRY_TRACKER_MESSAGE_ERROR_SYNTAX,    /* not JSON, not UTF-8, or nested too deeply */
  FERRY_TRACKER_MESSAGE_ERROR_INVALID,   /* not an object, a member of the wrong type or form */
  FERRY_TRACKER_MESSAGE_ERROR_TOO_LARGE, /* the message or an SDP is over its limit */
} FerryTrackerMessageError;

/* The largest message we read: libsoup's default max-incoming-payload-size, twice the 64 KiB
 * that wt-tracker, openwebtorrent and aquatic accept, so that an SDP at its limit still fits once
 * escaped (docs/INTEROP.md, "Size limits and libsoup 3.2"). */
#define FERRY_TRACKER_MESSAGE_MAX_INCOMING (128 * 1024)
/* libtorrent's RTC_MAX_SDP_SIZE (docs/INTEROP.md, "Size limits and libsoup 3.2"). */
#define FERRY_TRACKER_MESSAGE_MAX_SDP (64 * 1024)

typedef enum {
  FERRY_TRACKER_ACTION_NONE,      /* no "action" (bittorrent-tracker's and aquatic's bare errors) */
  FERRY_TRACKER_ACTION_ANNOUNCE,
  FERRY_TRACKER_ACTION_SCRAPE,
  FERRY_TRACKER_ACTION_OTHER,
} FerryTrackerAction;

typedef struct {
  guint8  offer_id[FERRY_BIN20_LEN];
  char   *sdp;
} FerryTrackerMessageOffer;

/* Absent members: has_* FALSE, strings NULL, numbers -1.  JSON null counts as absent, as the
 * JavaScript client's truthiness and `!= null` tests make it. */
typedef struct {
  FerryTrackerAction  action;

  gboolean            has_info_hash;
  gboolean            has_peer_id;
  gboolean            has_offer_id;
  gboolean            has_to_peer_id;
  guint8              info_hash[FERRY_BIN20_LEN];  /* not read for scrape (it may be a list) */
  guint8              peer_id[FERRY_BIN20_LEN];
  guint8              offer_id[FERRY_BIN20_LEN];
  guint8              to_peer_id[FERRY_BIN20_LEN];

  char               *offer_sdp;      /* "offer": {"type":"offer","sdp":…} */
  char               *answer_sdp;     /* "answer": {"type":"answer","sdp":…} */
  GPtrArray          *offers;         /* "offers" of an announce, FerryTrackerMessageOffer; or NULL */

  /* Whole numbers ≥ 0, clamped to G_MAXINT32 (fractions are truncated). */
  gint64              interval;
  gint64              min_interval;
  gint64              complete;
  gint64              incomplete;
  gint64              numwant;

  char               *event;
  char               *failure_reason;
  char               *warning_message;
  char               *tracker_id;     /* "tracker id", sent by a tracker */
  char               *trackerid;      /* "trackerid", echoed by a client */
} FerryTrackerMessage;

GQuark               ferry_tracker_message_error_quark (void);

/* Parses one message of @len bytes (not NUL-terminated, may contain anything). */
FerryTrackerMessage *ferry_tracker_message_parse        (const char          *data,
                                                         gsize                len,
                                                         GError             **error);
void                 ferry_tracker_message_free         (FerryTrackerMessage *message);

/* {"numwant":N,"uploaded":0,"downloaded":0,"action":"announce","info_hash":…,"peer_id":…,
 *  ["trackerid":…,]"offers":[{"offer":{"type":"offer","sdp":…},"offer_id":…},…]}
 * with N = @n_offers (which may be 0).  Never an "event": wt-tracker and openwebtorrent close the
 * socket on "update" (docs/INTEROP.md, "Messages we send").  SDPs must be valid UTF-8. */
char                *ferry_tracker_message_build_announce (const guint8                    info_hash[FERRY_BIN20_LEN],
                                                           const guint8                    peer_id[FERRY_BIN20_LEN],
                                                           const char                     *trackerid,
                                                           const FerryTrackerMessageOffer *offers,
                                                           guint                           n_offers);
/* {"action":"announce","info_hash":…,"peer_id":…,"to_peer_id":…,
 *  "answer":{"type":"answer","sdp":…},"offer_id":…[,"trackerid":…]} */
char                *ferry_tracker_message_build_answer (const guint8  info_hash[FERRY_BIN20_LEN],
                                                         const guint8  peer_id[FERRY_BIN20_LEN],
                                                         const guint8  to_peer_id[FERRY_BIN20_LEN],
                                                         const guint8  offer_id[FERRY_BIN20_LEN],
                                                         const char   *sdp,
                                                         const char   *trackerid);
/* {"numwant":0,"uploaded":0,"downloaded":0,"event":"stopped","action":"announce","info_hash":…,
 *  "peer_id":…[,"trackerid":…]}: bittorrent-tracker's Client.stop() shape, without offers and
 * asking for no peers. */
char                *ferry_tracker_message_build_stopped (const guint8  info_hash[FERRY_BIN20_LEN],
                                                          const guint8  peer_id[FERRY_BIN20_LEN],
                                                          const char   *trackerid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryTrackerMessage, ferry_tracker_message_free)

G_END_DECLS
