/* ferry-session-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-session-private.h"
#include "ferry-transfer-enums.h"

/* The speed is measured over this much of the recent past. */
#define SPEED_WINDOW_US (3 * G_USEC_PER_SEC)

typedef struct {
  gint64  time;
  guint64 bytes;
} Sample;

struct _FerrySessionTransfer
{
  GObject                   parent_instance;

  FerrySession             *session;   /* weak: the session outlives what it reports */
  FerrySessionTransferInfo  info;
  char                     *title;
  GPtrArray                *files;     /* GFile or NULL, from info.files */
  GFile                    *folder;
  GArray                   *samples;   /* Sample, oldest first, within SPEED_WINDOW_US */
  guint64                   speed;
};

G_DEFINE_FINAL_TYPE (FerrySessionTransfer, ferry_session_transfer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_DIRECTION,
  PROP_STATE,
  PROP_PEER_NAME,
  PROP_PEER_FINGERPRINT,
  PROP_TOTAL,
  PROP_BYTES_DONE,
  PROP_SPEED,
  PROP_REASON,
  PROP_PAUSED_LOCALLY,
  PROP_PAUSED_REMOTELY,
  PROP_TITLE,
  PROP_N_FILES,
  N_PROPS
};

enum {
  ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
unref_file (gpointer file)
{
  if (file != NULL)
    g_object_unref (file);
}

static void
clear_info (FerrySessionTransferInfo *info)
{
  g_clear_pointer (&info->id, g_free);
  g_clear_pointer (&info->peer_name, g_free);
  g_clear_pointer (&info->peer_fingerprint, g_free);
  g_clear_pointer (&info->reason, g_free);
  g_clear_pointer (&info->paths, g_ptr_array_unref);
  g_clear_pointer (&info->sizes, g_array_unref);
  g_clear_pointer (&info->files, g_ptr_array_unref);
  g_clear_pointer (&info->folder, g_free);
}

void
_ferry_session_transfer_info_free (FerrySessionTransferInfo *info)
{
  clear_info (info);
  g_free (info);
}

static void
ferry_session_transfer_dispose (GObject *object)
{
  FerrySessionTransfer *self = FERRY_SESSION_TRANSFER (object);

  g_clear_weak_pointer (&self->session);

  G_OBJECT_CLASS (ferry_session_transfer_parent_class)->dispose (object);
}

static void
ferry_session_transfer_finalize (GObject *object)
{
  FerrySessionTransfer *self = FERRY_SESSION_TRANSFER (object);

  clear_info (&self->info);
  g_free (self->title);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_object (&self->folder);
  g_array_unref (self->samples);

  G_OBJECT_CLASS (ferry_session_transfer_parent_class)->finalize (object);
}

static void
ferry_session_transfer_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  FerrySessionTransfer *self = FERRY_SESSION_TRANSFER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->info.id);
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, self->info.direction);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->info.state);
      break;
    case PROP_PEER_NAME:
      g_value_set_string (value, self->info.peer_name);
      break;
    case PROP_PEER_FINGERPRINT:
      g_value_set_string (value, self->info.peer_fingerprint);
      break;
    case PROP_TOTAL:
      g_value_set_uint64 (value, self->info.total);
      break;
    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, self->info.bytes_done);
      break;
    case PROP_SPEED:
      g_value_set_uint64 (value, self->speed);
      break;
    case PROP_REASON:
      g_value_set_string (value, self->info.reason);
      break;
    case PROP_PAUSED_LOCALLY:
      g_value_set_boolean (value, self->info.paused_locally);
      break;
    case PROP_PAUSED_REMOTELY:
      g_value_set_boolean (value, self->info.paused_remotely);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_N_FILES:
      g_value_set_uint (value, ferry_session_transfer_get_n_files (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_transfer_class_init (FerrySessionTransferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = ferry_session_transfer_dispose;
  object_class->finalize = ferry_session_transfer_finalize;
  object_class->get_property = ferry_session_transfer_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_DIRECTION] = g_param_spec_enum ("direction", NULL, NULL, FERRY_TYPE_TRANSFER_DIRECTION,
                                                  FERRY_TRANSFER_DIRECTION_SEND, flags);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_TRANSFER_STATE,
                                              FERRY_TRANSFER_STATE_OFFERED, flags);
  properties[PROP_PEER_NAME] = g_param_spec_string ("peer-name", NULL, NULL, NULL, flags);
  properties[PROP_PEER_FINGERPRINT] = g_param_spec_string ("peer-fingerprint", NULL, NULL, NULL, flags);
  properties[PROP_TOTAL] = g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_BYTES_DONE] = g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_SPEED] = g_param_spec_uint64 ("speed", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_REASON] = g_param_spec_string ("reason", NULL, NULL, NULL, flags);
  properties[PROP_PAUSED_LOCALLY] = g_param_spec_boolean ("paused-locally", NULL, NULL, FALSE, flags);
  properties[PROP_PAUSED_REMOTELY] = g_param_spec_boolean ("paused-remotely", NULL, NULL, FALSE, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_N_FILES] = g_param_spec_uint ("n-files", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                 NULL, G_TYPE_NONE, 1, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
ferry_session_transfer_init (FerrySessionTransfer *self)
{
  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
}

/* The name of the one file or folder everything is in, or how many files. */
static char *
make_title (const FerrySessionTransferInfo *info)
{
  g_autofree char *common = NULL;
  guint n = info->paths->len;

  for (guint i = 0; i < n; i++)
    {
      const char *path = g_ptr_array_index (info->paths, i);
      const char *slash = strchr (path, '/');
      g_autofree char *top = slash ? g_strndup (path, slash - path) : g_strdup (path);

      if (common == NULL)
        common = g_steal_pointer (&top);
      else if (!g_str_equal (common, top))
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u file", "%u files", n), n);
    }
  return common != NULL ? g_steal_pointer (&common) : g_strdup (_("Nothing"));
}

/* Bytes per second over the last SPEED_WINDOW_US, from the progress reports. */
static guint64
measure_speed (FerrySessionTransfer *self)
{
  gint64 now = g_get_monotonic_time ();
  Sample sample = { now, self->info.bytes_done };
  const Sample *oldest;

  if (self->info.state != FERRY_TRANSFER_STATE_RUNNING)
    {
      g_array_set_size (self->samples, 0);
      return 0;
    }
  g_array_append_val (self->samples, sample);
  while (self->samples->len > 2 && now - g_array_index (self->samples, Sample, 1).time >= SPEED_WINDOW_US)
    g_array_remove_index (self->samples, 0);
  oldest = &g_array_index (self->samples, Sample, 0);
  /* A new session starts from the bytes the receiver holds: no speed across that jump. */
  if (sample.bytes < oldest->bytes)
    {
      g_array_remove_range (self->samples, 0, self->samples->len - 1);
      return 0;
    }
  if (now - oldest->time < G_USEC_PER_SEC / 4)
    return self->speed;
  return (sample.bytes - oldest->bytes) * G_USEC_PER_SEC / (now - oldest->time);
}

static void
update_string (FerrySessionTransfer  *self,
               char                 **field,
               const char            *value,
               guint                  prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

#define UPDATE_VALUE(self, field, value, prop) \
  G_STMT_START { \
    if ((self)->info.field != (value)) \
      { \
        (self)->info.field = (value); \
        g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); \
      } \
  } G_STMT_END

void
_ferry_session_transfer_update (FerrySessionTransfer           *self,
                                const FerrySessionTransferInfo *info)
{
  guint64 speed;

  g_return_if_fail (FERRY_IS_SESSION_TRANSFER (self));

  g_object_freeze_notify (G_OBJECT (self));
  UPDATE_VALUE (self, state, info->state, PROP_STATE);
  update_string (self, &self->info.peer_name, info->peer_name, PROP_PEER_NAME);
  update_string (self, &self->info.peer_fingerprint, info->peer_fingerprint, PROP_PEER_FINGERPRINT);
  UPDATE_VALUE (self, total, info->total, PROP_TOTAL);
  UPDATE_VALUE (self, bytes_done, info->bytes_done, PROP_BYTES_DONE);
  update_string (self, &self->info.reason, info->reason, PROP_REASON);
  UPDATE_VALUE (self, paused_locally, info->paused_locally, PROP_PAUSED_LOCALLY);
  UPDATE_VALUE (self, paused_remotely, info->paused_remotely, PROP_PAUSED_REMOTELY);
  if (g_strcmp0 (self->info.folder, info->folder) != 0)
    {
      g_free (self->info.folder);
      self->info.folder = g_strdup (info->folder);
      g_clear_object (&self->folder);
      if (info->folder != NULL)
        self->folder = g_file_new_for_path (info->folder);
    }

  /* The file list comes with the first report and whenever files land. */
  if (info->paths != NULL)
    {
      g_autofree char *title = NULL;
      guint n_before = ferry_session_transfer_get_n_files (self);

      g_clear_pointer (&self->info.paths, g_ptr_array_unref);
      g_clear_pointer (&self->info.sizes, g_array_unref);
      g_clear_pointer (&self->info.files, g_ptr_array_unref);
      self->info.paths = g_ptr_array_ref (info->paths);
      self->info.sizes = g_array_ref (info->sizes);
      self->info.files = g_ptr_array_ref (info->files);
      g_clear_pointer (&self->files, g_ptr_array_unref);
      self->files = g_ptr_array_new_full (info->files->len, unref_file);
      for (guint i = 0; i < info->files->len; i++)
        {
          const char *path = g_ptr_array_index (info->files, i);

          g_ptr_array_add (self->files, path != NULL ? g_file_new_for_path (path) : NULL);
        }
      title = make_title (&self->info);
      update_string (self, &self->title, title, PROP_TITLE);
      if (n_before != info->paths->len)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_FILES]);
    }

  if ((speed = measure_speed (self)) != self->speed)
    {
      self->speed = speed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

FerrySessionTransfer *
_ferry_session_transfer_new (FerrySession                   *session,
                             const FerrySessionTransferInfo *info)
{
  FerrySessionTransfer *self = g_object_new (FERRY_TYPE_SESSION_TRANSFER, NULL);

  g_set_weak_pointer (&self->session, session);
  self->info.handle = info->handle;
  self->info.id = g_strdup (info->id);
  self->info.direction = info->direction;
  self->info.state = info->state;
  _ferry_session_transfer_update (self, info);
  return self;
}

guint
_ferry_session_transfer_get_handle (FerrySessionTransfer *self)
{
  return self->info.handle;
}

void
_ferry_session_transfer_report_error (FerrySessionTransfer *self,
                                      const GError         *error)
{
  g_signal_emit (self, signals[ERROR], 0, error);
}

/* Actions */

static void
act (FerrySessionTransfer        *self,
     FerrySessionTransferAction   action,
     const guint                 *files,
     guint                        n_files)
{
  if (self->session != NULL)
    _ferry_session_act_on_transfer (self->session, self, action, files, n_files);
}

void
ferry_session_transfer_accept (FerrySessionTransfer *self,
                               const guint          *files,
                               guint                 n_files)
{
  g_return_if_fail (FERRY_IS_SESSION_TRANSFER (self));

  act (self, FERRY_SESSION_TRANSFER_ACCEPT, files, files != NULL ? n_files : 0);
}

void
ferry_session_transfer_decline (FerrySessionTransfer *self)
{
  g_return_if_fail (FERRY_IS_SESSION_TRANSFER (self));

  act (self, FERRY_SESSION_TRANSFER_DECLINE, NULL, 0);
}

void
ferry_session_transfer_pause (FerrySessionTransfer *self)
{
  g_return_if_fail (FERRY_IS_SESSION_TRANSFER (self));

  act (self, FERRY_SESSION_TRANSFER_PAUSE, NULL, 0);
}

void
ferry_session_transfer_resume (FerrySessionTransfer *self)
{
  g_return_if_fail (FERRY_IS_SESSION_TRANSFER (self));

  act (self, FERRY_SESSION_TRANSFER_RESUME, NULL, 0);
}

void
ferry_session_transfer_cancel (FerrySessionTransfer *self)
{
  g_return_if_fail (FERRY_IS_SESSION_TRANSFER (self));

  act (self, FERRY_SESSION_TRANSFER_CANCEL, NULL, 0);
}

/* Getters */

const char *
ferry_session_transfer_get_id (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);

  return self->info.id;
}

FerryTransferDirection
ferry_session_transfer_get_direction (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), FERRY_TRANSFER_DIRECTION_SEND);

  return self->info.direction;
}

FerryTransferState
ferry_session_transfer_get_state (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), FERRY_TRANSFER_STATE_FAILED);

  return self->info.state;
}

gboolean
ferry_session_transfer_is_finished (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), TRUE);

  return self->info.state >= FERRY_TRANSFER_STATE_DONE;
}

const char *
ferry_session_transfer_get_peer_name (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);

  return self->info.peer_name;
}

const char *
ferry_session_transfer_get_peer_fingerprint (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);

  return self->info.peer_fingerprint;
}

guint64
ferry_session_transfer_get_total (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), 0);

  return self->info.total;
}

guint64
ferry_session_transfer_get_bytes_done (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), 0);

  return self->info.bytes_done;
}

guint64
ferry_session_transfer_get_speed (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), 0);

  return self->speed;
}

gint64
ferry_session_transfer_get_eta (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), -1);

  if (self->speed == 0 || self->info.bytes_done > self->info.total)
    return -1;
  return (self->info.total - self->info.bytes_done + self->speed - 1) / self->speed;
}

const char *
ferry_session_transfer_get_reason (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);

  return self->info.reason;
}

gboolean
ferry_session_transfer_get_paused_locally (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), FALSE);

  return self->info.paused_locally;
}

gboolean
ferry_session_transfer_get_paused_remotely (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), FALSE);

  return self->info.paused_remotely;
}

const char *
ferry_session_transfer_get_title (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);

  return self->title;
}

guint
ferry_session_transfer_get_n_files (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), 0);

  return self->info.paths != NULL ? self->info.paths->len : 0;
}

const char *
ferry_session_transfer_get_file_path (FerrySessionTransfer *self,
                                      guint                 index)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);
  g_return_val_if_fail (index < ferry_session_transfer_get_n_files (self), NULL);

  return g_ptr_array_index (self->info.paths, index);
}

guint64
ferry_session_transfer_get_file_size (FerrySessionTransfer *self,
                                      guint                 index)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), 0);
  g_return_val_if_fail (index < ferry_session_transfer_get_n_files (self), 0);

  return g_array_index (self->info.sizes, guint64, index);
}

GFile *
ferry_session_transfer_get_file (FerrySessionTransfer *self,
                                 guint                 index)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);
  g_return_val_if_fail (index < ferry_session_transfer_get_n_files (self), NULL);

  return g_ptr_array_index (self->files, index);
}

GFile *
ferry_session_transfer_get_folder (FerrySessionTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (self), NULL);

  return self->folder;
}
