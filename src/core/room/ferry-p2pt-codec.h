/* ferry-p2pt-codec.h: P2PT's data-channel message envelope
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * P2PT sends '^' + JSON {"id", "msg", "o"?, "c", "last"?} text messages, the payload string
 * chunked at 16,000 UTF-16 code units (docs/INTEROP.md, "Envelope and chunking").  A chunk
 * boundary may split a surrogate pair, so chunks are decoded to UTF-16 and joined before
 * converting to UTF-8.  Replies reuse the id of the message they answer.  One codec serves one
 * remote peer: it holds that peer's partial messages and the ids it sent that are still waiting
 * for a reply.
 *
 * Everything received is untrusted: message size, number of partial messages and reassembly time
 * are limited, and violations are reported as FERRY_P2PT_ERROR.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_P2PT_ERROR (ferry_p2pt_error_quark ())

typedef enum {
  FERRY_P2PT_ERROR_MALFORMED,     /* not a valid envelope: bad JSON, missing or mistyped fields */
  FERRY_P2PT_ERROR_TOO_LARGE,     /* the message would exceed max-message-units */
  FERRY_P2PT_ERROR_TOO_MANY,      /* more than max-pending partial messages */
  FERRY_P2PT_ERROR_INCOMPLETE,    /* "last" arrived but chunks are missing, or a chunk of a
                                   * message that expired or never started */
} FerryP2ptError;

#define FERRY_P2PT_CHUNK_UNITS 16000

typedef struct {
  char     *id;          /* the id as JSON text ("123456"), reused verbatim to reply; %NULL when
                          * not enveloped */
  char     *payload;     /* UTF-8; lone surrogates became U+FFFD */
  gsize     payload_len;
  gboolean  is_object;   /* "o":1: the payload is JSON text of an object/array/null */
  gboolean  enveloped;   /* FALSE: a message without '^' from a non-P2PT peer, passed through */
} FerryP2ptMessage;

#define FERRY_TYPE_P2PT_CODEC (ferry_p2pt_codec_get_type ())
G_DECLARE_FINAL_TYPE (FerryP2ptCodec, ferry_p2pt_codec, FERRY, P2PT_CODEC, GObject)

GQuark          ferry_p2pt_error_quark        (void);

/* Properties (all settable, also at construction):
 *   max-message-units    guint64  largest reassembled payload, in UTF-16 units (default 16 Mi)
 *   max-pending          guint    partial messages kept at once (default 32)
 *   reassembly-timeout   guint    ms a partial message may wait for its next chunk (default 30000)
 * max-message-units also bounds all partial messages together, each stored chunk counting as at
 * least 64 units, and so the chunk index "c" (at most max-message-units / 64).  Messages in one
 * chunk are never held and do not count against max-pending.
 */
FerryP2ptCodec *ferry_p2pt_codec_new          (void);

/* Splits @payload (UTF-8) into the text messages to send, each starting with '^', exactly as
 * P2PT's send () does.  @id: the JSON text of the id to reply to, or %NULL for a new message (a
 * fresh id in 100000..199999 that does not collide with ids the peer is waiting on).  An empty
 * payload yields no message, as in P2PT.  Returns (element-type utf8) (transfer full). */
GPtrArray      *ferry_p2pt_codec_encode       (FerryP2ptCodec  *self,
                                               const char      *id,
                                               const char      *payload,
                                               gboolean         is_object);

/* Feeds one received data-channel message (text or binary, interpreted as UTF-8).  Returns %TRUE
 * and sets *@message when a message is complete (or for pass-through messages); %FALSE without an
 * error when it needs more chunks; %FALSE with an error for bad or over-limit input, after which
 * the partial message concerned is forgotten. */
gboolean        ferry_p2pt_codec_decode       (FerryP2ptCodec   *self,
                                               const char       *data,
                                               gsize             len,
                                               FerryP2ptMessage **message,
                                               GError          **error);

/* %TRUE if the peer sent a message with @id (JSON text) that we have not replied to yet, so that
 * P2PT on its side is waiting for a reply with that id.  Only the latest 1024 ids are remembered. */
gboolean        ferry_p2pt_codec_peer_awaits_reply (FerryP2ptCodec *self,
                                                    const char     *id);

void            ferry_p2pt_message_free       (FerryP2ptMessage *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryP2ptMessage, ferry_p2pt_message_free)

G_END_DECLS
