/* ferry-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-application.h"
#include "ferry-crypto.h"
#include "ferry-nearby-window.h"
#include "ferry-pairing-code.h"
#include "ferry-pairing-window.h"
#include "ferry-room-page.h"
#include "ferry-webdrop.h"
#include "ferry-window.h"

struct _FerryWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  GtkButton            *back_button;
  AdwWindowTitle       *window_title;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  GtkWidget            *start_page;
  GtkWidget            *open_rooms_group;
  GtkListBox           *open_rooms_list;
  AdwEntryRow          *join_entry;
  GtkLabel             *join_hint;
  GtkSpinner           *nearby_spinner;
  GtkWidget            *recent_rooms_group;
  GtkListBox           *recent_rooms_list;
  FerryRoomPage        *room_page;

  /* The join entry holds a room name or link; win.join-room is enabled */
  gboolean              can_join;
  /* Hidden until the transfers finish, holding the application */
  gboolean              in_background;
  /* The user chose to stop the transfers: close without asking again */
  gboolean              stop_transfers;

  /* Owned references; NULL when the schema is not installed (running uninstalled) */
  GSettings            *settings;
  /* The session's rooms (FerrySessionRoom), once this window joined one */
  GListModel           *rooms;
  /* The recent rooms (FerryRoomLink) that are not open */
  GtkFilterListModel   *recent_rooms;
  /* Weak: asks whether to stop the transfers, while open */
  GtkWindow            *close_dialog;
  /* Weak: "Connect Directly", while open */
  GtkWindow            *pairing_window;
  /* Weak: "Nearby Devices", while open */
  GtkWindow            *nearby_window;
};

G_DEFINE_FINAL_TYPE (FerryWindow, ferry_window, ADW_TYPE_APPLICATION_WINDOW)

static FerryApplication *
ferry_window_get_application (FerryWindow *self)
{
  return FERRY_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static void
ferry_window_update_header (FerryWindow *self)
{
  gboolean in_room = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "room") == 0;

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), in_room);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send-files", in_room);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send-folder", in_room);
  adw_window_title_set_title (self->window_title,
                              in_room ? ferry_room_page_get_title (self->room_page)
                                      : gtk_window_get_title (GTK_WINDOW (self)));
}

/* Under the join entry: why the input cannot be joined, or, for a public room, what joining it
 * means; hidden with %NULL. */
static void
ferry_window_set_join_hint (FerryWindow *self,
                            const char  *hint,
                            gboolean     is_error)
{
  gtk_label_set_text (self->join_hint, hint != NULL ? hint : "");
  gtk_widget_set_visible (GTK_WIDGET (self->join_hint), hint != NULL);
  if (is_error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->join_hint), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->join_hint), "dim-label");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->join_hint), "dim-label");
      gtk_widget_remove_css_class (GTK_WIDGET (self->join_hint), "error");
    }
}

/* The join entry is validated on every keystroke, so by the time the user presses Join the
 * answer is already on screen; the action stays disabled until the input parses. */
static void
join_entry_changed_cb (FerryWindow *self)
{
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->join_entry))));
  if (ferry_pairing_code_is_link (text))
    {
      g_autoptr(FerryPairingCode) code = ferry_pairing_code_parse (text, g_get_real_time () / G_USEC_PER_SEC,
                                                                   &error);

      if (code != NULL && code->reply)
        ferry_window_set_join_hint (self, _("This is a reply code: enter it in Connect Directly on "
                                            "the computer that made the pairing code."), TRUE);
      else if (code != NULL)
        ferry_window_set_join_hint (self, _("A pairing code: connects straight to the computer "
                                            "that made it, without any server."), FALSE);
      else
        ferry_window_set_join_hint (self, error->message, TRUE);
      ferry_memzero (text, strlen (text));
      if (code != NULL && !code->reply)
        gtk_widget_remove_css_class (GTK_WIDGET (self->join_entry), "error");
      else
        gtk_widget_add_css_class (GTK_WIDGET (self->join_entry), "error");
      self->can_join = code != NULL && !code->reply;
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", self->can_join);
      return;
    }
  if (ferry_webdrop_is_nearby (text))
    {
      ferry_window_set_join_hint (self, _("WebDrop’s room for this network: found through your "
                                          "STUN server, which sees your public address."), FALSE);
      gtk_widget_remove_css_class (GTK_WIDGET (self->join_entry), "error");
      self->can_join = TRUE;
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", TRUE);
      return;
    }
  if (*text != '\0')
    link = ferry_room_link_parse_user_input (text, &error);

  if (error != NULL)
    ferry_window_set_join_hint (self, error->message, TRUE);
  else if (link != NULL && ferry_room_link_get_kind (link) == FERRY_ROOM_KIND_PLAIN)
    ferry_window_set_join_hint (self,
                                _("Public room: anyone who guesses its name can join, and "
                                  "everyone in it can see your network address."),
                                FALSE);
  else
    ferry_window_set_join_hint (self, NULL, FALSE);
  if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->join_entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->join_entry), "error");

  self->can_join = link != NULL;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-room", self->can_join);
}

static void
join_entry_activated_cb (FerryWindow *self)
{
  /* The reason is already shown under the entry; the bell says Enter was heard. */
  if (!self->can_join)
    {
      gtk_widget_error_bell (GTK_WIDGET (self->join_entry));
      return;
    }

  gtk_widget_activate_action (GTK_WIDGET (self), "win.join-room", NULL);
}

static void
stack_visible_child_changed_cb (FerryWindow *self)
{
  ferry_window_update_header (self);
}

static void
room_title_changed_cb (FerryWindow *self)
{
  ferry_window_update_header (self);
}

/* Rooms */

static void
ferry_window_show_room (FerryWindow      *self,
                        FerrySessionRoom *room)
{
  ferry_room_page_set_room (self->room_page, room);
  gtk_stack_set_visible_child_name (self->stack, "room");
  ferry_window_update_header (self);
}

/* Whether the room of @link is one of the session's rooms. */
static gboolean
ferry_window_is_room_open (FerryWindow   *self,
                           FerryRoomLink *link)
{
  guint8 wanted[FERRY_INFO_HASH_LEN];
  guint n;

  if (self->rooms == NULL)
    return FALSE;

  ferry_room_link_get_info_hash (link, wanted);
  n = g_list_model_get_n_items (self->rooms);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionRoom) room = g_list_model_get_item (self->rooms, i);
      guint8 hash[FERRY_INFO_HASH_LEN];

      ferry_room_link_get_info_hash (ferry_session_room_get_link (room), hash);
      if (memcmp (hash, wanted, sizeof hash) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A room listed as open is not listed again as a recent one. */
static gboolean
recent_room_filter_func (gpointer item,
                         gpointer user_data)
{
  return !ferry_window_is_room_open (user_data, item);
}

static void
ferry_window_update_room_groups (FerryWindow *self)
{
  gboolean any_open = self->rooms != NULL && g_list_model_get_n_items (self->rooms) > 0;
  gboolean any_recent = g_list_model_get_n_items (G_LIST_MODEL (self->recent_rooms)) > 0;

  gtk_widget_set_visible (self->open_rooms_group, any_open);
  gtk_widget_set_visible (self->recent_rooms_group, any_recent);
  /* The welcome makes room for the rooms. */
  if (any_open || any_recent)
    gtk_widget_add_css_class (self->start_page, "compact");
  else
    gtk_widget_remove_css_class (self->start_page, "compact");
}

static void
rooms_changed_cb (FerryWindow *self)
{
  gtk_filter_changed (gtk_filter_list_model_get_filter (self->recent_rooms),
                      GTK_FILTER_CHANGE_DIFFERENT);
  ferry_window_update_room_groups (self);
}

/* A row of the start page's lists of rooms: the room's name, never its link. */
static GtkWidget *
room_row_new (FerryRoomLink *link,
              const char    *name)
{
  GtkWidget *row = adw_action_row_new ();

  gtk_widget_set_name (row, name);
  /* Anyone can write a link with any name in it. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 ferry_room_link_get_display_name (link));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  return row;
}

static void
update_open_room_row (AdwActionRow *row,
                      guint         position,
                      guint         removed,
                      guint         added,
                      GListModel   *peers)
{
  guint n = g_list_model_get_n_items (peers);
  g_autofree char *subtitle = NULL;

  if (n == 0)
    subtitle = g_strdup (_("Nobody else is here yet"));
  else
    subtitle = g_strdup_printf (ngettext ("%u person connected", "%u people connected", n), n);
  adw_action_row_set_subtitle (row, subtitle);
}

static GtkWidget *
create_open_room_row (gpointer item,
                      gpointer user_data)
{
  FerrySessionRoom *room = item;
  GListModel *peers = ferry_session_room_get_peers (room);
  GtkWidget *row = room_row_new (ferry_session_room_get_link (room), "open-room-row");

  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name ("go-next-symbolic"));
  update_open_room_row (ADW_ACTION_ROW (row), 0, 0, 0, peers);
  g_signal_connect_object (peers, "items-changed", G_CALLBACK (update_open_room_row), row,
                           G_CONNECT_SWAPPED);
  return row;
}

static void
open_room_activated_cb (FerryWindow   *self,
                        GtkListBoxRow *row)
{
  g_autoptr(FerrySessionRoom) room = NULL;

  room = g_list_model_get_item (self->rooms, gtk_list_box_row_get_index (row));
  ferry_window_show_room (self, room);
}

static void
forget_room_clicked_cb (GtkWidget     *button,
                        FerryRoomLink *link)
{
  FerryWindow *self = FERRY_WINDOW (gtk_widget_get_root (button));
  FerryRecentRooms *recent_rooms;
  /* The row and its button go with the link. */
  g_autoptr(FerryRoomLink) forgotten = g_object_ref (link);
  g_autoptr(GError) error = NULL;

  recent_rooms = ferry_application_get_recent_rooms (ferry_window_get_application (self));
  if (!ferry_recent_rooms_remove (recent_rooms, forgotten, &error))
    ferry_window_show_toast (self, error->message);
}

static GtkWidget *
create_recent_room_row (gpointer item,
                        gpointer user_data)
{
  FerryRoomLink *link = item;
  GtkWidget *row = room_row_new (link, "recent-room-row");
  GtkWidget *forget = gtk_button_new_from_icon_name ("user-trash-symbolic");

  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               ferry_room_link_get_kind (link) == FERRY_ROOM_KIND_SECRET
                               ? _("Private room") : _("Public room"));

  gtk_widget_set_name (forget, "forget-room");
  gtk_widget_set_valign (forget, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (forget, _("Forget Room"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (forget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Forget Room"), -1);
  gtk_widget_add_css_class (forget, "flat");
  g_signal_connect_object (forget, "clicked", G_CALLBACK (forget_room_clicked_cb), link, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), forget);
  return row;
}

static void
recent_room_activated_cb (FerryWindow   *self,
                          GtkListBoxRow *row)
{
  g_autoptr(FerryRoomLink) link = NULL;

  link = g_list_model_get_item (G_LIST_MODEL (self->recent_rooms),
                                gtk_list_box_row_get_index (row));
  ferry_window_open_room (self, link);
}

/* The session starts with the first room joined: from then on the start page lists its rooms,
 * and the room page its transfers. */
static void
ferry_window_set_session (FerryWindow  *self,
                          FerrySession *session)
{
  if (self->rooms != NULL)
    return;

  self->rooms = g_object_ref (ferry_session_get_rooms (session));
  gtk_list_box_bind_model (self->open_rooms_list, self->rooms, create_open_room_row, NULL, NULL);
  g_signal_connect_swapped (self->rooms, "items-changed", G_CALLBACK (rooms_changed_cb), self);
  ferry_room_page_set_transfers (self->room_page, ferry_session_get_transfers (session));
  rooms_changed_cb (self);
}

/* The recent rooms of the application, from its start on. */
static void
ferry_window_list_recent_rooms (FerryWindow *self)
{
  FerryRecentRooms *recent_rooms;
  GtkCustomFilter *filter;

  recent_rooms = ferry_application_get_recent_rooms (ferry_window_get_application (self));
  filter = gtk_custom_filter_new (recent_room_filter_func, self, NULL);
  self->recent_rooms =
    gtk_filter_list_model_new (g_object_ref (ferry_recent_rooms_get_links (recent_rooms)),
                               GTK_FILTER (filter));
  gtk_list_box_bind_model (self->recent_rooms_list, G_LIST_MODEL (self->recent_rooms),
                           create_recent_room_row, NULL, NULL);
  g_signal_connect_swapped (self->recent_rooms, "items-changed",
                            G_CALLBACK (ferry_window_update_room_groups), self);
  ferry_window_update_room_groups (self);
}

/* WebDrop's same-network room: the STUN server says which one. */
static void
webdrop_nearby_found_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(FerryWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_session_find_webdrop_nearby_finish (FERRY_SESSION (source), result, &error);

  gtk_spinner_stop (self->nearby_spinner);
  gtk_widget_set_visible (GTK_WIDGET (self->nearby_spinner), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.join-webdrop-nearby", TRUE);
  if (link == NULL)
    {
      ferry_window_set_join_hint (self, error->message, TRUE);
      return;
    }
  ferry_window_set_join_hint (self, NULL, FALSE);
  ferry_window_open_room (self, link);
}

static void
ferry_window_join_webdrop_nearby (GtkWidget  *widget,
                                  const char *action_name,
                                  GVariant   *parameter)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  FerrySession *session = ferry_application_get_session (ferry_window_get_application (self));

  gtk_widget_action_set_enabled (widget, "win.join-webdrop-nearby", FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->nearby_spinner), TRUE);
  gtk_spinner_start (self->nearby_spinner);
  ferry_session_find_webdrop_nearby_async (session, NULL, webdrop_nearby_found_cb, g_object_ref (self));
}

static void
ferry_window_join_room (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;
  const char *text;

  text = gtk_editable_get_text (GTK_EDITABLE (self->join_entry));
  if (ferry_pairing_code_is_link (text))
    {
      g_autofree char *code = g_strdup (text);

      /* It holds a secret, as a secret room's link does. */
      gtk_editable_set_text (GTK_EDITABLE (self->join_entry), "");
      ferry_window_connect_directly (self, code);
      ferry_memzero (code, strlen (code));
      return;
    }
  if (ferry_webdrop_is_nearby (text))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->join_entry), "");
      gtk_widget_activate_action (widget, "win.join-webdrop-nearby", NULL);
      return;
    }
  link = ferry_room_link_parse_user_input (text, &error);
  if (link == NULL)
    {
      /* Only reachable through a stale enabled state; show the reason rather than nothing. */
      ferry_window_set_join_hint (self, error->message, TRUE);
      return;
    }

  ferry_window_open_room (self, link);
  /* The entry may hold a secret; don't leave it lying around on the start page. */
  gtk_editable_set_text (GTK_EDITABLE (self->join_entry), "");
}

static void
ferry_window_connect_directly_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  ferry_window_connect_directly (FERRY_WINDOW (widget), NULL);
}

/* "Nearby Devices": the session's nearby devices, this computer visible while it is open. */
static void
ferry_window_nearby_devices (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  FerryWindow *self = FERRY_WINDOW (widget);
  FerrySession *session;
  FerryNearbyWindow *nearby_window;

  if (self->nearby_window != NULL)
    {
      gtk_window_present (self->nearby_window);
      return;
    }

  session = ferry_application_get_session (ferry_window_get_application (self));
  /* The direct rooms join the session's rooms, which the start page lists from then on. */
  ferry_window_set_session (self, session);
  nearby_window = ferry_nearby_window_new (GTK_WINDOW (self), session);
  g_set_weak_pointer (&self->nearby_window, GTK_WINDOW (nearby_window));
  gtk_window_present (GTK_WINDOW (nearby_window));
}

static void
ferry_window_focus_join (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->stack, "start");
  gtk_widget_grab_focus (GTK_WIDGET (self->join_entry));
}

static void
ferry_window_show_start (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  gtk_stack_set_visible_child_name (self->stack, "start");
}

/* Ctrl+O and Shift+Ctrl+O reach the room page's actions from wherever the focus is. */
static void
ferry_window_send_files (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FerryWindow *self = FERRY_WINDOW (widget);

  gtk_widget_activate_action (GTK_WIDGET (self->room_page),
                              g_str_equal (action_name, "win.send-folder") ? "room.send-folder"
                                                                           : "room.send-files",
                              NULL);
}

static void
ferry_window_load_state (FerryWindow *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_debug ("Schema %s is not installed; the window size will not be remembered", APP_ID);
      return;
    }

  self->settings = g_settings_new (APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* Closing while transfers run */

static void busy_changed_cb (FerryWindow *self);

static void
ferry_window_leave_background (FerryWindow *self)
{
  FerryApplication *application = ferry_window_get_application (self);

  if (!self->in_background)
    return;

  self->in_background = FALSE;
  g_signal_handlers_disconnect_by_func (application, busy_changed_cb, self);
  g_application_release (G_APPLICATION (application));
}

static void
busy_changed_cb (FerryWindow *self)
{
  FerryApplication *application = ferry_window_get_application (self);

  if (ferry_application_get_busy (application))
    return;

  /* The last transfer ended while the window was hidden. */
  ferry_window_leave_background (self);
  g_action_group_activate_action (G_ACTION_GROUP (application), "quit", NULL);
}

/* Hides the window; the application goes on until the transfers end or the window is shown
 * again. */
static void
ferry_window_keep_in_background (FerryWindow *self)
{
  FerryApplication *application = ferry_window_get_application (self);

  self->in_background = TRUE;
  g_application_hold (G_APPLICATION (application));
  g_signal_connect_swapped (application, "notify::busy", G_CALLBACK (busy_changed_cb), self);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  /* They may have ended while the dialog was open. */
  busy_changed_cb (self);
}

static void
close_dialog_response_cb (FerryWindow *self,
                          const char  *response)
{
  if (g_str_equal (response, "stop"))
    {
      /* Quitting leaves the rooms, which stops the transfers. */
      self->stop_transfers = TRUE;
      g_action_group_activate_action (G_ACTION_GROUP (ferry_window_get_application (self)),
                                      "quit", NULL);
    }
  else if (g_str_equal (response, "background"))
    ferry_window_keep_in_background (self);
}

static void
ferry_window_ask_about_transfers (FerryWindow *self)
{
  AdwMessageDialog *dialog;

  if (self->close_dialog != NULL)
    {
      gtk_window_present (self->close_dialog);
      return;
    }

  dialog = ADW_MESSAGE_DIALOG (
    adw_message_dialog_new (GTK_WINDOW (self), _("Keep Transfers Running?"),
                            _("Files are still being sent or received. Ferry can finish them "
                              "in the background, then quit. Transfers stopped now go on the "
                              "next time you and the other person are in a room together.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "stop", _("_Stop Transfers"),
                                    "background", _("_Keep in Background"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "stop", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "background", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "background");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (close_dialog_response_cb), self,
                           G_CONNECT_SWAPPED);
  g_set_weak_pointer (&self->close_dialog, GTK_WINDOW (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
ferry_window_close_request (GtkWindow *window)
{
  FerryWindow *self = FERRY_WINDOW (window);

  /* Closing the window quits the app, and with it the transfers. */
  if (!self->stop_transfers && ferry_application_get_busy (ferry_window_get_application (self)))
    {
      ferry_window_ask_about_transfers (self);
      return TRUE;
    }

  if (self->settings != NULL)
    {
      int width, height;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_delay (self->settings);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
      g_settings_set_boolean (self->settings, "window-maximized",
                              gtk_window_is_maximized (window));
      g_settings_apply (self->settings);
    }

  return GTK_WINDOW_CLASS (ferry_window_parent_class)->close_request (window);
}

/* Shown again, say because the app was opened: the transfers no longer keep it running. */
static void
ferry_window_show (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ferry_window_parent_class)->show (widget);

  ferry_window_leave_background (FERRY_WINDOW (widget));
}

static void
ferry_window_dispose (GObject *object)
{
  FerryWindow *self = FERRY_WINDOW (object);

  ferry_window_leave_background (self);
  if (self->close_dialog != NULL)
    gtk_window_destroy (self->close_dialog);
  g_clear_weak_pointer (&self->close_dialog);
  if (self->pairing_window != NULL)
    gtk_window_destroy (self->pairing_window);
  g_clear_weak_pointer (&self->pairing_window);
  if (self->nearby_window != NULL)
    gtk_window_destroy (self->nearby_window);
  g_clear_weak_pointer (&self->nearby_window);
  if (self->rooms != NULL)
    g_signal_handlers_disconnect_by_data (self->rooms, self);
  if (self->recent_rooms != NULL)
    g_signal_handlers_disconnect_by_data (self->recent_rooms, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->rooms);
  g_clear_object (&self->recent_rooms);

  G_OBJECT_CLASS (ferry_window_parent_class)->dispose (object);
}

static void
ferry_window_class_init (FerryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ferry_window_dispose;
  widget_class->show = ferry_window_show;
  window_class->close_request = ferry_window_close_request;

  g_type_ensure (FERRY_TYPE_ROOM_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, start_page);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, open_rooms_group);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, open_rooms_list);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, join_entry);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, join_hint);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, nearby_spinner);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, recent_rooms_group);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, recent_rooms_list);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, room_page);
  gtk_widget_class_bind_template_callback (widget_class, open_room_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, recent_room_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, join_entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, join_entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, stack_visible_child_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, room_title_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.join-room", NULL, ferry_window_join_room);
  gtk_widget_class_install_action (widget_class, "win.join-webdrop-nearby", NULL, ferry_window_join_webdrop_nearby);
  gtk_widget_class_install_action (widget_class, "win.connect-directly", NULL,
                                   ferry_window_connect_directly_action);
  gtk_widget_class_install_action (widget_class, "win.nearby-devices", NULL,
                                   ferry_window_nearby_devices);
  gtk_widget_class_install_action (widget_class, "win.focus-join", NULL, ferry_window_focus_join);
  gtk_widget_class_install_action (widget_class, "win.show-start", NULL, ferry_window_show_start);
  gtk_widget_class_install_action (widget_class, "win.send-files", NULL, ferry_window_send_files);
  gtk_widget_class_install_action (widget_class, "win.send-folder", NULL, ferry_window_send_files);
}

static void
ferry_window_init (FerryWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  join_entry_changed_cb (self);
  ferry_window_update_header (self);
  ferry_window_load_state (self);
}

FerryWindow *
ferry_window_new (GtkApplication *application)
{
  FerryWindow *self;

  g_return_val_if_fail (FERRY_IS_APPLICATION (application), NULL);

  self = g_object_new (FERRY_TYPE_WINDOW, "application", application, NULL);
  ferry_window_list_recent_rooms (self);
  return self;
}

void
ferry_window_open_room (FerryWindow   *self,
                        FerryRoomLink *link)
{
  FerryApplication *application;
  FerrySession *session;
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (FERRY_IS_ROOM_LINK (link));

  application = ferry_window_get_application (self);
  session = ferry_application_get_session (application);
  ferry_window_set_session (self, session);
  room = ferry_session_join (session, link, &error);
  if (room == NULL)
    {
      ferry_window_show_toast (self, error->message);
      return;
    }

  if (!ferry_recent_rooms_add (ferry_application_get_recent_rooms (application),
                               ferry_session_room_get_link (room), &error))
    ferry_window_show_toast (self, error->message);
  ferry_window_show_room (self, room);
}

static void
pairing_connected_cb (FerryWindow      *self,
                      FerrySessionRoom *room)
{
  ferry_window_show_room (self, room);
  gtk_window_present (GTK_WINDOW (self));
}

void
ferry_window_show_direct_room (FerryWindow      *self,
                               FerrySessionRoom *room)
{
  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (FERRY_IS_SESSION_ROOM (room));

  ferry_window_set_session (self, ferry_application_get_session (ferry_window_get_application (self)));
  ferry_window_show_room (self, room);
  gtk_window_present (GTK_WINDOW (self));
}

void
ferry_window_connect_directly (FerryWindow *self,
                               const char  *code)
{
  FerrySession *session;
  FerryPairingWindow *pairing_window;

  g_return_if_fail (FERRY_IS_WINDOW (self));

  if (self->pairing_window != NULL)
    {
      if (code != NULL)
        ferry_pairing_window_enter_code (FERRY_PAIRING_WINDOW (self->pairing_window), code);
      gtk_window_present (self->pairing_window);
      return;
    }

  session = ferry_application_get_session (ferry_window_get_application (self));
  /* The direct room joins the session's rooms, which the start page lists from then on. */
  ferry_window_set_session (self, session);
  pairing_window = ferry_pairing_window_new (GTK_WINDOW (self), session, code);
  g_signal_connect_object (pairing_window, "connected", G_CALLBACK (pairing_connected_cb), self,
                           G_CONNECT_SWAPPED);
  g_set_weak_pointer (&self->pairing_window, GTK_WINDOW (pairing_window));
  gtk_window_present (GTK_WINDOW (pairing_window));
}

void
ferry_window_show_toast (FerryWindow *self,
                         const char  *message)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (message != NULL);

  /* Toast titles are markup in libadwaita 1.2; messages can hold anything (names, URLs). */
  escaped = g_markup_escape_text (message, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

void
ferry_window_show_link_error (FerryWindow  *self,
                              const GError *error)
{
  GtkWidget *dialog;

  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (error != NULL);

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Cannot Open Link"), error->message);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}
