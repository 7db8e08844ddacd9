/* ferry-transfer.h: one transfer of files and folders between us and one peer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A FerryTransfer follows one offer of docs/PROTOCOL.md ("Transfers") from either end: the
 * offer, the receiver's answer, the data channels that carry the bytes (one per session: a
 * reconnection or a restart starts a new one), the per-file results, pause, resume and cancel.
 * FerryTransferManager creates transfers, routes the peer's messages and channels to them, and
 * hands them a peer again when it comes back; the user acts on them through the methods below.
 *
 * States:
 *   OFFERED    the offer is out; the receiver has not answered (the receiver's user decides)
 *   RUNNING    bytes flow, or are about to
 *   PAUSED     paused by either side, or by the receiver after an error of its disk (the error
 *              is in "reason"; resuming tries again from what the .part files hold)
 *   WAITING    the peer is gone; the transfer goes on where it stopped when the same peer
 *              (the same certificate fingerprint) is met again, in any room, even after a
 *              restart of either program
 *   DONE       every accepted file arrived and its SHA-256 matched
 *   DECLINED, CANCELLED, FAILED   ended; "reason" says why, for the user
 *
 * Unfinished transfers are kept in a small state file (the manager's state folder) and removed
 * when they end.  A cancelled receiving transfer deletes its .part files; a failed one keeps them.
 *
 * Properties (all read-only, notified on the transfer's main context):
 *   id, direction, state, peer (FerryPeer or NULL while away), peer-name, total (bytes of the
 *   accepted files, or of every file before the answer), bytes-done (of those, at most about
 *   10 notifications a second), reason (text for the user, or NULL), paused-locally,
 *   paused-remotely, folder (where a receiving transfer writes)
 * Signals:
 *   ::file-done (guint index)                 file @index arrived and was checked
 *   ::file-failed (guint index, const char *reason)
 */
#pragma once

#include <gio/gio.h>

#include "ferry-peer.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_TRANSFER_DIRECTION_SEND,
  FERRY_TRANSFER_DIRECTION_RECEIVE,
} FerryTransferDirection;

typedef enum {
  FERRY_TRANSFER_STATE_OFFERED,
  FERRY_TRANSFER_STATE_RUNNING,
  FERRY_TRANSFER_STATE_PAUSED,
  FERRY_TRANSFER_STATE_WAITING,
  FERRY_TRANSFER_STATE_DONE,
  FERRY_TRANSFER_STATE_DECLINED,
  FERRY_TRANSFER_STATE_CANCELLED,
  FERRY_TRANSFER_STATE_FAILED,
} FerryTransferState;

typedef enum {
  FERRY_TRANSFER_FILE_PENDING,   /* accepted (or not answered yet), not arrived */
  FERRY_TRANSFER_FILE_SKIPPED,   /* not accepted by the receiver */
  FERRY_TRANSFER_FILE_DONE,
  FERRY_TRANSFER_FILE_FAILED,
} FerryTransferFileState;

#define FERRY_TRANSFER_ERROR (ferry_transfer_error_quark ())

typedef enum {
  FERRY_TRANSFER_ERROR_INVALID_OFFER,  /* unsafe or conflicting names, bad sizes */
  FERRY_TRANSFER_ERROR_NO_SPACE,       /* not enough free space for the accepted files */
  FERRY_TRANSFER_ERROR_STATE,          /* the action does not apply in this state */
  FERRY_TRANSFER_ERROR_NOT_CONNECTED,  /* the peer is away */
  FERRY_TRANSFER_ERROR_STORE,          /* a stored transfer could not be read */
} FerryTransferError;

#define FERRY_TYPE_TRANSFER (ferry_transfer_get_type ())
G_DECLARE_FINAL_TYPE (FerryTransfer, ferry_transfer, FERRY, TRANSFER, GObject)

GQuark                 ferry_transfer_error_quark        (void);

const char            *ferry_transfer_get_id             (FerryTransfer *self);
FerryTransferDirection ferry_transfer_get_direction      (FerryTransfer *self);
FerryTransferState     ferry_transfer_get_state          (FerryTransfer *self);
/* The peer while it is connected, else %NULL. */
FerryPeer             *ferry_transfer_get_peer           (FerryTransfer *self);
const char            *ferry_transfer_get_peer_name      (FerryTransfer *self);
/* The link of the room the transfer was offered in (sending only), or %NULL. */
const char            *ferry_transfer_get_room_link      (FerryTransfer *self);
/* Lowercase hex of the peer's certificate fingerprint. */
const char            *ferry_transfer_get_peer_fingerprint (FerryTransfer *self);
guint64                ferry_transfer_get_total          (FerryTransfer *self);
guint64                ferry_transfer_get_bytes_done     (FerryTransfer *self);
/* File bytes this process sent or received for the transfer over every session, counting bytes
 * that travelled again after an interruption (bytes-done counts each byte once). */
guint64                ferry_transfer_get_bytes_carried  (FerryTransfer *self);
const char            *ferry_transfer_get_reason         (FerryTransfer *self);
gboolean               ferry_transfer_get_paused_locally (FerryTransfer *self);
gboolean               ferry_transfer_get_paused_remotely (FerryTransfer *self);
/* A receiving transfer's folder: the download folder it was accepted into. */
GFile                 *ferry_transfer_get_folder         (FerryTransfer *self);
/* Whether the state is DONE, DECLINED, CANCELLED or FAILED. */
gboolean               ferry_transfer_is_finished        (FerryTransfer *self);

guint                  ferry_transfer_get_n_files        (FerryTransfer *self);
/* Folders of the offer, empty ones included, as offered. */
const char * const    *ferry_transfer_get_folders        (FerryTransfer *self);
/* As offered; for a receiving transfer, made safe (docs/PROTOCOL.md, "File names"). */
const char            *ferry_transfer_get_file_path      (FerryTransfer *self,
                                                          guint          index);
guint64                ferry_transfer_get_file_size      (FerryTransfer *self,
                                                          guint          index);
FerryTransferFileState ferry_transfer_get_file_state     (FerryTransfer *self,
                                                          guint          index);
/* The SHA-256 in hex once the file is done, else %NULL. */
const char            *ferry_transfer_get_file_sha256    (FerryTransfer *self,
                                                          guint          index);
/* Sending: the source.  Receiving: where the file landed once done, else %NULL. */
GFile                 *ferry_transfer_get_file           (FerryTransfer *self,
                                                          guint          index);

/* Receiving, in state OFFERED: accepts @files (@n_files distinct indices; %NULL: all of them)
 * into @folder (created if missing).  Checks free space and creates the offer's folders in a
 * worker thread, then answers the peer.  Nothing is written before this is called. */
void                   ferry_transfer_accept_async       (FerryTransfer       *self,
                                                          GFile               *folder,
                                                          const guint         *files,
                                                          guint                n_files,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean               ferry_transfer_accept_finish      (FerryTransfer       *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
/* Receiving, in state OFFERED.  @reason: NULL or text for the sender's user. */
gboolean               ferry_transfer_decline            (FerryTransfer *self,
                                                          const char    *reason,
                                                          GError       **error);
gboolean               ferry_transfer_pause              (FerryTransfer *self,
                                                          GError       **error);
gboolean               ferry_transfer_resume             (FerryTransfer *self,
                                                          GError       **error);
/* Either side, until the transfer ends. */
void                   ferry_transfer_cancel             (FerryTransfer *self,
                                                          const char    *reason);

G_END_DECLS
