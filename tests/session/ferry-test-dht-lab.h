/* ferry-test-dht-lab.h: a private mainline DHT in the test's network namespace
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For tests that run in a namespace of their own (tests/netns-run.sh), as root: puts
 * 198.18.I.1/32 on `lo` (one address per /24, since DHT nodes keep one node per /24 in a lookup)
 * and runs `$FERRY_CLI dht serve --mode server` with a node on each 198.18.I.1:6881, all
 * bootstrapped from the first.  Nothing leaves the namespace; closing its stdin stops it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _FerryTestDhtLab FerryTestDhtLab;

/* Starts @n_nodes nodes (at most 256) and waits until every one is ready. */
FerryTestDhtLab *ferry_test_dht_lab_start         (guint            n_nodes);
/* "198.18.0.1:6881": the node to bootstrap from. */
const char      *ferry_test_dht_lab_get_bootstrap (FerryTestDhtLab *lab);
/* Closes its stdin, waits for it to exit with 0, and frees @lab. */
void             ferry_test_dht_lab_stop          (FerryTestDhtLab *lab);

G_END_DECLS
