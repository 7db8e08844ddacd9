/* ferry-pairing.h: connecting with a pairing code, from either side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The owner makes a code (its candidates gathered first) and waits; whoever reads the code
 * derives the same ICE credentials and MAC key, starts connectivity checks towards the
 * candidates in it, and opens the channel.  The owner learns the reader's address from those
 * checks.  On either side the result is a FerryPeer that proves its certificate with the hello's
 * MAC, as in a secret room: the peer is "verified" once that MAC checked out.  A code serves one
 * connection; an owner's code is no longer answered once it has expired.
 *
 * When nothing gets through within a few seconds (the owner's NAT filters the reader's checks),
 * the reader makes a reply code for the owner to enter: it carries the reader's candidates and a
 * tag that only someone who read the code can make; the owner's own checks then open the way.
 *
 * Signals:
 *   ::failed (GError)   no connection: the code expired first (FERRY_PAIRING_CODE_ERROR_EXPIRED),
 *                       the owner answered but took someone else (…_USED, on the reader's side),
 *                       or the connection broke before the other side proved the code
 *   ::reply (link)      the reader's reply code, as a link, for the owner to enter
 */
#pragma once

#include <gio/gio.h>

#include "ferry-identity.h"
#include "ferry-pairing-code.h"
#include "ferry-peer.h"
#include "ferry-rtc-config.h"

G_BEGIN_DECLS

#define FERRY_TYPE_PAIRING (ferry_pairing_get_type ())
G_DECLARE_FINAL_TYPE (FerryPairing, ferry_pairing, FERRY, PAIRING, GObject)

/* The owner's side: gathers, then gives a pairing with its code; the peer is there at once
 * (connecting when someone reads the code). */
void          ferry_pairing_new_code_async  (FerryIdentity        *identity,
                                             FerryRtcConfig       *config,
                                             const char           *local_name,
                                             guint                 lifetime_s,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
/* The reader's side: connects with @code (parsed, not a reply). */
void          ferry_pairing_new_reader_async  (FerryIdentity          *identity,
                                               FerryRtcConfig         *config,
                                               const char             *local_name,
                                               const FerryPairingCode *code,
                                               GCancellable           *cancellable,
                                               GAsyncReadyCallback     callback,
                                               gpointer                user_data);
/* The same for a code everyone nearby sees (FerryNearby announces it): the peer proves nothing
 * with the hello (the secret is public); users compare its verification code. */
void          ferry_pairing_new_open_code_async (FerryIdentity        *identity,
                                                 FerryRtcConfig       *config,
                                                 const char           *local_name,
                                                 guint                 lifetime_s,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
/* Reads such a code: the owner's certificate must have @owner_fingerprint (32 bytes, SHA-256,
 * as announced), or the pairing fails (FERRY_PAIRING_CODE_ERROR_FORGED). */
void          ferry_pairing_new_open_reader_async (FerryIdentity          *identity,
                                                   FerryRtcConfig         *config,
                                                   const char             *local_name,
                                                   const FerryPairingCode *code,
                                                   const guint8           *owner_fingerprint,
                                                   GCancellable           *cancellable,
                                                   GAsyncReadyCallback     callback,
                                                   gpointer                user_data);
/* Any of the pairings above, from its call. */
FerryPairing *ferry_pairing_new_finish      (GAsyncResult         *result,
                                             GError              **error);
/* The owner takes the reader's reply code (or its link); refused when it does not answer our
 * code (FERRY_PAIRING_CODE_ERROR_FORGED), is damaged, or comes after the code was used
 * (FERRY_PAIRING_CODE_ERROR_USED). */
gboolean      ferry_pairing_add_reply       (FerryPairing         *self,
                                             const char           *text,
                                             GError              **error);
/* The other side is there: it proved the code (verified), or, for an open code, connected. */
gboolean      ferry_pairing_is_connected    (FerryPairing         *self);
/* The reader's reply code, as a link, now (::reply brings it after a few seconds without a
 * connection): for signalling that is slow anyway, such as the DHT's. */
char         *ferry_pairing_make_reply      (FerryPairing         *self);
/* The reader's reply reaches the owner slowly (through the DHT): a reader whose checks the owner
 * answers waits for the encrypted connection up to a minute, not 10 s, before it concludes the
 * code was used by someone else. */
void          ferry_pairing_set_slow_signalling (FerryPairing     *self);
/* The owner's code, as a link. */
const char   *ferry_pairing_get_link        (FerryPairing         *self);
FerryPeer    *ferry_pairing_get_peer        (FerryPairing         *self);

G_END_DECLS
