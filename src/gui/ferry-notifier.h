/* ferry-notifier.h: what the desktop hears of the session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Follows the session's transfers and the chat of its rooms for the application:
 *  - a desktop notification for each incoming offer, with Accept and Decline buttons
 *    (app.accept-transfer and app.decline-transfer, with the transfer id), and for each chat
 *    message, only while none of the app's windows has the focus; they are withdrawn once
 *    answered or seen;
 *  - suspend inhibited while a transfer runs ("busy", notified).
 */
#pragma once

#include <gtk/gtk.h>

#include "ferry-session.h"

G_BEGIN_DECLS

#define FERRY_TYPE_NOTIFIER (ferry_notifier_get_type ())
G_DECLARE_FINAL_TYPE (FerryNotifier, ferry_notifier, FERRY, NOTIFIER, GObject)

FerryNotifier *ferry_notifier_new        (GtkApplication *application,
                                          FerrySession   *session);
/* Whether a transfer runs, and so suspend is inhibited. */
gboolean       ferry_notifier_get_busy   (FerryNotifier  *self);
/* The transfer of the session with @id, or %NULL. */
FerrySessionTransfer *ferry_notifier_find_transfer (FerryNotifier *self,
                                                    const char    *id);

G_END_DECLS
