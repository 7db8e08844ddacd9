/* ferry-transfer-private.h: what FerryTransferManager drives in a FerryTransfer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-transfer.h"
#include "ferry-rtc-config.h"
#include "ferry-transfer-sources.h"

G_BEGIN_DECLS

/* @state_file: where the transfer keeps its state while unfinished; %NULL keeps nothing. */
FerryTransfer *_ferry_transfer_new_outgoing   (FerryPeer              *peer,
                                               FerryTransferSources   *sources,
                                               GFile                  *state_dir);
/* Checks the offer's names and sizes (FERRY_TRANSFER_ERROR_INVALID_OFFER). */
FerryTransfer *_ferry_transfer_new_incoming   (FerryPeer              *peer,
                                               const FerryPeerMessage *offer,
                                               GFile                  *state_dir,
                                               GError                **error);
/* To a WebDrop peer: each file a share of its own, by its name only (WebDrop has no folders). */
FerryTransfer *_ferry_transfer_new_webdrop_outgoing (FerryPeer                 *peer,
                                                     FerryTransferSources      *sources,
                                                     FerryRtcConfig            *config);
/* A WebDrop peer's newShare; refuses a name that cannot be made safe. */
FerryTransfer *_ferry_transfer_new_webdrop_incoming (FerryPeer                 *peer,
                                                     const FerryWebdropMessage *share,
                                                     FerryRtcConfig            *config,
                                                     GError                   **error);
/* startSending or a file signal: %FALSE when it is about none of this transfer's shares. */
gboolean       _ferry_transfer_handle_webdrop (FerryTransfer             *self,
                                               const FerryWebdropMessage *message);
gboolean       _ferry_transfer_is_webdrop     (FerryTransfer             *self);
/* A transfer kept by an earlier run, in state WAITING without a peer. */
FerryTransfer *_ferry_transfer_load           (GFile                  *state_file,
                                               GError                **error);

/* Sends the offer. */
void           _ferry_transfer_start          (FerryTransfer          *self);
/* A message from the transfer's peer about this transfer. */
void           _ferry_transfer_handle_message (FerryTransfer          *self,
                                               const FerryPeerMessage *message);
/* A channel the peer opened for this transfer. */
void           _ferry_transfer_handle_channel (FerryTransfer          *self,
                                               FerryDataChannel       *channel);
/* The peer (with the transfer's fingerprint) is connected again, or %NULL: it is gone. */
void           _ferry_transfer_set_peer       (FerryTransfer          *self,
                                               FerryPeer              *peer);
/* Kept with the transfer, so that a later run can go back to that room. */
void           _ferry_transfer_set_room_link  (FerryTransfer          *self,
                                               const char             *link);
/* Whether an unfinished sending transfer offers exactly @sources (same files, sizes, times). */
gboolean       _ferry_transfer_offers         (FerryTransfer          *self,
                                               FerryTransferSources   *sources);

G_END_DECLS
