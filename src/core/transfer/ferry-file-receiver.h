/* ferry-file-receiver.h: the receiving half of a transfer's data channel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A FerryFileReceiver reads the framing of docs/PROTOCOL.md ("The data channel") from a channel
 * labelled "ferry-transfer/…" and writes the accepted files into a folder:
 *
 *   {"file": N, "offset": O}                      the bytes that follow are file N from byte O
 *   binary messages                               the bytes, in order
 *   {"file": N, "end": SIZE, "sha256": "<hex>"}   the file ends; SHA-256 of the whole file
 *
 * Files:     file N, with the safe relative path P (from ferry_transfer_path_sanitize ()), is
 *            written to "P.part" under the folder, its folders created as needed (no component
 *            may be a symbolic link: ferry_transfer_path_resolve ()).  The name of the .part does
 *            not depend on what else is in the folder, so a later receiver finds it again to
 *            resume; the caller must not run two unfinished transfers of the same path into the
 *            same folder.  When the file is complete and checked, "P.part" is renamed, never over
 *            an existing file: to P, or when P exists to "P (1)" and so on in the same folder
 *            (ferry_transfer_path_unique_child () on the last component).
 *
 * Checks:    on "end", SIZE must equal the accepted size and the bytes held, and the announced
 *            SHA-256 must equal the one computed over the whole .part.  A file that fails one of
 *            these gets ::file-failed; its .part is kept and nothing else is deleted; the sender
 *            may send it again from offset 0.  Everything else the sender gets wrong is a
 *            protocol error that stops the receiver (::failed, FERRY_FILE_RECEIVER_ERROR_PROTOCOL):
 *            malformed JSON or a message that is neither header nor end, an unknown file index,
 *            a header for a file already received or while another file is open, binary data
 *            before a header, more bytes than the accepted size, an "end" for another file, or
 *            a resume offset beyond what the .part holds.
 *
 * Resuming:  the caller gives for each file the length of the .part it trusts (its saved resume
 *            state, 0 for a fresh file).  The receiver holds min (that, the .part's length) bytes;
 *            a header's offset may be anything up to that, and the .part is cut to it (0 starts
 *            over: what a FerryFileSender does when a digest of the resume state does not
 *            match its file).  The whole-file SHA-256 then needs the bytes already there: a worker thread
 *            reads them back while the new bytes are written, and the hash catches up before
 *            "end" is checked.
 *
 * Hashes:    besides the whole-file SHA-256, its digest at the end of each whole 1 MiB block of
 *            the .part (the SHA-256 of the file's first 1, 2, … MiB, from one pass over the
 *            bytes) is kept (ferry_file_receiver_get_block_hashes ()) once the block's bytes are
 *            written (handed to the kernel, not synced to the disk).  They are what a
 *            resume-state claims, and what the sender checks (FerryFileSenderItem.blocks).
 *
 * Writing:   writes are asynchronous (GIO), one at a time, in order; name choice, opening,
 *            renaming and reading back run in worker threads.  while the disk is slower than the network,
 *            received bytes wait in memory; past FERRY_FILE_RECEIVER_HOLD_HIGH the receiver
 *            stops reading the connection (its SCTP window closes and the sender waits) until
 *            the queue is below FERRY_FILE_RECEIVER_HOLD_LOW.  Should more than
 *            FERRY_FILE_RECEIVER_MAX_QUEUED bytes wait anyway, the receiver stops with
 *            FERRY_FILE_RECEIVER_ERROR_TOO_SLOW rather than grow without bound.  The checks and
 *            renaming of a finished file go on while the next file is written, so ::file-received
 *            may come after bytes of the next file have been written.
 *
 * Errors:    a disk error (e.g. G_IO_ERROR_NO_SPACE) stops the receiver with ::failed, in the
 *            G_IO_ERROR domain with the file named in the message; the .part files are kept.
 *            Nothing is ever deleted by the receiver (on a "cancel" from the peer the caller
 *            deletes the .part files).
 *
 * Ownership: the receiver holds a reference on the channel and connects to its signals but never
 *            sends on it nor closes it.  It owns its streams and threads' work.
 *
 * Properties:
 *   bytes-received (guint64)  file bytes written in this session (EXPLICIT_NOTIFY, at most about
 *                             10 notifications a second, and one when a file is written)
 * Signals:
 *   ::file-received (guint index, GFile *final, const char *sha256)  checked and renamed
 *   ::file-failed (guint index, GError *error)                       checks failed, .part kept
 *   ::finished ()                                                    every file was received
 *   ::failed (GError *error)                                         stopped for good
 *
 * Everything runs on the thread-default GMainContext of the thread that created the receiver.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-data-channel.h"
#include "ferry-prefix-hash.h"

G_BEGIN_DECLS

#define FERRY_FILE_RECEIVER_BLOCK_SIZE  FERRY_PREFIX_HASH_BLOCK
#define FERRY_FILE_RECEIVER_MAX_QUEUED  (64 * 1024 * 1024)
/* Reading from the connection stops when this much waits to be written, and goes on below the
 * low mark (ferry_data_channel_set_receive_held ()). */
#define FERRY_FILE_RECEIVER_HOLD_HIGH   (8 * 1024 * 1024)
#define FERRY_FILE_RECEIVER_HOLD_LOW    (2 * 1024 * 1024)

#define FERRY_FILE_RECEIVER_ERROR (ferry_file_receiver_error_quark ())

typedef enum {
  FERRY_FILE_RECEIVER_ERROR_PROTOCOL,  /* the sender broke the framing */
  FERRY_FILE_RECEIVER_ERROR_SIZE,      /* "end" differs from the accepted size or the bytes held */
  FERRY_FILE_RECEIVER_ERROR_CHECKSUM,  /* SHA-256 mismatch */
  FERRY_FILE_RECEIVER_ERROR_TOO_SLOW,  /* the disk could not keep up: too much waiting in memory */
  FERRY_FILE_RECEIVER_ERROR_CHANNEL,   /* the channel closed before every file arrived */
} FerryFileReceiverError;

/* One accepted file. */
typedef struct {
  guint        index;   /* its position in the offer */
  const char  *path;    /* safe relative path, "/" between components */
  guint64      size;    /* accepted size */
  guint64      resume;  /* bytes of "path.part" the caller's resume state vouches for; 0 if new */
} FerryFileReceiverItem;

#define FERRY_TYPE_FILE_RECEIVER (ferry_file_receiver_get_type ())
G_DECLARE_FINAL_TYPE (FerryFileReceiver, ferry_file_receiver, FERRY, FILE_RECEIVER, GObject)

GQuark             ferry_file_receiver_error_quark  (void);

/* Starts listening on @channel at once.  @folder is where the paths are placed (the download
 * folder, or the folder the caller chose for this transfer).  @items is copied; indexes must be
 * distinct. */
FerryFileReceiver *ferry_file_receiver_new          (FerryDataChannel            *channel,
                                                     GFile                       *folder,
                                                     const FerryFileReceiverItem *items,
                                                     guint                        n_items);

/* Stops for good, without ::failed: later messages are ignored, writes under way are cancelled,
 * every .part is kept. */
void               ferry_file_receiver_cancel       (FerryFileReceiver           *self);

guint64            ferry_file_receiver_get_bytes_received (FerryFileReceiver     *self);

/* Bytes of file @index's .part written so far (0 for an unknown index). */
guint64            ferry_file_receiver_get_written  (FerryFileReceiver           *self,
                                                     guint                        index);
/* The digests (32 bytes each, in order) at the end of each whole 1 MiB block of file @index's
 * .part hashed so far, or %NULL for an unknown index.  @hash_state (optional) gets the running
 * hash's state at the end of the last of them (FERRY_PREFIX_HASH_STATE_LEN bytes), from which
 * ferry_prefix_hash_restore () goes on. */
GBytes            *ferry_file_receiver_get_block_hashes (FerryFileReceiver       *self,
                                                         guint                    index,
                                                         GBytes                 **hash_state);

G_END_DECLS
