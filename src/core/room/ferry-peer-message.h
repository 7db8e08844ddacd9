/* ferry-peer-message.h: the messages Ferry peers exchange after the hello (docs/PROTOCOL.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each one is a JSON object sent with "o":1 in the P2PT envelope, told apart by its "type":
 *
 *   {"type":"chat","text":"Hello!"}
 *
 * The hello has a codec of its own (ferry-hello.h); to this one it is an unknown type.  A
 * FerryPeerMessage is tagged by its type, and the member for that type holds the fields.
 * Receivers ignore members they do not know, and ignore unknown types (UNKNOWN_TYPE), so that
 * later versions can add both.
 *
 * Strings are read as JavaScript reads them, with the scanner of ferry-json.h rather than with
 * json-glib: an escaped lone UTF-16 surrogate becomes U+FFFD (as in the P2PT envelope), and
 * "\u0000", which a C string cannot carry, makes the message MALFORMED.
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
} FerryPeerMessageType;

/* The largest message the P2PT envelope delivers with its default limit (16 Mi UTF-16 code
 * units, each at most 3 bytes of UTF-8); longer input is MALFORMED without being read. */
#define FERRY_PEER_MESSAGE_MAX_BYTES ((gsize) 48 * 1024 * 1024)

typedef struct {
  FerryPeerMessageType type;
  union {
    struct {
      char *text;   /* valid UTF-8, may be empty; no other limit than the message's */
    } chat;
  };
} FerryPeerMessage;

GQuark            ferry_peer_message_error_quark  (void);

/* @text: valid UTF-8. */
FerryPeerMessage *ferry_peer_message_new_chat     (const char              *text);
void              ferry_peer_message_free         (FerryPeerMessage        *message);

/* The "type" on the wire ("chat"). */
const char       *ferry_peer_message_type_to_string (FerryPeerMessageType   type);

/* JSON object text for the P2PT envelope. */
char             *ferry_peer_message_to_json      (const FerryPeerMessage  *message);
/* @json: the payload of an object envelope, not NUL-terminated. */
FerryPeerMessage *ferry_peer_message_parse        (const char              *json,
                                                   gsize                    len,
                                                   GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryPeerMessage, ferry_peer_message_free)

G_END_DECLS
