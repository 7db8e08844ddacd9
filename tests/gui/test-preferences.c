/* test-preferences.c: the preferences window of the real FerryApplication, typed into through
 * the widget tree and checked against GSettings and the session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs under tests/gui/run-under-xvfb.sh, with the memory GSettings backend.  The tests share
 * one application and run in the order they are added.  The screenshot goes to
 * $FERRY_TEST_ARTIFACTS_DIR.
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-preferences-window.h"
#include "ferry-test-gui.h"
#include "ferry-test-util.h"
#include "ferry-window.h"

#define TIMEOUT_MS 20000
/* Where the main program points the trackers: a closed port, so that nothing leaves the machine. */
#define CLOSED_TRACKER "ws://127.0.0.1:9/announce"

static FerryApplication *app;
static GSettings *settings;
static char *data_dir;

/* Helpers */

static FerryPreferencesWindow *
find_preferences (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  FerryPreferencesWindow *found = NULL;

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (toplevels, i);

      if (FERRY_IS_PREFERENCES_WINDOW (item))
        {
          g_assert_null (found);
          found = FERRY_PREFERENCES_WINDOW (item);
        }
    }

  return found;
}

static GtkWidget *
get_widget (const char *name)
{
  FerryPreferencesWindow *preferences = find_preferences ();
  GtkWidget *widget;

  g_assert_nonnull (preferences);
  widget = ferry_test_gui_find_widget (GTK_WIDGET (preferences), name);
  if (widget == NULL)
    g_error ("No widget named “%s” in the preferences window", name);

  return widget;
}

static GtkWidget *
get_child (GtkWidget  *root,
           const char *name)
{
  GtkWidget *widget = ferry_test_gui_find_widget (root, name);

  if (widget == NULL)
    g_error ("No widget named “%s” in the row", name);

  return widget;
}

static void
collect_widgets (GtkWidget  *root,
                 const char *name,
                 GPtrArray  *found)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    g_ptr_array_add (found, root);

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, name, found);
}

/* The rows named @name, in order. */
static GPtrArray *
get_rows (const char *name)
{
  GPtrArray *rows = g_ptr_array_new ();

  collect_widgets (GTK_WIDGET (find_preferences ()), name, rows);
  return rows;
}

/* Presses the header button @add_button_name and returns the row it added, the last one. */
static GtkWidget *
add_row (const char *add_button_name,
         const char *row_name)
{
  g_autoptr(GPtrArray) before = get_rows (row_name);
  g_autoptr(GPtrArray) after = NULL;
  GtkWidget *row;

  g_signal_emit_by_name (get_widget (add_button_name), "clicked");
  after = get_rows (row_name);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  row = g_ptr_array_index (after, after->len - 1);
  g_assert_false (gtk_widget_has_css_class (row, "error"));

  return row;
}

static void
remove_row (GtkWidget  *row,
            const char *row_name)
{
  g_autoptr(GPtrArray) before = get_rows (row_name);
  g_autoptr(GPtrArray) after = NULL;

  g_signal_emit_by_name (get_child (row, "remove-server"), "clicked");
  after = get_rows (row_name);
  g_assert_cmpuint (after->len, ==, before->len - 1);
  g_assert_false (g_ptr_array_find (after, row, NULL));
}

static void
type_text (GtkWidget  *entry,
           const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

static void
assert_valid (GtkWidget *row)
{
  g_assert_false (gtk_widget_has_css_class (row, "error"));
  g_assert_null (gtk_widget_get_tooltip_text (row));
}

/* Returns the reason shown. */
static const char *
assert_invalid (GtkWidget *row)
{
  const char *reason = gtk_widget_get_tooltip_text (row);

  g_assert_true (gtk_widget_has_css_class (row, "error"));
  g_assert_nonnull (reason);
  g_assert_cmpstr (reason, !=, "");
  g_test_message ("Shown: %s", reason);

  return reason;
}

static void
assert_string_setting (const char *key,
                       const char *expected)
{
  g_autofree char *value = g_settings_get_string (settings, key);

  g_assert_cmpstr (value, ==, expected);
}

static void
assert_strv_setting (const char         *key,
                     const char * const *expected)
{
  g_auto(GStrv) value = g_settings_get_strv (settings, key);

  g_assert_cmpstrv (value, expected);
}

static gboolean
session_has_strv (const char         *property,
                  const char * const *expected)
{
  g_auto(GStrv) value = NULL;

  g_object_get (ferry_application_get_session (app), property, &value, NULL);
  return g_strv_equal ((const char * const *) value, expected);
}

static gboolean
session_has_string (const char *property,
                    const char *expected)
{
  g_autofree char *value = NULL;

  g_object_get (ferry_application_get_session (app), property, &value, NULL);
  return g_strcmp0 (value, expected) == 0;
}

static gboolean
session_has_folder (GFile *expected)
{
  g_autoptr(GFile) folder = NULL;

  g_object_get (ferry_application_get_session (app), "download-folder", &folder, NULL);
  return g_file_equal (folder, expected);
}

static gboolean
session_is_relay_only (void)
{
  gboolean relay_only;

  g_object_get (ferry_application_get_session (app), "relay-only", &relay_only, NULL);
  return relay_only;
}

static gboolean
relay_only_is_sensitive (void)
{
  return gtk_widget_is_sensitive (get_widget ("relay-only-switch"));
}

/* Tests */

static void
test_open (void)
{
  g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                "app.preferences");
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  FerryPreferencesWindow *preferences;

  g_assert_true (g_strv_contains ((const char * const *) accels, "<Control>comma"));
  g_assert_true (FERRY_IS_WINDOW (window));
  g_assert_null (find_preferences ());

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  preferences = find_preferences ();
  g_assert_nonnull (preferences);
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (preferences)) == window);
  ferry_test_gui_wait_for_paint (GTK_WIDGET (preferences));

  /* A second activation presents the same window. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_assert_true (find_preferences () == preferences);
}

static void
test_display_name (void)
{
  GtkWidget *entry = get_widget ("display-name");

  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");

  type_text (entry, "Ada");
  assert_string_setting ("display-name", "Ada");
  FERRY_TEST_WAIT_UNTIL (session_has_string ("display-name", "Ada"), TIMEOUT_MS);

  /* Empty: the session gets no name, and the room takes the user's real name. */
  type_text (entry, "");
  FERRY_TEST_WAIT_UNTIL (session_has_string ("display-name", NULL), TIMEOUT_MS);

  /* And the other way. */
  g_settings_set_string (settings, "display-name", "Grace");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "Grace");
  g_settings_reset (settings, "display-name");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
}

static void
test_download_folder (void)
{
  AdwActionRow *row = ADW_ACTION_ROW (get_widget ("download-folder"));
  GtkWidget *reset = get_widget ("download-folder-reset");
  g_autoptr(GFile) default_folder = ferry_session_get_default_download_folder ();
  g_autoptr(GFile) chosen = g_file_new_build_filename (data_dir, "Received", NULL);
  g_autofree char *default_name = g_file_get_parse_name (default_folder);
  g_autofree char *chosen_name = g_file_get_parse_name (chosen);

  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, default_name);
  g_assert_false (gtk_widget_get_visible (reset));

  g_settings_set_string (settings, "download-folder", chosen_name);
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, chosen_name);
  g_assert_true (gtk_widget_get_visible (reset));
  FERRY_TEST_WAIT_UNTIL (session_has_folder (chosen), TIMEOUT_MS);

  g_signal_emit_by_name (reset, "clicked");
  assert_string_setting ("download-folder", "");
  g_assert_cmpstr (adw_action_row_get_subtitle (row), ==, default_name);
  g_assert_false (gtk_widget_get_visible (reset));
  FERRY_TEST_WAIT_UNTIL (session_has_folder (default_folder), TIMEOUT_MS);
}

static void
test_trackers (void)
{
  static const char *valid = "wss://tracker.example.org/announce";
  g_autoptr(GPtrArray) rows = get_rows ("tracker-row");
  GtkWidget *valid_row, *invalid_row;

  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (gtk_editable_get_text (rows->pdata[0]), ==, CLOSED_TRACKER);
  assert_valid (rows->pdata[0]);

  valid_row = add_row ("add-tracker", "tracker-row");
  type_text (valid_row, valid);
  assert_valid (valid_row);
  assert_strv_setting ("trackers", (const char * const[]) { CLOSED_TRACKER, valid, NULL });
  FERRY_TEST_WAIT_UNTIL (session_has_strv ("trackers",
                                           (const char * const[]) { CLOSED_TRACKER, valid, NULL }),
                         TIMEOUT_MS);

  invalid_row = add_row ("add-tracker", "tracker-row");
  type_text (invalid_row, "https://tracker.example.org/announce");
  g_assert_nonnull (strstr (assert_invalid (invalid_row), "wss://"));
  type_text (invalid_row, "wss://");
  assert_invalid (invalid_row);
  assert_strv_setting ("trackers", (const char * const[]) { CLOSED_TRACKER, valid, NULL });

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (find_preferences ()),
                                                "network-page");
  ferry_test_gui_take_light_and_dark (GTK_WIDGET (find_preferences ()), "preferences");

  /* A valid tracker made invalid is no longer saved. */
  type_text (valid_row, "wss:/tracker.example.org");
  assert_invalid (valid_row);
  assert_strv_setting ("trackers", (const char * const[]) { CLOSED_TRACKER, NULL });
  type_text (valid_row, valid);
  assert_strv_setting ("trackers", (const char * const[]) { CLOSED_TRACKER, valid, NULL });

  remove_row (invalid_row, "tracker-row");
  assert_strv_setting ("trackers", (const char * const[]) { CLOSED_TRACKER, valid, NULL });
  remove_row (valid_row, "tracker-row");
  assert_strv_setting ("trackers", (const char * const[]) { CLOSED_TRACKER, NULL });

  /* A change made elsewhere (here, back to the defaults) rebuilds the rows. */
  g_settings_reset (settings, "trackers");
  {
    g_auto(GStrv) defaults = g_settings_get_strv (settings, "trackers");
    g_autoptr(GPtrArray) reset_rows = get_rows ("tracker-row");

    g_assert_cmpuint (reset_rows->len, ==, g_strv_length (defaults));
    for (guint i = 0; i < reset_rows->len; i++)
      {
        g_assert_cmpstr (gtk_editable_get_text (reset_rows->pdata[i]), ==, defaults[i]);
        assert_valid (reset_rows->pdata[i]);
      }
  }
  g_settings_set_strv (settings, "trackers", (const char * const[]) { CLOSED_TRACKER, NULL });
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = get_rows ("tracker-row");
  g_assert_cmpuint (rows->len, ==, 1);
}

static void
test_stun_servers (void)
{
  static const char *valid = "stun:stun.example.org:3478";
  g_autoptr(GPtrArray) rows = get_rows ("stun-server-row");
  GtkWidget *valid_row, *invalid_row;

  g_assert_cmpuint (rows->len, ==, 0);

  valid_row = add_row ("add-stun-server", "stun-server-row");
  type_text (valid_row, valid);
  assert_valid (valid_row);
  assert_strv_setting ("stun-servers", (const char * const[]) { valid, NULL });
  FERRY_TEST_WAIT_UNTIL (session_has_strv ("stun-servers", (const char * const[]) { valid, NULL }),
                         TIMEOUT_MS);

  /* The core's own messages, and one for a server in the wrong list. */
  invalid_row = add_row ("add-stun-server", "stun-server-row");
  type_text (invalid_row, "stun:stun.example.org:99999");
  g_assert_nonnull (strstr (assert_invalid (invalid_row), "port"));
  type_text (invalid_row, "stun.example.org");
  assert_invalid (invalid_row);
  type_text (invalid_row, "turn:turn.example.org");
  g_assert_nonnull (strstr (assert_invalid (invalid_row), "TURN Servers"));
  assert_strv_setting ("stun-servers", (const char * const[]) { valid, NULL });

  remove_row (invalid_row, "stun-server-row");
  remove_row (valid_row, "stun-server-row");
  assert_strv_setting ("stun-servers", (const char * const[]) { NULL });
}

/* The value of turn-servers with one server, at @url, or none for %NULL (floating). */
static GVariant *
turn_servers_value (const char *url)
{
  if (url == NULL)
    return g_variant_new_array (G_VARIANT_TYPE ("(sss)"), NULL, 0);

  return g_variant_new_parsed ("[(%s, 'alice', 'secret')]", url);
}

static void
assert_turn_servers (const char *url)
{
  g_autoptr(GVariant) value = g_settings_get_value (settings, "turn-servers");
  g_autoptr(GVariant) expected = g_variant_ref_sink (turn_servers_value (url));

  g_assert_cmpvariant (value, expected);
}

/* "Visible on This Network" is off by default and is the row's switch.  It is not turned on
 * here: this test runs outside a network namespace, and on it would announce the computer to
 * the network (gui-nearby turns it on inside one). */
static void
test_nearby_visible (void)
{
  GtkWidget *nearby_switch = get_widget ("nearby-visible-switch");
  AdwActionRow *row = ADW_ACTION_ROW (get_widget ("nearby-visible"));

  g_assert_false (g_settings_get_boolean (settings, "nearby-visible"));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (nearby_switch)));
  g_assert_true (adw_action_row_get_activatable_widget (row) == nearby_switch);
  g_assert_false (ferry_session_nearby_get_running (ferry_session_get_nearby (ferry_application_get_session (app))));
}

static void
test_turn_servers_and_relay_only (void)
{
  static const char *url = "turn:turn.example.org:3478?transport=udp";
  GtkWidget *relay_only_switch = get_widget ("relay-only-switch");
  AdwActionRow *relay_only_row = ADW_ACTION_ROW (get_widget ("relay-only"));
  g_autoptr(GPtrArray) rows = get_rows ("turn-server-row");
  GtkWidget *valid_row, *invalid_row;

  g_assert_cmpuint (rows->len, ==, 0);
  g_assert_false (relay_only_is_sensitive ());
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (relay_only_row), "TURN server"));

  valid_row = add_row ("add-turn-server", "turn-server-row");
  g_assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (valid_row)));
  type_text (get_child (valid_row, "turn-url"), url);
  /* Not yet: the server needs a user name and a password. */
  assert_invalid (valid_row);
  assert_turn_servers (NULL);
  g_assert_false (relay_only_is_sensitive ());

  type_text (get_child (valid_row, "turn-username"), "alice");
  type_text (get_child (valid_row, "turn-credential"), "secret");
  assert_valid (valid_row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (valid_row)), ==, url);
  assert_turn_servers (url);
  g_assert_true (relay_only_is_sensitive ());

  invalid_row = add_row ("add-turn-server", "turn-server-row");
  type_text (get_child (invalid_row, "turn-username"), "bob");
  type_text (get_child (invalid_row, "turn-credential"), "hunter2");
  type_text (get_child (invalid_row, "turn-url"), "turns:turn.example.org");
  g_assert_nonnull (strstr (assert_invalid (invalid_row), "TLS"));
  type_text (get_child (invalid_row, "turn-url"), "stun:stun.example.org");
  g_assert_nonnull (strstr (assert_invalid (invalid_row), "STUN Servers"));
  g_assert_cmpstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (invalid_row)), ==,
                   gtk_widget_get_tooltip_text (invalid_row));
  assert_turn_servers (url);

  /* Relay-only reaches the session. */
  gtk_switch_set_active (GTK_SWITCH (relay_only_switch), TRUE);
  g_assert_true (g_settings_get_boolean (settings, "relay-only"));
  FERRY_TEST_WAIT_UNTIL (session_is_relay_only (), TIMEOUT_MS);

  remove_row (invalid_row, "turn-server-row");
  remove_row (valid_row, "turn-server-row");
  assert_turn_servers (NULL);

  /* On without a server: it can still be turned off, and says why no room can be joined. */
  g_assert_true (relay_only_is_sensitive ());
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (relay_only_row), "TURN server"));
  gtk_switch_set_active (GTK_SWITCH (relay_only_switch), FALSE);
  g_assert_false (g_settings_get_boolean (settings, "relay-only"));
  g_assert_false (relay_only_is_sensitive ());
  FERRY_TEST_WAIT_UNTIL (!session_is_relay_only (), TIMEOUT_MS);
}

/* Closing the window leaves the settings as they are; a new window shows them, TURN servers
 * collapsed under their address. */
static void
test_reopen (void)
{
  static const char *url = "turn:turn.example.org";
  g_autoptr(GPtrArray) rows = NULL;

  g_settings_set_string (settings, "display-name", "Ada");
  g_settings_set_value (settings, "turn-servers", turn_servers_value (url));
  gtk_window_destroy (GTK_WINDOW (find_preferences ()));
  g_assert_null (find_preferences ());
  assert_string_setting ("display-name", "Ada");
  assert_strv_setting ("trackers", (const char * const[]) { CLOSED_TRACKER, NULL });
  assert_turn_servers (url);

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (get_widget ("display-name"))), ==, "Ada");

  rows = get_rows ("turn-server-row");
  g_assert_cmpuint (rows->len, ==, 1);
  assert_valid (rows->pdata[0]);
  g_assert_false (adw_expander_row_get_expanded (rows->pdata[0]));
  g_assert_cmpstr (adw_preferences_row_get_title (rows->pdata[0]), ==, url);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (get_child (rows->pdata[0], "turn-credential"))),
                   ==, "secret");
  g_assert_true (relay_only_is_sensitive ());

  g_settings_reset (settings, "display-name");
  g_settings_reset (settings, "turn-servers");
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = get_rows ("turn-server-row");
  g_assert_cmpuint (rows->len, ==, 0);
  g_assert_false (relay_only_is_sensitive ());
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

  g_test_init (&argc, &argv, NULL);

  /* The session's identity goes to a folder of the test's own. */
  data_dir = g_dir_make_tmp ("ferry-test-preferences-XXXXXX", NULL);
  g_assert_nonnull (data_dir);
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  settings = g_settings_new (APP_ID);
  g_settings_set_strv (settings, "trackers", (const char * const[]) { CLOSED_TRACKER, NULL });
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });

  app = ferry_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_application_activate (G_APPLICATION (app));
  /* The session follows the settings from now on. */
  g_assert_nonnull (ferry_application_get_session (app));

  g_test_add_func ("/gui/preferences/open", test_open);
  g_test_add_func ("/gui/preferences/display-name", test_display_name);
  g_test_add_func ("/gui/preferences/download-folder", test_download_folder);
  g_test_add_func ("/gui/preferences/trackers", test_trackers);
  g_test_add_func ("/gui/preferences/stun-servers", test_stun_servers);
  g_test_add_func ("/gui/preferences/turn-servers-and-relay-only",
                   test_turn_servers_and_relay_only);
  g_test_add_func ("/gui/preferences/nearby-visible", test_nearby_visible);
  g_test_add_func ("/gui/preferences/reopen", test_reopen);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (find_preferences ()));
  gtk_window_destroy (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_clear_object (&settings);
  g_clear_object (&app);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data_dir);

    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  g_free (data_dir);

  return status;
}
