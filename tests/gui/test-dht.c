/* test-dht.c: secret rooms through the DHT in the app: the preference, the DHT in the
 * diagnostics (blocked with nothing to start from; ready with a private DHT, the room looking
 * for people and the members it saw), a friend (`ferry-cli chat --no-trackers`) met through the
 * DHT alone with chat both ways, and the preference turned off and on again
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs in a network namespace (tests/netns-run.sh), under tests/gui/run-under-xvfb.sh, with the
 * memory GSettings backend.  No tracker and no STUN server anywhere; the DHT is 16 nodes of
 * `ferry-cli dht serve` on 198.18.I.1 in the namespace (ferry-test-dht-lab.h), and
 * FERRY_DHT_BOOTSTRAP is empty until the test points the session at it.  Screenshots go to
 * $FERRY_TEST_ARTIFACTS_DIR.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-diagnostics-window.h"
#include "ferry-preferences-window.h"
#include "ferry-room-page.h"
#include "ferry-test-dht-lab.h"
#include "ferry-test-friend.h"
#include "ferry-test-gui.h"
#include "ferry-test-util.h"
#include "ferry-window.h"

#define TIMEOUT_MS 20000
/* Meeting through the DHT takes seconds: lobby reads every 5 s, then the mailboxes. */
#define DHT_TIMEOUT_MS 60000

static FerryApplication *app;
static FerryWindow *window;
static GSettings *settings;
static char *tmpdir;
static FerryTestDhtLab *lab;

static FerrySession *
get_session (void)
{
  return ferry_application_get_session (app);
}

static FerryRoomPage *
get_room_page (void)
{
  return FERRY_ROOM_PAGE (gtk_widget_get_ancestor (ferry_test_gui_get_widget (GTK_WIDGET (window), "room-link"),
                                                   FERRY_TYPE_ROOM_PAGE));
}

static FerryDiagnosticsWindow *
open_diagnostics (void)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (get_room_page ()), "room.diagnostics", NULL));
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (FERRY_IS_DIAGNOSTICS_WINDOW (l->data))
      return l->data;
  g_assert_not_reached ();
}

static FerryPreferencesWindow *
open_preferences (void)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (FERRY_IS_PREFERENCES_WINDOW (l->data))
      return l->data;
  g_assert_not_reached ();
}

/* The subtitle of the row named @name of @root. */
static const char *
subtitle (gpointer    root,
          const char *name)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (ferry_test_gui_get_widget (GTK_WIDGET (root), name)));
}

static gboolean
subtitle_starts (gpointer    root,
                 const char *name,
                 const char *prefix)
{
  return g_str_has_prefix (subtitle (root, name), prefix);
}

static const char *
advice (FerryDiagnosticsWindow *diagnostics)
{
  return gtk_label_get_text (GTK_LABEL (ferry_test_gui_get_widget (GTK_WIDGET (diagnostics), "diagnostics-advice")));
}

static const char *
room_status (void)
{
  return gtk_label_get_text (GTK_LABEL (ferry_test_gui_get_widget (GTK_WIDGET (window), "room-status-text")));
}

/* Seconds the room row says it has been looking, or -1. */
static int
looking_seconds (FerryDiagnosticsWindow *diagnostics)
{
  const char *text = subtitle (diagnostics, "dht-room");
  const char *prefix = "Looking for people on the DHT… ";

  if (!g_str_has_prefix (text, prefix) || !g_str_has_suffix (text, " s"))
    return -1;
  return atoi (text + strlen (prefix));
}

static gboolean
dht_is (FerryDhtState state)
{
  return ferry_session_get_dht_state (get_session ()) == state;
}

/* A new secret room (its link asks for the DHT), shown in the window. */
static FerrySessionRoom *
new_room (void)
{
  FerrySessionRoom *room;

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-room", NULL);
  room = ferry_room_page_get_room (get_room_page ());
  g_assert_nonnull (room);
  g_assert_true (ferry_room_link_get_dht (ferry_session_room_get_link (room)));
  return room;
}

static void
leave_room (void)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (get_room_page ()), "room.leave", NULL));
}

/* Tests */

/* On by default, with its subtitle in plain words; the switch is the key. */
static void
test_preference (void)
{
  FerryPreferencesWindow *preferences = open_preferences ();
  GtkWidget *row = ferry_test_gui_get_widget (GTK_WIDGET (preferences), "dht-enabled");
  GtkSwitch *toggle = GTK_SWITCH (ferry_test_gui_get_widget (GTK_WIDGET (preferences), "dht-enabled-switch"));

  g_assert_true (g_settings_get_boolean (settings, "dht-enabled"));
  g_assert_true (gtk_switch_get_active (toggle));
  g_assert_true (ferry_session_get_dht_enabled (get_session ()));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Find People Through the DHT");
  g_assert_nonnull (strstr (subtitle (preferences, "dht-enabled"), "no tracker can be reached"));
  g_assert_nonnull (strstr (subtitle (preferences, "dht-enabled"), "takes seconds, not milliseconds"));
  g_assert_nonnull (strstr (subtitle (preferences, "dht-enabled"), "sees your IP address, but not the room"));

  gtk_switch_set_active (toggle, FALSE);
  g_assert_false (g_settings_get_boolean (settings, "dht-enabled"));
  g_assert_false (ferry_session_get_dht_enabled (get_session ()));
  gtk_switch_set_active (toggle, TRUE);
  g_assert_true (ferry_session_get_dht_enabled (get_session ()));

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (preferences), "network-page");
  ferry_test_gui_take_screenshot (GTK_WIDGET (preferences), "preferences-dht.png");
  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* Nothing to start from (FERRY_DHT_BOOTSTRAP is empty): the DHT is blocked, and the room, which
 * has no tracker either, is offline; the diagnostics say so. */
static void
test_blocked (void)
{
  FerryDiagnosticsWindow *diagnostics;
  FerrySessionRoom *room;
  g_autofree char *report = NULL;

  g_assert_true (dht_is (FERRY_DHT_STATE_STOPPED));
  room = new_room ();
  diagnostics = open_diagnostics ();
  g_assert_cmpstr (subtitle (diagnostics, "dht-state"), ==, "Off");
  FERRY_TEST_WAIT_UNTIL (subtitle_starts (diagnostics, "dht-state", "Blocked: no DHT node answers"), TIMEOUT_MS);
  g_assert_cmpstr (subtitle (diagnostics, "dht-state"), ==,
                   "Blocked: no DHT node answers — UDP may be blocked on this network");
  g_assert_cmpstr (subtitle (diagnostics, "dht-nodes"), ==, "None known yet");
  g_assert_true (ferry_session_room_get_dht (room));
  FERRY_TEST_WAIT_UNTIL (looking_seconds (diagnostics) >= 2, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (strstr (advice (diagnostics), "No DHT node answers") != NULL, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (ferry_session_room_get_state (room) == FERRY_SESSION_ROOM_OFFLINE, TIMEOUT_MS);
  g_assert_cmpstr (room_status (), ==, "Offline: neither a tracker nor the DHT could be reached. Trying again…");

  report = ferry_diagnostics_window_report (diagnostics);
  g_test_message ("diagnostics report:\n%s", report);
  g_assert_nonnull (strstr (report, "DHT: blocked, 0 nodes known, 0 answering\n"));
  g_assert_nonnull (strstr (report, "Room on the DHT: yes, for "));

  ferry_test_gui_take_screenshot (GTK_WIDGET (diagnostics), "diagnostics-dht-blocked.png");
  gtk_window_destroy (GTK_WINDOW (diagnostics));
  leave_room ();
  /* The last room that used it is gone: the node stops. */
  FERRY_TEST_WAIT_UNTIL (dht_is (FERRY_DHT_STATE_STOPPED), TIMEOUT_MS);
}

static gboolean
friend_here (FerryTestFriend *friend)
{
  AdwActionRow *row = ferry_test_gui_find_row (ferry_test_gui_get_widget (GTK_WIDGET (window), "peers-list"), "Friend");

  return row != NULL && strstr (adw_action_row_get_subtitle (row), "Verified") != NULL &&
         ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined ") != NULL;
}

/* A private DHT: ready, the room looks for people, a friend who has the link meets us through
 * the DHT alone, and chat goes both ways.  Then the preference: off stops the room's rendezvous
 * and the node (the friend stays), on starts them again. */
static void
test_meet (void)
{
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  g_autofree char *report = NULL;
  g_autofree char *link = NULL;
  FerryDiagnosticsWindow *diagnostics;
  FerryPreferencesWindow *preferences;
  FerryTestFriend *friend;
  FerrySessionRoom *room;
  GtkWidget *entry;

  lab = ferry_test_dht_lab_start (16);
  g_object_set (get_session (), "dht-bootstrap",
                (const char * const[]) { ferry_test_dht_lab_get_bootstrap (lab), NULL }, NULL);
  room = new_room ();
  link = ferry_room_link_to_string (ferry_session_room_get_link (room));
  diagnostics = open_diagnostics ();
  FERRY_TEST_WAIT_UNTIL (dht_is (FERRY_DHT_STATE_READY), DHT_TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (g_str_equal (subtitle (diagnostics, "dht-state"), "Ready"), TIMEOUT_MS);
  g_assert_cmpuint (ferry_session_get_dht_nodes (get_session ()), >, 0);
  FERRY_TEST_WAIT_UNTIL (g_str_has_suffix (subtitle (diagnostics, "dht-nodes"), " answering") &&
                         !g_str_has_suffix (subtitle (diagnostics, "dht-nodes"), ", 0 answering"),
                         TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (ferry_session_room_get_state (room) == FERRY_SESSION_ROOM_JOINED, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (looking_seconds (diagnostics) >= 1, TIMEOUT_MS);
  g_assert_nonnull (strstr (advice (diagnostics), "through the DHT, people who open it show up here within a minute"));
  ferry_test_gui_take_screenshot (GTK_WIDGET (diagnostics), "diagnostics-dht-looking.png");

  friend = ferry_test_friend_run ((const char * const[]) { "chat", "--no-trackers", "--dht-bootstrap",
                                                           ferry_test_dht_lab_get_bootstrap (lab), link, NULL },
                                  NULL, identity);
  FERRY_TEST_WAIT_UNTIL (friend_here (friend), DHT_TIMEOUT_MS);
  g_test_message ("met through the DHT after %.1f s",
                  (g_get_monotonic_time () - ferry_session_room_get_dht_since (room)) / (double) G_USEC_PER_SEC);
  FERRY_TEST_WAIT_UNTIL (g_str_equal (subtitle (diagnostics, "dht-room"), "1 member seen on the DHT"), TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (strstr (advice (diagnostics), "Everything works: everyone here is connected.") != NULL,
                         TIMEOUT_MS);

  report = ferry_diagnostics_window_report (diagnostics);
  g_test_message ("diagnostics report:\n%s", report);
  g_assert_nonnull (strstr (report, "DHT: ready, "));
  g_assert_nonnull (strstr (report, " s, 1 members seen\n"));
  g_assert_null (strstr (report, link));
  g_assert_null (strstr (report, "198.18."));
  g_assert_false (g_regex_match_simple ("[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+", report, 0, 0));
  ferry_test_gui_take_light_and_dark (GTK_WIDGET (diagnostics), "diagnostics-dht");
  gtk_window_destroy (GTK_WINDOW (diagnostics));

  /* Focused: no desktop notification for the chat (there is no notification server here). */
  gtk_window_present (GTK_WINDOW (window));
  FERRY_TEST_WAIT_UNTIL (gtk_window_is_active (GTK_WINDOW (window)), TIMEOUT_MS);
  ferry_test_friend_say (friend, "Hello through the DHT");
  FERRY_TEST_WAIT_UNTIL (ferry_test_gui_has_message (GTK_WIDGET (window), "Hello through the DHT"), TIMEOUT_MS);
  entry = ferry_test_gui_get_widget (GTK_WIDGET (window), "chat-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), "Hello from the app");
  g_signal_emit_by_name (entry, "activate");
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->out, "Sam: Hello from the app") != NULL, TIMEOUT_MS);
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "room-dht.png");

  /* Off in the preferences: the room stops looking, the node stops; the friend stays. */
  preferences = open_preferences ();
  gtk_switch_set_active (GTK_SWITCH (ferry_test_gui_get_widget (GTK_WIDGET (preferences), "dht-enabled-switch")), FALSE);
  gtk_window_destroy (GTK_WINDOW (preferences));
  FERRY_TEST_WAIT_UNTIL (!ferry_session_room_get_dht (room), TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (dht_is (FERRY_DHT_STATE_STOPPED), TIMEOUT_MS);
  diagnostics = open_diagnostics ();
  g_assert_cmpstr (subtitle (diagnostics, "dht-state"), ==, "Off");
  g_assert_cmpstr (subtitle (diagnostics, "dht-nodes"), ==, "None known yet");
  g_assert_cmpstr (subtitle (diagnostics, "dht-room"), ==, "Off: turned off in Preferences");
  g_assert_nonnull (ferry_test_gui_find_row (ferry_test_gui_get_widget (GTK_WIDGET (window), "peers-list"), "Friend"));
  gtk_window_destroy (GTK_WINDOW (diagnostics));

  /* On again: it looks again. */
  g_settings_set_boolean (settings, "dht-enabled", TRUE);
  FERRY_TEST_WAIT_UNTIL (ferry_session_room_get_dht (room), TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (dht_is (FERRY_DHT_STATE_READY), DHT_TIMEOUT_MS);

  leave_room ();
  FERRY_TEST_WAIT_UNTIL (dht_is (FERRY_DHT_STATE_STOPPED), TIMEOUT_MS);
  ferry_test_friend_stop (friend, TIMEOUT_MS);
  ferry_test_dht_lab_stop (g_steal_pointer (&lab));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  tmpdir = ferry_test_gui_isolate ("ferry-test-dht");
  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("FERRY_CLI"));
  /* tests/gui/meson.build: nothing may reach the public DHT. */
  g_assert_cmpstr (g_getenv ("FERRY_DHT_BOOTSTRAP"), ==, "");
  app = ferry_test_gui_start_app ("Sam", &window);
  settings = g_settings_new (APP_ID);

  g_test_add_func ("/gui/dht/preference", test_preference);
  g_test_add_func ("/gui/dht/blocked", test_blocked);
  g_test_add_func ("/gui/dht/meet", test_meet);

  status = g_test_run ();
  g_clear_object (&settings);
  ferry_test_gui_stop_app (window, app, tmpdir);
  return status;
}
