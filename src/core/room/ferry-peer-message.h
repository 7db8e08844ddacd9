/* ferry-peer-message.h: the messages Ferry peers exchange after the hello (docs/PROTOCOL.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each one is a JSON object sent with "o":1 in the P2PT envelope, told apart by its "type":
 *
 *   {"type":"chat","text":"Hello!"}
 *   {"type":"chat","id":"q3MxkTz0Rr2mJ7y6o1nWeA","time":1733330000123,"text":"Hello!"}
 *   {"type":"chat-ack","id":"q3MxkTz0Rr2mJ7y6o1nWeA"}
 *   {"type":"offer","transfer":"Zk1hH3QwR2u8lVbq9sD2xw",
 *    "files":[{"path":"a/b.txt","size":3,"mtime":1733000000}],"folders":["a"],"total":3}
 *   {"type":"accept","transfer":"…","files":[0]}            (no "files": every file)
 *   {"type":"decline","transfer":"…","reason":"…"}          (also cancel; "reason" optional)
 *   {"type":"pause","transfer":"…"}                         (also resume)
 *   {"type":"file-done","transfer":"…","file":0,"sha256":"<64 lowercase hex digits>"}
 *   {"type":"file-failed","transfer":"…","file":0,"reason":"…"}   (also restart)
 *   {"type":"resume-state","transfer":"…","files":[{"file":0,"have":1048576,"blocks":["…"]}]}
 *
 * The hello has a codec of its own (ferry-hello.h); to this one it is an unknown type.  A
 * FerryPeerMessage is tagged by its type, and the member of the union for that type holds the
 * fields.  Receivers ignore members they do not know, and ignore unknown types (UNKNOWN_TYPE), so
 * that later versions can add both.
 *
 * Strings are read as JavaScript reads them, with the scanner of ferry-json.h rather than with
 * json-glib: an escaped lone UTF-16 surrogate becomes U+FFFD (as in the P2PT envelope), and
 * "\u0000", which a C string cannot carry, makes the message MALFORMED.
 *
 * Numbers must be whole and non-negative, at most 2^53 (the largest integer a JavaScript peer
 * holds exactly).  Any JSON spelling of such a value is accepted ("1e3", "1.0", "-0"); the
 * builder writes plain digits.  An optional member that is present must be valid: a wrong one
 * makes the message MALFORMED rather than being ignored.
 *
 * Paths and folders are kept as sent (non-empty UTF-8 without U+0000): whether they are safe to
 * use is for the transfer layer to decide.  Nor can the codec check file indices against the
 * offer they refer to; it only bounds them by FERRY_PEER_MESSAGE_MAX_FILES.
 *
 * Building: the constructors below check their arguments (g_return_val_if_fail) and fill in
 * derived fields (an offer's total, a resume entry's "have").  A message filled in by hand must
 * respect the same rules, or ferry_peer_message_to_json() writes what the receiver refuses; the
 * arrays must then have the free functions the constructors give them (see each type).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_PEER_MESSAGE_ERROR (ferry_peer_message_error_quark ())

typedef enum {
  FERRY_PEER_MESSAGE_ERROR_MALFORMED,     /* not a message: bad JSON, missing or mistyped members */
  FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE,  /* a "type" this version does not know: to be ignored */
} FerryPeerMessageError;

typedef enum {
  FERRY_PEER_MESSAGE_CHAT,
  FERRY_PEER_MESSAGE_CHAT_ACK,
  FERRY_PEER_MESSAGE_OFFER,
  FERRY_PEER_MESSAGE_ACCEPT,
  FERRY_PEER_MESSAGE_DECLINE,
  FERRY_PEER_MESSAGE_CANCEL,
  FERRY_PEER_MESSAGE_PAUSE,
  FERRY_PEER_MESSAGE_RESUME,
  FERRY_PEER_MESSAGE_FILE_DONE,
  FERRY_PEER_MESSAGE_FILE_FAILED,
  FERRY_PEER_MESSAGE_RESTART,
  FERRY_PEER_MESSAGE_RESUME_STATE,
  FERRY_PEER_MESSAGE_RELAY,
} FerryPeerMessageType;

/* The largest message the P2PT envelope delivers with its default limit (16 Mi UTF-16 code
 * units, each at most 3 bytes of UTF-8); longer input is MALFORMED without being read.  The
 * builder does not check it: a sender compares the length of what it built (a large offer). */
#define FERRY_PEER_MESSAGE_MAX_BYTES ((gsize) 48 * 1024 * 1024)

/* Chat ids and transfer ids: 16 bytes in base64url without padding. */
#define FERRY_PEER_MESSAGE_ID_LENGTH 22
/* The largest number in any message (2^53). */
#define FERRY_PEER_MESSAGE_MAX_INTEGER (G_GUINT64_CONSTANT (1) << 53)
/* Files per offer; file indices are below it. */
#define FERRY_PEER_MESSAGE_MAX_FILES 100000
/* Bytes of UTF-8 in a "reason". */
#define FERRY_PEER_MESSAGE_MAX_REASON_BYTES 500
/* The receiver's resume state counts in blocks of this many bytes. */
#define FERRY_PEER_MESSAGE_BLOCK_SIZE ((guint64) 1024 * 1024)
/* A SHA-256 digest in lowercase hex. */
#define FERRY_PEER_MESSAGE_SHA256_LENGTH 64
/* A relayed code: member ids in hex, and the bytes of UTF-8 of its text. */
#define FERRY_PEER_MESSAGE_MEMBER_LENGTH 16
#define FERRY_PEER_MESSAGE_MAX_CODE_BYTES 1000
/* chat.time when the message has none. */
#define FERRY_PEER_MESSAGE_NO_TIME ((gint64) -1)

/* An entry of offer.files. */
typedef struct {
  char    *path;    /* as sent: non-empty UTF-8 without U+0000, not yet made safe */
  guint64  size;    /* bytes, ≤ FERRY_PEER_MESSAGE_MAX_INTEGER */
  gint64   mtime;   /* seconds since 1970 (UTC), 0 ≤ mtime ≤ FERRY_PEER_MESSAGE_MAX_INTEGER */
} FerryPeerMessageOfferFile;

/* An entry of resume_state.files. */
typedef struct {
  guint      file;    /* index into the offer's files */
  guint64    have;    /* bytes the receiver keeps: blocks->len * FERRY_PEER_MESSAGE_BLOCK_SIZE */
  GPtrArray *blocks;  /* of char *: per block, the SHA-256 of the file up to its end, in
                       * lowercase hex; owns them */
} FerryPeerMessageResumeFile;

typedef struct {
  FerryPeerMessageType type;
  /* Every id below is FERRY_PEER_MESSAGE_ID_LENGTH base64url characters; every reason is NULL
   * when absent, else valid UTF-8 of at most FERRY_PEER_MESSAGE_MAX_REASON_BYTES bytes; every
   * sha256 is FERRY_PEER_MESSAGE_SHA256_LENGTH lowercase hex digits.  All strings are owned. */
  union {
    struct {
      char   *text;   /* valid UTF-8, may be empty; no other limit than the message's */
      char   *id;     /* NULL when absent */
      gint64  time;   /* milliseconds since 1970 (UTC), or FERRY_PEER_MESSAGE_NO_TIME */
    } chat;
    struct {
      char *id;
    } chat_ack;
    struct {
      char      *transfer;
      GArray    *files;     /* of FerryPeerMessageOfferFile, at most FERRY_PEER_MESSAGE_MAX_FILES;
                             * clears them (ferry_peer_message_offer_file_clear) */
      GPtrArray *folders;   /* of char *, never NULL (empty when absent), owns them */
      guint64    total;     /* the sum of the sizes */
    } offer;
    struct {
      char   *transfer;
      GArray *files;        /* of guint, distinct indices; NULL: every file (no "files" member);
                             * empty: none, which the receiver means as a decline */
    } accept;
    struct {
      char *transfer;
      char *reason;
    } decline, cancel;
    struct {
      char *transfer;
    } pause, resume;
    struct {
      char  *transfer;
      guint  file;          /* < FERRY_PEER_MESSAGE_MAX_FILES */
      char  *sha256;
    } file_done;
    struct {
      char  *transfer;
      guint  file;          /* < FERRY_PEER_MESSAGE_MAX_FILES */
      char  *reason;
    } file_failed, restart;
    struct {
      char   *transfer;
      GArray *files;        /* of FerryPeerMessageResumeFile, distinct file indices (possibly
                             * none); clears them (ferry_peer_message_resume_file_clear) */
    } resume_state;
    struct {
      char *from;           /* FERRY_PEER_MESSAGE_MEMBER_LENGTH lowercase hex digits */
      char *to;             /* the same */
      char *code;           /* valid UTF-8, at most FERRY_PEER_MESSAGE_MAX_CODE_BYTES bytes */
    } relay;
  };
} FerryPeerMessage;

GQuark            ferry_peer_message_error_quark  (void);

/* Whether @id is FERRY_PEER_MESSAGE_ID_LENGTH characters of the base64url alphabet. */
gboolean          ferry_peer_message_id_is_valid  (const char              *id);

/* @text: valid UTF-8. */
FerryPeerMessage *ferry_peer_message_new_chat     (const char              *text);
/* @id: NULL or a valid id; @time: FERRY_PEER_MESSAGE_NO_TIME or from 0 to
 * FERRY_PEER_MESSAGE_MAX_INTEGER. */
FerryPeerMessage *ferry_peer_message_new_chat_full (const char             *text,
                                                    const char             *id,
                                                    gint64                  time);
FerryPeerMessage *ferry_peer_message_new_chat_ack (const char              *id);

/* A pairing code or reply from one member of a DHT room to another, through a member both are
 * connected to (docs/PROTOCOL.md, "relay"). */
FerryPeerMessage *ferry_peer_message_new_relay    (const char              *from,
                                                   const char              *to,
                                                   const char              *code);

/* An offer without files; add them (and folders) with the functions below, which keep total. */
FerryPeerMessage *ferry_peer_message_new_offer    (const char              *transfer);
/* @path: non-empty valid UTF-8; @size and @mtime within 0…FERRY_PEER_MESSAGE_MAX_INTEGER.  Fails
 * (returning FALSE, the offer unchanged) when the offer is full or the total would pass
 * FERRY_PEER_MESSAGE_MAX_INTEGER. */
gboolean          ferry_peer_message_offer_add_file (FerryPeerMessage      *offer,
                                                     const char            *path,
                                                     guint64                size,
                                                     gint64                 mtime);
/* @path: non-empty valid UTF-8. */
void              ferry_peer_message_offer_add_folder (FerryPeerMessage    *offer,
                                                       const char          *path);

/* Accepts every file (no "files" member). */
FerryPeerMessage *ferry_peer_message_new_accept_all (const char            *transfer);
/* Accepts @files, distinct indices below FERRY_PEER_MESSAGE_MAX_FILES (none: a decline). */
FerryPeerMessage *ferry_peer_message_new_accept   (const char              *transfer,
                                                   const guint             *files,
                                                   gsize                    n_files);

/* @reason: NULL or valid UTF-8; a longer reason than FERRY_PEER_MESSAGE_MAX_REASON_BYTES is cut
 * at a character boundary. */
FerryPeerMessage *ferry_peer_message_new_decline  (const char              *transfer,
                                                   const char              *reason);
FerryPeerMessage *ferry_peer_message_new_cancel   (const char              *transfer,
                                                   const char              *reason);
FerryPeerMessage *ferry_peer_message_new_pause    (const char              *transfer);
FerryPeerMessage *ferry_peer_message_new_resume   (const char              *transfer);
/* @sha256: FERRY_PEER_MESSAGE_SHA256_LENGTH lowercase hex digits. */
FerryPeerMessage *ferry_peer_message_new_file_done (const char             *transfer,
                                                    guint                   file,
                                                    const char             *sha256);
FerryPeerMessage *ferry_peer_message_new_file_failed (const char           *transfer,
                                                      guint                 file,
                                                      const char           *reason);
FerryPeerMessage *ferry_peer_message_new_restart  (const char              *transfer,
                                                   guint                    file,
                                                   const char              *reason);

/* A resume-state without files; add the unfinished ones below. */
FerryPeerMessage *ferry_peer_message_new_resume_state (const char          *transfer);
/* @blocks: @n_blocks SHA-256 digests in lowercase hex, one per whole block kept (of the file
 * up to that block's end); "have" is
 * derived from their number.  @file must not be listed already. */
void              ferry_peer_message_resume_state_add_file (FerryPeerMessage   *resume_state,
                                                            guint               file,
                                                            const char * const *blocks,
                                                            gsize               n_blocks);

void              ferry_peer_message_free         (FerryPeerMessage        *message);
/* Free functions for the arrays' elements: they free what the entry owns, not the entry. */
void              ferry_peer_message_offer_file_clear  (gpointer            entry);
void              ferry_peer_message_resume_file_clear (gpointer            entry);

/* The "type" on the wire ("chat", "offer", …). */
const char       *ferry_peer_message_type_to_string (FerryPeerMessageType   type);
/* The transfer id of a transfer message; NULL for chat and chat-ack. */
const char       *ferry_peer_message_get_transfer (const FerryPeerMessage  *message);

/* JSON object text for the P2PT envelope. */
char             *ferry_peer_message_to_json      (const FerryPeerMessage  *message);
/* @json: the payload of an object envelope, not NUL-terminated. */
FerryPeerMessage *ferry_peer_message_parse        (const char              *json,
                                                   gsize                    len,
                                                   GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryPeerMessage, ferry_peer_message_free)

G_END_DECLS
