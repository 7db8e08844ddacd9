/* ferry-nearby-device.c: a Ferry device seen on the local network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-crypto.h"
#include "ferry-nearby-device.h"

struct _FerryNearbyDevice
{
  GObject           parent_instance;

  char             *id;
  char             *name;
  guint8            fingerprint_raw[32];
  char             *fingerprint;
  FerryPairingCode *code;
  gint64            last_seen_us;
};

G_DEFINE_FINAL_TYPE (FerryNearbyDevice, ferry_nearby_device, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_FINGERPRINT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

FerryNearbyDevice *
_ferry_nearby_device_new (const FerryNearbyAnnouncement *announcement)
{
  FerryNearbyDevice *self = g_object_new (FERRY_TYPE_NEARBY_DEVICE, NULL);

  self->id = ferry_hex_encode (announcement->id, sizeof announcement->id);
  _ferry_nearby_device_update (self, announcement, g_get_monotonic_time ());
  return self;
}

void
_ferry_nearby_device_update (FerryNearbyDevice             *self,
                             const FerryNearbyAnnouncement *announcement,
                             gint64                         now_us)
{
  g_autofree char *code = ferry_pairing_code_to_string (announcement->code);

  g_return_if_fail (FERRY_IS_NEARBY_DEVICE (self));
  g_return_if_fail (announcement->type == FERRY_NEARBY_HERE);

  self->last_seen_us = now_us;
  g_clear_pointer (&self->code, ferry_pairing_code_free);
  self->code = ferry_pairing_code_parse (code, 0, NULL);
  if (g_strcmp0 (self->name, announcement->name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (announcement->name);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
    }
  if (self->fingerprint == NULL ||
      memcmp (self->fingerprint_raw, announcement->fingerprint, sizeof self->fingerprint_raw) != 0)
    {
      memcpy (self->fingerprint_raw, announcement->fingerprint, sizeof self->fingerprint_raw);
      g_free (self->fingerprint);
      self->fingerprint = ferry_hex_encode (self->fingerprint_raw, sizeof self->fingerprint_raw);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINGERPRINT]);
    }
}

gint64
_ferry_nearby_device_get_last_seen (FerryNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_NEARBY_DEVICE (self), 0);

  return self->last_seen_us;
}

const char *
ferry_nearby_device_get_id (FerryNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_NEARBY_DEVICE (self), NULL);

  return self->id;
}

const char *
ferry_nearby_device_get_name (FerryNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_NEARBY_DEVICE (self), NULL);

  return self->name;
}

const char *
ferry_nearby_device_get_fingerprint (FerryNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_NEARBY_DEVICE (self), NULL);

  return self->fingerprint;
}

const guint8 *
ferry_nearby_device_get_fingerprint_raw (FerryNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_NEARBY_DEVICE (self), NULL);

  return self->fingerprint_raw;
}

const FerryPairingCode *
ferry_nearby_device_get_code (FerryNearbyDevice *self)
{
  g_return_val_if_fail (FERRY_IS_NEARBY_DEVICE (self), NULL);

  return self->code;
}

static void
ferry_nearby_device_finalize (GObject *object)
{
  FerryNearbyDevice *self = FERRY_NEARBY_DEVICE (object);

  g_free (self->id);
  g_free (self->name);
  g_free (self->fingerprint);
  g_clear_pointer (&self->code, ferry_pairing_code_free);
  G_OBJECT_CLASS (ferry_nearby_device_parent_class)->finalize (object);
}

static void
ferry_nearby_device_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  FerryNearbyDevice *self = FERRY_NEARBY_DEVICE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_FINGERPRINT:
      g_value_set_string (value, self->fingerprint);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_nearby_device_class_init (FerryNearbyDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_nearby_device_finalize;
  object_class->get_property = ferry_nearby_device_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FINGERPRINT] =
    g_param_spec_string ("fingerprint", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_nearby_device_init (FerryNearbyDevice *self)
{
}
