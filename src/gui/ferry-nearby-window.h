/* ferry-nearby-window.h: "Nearby Devices", Ferry on the local network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * While it is open the session's nearby devices are looked for and this computer is visible
 * to them (ferry_session_nearby_start ()); closing it stops that unless the preference keeps
 * this computer visible.  Lists the devices seen, with a short form of their certificate's
 * fingerprint; activating one connects to it (a spinner on its row, errors in the window).  It
 * closes once connected, in either direction: the app then shows the direct room.
 */
#pragma once

#include <adwaita.h>

#include "ferry-session.h"

G_BEGIN_DECLS

#define FERRY_TYPE_NEARBY_WINDOW (ferry_nearby_window_get_type ())
G_DECLARE_FINAL_TYPE (FerryNearbyWindow, ferry_nearby_window, FERRY, NEARBY_WINDOW, AdwWindow)

FerryNearbyWindow *ferry_nearby_window_new (GtkWindow    *parent,
                                            FerrySession *session);

G_END_DECLS
