/* ferry-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-application.h"
#include "ferry-room-link.h"
#include "ferry-window.h"

struct _FerryApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (FerryApplication, ferry_application, ADW_TYPE_APPLICATION)

static FerryWindow *
ferry_application_get_window (FerryApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (FERRY_IS_WINDOW (window))
    return FERRY_WINDOW (window);

  return ferry_window_new (GTK_APPLICATION (self));
}

static void
ferry_application_activate (GApplication *application)
{
  FerryApplication *self = FERRY_APPLICATION (application);

  gtk_window_present (GTK_WINDOW (ferry_application_get_window (self)));
}

/* Links arrive here from the command line and, through D-Bus activation, from the desktop.
 * They carry the room secret in their fragment, so they are parsed, wiped and never logged. */
static void
ferry_application_open (GApplication  *application,
                        GFile        **files,
                        int            n_files,
                        const char    *hint)
{
  FerryApplication *self = FERRY_APPLICATION (application);
  FerryWindow *window = ferry_application_get_window (self);

  gtk_window_present (GTK_WINDOW (window));

  for (int i = 0; i < n_files; i++)
    {
      g_autoptr(FerryRoomLink) link = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *uri = g_file_get_uri (files[i]);

      link = ferry_room_link_parse (uri, &error);
      ferry_memzero (uri, strlen (uri));

      if (link != NULL)
        ferry_window_open_room (window, link);
      else
        ferry_window_show_link_error (window, error);
    }
}

static void
ferry_application_new_room (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  FerryApplication *self = FERRY_APPLICATION (user_data);
  FerryWindow *window = ferry_application_get_window (self);
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;

  gtk_window_present (GTK_WINDOW (window));

  link = ferry_room_link_new_secret (NULL, &error);
  if (link != NULL)
    ferry_window_open_room (window, link);
  else
    ferry_window_show_link_error (window, error);
}

static void
ferry_application_about (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  FerryApplication *self = FERRY_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (window,
                         "application-name", _("Ferry"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", _("The Ferry developers"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "copyright", _("© 2026 The Ferry developers"),
                         "website", "https://github.com/ferryapp/ferry",
                         "issue-url", "https://github.com/ferryapp/ferry/issues",
                         /* Translators: Replace "translator-credits" with your names, one name per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
ferry_application_quit (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  FerryApplication *self = FERRY_APPLICATION (user_data);
  GList *windows;

  /* Closing the windows (rather than g_application_quit() alone) lets them save their state.
   * Closing one may destroy others (its dialogs), hence the references. */
  windows = g_list_copy_deep (gtk_application_get_windows (GTK_APPLICATION (self)),
                              (GCopyFunc) g_object_ref, NULL);
  for (GList *l = windows; l != NULL; l = l->next)
    if (FERRY_IS_WINDOW (l->data))
      gtk_window_close (l->data);
  g_list_free_full (windows, g_object_unref);

  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_entries[] = {
  { .name = "new-room", .activate = ferry_application_new_room },
  { .name = "about", .activate = ferry_application_about },
  { .name = "quit", .activate = ferry_application_quit },
};

static void
ferry_application_startup (GApplication *application)
{
  static const struct {
    const char *action;
    const char *accels[2];
  } accels[] = {
    { "app.new-room", { "<Control>n", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "win.focus-join", { "<Control>l", NULL } },
    { "win.show-start", { "<Alt>Left", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (ferry_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), app_entries,
                                   G_N_ELEMENTS (app_entries), application);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application), accels[i].action,
                                           accels[i].accels);

  gtk_window_set_default_icon_name (APP_ID);
}

static void
ferry_application_class_init (FerryApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = ferry_application_activate;
  app_class->open = ferry_application_open;
  app_class->startup = ferry_application_startup;
}

static void
ferry_application_init (FerryApplication *self)
{
}

FerryApplication *
ferry_application_new (void)
{
  return g_object_new (FERRY_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/ferryapp/Ferry",
                       NULL);
}
