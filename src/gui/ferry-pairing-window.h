/* ferry-pairing-window.h: "Connect Directly", with a pairing code and no server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Makes a code at once and shows it (text, Copy, QR code, how long it stays valid) while it
 * waits; the entry takes the other computer's pairing code (then this side reads it instead)
 * or the reply code its reader shows (docs/PAIRING.md, "Replies").  A reader whose checks do
 * not get through shows its reply code for the other computer.  Errors are shown in the
 * window.  Once connected it emits ::connected with the direct room and closes.
 *
 * Signals:
 *   ::connected (FerrySessionRoom *)
 */
#pragma once

#include <adwaita.h>

#include "ferry-session.h"

G_BEGIN_DECLS

#define FERRY_TYPE_PAIRING_WINDOW (ferry_pairing_window_get_type ())
G_DECLARE_FINAL_TYPE (FerryPairingWindow, ferry_pairing_window, FERRY, PAIRING_WINDOW, AdwWindow)

/* @code %NULL: makes a code of our own; otherwise reads @code (a pairing code or its link). */
FerryPairingWindow  *ferry_pairing_window_new         (GtkWindow          *parent,
                                                       FerrySession       *session,
                                                       const char         *code);
/* What Connect does with @text: reads a pairing code, or gives a reply code to our own. */
void                 ferry_pairing_window_enter_code  (FerryPairingWindow *self,
                                                       const char         *text);
/* The pairing in progress (or the last one), or %NULL. */
FerrySessionPairing *ferry_pairing_window_get_pairing (FerryPairingWindow *self);

G_END_DECLS
