/* test-window.c: the real FerryApplication and FerryWindow, driven through actions and checked
 * through the widget tree and screenshots
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under tests/gui/run-under-xvfb.sh.  Screenshots go to $FERRY_TEST_ARTIFACTS_DIR.
 * The tests share one application and one window and run in the order they are added.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-room-link.h"
#include "ferry-room-page.h"
#include "ferry-test-gui.h"
#include "ferry-test-util.h"
#include "ferry-window.h"

#define TIMEOUT_SECONDS 20

static FerryApplication *app;
static FerryWindow *window;
static char *data_dir;

/* Helpers */

static gboolean
timed_out_cb (gpointer user_data)
{
  g_error ("Timed out waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *@done is set. */
static void
wait_until (const gboolean *done,
            const char     *what)
{
  guint timeout_id = g_timeout_add_seconds (TIMEOUT_SECONDS, timed_out_cb, (gpointer) what);

  while (!*done)
    g_main_context_iteration (NULL, TRUE);

  g_source_remove (timeout_id);
}

static GtkWidget *
get_widget (const char *name)
{
  GtkWidget *widget = ferry_test_gui_find_widget (GTK_WIDGET (window), name);

  if (widget == NULL)
    g_error ("No widget named “%s” in the window", name);

  return widget;
}

/* Visible on screen, not merely visible in a hidden stack page. */
static gboolean
is_showing (GtkWidget *widget)
{
  return gtk_widget_is_visible (widget) && gtk_widget_get_mapped (widget);
}

static gboolean
join_action_enabled (void)
{
  /* The Join button follows the action's enabled state. */
  return gtk_widget_get_sensitive (get_widget ("join"));
}

static void
type_join_text (const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (get_widget ("join-entry")), text);
}

static const char *
visible_page (void)
{
  GtkStack *stack = GTK_STACK (gtk_widget_get_ancestor (get_widget ("start-page"), GTK_TYPE_STACK));

  return gtk_stack_get_visible_child_name (stack);
}

static FerryRoomPage *
get_room_page (void)
{
  return FERRY_ROOM_PAGE (gtk_widget_get_ancestor (get_widget ("room-link"), FERRY_TYPE_ROOM_PAGE));
}

static const char *
header_title (void)
{
  return adw_window_title_get_title (ADW_WINDOW_TITLE (get_widget ("window-title")));
}

/* The rows of the start page's list @name (open-rooms or recent-rooms). */
static guint
count_rows (const char *name)
{
  GtkListBox *list = GTK_LIST_BOX (get_widget (name));
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

static AdwActionRow *
get_row (const char *name,
         guint       index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (get_widget (name)), index);

  g_assert_nonnull (row);
  return ADW_ACTION_ROW (row);
}

static const char *
row_title (AdwActionRow *row)
{
  return adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
}

/* The row of list @name titled @title, or %NULL. */
static AdwActionRow *
find_row (const char *name,
          const char *title)
{
  for (guint i = 0; i < count_rows (name); i++)
    if (g_str_equal (row_title (get_row (name, i)), title))
      return get_row (name, i);
  return NULL;
}

/* The first toplevel of @type that is shown, transient for @parent unless that is %NULL. */
static GtkWindow *
find_toplevel (GType      type,
               GtkWindow *parent)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type) &&
          gtk_widget_get_visible (GTK_WIDGET (toplevel)) &&
          (parent == NULL || gtk_window_get_transient_for (toplevel) == parent))
        return toplevel;
    }
  return NULL;
}

/* @root or the first of its descendants (depth first) for which @matches is true, or %NULL. */
static GtkWidget *
find_descendant (GtkWidget     *root,
                 gboolean     (*matches) (GtkWidget *widget, gconstpointer data),
                 gconstpointer  data)
{
  if (matches (root, data))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, matches, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
is_toast_close_button (GtkWidget     *widget,
                       gconstpointer  data)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);

  return GTK_IS_BUTTON (widget) && parent != NULL &&
         g_str_equal (G_OBJECT_TYPE_NAME (parent), "AdwToastWidget") &&
         g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), "window-close-symbolic") == 0;
}

/* As a click on the response's button: the dialog closes, then responds. */
static void
click_response (AdwMessageDialog *dialog,
                const char       *label)
{
  g_autoptr(AdwMessageDialog) held = g_object_ref (dialog);
  GtkWidget *button = find_descendant (GTK_WIDGET (dialog), is_button_labelled, label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (held)));
}

/* Closes the toasts (the next one in the queue comes at once without animations), so that
 * none hides what a screenshot shows. */
static void
dismiss_toasts (void)
{
  GtkWidget *button;

  while ((button = find_descendant (GTK_WIDGET (window), is_toast_close_button, NULL)) != NULL)
    g_signal_emit_by_name (button, "clicked");
}

/* Room links carry their secret after "#k="; nothing may ever log one. */
static GLogWriterOutput
no_secrets_log_writer (GLogLevelFlags   log_level,
                       const GLogField *fields,
                       gsize            n_fields,
                       gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") != 0)
        continue;

      if (fields[i].length < 0 && strstr (fields[i].value, "#k=") != NULL)
        {
          g_printerr ("A room secret was logged\n");
          abort ();
        }
    }

  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* Tests */

static void
test_start_page (void)
{
  GtkWidget *create_button = get_widget ("create-room");
  GtkWidget *join_entry = get_widget ("join-entry");
  GtkWidget *join_hint = get_widget ("join-hint");

  g_assert_cmpstr (visible_page (), ==, "start");
  g_assert_true (is_showing (create_button));
  g_assert_true (gtk_widget_is_sensitive (create_button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (create_button)), ==,
                   "app.new-room");
  g_assert_true (ADW_IS_ENTRY_ROW (join_entry));
  g_assert_true (is_showing (join_entry));
  g_assert_false (gtk_widget_get_visible (join_hint));
  /* Nothing joined yet, ever. */
  g_assert_false (gtk_widget_get_visible (get_widget ("open-rooms-group")));
  g_assert_false (gtk_widget_get_visible (get_widget ("recent-rooms-group")));
  g_assert_false (join_action_enabled ());
  g_assert_false (gtk_widget_is_sensitive (get_widget ("join")));
  g_assert_false (gtk_widget_get_visible (get_widget ("back")));

  ferry_test_gui_take_light_and_dark (GTK_WIDGET (window), "start-page");
}

static void
test_join_validation (void)
{
  GtkWidget *join_hint = get_widget ("join-hint");

  type_join_text ("ferry://join?v=9&room=x");
  g_assert_true (gtk_widget_get_visible (join_hint));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (join_hint)), !=, "");
  g_assert_true (gtk_widget_has_css_class (join_hint, "error"));
  g_assert_false (join_action_enabled ());
  g_test_message ("Error shown: %s", gtk_label_get_text (GTK_LABEL (join_hint)));

  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "start-page-error.png");
  g_assert_true (is_showing (join_hint));

  type_join_text ("https://example.org/");
  g_assert_true (gtk_widget_get_visible (join_hint));
  g_assert_false (join_action_enabled ());

  /* WebDrop's invite links and codes open its rooms; a bad code says what a code is. */
  type_join_text ("https://WebDrop.Space/#/?room=65d5");
  g_assert_true (join_action_enabled ());
  g_assert_false (gtk_widget_has_css_class (join_hint, "error"));
  type_join_text ("webdrop:Ab12");
  g_assert_true (join_action_enabled ());
  type_join_text ("https://webdrop.space/#/?room=65d");
  g_assert_false (join_action_enabled ());
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (join_hint)), ==,
                   "A WebDrop room code is four letters or digits.");

  type_join_text ("");
  g_assert_false (gtk_widget_get_visible (join_hint));
  g_assert_false (join_action_enabled ());
}

/* A public room's name can be guessed: joining one says what that means, before the user
 * presses Join; a secret room's link says nothing. */
static void
test_join_public_note (void)
{
  GtkWidget *join_hint = get_widget ("join-hint");
  g_autoptr(FerryRoomLink) secret = ferry_room_link_new_secret ("Book club", NULL);
  g_autofree char *secret_text = ferry_room_link_to_string (secret);

  type_join_text ("Book club");
  g_assert_true (join_action_enabled ());
  g_assert_true (gtk_widget_is_sensitive (get_widget ("join")));
  g_assert_true (gtk_widget_get_visible (join_hint));
  g_assert_false (gtk_widget_has_css_class (join_hint, "error"));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (join_hint)), ==,
                   "Public room: anyone who guesses its name can join, and everyone in it can "
                   "see your network address.");
  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "start-page-public-note.png");

  /* A plain link is the same room as its name. */
  type_join_text ("ferry://join?v=1&room=Book%20club");
  g_assert_true (gtk_widget_get_visible (join_hint));

  type_join_text (secret_text);
  g_assert_true (join_action_enabled ());
  g_assert_false (gtk_widget_get_visible (join_hint));

  type_join_text ("");
  g_assert_false (gtk_widget_get_visible (join_hint));
}

static void
test_join_room (void)
{
  /* Enter in the entry, as a user would. */
  type_join_text ("ferry://nonsense");
  g_signal_emit_by_name (get_widget ("join-entry"), "entry-activated");
  g_assert_cmpstr (visible_page (), ==, "start");

  type_join_text ("Book club");
  g_assert_true (join_action_enabled ());
  g_signal_emit_by_name (get_widget ("join-entry"), "entry-activated");

  g_assert_cmpstr (visible_page (), ==, "room");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-title"))), ==, "Book club");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-link"))), ==,
                   "ferry://join?v=1&room=Book%20club");
  g_assert_true (gtk_widget_get_visible (get_widget ("back")));
  /* The entry is cleared so that going back shows a clean start page. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (get_widget ("join-entry"))), ==, "");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-start", NULL);
  g_assert_cmpstr (visible_page (), ==, "start");
  g_assert_false (gtk_widget_get_visible (get_widget ("back")));

  /* The join-room action itself, as the Join button activates it. */
  type_join_text ("Book club");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.join-room", NULL);
  g_assert_cmpstr (visible_page (), ==, "room");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-start", NULL);
}

/* A WebDrop room is named by its code and shared with WebDrop's own link. */
static void
test_join_webdrop (void)
{
  type_join_text ("webdrop:Ab12");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.join-room", NULL);
  g_assert_cmpstr (visible_page (), ==, "room");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-title"))), ==, "WebDrop Ab12");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-link"))), ==,
                   "https://webdrop.space/#/?room=Ab12");
  g_assert_true (gtk_widget_activate_action (get_widget ("room-link"), "room.leave", NULL));
  g_assert_cmpstr (visible_page (), ==, "start");
}

static gboolean
session_uses_stun (const char *url)
{
  g_auto(GStrv) value = NULL;

  g_object_get (ferry_application_get_session (app), "stun-servers", &value, NULL);
  return g_strv_equal ((const char * const *) value, (const char * const[]) { url, NULL });
}

static gboolean
page_is (const char *name)
{
  return g_strcmp0 (visible_page (), name) == 0;
}

/* "Nearby (WebDrop)": first with a STUN server that does not answer (a readable error under the
 * join entry), then with coturn on loopback, which tells the app its address is 127.0.0.1:
 * WebDrop's room for that address is "1047" (hash-sum of "127.0.0.1"). */
static void
test_join_webdrop_nearby (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GSubprocess) turnserver = NULL;
  g_autoptr(GError) error = NULL;
  guint port = 40000 + getpid () % 10000;
  g_autofree char *url = g_strdup_printf ("stun:127.0.0.1:%u", port);
  g_autofree char *listen_port = g_strdup_printf ("--listening-port=%u", port);
  GtkWidget *hint = get_widget ("join-hint");

  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { url, NULL });
  FERRY_TEST_WAIT_UNTIL (session_uses_stun (url), 5000);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.join-webdrop-nearby", NULL);
  FERRY_TEST_WAIT_UNTIL (gtk_widget_get_visible (hint) &&
                         strstr (gtk_label_get_text (GTK_LABEL (hint)), "did not answer") != NULL, 10000);
  g_assert_cmpstr (visible_page (), ==, "start");

  turnserver = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                 "turnserver", "-n", "--stun-only", "--no-tls", "--no-dtls", "--no-cli",
                                 "--listening-ip=127.0.0.1", listen_port, "--log-file=stdout", NULL);
  if (turnserver == NULL)
    {
      if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
        g_error ("coturn's turnserver is needed: %s", error->message);
      g_test_skip ("coturn's turnserver is not installed");
    }
  else
    {
      /* coturn answers once it listens; the app asks again a few times within 3.5 s. */
      ferry_test_run_for (300);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.join-webdrop-nearby", NULL);
      FERRY_TEST_WAIT_UNTIL (page_is ("room"), 10000);
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-title"))), ==, "WebDrop 1047");
      g_assert_true (gtk_widget_activate_action (get_widget ("room-link"), "room.leave", NULL));
      g_subprocess_force_exit (turnserver);
    }
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });
  FERRY_TEST_WAIT_UNTIL (session_uses_stun (NULL), 5000);
}

static void
test_new_room (void)
{
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;
  GtkScrolledWindow *scroller;
  GtkAdjustment *adjustment;
  graphene_rect_t invite;
  GtkWidget *qr_code;
  const char *text;

  g_action_group_activate_action (G_ACTION_GROUP (app), "new-room", NULL);
  g_assert_cmpstr (visible_page (), ==, "room");

  text = gtk_label_get_text (GTK_LABEL (get_widget ("room-link")));
  link = ferry_room_link_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ferry_room_link_get_kind (link), ==, FERRY_ROOM_KIND_SECRET);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-subtitle"))), ==,
                   "Private room — only people with the link can find it");
  g_assert_true (is_showing (get_widget ("room-status")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-title"))), ==, "Ferry Room");

  qr_code = get_widget ("room-qr-code");
  g_assert_nonnull (gtk_picture_get_paintable (GTK_PICTURE (qr_code)));
  g_assert_true (gtk_widget_get_visible (qr_code));

  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "room-page.png");
  /* The invite group with the QR code, at the end of the page, scrolled to the top. */
  scroller = GTK_SCROLLED_WINDOW (gtk_widget_get_ancestor (qr_code, GTK_TYPE_SCROLLED_WINDOW));
  adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  g_assert_true (gtk_widget_compute_bounds (gtk_widget_get_ancestor (get_widget ("room-link"),
                                                                      ADW_TYPE_PREFERENCES_GROUP),
                                            gtk_scrolled_window_get_child (scroller), &invite));
  gtk_adjustment_set_value (adjustment, invite.origin.y - 12);
  ferry_test_gui_take_light_and_dark (GTK_WIDGET (window), "room-qr-code");
  gtk_adjustment_set_value (adjustment, 0);

  /* The only tracker is a closed port: the room goes offline and says why, retrying. */
  {
    GtkLabel *status = GTK_LABEL (get_widget ("room-status-text"));
    guint timeout_id = g_timeout_add_seconds (TIMEOUT_SECONDS, timed_out_cb,
                                              (gpointer) "the room to go offline");

    while (!g_str_has_prefix (gtk_label_get_text (status), "Offline: "))
      g_main_context_iteration (NULL, TRUE);
    g_source_remove (timeout_id);
    g_test_message ("Offline room: %s", gtk_label_get_text (status));
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("peers-empty-state"))), ==,
                     gtk_label_get_text (status));
    g_assert_true (is_showing (get_widget ("peers-empty")));
  }
}

typedef struct
{
  char     *text;
  gboolean  done;
} ReadText;

static void
read_text_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ReadText *read = user_data;
  g_autoptr(GError) error = NULL;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  g_assert_no_error (error);
  read->done = TRUE;
}

static void
test_copy_link (void)
{
  FerryRoomPage *page;
  g_autofree char *expected = NULL;
  ReadText read = { NULL, FALSE };

  page = FERRY_ROOM_PAGE (gtk_widget_get_ancestor (get_widget ("room-link"), FERRY_TYPE_ROOM_PAGE));
  expected = ferry_room_link_to_string (ferry_room_page_get_link (page));
  g_assert_true (g_str_has_prefix (expected, "ferry://join?v=1"));
  g_assert_nonnull (strstr (expected, "#k="));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "room.copy-link", NULL));

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (window)), NULL,
                                 read_text_cb, &read);
  wait_until (&read.done, "the clipboard");
  g_assert_cmpstr (read.text, ==, expected);
  g_free (read.text);
}

static void
test_open_link (void)
{
  g_autoptr(GFile) file = g_file_new_for_uri ("ferry://join?v=1&room=chess%20night");

  g_application_open (G_APPLICATION (app), &file, 1, "");
  g_assert_cmpstr (visible_page (), ==, "room");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-title"))), ==, "chess night");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-subtitle"))), ==,
                   "Public room — anyone who knows the name can join; connections are not "
                   "verified");

  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "public-room-page.png");
}

static void
test_open_invalid_link (void)
{
  g_autoptr(GFile) file = g_file_new_for_uri ("ferry://join?v=9&room=x");
  AdwMessageDialog *dialog;

  g_application_open (G_APPLICATION (app), &file, 1, "");

  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG, GTK_WINDOW (window)));
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Cannot Open Link");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), !=, "");

  click_response (dialog, "_Close");
}

static void
assert_accel (const char *action,
              const char *accel)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);

  g_assert_true (g_strv_contains ((const char * const *) accels, accel));
}

static void
test_shortcuts (void)
{
  GtkWidget *focus;

  assert_accel ("app.new-room", "<Control>n");
  assert_accel ("app.quit", "<Control>q");
  assert_accel ("win.focus-join", "<Control>l");
  assert_accel ("win.show-start", "<Alt>Left");
  assert_accel ("win.show-help-overlay", "<Control>question");
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));

  /* From the room page, "focus-join" goes back to the start page and into the entry. */
  g_assert_cmpstr (visible_page (), ==, "room");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.focus-join", NULL);
  g_assert_cmpstr (visible_page (), ==, "start");
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_nonnull (focus);
  g_assert_true (focus == get_widget ("join-entry") ||
                 gtk_widget_is_ancestor (focus, get_widget ("join-entry")));
}

static void
test_about (void)
{
  AdwAboutWindow *about;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);

  about = ADW_ABOUT_WINDOW (find_toplevel (ADW_TYPE_ABOUT_WINDOW, NULL));
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_application_icon (about), ==, APP_ID);
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (adw_about_window_get_website (about), ==, "https://github.com/ferryapp/ferry");

  gtk_window_destroy (GTK_WINDOW (about));
}

/* The rooms joined by the tests above are all open at once: the start page lists them, and
 * picking one shows it in the room page without leaving the others. */
static void
test_open_rooms (void)
{
  FerrySession *session = ferry_application_get_session (app);
  GListModel *rooms = ferry_session_get_rooms (session);
  FerryRoomPage *page = get_room_page ();
  g_autoptr(FerrySessionRoom) book_club = NULL;
  g_autoptr(FerrySessionRoom) chess_night = g_list_model_get_item (rooms, 2);
  g_autoptr(GFile) file = g_file_new_for_uri ("ferry://join?v=1&room=Book%20club");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-start", NULL);
  g_assert_cmpstr (visible_page (), ==, "start");
  g_assert_cmpuint (g_list_model_get_n_items (rooms), ==, 3);
  g_assert_true (is_showing (get_widget ("open-rooms-group")));
  g_assert_cmpuint (count_rows ("open-rooms"), ==, 3);
  /* In the order they were joined; the unnamed secret room has the link's display name. */
  g_assert_cmpstr (row_title (get_row ("open-rooms", 0)), ==, "Book club");
  g_assert_cmpstr (row_title (get_row ("open-rooms", 1)), ==, "Private room");
  g_assert_cmpstr (row_title (get_row ("open-rooms", 2)), ==, "chess night");
  g_assert_cmpstr (adw_action_row_get_subtitle (get_row ("open-rooms", 0)), ==,
                   "Nobody else is here yet");

  /* Switching between two of them. */
  gtk_widget_activate (GTK_WIDGET (get_row ("open-rooms", 0)));
  g_assert_cmpstr (visible_page (), ==, "room");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-title"))), ==, "Book club");
  g_assert_cmpstr (header_title (), ==, "Book club");
  book_club = g_object_ref (ferry_room_page_get_room (page));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-start", NULL);
  gtk_widget_activate (GTK_WIDGET (get_row ("open-rooms", 2)));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-title"))), ==, "chess night");
  g_assert_cmpstr (header_title (), ==, "chess night");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (get_widget ("room-subtitle"))), ==,
                   "Public room — anyone who knows the name can join; connections are not "
                   "verified");
  g_assert_true (ferry_room_page_get_room (page) == chess_night);

  /* Back keeps the room joined, and the one shown before too. */
  g_assert_true (gtk_widget_get_visible (get_widget ("back")));
  g_signal_emit_by_name (get_widget ("back"), "clicked");
  g_assert_cmpstr (visible_page (), ==, "start");
  g_assert_cmpstr (header_title (), ==, "Ferry");
  g_assert_cmpuint (g_list_model_get_n_items (rooms), ==, 3);
  g_assert_cmpint (ferry_session_room_get_state (book_club), !=, FERRY_SESSION_ROOM_LEFT);
  g_assert_cmpuint (count_rows ("open-rooms"), ==, 3);

  /* A link to an open room, while another one is shown, switches to it and joins nothing
   * new. */
  gtk_widget_activate (GTK_WIDGET (get_row ("open-rooms", 2)));
  g_application_open (G_APPLICATION (app), &file, 1, "");
  g_assert_cmpstr (visible_page (), ==, "room");
  g_assert_true (ferry_room_page_get_room (page) == book_club);
  g_assert_cmpstr (header_title (), ==, "Book club");
  g_assert_cmpuint (g_list_model_get_n_items (rooms), ==, 3);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-start", NULL);
}

/* The recent rooms file: where it is, that only the user can read it, and what a new reader of
 * it finds (link texts, compared but never printed: secret links hold their secret). */
static void
assert_recent_file (const char * const *expected_names)
{
  g_autofree char *path = g_build_filename (data_dir, "ferry", "recent-rooms", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryRecentRooms) reread = ferry_recent_rooms_new (file);
  GListModel *links = ferry_recent_rooms_get_links (ferry_application_get_recent_rooms (app));
  GListModel *reread_links = ferry_recent_rooms_get_links (reread);
  GStatBuf buf;

  g_assert_cmpint (g_stat (path, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);

  g_assert_cmpuint (g_list_model_get_n_items (links), ==, g_strv_length ((GStrv) expected_names));
  g_assert_cmpuint (g_list_model_get_n_items (reread_links), ==, g_list_model_get_n_items (links));
  for (guint i = 0; expected_names[i] != NULL; i++)
    {
      g_autoptr(FerryRoomLink) link = g_list_model_get_item (links, i);
      g_autoptr(FerryRoomLink) reread_link = g_list_model_get_item (reread_links, i);
      g_autofree char *text = ferry_room_link_to_string (link);
      g_autofree char *reread_text = ferry_room_link_to_string (reread_link);

      g_assert_cmpstr (ferry_room_link_get_display_name (link), ==, expected_names[i]);
      g_assert_true (g_str_equal (text, reread_text));
    }
}

static void
leave_shown_room (void)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (get_room_page ()), "room.leave", NULL));
  g_assert_cmpstr (visible_page (), ==, "start");
}

/* Every room opened is remembered, most recent first; the start page lists those that are not
 * open, a click joins one again, and the Forget button removes it for good. */
static void
test_recent_rooms (void)
{
  GListModel *rooms = ferry_session_get_rooms (ferry_application_get_session (app));
  g_autoptr(FerryRoomLink) holiday = ferry_room_link_new_secret ("Holiday photos", NULL);
  AdwActionRow *row;
  GtkWidget *forget;

  /* Book club twice (moved first again), the unnamed secret room, chess night, Book club
   * again by its link. */
  assert_recent_file ((const char * const[]) { "Book club", "chess night", "Private room", NULL });
  /* All of them are open. */
  g_assert_false (gtk_widget_get_visible (get_widget ("recent-rooms-group")));

  /* A secret room, joined and left. */
  ferry_window_open_room (window, holiday);
  g_assert_cmpstr (header_title (), ==, "Holiday photos");
  assert_recent_file ((const char * const[]) {
    "Holiday photos", "Book club", "chess night", "Private room", NULL });
  leave_shown_room ();
  g_assert_true (is_showing (get_widget ("recent-rooms-group")));
  g_assert_cmpuint (count_rows ("recent-rooms"), ==, 1);
  row = get_row ("recent-rooms", 0);
  g_assert_cmpstr (row_title (row), ==, "Holiday photos");
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "Private room");

  /* And a public one. */
  gtk_widget_activate (GTK_WIDGET (find_row ("open-rooms", "chess night")));
  leave_shown_room ();
  g_assert_cmpuint (g_list_model_get_n_items (rooms), ==, 2);
  g_assert_cmpuint (count_rows ("open-rooms"), ==, 2);
  g_assert_cmpuint (count_rows ("recent-rooms"), ==, 2);
  row = get_row ("recent-rooms", 1);
  g_assert_cmpstr (row_title (row), ==, "chess night");
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, "Public room");
  forget = ferry_test_gui_find_widget (GTK_WIDGET (row), "forget-room");
  g_assert_nonnull (forget);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (forget), ==, "Forget Room");

  /* Scrolled down to both lists. */
  dismiss_toasts ();
  {
    GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (
      gtk_widget_get_ancestor (get_widget ("recent-rooms"), GTK_TYPE_SCROLLED_WINDOW));
    GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scroller);

    ferry_test_gui_wait_for_paint (GTK_WIDGET (window));
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
    ferry_test_gui_take_screenshot (GTK_WIDGET (window), "start-page-rooms.png");
    gtk_adjustment_set_value (adjustment, 0);
  }

  /* A click joins it again. */
  gtk_widget_activate (GTK_WIDGET (row));
  g_assert_cmpstr (visible_page (), ==, "room");
  g_assert_cmpstr (header_title (), ==, "chess night");
  g_assert_cmpuint (g_list_model_get_n_items (rooms), ==, 3);
  g_assert_nonnull (find_row ("open-rooms", "chess night"));
  g_assert_null (find_row ("recent-rooms", "chess night"));
  assert_recent_file ((const char * const[]) {
    "chess night", "Holiday photos", "Book club", "Private room", NULL });

  /* Forgotten. */
  leave_shown_room ();
  forget = ferry_test_gui_find_widget (GTK_WIDGET (find_row ("recent-rooms", "chess night")),
                                       "forget-room");
  g_signal_emit_by_name (forget, "clicked");
  g_assert_null (find_row ("recent-rooms", "chess night"));
  g_assert_cmpuint (count_rows ("recent-rooms"), ==, 1);
  assert_recent_file ((const char * const[]) { "Holiday photos", "Book club", "Private room", NULL });
}

/* A window of its own for the tests that close it, shown: only a realized window closes. */
static FerryWindow *
new_window (void)
{
  FerryWindow *other = ferry_window_new (GTK_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (other));
  ferry_test_gui_wait_for_paint (GTK_WIDGET (other));
  return g_object_ref (other);
}

static gboolean
has_window (FerryWindow *other)
{
  return g_list_find (gtk_application_get_windows (GTK_APPLICATION (app)), other) != NULL;
}

/* Closes @other and returns the dialog that asks about the transfers. */
static AdwMessageDialog *
close_and_ask (FerryWindow *other)
{
  GtkWindow *dialog;

  gtk_window_close (GTK_WINDOW (other));
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG, GTK_WINDOW (other));
  g_assert_nonnull (dialog);
  g_assert_true (has_window (other));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (other)));
  return ADW_MESSAGE_DIALOG (dialog);
}

static void
test_close_idle (void)
{
  g_autoptr(FerryWindow) other = new_window ();

  g_assert_false (ferry_application_get_busy (app));
  gtk_window_close (GTK_WINDOW (other));
  g_assert_false (has_window (other));
  g_assert_null (find_toplevel (ADW_TYPE_MESSAGE_DIALOG, GTK_WINDOW (other)));
}

/* test-window has nobody to transfer files with: the application is told that a transfer
 * runs.  The last step quits, which closes every window, the shared one too. */
static void
test_close_during_transfer (void)
{
  g_autoptr(FerryWindow) other = new_window ();
  AdwMessageDialog *dialog;

  ferry_application_set_busy_for_testing (app, TRUE);
  g_assert_true (ferry_application_get_busy (app));

  dialog = close_and_ask (other);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Keep Transfers Running?");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), !=, "");
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "background");
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "stop"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "background"), ==,
                   ADW_RESPONSE_SUGGESTED);
  g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, "stop"), ==, "_Stop Transfers");
  ferry_test_gui_take_screenshot (GTK_WIDGET (dialog), "close-during-transfer.png");

  /* Asked again, the same dialog comes forward. */
  gtk_window_close (GTK_WINDOW (other));
  g_assert_true (find_toplevel (ADW_TYPE_MESSAGE_DIALOG, GTK_WINDOW (other)) == GTK_WINDOW (dialog));

  click_response (dialog, "_Cancel");
  g_assert_true (has_window (other));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (other)));

  /* Quitting asks too, in every window, and closes none meanwhile. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_nonnull (find_toplevel (ADW_TYPE_MESSAGE_DIALOG, GTK_WINDOW (window)));
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG, GTK_WINDOW (other)));
  g_assert_nonnull (dialog);
  g_assert_true (has_window (other));
  g_assert_true (has_window (window));

  /* Hidden, then shown again as opening the app would. */
  click_response (dialog, "_Keep in Background");
  g_assert_true (has_window (other));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (other)));
  gtk_window_present (GTK_WINDOW (other));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (other)));

  /* Shown again, the window no longer quits when the transfers end. */
  ferry_application_set_busy_for_testing (app, FALSE);
  ferry_application_set_busy_for_testing (app, TRUE);
  g_assert_true (has_window (other));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (other)));

  /* Hidden until the transfers end, then every window closes (the shared one still asks
   * from before, and closes as the transfers ended). */
  click_response (close_and_ask (other), "_Keep in Background");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (other)));
  ferry_application_set_busy_for_testing (app, FALSE);
  g_assert_false (has_window (other));
  g_assert_false (has_window (window));
}

static void
test_close_stop_transfers (void)
{
  g_autoptr(FerryWindow) other = new_window ();

  ferry_application_set_busy_for_testing (app, TRUE);
  click_response (close_and_ask (other), "_Stop Transfers");
  g_assert_false (has_window (other));
  ferry_application_set_busy_for_testing (app, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  int status;

  /* Expected strings are the untranslated ones. */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_log_set_writer_func (no_secrets_log_writer, NULL, NULL);

  g_test_init (&argc, &argv, NULL);

  /* Rooms are joined for real: the identity goes to a folder of the test's own, and the
   * trackers (of the memory settings backend) to a closed port on loopback, so that nothing
   * leaves the machine.  The rooms stay offline. */
  data_dir = g_dir_make_tmp ("ferry-test-window-XXXXXX", NULL);
  g_assert_nonnull (data_dir);
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  settings = g_settings_new (APP_ID);
  g_settings_set_strv (settings, "trackers",
                       (const char * const[]) { "ws://127.0.0.1:9/announce", NULL });
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });

  app = ferry_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_application_get_is_remote (G_APPLICATION (app)));

  /* Page transitions would otherwise be caught half-way in screenshots. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_application_activate (G_APPLICATION (app));
  /* The last tests close it: the reference keeps the pointer valid. */
  window = g_object_ref (FERRY_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app))));
  g_assert_true (FERRY_IS_WINDOW (window));

  g_test_add_func ("/gui/window/start-page", test_start_page);
  g_test_add_func ("/gui/window/join-validation", test_join_validation);
  g_test_add_func ("/gui/window/join-public-note", test_join_public_note);
  g_test_add_func ("/gui/window/join-room", test_join_room);
  g_test_add_func ("/gui/window/new-room", test_new_room);
  g_test_add_func ("/gui/window/copy-link", test_copy_link);
  g_test_add_func ("/gui/window/open-link", test_open_link);
  g_test_add_func ("/gui/window/open-invalid-link", test_open_invalid_link);
  g_test_add_func ("/gui/window/shortcuts", test_shortcuts);
  g_test_add_func ("/gui/window/about", test_about);
  g_test_add_func ("/gui/window/open-rooms", test_open_rooms);
  g_test_add_func ("/gui/window/recent-rooms", test_recent_rooms);
  g_test_add_func ("/gui/window/join-webdrop", test_join_webdrop);
  g_test_add_func ("/gui/window/join-webdrop-nearby", test_join_webdrop_nearby);
  g_test_add_func ("/gui/window/close-idle", test_close_idle);
  g_test_add_func ("/gui/window/close-during-transfer", test_close_during_transfer);
  g_test_add_func ("/gui/window/close-stop-transfers", test_close_stop_transfers);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&window);
  g_clear_object (&app);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data_dir);

    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  g_free (data_dir);

  return status;
}
