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
#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-room-link.h"
#include "ferry-room-page.h"
#include "ferry-test-gui.h"
#include "ferry-window.h"

#define TIMEOUT_SECONDS 20

static FerryApplication *app;
static FerryWindow *window;

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
  GtkWidget *join_error = get_widget ("join-error");

  g_assert_cmpstr (visible_page (), ==, "start");
  g_assert_true (is_showing (create_button));
  g_assert_true (gtk_widget_is_sensitive (create_button));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (create_button)), ==,
                   "app.new-room");
  g_assert_true (ADW_IS_ENTRY_ROW (join_entry));
  g_assert_true (is_showing (join_entry));
  g_assert_false (gtk_widget_get_visible (join_error));
  g_assert_false (join_action_enabled ());
  g_assert_false (gtk_widget_is_sensitive (get_widget ("join")));
  g_assert_false (gtk_widget_get_visible (get_widget ("back")));

  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "start-page.png");
}

static void
test_join_validation (void)
{
  GtkWidget *join_error = get_widget ("join-error");

  type_join_text ("ferry://join?v=9&room=x");
  g_assert_true (gtk_widget_get_visible (join_error));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (join_error)), !=, "");
  g_assert_true (gtk_widget_has_css_class (join_error, "error"));
  g_assert_false (join_action_enabled ());
  g_test_message ("Error shown: %s", gtk_label_get_text (GTK_LABEL (join_error)));

  ferry_test_gui_take_screenshot (GTK_WIDGET (window), "start-page-error.png");
  g_assert_true (is_showing (join_error));

  type_join_text ("https://example.org/");
  g_assert_true (gtk_widget_get_visible (join_error));
  g_assert_false (join_action_enabled ());

  type_join_text ("Book club");
  g_assert_false (gtk_widget_get_visible (join_error));
  g_assert_true (join_action_enabled ());
  g_assert_true (gtk_widget_is_sensitive (get_widget ("join")));

  type_join_text ("");
  g_assert_false (gtk_widget_get_visible (join_error));
  g_assert_false (join_action_enabled ());
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

static void
test_new_room (void)
{
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;
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
  GListModel *toplevels = gtk_window_get_toplevels ();
  AdwMessageDialog *dialog = NULL;

  g_application_open (G_APPLICATION (app), &file, 1, "");

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (item))
        dialog = ADW_MESSAGE_DIALOG (item);
    }
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Cannot Open Link");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), !=, "");
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (window));

  adw_message_dialog_response (dialog, "close");
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
  GListModel *toplevels = gtk_window_get_toplevels ();
  AdwAboutWindow *about = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      if (ADW_IS_ABOUT_WINDOW (item))
        about = ADW_ABOUT_WINDOW (item);
    }
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_application_icon (about), ==, APP_ID);
  g_assert_cmpstr (adw_about_window_get_version (about), ==, PACKAGE_VERSION);
  g_assert_cmpint (adw_about_window_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (adw_about_window_get_website (about), ==, "https://github.com/ferryapp/ferry");

  gtk_window_destroy (GTK_WINDOW (about));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *data_dir = NULL;
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
  window = FERRY_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (FERRY_IS_WINDOW (window));

  g_test_add_func ("/gui/window/start-page", test_start_page);
  g_test_add_func ("/gui/window/join-validation", test_join_validation);
  g_test_add_func ("/gui/window/join-room", test_join_room);
  g_test_add_func ("/gui/window/new-room", test_new_room);
  g_test_add_func ("/gui/window/copy-link", test_copy_link);
  g_test_add_func ("/gui/window/open-link", test_open_link);
  g_test_add_func ("/gui/window/open-invalid-link", test_open_invalid_link);
  g_test_add_func ("/gui/window/shortcuts", test_shortcuts);
  g_test_add_func ("/gui/window/about", test_about);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_clear_object (&app);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data_dir);

    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }

  return status;
}
