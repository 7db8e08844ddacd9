/* ferry-window.h: the main window: the start page (open and recent rooms, creating and joining
 * one) and the page of the room shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-room-link.h"
#include "ferry-session-room.h"

G_BEGIN_DECLS

#define FERRY_TYPE_WINDOW (ferry_window_get_type ())
G_DECLARE_FINAL_TYPE (FerryWindow, ferry_window, FERRY, WINDOW, AdwApplicationWindow)

/* @application: a FerryApplication. */
FerryWindow *ferry_window_new            (GtkApplication *application);
/* Joins the room of @link (or goes back to it, when it is open), remembers it among the recent
 * rooms and shows its page; why it cannot be joined goes to a toast. */
void         ferry_window_open_room      (FerryWindow    *self,
                                          FerryRoomLink  *link);
/* "Connect Directly": opens the pairing window (or brings it back), which makes a code with
 * @code %NULL and reads @code (a pairing code or its link) otherwise; once connected, the direct
 * room's page is shown. */
void         ferry_window_connect_directly (FerryWindow  *self,
                                            const char   *code);
/* Shows the page of @room, a direct room of the session (a nearby connection's, either way),
 * and brings the window up. */
void         ferry_window_show_direct_room (FerryWindow      *self,
                                            FerrySessionRoom *room);
/* Shows @message in a toast. */
void         ferry_window_show_toast     (FerryWindow    *self,
                                          const char     *message);
/* Tells the user why a link could not be opened; @error's message is shown as is. */
void         ferry_window_show_link_error (FerryWindow   *self,
                                           const GError  *error);

G_END_DECLS
