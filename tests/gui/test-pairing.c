/* test-pairing.c: "Connect Directly": the app's pairing code read by `ferry-cli chat LINK`, a
 * garbage code refused with the parser's message, and a `ferry-cli pair` link pasted into the
 * join entry; chat both ways in the direct room
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs in a network namespace (tests/netns-run.sh), under tests/gui/run-under-xvfb.sh, with the
 * memory GSettings backend.  No tracker and no STUN server anywhere: the code alone connects.
 * Screenshots go to $FERRY_TEST_ARTIFACTS_DIR.
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-pairing-code.h"
#include "ferry-pairing-window.h"
#include "ferry-room-page.h"
#include "ferry-test-friend.h"
#include "ferry-test-gui.h"
#include "ferry-test-util.h"
#include "ferry-window.h"

#define TIMEOUT_MS 20000

static FerryApplication *app;
static FerryWindow *window;
static char *tmpdir;

static const char *
visible_page (void)
{
  GtkWidget *start = ferry_test_gui_get_widget (GTK_WIDGET (window), "start-page");

  return gtk_stack_get_visible_child_name (GTK_STACK (gtk_widget_get_ancestor (start, GTK_TYPE_STACK)));
}

/* The pairing window that is open, or NULL. */
static FerryPairingWindow *
find_pairing_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (FERRY_IS_PAIRING_WINDOW (toplevel))
        return FERRY_PAIRING_WINDOW (toplevel);
    }
  return NULL;
}

static const char *
label_text (GtkWidget  *root,
            const char *name)
{
  return gtk_label_get_text (GTK_LABEL (ferry_test_gui_get_widget (root, name)));
}

static FerryPairingWindow *
open_pairing_window (void)
{
  FerryPairingWindow *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.connect-directly", NULL));
  FERRY_TEST_WAIT_UNTIL ((dialog = find_pairing_window ()) != NULL, TIMEOUT_MS);
  return dialog;
}

/* The friend (ferry-cli) is in the direct room the window shows: chat both ways, then the app
 * leaves and the friend sees it go. */
static void
chat_in_direct_room (FerryTestFriend *friend)
{
  FerryRoomPage *page;
  FerrySessionRoom *room;
  AdwActionRow *row;
  GtkWidget *entry;

  FERRY_TEST_WAIT_UNTIL (g_strcmp0 (visible_page (), "room") == 0 &&
                         (row = ferry_test_gui_find_row (ferry_test_gui_get_widget (GTK_WIDGET (window), "peers-list"), "Friend")) != NULL &&
                         strstr (adw_action_row_get_subtitle (row), "Verified") != NULL,
                         TIMEOUT_MS);
  page = FERRY_ROOM_PAGE (gtk_widget_get_ancestor (ferry_test_gui_get_widget (GTK_WIDGET (window), "peers-list"),
                                                   FERRY_TYPE_ROOM_PAGE));
  room = ferry_room_page_get_room (page);
  g_assert_true (ferry_session_room_get_direct (room));
  g_assert_cmpstr (ferry_session_room_get_title (room), ==, "Direct: Friend");
  g_assert_cmpuint (g_list_model_get_n_items (ferry_session_room_get_trackers (room)), ==, 0);
  g_assert_cmpstr (label_text (GTK_WIDGET (window), "room-status-text"), ==, "Connected directly");
  g_assert_null (find_pairing_window ());
  /* Xvfb has no window manager to give the focus back once the dialog closed; without it, chat
   * would go to desktop notifications. */
  gtk_window_present (GTK_WINDOW (window));
  FERRY_TEST_WAIT_UNTIL (gtk_window_is_active (GTK_WINDOW (window)), TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined ") != NULL,
                         TIMEOUT_MS);

  ferry_test_friend_say (friend, "Hello from the friend");
  FERRY_TEST_WAIT_UNTIL (ferry_test_gui_has_message (GTK_WIDGET (window), "Hello from the friend"), TIMEOUT_MS);

  entry = ferry_test_gui_get_widget (GTK_WIDGET (window), "chat-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), "Hello from the app");
  g_signal_emit_by_name (entry, "activate");
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->out, "Sam: Hello from the app") != NULL,
                         TIMEOUT_MS);
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "pairing-room.png");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  g_assert_cmpstr (visible_page (), ==, "start");
  /* ferry-cli exits once the other side is gone. */
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
}

/* The app makes a code; ferry-cli chat reads its link. */
static void
test_owner (void)
{
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  g_autofree char *link = NULL;
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(GError) error = NULL;
  FerryPairingWindow *dialog;
  FerryTestFriend *friend;
  GtkWidget *code_label;
  int minimum;

  dialog = open_pairing_window ();
  code_label = ferry_test_gui_get_widget (GTK_WIDGET (dialog), "pairing-code");
  FERRY_TEST_WAIT_UNTIL (gtk_widget_get_visible (code_label) &&
                         ferry_pairing_code_is_link (gtk_label_get_text (GTK_LABEL (code_label))),
                         TIMEOUT_MS);
  link = g_strdup (gtk_label_get_text (GTK_LABEL (code_label)));
  code = ferry_pairing_code_parse (link, g_get_real_time () / G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_false (code->reply);
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (code_label)));
  g_assert_true (gtk_widget_has_css_class (code_label, "monospace"));
  g_assert_nonnull (gtk_picture_get_paintable (GTK_PICTURE (ferry_test_gui_get_widget (GTK_WIDGET (dialog),
                                                                        "pairing-qr-code"))));
  g_assert_true (g_str_has_prefix (label_text (GTK_WIDGET (dialog), "pairing-expiry"), "Valid for another "));
  g_assert_false (gtk_widget_get_visible (ferry_test_gui_get_widget (GTK_WIDGET (dialog), "pairing-error")));

  /* It fits a phone. */
  gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  ferry_test_gui_take_screenshot (GTK_WIDGET (dialog), "pairing-window.png");

  friend = ferry_test_friend_run ((const char * const[]) { "chat", link, NULL }, NULL, identity);
  chat_in_direct_room (friend);
}

/* Garbage is refused with the parser's own message, in the window; our code stays. */
static void
test_bad_code (void)
{
  g_autoptr(GError) expected = NULL;
  g_autoptr(FerryPairingCode) code = NULL;
  FerrySessionPairing *pairing;
  FerryPairingWindow *dialog;
  GtkWidget *error_label;
  GtkWidget *entry;

  code = ferry_pairing_code_parse ("this is no code!", g_get_real_time () / G_USEC_PER_SEC, &expected);
  g_assert_null (code);
  g_assert_nonnull (expected);

  dialog = open_pairing_window ();
  entry = ferry_test_gui_get_widget (GTK_WIDGET (dialog), "pairing-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), "this is no code!");
  g_signal_emit_by_name (entry, "entry-activated");
  error_label = ferry_test_gui_get_widget (GTK_WIDGET (dialog), "pairing-error");
  g_assert_true (gtk_widget_get_visible (error_label));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (error_label)), ==, expected->message);
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  pairing = ferry_pairing_window_get_pairing (dialog);
  g_assert_nonnull (pairing);
  g_assert_false (ferry_session_pairing_get_reader (pairing));
  g_assert_false (ferry_session_pairing_get_finished (pairing));
  ferry_test_gui_take_screenshot (GTK_WIDGET (dialog), "pairing-bad-code.png");

  /* Escape closes it, and the code is no longer answered. */
  g_object_ref (pairing);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "window.close", NULL));
  FERRY_TEST_WAIT_UNTIL (find_pairing_window () == NULL, TIMEOUT_MS);
  g_assert_true (ferry_session_pairing_get_finished (pairing));
  g_object_unref (pairing);
}

/* ferry-cli pair makes the code; its link pasted into the join entry connects. */
static void
test_join_entry (void)
{
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  FerryTestFriend *friend;
  GtkWidget *entry;
  const char *link;

  friend = ferry_test_friend_run ((const char * const[]) { "pair", NULL }, NULL, identity);
  FERRY_TEST_WAIT_UNTIL ((link = ferry_test_reader_find (&friend->out, "ferry://pair")) != NULL,
                         TIMEOUT_MS);

  entry = ferry_test_gui_get_widget (GTK_WIDGET (window), "join-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), link);
  g_assert_cmpstr (label_text (GTK_WIDGET (window), "join-hint"), ==,
                   "A pairing code: connects straight to the computer that made it, without any server.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.join-room", NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");

  chat_in_direct_room (friend);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  tmpdir = ferry_test_gui_isolate ("ferry-test-pairing");
  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("FERRY_CLI"));
  app = ferry_test_gui_start_app ("Sam", &window);

  g_test_add_func ("/gui/pairing/owner", test_owner);
  g_test_add_func ("/gui/pairing/bad-code", test_bad_code);
  g_test_add_func ("/gui/pairing/join-entry", test_join_entry);

  status = g_test_run ();
  ferry_test_gui_stop_app (window, app, tmpdir);
  return status;
}
