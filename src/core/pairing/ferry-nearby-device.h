/* ferry-nearby-device.h: a Ferry device seen on the local network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What its latest announcement said.  Properties (read-only, notified when a new announcement
 * changes them): name (string), fingerprint (string, lower-case hex of the certificate's
 * SHA-256).
 */
#pragma once

#include <gio/gio.h>

#include "ferry-nearby-announcement.h"

G_BEGIN_DECLS

#define FERRY_TYPE_NEARBY_DEVICE (ferry_nearby_device_get_type ())
G_DECLARE_FINAL_TYPE (FerryNearbyDevice, ferry_nearby_device, FERRY, NEARBY_DEVICE, GObject)

/* The device's id for this run of it (hex), stable across its announcements. */
const char             *ferry_nearby_device_get_id          (FerryNearbyDevice *self);
const char             *ferry_nearby_device_get_name        (FerryNearbyDevice *self);
const char             *ferry_nearby_device_get_fingerprint (FerryNearbyDevice *self);
/* The same, 32 bytes. */
const guint8           *ferry_nearby_device_get_fingerprint_raw (FerryNearbyDevice *self);
/* Its open pairing code, the latest announced. */
const FerryPairingCode *ferry_nearby_device_get_code        (FerryNearbyDevice *self);

/* For FerryNearby: a device from its first announcement, and each later one. */
FerryNearbyDevice      *_ferry_nearby_device_new            (const FerryNearbyAnnouncement *announcement);
void                    _ferry_nearby_device_update         (FerryNearbyDevice             *self,
                                                             const FerryNearbyAnnouncement *announcement,
                                                             gint64                         now_us);
gint64                  _ferry_nearby_device_get_last_seen  (FerryNearbyDevice             *self);

G_END_DECLS
