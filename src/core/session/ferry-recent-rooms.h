/* ferry-recent-rooms.h: the rooms the user joined lately, kept between runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The links of the last FERRY_RECENT_ROOMS_MAX rooms joined, most recent first, for the app's
 * start page.  A secret room's link holds its secret, so the list lives in a file of its own
 * that only the user can read (mode 0600, in Ferry's folder of the user's data folder), never
 * in GSettings.  The file has one link per line; a line that is not a valid link is dropped
 * when the file is read.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-room-link.h"

G_BEGIN_DECLS

#define FERRY_RECENT_ROOMS_MAX 20

#define FERRY_TYPE_RECENT_ROOMS (ferry_recent_rooms_get_type ())
G_DECLARE_FINAL_TYPE (FerryRecentRooms, ferry_recent_rooms, FERRY, RECENT_ROOMS, GObject)

/* Reads @file (%NULL: the default file); a file missing or unreadable is an empty list. */
FerryRecentRooms *ferry_recent_rooms_new       (GFile             *file);
/* (element-type FerryRoomLink): most recent first. */
GListModel       *ferry_recent_rooms_get_links (FerryRecentRooms  *self);
/* Puts the room of @link first (replacing an earlier link to the same room) and saves. */
gboolean          ferry_recent_rooms_add       (FerryRecentRooms  *self,
                                                FerryRoomLink     *link,
                                                GError           **error);
/* Forgets the room of @link and saves. */
gboolean          ferry_recent_rooms_remove    (FerryRecentRooms  *self,
                                                FerryRoomLink     *link,
                                                GError           **error);

G_END_DECLS
