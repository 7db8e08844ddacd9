/* ferry-diagnostics-window.h: why a room connects, or does not
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For one room: each tracker's state and last error, the session's DHT node (its state and
 * nodes) and what the room does with it (looking for how long, members seen), each person's
 * connection (direct or through a relay, the kinds of the candidate pair, the round-trip time),
 * and what to try when nothing connects, in words a user understands.  "Copy Diagnostics" puts a plain-text report
 * on the clipboard for a bug report: no room secret or link, no fingerprint, no names, no IP
 * address.
 */
#pragma once

#include <adwaita.h>

#include "ferry-session-room.h"

G_BEGIN_DECLS

#define FERRY_TYPE_DIAGNOSTICS_WINDOW (ferry_diagnostics_window_get_type ())
G_DECLARE_FINAL_TYPE (FerryDiagnosticsWindow, ferry_diagnostics_window, FERRY, DIAGNOSTICS_WINDOW,
                      AdwPreferencesWindow)

FerryDiagnosticsWindow *ferry_diagnostics_window_new    (GtkWindow              *parent,
                                                         FerrySessionRoom       *room);
/* The report "Copy Diagnostics" copies. */
char                   *ferry_diagnostics_window_report (FerryDiagnosticsWindow *self);

G_END_DECLS
