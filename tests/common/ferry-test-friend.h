/* ferry-test-friend.h: a friend in a room, played by `ferry-cli chat` in a process of its own
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For tests of code that must own the process's only SCTP context (FerrySession, the app): the
 * other side of the room cannot run in the same process.  The friend has no STUN server and
 * only the tracker it is given; its stdout lines ("NAME: text") and stderr events
 * ("ferry-cli: EVENT key=value…") are collected as they come, on the caller's main context.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-room-link.h"

G_BEGIN_DECLS

typedef struct {
  GDataInputStream *stream;
  GPtrArray        *lines;
  gboolean          done;   /* end of the stream */
} FerryTestReader;

typedef struct {
  GSubprocess     *process;
  FerryTestReader  out;
  FerryTestReader  err;
} FerryTestFriend;

/* Starts `$FERRY_CLI chat --name Friend` in the room of @link with the identity in
 * @identity_path (made when missing). */
FerryTestFriend *ferry_test_friend_start (FerryRoomLink   *link,
                                          const char      *tracker_url,
                                          const char      *identity_path);
/* Starts `$FERRY_CLI ARGS… --tracker URL --name Friend --identity PATH`: `send` or `receive`,
 * say (docs/CLI.md).  With @tracker_url %NULL, no tracker at all (`pair`, or `chat` with a
 * pairing link). */
FerryTestFriend *ferry_test_friend_run   (const char * const *args,
                                          const char      *tracker_url,
                                          const char      *identity_path);
/* A WebDrop user instead (tests/js/webdrop-peer.mjs, WebDrop's own logic on P2PT in Node)
 * named "Wendy Chrome120" in WebDrop room @code, downloading every share into @download_dir;
 * its stdin takes the peer's JSON commands (ferry_test_friend_say), its stdout has its JSON
 * events. */
FerryTestFriend *ferry_test_webdrop_start (const char     *code,
                                           const char     *tracker_url,
                                           const char     *download_dir);
/* Sends @text as a chat line. */
void             ferry_test_friend_say   (FerryTestFriend *friend,
                                          const char      *text);
/* Closes its stdin (it leaves the room and exits), waits up to @timeout_ms for it, checks it
 * exited with 0, and frees it. */
void             ferry_test_friend_stop  (FerryTestFriend *friend,
                                          guint            timeout_ms);
/* Waits up to @timeout_ms for it to exit, checks it exited with @status, and frees it. */
void             ferry_test_friend_wait  (FerryTestFriend *friend,
                                          int              status,
                                          guint            timeout_ms);
/* Kills it (SIGKILL: no goodbye to the others, its state store as it was), waits up to
 * @timeout_ms for it to die, and frees it. */
void             ferry_test_friend_kill  (FerryTestFriend *friend,
                                          guint            timeout_ms);
/* The first line that starts with @prefix, or %NULL. */
const char      *ferry_test_reader_find  (FerryTestReader *reader,
                                          const char      *prefix);
/* The value of key="…" in an event line; the key must be there. */
char            *ferry_test_event_value  (const char      *line,
                                          const char      *key);

G_END_DECLS
