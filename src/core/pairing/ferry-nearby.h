/* ferry-nearby.h: Ferry devices on the local network, with no server and no internet
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Listening, a FerryNearby keeps the list of devices that announce themselves on the local
 * network (ferry-nearby-announcement.h): each is gone after a "bye" or when not heard for a few
 * seconds.  Visible, it also announces itself every few seconds, with an open pairing code that
 * whoever chooses it reads to connect; once somebody has, it announces a fresh code.  Nothing is
 * sent unless visible.  Connections made this way prove nothing by themselves (the code is
 * public): the reader checks that the certificate is the announced one, and both users compare
 * the peer's verification code, as in a public room.
 *
 * Signals:
 *   ::incoming (FerryPairing)   somebody connected to our announced code: its peer is connected
 *                               (a handler takes a reference to keep it)
 */
#pragma once

#include <gio/gio.h>

#include "ferry-identity.h"
#include "ferry-nearby-device.h"
#include "ferry-pairing.h"
#include "ferry-rtc-config.h"

G_BEGIN_DECLS

#define FERRY_TYPE_NEARBY (ferry_nearby_get_type ())
G_DECLARE_FINAL_TYPE (FerryNearby, ferry_nearby, FERRY, NEARBY, GObject)

FerryNearby  *ferry_nearby_new             (FerryIdentity        *identity,
                                            FerryRtcConfig       *config,
                                            const char           *display_name);
/* Starts listening (on the caller's main context); fails when the network has no multicast. */
gboolean      ferry_nearby_start           (FerryNearby          *self,
                                            GError              **error);
/* Says "bye" when visible, stops listening and forgets the devices. */
void          ferry_nearby_stop            (FerryNearby          *self);
void          ferry_nearby_set_visible     (FerryNearby          *self,
                                            gboolean              visible);
/* (element-type FerryNearbyDevice): the devices seen, in the order they appeared. */
GListModel   *ferry_nearby_get_devices     (FerryNearby          *self);
/* Connects to @device with its latest code: the pairing (ferry_pairing_new_finish ()) fails
 * unless the device that answers has the announced certificate. */
void          ferry_nearby_connect_async   (FerryNearby          *self,
                                            FerryNearbyDevice    *device,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);

G_END_DECLS
