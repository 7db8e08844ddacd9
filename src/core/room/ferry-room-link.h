/* ferry-room-link.h: room links, version 1 (docs/ROOM-LINKS.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A secret room:  ferry://join?v=1&name=LABEL[&tr=TRACKER-URL]…#k=SECRET
 * A plain room:   ferry://join?v=1&room=IDENTIFIER[&tr=TRACKER-URL]…
 *
 * The secret travels in the fragment, so no tracker or web server ever receives it.  It is kept
 * in memory only and wiped when the link object is finalized.
 */
#pragma once

#include <glib-object.h>

#include "ferry-crypto.h"

G_BEGIN_DECLS

#define FERRY_ROOM_LINK_ERROR (ferry_room_link_error_quark ())

typedef enum {
  FERRY_ROOM_LINK_ERROR_INVALID,             /* not a Ferry link, or malformed */
  FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION, /* v= is missing or newer than this Ferry */
  FERRY_ROOM_LINK_ERROR_MISSING_SECRET,      /* secret room link without its #k= part */
  FERRY_ROOM_LINK_ERROR_BAD_SECRET,          /* #k= is not 32 bytes of base64url */
  FERRY_ROOM_LINK_ERROR_BAD_TRACKER,         /* tr= is not a ws:// or wss:// URL */
  FERRY_ROOM_LINK_ERROR_BAD_NAME,            /* empty, too long or control characters */
} FerryRoomLinkError;

typedef enum {
  FERRY_ROOM_KIND_PLAIN,
  FERRY_ROOM_KIND_SECRET,
} FerryRoomKind;

#define FERRY_ROOM_LINK_VERSION 1
#define FERRY_ROOM_NAME_MAX_BYTES 200

#define FERRY_TYPE_ROOM_LINK (ferry_room_link_get_type ())
G_DECLARE_FINAL_TYPE (FerryRoomLink, ferry_room_link, FERRY, ROOM_LINK, GObject)

GQuark         ferry_room_link_error_quark      (void);

/* A new secret room with a fresh random secret; @label may be %NULL. */
FerryRoomLink *ferry_room_link_new_secret       (const char     *label,
                                                 GError        **error);
FerryRoomLink *ferry_room_link_new_plain        (const char     *identifier,
                                                 GError        **error);
/* Parses a ferry:// link. */
FerryRoomLink *ferry_room_link_parse            (const char     *text,
                                                 GError        **error);
/* What a user types in the join entry: a ferry:// link or a plain room name. */
FerryRoomLink *ferry_room_link_parse_user_input (const char     *text,
                                                 GError        **error);

char          *ferry_room_link_to_string        (FerryRoomLink  *self);

FerryRoomKind  ferry_room_link_get_kind         (FerryRoomLink  *self);
/* The label of a secret room, or the identifier of a plain room: what the UI shows. */
const char    *ferry_room_link_get_display_name (FerryRoomLink  *self);
const char    *ferry_room_link_get_label        (FerryRoomLink  *self);
const char    *ferry_room_link_get_identifier   (FerryRoomLink  *self);
/* The WebDrop room code of a plain room "webdrop" + CODE (docs/ROOM-LINKS.md), else %NULL. */
const char    *ferry_room_link_get_webdrop_code (FerryRoomLink  *self);
/* Extra trackers carried by the link, added to the configured ones. */
const char * const *ferry_room_link_get_trackers (FerryRoomLink *self);
gboolean       ferry_room_link_add_tracker      (FerryRoomLink  *self,
                                                 const char     *url,
                                                 GError        **error);

void           ferry_room_link_get_info_hash    (FerryRoomLink  *self,
                                                 guint8          info_hash[FERRY_INFO_HASH_LEN]);
/* Returns %FALSE for plain rooms, which have no key. */
gboolean       ferry_room_link_get_auth_key     (FerryRoomLink  *self,
                                                 guint8          auth_key[FERRY_AUTH_KEY_LEN]);

/* Whether the room's members meet over the DHT as well (secret rooms only; new ones do). */
gboolean       ferry_room_link_get_dht          (FerryRoomLink  *self);
void           ferry_room_link_set_dht          (FerryRoomLink  *self,
                                                 gboolean        dht);
/* The secret of a secret room (FERRY_ROOM_SECRET_LEN bytes), or %NULL. */
const guint8  *ferry_room_link_get_secret       (FerryRoomLink  *self);

G_END_DECLS
