/* ferry-webdrop-file.c: one file to or from a WebDrop peer, on a connection of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-crypto.h"
#include "ferry-peer-connection.h"
#include "ferry-source.h"
#include "ferry-transfer-path.h"
#include "ferry-webdrop-file.h"

/* A file connection that is not open by then has failed. */
#define CONNECT_TIMEOUT_S 60
/* Sending: chunks are read while the channel holds less than this, and again once it is down to
 * the low mark, so that the pipe stays full without a long queue. */
#define SEND_HIGH (1024 * 1024)
#define SEND_LOW  (256 * 1024)
/* Receiving: the connection stops being read while this much waits for the disk. */
#define WRITE_HIGH (8 * 1024 * 1024)
#define WRITE_LOW  (2 * 1024 * 1024)
/* Longest FILE_START header we read. */
#define META_MAX 64 * 1024

struct _FerryWebdropFile
{
  GObject               parent_instance;

  FerryPeer            *peer;
  FerryRtcConfig       *config;
  char                 *share_id;
  gboolean              sending;
  GFile                *file;        /* the source, or the .part */
  char                 *name;        /* receiving: the name it should get */
  guint64               size;
  guint64               offset;      /* where this attempt starts in the file */
  guint64               bytes;       /* sent, or received (offset included) */
  guint64               carried;     /* file bytes this attempt sent or received */
  GMainContext         *context;
  GCancellable         *cancellable;
  FerryPeerConnection  *pc;
  FerryDataChannel     *channel;
  GSource              *timeout;
  gboolean              over;        /* finished or cancelled: nothing more happens */
  gboolean              paused_locally;
  gboolean              paused_remotely;
  GChecksum            *sum;         /* of every byte from 0, or NULL (receiving after an offset) */
  char                 *sha256;
  GFile                *result;

  /* Sending */
  gboolean              opened;      /* the channel opened: reading began */
  GInputStream         *input;
  guint64               read_pos;
  gboolean              reading;
  gboolean              all_sent;
  guint8               *buffer;

  /* Receiving */
  GOutputStream        *output;
  GQueue                writes;      /* GBytes waiting for the disk */
  guint64               queued;
  gboolean              writing;
  gboolean              got_all;
  gboolean              held;
  GError               *failure;     /* the attempt ends with this once the writes are done */
};

G_DEFINE_FINAL_TYPE (FerryWebdropFile, ferry_webdrop_file, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BYTES,
  N_PROPS
};

enum {
  PAUSED_REMOTELY,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
send_signal (FerryWebdropFile *self,
             const char       *sdp_type,
             const char       *sdp,
             const char       *candidate)
{
  g_autoptr(FerryWebdropMessage) signal = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_FILE_SIGNAL);
  g_autoptr(GError) error = NULL;

  signal->share_id = g_strdup (self->share_id);
  /* Only the receiver says where to start, in every signal, as simple-peer-files does. */
  signal->has_start = !self->sending;
  signal->start = self->offset;
  signal->sdp_type = g_strdup (sdp_type);
  signal->sdp = g_strdup (sdp);
  signal->candidate = g_strdup (candidate);
  if (!ferry_peer_send_webdrop (self->peer, signal, &error))
    g_debug ("WebDrop file %.8s: %s", self->share_id, error->message);
}

static void
send_header (FerryWebdropFile       *self,
             FerryWebdropFileHeader  header)
{
  guint8 byte = header;
  g_autoptr(GBytes) bytes = g_bytes_new (&byte, 1);

  if (self->channel != NULL && ferry_data_channel_get_state (self->channel) == FERRY_DATA_CHANNEL_OPEN)
    ferry_data_channel_send_bytes (self->channel, bytes, NULL);
}

static void
set_bytes (FerryWebdropFile *self,
           guint64           bytes)
{
  self->bytes = bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES]);
}

static gboolean
close_pc_cb (gpointer user_data)
{
  ferry_peer_connection_close (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
close_channel_cb (gpointer user_data)
{
  ferry_data_channel_close (user_data);
  return G_SOURCE_REMOVE;
}

/* Ends the attempt: nothing more is read or written.  The channel closes once what is queued on
 * it is out (a FILE_END) — or, when @linger, only a little later, so that the peer takes a
 * TRANSFER_CANCEL for what it is rather than for a lost connection — and the connection a little
 * later, so that the peer sees both rather than a connection that goes silent. */
#define CLOSE_GRACE_S 2

static void
close_all (FerryWebdropFile *self,
           gboolean          linger)
{
  g_autoptr(FerryPeerConnection) pc = g_steal_pointer (&self->pc);

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->timeout, g_source_destroy);
  if (self->channel != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->channel, self);
      if (linger)
        ferry_source_attach (g_timeout_source_new_seconds (CLOSE_GRACE_S), self->context,
                             G_PRIORITY_DEFAULT, close_channel_cb, g_object_ref (self->channel),
                             g_object_unref);
      else
        ferry_data_channel_close (self->channel);
      g_clear_object (&self->channel);
    }
  if (pc != NULL)
    {
      g_signal_handlers_disconnect_by_data (pc, self);
      ferry_source_attach (g_timeout_source_new_seconds (linger ? 2 * CLOSE_GRACE_S : CLOSE_GRACE_S),
                           self->context, G_PRIORITY_DEFAULT, close_pc_cb, g_object_ref (pc),
                           g_object_unref);
    }
}

/* Ends the attempt for @error.  A file we give up for reasons of our own (the peer broke the
 * protocol, our disk failed) is cancelled towards the peer, which then stops sending.  The last
 * message (that TRANSFER_CANCEL, or the FILE_END of a file received) gets time to arrive: a
 * WebDrop peer that sees the channel close first takes it for a broken connection. */
static void
stop_attempt (FerryWebdropFile *self,
              const GError     *error)
{
  gboolean tell = error != NULL &&
                  !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) &&
                  !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
                  !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

  if (tell)
    send_header (self, FERRY_WEBDROP_FILE_CANCEL);
  close_all (self, tell || (error == NULL && !self->sending));
}

static void
finish (FerryWebdropFile *self,
        GError           *error)
{
  g_autoptr(FerryWebdropFile) ref = g_object_ref (self);
  g_autoptr(GError) owned = error;

  if (self->over)
    return;
  self->over = TRUE;
  stop_attempt (self, owned);
  g_signal_emit (self, signals[FINISHED], 0, owned);
}

static void
fail (FerryWebdropFile *self,
      GError           *error);

/* G_IO_ERROR_INVALID_DATA when the peer broke the protocol (a wrong size), CONNECTION_CLOSED
 * when the connection went away, TIMED_OUT when it never came up. */
static void
fail_literal (FerryWebdropFile *self,
              GIOErrorEnum      code,
              const char       *message)
{
  fail (self, g_error_new_literal (G_IO_ERROR, code, message));
}

static gboolean
timeout_cb (gpointer user_data)
{
  FerryWebdropFile *self = user_data;
  g_autofree char *message = g_strdup_printf (_("Could not connect to %s for the file"),
                                              ferry_peer_get_display_name (self->peer));

  self->timeout = NULL;
  fail_literal (self, G_IO_ERROR_TIMED_OUT, message);
  return G_SOURCE_REMOVE;
}

static void
pc_state_cb (FerryPeerConnection *pc,
             GParamSpec          *pspec,
             FerryWebdropFile    *self);

static void
local_candidate_cb (FerryPeerConnection *pc,
                    const char          *candidate,
                    FerryWebdropFile    *self)
{
  /* simple-peer never sends an end of candidates, and expects none. */
  if (candidate != NULL)
    send_signal (self, NULL, NULL, candidate);
}

static void
channel_closed_cb (FerryDataChannel *channel,
                   FerryWebdropFile *self);

static void
pc_state_cb (FerryPeerConnection *pc,
             GParamSpec          *pspec,
             FerryWebdropFile    *self)
{
  if (ferry_peer_connection_get_state (pc) >= FERRY_PEER_CONNECTION_FAILED)
    channel_closed_cb (self->channel, self);
}

/* Sending */

static void pump (FerryWebdropFile *self);

#define EMPTY_GRACE_S 3

static gboolean
empty_sent_cb (gpointer user_data)
{
  FerryWebdropFile *self = user_data;

  self->timeout = NULL;
  finish (self, NULL);
  return G_SOURCE_REMOVE;
}

static void
read_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FerryWebdropFile) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  guint64 from = self->read_pos;

  self->reading = FALSE;
  if (self->over)
    return;
  if (n < 0)
    return fail (self, g_steal_pointer (&error));
  if (n == 0)
    return fail_literal (self, G_IO_ERROR_FAILED, _("The file got shorter since it was offered"));
  n = MIN ((guint64) n, self->size - self->read_pos);
  g_checksum_update (self->sum, self->buffer + 1, n);
  self->read_pos += n;
  /* The bytes before the start the receiver asked for are read for the checksum only. */
  if (self->read_pos > self->offset)
    {
      guint64 skip = self->offset > from ? self->offset - from : 0;
      g_autoptr(GBytes) message = NULL;

      if (skip > 0)
        memmove (self->buffer + 1, self->buffer + 1 + skip, n - skip);
      self->buffer[0] = FERRY_WEBDROP_FILE_CHUNK;
      message = g_bytes_new (self->buffer, n - skip + 1);
      /* A channel that closed under us is a lost connection (the receiver may ask again). */
      if (!ferry_data_channel_send_bytes (self->channel, message, NULL))
        return channel_closed_cb (self->channel, self);
      self->carried += n - skip;
      set_bytes (self, self->read_pos);
    }
  pump (self);
}

static void
pump (FerryWebdropFile *self)
{
  if (self->over || self->reading || self->input == NULL || self->channel == NULL ||
      self->paused_locally || self->paused_remotely)
    return;
  if (self->read_pos >= self->size)
    {
      if (!self->all_sent)
        {
          self->all_sent = TRUE;
          self->sha256 = g_strdup (g_checksum_get_string (self->sum));
        }
      /* WebDrop never says FILE_END for an empty file: it has all of it once the header is
       * in, which takes until its side of the connection is up (simple-peer's "connect"). */
      if (self->size == 0 && self->timeout == NULL)
        self->timeout = ferry_source_attach (g_timeout_source_new_seconds (EMPTY_GRACE_S), self->context,
                                             G_PRIORITY_DEFAULT, empty_sent_cb, self, NULL);
      return;
    }
  if (ferry_data_channel_get_buffered_amount (self->channel) > SEND_HIGH)
    return;
  self->reading = TRUE;
  g_input_stream_read_async (self->input, self->buffer + 1,
                             MIN (FERRY_WEBDROP_FILE_CHUNK_SIZE, self->size - self->read_pos),
                             G_PRIORITY_DEFAULT, self->cancellable, read_done_cb, g_object_ref (self));
}

static void
opened_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(FerryWebdropFile) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) input = g_file_read_finish (G_FILE (source), result, &error);

  if (self->over)
    return;
  if (input == NULL)
    return fail (self, g_steal_pointer (&error));
  self->input = G_INPUT_STREAM (g_steal_pointer (&input));

  /* The header goes first, only when the file starts from its beginning. */
  if (self->offset == 0)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *basename = g_file_get_basename (self->file);
      g_autofree char *type = g_content_type_guess (basename, NULL, 0, NULL);
      g_autofree char *mime = g_content_type_get_mime_type (type);
      g_autofree char *json = NULL;
      g_autoptr(GByteArray) message = g_byte_array_new ();
      guint8 header = FERRY_WEBDROP_FILE_START;
      g_autoptr(GBytes) bytes = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "fileName");
      json_builder_add_string_value (builder, basename);
      json_builder_set_member_name (builder, "fileSize");
      json_builder_add_int_value (builder, self->size);
      json_builder_set_member_name (builder, "fileType");
      json_builder_add_string_value (builder, mime != NULL ? mime : "");
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json = json_generator_to_data (generator, NULL);
      g_byte_array_append (message, &header, 1);
      g_byte_array_append (message, (const guint8 *) json, strlen (json));
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&message));
      if (!ferry_data_channel_send_bytes (self->channel, bytes, NULL))
        return channel_closed_cb (self->channel, self);
    }
  pump (self);
}

static void
offer_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerryWebdropFile) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = ferry_peer_connection_create_offer_finish (FERRY_PEER_CONNECTION (source),
                                                                    result, &error);

  if (self->over)
    return;
  if (sdp == NULL)
    return fail (self, g_steal_pointer (&error));
  send_signal (self, "offer", sdp, NULL);
}

/* Receiving */

static void write_next (FerryWebdropFile *self);
static void complete (FerryWebdropFile *self);

static void
hold (FerryWebdropFile *self,
      gboolean          held)
{
  if (self->held == held || self->channel == NULL)
    return;
  self->held = held;
  ferry_data_channel_set_receive_held (self->channel, held);
}

static void
write_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerryWebdropFile) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_queue_pop_head (&self->writes);

  self->writing = FALSE;
  self->queued -= g_bytes_get_size (bytes);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (self->failure == NULL)
        self->failure = g_steal_pointer (&error);
    }
  else if (self->queued < WRITE_LOW)
    hold (self, FALSE);
  write_next (self);
}

static void
close_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data);

/* Writes what waits; once nothing does, an attempt that failed or got everything ends. */
static void
write_next (FerryWebdropFile *self)
{
  GBytes *bytes;

  if (self->writing || self->output == NULL)
    return;
  if (self->failure == NULL && (bytes = g_queue_peek_head (&self->writes)) != NULL)
    {
      self->writing = TRUE;
      g_output_stream_write_all_async (self->output, g_bytes_get_data (bytes, NULL),
                                       g_bytes_get_size (bytes), G_PRIORITY_DEFAULT, NULL,
                                       write_done_cb, g_object_ref (self));
      return;
    }
  if (self->failure != NULL || self->got_all)
    {
      g_autoptr(GOutputStream) output = g_steal_pointer (&self->output);

      g_queue_clear_full (&self->writes, (GDestroyNotify) g_bytes_unref);
      self->queued = 0;
      g_output_stream_close_async (output, G_PRIORITY_DEFAULT, NULL, close_done_cb, g_object_ref (self));
    }
}

/* The receiver's attempt ends once what was received is on disk, so that the next one starts
 * exactly where the .part ends. */
static void
fail (FerryWebdropFile *self,
      GError           *error)
{
  if (self->over)
    {
      g_error_free (error);
      return;
    }
  if (self->sending || self->output == NULL)
    return finish (self, error);
  if (self->failure == NULL)
    self->failure = error;
  else
    g_error_free (error);
  stop_attempt (self, self->failure);
  write_next (self);
}

typedef struct {
  GFile     *part;
  char      *name;
  guint64    size;
  GChecksum *sum;
  char      *sha256;
  GFile     *result;
} CompleteData;

static void
complete_data_free (CompleteData *data)
{
  g_object_unref (data->part);
  g_free (data->name);
  g_clear_pointer (&data->sum, g_checksum_free);
  g_free (data->sha256);
  g_clear_object (&data->result);
  g_free (data);
}

/* Blocking: checks the .part, hashes it when the bytes came in more than one attempt, and gives
 * it a free final name next to it. */
static void
complete_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  CompleteData *data = task_data;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFile) parent = g_file_get_parent (data->part);
  GError *error = NULL;

  if (!(info = g_file_query_info (data->part, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                  G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error)))
    return g_task_return_error (task, error);
  if ((guint64) g_file_info_get_size (info) != data->size)
    return g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                    _("The file has %" G_GUINT64_FORMAT " bytes instead of %" G_GUINT64_FORMAT),
                                    (guint64) g_file_info_get_size (info), data->size);
  if (data->sum == NULL)
    {
      g_autoptr(GFileInputStream) input = g_file_read (data->part, NULL, &error);
      g_autofree guint8 *buffer = g_malloc (1024 * 1024);
      gssize n;

      if (input == NULL)
        return g_task_return_error (task, error);
      data->sum = g_checksum_new (G_CHECKSUM_SHA256);
      while ((n = g_input_stream_read (G_INPUT_STREAM (input), buffer, 1024 * 1024, NULL, &error)) > 0)
        g_checksum_update (data->sum, buffer, n);
      if (n < 0)
        return g_task_return_error (task, error);
    }
  data->sha256 = g_strdup (g_checksum_get_string (data->sum));

  if (!(data->result = ferry_transfer_path_move_to_free_name (data->part, parent, data->name, NULL, &error)))
    return g_task_return_error (task, error);
  g_task_return_boolean (task, TRUE);
}

static void
complete_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FerryWebdropFile *self = FERRY_WEBDROP_FILE (source);
  CompleteData *data = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    return finish (self, error);
  self->sha256 = g_steal_pointer (&data->sha256);
  self->result = g_steal_pointer (&data->result);
  finish (self, NULL);
}

static void
close_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FerryWebdropFile) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (source), result, &error) && self->failure == NULL)
    self->failure = g_steal_pointer (&error);
  if (self->failure != NULL)
    return finish (self, g_steal_pointer (&self->failure));
  complete (self);
}

static void
complete (FerryWebdropFile *self)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, complete_done_cb, NULL);
  CompleteData *data = g_new0 (CompleteData, 1);

  data->part = g_object_ref (self->file);
  data->name = g_strdup (self->name);
  data->size = self->size;
  data->sum = g_steal_pointer (&self->sum);
  g_task_set_task_data (task, data, (GDestroyNotify) complete_data_free);
  g_task_run_in_thread (task, complete_thread);
}

static void
output_ready (FerryWebdropFile *self,
              GOutputStream    *output)
{
  self->output = output;
  write_next (self);
}

static void
replace_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryWebdropFile) self = user_data;
  g_autoptr(GError) error = NULL;
  GFileOutputStream *output = self->offset > 0
    ? g_file_append_to_finish (G_FILE (source), result, &error)
    : g_file_replace_finish (G_FILE (source), result, &error);

  if (output == NULL)
    return finish (self, g_steal_pointer (&error));
  if (self->over)
    {
      g_object_unref (output);
      return;
    }
  output_ready (self, G_OUTPUT_STREAM (output));
}

/* Every byte is in: FILE_END goes to the sender, and the .part gets its name once written. */
static void
got_all (FerryWebdropFile *self)
{
  self->got_all = TRUE;
  send_header (self, FERRY_WEBDROP_FILE_END);
  g_clear_pointer (&self->timeout, g_source_destroy);
  write_next (self);
}

static gboolean
check_meta (FerryWebdropFile *self,
            const guint8     *data,
            gsize             len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root, *size;
  g_autofree char *message = NULL;

  if (len > META_MAX || !json_parser_load_from_data (parser, (const char *) data, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (root = json_parser_get_root (parser)) ||
      !(size = json_object_get_member (json_node_get_object (root), "fileSize")) ||
      json_node_get_value_type (size) != G_TYPE_INT64)
    {
      fail_literal (self, G_IO_ERROR_INVALID_DATA, _("The file’s header is not valid"));
      return FALSE;
    }
  if ((guint64) json_node_get_int (size) != self->size)
    {
      message = g_strdup_printf (_("%s announced %" G_GUINT64_FORMAT " bytes but sends %" G_GINT64_FORMAT),
                                 ferry_peer_get_display_name (self->peer), self->size,
                                 json_node_get_int (size));
      fail_literal (self, G_IO_ERROR_INVALID_DATA, message);
      return FALSE;
    }
  return TRUE;
}

static void
receive_chunk (FerryWebdropFile *self,
               GBytes           *data)
{
  gsize len = g_bytes_get_size (data) - 1;

  if (self->got_all || len > self->size - self->bytes)
    {
      g_autofree char *message = g_strdup_printf (_("%s sends more than the %" G_GUINT64_FORMAT " bytes it announced"),
                                                  ferry_peer_get_display_name (self->peer), self->size);
      return fail_literal (self, G_IO_ERROR_INVALID_DATA, message);
    }
  if (len == 0)
    return;
  g_queue_push_tail (&self->writes, g_bytes_new_from_bytes (data, 1, len));
  self->queued += len;
  self->carried += len;
  if (self->sum != NULL)
    g_checksum_update (self->sum, (const guint8 *) g_bytes_get_data (data, NULL) + 1, len);
  set_bytes (self, self->bytes + len);
  if (self->queued > WRITE_HIGH)
    hold (self, TRUE);
  if (self->bytes == self->size)
    got_all (self);
  else
    write_next (self);
}

static void
answer_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FerryWebdropFile) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = ferry_peer_connection_create_answer_finish (FERRY_PEER_CONNECTION (source),
                                                                     result, &error);

  if (self->over)
    return;
  if (sdp == NULL)
    return fail (self, g_steal_pointer (&error));
  send_signal (self, "answer", sdp, NULL);
}

/* Both sides */

static void
channel_message_cb (FerryDataChannel *channel,
                    GBytes           *data,
                    gboolean          is_text,
                    FerryWebdropFile *self)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  if (self->over || len == 0)
    return;
  switch (bytes[0])
    {
    case FERRY_WEBDROP_FILE_START:
      if (!self->sending && check_meta (self, bytes + 1, len - 1) && self->size == 0)
        got_all (self);
      break;
    case FERRY_WEBDROP_FILE_CHUNK:
      if (!self->sending)
        receive_chunk (self, data);
      break;
    case FERRY_WEBDROP_FILE_END:
      if (!self->sending)
        break;
      if (self->all_sent)
        finish (self, NULL);
      else
        fail_literal (self, G_IO_ERROR_INVALID_DATA, _("The receiver ended the file before it was complete"));
      break;
    case FERRY_WEBDROP_FILE_PAUSE:
    case FERRY_WEBDROP_FILE_RESUME:
      self->paused_remotely = bytes[0] == FERRY_WEBDROP_FILE_PAUSE;
      g_signal_emit (self, signals[PAUSED_REMOTELY], 0, self->paused_remotely);
      pump (self);
      break;
    case FERRY_WEBDROP_FILE_CANCEL:
      {
        g_autofree char *message = g_strdup_printf (_("%s cancelled the file"),
                                                    ferry_peer_get_display_name (self->peer));

        if (!self->sending)
          self->got_all = FALSE;
        fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, message));
      }
      break;
    default:
      g_debug ("WebDrop file %.8s: unknown header %u", self->share_id, bytes[0]);
      break;
    }
}

#define START_DELAY_MS 200

static gboolean
start_reading_cb (gpointer user_data)
{
  FerryWebdropFile *self = user_data;

  self->timeout = NULL;
  g_file_read_async (self->file, G_PRIORITY_DEFAULT, self->cancellable, opened_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
channel_open_cb (FerryDataChannel *channel,
                 FerryWebdropFile *self)
{
  g_clear_pointer (&self->timeout, g_source_destroy);
  /* WebDrop's own sender starts on simple-peer's "connect", which comes a poll of the
   * connection's statistics after the channel opened, and so do its receivers: data sent at once
   * lost a chunk at the receiver now and then.  So the header waits as long. */
  if (self->sending && !self->opened)
    {
      self->opened = TRUE;
      self->timeout = ferry_source_attach (g_timeout_source_new (START_DELAY_MS), self->context,
                                           G_PRIORITY_DEFAULT, start_reading_cb, self, NULL);
    }
}

/* The connection went away.  A sender that has sent everything takes it as done: WebDrop's
 * receiver may close right after FILE_END, and that last message can be lost with it. */
static void
channel_closed_cb (FerryDataChannel *channel,
                   FerryWebdropFile *self)
{
  g_autofree char *message = NULL;

  if (self->over || self->got_all)
    return;
  if (self->sending && self->all_sent)
    return finish (self, NULL);
  message = g_strdup_printf (_("The connection to %s for the file was lost"),
                             ferry_peer_get_display_name (self->peer));
  fail_literal (self, G_IO_ERROR_CONNECTION_CLOSED, message);
}

static void
watch_channel (FerryWebdropFile *self,
               FerryDataChannel *channel)
{
  self->channel = g_object_ref (channel);
  ferry_data_channel_set_buffered_amount_low_threshold (channel, SEND_LOW);
  g_signal_connect (channel, "open", G_CALLBACK (channel_open_cb), self);
  g_signal_connect (channel, "message", G_CALLBACK (channel_message_cb), self);
  g_signal_connect (channel, "close", G_CALLBACK (channel_closed_cb), self);
  g_signal_connect_swapped (channel, "buffered-amount-low", G_CALLBACK (pump), self);
}

static void
data_channel_cb (FerryPeerConnection *pc,
                 FerryDataChannel    *channel,
                 FerryWebdropFile    *self)
{
  if (self->channel != NULL || self->over)
    return;
  watch_channel (self, channel);
  if (ferry_data_channel_get_state (channel) == FERRY_DATA_CHANNEL_OPEN)
    channel_open_cb (channel, self);
}

static FerryWebdropFile *
webdrop_file_new (FerryPeer      *peer,
                  FerryRtcConfig *config,
                  const char     *share_id,
                  GFile          *file,
                  guint64         size)
{
  FerryWebdropFile *self = g_object_new (FERRY_TYPE_WEBDROP_FILE, NULL);

  self->peer = g_object_ref (peer);
  self->config = ferry_rtc_config_copy (config);
  /* simple-peer-files trickles its candidates, and so do we. */
  self->config->trickle = TRUE;
  self->share_id = g_strdup (share_id);
  self->file = g_object_ref (file);
  self->size = size;
  return self;
}

FerryWebdropFile *
ferry_webdrop_file_new_sender (FerryPeer      *peer,
                               FerryRtcConfig *config,
                               const char     *share_id,
                               GFile          *source,
                               guint64         size)
{
  FerryWebdropFile *self;

  g_return_val_if_fail (FERRY_IS_PEER (peer), NULL);

  self = webdrop_file_new (peer, config, share_id, source, size);
  self->sending = TRUE;
  self->sum = g_checksum_new (G_CHECKSUM_SHA256);
  self->buffer = g_malloc (FERRY_WEBDROP_FILE_CHUNK_SIZE + 1);
  return self;
}

FerryWebdropFile *
ferry_webdrop_file_new_receiver (FerryPeer      *peer,
                                 FerryRtcConfig *config,
                                 const char     *share_id,
                                 GFile          *part,
                                 const char     *name,
                                 guint64         size,
                                 guint64         offset)
{
  FerryWebdropFile *self;

  g_return_val_if_fail (FERRY_IS_PEER (peer), NULL);
  g_return_val_if_fail (offset <= size, NULL);

  self = webdrop_file_new (peer, config, share_id, part, size);
  self->name = g_strdup (name);
  self->offset = offset;
  self->bytes = offset;
  if (offset == 0)
    self->sum = g_checksum_new (G_CHECKSUM_SHA256);
  return self;
}

void
ferry_webdrop_file_start (FerryWebdropFile *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (FERRY_IS_WEBDROP_FILE (self));

  self->timeout = ferry_source_attach (g_timeout_source_new_seconds (CONNECT_TIMEOUT_S), self->context,
                                       G_PRIORITY_DEFAULT, timeout_cb, self, NULL);
  if (!(self->pc = ferry_peer_connection_new (self->config, &error)))
    return fail (self, g_steal_pointer (&error));
  g_signal_connect (self->pc, "notify::state", G_CALLBACK (pc_state_cb), self);
  g_signal_connect (self->pc, "local-candidate", G_CALLBACK (local_candidate_cb), self);

  if (self->sending)
    {
      g_autoptr(FerryDataChannel) channel = NULL;
      g_autofree char *label = NULL;
      guint8 random[20];

      /* The initiator opens the channel, labelled as simple-peer labels its own: 40 hex digits. */
      ferry_random_bytes (random, sizeof random);
      label = ferry_hex_encode (random, sizeof random);
      if (!(channel = ferry_peer_connection_create_data_channel (self->pc, label, NULL, &error)))
        return fail (self, g_steal_pointer (&error));
      watch_channel (self, channel);
      ferry_peer_connection_create_offer (self->pc, self->cancellable, offer_done_cb, g_object_ref (self));
    }
  else
    {
      g_autoptr(FerryWebdropMessage) start = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_START_SENDING);

      g_signal_connect (self->pc, "data-channel", G_CALLBACK (data_channel_cb), self);
      /* A new .part replaces whatever is there, a link included, rather than writing through it. */
      if (self->offset > 0)
        g_file_append_to_async (self->file, G_FILE_CREATE_NONE, G_PRIORITY_DEFAULT, self->cancellable,
                                replace_done_cb, g_object_ref (self));
      else
        g_file_replace_async (self->file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                              G_PRIORITY_DEFAULT, self->cancellable, replace_done_cb, g_object_ref (self));
      start->share_id = g_strdup (self->share_id);
      if (!ferry_peer_send_webdrop (self->peer, start, &error))
        fail (self, g_steal_pointer (&error));
    }
}

void
ferry_webdrop_file_handle_signal (FerryWebdropFile          *self,
                                  const FerryWebdropMessage *signal)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (FERRY_IS_WEBDROP_FILE (self));

  if (self->over || self->pc == NULL)
    return;
  /* The receiver says in every signal where it wants the file to start; the first one counts. */
  if (self->sending && signal->has_start && self->input == NULL && signal->start <= self->size &&
      ferry_peer_connection_get_state (self->pc) == FERRY_PEER_CONNECTION_NEW)
    self->offset = signal->start;

  if (signal->sdp != NULL)
    {
      gboolean offer = g_str_equal (signal->sdp_type, "offer");

      if (offer == self->sending)
        return;
      if (!ferry_peer_connection_set_remote_description (self->pc, offer ? FERRY_SDP_TYPE_OFFER
                                                                          : FERRY_SDP_TYPE_ANSWER,
                                                         signal->sdp, &error))
        return fail (self, g_steal_pointer (&error));
      if (offer)
        ferry_peer_connection_create_answer (self->pc, self->cancellable, answer_done_cb, g_object_ref (self));
    }
  else if (signal->candidate != NULL && *signal->candidate != '\0' &&
           !ferry_peer_connection_add_remote_candidate (self->pc, signal->candidate, &error))
    g_debug ("WebDrop file %.8s: %s", self->share_id, error->message);
}

void
ferry_webdrop_file_set_paused (FerryWebdropFile *self,
                               gboolean          paused)
{
  g_return_if_fail (FERRY_IS_WEBDROP_FILE (self));

  if (self->paused_locally == paused)
    return;
  self->paused_locally = paused;
  send_header (self, paused ? FERRY_WEBDROP_FILE_PAUSE : FERRY_WEBDROP_FILE_RESUME);
  pump (self);
}

void
ferry_webdrop_file_cancel (FerryWebdropFile *self)
{
  g_return_if_fail (FERRY_IS_WEBDROP_FILE (self));

  if (self->over)
    return;
  self->over = TRUE;
  send_header (self, FERRY_WEBDROP_FILE_CANCEL);
  close_all (self, TRUE);
  g_clear_object (&self->output);
}

gboolean
ferry_webdrop_file_is_open (FerryWebdropFile *self)
{
  g_return_val_if_fail (FERRY_IS_WEBDROP_FILE (self), FALSE);

  return self->channel != NULL && ferry_data_channel_get_state (self->channel) == FERRY_DATA_CHANNEL_OPEN;
}

guint64
ferry_webdrop_file_get_carried (FerryWebdropFile *self)
{
  g_return_val_if_fail (FERRY_IS_WEBDROP_FILE (self), 0);

  return self->carried;
}

guint64
ferry_webdrop_file_get_bytes (FerryWebdropFile *self)
{
  g_return_val_if_fail (FERRY_IS_WEBDROP_FILE (self), 0);

  return self->bytes;
}

const char *
ferry_webdrop_file_get_sha256 (FerryWebdropFile *self)
{
  g_return_val_if_fail (FERRY_IS_WEBDROP_FILE (self), NULL);

  return self->sha256;
}

GFile *
ferry_webdrop_file_get_result (FerryWebdropFile *self)
{
  g_return_val_if_fail (FERRY_IS_WEBDROP_FILE (self), NULL);

  return self->result;
}

static void
ferry_webdrop_file_dispose (GObject *object)
{
  FerryWebdropFile *self = FERRY_WEBDROP_FILE (object);

  close_all (self, FALSE);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  G_OBJECT_CLASS (ferry_webdrop_file_parent_class)->dispose (object);
}

static void
ferry_webdrop_file_finalize (GObject *object)
{
  FerryWebdropFile *self = FERRY_WEBDROP_FILE (object);

  g_clear_object (&self->peer);
  g_clear_pointer (&self->config, ferry_rtc_config_unref);
  g_free (self->share_id);
  g_clear_object (&self->file);
  g_free (self->name);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->sum, g_checksum_free);
  g_free (self->sha256);
  g_clear_object (&self->result);
  g_free (self->buffer);
  g_queue_clear_full (&self->writes, (GDestroyNotify) g_bytes_unref);
  g_clear_error (&self->failure);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (ferry_webdrop_file_parent_class)->finalize (object);
}

static void
ferry_webdrop_file_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerryWebdropFile *self = FERRY_WEBDROP_FILE (object);

  switch (prop_id)
    {
    case PROP_BYTES:
      g_value_set_uint64 (value, self->bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_webdrop_file_class_init (FerryWebdropFileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_webdrop_file_dispose;
  object_class->finalize = ferry_webdrop_file_finalize;
  object_class->get_property = ferry_webdrop_file_get_property;

  properties[PROP_BYTES] =
    g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PAUSED_REMOTELY] =
    g_signal_new ("paused-remotely", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ferry_webdrop_file_init (FerryWebdropFile *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->writes);
}
