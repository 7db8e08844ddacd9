/* ferry-room-page.h: one room: who is there, the chat, the transfers, and how to invite others
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-room-link.h"
#include "ferry-session-peer.h"
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
/* (element-type FerrySessionTransfer): the transfers listed, those of the session. */
void           ferry_room_page_set_transfers (FerryRoomPage *self,
                                              GListModel    *transfers);
/* Offers @files (files and folders) to @peer, or with %NULL to everyone in the room who takes
 * files: what the Send buttons, dropping and pasting do.  Why they could not be offered comes
 * as a toast (the room's ::error). */
void           ferry_room_page_send_files (FerryRoomPage    *self,
                                           FerrySessionPeer *peer,
                                           GFile * const    *files,
                                           guint             n_files);

G_END_DECLS
