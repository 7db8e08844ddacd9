/* ferry-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ferry-application.h"
#include "ferry-room-page.h"
#include "ferry-window.h"

struct _FerryWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  GtkButton            *back_button;
  AdwWindowTitle       *window_title;
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  AdwEntryRow          *join_entry;
  GtkLabel             *join_error;
  FerryRoomPage        *room_page;

  /* The join entry holds a room name or link; win.join-room is enabled */
  gboolean              can_join;

  /* Owned references; NULL when the schema is not installed (running uninstalled) */
  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (FerryWindow, ferry_window, ADW_TYPE_APPLICATION_WINDOW)

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

/* The join entry is validated on every keystroke, so by the time the user presses Join the
 * answer is already on screen; the action stays disabled until the input parses. */
static void
join_entry_changed_cb (FerryWindow *self)
{
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->join_entry))));
  if (*text != '\0')
    link = ferry_room_link_parse_user_input (text, &error);

  gtk_widget_set_visible (GTK_WIDGET (self->join_error), error != NULL);
  gtk_label_set_text (self->join_error, error != NULL ? error->message : "");
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
  link = ferry_room_link_parse_user_input (text, &error);
  if (link == NULL)
    {
      /* Only reachable through a stale enabled state; show the reason rather than nothing. */
      gtk_label_set_text (self->join_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->join_error), TRUE);
      return;
    }

  ferry_window_open_room (self, link);
  /* The entry may hold a secret; don't leave it lying around on the start page. */
  gtk_editable_set_text (GTK_EDITABLE (self->join_entry), "");
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

static gboolean
ferry_window_close_request (GtkWindow *window)
{
  FerryWindow *self = FERRY_WINDOW (window);

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

static void
ferry_window_dispose (GObject *object)
{
  FerryWindow *self = FERRY_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_WINDOW);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (ferry_window_parent_class)->dispose (object);
}

static void
ferry_window_class_init (FerryWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ferry_window_dispose;
  window_class->close_request = ferry_window_close_request;

  g_type_ensure (FERRY_TYPE_ROOM_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, join_entry);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, join_error);
  gtk_widget_class_bind_template_child (widget_class, FerryWindow, room_page);
  gtk_widget_class_bind_template_callback (widget_class, join_entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, join_entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, stack_visible_child_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, room_title_changed_cb);

  gtk_widget_class_install_action (widget_class, "win.join-room", NULL, ferry_window_join_room);
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
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);

  return g_object_new (FERRY_TYPE_WINDOW, "application", application, NULL);
}

void
ferry_window_open_room (FerryWindow   *self,
                        FerryRoomLink *link)
{
  GtkApplication *application;
  FerrySession *session;
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (FERRY_IS_WINDOW (self));
  g_return_if_fail (FERRY_IS_ROOM_LINK (link));

  application = gtk_window_get_application (GTK_WINDOW (self));
  g_return_if_fail (FERRY_IS_APPLICATION (application));

  session = ferry_application_get_session (FERRY_APPLICATION (application));
  room = ferry_session_join (session, link, &error);
  if (room == NULL)
    {
      ferry_window_show_toast (self, error->message);
      return;
    }

  ferry_room_page_set_room (self->room_page, room);
  ferry_room_page_set_transfers (self->room_page, ferry_session_get_transfers (session));
  gtk_stack_set_visible_child_name (self->stack, "room");
  ferry_window_update_header (self);
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
