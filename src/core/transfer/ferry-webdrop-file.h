/* ferry-webdrop-file.h: one file to or from a WebDrop peer, on a connection of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WebDrop sends each file (a "share") with simple-peer-files: a new peer connection per file and
 * receiver, signalled with trickled candidates in raw JSON on the P2PT channel of the room, then
 * one binary channel that carries a header byte and a payload in each message
 * (docs/INTEROP.md, "WebDrop files").  A FerryWebdropFile is one attempt at that for one file:
 * the connection, the framing, reading (sending) or writing NAME.part and renaming it to a free
 * final name (receiving), and the SHA-256 of the file.  A failed attempt is over; FerryTransfer
 * starts a new one from the bytes held.
 *
 * Signals:
 *   ::paused-remotely (gboolean)   the peer paused or resumed
 *   ::finished (GError *)          %NULL: the file arrived (receiving: checked against the
 *                                  announced size and renamed; sending: the receiver said
 *                                  FILE_END); else why this attempt ended (cancelled by the peer:
 *                                  G_IO_ERROR_CANCELLED); the connection is closed
 * Property: bytes (file bytes held by the receiver, or sent, counting the offset it started at)
 */
#pragma once
#include <gio/gio.h>
#include "ferry-peer.h"
#include "ferry-rtc-config.h"

G_BEGIN_DECLS

/* The first byte of each message on the file's channel (simple-peer-files' ControlHeaders). */
typedef enum {
  FERRY_WEBDROP_FILE_START = 0x00,   /* sender: UTF-8 JSON {"fileName","fileSize","fileType"} */
  FERRY_WEBDROP_FILE_CHUNK = 0x01,   /* sender: up to 64 KiB of the file */
  FERRY_WEBDROP_FILE_END = 0x03,     /* receiver: every byte arrived */
  FERRY_WEBDROP_FILE_PAUSE = 0x04,
  FERRY_WEBDROP_FILE_RESUME = 0x05,
  FERRY_WEBDROP_FILE_CANCEL = 0x06,
} FerryWebdropFileHeader;

#define FERRY_WEBDROP_FILE_CHUNK_SIZE 65536

#define FERRY_TYPE_WEBDROP_FILE (ferry_webdrop_file_get_type ())
G_DECLARE_FINAL_TYPE (FerryWebdropFile, ferry_webdrop_file, FERRY, WEBDROP_FILE, GObject)

/* Sends @source, announced as @size bytes, as share @share_id to a peer that asked for it with
 * startSending: start () makes the offer; the start offset comes from the receiver's signals. */
FerryWebdropFile *ferry_webdrop_file_new_sender   (FerryPeer        *peer,
                                                   FerryRtcConfig   *config,
                                                   const char       *share_id,
                                                   GFile            *source,
                                                   guint64           size);
/* Receives share @share_id, announced as @size bytes, into @part (a .part file holding @offset
 * bytes already, created if missing), then renames it to a free name for @name in its folder.
 * start () sends startSending; the sender's offer is answered when it comes. */
FerryWebdropFile *ferry_webdrop_file_new_receiver (FerryPeer        *peer,
                                                   FerryRtcConfig   *config,
                                                   const char       *share_id,
                                                   GFile            *part,
                                                   const char       *name,
                                                   guint64           size,
                                                   guint64           offset);
void              ferry_webdrop_file_start         (FerryWebdropFile *self);
/* A file signal for this share from the peer. */
void              ferry_webdrop_file_handle_signal (FerryWebdropFile          *self,
                                                    const FerryWebdropMessage *signal);
void              ferry_webdrop_file_set_paused    (FerryWebdropFile *self,
                                                    gboolean          paused);
/* Tells the peer (TRANSFER_CANCEL) and closes; ::finished is not emitted. */
void              ferry_webdrop_file_cancel        (FerryWebdropFile *self);
guint64           ferry_webdrop_file_get_bytes     (FerryWebdropFile *self);
/* Whether the file's channel is open (the connection is up). */
gboolean          ferry_webdrop_file_is_open       (FerryWebdropFile *self);
/* File bytes this attempt moved (sent, or received), not counting the offset. */
guint64           ferry_webdrop_file_get_carried   (FerryWebdropFile *self);
/* Once finished without an error: the SHA-256 in hex, and (receiving) where the file landed. */
const char       *ferry_webdrop_file_get_sha256    (FerryWebdropFile *self);
GFile            *ferry_webdrop_file_get_result    (FerryWebdropFile *self);

G_END_DECLS
