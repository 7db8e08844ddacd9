/* ferry-session-nearby.h: Ferry devices on the local network, as the GUI sees them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GUI's handle on the session's FerryNearby (docs/PAIRING.md, "Nearby devices"), which
 * lives on the network thread: ferry_session_get_nearby ().  Calls are passed on to the network
 * thread and return at once; what happens there comes back as copied values (the devices) and
 * signals, on the GUI's main context.
 *
 * Starting is counted: the network side listens from the first ferry_session_nearby_start ()
 * until the matching last ferry_session_nearby_stop (), so that the app's preference and its
 * nearby view can each want it.  Stopped, nothing at all is sent (and "bye" is said when it was
 * visible); it is started with the session's identity, the peer-connection settings and the
 * display name of that moment.
 *
 * A connection in either direction (ferry_session_nearby_connect (), or somebody who chose us
 * while visible) puts the other device's peer in a direct room, as a pairing code does
 * (ferry_session_pair ()): a room of a fresh secret link without trackers, an ordinary room of
 * the session.  Its peer is not verified: the users compare its verification code, as in a
 * public room.
 *
 * Properties (notified on the GUI's main context):
 *   visible   boolean  announce this computer (with an open pairing code) while started
 *   running   boolean  (read-only) started and listening
 *   error     GError   (read-only) why it could not start (a network without multicast, say);
 *                      %NULL while running
 * Signals:
 *   ::connected (FerrySessionRoom *)                 the direct room of a new connection, ours
 *                                                    or theirs; listed in the session's rooms
 *   ::connect-failed (FerrySessionNearbyDevice *, const GError *)
 *                                                    ferry_session_nearby_connect () did not
 *                                                    connect (the device may be gone from the
 *                                                    list meanwhile)
 */
#pragma once

#include <gio/gio.h>

#include "ferry-session-nearby-device.h"
#include "ferry-session-room.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SESSION_NEARBY (ferry_session_nearby_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionNearby, ferry_session_nearby, FERRY, SESSION_NEARBY, GObject)

/* (element-type FerrySessionNearbyDevice): the devices seen, in the order they appeared; empty
 * while stopped. */
GListModel   *ferry_session_nearby_get_devices (FerrySessionNearby       *self);
gboolean      ferry_session_nearby_get_visible (FerrySessionNearby       *self);
void          ferry_session_nearby_set_visible (FerrySessionNearby       *self,
                                                gboolean                  visible);
gboolean      ferry_session_nearby_get_running (FerrySessionNearby       *self);
const GError *ferry_session_nearby_get_error   (FerrySessionNearby       *self);
/* Each start is matched by one stop. */
void          ferry_session_nearby_start       (FerrySessionNearby       *self);
void          ferry_session_nearby_stop        (FerrySessionNearby       *self);
/* Connects to @device (one of the list) with its latest announced code: ::connected, or
 * ::connect-failed. */
void          ferry_session_nearby_connect     (FerrySessionNearby       *self,
                                                FerrySessionNearbyDevice *device);

G_END_DECLS
