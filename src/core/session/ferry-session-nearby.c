/* ferry-session-nearby.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-session-private.h"

struct _FerrySessionNearby
{
  GObject       parent_instance;

  FerrySession *session;      /* %NULL once the session shut down; it outlives its nearby */
  GListStore   *devices;      /* FerrySessionNearbyDevice */
  GHashTable   *connecting;   /* id → FerrySessionNearbyDevice (a reference), until answered */
  guint         starts;       /* starts not yet matched by a stop */
  gboolean      visible;
  gboolean      running;
  GError       *error;
};

G_DEFINE_FINAL_TYPE (FerrySessionNearby, ferry_session_nearby, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VISIBLE,
  PROP_RUNNING,
  PROP_ERROR,
  N_PROPS
};

enum {
  CONNECTED,
  CONNECT_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
ferry_session_nearby_finalize (GObject *object)
{
  FerrySessionNearby *self = FERRY_SESSION_NEARBY (object);

  g_object_unref (self->devices);
  g_hash_table_unref (self->connecting);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (ferry_session_nearby_parent_class)->finalize (object);
}

static void
ferry_session_nearby_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FerrySessionNearby *self = FERRY_SESSION_NEARBY (object);

  switch (prop_id)
    {
    case PROP_VISIBLE:
      g_value_set_boolean (value, self->visible);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_nearby_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FerrySessionNearby *self = FERRY_SESSION_NEARBY (object);

  switch (prop_id)
    {
    case PROP_VISIBLE:
      ferry_session_nearby_set_visible (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_nearby_class_init (FerrySessionNearbyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ferry_session_nearby_finalize;
  object_class->get_property = ferry_session_nearby_get_property;
  object_class->set_property = ferry_session_nearby_set_property;

  properties[PROP_VISIBLE] = g_param_spec_boolean ("visible", NULL, NULL, FALSE,
                                                   G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                                   G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, flags);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FERRY_TYPE_SESSION_ROOM);
  signals[CONNECT_FAILED] =
    g_signal_new ("connect-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, FERRY_TYPE_SESSION_NEARBY_DEVICE, G_TYPE_ERROR);
}

static void
ferry_session_nearby_init (FerrySessionNearby *self)
{
  self->devices = g_list_store_new (FERRY_TYPE_SESSION_NEARBY_DEVICE);
  self->connecting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/* Private: what the session drives */

FerrySessionNearby *
_ferry_session_nearby_new (FerrySession *session)
{
  FerrySessionNearby *self = g_object_new (FERRY_TYPE_SESSION_NEARBY, NULL);

  self->session = session;
  return self;
}

static void
set_running (FerrySessionNearby *self,
             gboolean            running,
             const GError       *error)
{
  if (self->running != running)
    {
      self->running = running;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
    }
  if (self->error != NULL || error != NULL)
    {
      g_clear_error (&self->error);
      self->error = error != NULL ? g_error_copy (error) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
}

/* The network side started (@error %NULL) or could not. */
void
_ferry_session_nearby_set_started (FerrySessionNearby *self,
                                   const GError       *error)
{
  if (self->starts > 0)
    set_running (self, error == NULL, error);
}

void
_ferry_session_nearby_splice_devices (FerrySessionNearby *self,
                                      guint               position,
                                      guint               removed,
                                      GPtrArray          *added)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func (g_object_unref);

  if (position + removed > g_list_model_get_n_items (G_LIST_MODEL (self->devices)))
    return;
  for (guint i = 0; added != NULL && i < added->len; i++)
    {
      FerrySessionNearbyDevice *device = _ferry_session_nearby_device_new (g_ptr_array_index (added, i));

      /* A device we are connecting to that went and came back. */
      _ferry_session_nearby_device_set_connecting (device,
                                                   g_hash_table_contains (self->connecting,
                                                                          ferry_session_nearby_device_get_id (device)));
      g_ptr_array_add (devices, device);
    }
  g_list_store_splice (self->devices, position, removed, devices->pdata, devices->len);
}

void
_ferry_session_nearby_update_device (FerrySessionNearby                 *self,
                                     const FerrySessionNearbyDeviceInfo *info)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->devices));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionNearbyDevice) device = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (g_str_equal (ferry_session_nearby_device_get_id (device), info->id))
        {
          _ferry_session_nearby_device_update (device, info);
          return;
        }
    }
}

/* The device of @id is no longer being connected to; the one of the list with that id too. */
static FerrySessionNearbyDevice *
stop_connecting (FerrySessionNearby *self,
                 const char         *id)
{
  FerrySessionNearbyDevice *device = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->devices));

  g_hash_table_steal_extended (self->connecting, id, NULL, (gpointer *) &device);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionNearbyDevice) listed = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (g_str_equal (ferry_session_nearby_device_get_id (listed), id))
        _ferry_session_nearby_device_set_connecting (listed, FALSE);
    }
  if (device != NULL)
    _ferry_session_nearby_device_set_connecting (device, FALSE);
  return device;
}

void
_ferry_session_nearby_connect_failed (FerrySessionNearby *self,
                                      const char         *id,
                                      const GError       *error)
{
  g_autoptr(FerrySessionNearbyDevice) device = stop_connecting (self, id);

  if (device != NULL)
    g_signal_emit (self, signals[CONNECT_FAILED], 0, device, error);
}

/* @id: the device we connected to, or %NULL when it connected to us. */
void
_ferry_session_nearby_connected (FerrySessionNearby *self,
                                 const char         *id,
                                 FerrySessionRoom   *room)
{
  g_autoptr(FerrySessionNearby) ref = g_object_ref (self);
  FerrySessionNearbyDevice *device = id != NULL ? stop_connecting (self, id) : NULL;

  g_clear_object (&device);
  g_signal_emit (self, signals[CONNECTED], 0, room);
}

/* Forgets what the network side said: stopped, or the session shut down. */
static void
clear (FerrySessionNearby *self)
{
  GHashTableIter iter;
  FerrySessionNearbyDevice *device;

  g_hash_table_iter_init (&iter, self->connecting);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &device))
    _ferry_session_nearby_device_set_connecting (device, FALSE);
  g_hash_table_remove_all (self->connecting);
  g_list_store_remove_all (self->devices);
  set_running (self, FALSE, NULL);
}

void
_ferry_session_nearby_detach (FerrySessionNearby *self)
{
  self->session = NULL;
  self->starts = 0;
  clear (self);
}

/* Public */

GListModel *
ferry_session_nearby_get_devices (FerrySessionNearby *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY (self), NULL);

  return G_LIST_MODEL (self->devices);
}

gboolean
ferry_session_nearby_get_visible (FerrySessionNearby *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY (self), FALSE);

  return self->visible;
}

void
ferry_session_nearby_set_visible (FerrySessionNearby *self,
                                  gboolean            visible)
{
  g_return_if_fail (FERRY_IS_SESSION_NEARBY (self));

  if (self->visible == !!visible)
    return;
  self->visible = !!visible;
  if (self->session != NULL && self->starts > 0)
    _ferry_session_set_nearby_visible (self->session, self->visible);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VISIBLE]);
}

gboolean
ferry_session_nearby_get_running (FerrySessionNearby *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY (self), FALSE);

  return self->running;
}

const GError *
ferry_session_nearby_get_error (FerrySessionNearby *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY (self), NULL);

  return self->error;
}

void
ferry_session_nearby_start (FerrySessionNearby *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (FERRY_IS_SESSION_NEARBY (self));

  if (self->session == NULL || self->starts++ > 0)
    return;
  if (!_ferry_session_start_nearby (self->session, self->visible, &error))
    set_running (self, FALSE, error);
}

void
ferry_session_nearby_stop (FerrySessionNearby *self)
{
  g_return_if_fail (FERRY_IS_SESSION_NEARBY (self));
  g_return_if_fail (self->session == NULL || self->starts > 0);

  if (self->session == NULL || --self->starts > 0)
    return;
  _ferry_session_stop_nearby (self->session);
  clear (self);
}

void
ferry_session_nearby_connect (FerrySessionNearby       *self,
                              FerrySessionNearbyDevice *device)
{
  const char *id;

  g_return_if_fail (FERRY_IS_SESSION_NEARBY (self));
  g_return_if_fail (FERRY_IS_SESSION_NEARBY_DEVICE (device));

  id = ferry_session_nearby_device_get_id (device);
  if (self->session == NULL || !self->running)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                     _("Not looking for devices on this network"));

      g_signal_emit (self, signals[CONNECT_FAILED], 0, device, error);
      return;
    }
  if (g_hash_table_contains (self->connecting, id))
    return;
  g_hash_table_insert (self->connecting, g_strdup (id), g_object_ref (device));
  _ferry_session_nearby_device_set_connecting (device, TRUE);
  _ferry_session_nearby_connect (self->session, id);
}
