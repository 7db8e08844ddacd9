/* ferry-file-sender.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The disk and the hashing run in worker threads (GTask), the channel on the sender's context.
 * Each file is a Reader: its stream, its whole-file hash and its position.  The Reader belongs
 * to the context while it is idle and is lent to one worker job at a time, so neither side needs
 * a lock: the GTask hand-over orders the memory.  There are two jobs:
 *
 *   open:  query size, mtime and type, open, and read the prefix [0, offset) of a resumed file,
 *          hashing it and comparing the hash at the end of each 1 MiB block with the
 *          receiver's digest;
 *   read:  read and hash the next chunks (READ_BATCH of them: a job per chunk cost more in
 *          thread hand-overs than the reading); after the last one, check for EOF, query size
 *          and mtime again on the open stream and finish the digest.
 *
 * Read chunks wait in a short queue (READ_AHEAD) until the channel's buffered amount lets them
 * go, so the next chunks are read and hashed while the channel encrypts and sends the previous
 * ones, and memory stays bounded by the queue, one batch in a worker and the high-water mark.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-crypto.h"
#include "ferry-disk-worker.h"
#include "ferry-file-receiver.h"
#include "ferry-file-sender.h"
#include "ferry-prefix-hash.h"

/* Notifications of bytes-sent are at least this far apart (µs). */
#define NOTIFY_INTERVAL_US (100 * 1000)
/* Chunks read and hashed ahead of the channel, and by one job. */
#define READ_AHEAD 16
#define READ_BATCH 16
#define BLOCK_SIZE FERRY_FILE_RECEIVER_BLOCK_SIZE

G_STATIC_ASSERT (BLOCK_SIZE % FERRY_FILE_SENDER_CHUNK == 0);

typedef enum {
  STEP_OPEN,     /* the open job: checks, opening, the prefix of a resumed file */
  STEP_HEADER,   /* send {"file", "offset"} */
  STEP_DATA,     /* read jobs and sends, then "end" */
  STEP_DONE,     /* every file sent or refused */
} Step;

/* One file being read.  Touched by one thread at a time: see the top of this file. */
typedef struct {
  GFile            *file;
  char             *name;       /* for messages */
  guint64           size;
  gint64            mtime;
  guint64           offset;     /* where the header says the bytes start */
  GBytes           *blocks;     /* the receiver's digests of [0, offset), or NULL */
  gsize             chunk;
  GFileInputStream *stream;
  FerryPrefixHash   whole;      /* with its digest at each block end, as the receiver keeps them */
  guint64           position;   /* next byte to read */
} Reader;

struct _FerryFileSender
{
  GObject           parent_instance;

  FerryDataChannel *channel;
  gulong            open_handler;
  gulong            close_handler;
  gulong            low_handler;

  GArray           *items;        /* FerryFileSenderItem, holding refs on file and blocks */
  guint             current;      /* position in @items */
  Step              step;
  gsize             chunk;

  GCancellable     *cancellable;
  Reader           *reader;       /* NULL between files and while lent to a job */
  gboolean          working;      /* a job is under way in a worker thread */
  GQueue            ready;        /* GBytes read and hashed, not yet handed to the channel */
  gboolean          read_done;    /* the last chunk is read; @sha256 holds the digest */
  char             *sha256;

  gboolean          started;
  gboolean          paused;
  gboolean          stopped;      /* failed, cancelled or finished */

  guint64           bytes_sent;
  guint64           bytes_notified;
  gint64            last_notify;
};

G_DEFINE_FINAL_TYPE (FerryFileSender, ferry_file_sender, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-file-sender-error-quark, ferry_file_sender_error)

enum {
  PROP_0,
  PROP_BYTES_SENT,
  PROP_PAUSED,
  N_PROPS
};

enum {
  FILE_SENT,
  FILE_REFUSED,
  FILE_RESTARTED,
  FINISHED,
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void pump (FerryFileSender *self);

static FerryFileSenderItem *
current_item (FerryFileSender *self)
{
  return &g_array_index (self->items, FerryFileSenderItem, self->current);
}

/* Readers */

static Reader *
reader_new (const FerryFileSenderItem *item,
            gsize                      chunk)
{
  Reader *reader = g_new0 (Reader, 1);

  reader->file = g_object_ref (item->file);
  reader->name = g_file_get_parse_name (item->file);
  reader->size = item->size;
  reader->mtime = item->mtime;
  reader->offset = item->offset;
  reader->blocks = item->blocks != NULL ? g_bytes_ref (item->blocks) : NULL;
  reader->chunk = chunk;
  return reader;
}

static void
reader_free (Reader *reader)
{
  if (reader == NULL)
    return;
  g_clear_object (&reader->file);
  g_free (reader->name);
  g_clear_pointer (&reader->blocks, g_bytes_unref);
  g_clear_object (&reader->stream);
  g_free (reader);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reader, reader_free)

static GError *
reader_changed_error (Reader *reader)
{
  return g_error_new (FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED,
                      _("“%s” changed since it was offered"), reader->name);
}

/* Takes @error and names the file in it, keeping its domain and code. */
static GError *
reader_io_error (Reader *reader,
                 GError *error)
{
  GError *named = g_error_new (error->domain, error->code, _("Could not read “%s”: %s"),
                               reader->name, error->message);

  g_error_free (error);
  return named;
}

/* Whether @info still describes the file the offer announced. */
static gboolean
reader_info_matches (Reader    *reader,
                     GFileInfo *info,
                     gboolean   check_type)
{
  if (check_type && g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return FALSE;
  if (!g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE) ||
      !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_TIME_MODIFIED))
    return FALSE;
  return (guint64) g_file_info_get_size (info) == reader->size &&
         g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED) ==
           (guint64) reader->mtime;
}

/* Jobs, run in worker threads */

typedef struct {
  GWeakRef  sender;     /* not a strong reference: dropping the sender cancels the job */
  Reader   *reader;     /* lent to the job, given back by the callback */
  /* Out: open */
  gboolean  restarted;  /* a block differed: the file goes again from 0 */
  guint64   bad_block;
  /* In: read */
  GPtrArray *buffers;   /* READ_BATCH chunks' memory, from the sender's thread (see start_job) */
  /* Out: read */
  GPtrArray *chunks;    /* GBytes, none empty */
  char     *sha256;     /* set after the last chunk */
} Job;

static void
job_free (Job *job)
{
  g_weak_ref_clear (&job->sender);
  reader_free (job->reader);
  g_clear_pointer (&job->chunks, g_ptr_array_unref);
  g_clear_pointer (&job->buffers, g_ptr_array_unref);
  g_free (job->sha256);
  g_free (job);
}

static Job *
job_new (FerryFileSender *self)
{
  Job *job = g_new0 (Job, 1);

  g_weak_ref_init (&job->sender, self);
  job->reader = g_steal_pointer (&self->reader);
  return job;
}

/* Reads exactly @len bytes; a short read means the file is shorter than offered. */
static gboolean
read_exactly (Reader        *reader,
              guint8        *buf,
              gsize          len,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autoptr(GError) local = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all (G_INPUT_STREAM (reader->stream), buf, len, &got, cancellable,
                                &local))
    {
      g_propagate_error (error, reader_io_error (reader, g_steal_pointer (&local)));
      return FALSE;
    }
  if (got < len)
    {
      g_propagate_error (error, reader_changed_error (reader));
      return FALSE;
    }
  return TRUE;
}

/* Hashes [0, offset) into the whole-file hash, checking its digest at the end of each 1 MiB
 * block against the receiver's.  On the first that differs (that block holds the first
 * difference), goes back to byte 0 with a fresh hash. */
static gboolean
read_prefix (Job           *job,
             GCancellable  *cancellable,
             GError       **error)
{
  Reader *reader = job->reader;
  g_autofree guint8 *buf = NULL;
  g_autoptr(GByteArray) digests = NULL;
  const guint8 *claimed;
  gsize n_claimed = 0;
  gboolean ok = TRUE;

  if (reader->offset == 0)
    return TRUE;

  claimed = reader->blocks != NULL ? g_bytes_get_data (reader->blocks, &n_claimed) : NULL;
  /* ferry_file_sender_new () refuses anything else; checked again in case its checks are
   * compiled out, since a short digest list would be read past its end. */
  if (reader->offset % BLOCK_SIZE != 0 || reader->offset > reader->size ||
      n_claimed != reader->offset / BLOCK_SIZE * FERRY_SHA256_LEN)
    {
      g_set_error (error, FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_INVALID,
                   _("Cannot resume “%s” at byte %" G_GUINT64_FORMAT), reader->name,
                   reader->offset);
      return FALSE;
    }

  buf = g_malloc (FERRY_FILE_SENDER_CHUNK);
  digests = g_byte_array_new ();

  while (reader->position < reader->offset)
    {
      guint64 index = reader->position / BLOCK_SIZE;
      gboolean same;

      /* Chunks divide blocks, so a block ends exactly after one of these reads. */
      if (!read_exactly (reader, buf, FERRY_FILE_SENDER_CHUNK, cancellable, error))
        {
          ok = FALSE;
          break;
        }
      ferry_prefix_hash_update (&reader->whole, buf, FERRY_FILE_SENDER_CHUNK, digests);
      reader->position += FERRY_FILE_SENDER_CHUNK;
      if (reader->position % BLOCK_SIZE != 0)
        continue;

      /* The digest of this block end, the only one since the last. */
      g_assert (digests->len == FERRY_SHA256_LEN);
      same = memcmp (digests->data, claimed + index * FERRY_SHA256_LEN, FERRY_SHA256_LEN) == 0;
      g_byte_array_set_size (digests, 0);
      if (same)
        continue;

      /* The receiver's bytes are not ours: everything goes again, and the hash of what was
       * read so far is worthless. */
      job->restarted = TRUE;
      job->bad_block = index;
      if (!g_seekable_seek (G_SEEKABLE (reader->stream), 0, G_SEEK_SET, cancellable, error))
        {
          g_prefix_error (error, _("Could not read “%s”: "), reader->name);
          ok = FALSE;
          break;
        }
      reader->position = 0;
      reader->offset = 0;
      ferry_prefix_hash_init (&reader->whole);
      break;
    }

  return ok;
}

static void
open_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Job *job = task_data;
  Reader *reader = job->reader;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_info (reader->file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                            G_FILE_ATTRIBUTE_TIME_MODIFIED,
                            G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (info == NULL)
    {
      g_task_return_error (task, reader_io_error (reader, g_steal_pointer (&error)));
      return;
    }
  /* Checked before opening, so that a FIFO put in the file's place is never opened. */
  if (!reader_info_matches (reader, info, TRUE))
    {
      g_task_return_error (task, reader_changed_error (reader));
      return;
    }

  reader->stream = g_file_read (reader->file, cancellable, &error);
  if (reader->stream == NULL)
    {
      g_task_return_error (task, reader_io_error (reader, g_steal_pointer (&error)));
      return;
    }
  reader->position = 0;
  ferry_prefix_hash_init (&reader->whole);

  if (!read_prefix (job, cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
read_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Job *job = task_data;
  Reader *reader = job->reader;
  g_autoptr(GError) error = NULL;

  job->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  while (job->chunks->len < READ_BATCH && reader->position < reader->size)
    {
      gsize len = (gsize) MIN ((guint64) reader->chunk, reader->size - reader->position);
      guint8 *buf = g_ptr_array_steal_index_fast (job->buffers, job->buffers->len - 1);

      if (!read_exactly (reader, buf, len, cancellable, &error))
        {
          g_free (buf);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      ferry_prefix_hash_update (&reader->whole, buf, len, NULL);
      reader->position += len;
      g_ptr_array_add (job->chunks, g_bytes_new_take (buf, len));
    }

  if (reader->position == reader->size)
    {
      g_autoptr(GFileInfo) info = NULL;
      guint8 digest[FERRY_SHA256_LEN];
      guint8 extra;
      gssize got;

      /* Nothing may follow the offered size, and size and mtime must still be the offered
       * ones: otherwise the file changed while it was read, and its digest covers a mix. */
      got = g_input_stream_read (G_INPUT_STREAM (reader->stream), &extra, 1, cancellable, &error);
      if (got < 0)
        {
          g_task_return_error (task, reader_io_error (reader, g_steal_pointer (&error)));
          return;
        }
      if (got > 0)
        {
          g_task_return_error (task, reader_changed_error (reader));
          return;
        }
      info = g_file_input_stream_query_info (reader->stream,
                                             G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                             G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                             cancellable, &error);
      if (info == NULL)
        {
          g_task_return_error (task, reader_io_error (reader, g_steal_pointer (&error)));
          return;
        }
      if (!reader_info_matches (reader, info, FALSE))
        {
          g_task_return_error (task, reader_changed_error (reader));
          return;
        }

      ferry_prefix_hash_finish (&reader->whole, digest);
      g_clear_object (&reader->stream);
      job->sha256 = ferry_hex_encode (digest, sizeof digest);
    }
  g_task_return_boolean (task, TRUE);
}

/* The sender's side */

static void
drop_file_state (FerryFileSender *self)
{
  g_clear_pointer (&self->reader, reader_free);
  g_queue_clear_full (&self->ready, (GDestroyNotify) g_bytes_unref);
  self->read_done = FALSE;
  g_clear_pointer (&self->sha256, g_free);
}

static void
notify_bytes (FerryFileSender *self,
              gboolean         force)
{
  gint64 now = g_get_monotonic_time ();

  if (self->bytes_notified == self->bytes_sent)
    return;
  if (!force && now - self->last_notify < NOTIFY_INTERVAL_US)
    return;
  self->bytes_notified = self->bytes_sent;
  self->last_notify = now;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_SENT]);
}

static void
disconnect_channel (FerryFileSender *self)
{
  g_clear_signal_handler (&self->open_handler, self->channel);
  g_clear_signal_handler (&self->close_handler, self->channel);
  g_clear_signal_handler (&self->low_handler, self->channel);
}

/* Stops for good; @error (taken) is emitted as ::failed unless it is NULL.  A job under way is
 * cancelled and its result dropped when it comes back. */
static void
stop (FerryFileSender *self,
      GError          *error)
{
  if (self->stopped)
    {
      g_clear_error (&error);
      return;
    }
  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
  drop_file_state (self);
  disconnect_channel (self);
  notify_bytes (self, TRUE);

  if (error != NULL)
    {
      g_object_ref (self);
      g_debug ("Transfer channel %s: sending failed: %s",
               ferry_data_channel_get_label (self->channel), error->message);
      g_signal_emit (self, signals[FAILED], 0, error);
      g_error_free (error);
      g_object_unref (self);
    }
}

static gboolean
send_text (FerryFileSender *self,
           const char      *text)
{
  g_autoptr(GError) error = NULL;

  if (ferry_data_channel_send_text (self->channel, text, &error))
    return TRUE;
  stop (self, g_error_new (FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_CHANNEL,
                           _("Could not send on the data channel: %s"), error->message));
  return FALSE;
}

/* Goes on with the next file, or finishes after the last one.  Emits ::finished; the caller
 * holds a reference. */
static void
next_file (FerryFileSender *self)
{
  drop_file_state (self);
  self->current++;
  self->step = self->current < self->items->len ? STEP_OPEN : STEP_DONE;
  if (self->step == STEP_DONE && !self->stopped)
    {
      self->stopped = TRUE;
      disconnect_channel (self);
      g_signal_emit (self, signals[FINISHED], 0);
    }
}

/* Takes @error. */
static void
refuse_file (FerryFileSender *self,
             GError          *error)
{
  g_autoptr(GError) owned = error;
  guint index = current_item (self)->index;

  g_debug ("Transfer channel %s: file %u refused: %s",
           ferry_data_channel_get_label (self->channel), index, error->message);
  g_object_ref (self);
  g_signal_emit (self, signals[FILE_REFUSED], 0, index, error);
  /* A handler may have cancelled the sender. */
  if (!self->stopped)
    next_file (self);
  g_object_unref (self);
}

static void
end_file (FerryFileSender *self)
{
  FerryFileSenderItem *item = current_item (self);
  g_autofree char *sha256 = g_steal_pointer (&self->sha256);
  g_autofree char *text = NULL;
  guint index = item->index;

  text = g_strdup_printf ("{\"file\": %u, \"end\": %" G_GUINT64_FORMAT ", \"sha256\": \"%s\"}",
                          index, item->size, sha256);
  if (!send_text (self, text))
    return;

  notify_bytes (self, TRUE);
  g_object_ref (self);
  g_signal_emit (self, signals[FILE_SENT], 0, index, sha256);
  if (!self->stopped)
    next_file (self);
  g_object_unref (self);
}

/* Takes the job's result back on the sender's context: the sender if it still runs (a new
 * reference), and the Reader into @self->reader. */
static FerryFileSender *
job_return (GAsyncResult *result,
            GError      **error)
{
  GTask *task = G_TASK (result);
  Job *job = g_task_get_task_data (task);
  g_autoptr(FerryFileSender) self = g_weak_ref_get (&job->sender);
  gboolean ok = g_task_propagate_boolean (task, error);

  if (self == NULL)
    return NULL;
  self->working = FALSE;
  if (self->stopped)
    return NULL;
  if (ok)
    self->reader = g_steal_pointer (&job->reader);
  return g_steal_pointer (&self);
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryFileSender) self = job_return (result, &error);

  if (self == NULL)
    return;
  if (error != NULL)
    {
      /* Nothing of this file has gone out yet: the other files may still go. */
      refuse_file (self, g_steal_pointer (&error));
      pump (self);
      return;
    }

  self->step = STEP_HEADER;
  if (job->restarted)
    {
      g_debug ("Transfer channel %s: file %u differs from the receiver's in block %"
               G_GUINT64_FORMAT "; sending it again from the start",
               ferry_data_channel_get_label (self->channel), current_item (self)->index,
               job->bad_block);
      g_signal_emit (self, signals[FILE_RESTARTED], 0, current_item (self)->index);
    }
  pump (self);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryFileSender) self = job_return (result, &error);

  if (self == NULL)
    return;
  if (error != NULL)
    {
      /* The header, and maybe bytes, went out: the file cannot be taken back. */
      stop (self, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < job->chunks->len; i++)
    g_queue_push_tail (&self->ready, g_bytes_ref (g_ptr_array_index (job->chunks, i)));
  if (job->sha256 != NULL)
    {
      self->read_done = TRUE;
      self->sha256 = g_steal_pointer (&job->sha256);
    }
  pump (self);
}

static void
start_job (FerryFileSender     *self,
           GTaskThreadFunc      func,
           GAsyncReadyCallback  callback)
{
  /* No source object: the task must not keep the sender alive (see Job). */
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, callback, NULL);
  Job *job = job_new (self);

  /* Chunks are freed on this thread once sent.  Allocated in the workers, their memory would
   * go back to the workers' malloc arenas and stay spread over them: 3–7 MiB more peak RSS when
   * sending 2 GiB. */
  if (func == read_thread)
    {
      job->buffers = g_ptr_array_new_full (READ_BATCH, g_free);
      for (guint i = 0; i < READ_BATCH; i++)
        g_ptr_array_add (job->buffers, g_malloc (self->chunk));
    }
  g_task_set_source_tag (task, start_job);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  self->working = TRUE;
  ferry_disk_worker_run (task, func);
}

static gboolean
send_chunk (FerryFileSender *self)
{
  g_autoptr(GBytes) bytes = g_queue_pop_head (&self->ready);
  g_autoptr(GError) error = NULL;

  if (!ferry_data_channel_send_bytes (self->channel, bytes, &error))
    {
      stop (self, g_error_new (FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_CHANNEL,
                               _("Could not send on the data channel: %s"), error->message));
      return FALSE;
    }
  self->bytes_sent += g_bytes_get_size (bytes);
  notify_bytes (self, FALSE);
  return TRUE;
}

/* The size of data messages on the open @channel: up to 64 KiB, and whole packets (64 KiB in
 * 16300-byte fragments would be four full packets and one of 336 bytes, which costs about as much
 * CPU as a full one).  Fixed for the transfer: if ICE later moves to a pair with smaller packets,
 * the last packet of each message is short again. */
static gsize
message_size (FerryDataChannel *channel)
{
  guint64 max = ferry_data_channel_get_max_message_size (channel);
  guint fragment = ferry_data_channel_get_fragment_size (channel);
  gsize size = max > 0 ? MIN (FERRY_FILE_SENDER_CHUNK, max) : FERRY_FILE_SENDER_CHUNK;

  return fragment > 0 && size > fragment ? size - size % fragment : size;
}

/* Decides what to do next; does nothing while paused or stopped, or before the channel opens. */
static void
pump (FerryFileSender *self)
{
  while (!self->stopped && self->started && !self->paused)
    {
      if (ferry_data_channel_get_state (self->channel) != FERRY_DATA_CHANNEL_OPEN)
        return;  /* ::open, or ::close, goes on */
      if (self->chunk == 0)
        self->chunk = message_size (self->channel);

      switch (self->step)
        {
        case STEP_OPEN:
          if (!self->working)
            {
              self->reader = reader_new (current_item (self), self->chunk);
              start_job (self, open_thread, open_cb);
            }
          return;

        case STEP_HEADER:
          {
            g_autofree char *text =
              g_strdup_printf ("{\"file\": %u, \"offset\": %" G_GUINT64_FORMAT "}",
                               current_item (self)->index, self->reader->offset);

            if (!send_text (self, text))
              return;
            self->step = STEP_DATA;
          }
          break;

        case STEP_DATA:
          if (!self->working && !self->read_done && self->ready.length < READ_AHEAD)
            start_job (self, read_thread, read_cb);
          if (!g_queue_is_empty (&self->ready))
            {
              /* Above the high mark, ::buffered-amount-low calls pump () again. */
              if (ferry_data_channel_get_buffered_amount (self->channel) >=
                  FERRY_FILE_SENDER_HIGH_WATER)
                return;
              if (!send_chunk (self))
                return;
              break;
            }
          if (!self->read_done)
            return;  /* read_cb () goes on */
          end_file (self);
          break;

        case STEP_DONE:
        default:
          return;
        }
    }
}

/* The channel */

static void
channel_open_cb (FerryDataChannel *channel,
                 FerryFileSender  *self)
{
  pump (self);
}

static void
channel_low_cb (FerryDataChannel *channel,
                FerryFileSender  *self)
{
  pump (self);
}

static void
channel_close_cb (FerryDataChannel *channel,
                  FerryFileSender  *self)
{
  stop (self, g_error_new_literal (FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_CHANNEL,
                                   _("The data channel closed before every file was sent")));
}

/* GObject */

static void
ferry_file_sender_dispose (GObject *object)
{
  FerryFileSender *self = FERRY_FILE_SENDER (object);

  self->stopped = TRUE;
  g_cancellable_cancel (self->cancellable);
  drop_file_state (self);
  if (self->channel != NULL)
    disconnect_channel (self);
  g_clear_object (&self->channel);

  G_OBJECT_CLASS (ferry_file_sender_parent_class)->dispose (object);
}

static void
ferry_file_sender_finalize (GObject *object)
{
  FerryFileSender *self = FERRY_FILE_SENDER (object);

  for (guint i = 0; i < self->items->len; i++)
    {
      FerryFileSenderItem *item = &g_array_index (self->items, FerryFileSenderItem, i);

      g_object_unref (item->file);
      g_clear_pointer (&item->blocks, g_bytes_unref);
    }
  g_array_unref (self->items);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (ferry_file_sender_parent_class)->finalize (object);
}

static void
ferry_file_sender_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FerryFileSender *self = FERRY_FILE_SENDER (object);

  switch (prop_id)
    {
    case PROP_BYTES_SENT:
      g_value_set_uint64 (value, self->bytes_sent);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_file_sender_class_init (FerryFileSenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_file_sender_dispose;
  object_class->finalize = ferry_file_sender_finalize;
  object_class->get_property = ferry_file_sender_get_property;

  properties[PROP_BYTES_SENT] =
    g_param_spec_uint64 ("bytes-sent", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FerryFileSender::file-sent:
   * @index: the file's index in the offer
   * @sha256: the SHA-256 of the whole file, 64 lowercase hex digits
   */
  signals[FILE_SENT] =
    g_signal_new ("file-sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * FerryFileSender::file-refused:
   * @index: the file's index in the offer
   * @error: why, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED or a G_IO_ERROR
   *
   * Nothing of the file was sent; the sender goes on with the next file.
   */
  signals[FILE_REFUSED] =
    g_signal_new ("file-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_ERROR);
  /**
   * FerryFileSender::file-restarted:
   * @index: the file's index in the offer
   *
   * A block the receiver holds differs from the file: it is sent from offset 0.
   */
  signals[FILE_RESTARTED] =
    g_signal_new ("file-restarted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ferry_file_sender_init (FerryFileSender *self)
{
  self->items = g_array_new (FALSE, TRUE, sizeof (FerryFileSenderItem));
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->ready);
}

static gboolean
item_valid (const FerryFileSenderItem *item)
{
  gsize n_blocks = item->blocks != NULL ? g_bytes_get_size (item->blocks) : 0;

  g_return_val_if_fail (G_IS_FILE (item->file), FALSE);
  g_return_val_if_fail (item->offset <= item->size, FALSE);
  g_return_val_if_fail (item->offset % BLOCK_SIZE == 0, FALSE);
  g_return_val_if_fail (n_blocks == item->offset / BLOCK_SIZE * FERRY_SHA256_LEN, FALSE);
  return TRUE;
}

FerryFileSender *
ferry_file_sender_new (FerryDataChannel          *channel,
                       const FerryFileSenderItem *items,
                       guint                      n_items)
{
  FerryFileSender *self;

  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (channel), NULL);
  g_return_val_if_fail (items != NULL || n_items == 0, NULL);
  for (guint i = 0; i < n_items; i++)
    if (!item_valid (&items[i]))
      return NULL;

  self = g_object_new (FERRY_TYPE_FILE_SENDER, NULL);
  self->channel = g_object_ref (channel);
  for (guint i = 0; i < n_items; i++)
    {
      FerryFileSenderItem item = items[i];

      g_object_ref (item.file);
      if (item.blocks != NULL)
        g_bytes_ref (item.blocks);
      g_array_append_val (self->items, item);
    }
  self->step = n_items > 0 ? STEP_OPEN : STEP_DONE;
  return self;
}

void
ferry_file_sender_start (FerryFileSender *self)
{
  g_return_if_fail (FERRY_IS_FILE_SENDER (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  if (self->stopped)
    return;

  if (self->step == STEP_DONE)
    {
      g_object_ref (self);
      self->stopped = TRUE;
      g_signal_emit (self, signals[FINISHED], 0);
      g_object_unref (self);
      return;
    }

  if (ferry_data_channel_get_state (self->channel) >= FERRY_DATA_CHANNEL_CLOSING)
    {
      channel_close_cb (self->channel, self);
      return;
    }

  ferry_data_channel_set_buffered_amount_low_threshold (self->channel,
                                                        FERRY_FILE_SENDER_LOW_WATER);
  self->open_handler = g_signal_connect (self->channel, "open", G_CALLBACK (channel_open_cb), self);
  self->close_handler = g_signal_connect (self->channel, "close",
                                          G_CALLBACK (channel_close_cb), self);
  self->low_handler = g_signal_connect (self->channel, "buffered-amount-low",
                                        G_CALLBACK (channel_low_cb), self);
  pump (self);
}

void
ferry_file_sender_pause (FerryFileSender *self)
{
  g_return_if_fail (FERRY_IS_FILE_SENDER (self));

  if (self->paused)
    return;
  self->paused = TRUE;
  notify_bytes (self, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

void
ferry_file_sender_resume (FerryFileSender *self)
{
  g_return_if_fail (FERRY_IS_FILE_SENDER (self));

  if (!self->paused)
    return;
  self->paused = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
  pump (self);
}

gboolean
ferry_file_sender_get_paused (FerryFileSender *self)
{
  g_return_val_if_fail (FERRY_IS_FILE_SENDER (self), FALSE);

  return self->paused;
}

void
ferry_file_sender_cancel (FerryFileSender *self)
{
  g_return_if_fail (FERRY_IS_FILE_SENDER (self));

  stop (self, NULL);
}

guint64
ferry_file_sender_get_bytes_sent (FerryFileSender *self)
{
  g_return_val_if_fail (FERRY_IS_FILE_SENDER (self), 0);

  return self->bytes_sent;
}

int
ferry_file_sender_get_current_index (FerryFileSender *self)
{
  g_return_val_if_fail (FERRY_IS_FILE_SENDER (self), -1);

  if (!self->started || self->current >= self->items->len)
    return -1;
  return (int) current_item (self)->index;
}
