/* ferry-nearby-announcement.h: the packets Ferry devices on one network announce themselves with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A visible device sends a small JSON object by UDP to a multicast group of the local network
 * (docs/PAIRING.md, "Nearby devices"): who it is (a display name, the SHA-256 fingerprint of its
 * certificate, a random id for this run) and an open pairing code that anyone who sees it may
 * read to connect.  "bye" says it is no longer visible; "ask" asks the others to announce
 * themselves at once.  Every packet is hostile input: anything malformed, oversized or out of
 * range is refused with a message.
 */
#pragma once

#include <glib.h>

#include "ferry-pairing-code.h"

G_BEGIN_DECLS

/* IPv4 multicast, administratively scoped (RFC 2365), sent with a TTL of 1. */
#define FERRY_NEARBY_GROUP "239.255.70.82"
#define FERRY_NEARBY_PORT 53270
/* Larger packets are refused unread. */
#define FERRY_NEARBY_MAX_PACKET 1024
#define FERRY_NEARBY_ID_LEN 8
#define FERRY_NEARBY_MAX_NAME 64

#define FERRY_NEARBY_ERROR (ferry_nearby_error_quark ())

typedef enum {
  FERRY_NEARBY_ERROR_INVALID,  /* not an announcement, or a field out of range */
  FERRY_NEARBY_ERROR_VERSION,  /* from a newer Ferry */
} FerryNearbyError;

typedef enum {
  FERRY_NEARBY_HERE,
  FERRY_NEARBY_BYE,
} FerryNearbyType;

typedef struct {
  FerryNearbyType   type;
  guint8            id[FERRY_NEARBY_ID_LEN];
  gboolean          ask;             /* "here": answer with your own at once */
  char             *name;            /* "here": sanitized, at most FERRY_NEARBY_MAX_NAME bytes */
  guint8            fingerprint[32]; /* "here" */
  FerryPairingCode *code;            /* "here": an open code, not a reply, not expired */
} FerryNearbyAnnouncement;

GQuark                   ferry_nearby_error_quark        (void);
void                     ferry_nearby_announcement_free  (FerryNearbyAnnouncement  *announcement);
/* @now: seconds since 1970, for the code's expiry. */
FerryNearbyAnnouncement *ferry_nearby_announcement_parse (const guint8             *data,
                                                          gsize                     len,
                                                          gint64                    now,
                                                          GError                  **error);
GBytes                  *ferry_nearby_announcement_to_bytes (const FerryNearbyAnnouncement *announcement);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryNearbyAnnouncement, ferry_nearby_announcement_free)

G_END_DECLS
