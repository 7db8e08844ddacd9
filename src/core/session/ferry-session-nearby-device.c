/* ferry-session-nearby-device.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-session-private.h"

struct _FerrySessionNearbyDevice
{
  GObject   parent_instance;

  char     *id;
  char     *name;
  char     *fingerprint;
  gboolean  connecting;
};

G_DEFINE_FINAL_TYPE (FerrySessionNearbyDevice, ferry_session_nearby_device, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_FINGERPRINT,
  PROP_CONNECTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ferry_session_nearby_device_finalize (GObject *object)
{
  FerrySessionNearbyDevice *self = FERRY_SESSION_NEARBY_DEVICE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (ferry_session_nearby_device_parent_class)->finalize (object);
}

static void
ferry_session_nearby_device_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  FerrySessionNearbyDevice *self = FERRY_SESSION_NEARBY_DEVICE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_FINGERPRINT:
      g_value_set_string (value, self->fingerprint);
      break;
    case PROP_CONNECTING:
      g_value_set_boolean (value, self->connecting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_nearby_device_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  FerrySessionNearbyDevice *self = FERRY_SESSION_NEARBY_DEVICE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_nearby_device_class_init (FerrySessionNearbyDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ferry_session_nearby_device_finalize;
  object_class->get_property = ferry_session_nearby_device_get_property;
  object_class->set_property = ferry_session_nearby_device_set_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL,
                                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                             G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_FINGERPRINT] = g_param_spec_string ("fingerprint", NULL, NULL, NULL, flags);
  properties[PROP_CONNECTING] = g_param_spec_boolean ("connecting", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_session_nearby_device_init (FerrySessionNearbyDevice *self)
{
}

/* Private: what FerrySessionNearby drives */

void
_ferry_session_nearby_device_info_free (FerrySessionNearbyDeviceInfo *info)
{
  g_free (info->id);
  g_free (info->name);
  g_free (info->fingerprint);
  g_free (info);
}

FerrySessionNearbyDevice *
_ferry_session_nearby_device_new (const FerrySessionNearbyDeviceInfo *info)
{
  FerrySessionNearbyDevice *self = g_object_new (FERRY_TYPE_SESSION_NEARBY_DEVICE, "id", info->id, NULL);

  self->name = g_strdup (info->name);
  self->fingerprint = g_strdup (info->fingerprint);
  return self;
}

static void
set_string (FerrySessionNearbyDevice  *self,
            char                     **field,
            const char                *value,
            GParamSpec                *pspec)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
_ferry_session_nearby_device_update (FerrySessionNearbyDevice           *self,
                                     const FerrySessionNearbyDeviceInfo *info)
{
  set_string (self, &self->name, info->name, properties[PROP_NAME]);
  set_string (self, &self->fingerprint, info->fingerprint, properties[PROP_FINGERPRINT]);
}

void
_ferry_session_nearby_device_set_connecting (FerrySessionNearbyDevice *self,
                                             gboolean                  connecting)
{
  if (self->connecting == !!connecting)
    return;
  self->connecting = !!connecting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTING]);
}

/* Public */

const char *
ferry_session_nearby_device_get_id (FerrySessionNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY_DEVICE (self), NULL);

  return self->id;
}

const char *
ferry_session_nearby_device_get_name (FerrySessionNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY_DEVICE (self), NULL);

  return self->name;
}

const char *
ferry_session_nearby_device_get_fingerprint (FerrySessionNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY_DEVICE (self), NULL);

  return self->fingerprint;
}

char *
ferry_session_nearby_device_dup_short_fingerprint (FerrySessionNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY_DEVICE (self), NULL);

  if (self->fingerprint == NULL || strlen (self->fingerprint) < 8)
    return g_strdup ("");
  return g_strdup_printf ("%.4s %.4s", self->fingerprint, self->fingerprint + 4);
}

gboolean
ferry_session_nearby_device_get_connecting (FerrySessionNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_NEARBY_DEVICE (self), FALSE);

  return self->connecting;
}
