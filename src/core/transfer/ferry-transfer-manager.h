/* ferry-transfer-manager.h: every transfer of this program, with the peers of its rooms
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The manager watches the rooms it is given.  Each Ferry peer whose hello lists "files" is
 * ready for transfers: its offers become incoming transfers, its messages and transfer channels
 * go to the transfer they name (only when the peer has the transfer's certificate fingerprint,
 * so nobody else can act on it), and every unfinished transfer with that fingerprint, kept from
 * an earlier connection or an earlier run of the program, is handed the peer again and goes on.
 * A peer met in several rooms is the same friend: its transfers carry on in whichever room is
 * connected.
 *
 * An offer whose names cannot be made safe, or a message about a transfer this side does not
 * know, is answered (decline, cancel) and reported; it never reaches the disk.
 *
 * Signals:
 *   ::transfer-added (FerryTransfer)            a new offer arrived, or we made one
 *   ::offer-refused (FerryPeer, GError)         an offer was refused as invalid
 */
#pragma once

#include <gio/gio.h>

#include "ferry-room.h"
#include "ferry-transfer.h"
#include "ferry-transfer-sources.h"

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER_MANAGER (ferry_transfer_manager_get_type ())
G_DECLARE_FINAL_TYPE (FerryTransferManager, ferry_transfer_manager, FERRY, TRANSFER_MANAGER, GObject)

/* @state_dir: where unfinished transfers are kept (created if missing; its transfers are loaded
 * now, blocking), or %NULL to keep nothing. */
FerryTransferManager *ferry_transfer_manager_new           (GFile                *state_dir);
/* The default state folder: "transfers" in Ferry's folder of the user's data folder. */
GFile                *ferry_transfer_manager_get_default_state_dir (void);

void                  ferry_transfer_manager_add_room      (FerryTransferManager *self,
                                                            FerryRoom            *room);
void                  ferry_transfer_manager_remove_room   (FerryTransferManager *self,
                                                            FerryRoom            *room);
/* A peer met without a room (a direct connection); it is followed until it closes. */
void                  ferry_transfer_manager_add_peer      (FerryTransferManager *self,
                                                            FerryPeer            *peer);
/* (element-type FerryTransfer): loaded, offered and received, finished ones included. */
GListModel           *ferry_transfer_manager_get_transfers (FerryTransferManager *self);

/* Whether @peer takes transfers (a Ferry peer whose hello lists "files"). */
gboolean              ferry_transfer_manager_peer_can_receive (FerryPeer         *peer);

/* An unfinished transfer that offers exactly @sources (the same files, sizes and times), sent
 * in an earlier run, or %NULL. */
FerryTransfer        *ferry_transfer_manager_find_sent     (FerryTransferManager *self,
                                                            FerryTransferSources *sources);

/* Offers @sources to @peer.  When an unfinished transfer to the same friend already offers
 * exactly these files (the same command run again after an interruption), that transfer is
 * returned instead of a new one.  Returns a new reference. */
FerryTransfer        *ferry_transfer_manager_send          (FerryTransferManager *self,
                                                            FerryPeer            *peer,
                                                            FerryTransferSources *sources,
                                                            GError              **error);

G_END_DECLS
