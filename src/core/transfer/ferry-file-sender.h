/* ferry-file-sender.h: the sending half of a transfer's data channel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A FerryFileSender streams files on a data channel labelled "ferry-transfer/…", in the framing of
 * docs/PROTOCOL.md ("The data channel"): for each file, in the order given,
 *
 *   {"file": N, "offset": O}                      text
 *   the bytes [O, size) of the file               binary, each min (64 KiB, max-message-size)
 *   {"file": N, "end": SIZE, "sha256": "<hex>"}   text, SHA-256 of the whole file
 *
 * Resuming: an item with offset O > 0 carries @blocks, the SHA-256 digests the receiver claims
 *           for the file up to the end of each 1 MiB block (FERRY_FILE_RECEIVER_BLOCK_SIZE) of
 *           [0, O); O is a whole number of blocks.  The sender reads [0, O) once, before the
 *           file's header, to restore the whole-file SHA-256, and compares its digest at each
 *           block end.  If every one matches, the header says offset O and only [O, size) is
 *           sent.  At the first that differs (the block holding the first difference) it stops
 *           reading the prefix, emits ::file-restarted, starts the hash over and sends the whole
 *           file: header {"file": N, "offset": 0} (the receiver then cuts its .part to 0).
 *
 * Checks:   the header is the point of no return.  Before it, the file's type (regular), size and
 *           modification time (whole seconds) must equal the item's, and the file must open and
 *           its prefix read in full.  Otherwise nothing of that file is sent: ::file-refused
 *           gives the reason (FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED, or the G_IO_ERROR of the
 *           query, open or read, with the file named in the message) and the sender goes on
 *           with the next file; ::finished still comes after the last one.  After the header, a
 *           file that turns out shorter or longer while it is read, whose size or mtime changed
 *           by the time its last byte is read, or that cannot be read, fails the whole sender
 *           (::failed, SOURCE_CHANGED or G_IO_ERROR) before its "end" goes out, so the peer never
 *           gets a checksum for mixed contents.
 *
 * Threads:  the disk and the hashing never run on the sender's context.  Checking, opening and
 *           hashing the prefix is one GTask job in a worker thread; after the header, each job
 *           reads and hashes one chunk (min (64 KiB, max-message-size)), and the last one also
 *           checks for EOF and the size and mtime and finishes the SHA-256.  One job runs at a
 *           time per sender; their results come back on the sender's context, which alone sends
 *           on the channel.  No file is held in memory: at most 4 chunks wait, read and hashed,
 *           plus the one being read.  Dropping the last reference cancels the job under way.
 *
 * Flow:     the channel's buffered amount is kept between FERRY_FILE_SENDER_LOW_WATER and
 *           FERRY_FILE_SENDER_HIGH_WATER: chunks stop going out above the high mark (reading
 *           goes on until 4 wait) and start again on the channel's ::buffered-amount-low, whose
 *           threshold the sender sets to the low mark.
 *
 * Ownership: the sender holds a reference on the channel and connects to its signals, but never
 *           closes it, and it is not the only one allowed to send on it (the caller may close it
 *           once the receiver has confirmed the files on the control channel).  It owns its input
 *           streams, its hash state and its cancellable, and holds a reference on each item's
 *           file and blocks.  It changes the channel's buffered-amount-low-threshold.
 *
 * Properties:
 *   bytes-sent (guint64)  file bytes handed to the channel by this sender (the hashed prefix of a
 *                         resumed file does not count; a restarted file counts from 0); notified
 *                         at most about 10 times a second, and once more when a file ends
 *   paused (gboolean)
 * Signals:
 *   ::file-sent (guint index, const char *sha256)  the file's "end" was handed to the channel
 *   ::file-restarted (guint index)                 a claimed block differs; the file is sent
 *                                                  from offset 0 (before its header goes out)
 *   ::file-refused (guint index, GError *error)    the file changed or cannot be read before
 *                                                  its header; nothing of it was sent, the next
 *                                                  file follows
 *   ::finished ()                                  every file was sent or refused
 *   ::failed (GError *error)                       the sender stopped for good (source changed
 *                                                  or read error after a header, channel closed
 *                                                  or refused a message)
 *
 * Everything but the jobs runs on the thread-default GMainContext of the thread that created the
 * sender, where the signals are emitted.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-data-channel.h"
#include "ferry-file-receiver.h"  /* FERRY_FILE_RECEIVER_BLOCK_SIZE */

G_BEGIN_DECLS

#define FERRY_FILE_SENDER_CHUNK     (64 * 1024)
#define FERRY_FILE_SENDER_LOW_WATER  (1024 * 1024)
#define FERRY_FILE_SENDER_HIGH_WATER (4 * 1024 * 1024)

#define FERRY_FILE_SENDER_ERROR (ferry_file_sender_error_quark ())

typedef enum {
  FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED,  /* size or mtime differ from the offer's */
  FERRY_FILE_SENDER_ERROR_CHANNEL,         /* the data channel closed or refused a message */
  FERRY_FILE_SENDER_ERROR_INVALID,         /* an item's offset or blocks that cannot be honoured;
                                            * only if ferry_file_sender_new ()'s checks are
                                            * compiled out */
} FerryFileSenderError;

/* One file to send.  @mtime is in seconds since 1970 (UTC), as in the offer.  @blocks holds
 * offset / FERRY_FILE_RECEIVER_BLOCK_SIZE SHA-256 digests (32 bytes each, in order: of the file
 * up to the end of each block), those of the receiver's resume-state; %NULL (or empty) when
 * @offset is 0. */
typedef struct {
  GFile   *file;
  guint    index;    /* its position in the offer */
  guint64  offset;   /* first byte to send: 0, or where the receiver resumes (whole blocks) */
  guint64  size;     /* expected size */
  gint64   mtime;    /* expected modification time */
  GBytes  *blocks;   /* the receiver's block digests of [0, offset), or NULL */
} FerryFileSenderItem;

#define FERRY_TYPE_FILE_SENDER (ferry_file_sender_get_type ())
G_DECLARE_FINAL_TYPE (FerryFileSender, ferry_file_sender, FERRY, FILE_SENDER, GObject)

GQuark           ferry_file_sender_error_quark   (void);

/* @channel should be ordered and reliable; it may still be connecting (the sender waits for
 * ::open).  @items is copied (with a reference on each file and blocks).  Each item's offset
 * must be at most its size and a multiple of FERRY_FILE_RECEIVER_BLOCK_SIZE, with exactly
 * offset / FERRY_FILE_RECEIVER_BLOCK_SIZE digests in @blocks; otherwise this returns %NULL.
 * Nothing happens before ferry_file_sender_start (). */
FerryFileSender *ferry_file_sender_new           (FerryDataChannel          *channel,
                                                  const FerryFileSenderItem *items,
                                                  guint                      n_items);

void             ferry_file_sender_start         (FerryFileSender           *self);

/* Stops issuing reads and handing bytes to the channel (a chunk already read, or being read,
 * waits in memory).  Resume goes on where it was.  A job hashing a resumed file's prefix runs
 * on; the file's header waits for resume. */
void             ferry_file_sender_pause         (FerryFileSender           *self);
void             ferry_file_sender_resume        (FerryFileSender           *self);
gboolean         ferry_file_sender_get_paused    (FerryFileSender           *self);

/* Stops for good, without ::failed: cancels the job under way (its result is dropped when it
 * comes back) and closes the file.  What was handed to the channel stays there; the channel is
 * left open. */
void             ferry_file_sender_cancel        (FerryFileSender           *self);

guint64          ferry_file_sender_get_bytes_sent (FerryFileSender          *self);
/* The offer index of the file being sent (or that failed); -1 before start and after the end.
 * A refused file is passed at once, so this already names the next one after ::file-refused. */
int              ferry_file_sender_get_current_index (FerryFileSender       *self);

G_END_DECLS
