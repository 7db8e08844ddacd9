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
 * Reading:  files are read with GIO's asynchronous calls, one 64 KiB read at a time, so that no
 *           file is ever held in memory and the main loop never waits on the disk.  The SHA-256 is
 *           computed as the bytes are read (64 KiB of hashing per step).  A file resumed at an
 *           offset O > 0 is first read from 0 to O to restore its SHA-256, before its header goes
 *           out; only [O, size) is sent.
 *
 * Checks:   before a file's header is sent, its size and modification time (whole seconds) must
 *           equal those the caller gives (the ones the offer announced).  Otherwise the sender
 *           stops with FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED and sends nothing for that file.  A
 *           file that turns out shorter or longer while it is read, or whose size or mtime changed
 *           by the time its last byte is read, also fails the sender before its "end" goes out,
 *           so the peer never gets a checksum for mixed contents.
 *
 * Flow:     the channel's buffered amount is kept between FERRY_FILE_SENDER_LOW_WATER and
 *           FERRY_FILE_SENDER_HIGH_WATER: reads stop above the high mark and start again on the
 *           channel's ::buffered-amount-low, whose threshold the sender sets to the low mark.
 *
 * Ownership: the sender holds a reference on the channel and connects to its signals, but never
 *           closes it, and it is not the only one allowed to send on it (the caller may close it
 *           once the receiver has confirmed the files on the control channel).  It owns its input
 *           streams, its hash state and its cancellable.  It changes the channel's
 *           buffered-amount-low-threshold.
 *
 * Properties:
 *   bytes-sent (guint64)  file bytes handed to the channel by this sender (the hashed prefix of a
 *                         resumed file does not count); notified at most about 10 times a second,
 *                         and once more when a file ends
 *   paused (gboolean)
 * Signals:
 *   ::file-sent (guint index, const char *sha256)  the file's "end" was handed to the channel
 *   ::finished ()                                  every file was sent
 *   ::failed (GError)                              the sender stopped for good (source changed,
 *                                                  read error, channel closed or refused a message)
 *
 * Everything runs on the thread-default GMainContext of the thread that created the sender.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-data-channel.h"

G_BEGIN_DECLS

#define FERRY_FILE_SENDER_CHUNK     (64 * 1024)
#define FERRY_FILE_SENDER_LOW_WATER  (1024 * 1024)
#define FERRY_FILE_SENDER_HIGH_WATER (4 * 1024 * 1024)

#define FERRY_FILE_SENDER_ERROR (ferry_file_sender_error_quark ())

typedef enum {
  FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED,  /* size or mtime differ from the offer's */
  FERRY_FILE_SENDER_ERROR_CHANNEL,         /* the data channel closed or refused a message */
  FERRY_FILE_SENDER_ERROR_INVALID,         /* e.g. an offset beyond the file's size */
} FerryFileSenderError;

/* One file to send.  @mtime is in seconds since 1970 (UTC), as in the offer. */
typedef struct {
  GFile   *file;
  guint    index;    /* its position in the offer */
  guint64  offset;   /* first byte to send: 0, or where the receiver resumes */
  guint64  size;     /* expected size */
  gint64   mtime;    /* expected modification time */
} FerryFileSenderItem;

#define FERRY_TYPE_FILE_SENDER (ferry_file_sender_get_type ())
G_DECLARE_FINAL_TYPE (FerryFileSender, ferry_file_sender, FERRY, FILE_SENDER, GObject)

GQuark           ferry_file_sender_error_quark   (void);

/* @channel should be ordered and reliable; it may still be connecting (the sender waits for
 * ::open).  @items is copied.  Nothing happens before ferry_file_sender_start (). */
FerryFileSender *ferry_file_sender_new           (FerryDataChannel          *channel,
                                                  const FerryFileSenderItem *items,
                                                  guint                      n_items);

void             ferry_file_sender_start         (FerryFileSender           *self);

/* Stops issuing reads; a read already under way is still sent.  Resume goes on where it was. */
void             ferry_file_sender_pause         (FerryFileSender           *self);
void             ferry_file_sender_resume        (FerryFileSender           *self);
gboolean         ferry_file_sender_get_paused    (FerryFileSender           *self);

/* Stops for good, without ::failed: cancels the read under way and closes the file.  What was
 * handed to the channel stays there; the channel is left open. */
void             ferry_file_sender_cancel        (FerryFileSender           *self);

guint64          ferry_file_sender_get_bytes_sent (FerryFileSender          *self);
/* The offer index of the file being sent (or that failed); -1 before start and after the end. */
int              ferry_file_sender_get_current_index (FerryFileSender       *self);

G_END_DECLS
