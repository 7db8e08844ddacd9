/* ferry-file-receiver.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Incoming messages are checked against the framing as they arrive (so a broken sender is
 * stopped at once) and queued as operations: open a file, write bytes, end a file.  The queue is
 * worked through one asynchronous step at a time.  Each file has a hasher (whole-file SHA-256,
 * and its digest at the end of each 1 MiB block) that follows what is written: fed from memory
 * when it is up to date, or lent to a worker thread that reads the .part back (the bytes kept
 * from an earlier session, and whatever was written meanwhile) until it is.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-crypto.h"
#include "ferry-disk-worker.h"
#include "ferry-file-receiver.h"
#include "ferry-prefix-hash.h"
#include "ferry-transfer-path.h"

#define NOTIFY_INTERVAL_US (100 * 1000)
/* A header or an end is a few dozen bytes. */
#define MAX_TEXT 1024
/* Reading back a .part in a worker thread. */
#define READ_BACK_CHUNK (1024 * 1024)

typedef enum {
  ARRIVAL_NONE,    /* no header yet */
  ARRIVAL_ACTIVE,  /* header seen, bytes coming */
  ARRIVAL_ENDED,   /* end seen */
} Arrival;

typedef enum {
  RESULT_PENDING,
  RESULT_RECEIVED,
  RESULT_FAILED,
} Result;

typedef struct _FerryFileReceiver FerryFileReceiver;

typedef struct {
  FerryFileReceiver *receiver;
  guint              index;
  char              *path;
  guint64            size;
  guint64            resume;

  /* What the incoming messages said. */
  Arrival            arrival;
  guint64            arrived;       /* offset + bytes received */
  Result             result;

  /* What was done with them. */
  GFile             *part;
  GFileIOStream     *io;
  guint64            written;       /* length of the .part */
  FerryPrefixHash   *hasher;        /* NULL while a worker thread has it */
  guint64            hashed;        /* bytes of the .part the hasher has seen */
  GByteArray        *blocks;        /* 32-byte digests */
  guint8             hash_state[FERRY_PREFIX_HASH_STATE_LEN];  /* at the end of the last of them */
  gboolean           end_pending;   /* "end" processed, checks to do */
  guint64            end;
  char              *end_sha256;
  gboolean           finishing;     /* closing (and renaming) in a worker thread */
  GError            *file_error;    /* why it fails, while the .part closes */
} FileState;

typedef enum {
  OP_HEADER,
  OP_DATA,
  OP_END,
} OpKind;

typedef struct {
  OpKind     kind;
  FileState *file;
  guint64    offset;
  GBytes    *data;
  guint64    end;
  char      *sha256;
} Op;

struct _FerryFileReceiver
{
  GObject           parent_instance;

  FerryDataChannel *channel;
  gulong            message_handler;
  gulong            close_handler;
  gboolean          channel_closed;
  GFile            *folder;

  GPtrArray        *files;          /* FileState, in the given order */
  GHashTable       *by_index;       /* offer index → FileState */
  FileState        *arriving;       /* the file whose bytes are arriving */

  GQueue            ops;
  guint64           queued;         /* data bytes received and not yet written */
  gboolean          busy;           /* an operation is under way */
  guint             n_threads;      /* read-backs and closes under way */
  guint             n_received;

  GCancellable     *cancellable;
  gboolean          stopped;

  guint64           bytes_received;
  guint64           bytes_notified;
  gint64            last_notify;
};

G_DEFINE_FINAL_TYPE (FerryFileReceiver, ferry_file_receiver, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-file-receiver-error-quark, ferry_file_receiver_error)

enum {
  PROP_0,
  PROP_BYTES_RECEIVED,
  N_PROPS
};

enum {
  FILE_RECEIVED,
  FILE_FAILED,
  FINISHED,
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void process (FerryFileReceiver *self);
static void maybe_verify (FileState *file);
static void check_done (FerryFileReceiver *self);

/* Hashing */

static FerryPrefixHash *
hasher_new (void)
{
  FerryPrefixHash *hasher = g_new (FerryPrefixHash, 1);

  ferry_prefix_hash_init (hasher);
  return hasher;
}

/* The hasher is back from a worker thread, with the digests of the blocks it completed, or
 * NULL when the job failed: then they are not vouched for (the file fails anyway). */
static void
hasher_returned (FileState       *file,
                 FerryPrefixHash *hasher,
                 GByteArray      *blocks)
{
  file->hasher = hasher;
  if (blocks == NULL)
    return;
  g_byte_array_append (file->blocks, blocks->data, blocks->len);
  g_assert (hasher->n_blocks == file->blocks->len / FERRY_SHA256_LEN);
  memcpy (file->hash_state, hasher->state, sizeof file->hash_state);
}

/* Files and operations */

static void
file_state_free (FileState *file)
{
  g_free (file->path);
  g_clear_object (&file->part);
  g_clear_object (&file->io);
  g_free (file->hasher);
  g_byte_array_unref (file->blocks);
  g_free (file->end_sha256);
  g_clear_error (&file->file_error);
  g_free (file);
}

static void
op_free (Op *op)
{
  g_clear_pointer (&op->data, g_bytes_unref);
  g_free (op->sha256);
  g_free (op);
}

static void
notify_bytes (FerryFileReceiver *self,
              gboolean           force)
{
  gint64 now = g_get_monotonic_time ();

  if (self->bytes_notified == self->bytes_received)
    return;
  if (!force && now - self->last_notify < NOTIFY_INTERVAL_US)
    return;
  self->bytes_notified = self->bytes_received;
  self->last_notify = now;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_RECEIVED]);
}

static void
disconnect_channel (FerryFileReceiver *self)
{
  g_clear_signal_handler (&self->message_handler, self->channel);
  g_clear_signal_handler (&self->close_handler, self->channel);
}

/* Stops for good; @error (taken) is emitted as ::failed unless it is NULL. */
static void
stop (FerryFileReceiver *self,
      GError            *error)
{
  if (self->stopped)
    {
      g_clear_error (&error);
      return;
    }
  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
  disconnect_channel (self);
  g_queue_clear_full (&self->ops, (GDestroyNotify) op_free);
  self->queued = 0;
  ferry_data_channel_set_receive_held (self->channel, FALSE);
  notify_bytes (self, TRUE);

  if (error != NULL)
    {
      g_object_ref (self);
      g_debug ("Transfer channel %s: receiving failed: %s",
               ferry_data_channel_get_label (self->channel), error->message);
      g_signal_emit (self, signals[FAILED], 0, error);
      g_error_free (error);
      g_object_unref (self);
    }
}

static void G_GNUC_PRINTF (2, 3)
protocol_error (FerryFileReceiver *self,
                const char        *format,
                ...)
{
  va_list args;
  g_autofree char *detail = NULL;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  stop (self, g_error_new (FERRY_FILE_RECEIVER_ERROR, FERRY_FILE_RECEIVER_ERROR_PROTOCOL,
                           _("The sender broke the transfer protocol: %s"), detail));
}

/* A disk error on @file, kept in its G_IO_ERROR code. */
static void
disk_error (FileState *file,
            GError    *error)
{
  FerryFileReceiver *self = file->receiver;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->stopped)
    {
      g_error_free (error);
      return;
    }
  stop (self, g_error_new (error->domain, error->code, _("Could not write “%s”: %s"),
                           file->path, error->message));
  g_error_free (error);
}

/* Worker threads: opening, reading back, closing and renaming */

typedef struct {
  GFile   *folder;
  char    *path;
  guint64  offset;
  guint64  resume;
  GFile   *part;          /* out */
  GFileIOStream *io;      /* out */
} PrepareData;

static void
prepare_data_free (PrepareData *data)
{
  g_clear_object (&data->folder);
  g_free (data->path);
  g_clear_object (&data->part);
  g_clear_object (&data->io);
  g_free (data);
}

static void
prepare_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PrepareData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *part_path = ferry_transfer_path_part_name (data->path);
  g_autoptr(GFile) part = NULL;
  g_autoptr(GFile) parent = NULL;
  g_autoptr(GFileIOStream) io = NULL;
  g_autoptr(GFileInfo) info = NULL;
  guint64 length, held;

  part = ferry_transfer_path_resolve (data->folder, part_path, &error);
  if (part == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  parent = g_file_get_parent (part);
  if (!g_file_make_directory_with_parents (parent, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&error);

  io = g_file_open_readwrite (part, cancellable, &error);
  if (io == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_clear_error (&error);
      io = g_file_create_readwrite (part, G_FILE_CREATE_NONE, cancellable, &error);
    }
  if (io == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  info = g_file_io_stream_query_info (io, G_FILE_ATTRIBUTE_STANDARD_SIZE, cancellable, &error);
  if (info == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  length = (guint64) g_file_info_get_size (info);
  held = MIN (length, data->resume);
  if (data->offset > held)
    {
      g_task_return_new_error (task, FERRY_FILE_RECEIVER_ERROR,
                               FERRY_FILE_RECEIVER_ERROR_PROTOCOL,
                               _("The sender broke the transfer protocol: %s"),
                               "resume offset beyond the bytes held");
      return;
    }
  /* Only a longer .part is cut: ext4 takes a cut to zero for a file being replaced and, on
   * close, writes out every byte written since (auto_da_alloc), which cost 40–80 ms at the end
   * of a new 256 MiB file. */
  if ((length > data->offset &&
       !g_seekable_truncate (G_SEEKABLE (io), (goffset) data->offset, cancellable, &error)) ||
      !g_seekable_seek (G_SEEKABLE (io), (goffset) data->offset, G_SEEK_SET, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data->part = g_steal_pointer (&part);
  data->io = g_steal_pointer (&io);
  g_task_return_boolean (task, TRUE);
}

typedef struct {
  GFile           *part;
  guint64          from;
  guint64          to;
  FerryPrefixHash *hasher;
  GByteArray      *blocks;
  FileState       *file;     /* touched only on the receiver's context */
} ReadBackData;

static void
read_back_data_free (ReadBackData *data)
{
  g_clear_object (&data->part);
  g_free (data->hasher);
  g_byte_array_unref (data->blocks);
  g_free (data);
}

static void
read_back_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  ReadBackData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autofree guint8 *buf = g_malloc (READ_BACK_CHUNK);
  guint64 position = data->from;

  stream = g_file_read (data->part, cancellable, &error);
  if (stream == NULL ||
      !g_seekable_seek (G_SEEKABLE (stream), (goffset) position, G_SEEK_SET, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  while (position < data->to)
    {
      gsize want = (gsize) MIN (READ_BACK_CHUNK, data->to - position);
      gsize got = 0;

      if (!g_input_stream_read_all (G_INPUT_STREAM (stream), buf, want, &got, cancellable,
                                    &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (got < want)
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                   _("The file became shorter while it was written"));
          return;
        }
      ferry_prefix_hash_update (data->hasher, buf, got, data->blocks);
      position += got;
    }
  g_task_return_boolean (task, TRUE);
}

typedef struct {
  GFileIOStream *io;
  GFile         *part;
  GFile         *folder;
  char          *path;
  gboolean       move;
  GFile         *final;   /* out */
} FinishData;

static void
finish_data_free (FinishData *data)
{
  g_clear_object (&data->io);
  g_clear_object (&data->part);
  g_clear_object (&data->folder);
  g_free (data->path);
  g_clear_object (&data->final);
  g_free (data);
}

static void
finish_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FinishData *data = task_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autoptr(GFile) parent = NULL;

  /* Closed even when cancelled, so that the .part is complete on disk. */
  if (!g_io_stream_close (G_IO_STREAM (data->io), NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!data->move)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  dir = g_path_get_dirname (data->path);
  base = g_path_get_basename (data->path);
  if (strcmp (dir, ".") == 0)
    parent = g_object_ref (data->folder);
  else if ((parent = ferry_transfer_path_resolve (data->folder, dir, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!(data->final = ferry_transfer_path_move_to_free_name (data->part, parent, base, cancellable, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* Keeping the hasher up to date */

static void
read_back_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  FerryFileReceiver *self = FERRY_FILE_RECEIVER (object);
  GTask *task = G_TASK (result);
  ReadBackData *data = g_task_get_task_data (task);
  FileState *file = data->file;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  self->n_threads--;
  ok = g_task_propagate_boolean (task, &error);
  /* The hasher comes back in every case, so that it is freed with the file. */
  hasher_returned (file, g_steal_pointer (&data->hasher), ok ? data->blocks : NULL);
  if (!ok)
    {
      disk_error (file, g_steal_pointer (&error));
      check_done (self);
      return;
    }
  file->hashed = data->to;
  if (self->stopped)
    return;
  maybe_verify (file);
  check_done (self);
}

/* Feeds the hasher from the .part up to what is written, in a worker thread. */
static void
read_back (FileState *file)
{
  FerryFileReceiver *self = file->receiver;
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, read_back_cb, NULL);
  ReadBackData *data = g_new0 (ReadBackData, 1);

  data->part = g_object_ref (file->part);
  data->from = file->hashed;
  data->to = file->written;
  data->hasher = g_steal_pointer (&file->hasher);
  data->blocks = g_byte_array_new ();
  data->file = file;
  g_task_set_task_data (task, data, (GDestroyNotify) read_back_data_free);
  self->n_threads++;
  ferry_disk_worker_run (task, read_back_thread);
}

/* Ending a file */

static void
finish_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  FerryFileReceiver *self = FERRY_FILE_RECEIVER (object);
  GTask *task = G_TASK (result);
  FinishData *data = g_task_get_task_data (task);
  FileState *file = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sha256 = g_steal_pointer (&file->end_sha256);

  self->n_threads--;
  file->finishing = FALSE;
  if (!g_task_propagate_boolean (task, &error))
    {
      disk_error (file, g_steal_pointer (&error));
      check_done (self);
      return;
    }
  if (self->stopped)
    return;

  g_object_ref (self);
  if (file->file_error != NULL)
    {
      g_autoptr(GError) file_error = g_steal_pointer (&file->file_error);

      file->result = RESULT_FAILED;
      g_debug ("Transfer channel %s: file %u failed: %s",
               ferry_data_channel_get_label (self->channel), file->index, file_error->message);
      g_signal_emit (self, signals[FILE_FAILED], 0, file->index, file_error);
    }
  else
    {
      file->result = RESULT_RECEIVED;
      self->n_received++;
      g_signal_emit (self, signals[FILE_RECEIVED], 0, file->index, data->final, sha256);
    }
  check_done (self);
  g_object_unref (self);
}

/* Closes the .part; renames it unless @error (taken) says why the file failed. */
static void
finish_file (FileState *file,
             GError    *error)
{
  FerryFileReceiver *self = file->receiver;
  g_autoptr(GTask) task = g_task_new (self, NULL, finish_cb, file);
  FinishData *data = g_new0 (FinishData, 1);

  file->end_pending = FALSE;
  file->finishing = TRUE;
  file->file_error = error;
  data->io = g_steal_pointer (&file->io);
  data->part = g_object_ref (file->part);
  data->folder = g_object_ref (self->folder);
  data->path = g_strdup (file->path);
  data->move = error == NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) finish_data_free);
  self->n_threads++;
  /* Not cancellable once the checks passed: a checked file is renamed even during a cancel. */
  ferry_disk_worker_run (task, finish_thread);
}

static void
maybe_verify (FileState *file)
{
  FerryFileReceiver *self = file->receiver;
  guint8 digest[FERRY_SHA256_LEN];
  g_autofree char *hex = NULL;

  if (file->hasher == NULL)
    return;  /* read_back_cb () comes back here */
  if (file->hashed < file->written)
    {
      read_back (file);
      return;
    }
  if (!file->end_pending || self->stopped)
    return;

  if (file->end != file->size)
    {
      finish_file (file, g_error_new (FERRY_FILE_RECEIVER_ERROR, FERRY_FILE_RECEIVER_ERROR_SIZE,
                                      _("The sender ended “%s” at %" G_GUINT64_FORMAT
                                        " bytes instead of %" G_GUINT64_FORMAT),
                                      file->path, file->end, file->size));
      return;
    }
  if (file->written != file->end)
    {
      finish_file (file, g_error_new (FERRY_FILE_RECEIVER_ERROR, FERRY_FILE_RECEIVER_ERROR_SIZE,
                                      _("“%s” ended after %" G_GUINT64_FORMAT
                                        " bytes instead of %" G_GUINT64_FORMAT),
                                      file->path, file->written, file->end));
      return;
    }

  ferry_prefix_hash_finish (file->hasher, digest);
  hex = ferry_hex_encode (digest, sizeof digest);
  if (strcmp (hex, file->end_sha256) != 0)
    {
      finish_file (file, g_error_new (FERRY_FILE_RECEIVER_ERROR,
                                      FERRY_FILE_RECEIVER_ERROR_CHECKSUM,
                                      _("The checksum of “%s” does not match"), file->path));
      return;
    }
  finish_file (file, NULL);
}

/* Working through the operations */

static void
prepare_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  FerryFileReceiver *self = FERRY_FILE_RECEIVER (object);
  GTask *task = G_TASK (result);
  PrepareData *data = g_task_get_task_data (task);
  FileState *file = user_data;
  g_autoptr(GError) error = NULL;

  self->busy = FALSE;
  if (!g_task_propagate_boolean (task, &error))
    {
      if (g_error_matches (error, FERRY_FILE_RECEIVER_ERROR, FERRY_FILE_RECEIVER_ERROR_PROTOCOL))
        stop (self, g_steal_pointer (&error));
      else
        disk_error (file, g_steal_pointer (&error));
      return;
    }
  if (self->stopped)
    return;

  g_set_object (&file->part, data->part);
  g_set_object (&file->io, data->io);
  file->written = data->offset;
  file->hashed = 0;
  g_free (file->hasher);
  file->hasher = hasher_new ();
  g_byte_array_set_size (file->blocks, 0);
  memcpy (file->hash_state, file->hasher->state, sizeof file->hash_state);
  /* The bytes kept from before are hashed in the background. */
  if (file->written > 0)
    read_back (file);
  process (self);
}

/* Consecutive data of one file, written with one call in a worker thread, which also hashes
 * it when the file's hasher is up to date (the hasher is lent to the job meanwhile): the network
 * thread never waits for the disk or the hash. */
typedef struct {
  FileState       *file;
  GOutputStream   *out;
  GPtrArray       *data;      /* GBytes */
  GOutputVector   *vectors;
  gsize            len;
  FerryPrefixHash *hasher;    /* lent, or NULL: the bytes are read back later */
  GByteArray      *blocks;    /* digests of the blocks completed */
} Batch;

#define WRITE_BATCH (8 * 1024 * 1024)

static void
batch_free (Batch *batch)
{
  g_object_unref (batch->out);
  g_ptr_array_unref (batch->data);
  g_free (batch->vectors);
  g_byte_array_unref (batch->blocks);
  g_free (batch);
}

static void
write_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Batch *batch = task_data;
  GError *error = NULL;

  if (!g_output_stream_writev_all (batch->out, batch->vectors, batch->data->len, NULL,
                                   cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; batch->hasher != NULL && i < batch->data->len; i++)
    ferry_prefix_hash_update (batch->hasher, batch->vectors[i].buffer, batch->vectors[i].size,
                              batch->blocks);
  g_task_return_boolean (task, TRUE);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  FerryFileReceiver *self = FERRY_FILE_RECEIVER (object);
  Batch *batch = g_task_get_task_data (G_TASK (result));
  FileState *file = batch->file;
  gboolean hashed = batch->hasher != NULL;
  gboolean ok;
  g_autoptr(GError) error = NULL;

  self->busy = FALSE;
  ok = g_task_propagate_boolean (G_TASK (result), &error);
  /* The hasher comes back in every case, so that it is freed with the file. */
  if (hashed)
    hasher_returned (file, g_steal_pointer (&batch->hasher), ok ? batch->blocks : NULL);
  if (!ok)
    {
      disk_error (file, g_steal_pointer (&error));
      return;
    }
  if (self->stopped)
    return;

  self->queued -= batch->len;
  if (self->queued <= FERRY_FILE_RECEIVER_HOLD_LOW)
    ferry_data_channel_set_receive_held (self->channel, FALSE);
  if (hashed)
    file->hashed += batch->len;
  file->written += batch->len;
  self->bytes_received += batch->len;
  notify_bytes (self, FALSE);
  process (self);
}

static Batch *
take_batch (FerryFileReceiver *self,
            Op                *first)
{
  Batch *batch = g_new0 (Batch, 1);
  Op *op = first;

  batch->file = first->file;
  batch->out = g_object_ref (g_io_stream_get_output_stream (G_IO_STREAM (first->file->io)));
  batch->data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  batch->blocks = g_byte_array_new ();
  for (;;)
    {
      batch->len += g_bytes_get_size (op->data);
      g_ptr_array_add (batch->data, g_steal_pointer (&op->data));
      op_free (op);
      op = g_queue_peek_head (&self->ops);
      if (op == NULL || op->kind != OP_DATA || op->file != batch->file ||
          batch->len + g_bytes_get_size (op->data) > WRITE_BATCH)
        break;
      g_queue_pop_head (&self->ops);
    }
  batch->vectors = g_new (GOutputVector, batch->data->len);
  for (guint i = 0; i < batch->data->len; i++)
    batch->vectors[i].buffer = g_bytes_get_data (g_ptr_array_index (batch->data, i),
                                                 &batch->vectors[i].size);
  return batch;
}

static void
process (FerryFileReceiver *self)
{
  while (!self->stopped && !self->busy)
    {
      Op *op = g_queue_pop_head (&self->ops);
      FileState *file;

      if (op == NULL)
        {
          check_done (self);
          return;
        }
      file = op->file;

      switch (op->kind)
        {
        case OP_HEADER:
          {
            g_autoptr(GTask) task = g_task_new (self, self->cancellable, prepare_cb, file);
            PrepareData *data = g_new0 (PrepareData, 1);

            data->folder = g_object_ref (self->folder);
            data->path = g_strdup (file->path);
            data->offset = op->offset;
            data->resume = file->resume;
            /* After this header, only what it writes counts as held. */
            file->resume = op->offset;
            g_task_set_task_data (task, data, (GDestroyNotify) prepare_data_free);
            self->busy = TRUE;
            ferry_disk_worker_run (task, prepare_thread);
            op_free (op);
          }
          return;

        case OP_DATA:
          {
            g_autoptr(GTask) task = g_task_new (self, self->cancellable, write_cb, NULL);
            Batch *batch = take_batch (self, op);

            /* Lent only when up to date: otherwise a read-back has it or will catch up. */
            if (file->hasher != NULL && file->hashed == file->written)
              batch->hasher = g_steal_pointer (&file->hasher);
            g_task_set_task_data (task, batch, (GDestroyNotify) batch_free);
            self->busy = TRUE;
            ferry_disk_worker_run (task, write_thread);
          }
          return;

        case OP_END:
          file->end_pending = TRUE;
          file->end = op->end;
          g_free (file->end_sha256);
          file->end_sha256 = g_steal_pointer (&op->sha256);
          op_free (op);
          notify_bytes (self, TRUE);
          maybe_verify (file);
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

static void
check_done (FerryFileReceiver *self)
{
  if (self->stopped)
    return;

  if (self->n_received == self->files->len)
    {
      g_object_ref (self);
      self->stopped = TRUE;
      disconnect_channel (self);
      notify_bytes (self, TRUE);
      g_signal_emit (self, signals[FINISHED], 0);
      g_object_unref (self);
      return;
    }

  /* Once the channel has closed and everything that came is dealt with, nothing more can. */
  if (self->channel_closed && !self->busy && g_queue_is_empty (&self->ops) &&
      self->n_threads == 0)
    stop (self, g_error_new_literal (FERRY_FILE_RECEIVER_ERROR, FERRY_FILE_RECEIVER_ERROR_CHANNEL,
                                     _("The data channel closed before every file arrived")));
}

/* Incoming messages */

static gboolean
read_uint (JsonObject *object,
           const char *name,
           guint64     max,
           guint64    *out)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  value = json_node_get_int (node);
  if (value < 0 || (guint64) value > max)
    return FALSE;
  *out = (guint64) value;
  return TRUE;
}

static gboolean
is_lower_hex_sha256 (const char *text)
{
  if (strlen (text) != 2 * FERRY_SHA256_LEN)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static void
push (FerryFileReceiver *self,
      Op                *op)
{
  g_queue_push_tail (&self->ops, op);
  process (self);
}

static void
receive_text (FerryFileReceiver *self,
              GBytes            *bytes)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  JsonNode *root;
  JsonObject *object;
  guint64 index, offset, end;
  FileState *file;
  Op *op;

  if (len > MAX_TEXT || !json_parser_load_from_data (parser, text ? text : "", len, &error) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      protocol_error (self, "malformed message");
      return;
    }
  object = json_node_get_object (root);
  if (!read_uint (object, "file", G_MAXUINT, &index))
    {
      protocol_error (self, "message without a file index");
      return;
    }
  file = g_hash_table_lookup (self->by_index, GUINT_TO_POINTER ((guint) index));
  if (file == NULL)
    {
      protocol_error (self, "unknown file %" G_GUINT64_FORMAT, index);
      return;
    }

  if (json_object_has_member (object, "offset") && !json_object_has_member (object, "end"))
    {
      if (!read_uint (object, "offset", G_MAXINT64, &offset))
        {
          protocol_error (self, "malformed offset");
          return;
        }
      if (self->arriving != NULL)
        {
          protocol_error (self, "file %u started before file %u ended", file->index,
                          self->arriving->index);
          return;
        }
      /* A file may come again only after it failed (from offset 0, says the protocol). */
      if (!(file->arrival == ARRIVAL_NONE ||
            (file->arrival == ARRIVAL_ENDED && file->result == RESULT_FAILED)))
        {
          protocol_error (self, "file %u sent twice", file->index);
          return;
        }
      if (offset > file->size)
        {
          protocol_error (self, "offset beyond the end of file %u", file->index);
          return;
        }
      file->arrival = ARRIVAL_ACTIVE;
      file->arrived = offset;
      file->result = RESULT_PENDING;
      self->arriving = file;
      op = g_new0 (Op, 1);
      op->kind = OP_HEADER;
      op->file = file;
      op->offset = offset;
      push (self, op);
    }
  else if (json_object_has_member (object, "end") && !json_object_has_member (object, "offset"))
    {
      JsonNode *node = json_object_get_member (object, "sha256");
      const char *sha256;

      if (!read_uint (object, "end", G_MAXINT64, &end) || node == NULL ||
          !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
          !is_lower_hex_sha256 ((sha256 = json_node_get_string (node))))
        {
          protocol_error (self, "malformed end of file %u", file->index);
          return;
        }
      if (self->arriving != file)
        {
          protocol_error (self, "end of file %u, which was not being sent", file->index);
          return;
        }
      file->arrival = ARRIVAL_ENDED;
      self->arriving = NULL;
      op = g_new0 (Op, 1);
      op->kind = OP_END;
      op->file = file;
      op->end = end;
      op->sha256 = g_strdup (sha256);
      push (self, op);
    }
  else
    protocol_error (self, "a message that is neither the start nor the end of a file");
}

static void
receive_bytes (FerryFileReceiver *self,
               GBytes            *bytes)
{
  FileState *file = self->arriving;
  gsize len = g_bytes_get_size (bytes);
  Op *op;

  if (file == NULL)
    {
      protocol_error (self, "file data before a file header");
      return;
    }
  if (len > file->size - file->arrived)
    {
      protocol_error (self, "more bytes than the %" G_GUINT64_FORMAT " of file %u", file->size,
                      file->index);
      return;
    }
  if (self->queued + len > FERRY_FILE_RECEIVER_MAX_QUEUED)
    {
      stop (self, g_error_new (FERRY_FILE_RECEIVER_ERROR, FERRY_FILE_RECEIVER_ERROR_TOO_SLOW,
                               _("The disk cannot keep up: more than %u MiB are waiting to be "
                                 "written"), FERRY_FILE_RECEIVER_MAX_QUEUED / (1024 * 1024)));
      return;
    }
  if (len == 0)
    return;

  file->arrived += len;
  self->queued += len;
  /* The network is faster than the disk (or than this thread's hashing): stop reading the
   * connection until the writes catch up, so that the sender slows down instead of the queue
   * growing. */
  if (self->queued >= FERRY_FILE_RECEIVER_HOLD_HIGH)
    ferry_data_channel_set_receive_held (self->channel, TRUE);
  op = g_new0 (Op, 1);
  op->kind = OP_DATA;
  op->file = file;
  op->data = g_bytes_ref (bytes);
  push (self, op);
}

static void
channel_message_cb (FerryDataChannel  *channel,
                    GBytes            *bytes,
                    gboolean           is_text,
                    FerryFileReceiver *self)
{
  if (self->stopped)
    return;
  if (is_text)
    receive_text (self, bytes);
  else
    receive_bytes (self, bytes);
}

static void
channel_close_cb (FerryDataChannel  *channel,
                  FerryFileReceiver *self)
{
  self->channel_closed = TRUE;
  check_done (self);
}

/* GObject */

static void
ferry_file_receiver_dispose (GObject *object)
{
  FerryFileReceiver *self = FERRY_FILE_RECEIVER (object);

  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->channel != NULL)
    disconnect_channel (self);
  g_clear_object (&self->channel);
  g_queue_clear_full (&self->ops, (GDestroyNotify) op_free);

  G_OBJECT_CLASS (ferry_file_receiver_parent_class)->dispose (object);
}

static void
ferry_file_receiver_finalize (GObject *object)
{
  FerryFileReceiver *self = FERRY_FILE_RECEIVER (object);

  g_hash_table_unref (self->by_index);
  g_ptr_array_unref (self->files);
  g_clear_object (&self->folder);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ferry_file_receiver_parent_class)->finalize (object);
}

static void
ferry_file_receiver_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  FerryFileReceiver *self = FERRY_FILE_RECEIVER (object);

  switch (prop_id)
    {
    case PROP_BYTES_RECEIVED:
      g_value_set_uint64 (value, self->bytes_received);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_file_receiver_class_init (FerryFileReceiverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_file_receiver_dispose;
  object_class->finalize = ferry_file_receiver_finalize;
  object_class->get_property = ferry_file_receiver_get_property;

  properties[PROP_BYTES_RECEIVED] =
    g_param_spec_uint64 ("bytes-received", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FerryFileReceiver::file-received:
   * @index: the file's index in the offer
   * @final: where it now is
   * @sha256: its SHA-256, 64 lowercase hex digits
   */
  signals[FILE_RECEIVED] =
    g_signal_new ("file-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_FILE, G_TYPE_STRING);
  signals[FILE_FAILED] =
    g_signal_new ("file-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_ERROR);
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ferry_file_receiver_init (FerryFileReceiver *self)
{
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) file_state_free);
  self->by_index = g_hash_table_new (NULL, NULL);
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->ops);
}

FerryFileReceiver *
ferry_file_receiver_new (FerryDataChannel            *channel,
                         GFile                       *folder,
                         const FerryFileReceiverItem *items,
                         guint                        n_items)
{
  FerryFileReceiver *self;

  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (channel), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);
  g_return_val_if_fail (items != NULL || n_items == 0, NULL);

  self = g_object_new (FERRY_TYPE_FILE_RECEIVER, NULL);
  self->channel = g_object_ref (channel);
  self->folder = g_object_ref (folder);
  for (guint i = 0; i < n_items; i++)
    {
      FileState *file = g_new0 (FileState, 1);

      g_return_val_if_fail (items[i].path != NULL, self);
      g_return_val_if_fail (!g_hash_table_contains (self->by_index,
                                                    GUINT_TO_POINTER (items[i].index)), self);
      file->receiver = self;
      file->index = items[i].index;
      file->path = g_strdup (items[i].path);
      file->size = items[i].size;
      file->resume = items[i].resume;
      file->blocks = g_byte_array_new ();
      g_ptr_array_add (self->files, file);
      g_hash_table_insert (self->by_index, GUINT_TO_POINTER (file->index), file);
    }

  self->message_handler = g_signal_connect (channel, "message",
                                            G_CALLBACK (channel_message_cb), self);
  self->close_handler = g_signal_connect (channel, "close", G_CALLBACK (channel_close_cb), self);
  if (ferry_data_channel_get_state (channel) == FERRY_DATA_CHANNEL_CLOSED)
    self->channel_closed = TRUE;
  return self;
}

void
ferry_file_receiver_cancel (FerryFileReceiver *self)
{
  g_return_if_fail (FERRY_IS_FILE_RECEIVER (self));

  stop (self, NULL);
}

guint64
ferry_file_receiver_get_bytes_received (FerryFileReceiver *self)
{
  g_return_val_if_fail (FERRY_IS_FILE_RECEIVER (self), 0);

  return self->bytes_received;
}

guint64
ferry_file_receiver_get_written (FerryFileReceiver *self,
                                 guint              index)
{
  FileState *file;

  g_return_val_if_fail (FERRY_IS_FILE_RECEIVER (self), 0);

  file = g_hash_table_lookup (self->by_index, GUINT_TO_POINTER (index));
  return file != NULL ? file->written : 0;
}

GBytes *
ferry_file_receiver_get_block_hashes (FerryFileReceiver  *self,
                                      guint               index,
                                      GBytes            **hash_state)
{
  FileState *file;

  g_return_val_if_fail (FERRY_IS_FILE_RECEIVER (self), NULL);

  file = g_hash_table_lookup (self->by_index, GUINT_TO_POINTER (index));
  if (file == NULL)
    return NULL;
  if (hash_state != NULL)
    *hash_state = g_bytes_new (file->hash_state, sizeof file->hash_state);
  return g_bytes_new (file->blocks->data, file->blocks->len);
}
