/* ferry-nearby-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ferry-nearby-window.h"

struct _FerryNearbyWindow
{
  AdwWindow           parent_instance;

  /* Template widgets */
  GtkLabel           *error_label;
  GtkWidget          *devices_group;
  GtkListBox         *devices_list;
  GtkWidget          *empty_box;
  GtkSpinner         *empty_spinner;

  FerrySessionNearby *nearby;    /* started by this window while set */
};

G_DEFINE_FINAL_TYPE (FerryNearbyWindow, ferry_nearby_window, ADW_TYPE_WINDOW)

static void
set_error (FerryNearbyWindow *self,
           const char        *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
update (FerryNearbyWindow *self)
{
  gboolean any = self->nearby != NULL &&
                 g_list_model_get_n_items (ferry_session_nearby_get_devices (self->nearby)) > 0;
  const GError *error = self->nearby != NULL ? ferry_session_nearby_get_error (self->nearby) : NULL;

  gtk_widget_set_visible (self->devices_group, any);
  gtk_widget_set_visible (self->empty_box, !any && error == NULL);
  gtk_spinner_set_spinning (self->empty_spinner, !any && error == NULL);
}

static void
nearby_error_cb (FerryNearbyWindow *self)
{
  const GError *error = ferry_session_nearby_get_error (self->nearby);

  if (error != NULL)
    {
      g_autofree char *message =
        /* Translators: %s says why, e.g. "No such device" */
        g_strdup_printf (_("Cannot look for devices on this network: %s"), error->message);

      set_error (self, message);
    }
  update (self);
}

static void
update_row (AdwActionRow *row)
{
  FerrySessionNearbyDevice *device = g_object_get_data (G_OBJECT (row), "ferry-device");
  GtkWidget *spinner = g_object_get_data (G_OBJECT (row), "ferry-spinner");
  gboolean connecting = ferry_session_nearby_device_get_connecting (device);
  g_autofree char *fingerprint = ferry_session_nearby_device_dup_short_fingerprint (device);
  g_autofree char *subtitle = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), ferry_session_nearby_device_get_name (device));
  if (connecting)
    subtitle = g_strdup (_("Connecting…"));
  else
    /* Translators: the start of a device's key fingerprint, "1a2b 3c4d", to tell devices of the
     * same name apart */
    subtitle = g_strdup_printf (_("Key %s"), fingerprint);
  adw_action_row_set_subtitle (row, subtitle);
  gtk_widget_set_visible (spinner, connecting);
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), connecting);
}

static GtkWidget *
create_device_row (gpointer item,
                   gpointer user_data)
{
  FerrySessionNearbyDevice *device = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *arrow = g_object_new (GTK_TYPE_IMAGE, "icon-name", "go-next-symbolic",
                                   "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION, NULL);

  gtk_widget_set_name (row, "nearby-device-row");
  /* Anyone on the network can announce any name. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_set_name (spinner, "nearby-device-spinner");
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Connecting"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spinner);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
  g_object_set_data_full (G_OBJECT (row), "ferry-device", g_object_ref (device), g_object_unref);
  g_object_set_data (G_OBJECT (row), "ferry-spinner", spinner);
  g_signal_connect_object (device, "notify", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  update_row (ADW_ACTION_ROW (row));
  return row;
}

static void
device_activated_cb (FerryNearbyWindow *self,
                     GtkListBoxRow     *row)
{
  FerrySessionNearbyDevice *device = g_object_get_data (G_OBJECT (row), "ferry-device");

  if (self->nearby == NULL || device == NULL || ferry_session_nearby_device_get_connecting (device))
    return;
  set_error (self, NULL);
  ferry_session_nearby_connect (self->nearby, device);
}

static void
connect_failed_cb (FerryNearbyWindow        *self,
                   FerrySessionNearbyDevice *device,
                   const GError             *error)
{
  /* Translators: %1$s is the name of a computer on the network, %2$s says why */
  g_autofree char *message = g_strdup_printf (_("Could not connect to %1$s: %2$s"),
                                              ferry_session_nearby_device_get_name (device),
                                              error->message);

  set_error (self, message);
}

/* Either way: the app shows the room. */
static void
connected_cb (FerryNearbyWindow *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
stop (FerryNearbyWindow *self)
{
  g_autoptr(FerrySessionNearby) nearby = g_steal_pointer (&self->nearby);

  if (nearby == NULL)
    return;
  g_signal_handlers_disconnect_by_data (nearby, self);
  g_signal_handlers_disconnect_by_data (ferry_session_nearby_get_devices (nearby), self);
  gtk_list_box_bind_model (self->devices_list, NULL, NULL, NULL, NULL);
  ferry_session_nearby_stop (nearby);
}

static gboolean
ferry_nearby_window_close_request (GtkWindow *window)
{
  /* Nothing more is announced, unless the preference says so. */
  stop (FERRY_NEARBY_WINDOW (window));
  return GTK_WINDOW_CLASS (ferry_nearby_window_parent_class)->close_request (window);
}

static void
ferry_nearby_window_dispose (GObject *object)
{
  FerryNearbyWindow *self = FERRY_NEARBY_WINDOW (object);

  stop (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_NEARBY_WINDOW);

  G_OBJECT_CLASS (ferry_nearby_window_parent_class)->dispose (object);
}

static void
ferry_nearby_window_class_init (FerryNearbyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ferry_nearby_window_dispose;
  window_class->close_request = ferry_nearby_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-nearby-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryNearbyWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, FerryNearbyWindow, devices_group);
  gtk_widget_class_bind_template_child (widget_class, FerryNearbyWindow, devices_list);
  gtk_widget_class_bind_template_child (widget_class, FerryNearbyWindow, empty_box);
  gtk_widget_class_bind_template_child (widget_class, FerryNearbyWindow, empty_spinner);
  gtk_widget_class_bind_template_callback (widget_class, device_activated_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ferry_nearby_window_init (FerryNearbyWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

FerryNearbyWindow *
ferry_nearby_window_new (GtkWindow    *parent,
                         FerrySession *session)
{
  FerryNearbyWindow *self;
  GListModel *devices;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FERRY_IS_SESSION (session), NULL);

  self = g_object_new (FERRY_TYPE_NEARBY_WINDOW, "transient-for", parent, NULL);
  self->nearby = g_object_ref (ferry_session_get_nearby (session));
  devices = ferry_session_nearby_get_devices (self->nearby);
  gtk_list_box_bind_model (self->devices_list, devices, create_device_row, NULL, NULL);
  g_signal_connect_swapped (devices, "items-changed", G_CALLBACK (update), self);
  g_signal_connect_swapped (self->nearby, "notify::error", G_CALLBACK (nearby_error_cb), self);
  g_signal_connect_swapped (self->nearby, "connect-failed", G_CALLBACK (connect_failed_cb), self);
  g_signal_connect_swapped (self->nearby, "connected", G_CALLBACK (connected_cb), self);
  /* Visible while it is open: the other computer may be looking too. */
  ferry_session_nearby_set_visible (self->nearby, TRUE);
  ferry_session_nearby_start (self->nearby);
  nearby_error_cb (self);
  return self;
}
