/* ferry-room-page.h: one room: who is there, and how to invite others
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-room-link.h"
#include "ferry-session-room.h"

G_BEGIN_DECLS

#define FERRY_TYPE_ROOM_PAGE (ferry_room_page_get_type ())
G_DECLARE_FINAL_TYPE (FerryRoomPage, ferry_room_page, FERRY, ROOM_PAGE, AdwBin)

GtkWidget     *ferry_room_page_new      (void);
/* The room shown: its people and chat.  Setting it also sets the link. */
FerrySessionRoom *ferry_room_page_get_room (FerryRoomPage    *self);
void              ferry_room_page_set_room (FerryRoomPage    *self,
                                            FerrySessionRoom *room);
FerryRoomLink *ferry_room_page_get_link (FerryRoomPage *self);
void           ferry_room_page_set_link (FerryRoomPage *self,
                                         FerryRoomLink *link);
/* What the header bar shows: the room's display name, or a generic label for unnamed rooms. */
const char    *ferry_room_page_get_title (FerryRoomPage *self);

G_END_DECLS
