/* FerrySession: the core on its network thread, driven from the test's main context as the GUI
 * drives it.  A session meets a friend in a secret room through the reference tracker, in a
 * network namespace.  The friend is ferry-cli chat, a plain FerryRoom on its own main context:
 * it runs in a process of its own because usrsctp runs every association of a process on one
 * main context, and the session's is its network thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>

#include "ferry-chat-message.h"
#include "ferry-dht-enums.h"
#include "ferry-peer-message.h"
#include "ferry-session.h"
#include "ferry-session-peer.h"
#include "ferry-test-dht-lab.h"
#include "ferry-test-notify.h"
#include "ferry-test-friend.h"
#include "ferry-test-tracker.h"
#include "ferry-test-util.h"

#define TIMEOUT_MS 15000
/* Meeting through the DHT takes seconds: lobby reads every 5 s, then the mailboxes. */
#define DHT_TIMEOUT_MS 60000

static char *tmpdir;
static GThread *test_thread;

/* Every signal and notification of the proxies must come on the test's thread, dispatched by
 * its main context: the GUI's. */

static guint on_test_thread;

static void
assert_test_thread (void)
{
  g_assert_true (g_thread_self () == test_thread);
  /* The test holds the default context (see main ()), so this fails only on another thread. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  on_test_thread++;
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  assert_test_thread ();
}

static void
watch_item (GObject *item)
{
  g_signal_connect (item, "notify", G_CALLBACK (notify_cb), NULL);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  assert_test_thread ();
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      watch_item (item);
    }
}

static void
watch_model (GListModel *model)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      watch_item (item);
    }
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), NULL);
}

static void
room_error_cb (FerrySessionRoom *room,
               const GError     *error,
               GPtrArray        *errors)
{
  assert_test_thread ();
  g_ptr_array_add (errors, g_error_copy (error));
}

/* The network thread, by the name the session gives it. */
static gboolean
network_thread_running (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (path, &comm, NULL, NULL) && g_str_has_prefix (comm, "ferry-network"))
        return TRUE;
    }
  return FALSE;
}

static FerrySession *
session_new (const char *name)
{
  g_autofree char *identity = g_strdup_printf ("%s/%s.pem", tmpdir, name);
  g_autofree char *state = g_strdup_printf ("%s/%s-transfers", tmpdir, name);
  g_autofree char *friends = g_strdup_printf ("%s/%s-friends", tmpdir, name);
  g_autofree char *dht = g_strdup_printf ("%s/%s-dht", tmpdir, name);
  g_autoptr(GFile) state_dir = g_file_new_for_path (state);
  g_autoptr(GFile) friends_file = g_file_new_for_path (friends);
  g_autoptr(GFile) dht_state_dir = g_file_new_for_path (dht);
  FerrySession *session = g_object_new (FERRY_TYPE_SESSION, "identity-path", identity,
                                        "state-dir", state_dir, "friends-file", friends_file,
                                        "dht-state-dir", dht_state_dir, NULL);

  /* Nothing but the namespace: no STUN server. */
  g_object_set (session, "stun-servers", (const char * const[]) { NULL }, NULL);
  return session;
}

/* Tests */

static guint
count_entries (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static guint
n_items (GListModel *model)
{
  return g_list_model_get_n_items (model);
}

static gpointer
item (GListModel *model,
      guint       position)
{
  g_autoptr(GObject) object = g_list_model_get_item (model, position);

  /* The model keeps it alive. */
  return object;
}

/* Configuration: notified on changes only; what cannot work fails the join at once. */
static void
test_properties (void)
{
  g_autoptr(FerrySession) session = session_new ("properties");
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_plain ("ferry-session-properties", NULL);
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) turn = NULL;
  g_autoptr(GFile) folder = NULL;
  g_auto(GStrv) trackers = NULL;

  /* The thread names itself once it runs. */
  FERRY_TEST_WAIT_UNTIL (network_thread_running (), TIMEOUT_MS);
  ferry_test_assert_explicit_notify (FERRY_TYPE_SESSION);
  ferry_test_assert_notify_on_change (session);

  g_object_get (session, "trackers", &trackers, "turn-servers", &turn, "download-folder", &folder,
                NULL);
  g_assert_cmpuint (g_strv_length (trackers), >, 0);
  g_assert_cmpuint (g_variant_n_children (turn), ==, 0);
  g_assert_nonnull (folder);

  /* No tracker anywhere. */
  g_object_set (session, "trackers", NULL, NULL);
  room = ferry_session_join (session, link, &error);
  g_assert_error (error, FERRY_SESSION_ERROR, FERRY_SESSION_ERROR_NO_TRACKER);
  g_assert_null (room);
  g_clear_error (&error);

  /* Relay-only without a TURN server. */
  g_object_set (session, "trackers", (const char * const[]) { "ws://127.0.0.1:9/announce", NULL },
                "relay-only", TRUE, NULL);
  room = ferry_session_join (session, link, &error);
  g_assert_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_UNSUPPORTED);
  g_clear_error (&error);

  /* A malformed TURN URL. */
  g_object_set (session, "turn-servers",
                g_variant_new_parsed ("[('http://example.invalid', 'u', 'p')]"), NULL);
  room = ferry_session_join (session, link, &error);
  g_assert_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_INVALID_URL);
  g_clear_error (&error);
  g_assert_cmpuint (n_items (ferry_session_get_rooms (session)), ==, 0);

  ferry_session_shutdown (session);
  g_assert_false (network_thread_running ());
}

/* An identity that cannot be stored: the join is refused on the network thread, and the room
 * says why and goes. */
static void
test_identity_error (void)
{
  g_autofree char *state = g_strdup_printf ("%s/identity-error-transfers", tmpdir);
  g_autoptr(GFile) state_dir = g_file_new_for_path (state);
  g_autoptr(FerrySession) session = g_object_new (FERRY_TYPE_SESSION, "identity-path",
                                                  "/proc/ferry-nowhere/identity.pem",
                                                  "state-dir", state_dir, NULL);
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_plain ("ferry-session-identity", NULL);
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_autoptr(GError) error = NULL;

  g_object_set (session, "trackers", (const char * const[]) { "ws://127.0.0.1:9/announce", NULL },
                NULL);
  room = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  g_signal_connect (room, "error", G_CALLBACK (room_error_cb), errors);
  FERRY_TEST_WAIT_UNTIL (ferry_session_room_get_state (room) == FERRY_SESSION_ROOM_LEFT, TIMEOUT_MS);
  g_assert_cmpuint (errors->len, ==, 1);
  g_assert_cmpuint (n_items (ferry_session_get_rooms (session)), ==, 0);
}

/* Joining and shutting down at once, with reports still on their way both ways: nothing of the
 * session is reported afterwards, and nothing freed is touched (run it under ASan). */
static void
test_shutdown_busy (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Busy", &error);
  g_autoptr(FerrySession) session = NULL;
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(FerrySessionRoom) left = NULL;
  g_autoptr(FerryTestNotify) notify = NULL;
  FerryTestTracker *tracker;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  session = session_new ("busy");
  g_object_set (session, "trackers",
                (const char * const[]) { ferry_test_tracker_get_url (tracker), NULL }, NULL);

  /* One room left while its join is still on the way, one left by the shutdown. */
  left = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  ferry_session_room_leave (left);
  g_assert_cmpint (ferry_session_room_get_state (left), ==, FERRY_SESSION_ROOM_LEFT);
  g_clear_object (&link);
  link = ferry_room_link_new_plain ("ferry-session-busy", &error);
  room = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  ferry_test_run_for (50);

  ferry_session_shutdown (session);
  g_assert_false (network_thread_running ());
  g_assert_cmpint (ferry_session_room_get_state (room), ==, FERRY_SESSION_ROOM_LEFT);
  g_assert_cmpuint (n_items (ferry_session_room_get_peers (room)), ==, 0);

  /* What the network thread reported meanwhile has nobody to go to. */
  notify = ferry_test_notify_watch (room);
  g_clear_object (&session);
  ferry_test_run_for (300);
  g_assert_cmpuint (ferry_test_notify_count (notify, "state"), ==, 0);

  ferry_test_tracker_stop (tracker);
}

static gboolean
friend_connected (FerrySessionRoom *room,
                  FerryTestFriend  *friend)
{
  GListModel *peers = ferry_session_room_get_peers (room);

  return n_items (peers) == 1 &&
         ferry_session_peer_get_state (item (peers, 0)) == FERRY_SESSION_PEER_CONNECTED &&
         ferry_session_peer_get_kind (item (peers, 0)) == FERRY_PEER_KIND_FERRY &&
         ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined ") != NULL;
}

static gboolean
last_delivered (GListModel *messages)
{
  guint n = n_items (messages);

  return n > 0 && ferry_chat_message_get_delivered (item (messages, n - 1));
}

/* A secret room between the session and a friend: the peer, its verification, chat both ways
 * with the delivery mark, leaving and shutting down; everything seen on the test's thread. */
static void
test_chat (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Session test", &error);
  g_autoptr(FerrySession) session = NULL;
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(FerrySessionRoom) again = NULL;
  g_autoptr(FerrySessionPeer) peer = NULL;
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_autoptr(FerryTestNotify) room_notify = NULL;
  g_autoptr(FerryTestNotify) peer_notify = NULL;
  g_autofree char *friend_code = NULL;
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  GListModel *rooms, *peers, *messages, *trackers;
  FerryChatMessage *message;
  FerryTestTracker *tracker;
  FerryTestFriend *friend;
  gint64 before;

  if (!ferry_test_tracker_available ())
    return;
  g_assert_nonnull (g_getenv ("FERRY_CLI"));
  tracker = ferry_test_tracker_start (0, 2);

  session = session_new ("session");
  FERRY_TEST_WAIT_UNTIL (network_thread_running (), TIMEOUT_MS);
  g_signal_connect (session, "notify", G_CALLBACK (notify_cb), NULL);
  g_object_set (session, "display-name", "Sam", "trackers",
                (const char * const[]) { ferry_test_tracker_get_url (tracker), NULL }, NULL);
  rooms = ferry_session_get_rooms (session);
  watch_model (rooms);

  room = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n_items (rooms), ==, 1);
  g_assert_true (item (rooms, 0) == room);
  g_assert_true (ferry_session_room_get_link (room) == link);
  g_assert_cmpstr (ferry_session_room_get_title (room), ==, "Session test");
  g_assert_cmpint (ferry_session_room_get_kind (room), ==, FERRY_ROOM_KIND_SECRET);
  /* The same room again is the same proxy. */
  again = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  g_assert_true (again == room);
  g_assert_cmpuint (n_items (rooms), ==, 1);

  room_notify = ferry_test_notify_watch (room);
  g_signal_connect (room, "error", G_CALLBACK (room_error_cb), errors);
  peers = ferry_session_room_get_peers (room);
  messages = ferry_session_room_get_messages (room);
  trackers = ferry_session_room_get_trackers (room);
  watch_model (peers);
  watch_model (messages);
  watch_model (trackers);

  friend = ferry_test_friend_start (link, ferry_test_tracker_get_url (tracker), identity);
  FERRY_TEST_WAIT_UNTIL (friend_connected (room, friend), TIMEOUT_MS);

  /* The peer, as the friend sees us. */
  peer = g_object_ref (item (peers, 0));
  peer_notify = ferry_test_notify_watch (peer);
  g_assert_cmpstr (ferry_session_peer_get_display_name (peer), ==, "Friend");
  g_assert_true (ferry_session_peer_get_verified (peer));
  g_assert_true (ferry_session_peer_get_can_receive_files (peer));
  g_assert_cmpuint (strlen (ferry_session_peer_get_fingerprint (peer)), ==, 64);
  g_assert_cmpuint (strlen (ferry_session_peer_get_id (peer)), ==, 40);
  /* One namespace, no STUN or TURN: a direct pair of host candidates, there once connected. */
  g_assert_cmpint (ferry_session_peer_get_local_candidate_type (peer), ==,
                   FERRY_ICE_CANDIDATE_TYPE_HOST);
  g_assert_cmpint (ferry_session_peer_get_remote_candidate_type (peer), ==,
                   FERRY_ICE_CANDIDATE_TYPE_HOST);
  g_assert_false (ferry_session_peer_get_relayed (peer));
  /* SCTP has measured the round trip once connected; on one machine it is next to nothing. */
  FERRY_TEST_WAIT_UNTIL (ferry_session_peer_get_rtt_ms (peer) >= 0, TIMEOUT_MS);
  g_assert_cmpint (ferry_session_peer_get_rtt_ms (peer), <, 100);
  friend_code = ferry_test_event_value (ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined "), "code");
  g_assert_nonnull (strstr (ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined "), " verified=yes "));
  g_assert_cmpstr (ferry_session_peer_get_verification_code (peer), ==, friend_code);

  /* Codes compared, the friend is marked: a friend from then on.  Someone else under the
   * friend's name is an impostor. */
  g_assert_cmpint (ferry_session_peer_get_trust (peer), ==, FERRY_FRIEND_TRUST_UNKNOWN);
  g_assert_true (ferry_friends_add (ferry_session_get_friends (session), "Friend",
                                    ferry_session_peer_get_fingerprint (peer), &error));
  g_assert_cmpint (ferry_session_peer_get_trust (peer), ==, FERRY_FRIEND_TRUST_FRIEND);
  g_assert_true (ferry_friends_remove (ferry_session_get_friends (session),
                                       ferry_session_peer_get_fingerprint (peer), &error));
  g_assert_true (ferry_friends_add (ferry_session_get_friends (session), "friend",
                                    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", &error));
  g_assert_cmpint (ferry_session_peer_get_trust (peer), ==, FERRY_FRIEND_TRUST_IMPOSTOR);
  /* Friend, stranger again, impostor. */
  g_assert_cmpuint (ferry_test_notify_count (peer_notify, "trust"), ==, 3);
  g_assert_cmpint (ferry_session_room_get_state (room), ==, FERRY_SESSION_ROOM_JOINED);
  g_assert_cmpuint (n_items (trackers), ==, 1);
  g_assert_cmpstr (ferry_session_tracker_get_url (item (trackers, 0)), ==,
                   ferry_test_tracker_get_url (tracker));
  g_assert_cmpint (ferry_session_tracker_get_state (item (trackers, 0)), ==,
                   FERRY_TRACKER_STATE_CONNECTED);

  /* The friend writes. */
  before = g_get_real_time () / G_USEC_PER_SEC;
  ferry_test_friend_say (friend, "Hello from the friend");
  FERRY_TEST_WAIT_UNTIL (n_items (messages) == 1, TIMEOUT_MS);
  message = item (messages, 0);
  g_assert_cmpstr (ferry_chat_message_get_peer_name (message), ==, "Friend");
  g_assert_cmpstr (ferry_chat_message_get_text (message), ==, "Hello from the friend");
  g_assert_false (ferry_chat_message_get_outgoing (message));
  g_assert_false (ferry_chat_message_get_delivered (message));
  g_assert_true (ferry_peer_message_id_is_valid (ferry_chat_message_get_id (message)));
  g_assert_cmpint (g_date_time_to_unix (ferry_chat_message_get_time (message)), >=, before);
  g_assert_cmpint (g_date_time_to_unix (ferry_chat_message_get_time (message)), <=,
                   g_get_real_time () / G_USEC_PER_SEC);

  /* We write: the message shows once it went out, and is marked when the friend has it. */
  ferry_session_room_send_chat (room, "Hello from the session");
  ferry_session_room_send_chat (room, "");
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->out, "Sam: Hello from the session") != NULL, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (last_delivered (messages), TIMEOUT_MS);
  g_assert_cmpuint (n_items (messages), ==, 2);
  message = item (messages, 1);
  g_assert_null (ferry_chat_message_get_peer_name (message));
  g_assert_cmpstr (ferry_chat_message_get_text (message), ==, "Hello from the session");
  g_assert_true (ferry_chat_message_get_outgoing (message));
  g_assert_true (ferry_peer_message_id_is_valid (ferry_chat_message_get_id (message)));
  g_assert_cmpuint (errors->len, ==, 0);

  /* Leaving: out of the rooms at once, the peer gone, and the friend sees us go. */
  ferry_session_room_leave (room);
  g_assert_cmpuint (n_items (rooms), ==, 0);
  g_assert_cmpint (ferry_session_room_get_state (room), ==, FERRY_SESSION_ROOM_LEFT);
  g_assert_cmpuint (n_items (peers), ==, 0);
  g_assert_cmpint (ferry_session_peer_get_state (peer), ==, FERRY_SESSION_PEER_LEFT);
  /* Gone, it has no pair: notified once each, on the test's thread (notify_cb). */
  g_assert_cmpint (ferry_session_peer_get_local_candidate_type (peer), ==,
                   FERRY_ICE_CANDIDATE_TYPE_NONE);
  g_assert_cmpint (ferry_session_peer_get_remote_candidate_type (peer), ==,
                   FERRY_ICE_CANDIDATE_TYPE_NONE);
  g_assert_cmpuint (ferry_test_notify_count (peer_notify, "local-candidate-type"), ==, 1);
  g_assert_cmpuint (ferry_test_notify_count (peer_notify, "remote-candidate-type"), ==, 1);
  g_assert_cmpuint (ferry_test_notify_count (peer_notify, "relayed"), ==, 0);
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->err, "ferry-cli: peer-left ") != NULL, TIMEOUT_MS);
  /* Sending in a room we left says so. */
  ferry_session_room_send_chat (room, "Too late");
  g_assert_cmpuint (errors->len, ==, 1);
  g_assert_error ((GError *) errors->pdata[0], FERRY_SESSION_ERROR, FERRY_SESSION_ERROR_NOT_IN_ROOM);

  ferry_session_shutdown (session);
  g_assert_false (network_thread_running ());

  ferry_test_notify_assert_no_spurious (room_notify);
  ferry_test_notify_assert_no_spurious (peer_notify);
  g_assert_cmpuint (ferry_test_notify_count (room_notify, "state"), >=, 2);
  g_assert_cmpuint (on_test_thread, >, 10);

  ferry_test_friend_stop (friend, TIMEOUT_MS);
  ferry_test_tracker_stop (tracker);
}

static gboolean
peer_takes_files (GListModel *peers)
{
  return n_items (peers) == 1 && ferry_session_peer_get_can_receive_files (item (peers, 0));
}

static char *
write_random_file (const char *path,
                   gsize       size)
{
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = g_random_int ();
  g_file_set_contents (path, (char *) data, size, &error);
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
}

static char *
file_sha256 (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guint8 *) contents, len);
}

static gboolean
in_state (FerrySessionTransfer *transfer,
          FerryTransferState    state)
{
  return ferry_session_transfer_get_state (transfer) == state;
}

static void
max_speed_cb (FerrySessionTransfer *transfer,
              GParamSpec           *pspec,
              guint64              *max)
{
  *max = MAX (*max, ferry_session_transfer_get_speed (transfer));
}

/* Files both ways between the session and a friend running ferry-cli send and receive: the
 * offer with its files, accepting into the session's download folder, progress and speed,
 * declining, and what cannot be sent. */
static void
test_transfers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Transfers", &error);
  g_autoptr(FerrySession) session = NULL;
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_autofree char *text = ferry_room_link_to_string (link);
  g_autofree char *identity = g_build_filename (tmpdir, "transfer-friend.pem", NULL);
  g_autofree char *downloads = g_build_filename (tmpdir, "downloads", NULL);
  g_autofree char *outbox = g_build_filename (tmpdir, "outbox", NULL);
  g_autofree char *inbox = g_build_filename (tmpdir, "friend-inbox", NULL);
  g_autofree char *offered = g_build_filename (outbox, "from-friend.bin", NULL);
  g_autofree char *ours = g_build_filename (outbox, "from-session.bin", NULL);
  g_autofree char *landed = g_build_filename (downloads, "from-friend.bin", NULL);
  g_autofree char *arrived = g_build_filename (inbox, "from-session.bin", NULL);
  g_autofree char *offered_sha = NULL, *ours_sha = NULL, *got = NULL;
  g_autoptr(GFile) download_folder = g_file_new_for_path (downloads);
  g_autoptr(GFile) ours_file = g_file_new_for_path (ours);
  g_autoptr(GFile) missing = g_file_new_for_path ("/nonexistent/ferry-test");
  g_autofree char *landed_path = NULL;
  FerrySessionTransfer *transfer;
  GListModel *transfers, *peers;
  FerryTestTracker *tracker;
  FerryTestFriend *friend;
  guint64 max_speed = 0;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  g_mkdir_with_parents (outbox, 0700);
  g_mkdir_with_parents (inbox, 0700);
  offered_sha = write_random_file (offered, 300 * 1024);
  ours_sha = write_random_file (ours, 256 * 1024 * 1024);

  session = session_new ("transfers");
  g_object_set (session, "display-name", "Sam", "download-folder", download_folder, "trackers",
                (const char * const[]) { ferry_test_tracker_get_url (tracker), NULL }, NULL);
  transfers = ferry_session_get_transfers (session);
  watch_model (transfers);
  room = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  g_signal_connect (room, "error", G_CALLBACK (room_error_cb), errors);
  peers = ferry_session_room_get_peers (room);

  /* The friend offers a file: it shows as an offer with its file, and lands once accepted. */
  friend = ferry_test_friend_run ((const char * const[]) { "send", "--room", text, "--json", "--yes",
                                                           offered, NULL },
                                  ferry_test_tracker_get_url (tracker), identity);
  FERRY_TEST_WAIT_UNTIL (n_items (transfers) == 1, TIMEOUT_MS);
  transfer = item (transfers, 0);
  g_assert_cmpint (ferry_session_transfer_get_direction (transfer), ==, FERRY_TRANSFER_DIRECTION_RECEIVE);
  g_assert_cmpint (ferry_session_transfer_get_state (transfer), ==, FERRY_TRANSFER_STATE_OFFERED);
  g_assert_cmpstr (ferry_session_transfer_get_peer_name (transfer), ==, "Friend");
  g_assert_cmpstr (ferry_session_transfer_get_title (transfer), ==, "from-friend.bin");
  g_assert_cmpuint (ferry_session_transfer_get_n_files (transfer), ==, 1);
  g_assert_cmpstr (ferry_session_transfer_get_file_path (transfer, 0), ==, "from-friend.bin");
  g_assert_cmpuint (ferry_session_transfer_get_file_size (transfer, 0), ==, 300 * 1024);
  g_assert_cmpuint (ferry_session_transfer_get_total (transfer), ==, 300 * 1024);
  g_assert_null (ferry_session_transfer_get_file (transfer, 0));
  g_assert_false (g_file_test (downloads, G_FILE_TEST_EXISTS));
  ferry_session_transfer_accept (transfer, NULL, 0);
  FERRY_TEST_WAIT_UNTIL (in_state (transfer, FERRY_TRANSFER_STATE_DONE), TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_transfer_get_bytes_done (transfer), ==, 300 * 1024);
  g_assert_true (g_file_equal (ferry_session_transfer_get_folder (transfer), download_folder));
  landed_path = g_file_get_path (ferry_session_transfer_get_file (transfer, 0));
  g_assert_cmpstr (landed_path, ==, landed);
  got = file_sha256 (landed);
  g_assert_cmpstr (got, ==, offered_sha);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);

  /* An offer declined: the friend hears it (exit status 3), nothing is written. */
  g_remove (landed);
  friend = ferry_test_friend_run ((const char * const[]) { "send", "--room", text, "--json", "--yes",
                                                           ours, NULL },
                                  ferry_test_tracker_get_url (tracker), identity);
  FERRY_TEST_WAIT_UNTIL (n_items (transfers) == 2, TIMEOUT_MS);
  transfer = item (transfers, 1);
  FERRY_TEST_WAIT_UNTIL (in_state (transfer, FERRY_TRANSFER_STATE_OFFERED), TIMEOUT_MS);
  ferry_session_transfer_decline (transfer);
  FERRY_TEST_WAIT_UNTIL (in_state (transfer, FERRY_TRANSFER_STATE_DECLINED), TIMEOUT_MS);
  ferry_test_friend_wait (friend, 3, TIMEOUT_MS);
  g_assert_cmpuint (count_entries (downloads), ==, 0);

  /* We send to everyone in the room: the friend receives, with progress and a speed seen (the
   * speed needs a quarter of a second of progress: 256 MiB take about a second on loopback). */
  friend = ferry_test_friend_run ((const char * const[]) { "receive", text, "--dir", inbox, "--json",
                                                           "--yes", NULL },
                                  ferry_test_tracker_get_url (tracker), identity);
  FERRY_TEST_WAIT_UNTIL (peer_takes_files (peers), TIMEOUT_MS);
  ferry_session_room_send_files (room, NULL, &ours_file, 1);
  FERRY_TEST_WAIT_UNTIL (n_items (transfers) == 3, TIMEOUT_MS);
  transfer = item (transfers, 2);
  g_signal_connect (transfer, "notify::speed", G_CALLBACK (max_speed_cb), &max_speed);
  g_assert_cmpint (ferry_session_transfer_get_direction (transfer), ==, FERRY_TRANSFER_DIRECTION_SEND);
  g_assert_true (g_file_equal (ferry_session_transfer_get_file (transfer, 0), ours_file));
  FERRY_TEST_WAIT_UNTIL (in_state (transfer, FERRY_TRANSFER_STATE_DONE), TIMEOUT_MS);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  g_clear_pointer (&got, g_free);
  got = file_sha256 (arrived);
  g_assert_cmpstr (got, ==, ours_sha);
  g_assert_cmpuint (ferry_session_transfer_get_speed (transfer), ==, 0);
  g_test_message ("256 MiB sent; highest speed shown %" G_GUINT64_FORMAT " B/s", max_speed);
  g_assert_cmpuint (max_speed, >, 0);
  g_assert_cmpuint (errors->len, ==, 0);

  /* What cannot be sent says why: a missing file; nobody left to take it. */
  ferry_session_room_send_files (room, NULL, &missing, 1);
  FERRY_TEST_WAIT_UNTIL (errors->len == 1, TIMEOUT_MS);
  g_assert_error ((GError *) errors->pdata[0], G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  FERRY_TEST_WAIT_UNTIL (n_items (peers) == 0, TIMEOUT_MS);
  ferry_session_room_send_files (room, NULL, &ours_file, 1);
  FERRY_TEST_WAIT_UNTIL (errors->len == 2, TIMEOUT_MS);
  g_assert_error ((GError *) errors->pdata[1], FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_NOT_CONNECTED);
  g_assert_cmpuint (n_items (transfers), ==, 3);

  ferry_session_shutdown (session);
  ferry_test_tracker_stop (tracker);
}

static gboolean
dht_is (FerrySession  *session,
        FerryDhtState  state)
{
  return ferry_session_get_dht_state (session) == state;
}

static gboolean
room_looks_on_dht (FerrySessionRoom *room)
{
  return ferry_session_room_get_dht (room) && ferry_session_room_get_dht_since (room) > 0;
}

/* A secret room whose link asks for the DHT, without any tracker: with nothing to start from the
 * DHT is blocked and the room offline; with a private DHT (ferry-cli dht serve, 16 nodes) it is
 * ready, a friend (ferry-cli chat --no-trackers) meets us through it alone, verified, and chat
 * goes both ways.  Turning dht-enabled off stops the room's rendezvous and the node (the friend
 * stays), on again starts them; leaving the last room stops the node. */
static void
test_dht (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("DHT test", &error);
  g_autoptr(FerryRoomLink) plain = ferry_room_link_new_plain ("ferry-session-dht", NULL);
  g_autoptr(FerrySession) session = NULL;
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(FerryTestNotify) room_notify = NULL;
  g_autoptr(FerryTestNotify) session_notify = NULL;
  g_autoptr(GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_autofree char *text = ferry_room_link_to_string (link);
  g_autofree char *identity = g_build_filename (tmpdir, "dht-friend.pem", NULL);
  g_auto(GStrv) bootstrap = NULL;
  GListModel *peers, *messages;
  FerryTestDhtLab *lab;
  FerryTestFriend *friend;
  FerrySessionPeer *peer;
  gint64 since;

  g_assert_nonnull (g_getenv ("FERRY_CLI"));
  g_assert_true (ferry_room_link_get_dht (link));
  session = session_new ("dht");
  g_object_set (session, "display-name", "Sam", "trackers", NULL, NULL);
  session_notify = ferry_test_notify_watch (session);
  g_signal_connect (session, "notify", G_CALLBACK (notify_cb), NULL);
  g_assert_true (ferry_session_get_dht_enabled (session));
  g_assert_true (dht_is (session, FERRY_DHT_STATE_STOPPED));
  /* FERRY_DHT_BOOTSTRAP is empty in the tests (tests/meson.build): nothing to start from. */
  g_object_get (session, "dht-bootstrap", &bootstrap, NULL);
  g_assert_cmpuint (g_strv_length (bootstrap), ==, 0);

  /* Without a tracker, only a secret room that asks for the DHT can be joined, while the DHT is
   * on. */
  g_assert_null (ferry_session_join (session, plain, &error));
  g_assert_error (error, FERRY_SESSION_ERROR, FERRY_SESSION_ERROR_NO_TRACKER);
  g_clear_error (&error);
  g_object_set (session, "dht-enabled", FALSE, NULL);
  g_assert_null (ferry_session_join (session, link, &error));
  g_assert_error (error, FERRY_SESSION_ERROR, FERRY_SESSION_ERROR_NO_TRACKER);
  g_clear_error (&error);
  g_object_set (session, "dht-enabled", TRUE, NULL);

  /* Nowhere to start from: blocked (UDP blocked looks the same), and the room is offline. */
  room = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  FERRY_TEST_WAIT_UNTIL (room_looks_on_dht (room), TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_room_get_dht_members (room), ==, 0);
  FERRY_TEST_WAIT_UNTIL (dht_is (session, FERRY_DHT_STATE_BLOCKED), TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (ferry_session_room_get_state (room) == FERRY_SESSION_ROOM_OFFLINE, TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_get_dht_nodes (session), ==, 0);
  /* The last room that used it left: the node stops. */
  ferry_session_room_leave (room);
  g_assert_false (ferry_session_room_get_dht (room));
  FERRY_TEST_WAIT_UNTIL (dht_is (session, FERRY_DHT_STATE_STOPPED), TIMEOUT_MS);
  g_clear_object (&room);

  /* A private DHT. */
  lab = ferry_test_dht_lab_start (16);
  g_object_set (session, "dht-bootstrap",
                (const char * const[]) { ferry_test_dht_lab_get_bootstrap (lab), NULL }, NULL);
  room = ferry_session_join (session, link, &error);
  g_assert_no_error (error);
  g_signal_connect (room, "error", G_CALLBACK (room_error_cb), errors);
  room_notify = ferry_test_notify_watch (room);
  peers = ferry_session_room_get_peers (room);
  messages = ferry_session_room_get_messages (room);
  watch_model (peers);
  watch_model (messages);
  FERRY_TEST_WAIT_UNTIL (dht_is (session, FERRY_DHT_STATE_READY), DHT_TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_get_dht_nodes (session), >, 0);
  FERRY_TEST_WAIT_UNTIL (ferry_session_get_dht_good_nodes (session) > 0, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (ferry_session_room_get_state (room) == FERRY_SESSION_ROOM_JOINED, TIMEOUT_MS);
  g_assert_true (room_looks_on_dht (room));
  g_assert_cmpuint (n_items (ferry_session_room_get_trackers (room)), ==, 0);

  /* The friend, through the DHT alone. */
  friend = ferry_test_friend_run ((const char * const[]) { "chat", "--no-trackers", "--dht-bootstrap",
                                                           ferry_test_dht_lab_get_bootstrap (lab), text, NULL },
                                  NULL, identity);
  FERRY_TEST_WAIT_UNTIL (friend_connected (room, friend), DHT_TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_room_get_dht_members (room), >=, 1);
  peer = item (peers, 0);
  g_assert_cmpstr (ferry_session_peer_get_display_name (peer), ==, "Friend");
  /* The connection proved the room's secret (the pairing code came sealed for members only). */
  g_assert_true (ferry_session_peer_get_verified (peer));
  g_test_message ("met through the DHT after %.1f s",
                  (g_get_monotonic_time () - ferry_session_room_get_dht_since (room)) / (double) G_USEC_PER_SEC);

  ferry_test_friend_say (friend, "Hello through the DHT");
  FERRY_TEST_WAIT_UNTIL (n_items (messages) == 1, TIMEOUT_MS);
  g_assert_cmpstr (ferry_chat_message_get_text (item (messages, 0)), ==, "Hello through the DHT");
  ferry_session_room_send_chat (room, "Hello back");
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->out, "Sam: Hello back") != NULL, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (last_delivered (messages), TIMEOUT_MS);

  /* Turned off: the room stops looking and the node stops; the friend met stays. */
  since = ferry_session_room_get_dht_since (room);
  g_object_set (session, "dht-enabled", FALSE, NULL);
  FERRY_TEST_WAIT_UNTIL (!ferry_session_room_get_dht (room), TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_room_get_dht_members (room), ==, 0);
  g_assert_cmpint (ferry_session_room_get_dht_since (room), ==, 0);
  FERRY_TEST_WAIT_UNTIL (dht_is (session, FERRY_DHT_STATE_STOPPED), TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_get_dht_nodes (session), ==, 0);
  g_assert_cmpuint (n_items (peers), ==, 1);
  g_assert_cmpint (ferry_session_room_get_state (room), ==, FERRY_SESSION_ROOM_JOINED);

  /* On again: it looks again, from then on. */
  g_object_set (session, "dht-enabled", TRUE, NULL);
  FERRY_TEST_WAIT_UNTIL (room_looks_on_dht (room), TIMEOUT_MS);
  g_assert_cmpint (ferry_session_room_get_dht_since (room), >, since);
  FERRY_TEST_WAIT_UNTIL (dht_is (session, FERRY_DHT_STATE_READY), DHT_TIMEOUT_MS);
  g_assert_cmpuint (errors->len, ==, 0);

  ferry_session_room_leave (room);
  FERRY_TEST_WAIT_UNTIL (dht_is (session, FERRY_DHT_STATE_STOPPED), TIMEOUT_MS);
  ferry_test_friend_stop (friend, TIMEOUT_MS);
  ferry_session_shutdown (session);
  ferry_test_notify_assert_no_spurious (room_notify);
  ferry_test_notify_assert_no_spurious (session_notify);
  g_assert_cmpuint (ferry_test_notify_count (session_notify, "dht-state"), >=, 6);
  ferry_test_dht_lab_stop (lab);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("ferry-session-XXXXXX", NULL);
  test_thread = g_thread_self ();
  /* The test thread is the GUI: it owns its context for the whole run, as a GTK app's main
   * loop does, so that g_main_context_is_owner () tells the threads apart also outside of a
   * dispatch. */
  g_assert_true (g_main_context_acquire (g_main_context_default ()));

  g_test_add_func ("/session/properties", test_properties);
  g_test_add_func ("/session/identity-error", test_identity_error);
  g_test_add_func ("/session/shutdown-busy", test_shutdown_busy);
  g_test_add_func ("/session/chat", test_chat);
  g_test_add_func ("/session/transfers", test_transfers);
  g_test_add_func ("/session/dht", test_dht);

  status = g_test_run ();
  g_main_context_release (g_main_context_default ());
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);

    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  return status;
}
