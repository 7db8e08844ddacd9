/* ferry-dht-rendezvous.h: the members of a secret room meet through the DHT (docs/DHT.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * With no tracker, the members of a secret room find each other in the DHT: each hour, keys
 * derived from the room's secret name a lobby (a BEP 44 item listing the members present) and a
 * mailbox for every ordered pair of members, all sealed so that the DHT learns nothing.  Of two
 * members who see each other in the lobby, the one with the greater member id writes a pairing
 * code (ferry-pairing-code.h: its ICE candidates and a fresh secret) into its mailbox to the
 * other, who connects with it and answers with a reply code (its own candidates) at once, as
 * signalling through the DHT takes seconds.  The connected peer joins the room like any other
 * (ferry_room_add_peer ()); it proved the code's secret with its hello, which only a member could
 * read.  Members already connected are left alone.
 *
 * A member alone meets one member through the DHT, the freshest; once connected to some, it
 * meets the others through them: the same codes go as "relay" messages (docs/PROTOCOL.md) to the
 * members it is connected to, which pass them on, and into the DHT only if that has not worked
 * within a few seconds.
 *
 * Properties:
 *   members (guint)     members seen in the lobby this hour, us excluded
 *   read-delay (guint)  for tests: what a mailbox brings is taken this many ms later, as if
 *                       signalling were that much slower
 *   clock-offset (gint64)  for tests: seconds added to the clock that picks the hour
 */
#pragma once

#include <gio/gio.h>

#include "ferry-dht.h"
#include "ferry-identity.h"
#include "ferry-room.h"
#include "ferry-rtc-config.h"

G_BEGIN_DECLS

#define FERRY_TYPE_DHT_RENDEZVOUS (ferry_dht_rendezvous_get_type ())
G_DECLARE_FINAL_TYPE (FerryDhtRendezvous, ferry_dht_rendezvous, FERRY, DHT_RENDEZVOUS, GObject)

/* @room must be a secret room; @dht running (or about to be) on the caller's main context. */
FerryDhtRendezvous *ferry_dht_rendezvous_new   (FerryDht           *dht,
                                                FerryRoom          *room,
                                                FerryIdentity      *identity,
                                                FerryRtcConfig     *config,
                                                const char         *local_name);
void                ferry_dht_rendezvous_start (FerryDhtRendezvous *self);
void                ferry_dht_rendezvous_stop  (FerryDhtRendezvous *self);
guint               ferry_dht_rendezvous_get_members (FerryDhtRendezvous *self);

G_END_DECLS
