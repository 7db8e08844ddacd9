/* ferry-webdrop.h: WebDrop's rooms and control messages (docs/INTEROP.md, "WebDrop")
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WebDrop is a browser app built on P2PT.  Its room "CODE" (four characters) is the P2PT room
 * whose identifier is "webdrop" + CODE; people share it as https://webdrop.space/#/?room=CODE,
 * and Ferry also takes "webdrop:CODE".  Browsers behind one public IPv4 address meet in the room
 * named after a hash of that address.  Its control messages are P2PT objects told apart by their
 * "type"; everything received is untrusted.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-rtc-config.h"

G_BEGIN_DECLS

#define FERRY_WEBDROP_CODE_LENGTH 4
#define FERRY_WEBDROP_IDENTIFIER_PREFIX "webdrop"
/* Our name in WebDrop's messages when the user set none. */
#define FERRY_WEBDROP_DEFAULT_NAME "Ferry"

/* Room codes */

/* If @text is a WebDrop invite link or "webdrop:CODE", returns %TRUE and sets *@code (a valid
 * code).  %FALSE without an error when @text is something else; %FALSE with an error
 * (FERRY_ROOM_LINK_ERROR_INVALID) when it is a WebDrop link without a valid code. */
gboolean  ferry_webdrop_parse_room          (const char  *text,
                                             char       **code,
                                             GError     **error);
/* Four ASCII letters or digits. */
gboolean  ferry_webdrop_code_is_valid       (const char  *code);
/* The code of a P2PT room identifier "webdrop" + CODE, or %NULL for other identifiers. */
char     *ferry_webdrop_code_from_identifier (const char *identifier);
/* The invite link WebDrop itself shows for @code. */
char     *ferry_webdrop_invite_link         (const char  *code);
/* The code of WebDrop's "same network" room for the public address @address (as text, the way
 * an address service returns it): the first four hex digits of WebDrop's hash of it. */
char     *ferry_webdrop_network_room_code   (const char  *address);

/* "webdrop:nearby" (any letter case): the same-network room, found with
 * ferry_webdrop_find_nearby_async (). */
#define FERRY_WEBDROP_NEARBY "webdrop:nearby"
gboolean  ferry_webdrop_is_nearby           (const char  *text);
/* Asks the first STUN server of @config for our public IPv4 address (what WebDrop asks an
 * address service for) and gives the code of the same-network room of that address. */
void      ferry_webdrop_find_nearby_async   (FerryRtcConfig       *config,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
/* The room code; @address (nullable) gets the public address it was made from. */
char     *ferry_webdrop_find_nearby_finish  (GAsyncResult         *result,
                                             char                **address,
                                             GError              **error);

/* Control messages */

#define FERRY_WEBDROP_ERROR (ferry_webdrop_error_quark ())

typedef enum {
  FERRY_WEBDROP_ERROR_MALFORMED,     /* not an object, or a field missing or of the wrong type */
  FERRY_WEBDROP_ERROR_UNKNOWN_TYPE,  /* a "type" this version does not know: ignored */
} FerryWebdropError;

typedef enum {
  FERRY_WEBDROP_MESSAGE_INIT,
  FERRY_WEBDROP_MESSAGE_GET_SHARES,
  FERRY_WEBDROP_MESSAGE_GET_MSGS,
  FERRY_WEBDROP_MESSAGE_PING,
  FERRY_WEBDROP_MESSAGE_MSG,
  FERRY_WEBDROP_MESSAGE_NEW_SHARE,
  FERRY_WEBDROP_MESSAGE_START_SENDING,
  /* Not a P2PT object: the raw JSON text a file's own connection is signalled with
   * (simple-peer-files), {"fileID","start"?,"signal":{…}} */
  FERRY_WEBDROP_MESSAGE_FILE_SIGNAL,
} FerryWebdropMessageType;

/* Longest name and colour kept from a peer, in characters (WebDrop limits its own to 30 and 20
 * but does not check what it receives). */
#define FERRY_WEBDROP_NAME_MAX_CHARS 64

typedef struct {
  FerryWebdropMessageType type;
  char    *name;          /* init; msg restored from history (the author); newShare (file name) */
  char    *color;         /* init; msg restored */
  guint64  shares_count;  /* init */
  guint64  msgs_count;    /* init */
  char    *text;          /* msg */
  char    *time;          /* msg: the author's clock as text ("10:15:30 PM"), or %NULL */
  char    *id;            /* msg restored: its index in the sender's history, or %NULL */
  char    *share_id;      /* newShare, startSending; the fileID of a file signal */
  guint64  size;          /* newShare */
  gboolean paused;        /* newShare */
  /* File signal: where the receiver wants the file to start (only the receiver sends "start"),
   * then either a description (sdp_type "offer" or "answer", sdp) or a trickled candidate
   * ("candidate:…", or "" for the end of candidates). */
  gboolean has_start;
  guint64  start;
  char    *sdp_type;
  char    *sdp;
  char    *candidate;
} FerryWebdropMessage;

GQuark               ferry_webdrop_error_quark   (void);
FerryWebdropMessage *ferry_webdrop_message_new   (FerryWebdropMessageType  type);
void                 ferry_webdrop_message_free  (FerryWebdropMessage     *message);
/* Parses the JSON text of a P2PT object message.  Names and texts are made fit for one line. */
FerryWebdropMessage *ferry_webdrop_message_parse (const char               *json,
                                                  gsize                     len,
                                                  GError                  **error);
/* Parses raw text that came without P2PT's envelope as a file signal. */
FerryWebdropMessage *ferry_webdrop_signal_parse  (const char               *json,
                                                  gsize                     len,
                                                  GError                  **error);
/* The JSON text with the fields WebDrop sends for this type (for a file signal: the raw text
 * simple-peer-files sends, candidates in simple-peer 9's form). */
char                *ferry_webdrop_message_to_json (const FerryWebdropMessage *message);
/* A colour of WebDrop's kind ("hsla(H,60%,60%,1)"), the hue picked from @seed. */
char                *ferry_webdrop_color_for     (const char               *seed);
/* @time_ms (ms since 1970) as WebDrop shows times: the local time of day, "10:15:30 PM". */
char                *ferry_webdrop_format_time   (gint64                    time_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryWebdropMessage, ferry_webdrop_message_free)

G_END_DECLS
