/* ferry-transfer-row.h: one transfer of the session in the room page's list
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shows what is sent or received, to or from whom, the progress, the speed and the time left,
 * the state in words, and the actions that fit the state: accept (everything or a choice of
 * files) or decline an offer; pause, resume or cancel; open what arrived, or show it in its
 * folder.  Errors of the transfer's actions go to the window's toasts.
 *
 * An offer from someone using a friend's name with another certificate (an impostor,
 * ferry-friends.h) carries a warning, and accepting it asks first.
 */
#pragma once

#include <gtk/gtk.h>

#include "ferry-friends.h"
#include "ferry-session-transfer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER_ROW (ferry_transfer_row_get_type ())
G_DECLARE_FINAL_TYPE (FerryTransferRow, ferry_transfer_row, FERRY, TRANSFER_ROW, GtkListBoxRow)

/* @friends (nullable): the friends whose impostors the row warns of, followed as they change. */
GtkWidget            *ferry_transfer_row_new          (FerrySessionTransfer *transfer,
                                                       FerryFriends         *friends);
FerrySessionTransfer *ferry_transfer_row_get_transfer (FerryTransferRow     *self);

/* "Ana wants to send you 3 files (1.2 GB)", for an incoming offer. */
char                 *ferry_transfer_describe_offer   (FerrySessionTransfer *transfer);
/* Whether @transfer comes from someone using the name of one of @friends (nullable) with
 * another certificate. */
gboolean              ferry_transfer_from_impostor    (FerrySessionTransfer *transfer,
                                                       FerryFriends         *friends);

G_END_DECLS
