/* ferry-pairing-code.h: compact pairing codes, what two peers need to connect without a server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A pairing code carries what an SDP offer would, in about a tenth of its length: the DTLS
 * role, the UDP candidates, an expiry and a fresh secret from which both sides derive their ICE
 * credentials and the key of the hello's MAC.  No certificate fingerprint: each side proves its
 * certificate with that MAC in its hello, as in a secret room, so a code is also shorter.  Whoever reads
 * the code can start connectivity checks at once; the code's owner learns the reader's address
 * from them.  A reply code goes the other way when that is not enough; it carries no secret but
 * a tag that only someone who read the code can make.  The format is in docs/PAIRING.md; the
 * text is base64url, and a link `ferry://pair?v=1#CODE` carries it in its fragment.
 *
 * Everything parsed is hostile input: a mistyped code fails its checksum, and every other
 * problem has a message for the user.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_PAIRING_SECRET_LEN 16
#define FERRY_PAIRING_TAG_LEN 16
#define FERRY_PAIRING_MAX_CANDIDATES 8
/* How long a code is good for unless told otherwise. */
#define FERRY_PAIRING_DEFAULT_LIFETIME_S (10 * 60)
#define FERRY_PAIRING_LINK_PREFIX "ferry://pair?v=1#"

#define FERRY_PAIRING_CODE_ERROR (ferry_pairing_code_error_quark ())

typedef enum {
  FERRY_PAIRING_CODE_ERROR_INVALID,    /* not a code: wrong characters, too short or too long */
  FERRY_PAIRING_CODE_ERROR_CHECKSUM,   /* a character is wrong: mistyped or cut */
  FERRY_PAIRING_CODE_ERROR_VERSION,    /* from a newer Ferry */
  FERRY_PAIRING_CODE_ERROR_EXPIRED,
  FERRY_PAIRING_CODE_ERROR_NOT_FOR_US, /* a reply where a code was expected, or the other way */
  FERRY_PAIRING_CODE_ERROR_FORGED,     /* a reply not made by someone who read our code */
  FERRY_PAIRING_CODE_ERROR_USED,       /* the code connected someone already */
} FerryPairingCodeError;

typedef enum {
  FERRY_PAIRING_CANDIDATE_HOST,
  FERRY_PAIRING_CANDIDATE_SRFLX,
  FERRY_PAIRING_CANDIDATE_PRFLX,
  FERRY_PAIRING_CANDIDATE_RELAY,
} FerryPairingCandidateType;

typedef struct {
  FerryPairingCandidateType  type;
  GInetAddress              *address;
  guint16                    port;
} FerryPairingCandidate;

typedef struct {
  gboolean  reply;
  gboolean  dtls_client;   /* the sender of the code takes the DTLS client role */
  gint64    expires;       /* seconds since 1970 */
  guint8    secret[FERRY_PAIRING_SECRET_LEN];   /* a code's; zero in a reply */
  guint8    tag[FERRY_PAIRING_TAG_LEN];         /* a reply's; zero in a code */
  GArray   *candidates;    /* FerryPairingCandidate */
} FerryPairingCode;

/* What both sides derive from a code's secret: the ICE credentials of the code's owner and of
 * its reader (ice-chars only: letters, digits, "+" and "/"), and the key of the hello's MAC. */
typedef struct {
  char   owner_ufrag[9];
  char   owner_pwd[25];
  char   reader_ufrag[9];
  char   reader_pwd[25];
  guint8 auth_key[32];
} FerryPairingKeys;

GQuark            ferry_pairing_code_error_quark  (void);

/* A new code (with a fresh secret, expiring @lifetime_s seconds from now), or a reply. */
FerryPairingCode *ferry_pairing_code_new          (gboolean                   reply,
                                                   guint                      lifetime_s);
void              ferry_pairing_code_free         (FerryPairingCode          *code);
/* Adds a "candidate:…" line of an SDP (or its a= form).  Only UDP candidates fit; the others,
 * and more than FERRY_PAIRING_MAX_CANDIDATES, are refused with an error. */
gboolean          ferry_pairing_code_add_candidate (FerryPairingCode         *code,
                                                   const char                *candidate,
                                                   GError                   **error);
/* Candidate @index as an SDP candidate line ("candidate:…"). */
char             *ferry_pairing_code_get_candidate_sdp (const FerryPairingCode *code,
                                                       guint                   index);
/* A reply is tagged with the secret of the code it answers before it is written out. */
void              ferry_pairing_code_sign_reply   (FerryPairingCode          *reply,
                                                   const guint8               secret[FERRY_PAIRING_SECRET_LEN]);
/* The code as base64url text, and as a link. */
char             *ferry_pairing_code_to_string    (const FerryPairingCode    *code);
char             *ferry_pairing_code_to_link      (const FerryPairingCode    *code);
/* Whether @text looks like a pairing link (the prefix, in any letter case). */
gboolean          ferry_pairing_code_is_link      (const char                *text);
/* Reads a code or reply given as its link or as the bare text (white space anywhere is
 * ignored, for codes typed from another screen), checked against the clock @now (seconds since
 * 1970). */
FerryPairingCode *ferry_pairing_code_parse        (const char                *text,
                                                   gint64                     now,
                                                   GError                   **error);
/* Whether @reply answers the code whose secret is @secret. */
gboolean          ferry_pairing_code_verify_reply (const FerryPairingCode    *reply,
                                                   const guint8               secret[FERRY_PAIRING_SECRET_LEN],
                                                   GError                   **error);
void              ferry_pairing_derive_keys       (const guint8               secret[FERRY_PAIRING_SECRET_LEN],
                                                   FerryPairingKeys          *keys);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryPairingCode, ferry_pairing_code_free)

G_END_DECLS
