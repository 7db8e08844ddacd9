/* test-room.c: the room page with a real room: the window joins a secret room through the
 * reference tracker, a friend (ferry-cli chat) joins it, and the page shows the friend and the
 * chat both ways
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

#include "ferry-application.h"
#include "ferry-chat-message.h"
#include "ferry-room-link.h"
#include "ferry-room-page.h"
#include "ferry-session-peer.h"
#include "ferry-test-friend.h"
#include "ferry-test-tracker.h"
#include "ferry-test-util.h"
#include "ferry-window.h"

#define TIMEOUT_MS 20000
#define MIN_DISTINCT_COLOURS 20

static FerryApplication *app;
static FerryWindow *window;
static char *tmpdir;

/* Widgets */

static GtkWidget *
find_widget (GtkWidget  *root,
             const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, name);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
get_widget (const char *name)
{
  GtkWidget *widget = find_widget (GTK_WIDGET (window), name);

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
      GtkWidget *label = find_widget (child, "message-text");

      if (label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) == 0)
        return child;
    }

  return NULL;
}

/* Screenshots */

static void
set_true_cb (gboolean *flag)
{
  *flag = TRUE;
}

static void
wait_for_paint (GtkWidget *widget)
{
  GdkFrameClock *clock;
  gboolean painted = FALSE;
  gulong handler;

  FERRY_TEST_WAIT_UNTIL (gtk_widget_get_mapped (widget), TIMEOUT_MS);
  clock = gtk_widget_get_frame_clock (widget);
  g_assert_nonnull (clock);
  handler = g_signal_connect_swapped (clock, "after-paint", G_CALLBACK (set_true_cb), &painted);
  gtk_widget_queue_draw (widget);
  FERRY_TEST_WAIT_UNTIL (painted, TIMEOUT_MS);
  g_signal_handler_disconnect (clock, handler);
}

static guint
count_colours (GdkTexture *texture)
{
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);
  g_autofree guint32 *pixels = NULL;
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);

  pixels = g_new (guint32, (gsize) width * height);
  gdk_texture_download (texture, (guchar *) pixels, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    g_hash_table_add (colours, GUINT_TO_POINTER (pixels[i]));

  return g_hash_table_size (colours);
}

/* Renders the window, saves it as an artifact and checks that it is not blank. */
static void
take_screenshot (const char *file_name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  const char *dir;
  int width, height;
  guint colours;

  wait_for_paint (GTK_WIDGET (window));

  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));

  dir = g_getenv ("FERRY_TEST_ARTIFACTS_DIR");
  if (dir == NULL)
    dir = g_get_tmp_dir ();
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);

  colours = count_colours (texture);
  g_test_message ("%s has %u distinct colours", file_name, colours);
  g_assert_cmpuint (colours, >, MIN_DISTINCT_COLOURS);
}

/* A descendant of @root of type @type, or NULL. */
static GtkWidget *
find_widget_of_type (GtkWidget *root,
                     GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget_of_type (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
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

/* The page still fits a phone. */
static void
assert_fits_narrow_window (void)
{
  int minimum;

  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL,
                      NULL, NULL);
  g_test_message ("Minimum window width: %d", minimum);
  g_assert_cmpint (minimum, <=, 360);

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  FERRY_TEST_WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (window)) <= 360, TIMEOUT_MS);
  take_screenshot ("room-chat-narrow.png");
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
  FERRY_TEST_WAIT_UNTIL ((row = find_peer_row ("Friend")) != NULL &&
                         ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined ") != NULL &&
                         strstr (adw_action_row_get_subtitle (row), "Verified") != NULL,
                         TIMEOUT_MS);
  friend_code = ferry_test_event_value (ferry_test_reader_find (&friend->err, "ferry-cli: peer-joined "), "code");
  /* "123 456 789" */
  g_assert_cmpuint (strlen (friend_code), ==, 11);
  g_assert_true (g_regex_match_simple ("^[0-9]{3} [0-9]{3} [0-9]{3}$", friend_code, 0, 0));
  expected_subtitle = g_strdup_printf ("Connected · Verified · code %s", friend_code);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, expected_subtitle);
  g_assert_false (gtk_widget_get_visible (get_widget ("peers-empty")));
  g_assert_true (gtk_widget_get_visible (get_widget ("peers-list")));
  g_assert_null (find_widget (GTK_WIDGET (row), "peer-kind"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-status-text"))), ==,
                   "Connected to the room");

  /* The friend writes. */
  ferry_test_friend_say (friend, "Hello from the friend");
  FERRY_TEST_WAIT_UNTIL (find_message_row ("Hello from the friend") != NULL, TIMEOUT_MS);
  g_assert_true (messages_contain (ferry_session_room_get_messages (room), "Hello from the friend"));
  message_row = find_message_row ("Hello from the friend");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (message_row, "message-sender"))),
                   ==, "Friend");
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (find_widget (message_row, "message-text"))));
  g_assert_false (gtk_widget_get_visible (find_widget (message_row, "message-delivered")));

  /* We write, with Enter in the entry. */
  entry = get_widget ("chat-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), "Hello from the app");
  g_signal_emit_by_name (entry, "activate");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->out, "Sam: Hello from the app") != NULL, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL ((message_row = find_message_row ("Hello from the app")) != NULL &&
                         gtk_widget_get_visible (find_widget (message_row, "message-delivered")),
                         TIMEOUT_MS);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (message_row, "message-sender"))),
                   ==, "You");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (get_widget ("send-chat")), ==, "Send Message");

  take_screenshot ("room-chat.png");
  assert_fits_narrow_window ();

  /* Leaving closes the page; the friend sees us go. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.leave", NULL));
  g_assert_cmpstr (visible_page (), ==, "start");
  g_assert_null (ferry_room_page_get_room (page));
  FERRY_TEST_WAIT_UNTIL (ferry_test_reader_find (&friend->err, "ferry-cli: peer-left ") != NULL, TIMEOUT_MS);

  ferry_test_friend_stop (friend, TIMEOUT_MS);
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
