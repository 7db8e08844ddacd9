/* ferry-test-gui.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <adwaita.h>

#include "ferry-test-gui.h"
#include "ferry-test-util.h"

#define TIMEOUT_MS 20000
#define MIN_DISTINCT_COLOURS 20

GtkWidget *
ferry_test_gui_find_widget (GtkWidget  *root,
                            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ferry_test_gui_find_widget (child, name);

      if (found != NULL)
        return found;
    }

  return NULL;
}

GtkWidget *
ferry_test_gui_get_widget (GtkWidget  *root,
                           const char *name)
{
  GtkWidget *widget = ferry_test_gui_find_widget (root, name);

  if (widget == NULL)
    g_error ("No widget named “%s”", name);
  return widget;
}

AdwActionRow *
ferry_test_gui_find_row (GtkWidget  *list,
                         const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (ADW_IS_ACTION_ROW (child) &&
        g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0)
      return ADW_ACTION_ROW (child);
  return NULL;
}

gboolean
ferry_test_gui_has_message (GtkWidget  *window,
                            const char *text)
{
  GtkWidget *list = ferry_test_gui_get_widget (window, "messages-list");

  for (GtkWidget *child = gtk_widget_get_first_child (list); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *label = ferry_test_gui_find_widget (child, "message-text");

      if (label != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (label)), text) == 0)
        return TRUE;
    }
  return FALSE;
}

char *
ferry_test_gui_isolate (const char *prefix)
{
  g_autofree char *template = g_strdup_printf ("%s-XXXXXX", prefix);
  char *data_dir;

  /* Expected strings are the untranslated ones. */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  data_dir = g_dir_make_tmp (template, NULL);
  g_assert_nonnull (data_dir);
  g_setenv ("XDG_DATA_HOME", data_dir, TRUE);
  /* The DHT's routing tables. */
  g_setenv ("XDG_STATE_HOME", data_dir, TRUE);
  return data_dir;
}

FerryApplication *
ferry_test_gui_start_app (const char   *display_name,
                          FerryWindow **window)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  FerryApplication *app = ferry_application_new ();

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  g_settings_set_string (settings, "display-name", display_name);
  g_settings_set_strv (settings, "trackers", (const char * const[]) { NULL });
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });
  /* FERRY_DHT_BOOTSTRAP (empty in the tests) comes first; this in case it is not set. */
  g_settings_set_strv (settings, "dht-bootstrap", (const char * const[]) { NULL });

  g_application_activate (G_APPLICATION (app));
  *window = FERRY_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (FERRY_IS_WINDOW (*window));
  return app;
}

void
ferry_test_gui_stop_app (FerryWindow      *window,
                         FerryApplication *app,
                         char             *data_dir)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", data_dir);

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (data_dir);
}

static void
set_true_cb (gboolean *flag)
{
  *flag = TRUE;
}

void
ferry_test_gui_wait_for_paint (GtkWidget *widget)
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

void
ferry_test_gui_take_screenshot (GtkWidget  *window,
                                const char *file_name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  const char *dir;
  int width, height;
  guint colours;

  g_assert_true (GTK_IS_NATIVE (window));
  ferry_test_gui_wait_for_paint (window);

  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  paintable = gtk_widget_paintable_new (window);
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

void
ferry_test_gui_take_light_and_dark (GtkWidget  *window,
                                    const char *name)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  g_autofree char *light = g_strconcat (name, ".png", NULL);
  g_autofree char *dark = g_strconcat (name, "-dark.png", NULL);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  ferry_test_gui_take_screenshot (window, light);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  ferry_test_gui_take_screenshot (window, dark);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}
