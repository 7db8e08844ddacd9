/* ferry-test-tracker.h: the reference WebTorrent tracker, for the tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bittorrent-tracker from npm, run by tests/js/tracker-server.mjs on 127.0.0.1.  Node is
 * $FERRY_NODE, or node from $PATH; the script and its npm packages are in $FERRY_JS_DIR (the
 * meson test definitions set both).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FerryTestTracker FerryTestTracker;

/* Whether node and bittorrent-tracker (npm ci in tests/js) are there.  When they are not, marks
 * the running test skipped, or failed when CI=true, and returns FALSE: the test returns. */
gboolean          ferry_test_tracker_available   (void);
/* Node's path, or NULL. */
const char       *ferry_test_node_path           (void);
/* tests/js, where the Node scripts and their node_modules are. */
const char       *ferry_test_js_dir              (void);

/* Starts a tracker on @port (0: any free port) that tells clients to re-announce every
 * @interval_s seconds, and waits until it listens.  Its event lines are read on the
 * thread-default main context. */
FerryTestTracker *ferry_test_tracker_start       (guint             port,
                                                  guint             interval_s);
guint             ferry_test_tracker_get_port    (FerryTestTracker *tracker);
/* ws://127.0.0.1:PORT/announce */
const char       *ferry_test_tracker_get_url     (FerryTestTracker *tracker);
/* Whether the tracker reported @event ("start", "update", "stop") from @peer_id with @offers
 * offers (-1: any number). */
gboolean          ferry_test_tracker_saw         (FerryTestTracker *tracker,
                                                  const char       *event,
                                                  const guint8      peer_id[20],
                                                  int               offers);
/* Kills the tracker (SIGKILL, as a crashing server would vanish) and frees @tracker. */
void              ferry_test_tracker_stop        (FerryTestTracker *tracker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryTestTracker, ferry_test_tracker_stop)

G_END_DECLS
