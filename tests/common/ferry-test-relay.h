/* ferry-test-relay.h: a UDP relay between two peers of a FerryTestPair, with a hook that may
 * rewrite, split, reorder or hold back each datagram
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay has one socket standing for each peer.  ferry_test_relay_rewrite_sdp() replaces the
 * candidates of a description with that socket's address, so each peer only ever talks to the
 * relay, which forwards to the other peer's real address (taken from its description, then
 * from where its datagrams come from).  Use it as both SDP filters of ferry_test_pair_init().
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  FERRY_TEST_RELAY_A_TO_B,
  FERRY_TEST_RELAY_B_TO_A,
} FerryTestRelayDirection;

typedef struct _FerryTestRelay FerryTestRelay;

/* Returns the datagrams (GBytes) to send on in place of @data, or NULL to send it unchanged. */
typedef GPtrArray *(*FerryTestRelayFunc) (FerryTestRelayDirection  direction,
                                          const guint8            *data,
                                          gsize                    len,
                                          gpointer                 user_data);

FerryTestRelay *ferry_test_relay_new         (FerryTestRelayFunc  func,
                                              gpointer            user_data);
void            ferry_test_relay_free        (FerryTestRelay     *self);

/* An SDP filter for ferry_test_pair_init(): the first call sees A's offer, the second B's answer. */
char           *ferry_test_relay_rewrite_sdp (const char         *sdp,
                                              gpointer            relay);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryTestRelay, ferry_test_relay_free)

G_END_DECLS
