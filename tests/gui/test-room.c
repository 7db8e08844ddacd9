/* test-room.c: the room page with a real room: the window joins a secret room through the
 * reference tracker, a friend (ferry-cli chat) joins it, and the page shows the friend and the
 * chat both ways; files both ways with ferry-cli send and receive, through the transfers list;
 * marking the friend as a friend, and someone else using the friend's name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs in a network namespace (tests/netns-run.sh), under tests/gui/run-under-xvfb.sh, with the
 * memory GSettings backend.  Node is needed for the tracker: without it the test skips, and
 * fails when CI=true.  Screenshots go to $FERRY_TEST_ARTIFACTS_DIR.
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>

#include "ferry-application.h"
#include "ferry-chat-message.h"
#include "ferry-diagnostics-window.h"
#include "ferry-room-link.h"
#include "ferry-room-page.h"
#include "ferry-session-peer.h"
#include "ferry-test-friend.h"
#include "ferry-test-gui.h"
#include "ferry-test-tracker.h"
#include "ferry-test-util.h"
#include "ferry-transfer-row.h"
#include "ferry-window.h"

#define TIMEOUT_MS 20000
/* Big enough for the app to pause it before the end. */
#define OURS_SIZE (256 * 1024 * 1024)
/* Big enough for the friend to be killed before the end. */
#define MOVIE_SIZE (256 * 1024 * 1024)

static FerryApplication *app;
static FerryWindow *window;
static char *tmpdir;

/* Widgets */

static GtkWidget *
get_widget (const char *name)
{
  GtkWidget *widget = ferry_test_gui_find_widget (GTK_WIDGET (window), name);

  if (widget == NULL)
    g_error ("No widget named “%s” in the window", name);

  return widget;
}

static const char *
visible_page (void)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_ancestor (get_widget ("start-page"), GTK_TYPE_STACK));

  return gtk_stack_get_visible_child_name (stack);
}

/* The peer row titled @name, or NULL. */
static AdwActionRow *
find_peer_row (const char *name)
{
  GtkWidget *list = get_widget ("peers-list");

  for (GtkWidget *child = gtk_widget_get_first_child (list);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (ADW_IS_ACTION_ROW (child) &&
        g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), name) == 0)
      return ADW_ACTION_ROW (child);

  return NULL;
}

/* The message row whose text is @text, or NULL. */
static GtkWidget *
find_message_row (const char *text)
{
  GtkWidget *list = get_widget ("messages-list");

  for (GtkWidget *child = gtk_widget_get_first_child (list);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *label = ferry_test_gui_find_widget (child, "message-text");

      if (label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) == 0)
        return child;
    }

  return NULL;
}

/* The row of the transfer titled @title going in @direction, or NULL. */
static GtkWidget *
find_transfer_row (const char             *title,
                   FerryTransferDirection  direction)
{
  GtkWidget *list = get_widget ("transfers-list");

  for (GtkWidget *child = gtk_widget_get_first_child (list);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      FerrySessionTransfer *transfer;

      if (!FERRY_IS_TRANSFER_ROW (child))
        continue;
      transfer = ferry_transfer_row_get_transfer (FERRY_TRANSFER_ROW (child));
      if (g_strcmp0 (ferry_session_transfer_get_title (transfer), title) == 0 &&
          ferry_session_transfer_get_direction (transfer) == direction)
        return child;
    }

  return NULL;
}

static const char *
row_text (GtkWidget  *row,
          const char *name)
{
  GtkWidget *label = ferry_test_gui_find_widget (row, name);

  g_assert_nonnull (label);
  return gtk_label_get_text (GTK_LABEL (label));
}

static gboolean
row_shows (GtkWidget  *row,
           const char *name)
{
  GtkWidget *widget = ferry_test_gui_find_widget (row, name);

  g_assert_nonnull (widget);
  return gtk_widget_get_visible (widget);
}

/* Clicks the button named @name of @row, as the user would. */
static void
click (GtkWidget  *row,
       const char *name)
{
  GtkWidget *button = ferry_test_gui_find_widget (row, name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
}

/* The first widget at or below @root (depth first) for which @match holds, or NULL. */
static GtkWidget *
find_first (GtkWidget     *root,
            gboolean     (*match) (GtkWidget *widget, gconstpointer data),
            gconstpointer  data)
{
  if (match (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_first (child, match, data);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
is_label_showing (GtkWidget     *widget,
                  gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

/* A label somewhere below @root showing @text, or NULL: toasts are private widgets. */
static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  return find_first (root, is_label_showing, text);
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

/* A descendant of @root of type @type, or NULL. */
static GtkWidget *
find_widget_of_type (GtkWidget *root,
                     GType      type)
{
  return find_first (root, is_of_type, GSIZE_TO_POINTER (type));
}

/* Tests */

/* No tracker anywhere: the join fails at once, the window says why in a toast and stays on the
 * start page. */
static void
test_join_error (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GType toast_type;

  g_settings_set_strv (settings, "trackers", (const char * const[]) { NULL });

  gtk_editable_set_text (GTK_EDITABLE (get_widget ("join-entry")), "Book club");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.join-room", NULL));
  g_assert_cmpstr (visible_page (), ==, "start");

  /* AdwToastWidget is private; its type is registered once a toast is shown. */
  toast_type = g_type_from_name ("AdwToastWidget");
  g_assert_true (toast_type != G_TYPE_INVALID);
  FERRY_TEST_WAIT_UNTIL (find_widget_of_type (GTK_WIDGET (window), toast_type) != NULL, TIMEOUT_MS);
  gtk_editable_set_text (GTK_EDITABLE (get_widget ("join-entry")), "");
}

/* The page still fits a phone; the narrow window is saved as @file_name. */
static void
assert_fits_narrow_window (const char *file_name)
{
  int minimum;

  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL,
                      NULL, NULL);
  g_test_message ("Minimum window width: %d", minimum);
  g_assert_cmpint (minimum, <=, 360);

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  FERRY_TEST_WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) <= 360, TIMEOUT_MS);
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), file_name);
}

static gboolean
messages_contain (GListModel *messages,
                  const char *text)
{
  guint n = g_list_model_get_n_items (messages);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryChatMessage) message = g_list_model_get_item (messages, i);

      if (g_strcmp0 (ferry_chat_message_get_text (message), text) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_action_row_titled (GtkWidget     *widget,
                      gconstpointer  title)
{
  return ADW_IS_ACTION_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* The first action row titled @title under @root, or NULL. */
static AdwActionRow *
find_action_row (GtkWidget  *root,
                 const char *title)
{
  return ADW_ACTION_ROW (find_first (root, is_action_row_titled, title));
}

static gboolean
subtitle_has (AdwActionRow *row,
              const char   *text)
{
  return row != NULL && strstr (adw_action_row_get_subtitle (row), text) != NULL;
}

static FerryDiagnosticsWindow *
open_diagnostics (FerryRoomPage *page)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.diagnostics", NULL));
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (FERRY_IS_DIAGNOSTICS_WINDOW (l->data))
      return l->data;
  g_assert_not_reached ();
}

/* The diagnostics of a room with the friend connected on the same machine: the tracker is up,
 * the connection direct between host candidates with its round trip, the advice says all is
 * well, and the report for bug reports holds no secret, name, fingerprint or address. */
static void
check_diagnostics (FerryRoomPage *page,
                   const char    *friend_code)
{
  FerrySessionRoom *room = ferry_room_page_get_room (page);
  g_autoptr(FerrySessionPeer) peer = g_list_model_get_item (ferry_session_room_get_peers (room), 0);
  g_autoptr(FerrySessionTracker) tracker = g_list_model_get_item (ferry_session_room_get_trackers (room), 0);
  g_autofree char *link = ferry_room_link_to_string (ferry_room_page_get_link (page));
  g_autofree char *report = NULL;
  FerryDiagnosticsWindow *diagnostics = NULL;
  AdwActionRow *row;

  diagnostics = open_diagnostics (page);

  FERRY_TEST_WAIT_UNTIL (subtitle_has (row = find_action_row (GTK_WIDGET (diagnostics), "Friend"), "round trip"),
                         TIMEOUT_MS);
  g_assert_true (subtitle_has (row, "Connected · direct (host ↔ host)"));
  row = find_action_row (GTK_WIDGET (diagnostics), ferry_session_tracker_get_url (tracker));
  g_assert_true (subtitle_has (row, "Connected"));
  g_assert_nonnull (strstr (row_text (GTK_WIDGET (diagnostics), "diagnostics-advice"),
                            "Everything works"));

  report = ferry_diagnostics_window_report (diagnostics);
  g_test_message ("diagnostics report:\n%s", report);
  g_assert_nonnull (strstr (report, "Room: secret, joined"));
  g_assert_nonnull (strstr (report, "1. a server by its IP address: connected"));
  g_assert_nonnull (strstr (report, "1. Ferry app, verified, Connected · direct (host ↔ host) · round trip"));
  g_assert_null (strstr (report, link));
  g_assert_null (strstr (report, "Friend"));
  g_assert_null (strstr (report, "Sam"));
  g_assert_null (strstr (report, friend_code));
  g_assert_null (strstr (report, ferry_session_peer_get_fingerprint (peer)));
  g_assert_false (g_regex_match_simple ("[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+", report, 0, 0));

  gtk_window_destroy (GTK_WINDOW (diagnostics));
}

/* The friend's row in a new secret room, once the friend (ferry-cli chat) is verified there. */
static AdwActionRow *
wait_for_verified_friend (FerryTestFriend *friend)
{
  AdwActionRow *row;

  FERRY_TEST_WAIT_UNTIL ((row = find_peer_row ("Friend")) != NULL &&
                         ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined ") != NULL &&
                         strstr (adw_action_row_get_subtitle (row), "Verified") != NULL,
                         TIMEOUT_MS);
  return row;
}

/* A room whose only tracker cannot be reached, and nobody else: the diagnostics say so in
 * words, in light and in dark. */
static void
test_unreachable_tracker (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  FerryDiagnosticsWindow *diagnostics;
  FerryRoomPage *page;
  GtkLabel *advice;
  AdwActionRow *row;

  /* Nothing listens on the discard port. */
  g_settings_set_strv (settings, "trackers", (const char * const[]) { "ws://127.0.0.1:9", NULL });
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-room", NULL);
  page = FERRY_ROOM_PAGE (gtk_widget_get_ancestor (get_widget ("room-link"), FERRY_TYPE_ROOM_PAGE));
  diagnostics = open_diagnostics (page);
  advice = GTK_LABEL (ferry_test_gui_find_widget (GTK_WIDGET (diagnostics), "diagnostics-advice"));
  FERRY_TEST_WAIT_UNTIL (strstr (gtk_label_get_text (advice), "No tracker answers") != NULL, TIMEOUT_MS);
  g_assert_nonnull (strstr (gtk_label_get_text (advice), "add another tracker in Preferences"));
  row = find_action_row (GTK_WIDGET (diagnostics), "ws://127.0.0.1:9");
  g_assert_true (subtitle_has (row, "Cannot be reached"));
  g_assert_nonnull (find_action_row (GTK_WIDGET (diagnostics), "Nobody yet"));

  ferry_test_gui_take_light_and_dark (GTK_WIDGET (diagnostics), "diagnostics");
  ferry_test_gui_take_light_and_dark (GTK_WIDGET (window), "room-offline");

  gtk_window_destroy (GTK_WINDOW (diagnostics));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
}

static void
test_chat (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *friend_code = NULL;
  g_autofree char *expected_subtitle = NULL;
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  FerryTestTracker *tracker;
  FerryRoomPage *page;
  FerrySessionRoom *room;
  AdwActionRow *row;
  GtkWidget *message_row;
  GtkWidget *entry;
  FerryTestFriend *friend;

  if (!ferry_test_tracker_available ())
    return;
  g_assert_nonnull (g_getenv ("FERRY_CLI"));
  tracker = ferry_test_tracker_start (0, 2);

  /* The user's settings, as the preferences would write them. */
  settings = g_settings_new (APP_ID);
  g_settings_set_string (settings, "display-name", "Sam");
  g_settings_set_strv (settings, "trackers",
                       (const char * const[]) { ferry_test_tracker_get_url (tracker), NULL });
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });

  /* A new secret room, as the Create button does. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "new-room", NULL);
  g_assert_cmpstr (visible_page (), ==, "room");
  page = FERRY_ROOM_PAGE (gtk_widget_get_ancestor (get_widget ("room-link"), FERRY_TYPE_ROOM_PAGE));
  room = ferry_room_page_get_room (page);
  g_assert_nonnull (room);
  g_assert_cmpint (ferry_session_room_get_kind (room), ==, FERRY_ROOM_KIND_SECRET);

  /* Nobody there yet. */
  g_assert_true (gtk_widget_get_visible (get_widget ("peers-empty")));
  g_assert_false (gtk_widget_get_visible (get_widget ("peers-list")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("peers-empty-state"))), !=, "");

  friend = ferry_test_friend_start (ferry_room_page_get_link (page), ferry_test_tracker_get_url (tracker),
                                    identity);

  /* The friend's row, with the code both sides compare. */
  row = wait_for_verified_friend (friend);
  friend_code = ferry_test_event_value (ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined "), "code");
  /* "123 456 789" */
  g_assert_cmpuint (strlen (friend_code), ==, 11);
  g_assert_true (g_regex_match_simple ("^[0-9]{3} [0-9]{3} [0-9]{3}$", friend_code, 0, 0));
  expected_subtitle = g_strdup_printf ("Connected · Verified · code %s", friend_code);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, expected_subtitle);
  g_assert_false (gtk_widget_get_visible (get_widget ("peers-empty")));
  g_assert_true (gtk_widget_get_visible (get_widget ("peers-list")));
  g_assert_null (ferry_test_gui_find_widget (GTK_WIDGET (row), "peer-kind"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-status-text"))), ==,
                   "Connected to the room");

  /* The friend writes. */
  ferry_test_friend_say (friend, "Hello from the friend");
  FERRY_TEST_WAIT_UNTIL (find_message_row ("Hello from the friend") != NULL, TIMEOUT_MS);
  g_assert_true (messages_contain (ferry_session_room_get_messages (room), "Hello from the friend"));
  message_row = find_message_row ("Hello from the friend");
  g_assert_cmpstr (row_text (message_row, "message-sender"), ==, "Friend");
  g_assert_true (gtk_label_get_selectable (
    GTK_LABEL (ferry_test_gui_find_widget (message_row, "message-text"))));
  g_assert_false (row_shows (message_row, "message-delivered"));

  /* We write, with Enter in the entry. */
  entry = get_widget ("chat-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), "Hello from the app");
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->out, "Sam: Hello from the app") != NULL, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL ((message_row = find_message_row ("Hello from the app")) != NULL &&
                         row_shows (message_row, "message-delivered"),
                         TIMEOUT_MS);
  g_assert_cmpstr (row_text (message_row, "message-sender"), ==, "You");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (get_widget ("send-chat")), ==, "Send Message");

  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "room-chat.png");
  assert_fits_narrow_window ("room-chat-narrow.png");

  check_diagnostics (page, friend_code);

  /* Leaving closes the page; the friend sees us go. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  g_assert_cmpstr (visible_page (), ==, "start");
  g_assert_null (ferry_room_page_get_room (page));
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->err, "ferry-cli: peer-left ") != NULL, TIMEOUT_MS);

  ferry_test_friend_stop (friend, TIMEOUT_MS);
  ferry_test_tracker_stop (tracker);
}

static void
write_random_file (const char *path,
                   gsize       size)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  guint32 block[16 * 1024];

  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  for (gsize done = 0; done < size; done += sizeof block)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (block); i++)
        block[i] = g_random_int ();
      g_output_stream_write_all (G_OUTPUT_STREAM (stream), block, MIN (sizeof block, size - done),
                                 NULL, NULL, &error);
      g_assert_no_error (error);
    }
  g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &error);
  g_assert_no_error (error);
}

static void
assert_same_contents (const char *expected_path,
                      const char *path)
{
  g_autoptr(GMappedFile) expected = NULL, contents = NULL;
  g_autoptr(GError) error = NULL;

  expected = g_mapped_file_new (expected_path, FALSE, &error);
  g_assert_no_error (error);
  contents = g_mapped_file_new (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_mapped_file_get_contents (contents), g_mapped_file_get_length (contents),
                   g_mapped_file_get_contents (expected), g_mapped_file_get_length (expected));
}

/* The dialog of the app showing @child_name, or NULL. */
static AdwMessageDialog *
find_dialog (const char *child_name)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (toplevel) &&
          ferry_test_gui_find_widget (toplevel, child_name) != NULL)
        return ADW_MESSAGE_DIALOG (toplevel);
    }
  return NULL;
}

/* Gives the focus back to the window once a dialog closed: Xvfb has no window manager to do
 * it, and without the focus, offers and chat would go to desktop notifications. */
static void
focus_window (void)
{
  gtk_window_present (GTK_WINDOW (window));
  FERRY_TEST_WAIT_UNTIL (gtk_window_is_active (GTK_WINDOW (window)), TIMEOUT_MS);
}

/* The file chooser titled @title that is open, or NULL.  Without portals (GTK_USE_PORTAL=0)
 * GtkFileChooserNative shows a GtkFileChooserDialog. */
static GtkWidget *
find_file_chooser (const char *title)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (GTK_IS_FILE_CHOOSER_DIALOG (toplevel) && gtk_widget_get_visible (toplevel) &&
          g_strcmp0 (gtk_window_get_title (GTK_WINDOW (toplevel)), title) == 0)
        return toplevel;
    }
  return NULL;
}

/* Checks that a file chooser titled @title opens for files (or folders), and closes it. */
static void
assert_file_chooser (const char           *title,
                     GtkFileChooserAction  action)
{
  GtkWidget *chooser;

  FERRY_TEST_WAIT_UNTIL ((chooser = find_file_chooser (title)) != NULL, TIMEOUT_MS);
  g_assert_cmpint (gtk_file_chooser_get_action (GTK_FILE_CHOOSER (chooser)), ==, action);
  g_assert_true (gtk_file_chooser_get_select_multiple (GTK_FILE_CHOOSER (chooser)));
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_CANCEL);
  FERRY_TEST_WAIT_UNTIL (find_file_chooser (title) == NULL, TIMEOUT_MS);
  focus_window ();
}

/* Files dragged from a file manager and dropped on @widget. */
static void
drop_file (GtkWidget *widget,
           GFile     *file)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_array (&file, 1));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);
      gboolean taken = FALSE;

      if (!GTK_IS_DROP_TARGET (controller))
        continue;
      g_assert_cmpint (gtk_event_controller_get_propagation_phase (controller), !=, GTK_PHASE_NONE);
      g_signal_emit_by_name (controller, "drop", &value, 0.0, 0.0, &taken);
      g_assert_true (taken);
      return;
    }
  g_error ("Nothing can be dropped on %s", gtk_widget_get_name (widget));
}

/* Ctrl+V on the room page, as the focused chat entry would get it: whether the page took it. */
static gboolean
press_ctrl_v (FerryRoomPage *page)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (page));
  g_autoptr(GtkShortcutTrigger) ctrl_v = gtk_keyval_trigger_new (GDK_KEY_v, GDK_CONTROL_MASK);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      g_assert_cmpint (gtk_event_controller_get_propagation_phase (controller), ==,
                       GTK_PHASE_CAPTURE);
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), ctrl_v))
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0,
                                                 GTK_WIDGET (page), NULL);
        }
    }
  g_error ("The room page has no Ctrl+V");
}

/* Text on the clipboard is left to the chat entry; a file, as a file manager puts it there, is
 * sent. */
static void
paste_file (FerryRoomPage *page,
            GFile         *file)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (page));
  GdkFileList *files = gdk_file_list_new_from_array (&file, 1);

  gdk_clipboard_set_text (clipboard, "Just text");
  g_assert_false (press_ctrl_v (page));
  gdk_clipboard_set (clipboard, GDK_TYPE_FILE_LIST, files);
  g_boxed_free (GDK_TYPE_FILE_LIST, files);
  g_assert_true (press_ctrl_v (page));
}

/* A file manager on the test's session bus (org.freedesktop.FileManager1), played by the test
 * itself: it keeps the items it was asked to show. */
typedef struct {
  guint      owner_id;
  guint      object_id;
  gboolean   owned;
  char     **shown;
} FileManager;

static void
file_manager_call_cb (GDBusConnection       *connection,
                      const char            *sender,
                      const char            *path,
                      const char            *interface,
                      const char            *method,
                      GVariant              *parameters,
                      GDBusMethodInvocation *invocation,
                      gpointer               data)
{
  FileManager *manager = data;

  g_assert_cmpstr (method, ==, "ShowItems");
  g_clear_pointer (&manager->shown, g_strfreev);
  g_variant_get (parameters, "(^as&s)", &manager->shown, NULL);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
file_manager_owned_cb (GDBusConnection *connection,
                       const char      *name,
                       gpointer         data)
{
  FileManager *manager = data;

  manager->owned = TRUE;
}

static void
file_manager_start (FileManager *manager)
{
  static const GDBusInterfaceVTable vtable = { .method_call = file_manager_call_cb };
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (app));
  g_autoptr(GDBusNodeInfo) node = NULL;
  g_autoptr(GError) error = NULL;

  node = g_dbus_node_info_new_for_xml (
    "<node><interface name='org.freedesktop.FileManager1'><method name='ShowItems'>"
    "<arg type='as' name='uris' direction='in'/><arg type='s' name='startup_id' direction='in'/>"
    "</method></interface></node>", &error);
  g_assert_no_error (error);
  manager->object_id = g_dbus_connection_register_object (bus, "/org/freedesktop/FileManager1",
                                                          node->interfaces[0], &vtable, manager,
                                                          NULL, &error);
  g_assert_no_error (error);
  manager->owner_id = g_bus_own_name_on_connection (bus, "org.freedesktop.FileManager1",
                                                    G_BUS_NAME_OWNER_FLAGS_NONE,
                                                    file_manager_owned_cb, NULL, manager, NULL);
  FERRY_TEST_WAIT_UNTIL (manager->owned, TIMEOUT_MS);
}

static void
file_manager_stop (FileManager *manager)
{
  g_bus_unown_name (manager->owner_id);
  g_dbus_connection_unregister_object (g_application_get_dbus_connection (G_APPLICATION (app)),
                                       manager->object_id);
  g_clear_pointer (&manager->shown, g_strfreev);
}

/* Sam's app, with @tracker alone and saving to @downloads, in a new secret room: its page. */
static FerryRoomPage *
open_new_room (FerryTestTracker *tracker,
               const char       *downloads)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  g_settings_set_string (settings, "display-name", "Sam");
  g_settings_set_string (settings, "download-folder", downloads);
  g_settings_set_strv (settings, "trackers",
                       (const char * const[]) { ferry_test_tracker_get_url (tracker), NULL });
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-room", NULL);
  g_assert_cmpstr (visible_page (), ==, "room");
  return FERRY_ROOM_PAGE (gtk_widget_get_ancestor (get_widget ("room-link"), FERRY_TYPE_ROOM_PAGE));
}

static gboolean
friend_takes_files (FerrySessionRoom *room)
{
  GListModel *peers = ferry_session_room_get_peers (room);
  g_autoptr(FerrySessionPeer) peer = NULL;

  if (g_list_model_get_n_items (peers) != 1)
    return FALSE;
  peer = g_list_model_get_item (peers, 0);
  return ferry_session_peer_get_can_receive_files (peer);
}

/* The friend runs `ferry-cli send --room LINK PATH…`, keeping its unfinished transfers apart
 * from the app's. */
static FerryTestFriend *
friend_sends (FerryTestTracker   *tracker,
              const char         *link,
              const char * const *paths)
{
  g_autoptr(GStrvBuilder) args = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *identity = g_build_filename (tmpdir, "transfer-friend.pem", NULL);
  g_autofree char *friend_state = g_build_filename (tmpdir, "friend-state", NULL);

  g_strv_builder_add_many (args, "send", "--room", link, "--json", "--yes", "--state-dir",
                           friend_state, NULL);
  g_strv_builder_addv (args, (const char **) paths);
  argv = g_strv_builder_end (args);
  return ferry_test_friend_run ((const char * const *) argv, ferry_test_tracker_get_url (tracker),
                                identity);
}

/* The friend runs `ferry-cli receive LINK --dir DIR --yes`, and is in the room, taking files. */
static FerryTestFriend *
friend_receives (FerryTestTracker *tracker,
                 FerrySessionRoom *room,
                 const char       *link,
                 const char       *dir)
{
  g_autofree char *identity = g_build_filename (tmpdir, "transfer-friend.pem", NULL);
  g_autofree char *friend_state = g_build_filename (tmpdir, "friend-state", NULL);
  FerryTestFriend *friend;

  friend = ferry_test_friend_run ((const char * const[]) { "receive", link, "--dir", dir,
                                                           "--json", "--yes", "--state-dir",
                                                           friend_state, NULL },
                                  ferry_test_tracker_get_url (tracker), identity);
  /* Not the friend of the previous run, who may not be gone yet. */
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined ") != NULL &&
                         friend_takes_files (room) && find_peer_row ("Friend") != NULL,
                         TIMEOUT_MS);
  return friend;
}

static void
wait_for_state (FerrySessionTransfer *transfer,
                FerryTransferState    state)
{
  FERRY_TEST_WAIT_UNTIL (ferry_session_transfer_get_state (transfer) == state, TIMEOUT_MS);
}

/* Waits for the row of the transfer titled @title going in @direction. */
static GtkWidget *
wait_for_transfer_row (const char             *title,
                       FerryTransferDirection  direction)
{
  GtkWidget *row;

  FERRY_TEST_WAIT_UNTIL ((row = find_transfer_row (title, direction)) != NULL, TIMEOUT_MS);
  return row;
}

static FerrySessionTransfer *
row_transfer (GtkWidget *row)
{
  return ferry_transfer_row_get_transfer (FERRY_TRANSFER_ROW (row));
}

/* Ticks or unticks file @index in the dialog that chooses files to receive. */
static void
toggle_file (AdwMessageDialog *dialog,
             int               index)
{
  GtkWidget *files = ferry_test_gui_find_widget (GTK_WIDGET (dialog), "transfer-choose-files");
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (files), index);

  adw_action_row_activate (ADW_ACTION_ROW (row));
}

/* Files both ways through the transfers list: the friend's offers show with a toast and are
 * accepted with the row's buttons, wholly or a choice of files; the app sends a file as a drop
 * on the page does, pauses and resumes it, then sends files pasted, and dropped on the friend's
 * row. */
static void
test_transfers (void)
{
  g_autofree char *downloads = g_build_filename (tmpdir, "downloads", NULL);
  g_autofree char *outbox = g_build_filename (tmpdir, "outbox", NULL);
  g_autofree char *inbox = g_build_filename (tmpdir, "friend-inbox", NULL);
  g_autofree char *offered = g_build_filename (outbox, "from-friend.bin", NULL);
  g_autofree char *ours = g_build_filename (outbox, "from-app.bin", NULL);
  g_autofree char *first = g_build_filename (outbox, "first.txt", NULL);
  g_autofree char *second = g_build_filename (outbox, "second.txt", NULL);
  g_autofree char *landed = g_build_filename (downloads, "from-friend.bin", NULL);
  g_autofree char *landed_uri = g_filename_to_uri (landed, NULL, NULL);
  FileManager file_manager = { 0 };
  g_autofree char *first_landed = g_build_filename (downloads, "first.txt", NULL);
  g_autofree char *second_landed = g_build_filename (downloads, "second.txt", NULL);
  g_autofree char *arrived = g_build_filename (inbox, "from-app.bin", NULL);
  g_autofree char *first_arrived = g_build_filename (inbox, "first.txt", NULL);
  g_autoptr(GFile) ours_file = g_file_new_for_path (ours);
  g_autoptr(GFile) first_file = g_file_new_for_path (first);
  g_autofree char *offered_size = g_format_size (300 * 1024);
  g_autofree char *ours_size = g_format_size (OURS_SIZE);
  g_autofree char *details = NULL;
  g_autofree char *toast = NULL;
  g_autofree char *link = NULL;
  g_autoptr(GRegex) running = g_regex_new ("^[0-9.]+\\s[kMG]?B/s · [0-9]+ (second|minute)s? left$",
                                           0, 0, NULL);
  FerrySessionTransfer *transfer;
  AdwMessageDialog *dialog;
  FerryTestTracker *tracker;
  FerryTestFriend *friend;
  FerrySessionRoom *room;
  FerryRoomPage *page;
  GtkWidget *peer_row;
  GtkWidget *row;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  g_assert_cmpint (g_mkdir_with_parents (outbox, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (inbox, 0700), ==, 0);
  write_random_file (offered, 300 * 1024);
  write_random_file (first, 1000);
  write_random_file (second, 2000);
  write_random_file (ours, OURS_SIZE);

  page = open_new_room (tracker, downloads);
  room = ferry_room_page_get_room (page);
  link = ferry_room_link_to_string (ferry_room_page_get_link (page));

  /* Send Files… and Send Folder…, also as Ctrl+O and Shift+Ctrl+O. */
  g_assert_true (gtk_widget_get_visible (get_widget ("send-files")));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send-files", NULL));
  assert_file_chooser ("Send Files to Everyone", GTK_FILE_CHOOSER_ACTION_OPEN);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.send-folder", NULL));
  assert_file_chooser ("Send Folders to Everyone", GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);

  /* The friend offers a file: a row with Accept and Decline, and a toast. */
  friend = friend_sends (tracker, link, (const char * const[]) { offered, NULL });
  row = wait_for_transfer_row ("from-friend.bin", FERRY_TRANSFER_DIRECTION_RECEIVE);
  transfer = row_transfer (row);
  details = g_strdup_printf ("From Friend · %s", offered_size);
  g_assert_cmpstr (row_text (row, "transfer-title"), ==, "from-friend.bin");
  g_assert_cmpstr (row_text (row, "transfer-details"), ==, details);
  g_assert_cmpstr (row_text (row, "transfer-status"), ==, "Waiting for you to accept");
  g_assert_true (row_shows (row, "transfer-accept"));
  g_assert_true (row_shows (row, "transfer-decline"));
  g_assert_false (row_shows (row, "transfer-choose"));
  g_assert_false (row_shows (row, "transfer-pause"));
  g_assert_false (row_shows (row, "transfer-cancel"));
  g_assert_false (row_shows (row, "transfer-progress"));
  toast = g_strdup_printf ("Friend wants to send you from-friend.bin (%s)", offered_size);
  FERRY_TEST_WAIT_UNTIL (find_label (GTK_WIDGET (window), toast) != NULL, TIMEOUT_MS);

  click (row, "transfer-accept");
  wait_for_state (transfer, FERRY_TRANSFER_STATE_DONE);
  g_assert_cmpstr (row_text (row, "transfer-status"), ==, "Done");
  g_assert_false (row_shows (row, "transfer-offer"));
  g_assert_true (row_shows (row, "transfer-open"));
  g_assert_true (row_shows (row, "transfer-show-in-folder"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (
                     ferry_test_gui_find_widget (row, "transfer-show-in-folder")),
                   ==, "Show in Folder");
  /* Show in Folder asks the file manager to show the file that landed. */
  file_manager_start (&file_manager);
  click (row, "transfer-show-in-folder");
  FERRY_TEST_WAIT_UNTIL (file_manager.shown != NULL, TIMEOUT_MS);
  g_assert_cmpuint (g_strv_length (file_manager.shown), ==, 1);
  g_assert_cmpstr (file_manager.shown[0], ==, landed_uri);
  file_manager_stop (&file_manager);
  /* The toast went with the answer. */
  FERRY_TEST_WAIT_UNTIL (find_label (GTK_WIDGET (window), toast) == NULL, TIMEOUT_MS);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (offered, landed);

  /* Two files offered, one chosen in the dialog; with none ticked, Accept is off. */
  friend = friend_sends (tracker, link, (const char * const[]) { first, second, NULL });
  row = wait_for_transfer_row ("2 files", FERRY_TRANSFER_DIRECTION_RECEIVE);
  transfer = row_transfer (row);
  g_assert_true (row_shows (row, "transfer-choose"));
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "room-transfer-offer.png");
  click (row, "transfer-choose");
  FERRY_TEST_WAIT_UNTIL ((dialog = find_dialog ("transfer-choose-files")) != NULL, TIMEOUT_MS);
  toggle_file (dialog, 1);
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "accept"));
  toggle_file (dialog, 0);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "accept"));
  toggle_file (dialog, 0);
  adw_message_dialog_response (dialog, "accept");
  wait_for_state (transfer, FERRY_TRANSFER_STATE_DONE);
  FERRY_TEST_WAIT_UNTIL (find_dialog ("transfer-choose-files") == NULL, TIMEOUT_MS);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (first, first_landed);
  g_assert_false (g_file_test (second_landed, G_FILE_TEST_EXISTS));
  /* One file landed: Open opens it. */
  g_assert_true (row_shows (row, "transfer-open"));

  /* The friend's row can send to the friend alone. */
  friend = friend_receives (tracker, room, link, inbox);
  peer_row = GTK_WIDGET (find_peer_row ("Friend"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (ferry_test_gui_find_widget (peer_row,
                                                                           "peer-send-files")),
                   ==, "Send Files to Friend");
  click (peer_row, "peer-send-files");
  assert_file_chooser ("Send Files to Friend", GTK_FILE_CHOOSER_ACTION_OPEN);

  /* The app sends to everyone, as a drop on the page does; paused as soon as bytes flow, and
   * shown so; then resumed to the end. */
  ferry_room_page_send_files (page, NULL, &ours_file, 1);
  row = wait_for_transfer_row ("from-app.bin", FERRY_TRANSFER_DIRECTION_SEND);
  transfer = row_transfer (row);
  g_free (details);
  details = g_strdup_printf ("To Friend · %s", ours_size);
  g_assert_cmpstr (row_text (row, "transfer-details"), ==, details);
  wait_for_state (transfer, FERRY_TRANSFER_STATE_RUNNING);
  g_assert_true (row_shows (row, "transfer-progress"));
  click (row, "transfer-pause");
  wait_for_state (transfer, FERRY_TRANSFER_STATE_PAUSED);
  g_assert_cmpstr (row_text (row, "transfer-status"), ==, "Paused by you");
  g_assert_true (row_shows (row, "transfer-resume"));
  g_assert_true (row_shows (row, "transfer-cancel"));
  g_assert_false (row_shows (row, "transfer-pause"));
  assert_fits_narrow_window ("room-transfers-narrow.png");
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 800);
  FERRY_TEST_WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) > 360, TIMEOUT_MS);
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "room-transfers.png");

  click (row, "transfer-resume");
  /* The speed and the time left while it runs (unless it is done first). */
  FERRY_TEST_WAIT_UNTIL (ferry_session_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_DONE ||
                         ferry_session_transfer_get_eta (transfer) >= 0, TIMEOUT_MS);
  if (ferry_session_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_RUNNING)
    {
      g_test_message ("Running: %s", row_text (row, "transfer-status"));
      g_assert_true (g_regex_match (running, row_text (row, "transfer-status"), 0, NULL));
    }
  wait_for_state (transfer, FERRY_TRANSFER_STATE_DONE);
  g_assert_cmpstr (row_text (row, "transfer-status"), ==, "Done");
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (ours, arrived);

  /* Files pasted go to everyone too. */
  friend = friend_receives (tracker, room, link, inbox);
  paste_file (page, first_file);
  wait_for_transfer_row ("first.txt", FERRY_TRANSFER_DIRECTION_SEND);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (first, first_arrived);

  /* Dropped on the friend's row: for the friend alone. */
  g_assert_cmpint (g_remove (first_arrived), ==, 0);
  friend = friend_receives (tracker, room, link, inbox);
  drop_file (GTK_WIDGET (find_peer_row ("Friend")), first_file);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (first, first_arrived);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  ferry_test_tracker_stop (tracker);
}

/* A folder dropped on the page reaches the friend whole, its empty folder included.  Then the
 * friend sends a big file and is killed on the way; started again, it carries on from what the
 * app holds, in the same row, and the file lands intact. */
static void
test_folder_and_resume (void)
{
  g_autofree char *downloads = g_build_filename (tmpdir, "resume-downloads", NULL);
  g_autofree char *outbox = g_build_filename (tmpdir, "resume-outbox", NULL);
  g_autofree char *inbox = g_build_filename (tmpdir, "resume-inbox", NULL);
  g_autofree char *album = g_build_filename (outbox, "album", NULL);
  g_autofree char *photo = g_build_filename (album, "photo.jpg", NULL);
  g_autofree char *notes = g_build_filename (album, "notes", NULL);
  g_autofree char *note = g_build_filename (notes, "note.txt", NULL);
  g_autofree char *empty = g_build_filename (album, "empty", NULL);
  g_autofree char *photo_arrived = g_build_filename (inbox, "album", "photo.jpg", NULL);
  g_autofree char *note_arrived = g_build_filename (inbox, "album", "notes", "note.txt", NULL);
  g_autofree char *empty_arrived = g_build_filename (inbox, "album", "empty", NULL);
  g_autofree char *movie = g_build_filename (outbox, "movie.mkv", NULL);
  g_autofree char *movie_landed = g_build_filename (downloads, "movie.mkv", NULL);
  g_autoptr(GFile) album_file = g_file_new_for_path (album);
  g_autofree char *link = NULL;
  FerrySessionTransfer *transfer;
  FerryTestTracker *tracker;
  FerryTestFriend *friend;
  FerrySessionRoom *room;
  FerryRoomPage *page;
  const char *offer;
  GtkWidget *row;
  guint64 held;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  g_assert_cmpint (g_mkdir_with_parents (empty, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (notes, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (inbox, 0700), ==, 0);
  write_random_file (photo, 300 * 1024);
  write_random_file (note, 1000);
  write_random_file (movie, MOVIE_SIZE);
  page = open_new_room (tracker, downloads);
  room = ferry_room_page_get_room (page);
  link = ferry_room_link_to_string (ferry_room_page_get_link (page));

  friend = friend_receives (tracker, room, link, inbox);
  drop_file (GTK_WIDGET (page), album_file);
  row = wait_for_transfer_row ("album", FERRY_TRANSFER_DIRECTION_SEND);
  g_assert_cmpuint (ferry_session_transfer_get_n_files (row_transfer (row)), ==, 2);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (photo, photo_arrived);
  assert_same_contents (note, note_arrived);
  g_assert_true (g_file_test (empty_arrived, G_FILE_TEST_IS_DIR));

  friend = friend_sends (tracker, link, (const char * const[]) { movie, NULL });
  row = wait_for_transfer_row ("movie.mkv", FERRY_TRANSFER_DIRECTION_RECEIVE);
  transfer = row_transfer (row);
  click (row, "transfer-accept");
  FERRY_TEST_WAIT_UNTIL (ferry_session_transfer_get_bytes_done (transfer) >= MOVIE_SIZE / 16,
                         TIMEOUT_MS);
  ferry_test_friend_kill (friend, TIMEOUT_MS);
  held = ferry_session_transfer_get_bytes_done (transfer);
  g_test_message ("The friend was killed with %" G_GUINT64_FORMAT " bytes here", held);
  g_assert_cmpuint (held, <, MOVIE_SIZE);

  /* Started again at once: the app need not notice the old connection is dead. */
  friend = friend_sends (tracker, link, (const char * const[]) { movie, NULL });
  wait_for_state (transfer, FERRY_TRANSFER_STATE_DONE);
  g_assert_true (find_transfer_row ("movie.mkv", FERRY_TRANSFER_DIRECTION_RECEIVE) == row);
  g_assert_cmpstr (row_text (row, "transfer-status"), ==, "Done");
  FERRY_TEST_WAIT_UNTIL (friend->out.done, TIMEOUT_MS);
  offer = ferry_test_reader_find (&friend->out, "{\"type\":\"offer\"");
  g_assert_nonnull (offer);
  g_assert_nonnull (strstr (offer, "\"resumed\":true"));
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (movie, movie_landed);
  g_assert_cmpint (g_remove (movie), ==, 0);
  g_assert_cmpint (g_remove (movie_landed), ==, 0);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  ferry_test_tracker_stop (tracker);
}

/* Answers @dialog with @response, and closes it as its button would. */
static void
respond (AdwMessageDialog *dialog,
         const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  focus_window ();
}

/* A WebDrop user (WebDrop's own logic on P2PT in Node) in a WebDrop room: it shares a file,
 * which the app accepts and receives; the app sends it a folder, after saying that WebDrop gets
 * the files without their folders. */
static void
test_webdrop (void)
{
  g_autofree char *downloads = g_build_filename (tmpdir, "webdrop-downloads", NULL);
  g_autofree char *wendy_dir = g_build_filename (tmpdir, "webdrop-wendy", NULL);
  g_autofree char *shared = g_build_filename (tmpdir, "webdrop-shared.bin", NULL);
  g_autofree char *landed = g_build_filename (downloads, "webdrop-shared.bin", NULL);
  g_autofree char *album = g_build_filename (tmpdir, "webdrop-album", NULL);
  g_autofree char *sub = g_build_filename (album, "sub", NULL);
  g_autofree char *photo = g_build_filename (sub, "photo.jpg", NULL);
  g_autofree char *command = NULL;
  g_autoptr(GFile) album_file = g_file_new_for_path (album);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  FerrySessionTransfer *transfer;
  AdwMessageDialog *dialog;
  FerryTestTracker *tracker;
  FerryTestFriend *wendy;
  FerryRoomPage *page;
  const char *received;
  GtkWidget *row;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  g_assert_cmpint (g_mkdir_with_parents (wendy_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  write_random_file (shared, 200 * 1024);
  write_random_file (photo, 100 * 1024);
  g_settings_set_string (settings, "display-name", "Sam");
  g_settings_set_string (settings, "download-folder", downloads);
  g_settings_set_strv (settings, "trackers",
                       (const char * const[]) { ferry_test_tracker_get_url (tracker), NULL });
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });

  gtk_editable_set_text (GTK_EDITABLE (get_widget ("join-entry")), "webdrop:Gu1x");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.join-room", NULL);
  g_assert_cmpstr (visible_page (), ==, "room");
  page = FERRY_ROOM_PAGE (gtk_widget_get_ancestor (get_widget ("room-link"), FERRY_TYPE_ROOM_PAGE));
  wendy = ferry_test_webdrop_start ("Gu1x", ferry_test_tracker_get_url (tracker), wendy_dir);
  FERRY_TEST_WAIT_UNTIL (find_peer_row ("Wendy Chrome120") != NULL, TIMEOUT_MS);

  /* WebDrop → the app: an offer like any other. */
  command = g_strdup_printf ("{\"cmd\":\"share\",\"path\":\"%s\"}", shared);
  ferry_test_friend_say (wendy, command);
  row = wait_for_transfer_row ("webdrop-shared.bin", FERRY_TRANSFER_DIRECTION_RECEIVE);
  transfer = row_transfer (row);
  click (row, "transfer-accept");
  wait_for_state (transfer, FERRY_TRANSFER_STATE_DONE);
  assert_same_contents (shared, landed);

  /* The app → WebDrop: a folder, once the user heard that WebDrop gets its files only. */
  drop_file (GTK_WIDGET (page), album_file);
  FERRY_TEST_WAIT_UNTIL ((dialog = find_dialog ("webdrop-folders-dialog")) != NULL, TIMEOUT_MS);
  ferry_test_gui_take_screenshot (GTK_WIDGET (dialog), "webdrop-folders-dialog.png");
  respond (dialog, "send");
  row = wait_for_transfer_row ("photo.jpg", FERRY_TRANSFER_DIRECTION_SEND);
  wait_for_state (row_transfer (row), FERRY_TRANSFER_STATE_DONE);
  FERRY_TEST_WAIT_UNTIL ((received = ferry_test_reader_find (&wendy->out, "{\"event\":\"file-received\"")) != NULL,
                         TIMEOUT_MS);
  g_assert_nonnull (strstr (received, "\"name\":\"photo.jpg\""));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  ferry_test_friend_stop (wendy, TIMEOUT_MS);
  ferry_test_tracker_stop (tracker);
}

/* Trust on first use: the friend is marked as a friend after the codes are compared, and
 * forgotten; then someone else uses the friend's name.  Their row warns, and so does their
 * offer, which is accepted only after the user insists. */
static void
test_friends (void)
{
  g_autoptr(FerrySessionPeer) peer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *identity = g_build_filename (tmpdir, "friend.pem", NULL);
  g_autofree char *downloads = g_build_filename (tmpdir, "impostor-downloads", NULL);
  g_autofree char *offered = g_build_filename (tmpdir, "from-impostor.bin", NULL);
  g_autofree char *landed = g_build_filename (downloads, "from-impostor.bin", NULL);
  g_autofree char *offered_size = g_format_size (100 * 1024);
  g_autofree char *body = NULL;
  g_autofree char *link = NULL;
  g_autofree char *toast = NULL;
  g_autofree char *verified = NULL;
  g_autofree char *friend_subtitle = NULL;
  g_autofree char *other_fingerprint = g_strnfill (64, 'a');
  const char *impostor_subtitle = "Connected · Not the Friend you marked as a friend";
  const char *fingerprint;
  const char *code;
  FerrySessionTransfer *transfer;
  FerryTestTracker *tracker;
  FerryTestFriend *friend;
  AdwMessageDialog *dialog;
  FerryFriends *friends;
  GListModel *list;
  FerryRoomPage *page;
  AdwActionRow *row;
  GtkWidget *transfer_row;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  write_random_file (offered, 100 * 1024);

  page = open_new_room (tracker, downloads);
  link = ferry_room_link_to_string (ferry_room_page_get_link (page));
  friends = ferry_session_get_friends (ferry_application_get_session (app));
  list = ferry_friends_get_list (friends);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 0);

  friend = ferry_test_friend_start (ferry_room_page_get_link (page),
                                    ferry_test_tracker_get_url (tracker), identity);
  row = wait_for_verified_friend (friend);
  peer = g_list_model_get_item (ferry_session_room_get_peers (ferry_room_page_get_room (page)), 0);
  fingerprint = ferry_session_peer_get_fingerprint (peer);
  code = ferry_session_peer_get_verification_code (peer);
  g_assert_nonnull (fingerprint);
  g_assert_nonnull (code);
  verified = g_strdup_printf ("Connected · Verified · code %s", code);
  friend_subtitle = g_strdup_printf ("Connected · Friend · Verified · code %s", code);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, verified);
  g_assert_false (row_shows (GTK_WIDGET (row), "peer-impostor"));

  /* Mark as Friend… asks whether the codes were compared; Cancel remembers nothing. */
  g_assert_cmpstr (gtk_widget_get_tooltip_text (ferry_test_gui_find_widget (GTK_WIDGET (row),
                                                                           "peer-friend")),
                   ==, "Mark as Friend…");
  click (GTK_WIDGET (row), "peer-friend");
  FERRY_TEST_WAIT_UNTIL ((dialog = find_dialog ("mark-friend-dialog")) != NULL, TIMEOUT_MS);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Did you compare the code?");
  body = g_strdup_printf ("Mark Friend as a friend only if the code Friend sees is %s too. Ferry "
                          "then recognises Friend in every room, and warns you if someone else "
                          "uses that name.", code);
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, body);
  respond (dialog, "cancel");
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 0);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, verified);

  /* Mark as Friend: remembered, and the row says so. */
  click (GTK_WIDGET (row), "peer-friend");
  FERRY_TEST_WAIT_UNTIL ((dialog = find_dialog ("mark-friend-dialog")) != NULL, TIMEOUT_MS);
  respond (dialog, "mark");
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 1);
  {
    g_autoptr(FerryFriend) remembered = g_list_model_get_item (list, 0);

    g_assert_cmpstr (ferry_friend_get_fingerprint (remembered), ==, fingerprint);
    g_assert_cmpstr (ferry_friend_get_name (remembered), ==, "Friend");
  }
  g_assert_cmpint (ferry_session_peer_get_trust (peer), ==, FERRY_FRIEND_TRUST_FRIEND);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, friend_subtitle);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (ferry_test_gui_find_widget (GTK_WIDGET (row),
                                                                           "peer-friend")),
                   ==, "Forget Friend");
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "room-friend.png");

  /* Forget Friend. */
  click (GTK_WIDGET (row), "peer-friend");
  FERRY_TEST_WAIT_UNTIL (g_list_model_get_n_items (list) == 0, TIMEOUT_MS);
  g_assert_cmpint (ferry_session_peer_get_trust (peer), ==, FERRY_FRIEND_TRUST_UNKNOWN);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, verified);

  /* Another certificate was the friend called Friend: this one is an impostor now. */
  g_assert_true (ferry_friends_add (friends, "Friend", other_fingerprint, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ferry_session_peer_get_trust (peer), ==, FERRY_FRIEND_TRUST_IMPOSTOR);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, impostor_subtitle);
  g_assert_true (row_shows (GTK_WIDGET (row), "peer-impostor"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "warning"));

  /* The friend leaves, and comes back (another certificate still) offering a file: the offer
   * warns, in its row and its toast, which has no Accept. */
  ferry_test_friend_stop (friend, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (find_peer_row ("Friend") == NULL, TIMEOUT_MS);
  friend = friend_sends (tracker, link, (const char * const[]) { offered, NULL });
  transfer_row = wait_for_transfer_row ("from-impostor.bin", FERRY_TRANSFER_DIRECTION_RECEIVE);
  transfer = row_transfer (transfer_row);
  g_assert_true (row_shows (transfer_row, "transfer-impostor"));
  g_assert_cmpstr (row_text (transfer_row, "transfer-impostor-text"), ==,
                   "Not the Friend you marked as a friend");
  g_assert_false (gtk_widget_has_css_class (ferry_test_gui_find_widget (transfer_row,
                                                                        "transfer-accept"),
                                            "suggested-action"));
  toast = g_strdup_printf ("Someone calling themselves Friend wants to send you "
                           "from-impostor.bin (%s)", offered_size);
  FERRY_TEST_WAIT_UNTIL (find_label (GTK_WIDGET (window), toast) != NULL, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL ((row = find_peer_row ("Friend")) != NULL &&
                         g_strcmp0 (adw_action_row_get_subtitle (row), impostor_subtitle) == 0,
                         TIMEOUT_MS);
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "room-impostor.png");

  /* Accept asks first; Cancel accepts nothing. */
  click (transfer_row, "transfer-accept");
  FERRY_TEST_WAIT_UNTIL ((dialog = find_dialog ("transfer-impostor-dialog")) != NULL, TIMEOUT_MS);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "This is not the Friend you know");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "accept"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "accept"), ==,
                   "Accept _Anyway");
  ferry_test_gui_take_screenshot (GTK_WIDGET (dialog), "room-impostor-accept.png");
  respond (dialog, "cancel");
  ferry_test_run_for (500);
  g_assert_cmpint (ferry_session_transfer_get_state (transfer), ==, FERRY_TRANSFER_STATE_OFFERED);
  g_assert_false (g_file_test (landed, G_FILE_TEST_EXISTS));

  /* Accept Anyway. */
  click (transfer_row, "transfer-accept");
  FERRY_TEST_WAIT_UNTIL ((dialog = find_dialog ("transfer-impostor-dialog")) != NULL, TIMEOUT_MS);
  g_assert_cmpint (ferry_session_transfer_get_state (transfer), ==, FERRY_TRANSFER_STATE_OFFERED);
  respond (dialog, "accept");
  wait_for_state (transfer, FERRY_TRANSFER_STATE_DONE);
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);
  assert_same_contents (offered, landed);

  g_assert_true (ferry_friends_remove (friends, other_fingerprint, &error));
  g_assert_no_error (error);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  ferry_test_tracker_stop (tracker);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  /* Expected strings are the untranslated ones. */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  /* The identity and transfer state of the app go to a folder of the test's own. */
  tmpdir = g_dir_make_tmp ("ferry-test-room-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  g_setenv ("XDG_DATA_HOME", tmpdir, TRUE);

  g_test_init (&argc, &argv, NULL);

  app = ferry_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_application_activate (G_APPLICATION (app));
  window = FERRY_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (FERRY_IS_WINDOW (window));

  g_test_add_func ("/gui/room/chat", test_chat);
  g_test_add_func ("/gui/room/transfers", test_transfers);
  g_test_add_func ("/gui/room/folder-and-resume", test_folder_and_resume);
  g_test_add_func ("/gui/room/friends", test_friends);
  g_test_add_func ("/gui/room/webdrop", test_webdrop);
  g_test_add_func ("/gui/room/unreachable-tracker", test_unreachable_tracker);
  g_test_add_func ("/gui/room/join-error", test_join_error);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);

    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  g_free (tmpdir);

  return status;
}
