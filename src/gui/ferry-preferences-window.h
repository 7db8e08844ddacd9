/* ferry-preferences-window.h: the user's settings: name, download folder, trackers, STUN and
 * TURN servers, relay-only
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every change is written to @settings at once; servers only once they parse, with the core's
 * own parsers, and an invalid row says why.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FERRY_TYPE_PREFERENCES_WINDOW (ferry_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (FerryPreferencesWindow, ferry_preferences_window, FERRY, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* @settings: the app's settings (schema APP_ID). */
FerryPreferencesWindow *ferry_preferences_window_new (GtkWindow *parent,
                                                      GSettings *settings);

G_END_DECLS
