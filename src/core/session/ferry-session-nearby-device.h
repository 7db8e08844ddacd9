/* ferry-session-nearby-device.h: a Ferry device on the local network, as the GUI sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A copy of what the network thread's FerryNearbyDevice said in its latest announcement, for
 * the list of FerrySessionNearby.  Everything here lives on the GUI's main context.
 *
 * Properties (read-only, notified on the GUI's main context):
 *   id           string   (construct-only) the device's id for this run of it (hex)
 *   name         string   the name it announces (cleaned, at most 64 bytes)
 *   fingerprint  string   lower-case hex of its certificate's SHA-256
 *   connecting   boolean  ferry_session_nearby_connect () was called for it and has not
 *                         connected or failed yet
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_SESSION_NEARBY_DEVICE (ferry_session_nearby_device_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionNearbyDevice, ferry_session_nearby_device, FERRY, SESSION_NEARBY_DEVICE, GObject)

const char *ferry_session_nearby_device_get_id          (FerrySessionNearbyDevice *self);
const char *ferry_session_nearby_device_get_name        (FerrySessionNearbyDevice *self);
const char *ferry_session_nearby_device_get_fingerprint (FerrySessionNearbyDevice *self);
/* The first 8 hex digits of the fingerprint in groups of four, "1a2b 3c4d": enough to tell two
 * devices of the same name apart at a glance (it proves nothing: the verification code does). */
char       *ferry_session_nearby_device_dup_short_fingerprint (FerrySessionNearbyDevice *self);
gboolean    ferry_session_nearby_device_get_connecting  (FerrySessionNearbyDevice *self);

G_END_DECLS
