/* ferry-session-transfer.h: a transfer of the session, for the GUI
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GUI's view of one FerryTransfer of the network thread (ferry-transfer.h has the states
 * and what they mean).  Its properties follow the transfer, notified on the GUI's context; the
 * actions are passed to the network thread, and what they lead to comes back as changes of
 * state, or as ::error when an action could not be done (not enough space to accept, say).
 *
 * A transfer belongs to the session, not to a room: it goes on with the same friend (the same
 * certificate fingerprint) in whichever room they meet again, even after a restart.
 *
 * Properties (read-only):
 *   id, direction, state, peer-name, peer-fingerprint (hex), total, bytes-done, speed (bytes
 *   per second over the last few seconds; 0 unless running), reason (text for the user, or
 *   NULL), paused-locally, paused-remotely, title (the name of its only file or folder, or
 *   "N files"), n-files
 * Signals:
 *   ::error (const GError *)   an action failed
 */
#pragma once

#include <gio/gio.h>

#include "ferry-transfer.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SESSION_TRANSFER (ferry_session_transfer_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionTransfer, ferry_session_transfer, FERRY, SESSION_TRANSFER, GObject)

const char             *ferry_session_transfer_get_id               (FerrySessionTransfer *self);
FerryTransferDirection  ferry_session_transfer_get_direction        (FerrySessionTransfer *self);
FerryTransferState      ferry_session_transfer_get_state            (FerrySessionTransfer *self);
const char             *ferry_session_transfer_get_peer_name        (FerrySessionTransfer *self);
const char             *ferry_session_transfer_get_peer_fingerprint (FerrySessionTransfer *self);
guint64                 ferry_session_transfer_get_total            (FerrySessionTransfer *self);
guint64                 ferry_session_transfer_get_bytes_done       (FerrySessionTransfer *self);
guint64                 ferry_session_transfer_get_speed            (FerrySessionTransfer *self);
/* Seconds left at the current speed, or -1 when unknown. */
gint64                  ferry_session_transfer_get_eta              (FerrySessionTransfer *self);
const char             *ferry_session_transfer_get_reason           (FerrySessionTransfer *self);
gboolean                ferry_session_transfer_get_paused_locally   (FerrySessionTransfer *self);
gboolean                ferry_session_transfer_get_paused_remotely  (FerrySessionTransfer *self);
const char             *ferry_session_transfer_get_title            (FerrySessionTransfer *self);
gboolean                ferry_session_transfer_is_finished          (FerrySessionTransfer *self);

/* The files of the offer, as offered (made safe on the receiving side). */
guint                   ferry_session_transfer_get_n_files          (FerrySessionTransfer *self);
const char             *ferry_session_transfer_get_file_path        (FerrySessionTransfer *self,
                                                                     guint                 index);
guint64                 ferry_session_transfer_get_file_size        (FerrySessionTransfer *self,
                                                                     guint                 index);
/* Sending: the source.  Receiving: where the file landed once the transfer is done, else
 * %NULL (transfer none). */
GFile                  *ferry_session_transfer_get_file             (FerrySessionTransfer *self,
                                                                     guint                 index);
/* Receiving: the folder the files go to once accepted, else %NULL (transfer none). */
GFile                  *ferry_session_transfer_get_folder           (FerrySessionTransfer *self);

/* Receiving, while offered: accepts @files (@n_files indices; %NULL: all) into the session's
 * download folder, or declines. */
void                    ferry_session_transfer_accept               (FerrySessionTransfer *self,
                                                                     const guint          *files,
                                                                     guint                 n_files);
void                    ferry_session_transfer_decline              (FerrySessionTransfer *self);
void                    ferry_session_transfer_pause                (FerrySessionTransfer *self);
void                    ferry_session_transfer_resume               (FerrySessionTransfer *self);
void                    ferry_session_transfer_cancel               (FerrySessionTransfer *self);

G_END_DECLS
