/* ferry-test-pair.h: two FerryPeerConnections in one process, connected through real libnice
 * agents (run the test inside tests/netns-run.sh)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ferry-peer-connection.h"

G_BEGIN_DECLS

/* Timeout of every wait in these helpers. */
#define FERRY_TEST_PAIR_TIMEOUT_MS 20000

typedef struct {
  FerryPeerConnection *a;           /* offers */
  FerryPeerConnection *b;           /* answers */
  GPtrArray           *a_created;   /* channels A made before the offer */
  GPtrArray           *a_channels;  /* channels A received */
  GPtrArray           *b_channels;  /* channels B received */
} FerryTestPair;

/* Rewrites a description on its way to the other peer; returns a new string. */
typedef char *(*FerryTestSdpFilter) (const char *sdp,
                                     gpointer    user_data);

/* Short timeouts, no STUN server. */
FerryRtcConfig *ferry_test_pair_config (void);

char *ferry_test_pair_make_offer  (FerryPeerConnection *pc);
char *ferry_test_pair_make_answer (FerryPeerConnection *pc);

/* A creates @a_labels, then offers; B answers.  The filters may be NULL. */
void ferry_test_pair_init           (FerryTestPair      *pair,
                                     FerryRtcConfig     *config,
                                     const char * const *a_labels,
                                     FerryTestSdpFilter  offer_filter,
                                     FerryTestSdpFilter  answer_filter,
                                     gpointer            filter_data);
/* Fails the test unless both peers reach CONNECTED. */
void ferry_test_pair_wait_connected (FerryTestPair      *pair);
void ferry_test_pair_clear          (FerryTestPair      *pair);

G_END_DECLS
