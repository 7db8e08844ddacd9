/* ferry-file-sender.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>

#include "ferry-crypto.h"
#include "ferry-file-sender.h"

/* Notifications of bytes-sent are at least this far apart (µs). */
#define NOTIFY_INTERVAL_US (100 * 1000)

typedef enum {
  STEP_QUERY,    /* check size and mtime, then open */
  STEP_PREFIX,   /* hash [0, offset) of a resumed file */
  STEP_DATA,     /* send [offset, size) */
  STEP_EOF,      /* check that nothing follows the expected size */
  STEP_RECHECK,  /* check size and mtime again, then send "end" */
  STEP_DONE,     /* every file sent */
} Step;

struct _FerryFileSender
{
  GObject           parent_instance;

  FerryDataChannel *channel;
  gulong            open_handler;
  gulong            close_handler;
  gulong            low_handler;

  GArray           *items;        /* FerryFileSenderItem, holding a ref on each file */
  guint             current;      /* position in @items */
  Step              step;

  GCancellable     *cancellable;
  GFileInputStream *stream;
  gnutls_hash_hd_t  hash;         /* NULL between files */
  guint64           position;     /* next byte to read in the current file */
  gsize             chunk;

  gboolean          started;
  gboolean          busy;         /* an asynchronous call is under way */
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

static char *
display_name (GFile *file)
{
  return g_file_get_parse_name (file);
}

static void
drop_file_state (FerryFileSender *self)
{
  g_clear_object (&self->stream);
  if (self->hash != NULL)
    {
      gnutls_hash_deinit (self->hash, NULL);
      self->hash = NULL;
    }
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

/* Stops for good; @error (taken) is emitted as ::failed unless it is NULL. */
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

static void
fail_io (FerryFileSender *self,
         GError          *error)
{
  g_autofree char *name = display_name (current_item (self)->file);

  stop (self, g_error_new (error->domain, error->code, _("Could not read “%s”: %s"), name,
                           error->message));
  g_error_free (error);
}

static void
fail_changed (FerryFileSender *self)
{
  g_autofree char *name = display_name (current_item (self)->file);

  stop (self, g_error_new (FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED,
                           _("“%s” changed since it was offered"), name));
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

/* Whether @info still describes the file the offer announced. */
static gboolean
info_matches (FerryFileSender *self,
              GFileInfo       *info,
              gboolean         check_type)
{
  FerryFileSenderItem *item = current_item (self);

  if (check_type && g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return FALSE;
  if (!g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE) ||
      !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_TIME_MODIFIED))
    return FALSE;
  return (guint64) g_file_info_get_size (info) == item->size &&
         g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED) ==
           (guint64) item->mtime;
}

/* Checking the file, opening it */

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      data);

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(FerryFileSender) self = data;
  g_autoptr(GError) error = NULL;
  GFileInputStream *stream;

  stream = g_file_read_finish (G_FILE (object), result, &error);
  self->busy = FALSE;
  if (self->stopped)
    {
      g_clear_object (&stream);
      return;
    }
  if (stream == NULL)
    {
      fail_io (self, g_steal_pointer (&error));
      return;
    }

  self->stream = stream;
  self->position = 0;
  if (gnutls_hash_init (&self->hash, GNUTLS_DIG_SHA256) < 0)
    g_error ("GnuTLS has no SHA-256");
  self->step = STEP_PREFIX;
  pump (self);
}

static void
query_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      data)
{
  g_autoptr(FerryFileSender) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;
  FerryFileSenderItem *item;

  info = g_file_query_info_finish (G_FILE (object), result, &error);
  self->busy = FALSE;
  if (self->stopped)
    return;
  if (info == NULL)
    {
      fail_io (self, g_steal_pointer (&error));
      return;
    }
  if (!info_matches (self, info, TRUE))
    {
      fail_changed (self);
      return;
    }

  item = current_item (self);
  if (item->offset > item->size)
    {
      g_autofree char *name = display_name (item->file);

      stop (self, g_error_new (FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_INVALID,
                               _("Cannot resume “%s” beyond its end"), name));
      return;
    }

  self->busy = TRUE;
  g_file_read_async (item->file, G_PRIORITY_DEFAULT, self->cancellable, open_cb,
                     g_object_ref (self));
}

/* Reading */

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(FerryFileSender) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  self->busy = FALSE;
  if (self->stopped)
    return;
  if (bytes == NULL)
    {
      fail_io (self, g_steal_pointer (&error));
      return;
    }

  len = g_bytes_get_size (bytes);
  switch (self->step)
    {
    case STEP_PREFIX:
    case STEP_DATA:
      if (len == 0)
        {
          /* Shorter than it was when checked. */
          fail_changed (self);
          return;
        }
      gnutls_hash (self->hash, g_bytes_get_data (bytes, NULL), len);
      self->position += len;
      if (self->step == STEP_DATA)
        {
          g_autoptr(GError) send_error = NULL;

          if (!ferry_data_channel_send_bytes (self->channel, bytes, &send_error))
            {
              stop (self, g_error_new (FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_CHANNEL,
                                       _("Could not send on the data channel: %s"),
                                       send_error->message));
              return;
            }
          self->bytes_sent += len;
          notify_bytes (self, FALSE);
        }
      break;

    case STEP_EOF:
      if (len != 0)
        {
          /* Longer than it was when checked. */
          fail_changed (self);
          return;
        }
      self->step = STEP_RECHECK;
      break;

    case STEP_QUERY:
    case STEP_RECHECK:
    case STEP_DONE:
    default:
      g_assert_not_reached ();
    }

  pump (self);
}

static void
read_next (FerryFileSender *self,
           gsize            count)
{
  self->busy = TRUE;
  g_input_stream_read_bytes_async (G_INPUT_STREAM (self->stream), count, G_PRIORITY_DEFAULT,
                                   self->cancellable, read_cb, g_object_ref (self));
}

/* Ending a file */

static void
end_file (FerryFileSender *self)
{
  FerryFileSenderItem *item = current_item (self);
  guint8 digest[FERRY_SHA256_LEN];
  g_autofree char *hex = NULL;
  g_autofree char *text = NULL;
  guint index = item->index;

  gnutls_hash_deinit (self->hash, digest);
  self->hash = NULL;
  g_clear_object (&self->stream);
  hex = ferry_hex_encode (digest, sizeof digest);
  text = g_strdup_printf ("{\"file\": %u, \"end\": %" G_GUINT64_FORMAT ", \"sha256\": \"%s\"}",
                          index, item->size, hex);
  if (!send_text (self, text))
    return;

  notify_bytes (self, TRUE);
  self->current++;
  self->step = self->current < self->items->len ? STEP_QUERY : STEP_DONE;

  g_object_ref (self);
  g_signal_emit (self, signals[FILE_SENT], 0, index, hex);
  if (self->step == STEP_DONE && !self->stopped)
    {
      self->stopped = TRUE;
      disconnect_channel (self);
      g_signal_emit (self, signals[FINISHED], 0);
    }
  g_object_unref (self);
}

static void
recheck_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(FerryFileSender) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_input_stream_query_info_finish (G_FILE_INPUT_STREAM (object), result, &error);
  self->busy = FALSE;
  if (self->stopped)
    return;
  if (info == NULL)
    {
      fail_io (self, g_steal_pointer (&error));
      return;
    }
  if (!info_matches (self, info, FALSE))
    {
      fail_changed (self);
      return;
    }

  end_file (self);
  pump (self);
}

/* Decides what to do next; does nothing while a call is under way, paused or stopped. */
static void
pump (FerryFileSender *self)
{
  while (!self->stopped && self->started && !self->busy && !self->paused)
    {
      FerryFileSenderItem *item;

      if (ferry_data_channel_get_state (self->channel) != FERRY_DATA_CHANNEL_OPEN)
        return;  /* ::open, or ::close, goes on */

      if (self->step == STEP_DONE)
        return;
      item = current_item (self);

      switch (self->step)
        {
        case STEP_QUERY:
          self->busy = TRUE;
          g_file_query_info_async (item->file,
                                   G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                   G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                   G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                   G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->cancellable,
                                   query_cb, g_object_ref (self));
          return;

        case STEP_PREFIX:
          if (self->position < item->offset)
            {
              read_next (self, MIN (self->chunk, item->offset - self->position));
              return;
            }
          else
            {
              g_autofree char *text =
                g_strdup_printf ("{\"file\": %u, \"offset\": %" G_GUINT64_FORMAT "}",
                                 item->index, item->offset);

              if (!send_text (self, text))
                return;
              self->step = STEP_DATA;
            }
          break;

        case STEP_DATA:
          if (self->position >= item->size)
            {
              self->step = STEP_EOF;
              break;
            }
          /* Above the high mark, ::buffered-amount-low calls pump () again. */
          if (ferry_data_channel_get_buffered_amount (self->channel) >=
              FERRY_FILE_SENDER_HIGH_WATER)
            return;
          read_next (self, MIN (self->chunk, item->size - self->position));
          return;

        case STEP_EOF:
          read_next (self, 1);
          return;

        case STEP_RECHECK:
          self->busy = TRUE;
          g_file_input_stream_query_info_async (self->stream,
                                                G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                                G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                                G_PRIORITY_DEFAULT, self->cancellable,
                                                recheck_cb, g_object_ref (self));
          return;

        case STEP_DONE:
        default:
          g_assert_not_reached ();
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
    g_object_unref (g_array_index (self->items, FerryFileSenderItem, i).file);
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
}

FerryFileSender *
ferry_file_sender_new (FerryDataChannel          *channel,
                       const FerryFileSenderItem *items,
                       guint                      n_items)
{
  FerryFileSender *self;
  guint64 max;

  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (channel), NULL);
  g_return_val_if_fail (items != NULL || n_items == 0, NULL);

  self = g_object_new (FERRY_TYPE_FILE_SENDER, NULL);
  self->channel = g_object_ref (channel);
  for (guint i = 0; i < n_items; i++)
    {
      FerryFileSenderItem item = items[i];

      g_return_val_if_fail (G_IS_FILE (item.file), self);
      g_object_ref (item.file);
      g_array_append_val (self->items, item);
    }
  self->step = n_items > 0 ? STEP_QUERY : STEP_DONE;

  max = ferry_data_channel_get_max_message_size (channel);
  self->chunk = max > 0 ? MIN (FERRY_FILE_SENDER_CHUNK, max) : FERRY_FILE_SENDER_CHUNK;
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
