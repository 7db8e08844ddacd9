/* ferry-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-application.h"
#include "ferry-notifier.h"
#include "ferry-transfer-row.h"
#include "ferry-preferences-window.h"
#include "ferry-recent-rooms.h"
#include "ferry-pairing-code.h"
#include "ferry-room-link.h"
#include "ferry-session.h"
#include "ferry-window.h"

struct _FerryApplication
{
  AdwApplication  parent_instance;

  /* Owned references; created at the first join */
  FerrySession     *session;
  FerryNotifier    *notifier;
  /* Owned reference, created when first asked for */
  FerryRecentRooms *recent_rooms;
  /* Owned reference, from startup on; NULL when the schema is not installed (running
   * uninstalled) */
  GSettings        *settings;

  /* The "nearby-visible" key started the session's nearby */
  gboolean          nearby_started;

  /* A transfer runs (or a test says so) */
  gboolean          busy;
  gboolean          busy_for_testing;
};

G_DEFINE_FINAL_TYPE (FerryApplication, ferry_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The session takes the user's settings when a room is joined; they are applied again whenever
 * they change, for the rooms joined afterwards (the DHT's: for the rooms open too). */
static void
ferry_application_apply_settings (FerryApplication *self)
{
  g_autofree char *display_name = NULL;
  g_autofree char *download_folder = NULL;
  g_auto(GStrv) trackers = NULL;
  g_auto(GStrv) stun_servers = NULL;
  g_autoptr(GVariant) turn_servers = NULL;
  g_autoptr(GFile) folder = NULL;

  if (self->session == NULL || self->settings == NULL)
    return;

  display_name = g_settings_get_string (self->settings, "display-name");
  download_folder = g_settings_get_string (self->settings, "download-folder");
  trackers = g_settings_get_strv (self->settings, "trackers");
  stun_servers = g_settings_get_strv (self->settings, "stun-servers");
  turn_servers = g_settings_get_value (self->settings, "turn-servers");

  /* NULL: the session's default folder. */
  if (*download_folder != '\0')
    folder = g_file_new_for_path (download_folder);

  g_object_set (self->session,
                "display-name", *display_name != '\0' ? display_name : NULL,
                "download-folder", folder,
                "trackers", trackers,
                "stun-servers", stun_servers,
                "turn-servers", turn_servers,
                "relay-only", g_settings_get_boolean (self->settings, "relay-only"),
                "dht-enabled", g_settings_get_boolean (self->settings, "dht-enabled"),
                NULL);

  /* FERRY_DHT_BOOTSTRAP in the environment comes first, as in ferry-cli: the session took it. */
  if (g_getenv ("FERRY_DHT_BOOTSTRAP") == NULL)
    {
      g_auto(GStrv) dht_bootstrap = g_settings_get_strv (self->settings, "dht-bootstrap");

      g_object_set (self->session, "dht-bootstrap", dht_bootstrap, NULL);
    }
}

static void
settings_changed_cb (FerryApplication *self)
{
  ferry_application_apply_settings (self);
}

/* "Visible on this network": announced all the time the app runs while the key is on; when it
 * is off, only while the nearby window is open (which starts it itself). */
static void
ferry_application_update_nearby (FerryApplication *self)
{
  gboolean wanted = self->settings != NULL && g_settings_get_boolean (self->settings, "nearby-visible");
  FerrySessionNearby *nearby;

  if (wanted == self->nearby_started)
    return;
  self->nearby_started = wanted;
  nearby = ferry_session_get_nearby (ferry_application_get_session (self));
  if (wanted)
    {
      ferry_session_nearby_set_visible (nearby, TRUE);
      ferry_session_nearby_start (nearby);
    }
  else
    ferry_session_nearby_stop (nearby);
}

/* The user's settings, followed from startup on; none when the schema is not installed. */
static void
ferry_application_load_settings (FerryApplication *self)
{
  static const char * const keys[] = {
    "display-name", "download-folder", "trackers", "stun-servers", "turn-servers", "relay-only",
    "dht-enabled", "dht-bootstrap",
  };
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_debug ("Schema %s is not installed; rooms use the default servers", APP_ID);
      return;
    }

  self->settings = g_settings_new_full (schema, NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *signal = g_strconcat ("changed::", keys[i], NULL);

      g_signal_connect_swapped (self->settings, signal, G_CALLBACK (settings_changed_cb), self);
    }
  g_signal_connect_swapped (self->settings, "changed::nearby-visible",
                            G_CALLBACK (ferry_application_update_nearby), self);
}

static void
ferry_application_update_busy (FerryApplication *self)
{
  gboolean busy = self->busy_for_testing ||
                  (self->notifier != NULL && ferry_notifier_get_busy (self->notifier));

  if (self->busy == busy)
    return;

  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static FerryWindow *ferry_application_get_window (FerryApplication *self);

/* Somebody on this network connected to us, or we to them (from the nearby window, or while
 * the preference keeps us visible): the window shows the direct room. */
static void
nearby_connected_cb (FerryApplication *self,
                     FerrySessionRoom *room)
{
  ferry_window_show_direct_room (ferry_application_get_window (self), room);
}

FerrySession *
ferry_application_get_session (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), NULL);

  if (self->session == NULL)
    {
      self->session = ferry_session_new ();
      self->notifier = ferry_notifier_new (GTK_APPLICATION (self), self->session);
      ferry_application_apply_settings (self);
      g_signal_connect_object (ferry_session_get_nearby (self->session), "connected",
                               G_CALLBACK (nearby_connected_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->notifier, "notify::busy", G_CALLBACK (ferry_application_update_busy),
                               self, G_CONNECT_SWAPPED);
      ferry_application_update_busy (self);
    }

  return self->session;
}

FerryRecentRooms *
ferry_application_get_recent_rooms (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), NULL);

  if (self->recent_rooms == NULL)
    self->recent_rooms = ferry_recent_rooms_new (NULL);

  return self->recent_rooms;
}

gboolean
ferry_application_get_busy (FerryApplication *self)
{
  g_return_val_if_fail (FERRY_IS_APPLICATION (self), FALSE);

  return self->busy;
}

void
ferry_application_set_busy_for_testing (FerryApplication *self,
                                        gboolean          busy)
{
  g_return_if_fail (FERRY_IS_APPLICATION (self));

  self->busy_for_testing = busy;
  ferry_application_update_busy (self);
}

/* The main window, even when another one (the preferences) has the focus or it is hidden while
 * transfers finish, or a new one. */
static FerryWindow *
ferry_application_get_window (FerryApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (FERRY_IS_WINDOW (l->data))
      return l->data;

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

      /* A pairing code's link: this computer reads it. */
      if (ferry_pairing_code_is_link (uri))
        {
          ferry_window_connect_directly (window, uri);
          ferry_memzero (uri, strlen (uri));
          continue;
        }
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

/* The buttons of an offer's notification. */
static void
ferry_application_answer_offer (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  FerryApplication *self = FERRY_APPLICATION (user_data);
  FerrySessionTransfer *transfer = NULL;

  if (self->notifier != NULL)
    transfer = ferry_notifier_find_transfer (self->notifier, g_variant_get_string (parameter, NULL));
  if (transfer == NULL || ferry_session_transfer_get_state (transfer) != FERRY_TRANSFER_STATE_OFFERED)
    return;
  if (!g_str_equal (g_action_get_name (G_ACTION (action)), "accept-transfer"))
    ferry_session_transfer_decline (transfer);
  /* Someone using a friend's name: the transfer's row asks first. */
  else if (ferry_transfer_from_impostor (transfer, ferry_session_get_friends (self->session)))
    gtk_window_present (GTK_WINDOW (ferry_application_get_window (self)));
  else
    ferry_session_transfer_accept (transfer, NULL, 0);
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
ferry_application_preferences (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  FerryApplication *self = FERRY_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWindow *preferences;

  /* One preferences window at a time. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (FERRY_IS_PREFERENCES_WINDOW (l->data))
      {
        gtk_window_present (l->data);
        return;
      }

  preferences = GTK_WINDOW (ferry_preferences_window_new (parent, self->settings));
  gtk_window_set_application (preferences, GTK_APPLICATION (self));
  gtk_window_present (preferences);
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

  /* A window that stayed open asks first whether to stop the running transfers. */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (FERRY_IS_WINDOW (l->data))
      return;

  g_application_quit (G_APPLICATION (self));
}

static const GActionEntry app_entries[] = {
  { .name = "new-room", .activate = ferry_application_new_room },
  { .name = "accept-transfer", .activate = ferry_application_answer_offer, .parameter_type = "s" },
  { .name = "decline-transfer", .activate = ferry_application_answer_offer, .parameter_type = "s" },
  { .name = "preferences", .activate = ferry_application_preferences },
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
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "win.focus-join", { "<Control>l", NULL } },
    { "win.show-start", { "<Alt>Left", NULL } },
    { "win.send-files", { "<Control>o", NULL } },
    { "win.send-folder", { "<Shift><Control>o", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };
  FerryApplication *self = FERRY_APPLICATION (application);
  GAction *preferences;

  G_APPLICATION_CLASS (ferry_application_parent_class)->startup (application);

  ferry_application_load_settings (self);
  ferry_application_update_nearby (self);

  g_action_map_add_action_entries (G_ACTION_MAP (application), app_entries,
                                   G_N_ELEMENTS (app_entries), application);
  /* Nothing to edit without the schema. */
  preferences = g_action_map_lookup_action (G_ACTION_MAP (application), "preferences");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (preferences), self->settings != NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application), accels[i].action,
                                           accels[i].accels);

  gtk_window_set_default_icon_name (APP_ID);
}

/* Leaves the rooms, so that the others see us go, and stops the network thread. */
static void
ferry_application_shutdown (GApplication *application)
{
  FerryApplication *self = FERRY_APPLICATION (application);

  if (self->session != NULL)
    ferry_session_shutdown (self->session);

  G_APPLICATION_CLASS (ferry_application_parent_class)->shutdown (application);
}

static void
ferry_application_dispose (GObject *object)
{
  FerryApplication *self = FERRY_APPLICATION (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->recent_rooms);
  g_clear_object (&self->notifier);
  /* Disposing the session shuts it down when shutdown () did not run (no main loop). */
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_application_parent_class)->dispose (object);
}

static void
ferry_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FerryApplication *self = FERRY_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_application_class_init (FerryApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = ferry_application_dispose;
  object_class->get_property = ferry_application_get_property;
  app_class->shutdown = ferry_application_shutdown;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

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
