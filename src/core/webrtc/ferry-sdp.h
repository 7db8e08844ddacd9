/* ferry-sdp.h: session descriptions for a data-channel-only WebRTC session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One m=application section carrying "UDP/DTLS/SCTP webrtc-datachannel" (or the legacy
 * "DTLS/SCTP <port>" + a=sctpmap form), BUNDLE, ICE credentials and candidates, DTLS fingerprint
 * and setup role, SCTP port and max-message-size (docs/INTEROP.md, "Session descriptions").
 * Other m= sections are kept only so that an answer can reject them with port 0.  Unknown lines
 * are ignored.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_SDP_ERROR (ferry_sdp_error_quark ())

typedef enum {
  FERRY_SDP_ERROR_MALFORMED,     /* a line that cannot be parsed; the message names it */
  FERRY_SDP_ERROR_MISSING,       /* a required part is absent: ICE credentials, SHA-256 fingerprint */
  FERRY_SDP_ERROR_UNSUPPORTED,   /* e.g. no data channel section, an unknown setup role */
} FerrySdpError;

typedef enum {
  FERRY_SDP_TYPE_OFFER,
  FERRY_SDP_TYPE_ANSWER,
} FerrySdpType;

typedef enum {
  FERRY_SDP_SETUP_NONE,
  FERRY_SDP_SETUP_ACTPASS,
  FERRY_SDP_SETUP_ACTIVE,
  FERRY_SDP_SETUP_PASSIVE,
} FerrySdpSetup;

#define FERRY_SDP_MAX_LENGTH (64 * 1024)
#define FERRY_SDP_MAX_CANDIDATES 64
#define FERRY_SDP_DEFAULT_SCTP_PORT 5000
/* What a peer that does not advertise a=max-message-size can receive (W3C default). */
#define FERRY_SDP_DEFAULT_MAX_MESSAGE_SIZE 65536

typedef struct {
  char *algorithm;  /* lower case, e.g. "sha-256" */
  char *value;      /* upper-case hex bytes separated by ':' */
} FerrySdpFingerprint;

/* An m= section other than the data channel, answered with port 0. */
typedef struct {
  char *media;
  char *proto;
  char *formats;
  char *mid;
} FerrySdpMedia;

typedef struct {
  guint64        session_id;
  guint64        session_version;

  char          *ice_ufrag;
  char          *ice_pwd;
  gboolean       ice_lite;
  gboolean       ice_trickle;
  GPtrArray     *fingerprints;     /* FerrySdpFingerprint */
  FerrySdpSetup  setup;

  char          *mid;
  gboolean       bundle;           /* the data section is in an a=group:BUNDLE */
  gboolean       legacy;           /* DTLS/SCTP + a=sctpmap */
  guint16        sctp_port;
  gboolean       has_max_message_size;
  guint64        max_message_size; /* 0 means no limit */
  gboolean       large_packets;    /* a=x-ferry-large-packets: a Ferry peer that takes SCTP
                                    * packets up to 16384 bytes on a pair within one link */

  GPtrArray     *candidates;       /* "candidate:…" strings, without "a=" */
  gboolean       end_of_candidates;

  guint          data_index;       /* position of the data section among all m= sections */
  GPtrArray     *rejected_media;   /* FerrySdpMedia, in order, around data_index */
} FerrySdp;

#define FERRY_TYPE_SDP (ferry_sdp_get_type ())

GType      ferry_sdp_get_type               (void) G_GNUC_CONST;
GQuark     ferry_sdp_error_quark            (void);

FerrySdp  *ferry_sdp_new                    (void);
FerrySdp  *ferry_sdp_copy                   (const FerrySdp  *sdp);
void       ferry_sdp_free                   (FerrySdp        *sdp);

FerrySdp  *ferry_sdp_parse                  (const char      *text,
                                             gssize           len,
                                             GError         **error);
char      *ferry_sdp_to_string              (const FerrySdp  *sdp);

void       ferry_sdp_add_fingerprint        (FerrySdp        *sdp,
                                             const char      *algorithm,
                                             const char      *value);
/* The first fingerprint of @algorithm, or %NULL. */
const char *ferry_sdp_get_fingerprint       (const FerrySdp  *sdp,
                                             const char      *algorithm);
/* What the remote can receive: a=max-message-size, 65536 when absent, G_MAXUINT64 for 0. */
guint64    ferry_sdp_get_remote_max_message_size (const FerrySdp *sdp);

const char *ferry_sdp_type_to_string        (FerrySdpType     type);
gboolean    ferry_sdp_type_from_string      (const char      *text,
                                             FerrySdpType    *type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerrySdp, ferry_sdp_free)

G_END_DECLS
