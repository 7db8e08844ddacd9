/* test-nearby.c: "Nearby Devices": a visible `ferry-cli nearby` listed and connected to from the
 * app, a `ferry-cli nearby --hidden --connect Sam` connecting to the app while the window is
 * open; chat both ways in the direct room, the verification code shown on both sides; and
 * nothing announced with the preference off and the window closed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs in a network namespace (tests/netns-run.sh), under tests/gui/run-under-xvfb.sh, with the
 * memory GSettings backend.  The announcements go to 239.255.70.82 by the namespace's default
 * route (its veth v0) and come back to every listener of the namespace by multicast loopback;
 * nothing leaves the namespace.  No tracker and no STUN server anywhere.  Screenshots go to
 * $FERRY_TEST_ARTIFACTS_DIR.
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-nearby-window.h"
#include "ferry-room-page.h"
#include "ferry-test-friend.h"
#include "ferry-test-gui.h"
#include "ferry-test-util.h"
#include "ferry-window.h"

#define TIMEOUT_MS 20000

static FerryApplication *app;
static FerryWindow *window;
static GSettings *settings;
static char *tmpdir;

static const char *
visible_page (void)
{
  GtkWidget *start = ferry_test_gui_get_widget (GTK_WIDGET (window), "start-page");

  return gtk_stack_get_visible_child_name (GTK_STACK (gtk_widget_get_ancestor (start, GTK_TYPE_STACK)));
}

static FerryNearbyWindow *
find_nearby_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (FERRY_IS_NEARBY_WINDOW (toplevel))
        return FERRY_NEARBY_WINDOW (toplevel);
    }
  return NULL;
}

static FerrySessionNearby *
get_nearby (void)
{
  return ferry_session_get_nearby (ferry_application_get_session (app));
}

static FerryNearbyWindow *
open_nearby_window (void)
{
  FerryNearbyWindow *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.nearby-devices", NULL));
  FERRY_TEST_WAIT_UNTIL ((dialog = find_nearby_window ()) != NULL, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (ferry_session_nearby_get_running (get_nearby ()), TIMEOUT_MS);
  g_assert_true (ferry_session_nearby_get_visible (get_nearby ()));
  return dialog;
}

/* The friend (ferry-cli nearby) is in the direct room the window shows, unverified, with the
 * same verification code on both sides: chat both ways, then the app leaves and the friend
 * exits. */
static void
chat_in_nearby_room (FerryTestFriend *friend)
{
  g_autofree char *code = NULL;
  g_autofree char *expected = NULL;
  FerryRoomPage *page;
  FerrySessionRoom *room;
  AdwActionRow *row = NULL;
  const char *joined;
  GtkWidget *entry;

  FERRY_TEST_WAIT_UNTIL (g_strcmp0 (visible_page (), "room") == 0 &&
                         (row = ferry_test_gui_find_row (ferry_test_gui_get_widget (GTK_WIDGET (window), "peers-list"), "Friend")) != NULL &&
                         strstr (adw_action_row_get_subtitle (row), "Compare code ") != NULL,
                         TIMEOUT_MS);
  page = FERRY_ROOM_PAGE (gtk_widget_get_ancestor (ferry_test_gui_get_widget (GTK_WIDGET (window), "peers-list"),
                                                   FERRY_TYPE_ROOM_PAGE));
  room = ferry_room_page_get_room (page);
  g_assert_true (ferry_session_room_get_direct (room));
  g_assert_cmpstr (ferry_session_room_get_title (room), ==, "Nearby: Friend");
  g_assert_cmpuint (g_list_model_get_n_items (ferry_session_room_get_trackers (room)), ==, 0);
  /* The window closed once connected. */
  FERRY_TEST_WAIT_UNTIL (find_nearby_window () == NULL, TIMEOUT_MS);
  gtk_window_present (GTK_WINDOW (window));
  FERRY_TEST_WAIT_UNTIL (gtk_window_is_active (GTK_WINDOW (window)), TIMEOUT_MS);

  /* Nothing proved who they are: the users compare the code, the same on both sides. */
  FERRY_TEST_WAIT_UNTIL ((joined = ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined ")) != NULL,
                         TIMEOUT_MS);
  g_assert_nonnull (strstr (joined, " verified=no "));
  code = ferry_test_event_value (joined, "code");
  g_assert_cmpstr (code, !=, "");
  expected = g_strdup_printf ("Connected · Compare code %s", code);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, expected);

  ferry_test_friend_say (friend, "Hello from the friend");
  FERRY_TEST_WAIT_UNTIL (ferry_test_gui_has_message (GTK_WIDGET (window), "Hello from the friend"), TIMEOUT_MS);

  entry = ferry_test_gui_get_widget (GTK_WIDGET (window), "chat-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), "Hello from the app");
  g_signal_emit_by_name (entry, "activate");
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->out, "Sam: Hello from the app") != NULL,
                         TIMEOUT_MS);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  g_assert_cmpstr (visible_page (), ==, "start");
  /* ferry-cli exits once the other side is gone. */
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
}

/* A visible ferry-cli is listed; activating its row connects. */
static void
test_connect (void)
{
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  FerryNearbyWindow *dialog;
  FerryTestFriend *friend;
  AdwActionRow *row = NULL;
  GtkWidget *list;
  int minimum;

  dialog = open_nearby_window ();
  g_assert_true (gtk_widget_get_visible (ferry_test_gui_get_widget (GTK_WIDGET (dialog), "nearby-empty")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (ferry_test_gui_get_widget (GTK_WIDGET (dialog), "nearby-empty-title"))),
                   ==, "Looking for Ferry on this network…");
  g_assert_false (gtk_widget_get_visible (ferry_test_gui_get_widget (GTK_WIDGET (dialog), "nearby-error")));
  gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  ferry_test_gui_take_screenshot (GTK_WIDGET (dialog), "nearby-empty.png");

  friend = ferry_test_friend_run ((const char * const[]) { "nearby", NULL }, NULL, identity);
  list = ferry_test_gui_get_widget (GTK_WIDGET (dialog), "nearby-devices");
  FERRY_TEST_WAIT_UNTIL ((row = ferry_test_gui_find_row (list, "Friend")) != NULL, TIMEOUT_MS);
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (row), "Key "));
  g_assert_false (gtk_widget_get_visible (ferry_test_gui_get_widget (GTK_WIDGET (dialog), "nearby-empty")));
  g_assert_true (gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (row)));
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (row)));
  ferry_test_gui_take_screenshot (GTK_WIDGET (dialog), "nearby-devices.png");

  g_signal_emit_by_name (list, "row-activated", row);
  chat_in_nearby_room (friend);
}

/* ferry-cli connects to the app while its window is open. */
static void
test_incoming (void)
{
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  FerryTestFriend *friend;

  open_nearby_window ();
  friend = ferry_test_friend_run ((const char * const[]) { "nearby", "--hidden", "--connect", "Sam", NULL },
                                  NULL, identity);
  chat_in_nearby_room (friend);
}

static gboolean
announced_sam (FerryTestFriend *friend)
{
  for (guint i = 0; i < friend->err.lines->len; i++)
    {
      const char *line = g_ptr_array_index (friend->err.lines, i);

      if (g_str_has_prefix (line, "ferry-cli: nearby-device ") && strstr (line, " name=\"Sam\" ") != NULL)
        return TRUE;
    }
  return FALSE;
}

/* With the preference off and the window closed, nothing is sent; the preference makes the app
 * visible while it is on. */
static void
test_hidden (void)
{
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  FerryTestFriend *friend;

  g_assert_null (find_nearby_window ());
  g_assert_false (g_settings_get_boolean (settings, "nearby-visible"));
  g_assert_false (ferry_session_nearby_get_running (get_nearby ()));

  friend = ferry_test_friend_run ((const char * const[]) { "nearby", "--hidden", NULL }, NULL, identity);
  ferry_test_run_for (4000);
  g_assert_false (announced_sam (friend));
  g_assert_null (ferry_test_reader_find (&friend->err, "ferry-cli: nearby-device "));

  g_settings_set_boolean (settings, "nearby-visible", TRUE);
  FERRY_TEST_WAIT_UNTIL (announced_sam (friend), TIMEOUT_MS);
  g_assert_true (ferry_session_nearby_get_running (get_nearby ()));

  /* Switched off: "bye". */
  g_settings_set_boolean (settings, "nearby-visible", FALSE);
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->err, "ferry-cli: nearby-gone ") != NULL, TIMEOUT_MS);
  g_assert_false (ferry_session_nearby_get_running (get_nearby ()));
  ferry_test_friend_stop (friend, TIMEOUT_MS);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  tmpdir = ferry_test_gui_isolate ("ferry-test-nearby");
  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("FERRY_CLI"));
  app = ferry_test_gui_start_app ("Sam", &window);
  settings = g_settings_new (APP_ID);

  g_test_add_func ("/gui/nearby/connect", test_connect);
  g_test_add_func ("/gui/nearby/incoming", test_incoming);
  g_test_add_func ("/gui/nearby/hidden", test_hidden);

  status = g_test_run ();
  g_clear_object (&settings);
  ferry_test_gui_stop_app (window, app, tmpdir);
  return status;
}
