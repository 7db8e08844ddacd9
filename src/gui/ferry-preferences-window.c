/* ferry-preferences-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ferry-preferences-window.h"
#include "ferry-room-link.h"
#include "ferry-rtc-config.h"
#include "ferry-session.h"

typedef enum {
  SERVER_LIST_TRACKERS,
  SERVER_LIST_STUN,
  SERVER_LIST_TURN,
  N_SERVER_LISTS
} ServerListKind;

/* What differs between the three lists of servers. */
static const struct {
  const char *key;
  const char *type;          /* of the key */
  const char *row_name;      /* widget name, for the tests */
  const char *row_title;     /* of a tracker or STUN row; of a TURN row without an address */
  const char *remove_label;
} server_list_info[N_SERVER_LISTS] = {
  [SERVER_LIST_TRACKERS] = { "trackers", "as", "tracker-row",
                             N_("Tracker address"), N_("Remove Tracker") },
  [SERVER_LIST_STUN] = { "stun-servers", "as", "stun-server-row",
                         N_("STUN server address"), N_("Remove STUN Server") },
  [SERVER_LIST_TURN] = { "turn-servers", "a(sss)", "turn-server-row",
                         N_("New TURN Server"), N_("Remove TURN Server") },
};

/* One server of a list: a tracker or a STUN server is an entry row, a TURN server an expander
 * row holding its address, user name and password. */
typedef struct {
  GtkWidget   *row;
  GtkEditable *url;
  GtkEditable *username;    /* TURN only */
  GtkEditable *credential;  /* TURN only */
} ServerRow;

typedef struct {
  FerryPreferencesWindow *window;
  ServerListKind          kind;
  AdwPreferencesGroup    *group;  /* template child */
  GPtrArray              *rows;   /* (element-type ServerRow): in the order of the group */
} ServerList;

struct _FerryPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  AdwPreferencesGroup  *display_name_group;
  AdwEntryRow          *display_name_row;
  AdwActionRow         *download_folder_row;
  GtkButton            *download_folder_reset_button;
  AdwActionRow         *relay_only_row;
  GtkSwitch            *relay_only_switch;
  GtkSwitch            *nearby_visible_switch;
  GtkSwitch            *dht_enabled_switch;

  ServerList            server_lists[N_SERVER_LISTS];

  /* Owned references */
  GSettings            *settings;
  GtkFileChooserNative *folder_chooser;  /* while it is open */
};

G_DEFINE_FINAL_TYPE (FerryPreferencesWindow, ferry_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Servers */

/* ferry_session_rtc_config_new () takes STUN and TURN servers in either list; the window keeps
 * each kind in its own. */
static gboolean
check_ice_server (FerryIceServerKind   kind,
                  const char          *url,
                  const char          *username,
                  const char          *credential,
                  GError             **error)
{
  g_autoptr(FerryRtcConfig) scratch = ferry_rtc_config_new ();
  const char *scheme = g_uri_peek_scheme (url);

  if (kind == FERRY_ICE_SERVER_STUN && g_strcmp0 (scheme, "turn") == 0)
    {
      g_set_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_INVALID_URL,
                   _("“%s” is a TURN server: add it under TURN Servers"), url);
      return FALSE;
    }
  if (kind == FERRY_ICE_SERVER_TURN && g_strcmp0 (scheme, "stun") == 0)
    {
      g_set_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_INVALID_URL,
                   _("“%s” is a STUN server: add it under STUN Servers"), url);
      return FALSE;
    }

  return ferry_rtc_config_add_ice_server (scratch, url, username, credential, error);
}

/* Checks @row with the core's own parsers.  Returns the server to save (floating, of the type of
 * an element of the key), or %NULL: for an empty row, and with @error set for an invalid one. */
static GVariant *
server_row_check (ServerListKind   kind,
                  ServerRow       *row,
                  GError         **error)
{
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (row->url)));

  switch (kind)
    {
    case SERVER_LIST_TRACKERS:
      {
        g_autoptr(FerryRoomLink) scratch = NULL;

        if (*url == '\0')
          return NULL;
        scratch = ferry_room_link_new_plain ("preferences", NULL);
        if (!ferry_room_link_add_tracker (scratch, url, error))
          return NULL;
        return g_variant_new_string (url);
      }

    case SERVER_LIST_STUN:
      if (*url == '\0' || !check_ice_server (FERRY_ICE_SERVER_STUN, url, NULL, NULL, error))
        return NULL;
      return g_variant_new_string (url);

    case SERVER_LIST_TURN:
      {
        const char *username = gtk_editable_get_text (row->username);
        const char *credential = gtk_editable_get_text (row->credential);

        if (*url == '\0' && *username == '\0' && *credential == '\0')
          return NULL;
        /* Empty means missing, as ferry_session_rtc_config_new () reads the key. */
        if (!check_ice_server (FERRY_ICE_SERVER_TURN, url,
                               *username != '\0' ? username : NULL,
                               *credential != '\0' ? credential : NULL, error))
          return NULL;
        return g_variant_new ("(sss)", url, username, credential);
      }

    default:
      g_assert_not_reached ();
    }
}

/* Marks @row invalid, saying why, or valid for a %NULL @error. */
static void
server_row_update (ServerRow    *row,
                   const GError *error)
{
  if (error != NULL)
    {
      gtk_widget_add_css_class (row->row, "error");
      gtk_widget_set_tooltip_text (row->row, error->message);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row->row),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, error->message,
                                      -1);
    }
  else
    {
      gtk_widget_remove_css_class (row->row, "error");
      gtk_widget_set_tooltip_text (row->row, NULL);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (row->row),
                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }

  /* A TURN row shows its address when collapsed, and the reason under it. */
  if (ADW_IS_EXPANDER_ROW (row->row))
    {
      const char *url = gtk_editable_get_text (row->url);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->row),
                                     *url != '\0' ? url : _(server_list_info[SERVER_LIST_TURN].row_title));
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row->row),
                                     error != NULL ? error->message : "");
    }
}

/* Checks every row and marks the invalid ones.  Returns the valid servers, in order, as the
 * value of the list's key (a full reference). */
static GVariant *
server_list_check (ServerList *list)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE (server_list_info[list->kind].type));
  for (guint i = 0; i < list->rows->len; i++)
    {
      ServerRow *row = g_ptr_array_index (list->rows, i);
      g_autoptr(GError) error = NULL;
      GVariant *server = server_row_check (list->kind, row, &error);

      if (server != NULL)
        g_variant_builder_add_value (&builder, server);
      server_row_update (row, error);
    }

  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* Saves the valid servers as they are typed; invalid ones are left out. */
static void
server_list_save (ServerList *list)
{
  GSettings *settings = list->window->settings;
  const char *key = server_list_info[list->kind].key;
  g_autoptr(GVariant) servers = server_list_check (list);
  g_autoptr(GVariant) saved = g_settings_get_value (settings, key);

  if (!g_variant_equal (servers, saved))
    g_settings_set_value (settings, key, servers);
}

static void
server_remove_clicked_cb (ServerList *list,
                          GtkWidget  *button)
{
  for (guint i = 0; i < list->rows->len; i++)
    {
      ServerRow *row = g_ptr_array_index (list->rows, i);

      if (gtk_widget_is_ancestor (button, row->row))
        {
          adw_preferences_group_remove (list->group, row->row);
          g_ptr_array_remove_index (list->rows, i);
          server_list_save (list);
          return;
        }
    }
}

static GtkWidget *
server_remove_button_new (ServerList *list)
{
  const char *label = _(server_list_info[list->kind].remove_label);
  GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");

  gtk_widget_set_name (button, "remove-server");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (server_remove_clicked_cb), list);

  return button;
}

/* An entry of a server row (an AdwEntryRow of @type), checked and saved as it is typed. */
static GtkEditable *
server_entry_new (ServerList *list,
                  GType       type,
                  const char *name,
                  const char *title,
                  const char *text)
{
  GtkEditable *entry = g_object_new (type,
                                     "name", name,
                                     "title", title,
                                     "input-hints", GTK_INPUT_HINT_NO_SPELLCHECK,
                                     NULL);

  gtk_editable_set_text (entry, text);
  g_signal_connect_swapped (entry, "changed", G_CALLBACK (server_list_save), list);

  return entry;
}

/* Adds a row for @server (of the type of an element of the key), or an empty one for %NULL. */
static ServerRow *
server_list_add (ServerList *list,
                 GVariant   *server)
{
  const char *name = server_list_info[list->kind].row_name;
  const char *url = "", *username = "", *credential = "";
  ServerRow *row = g_new0 (ServerRow, 1);
  g_autoptr(GVariant) checked = NULL;
  g_autoptr(GError) error = NULL;

  if (server != NULL && list->kind == SERVER_LIST_TURN)
    g_variant_get (server, "(&s&s&s)", &url, &username, &credential);
  else if (server != NULL)
    url = g_variant_get_string (server, NULL);

  if (list->kind == SERVER_LIST_TURN)
    {
      AdwExpanderRow *expander = ADW_EXPANDER_ROW (adw_expander_row_new ());

      row->row = GTK_WIDGET (expander);
      gtk_widget_set_name (row->row, name);
      /* The title is the address as typed. */
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (expander), FALSE);
      row->url = server_entry_new (list, ADW_TYPE_ENTRY_ROW, "turn-url", _("Address"), url);
      row->username = server_entry_new (list, ADW_TYPE_ENTRY_ROW, "turn-username",
                                        _("User name"), username);
      row->credential = server_entry_new (list, ADW_TYPE_PASSWORD_ENTRY_ROW, "turn-credential",
                                          _("Password"), credential);
      adw_expander_row_add_row (expander, GTK_WIDGET (row->url));
      adw_expander_row_add_row (expander, GTK_WIDGET (row->username));
      adw_expander_row_add_row (expander, GTK_WIDGET (row->credential));
      adw_expander_row_add_action (expander, server_remove_button_new (list));
      adw_expander_row_set_expanded (expander, server == NULL);
    }
  else
    {
      row->url = server_entry_new (list, ADW_TYPE_ENTRY_ROW, name,
                                   _(server_list_info[list->kind].row_title), url);
      row->row = GTK_WIDGET (row->url);
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row->row), server_remove_button_new (list));
    }

  adw_preferences_group_add (list->group, row->row);
  g_ptr_array_add (list->rows, row);

  checked = server_row_check (list->kind, row, &error);
  server_row_update (row, error);

  return row;
}

static void
server_list_add_empty (ServerList *list)
{
  ServerRow *row = server_list_add (list, NULL);

  gtk_widget_grab_focus (GTK_WIDGET (row->url));
}

static void
add_tracker_clicked_cb (FerryPreferencesWindow *self)
{
  server_list_add_empty (&self->server_lists[SERVER_LIST_TRACKERS]);
}

static void
add_stun_server_clicked_cb (FerryPreferencesWindow *self)
{
  server_list_add_empty (&self->server_lists[SERVER_LIST_STUN]);
}

static void
add_turn_server_clicked_cb (FerryPreferencesWindow *self)
{
  server_list_add_empty (&self->server_lists[SERVER_LIST_TURN]);
}

/* Rebuilds the rows from the key when it changed elsewhere (or was reset).  The window's own
 * writes come back here too: the rows already hold them. */
static void
server_list_settings_changed_cb (ServerList *list)
{
  const char *key = server_list_info[list->kind].key;
  g_autoptr(GVariant) servers = server_list_check (list);
  g_autoptr(GVariant) saved = g_settings_get_value (list->window->settings, key);
  GVariantIter iter;
  GVariant *server;

  if (g_variant_equal (servers, saved))
    return;

  while (list->rows->len > 0)
    {
      ServerRow *row = g_ptr_array_index (list->rows, list->rows->len - 1);

      adw_preferences_group_remove (list->group, row->row);
      g_ptr_array_remove_index (list->rows, list->rows->len - 1);
    }

  g_variant_iter_init (&iter, saved);
  while ((server = g_variant_iter_next_value (&iter)) != NULL)
    {
      server_list_add (list, server);
      g_variant_unref (server);
    }
}

/* Relay-only */

static void
relay_only_update (FerryPreferencesWindow *self)
{
  g_autoptr(GVariant) turn_servers = g_settings_get_value (self->settings, "turn-servers");
  gboolean have_turn = g_variant_n_children (turn_servers) > 0;
  gboolean relay_only = g_settings_get_boolean (self->settings, "relay-only");
  const char *subtitle;

  if (have_turn)
    subtitle = _("Connect only through your TURN server, so that the others never learn your IP "
                 "address. Connections may be slower.");
  else if (relay_only)
    subtitle = _("This needs a TURN server: no room can be joined until you add one below or "
                 "turn this off.");
  else
    subtitle = _("Connect only through a TURN server, so that the others never learn your IP "
                 "address. This needs a TURN server: add one below first.");

  /* Once on, it can always be turned off. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->relay_only_row), have_turn || relay_only);
  adw_action_row_set_subtitle (self->relay_only_row, subtitle);
}

/* Download folder */

static GFile *
get_download_folder (FerryPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "download-folder");

  if (*path == '\0')
    return ferry_session_get_default_download_folder ();

  return g_file_new_for_path (path);
}

static void
download_folder_update (FerryPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "download-folder");
  g_autoptr(GFile) folder = get_download_folder (self);
  g_autofree char *name = g_file_get_parse_name (folder);

  adw_action_row_set_subtitle (self->download_folder_row, name);
  gtk_widget_set_visible (GTK_WIDGET (self->download_folder_reset_button), *path != '\0');
}

static void
folder_chooser_response_cb (FerryPreferencesWindow *self,
                            int                     response)
{
  g_autoptr(GFile) folder = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (self->folder_chooser));
  g_clear_object (&self->folder_chooser);
  if (folder == NULL)
    return;

  path = g_file_get_path (folder);
  if (path == NULL)
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (_("Choose a folder on this computer")));
      return;
    }

  g_settings_set_string (self->settings, "download-folder", path);
}

static void
download_folder_choose_clicked_cb (FerryPreferencesWindow *self)
{
  g_autoptr(GFile) folder = get_download_folder (self);

  if (self->folder_chooser != NULL)
    return;

  self->folder_chooser = gtk_file_chooser_native_new (_("Download Folder"), GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                      _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->folder_chooser), TRUE);
  /* A folder that is gone leaves the chooser where it opens by default. */
  gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->folder_chooser), folder, NULL);
  g_signal_connect_swapped (self->folder_chooser, "response",
                            G_CALLBACK (folder_chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->folder_chooser));
}

static void
download_folder_reset_clicked_cb (FerryPreferencesWindow *self)
{
  g_settings_reset (self->settings, "download-folder");
}

/* GObject */

static void
ferry_preferences_window_constructed (GObject *object)
{
  FerryPreferencesWindow *self = FERRY_PREFERENCES_WINDOW (object);
  g_autofree char *name_description = NULL;

  G_OBJECT_CLASS (ferry_preferences_window_parent_class)->constructed (object);

  /* The room takes g_get_real_name () for an empty name. */
  name_description = g_markup_printf_escaped (_("Others see this name in the rooms you join from "
                                                "now on. Leave it empty to use your name on this "
                                                "computer, “%s”."),
                                              g_get_real_name ());
  adw_preferences_group_set_description (self->display_name_group, name_description);
  g_settings_bind (self->settings, "display-name", self->display_name_row, "text",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_swapped (self->settings, "changed::download-folder",
                            G_CALLBACK (download_folder_update), self);
  download_folder_update (self);

  g_settings_bind (self->settings, "relay-only", self->relay_only_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_swapped (self->settings, "changed::relay-only",
                            G_CALLBACK (relay_only_update), self);
  g_signal_connect_swapped (self->settings, "changed::turn-servers",
                            G_CALLBACK (relay_only_update), self);
  relay_only_update (self);

  g_settings_bind (self->settings, "nearby-visible", self->nearby_visible_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "dht-enabled", self->dht_enabled_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);

  for (guint i = 0; i < N_SERVER_LISTS; i++)
    {
      ServerList *list = &self->server_lists[i];
      g_autofree char *signal = g_strconcat ("changed::", server_list_info[i].key, NULL);

      g_signal_connect_swapped (self->settings, signal,
                                G_CALLBACK (server_list_settings_changed_cb), list);
      server_list_settings_changed_cb (list);
    }
}

static void
ferry_preferences_window_dispose (GObject *object)
{
  FerryPreferencesWindow *self = FERRY_PREFERENCES_WINDOW (object);

  if (self->settings != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->settings, self);
      for (guint i = 0; i < N_SERVER_LISTS; i++)
        g_signal_handlers_disconnect_by_data (self->settings, &self->server_lists[i]);
    }
  if (self->folder_chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->folder_chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->folder_chooser));
      g_clear_object (&self->folder_chooser);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ferry_preferences_window_parent_class)->dispose (object);
}

static void
ferry_preferences_window_finalize (GObject *object)
{
  FerryPreferencesWindow *self = FERRY_PREFERENCES_WINDOW (object);

  for (guint i = 0; i < N_SERVER_LISTS; i++)
    g_ptr_array_unref (self->server_lists[i].rows);

  G_OBJECT_CLASS (ferry_preferences_window_parent_class)->finalize (object);
}

static void
ferry_preferences_window_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  FerryPreferencesWindow *self = FERRY_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_preferences_window_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  FerryPreferencesWindow *self = FERRY_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_preferences_window_class_init (FerryPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ferry_preferences_window_constructed;
  object_class->dispose = ferry_preferences_window_dispose;
  object_class->finalize = ferry_preferences_window_finalize;
  object_class->get_property = ferry_preferences_window_get_property;
  object_class->set_property = ferry_preferences_window_set_property;

  properties[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                                                   G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                   G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, display_name_group);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, download_folder_row);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow,
                                        download_folder_reset_button);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, relay_only_row);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, relay_only_switch);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, nearby_visible_switch);
  gtk_widget_class_bind_template_child (widget_class, FerryPreferencesWindow, dht_enabled_switch);
  /* The groups of the server lists go straight into their ServerList. */
  gtk_widget_class_bind_template_child_full (widget_class, "tracker_group", FALSE,
                                             G_STRUCT_OFFSET (FerryPreferencesWindow,
                                                              server_lists[SERVER_LIST_TRACKERS].group));
  gtk_widget_class_bind_template_child_full (widget_class, "stun_group", FALSE,
                                             G_STRUCT_OFFSET (FerryPreferencesWindow,
                                                              server_lists[SERVER_LIST_STUN].group));
  gtk_widget_class_bind_template_child_full (widget_class, "turn_group", FALSE,
                                             G_STRUCT_OFFSET (FerryPreferencesWindow,
                                                              server_lists[SERVER_LIST_TURN].group));
  gtk_widget_class_bind_template_callback (widget_class, download_folder_choose_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, download_folder_reset_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_tracker_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_stun_server_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_turn_server_clicked_cb);
}

static void
ferry_preferences_window_init (FerryPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < N_SERVER_LISTS; i++)
    {
      self->server_lists[i].window = self;
      self->server_lists[i].kind = i;
      self->server_lists[i].rows = g_ptr_array_new_with_free_func (g_free);
    }
}

FerryPreferencesWindow *
ferry_preferences_window_new (GtkWindow *parent,
                              GSettings *settings)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (FERRY_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "settings", settings,
                       NULL);
}
