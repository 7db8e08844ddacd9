/* ferry-transfer-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gi18n.h>

#include "ferry-transfer-row.h"
#include "ferry-window.h"

struct _FerryTransferRow
{
  GtkListBoxRow         parent_instance;

  /* Template widgets */
  GtkImage             *direction_icon;
  GtkLabel             *title_label;
  GtkLabel             *details_label;
  GtkWidget            *pause_button;
  GtkWidget            *resume_button;
  GtkWidget            *cancel_button;
  GtkWidget            *open_button;
  GtkWidget            *show_button;
  GtkProgressBar       *progress_bar;
  GtkLabel             *status_label;
  GtkWidget            *impostor_box;
  GtkLabel             *impostor_label;
  GtkWidget            *offer_box;
  GtkWidget            *choose_button;
  GtkWidget            *accept_button;

  /* Owned references */
  FerrySessionTransfer *transfer;
  FerryFriends         *friends;
};

G_DEFINE_FINAL_TYPE (FerryTransferRow, ferry_transfer_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_TRANSFER,
  PROP_FRIENDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
show_toast (FerryTransferRow *self,
            const char       *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (FERRY_IS_WINDOW (root))
    ferry_window_show_toast (FERRY_WINDOW (root), message);
}

static gboolean
sending (FerrySessionTransfer *transfer)
{
  return ferry_session_transfer_get_direction (transfer) == FERRY_TRANSFER_DIRECTION_SEND;
}

/* Words */

/* "2 minutes left", rounded up. */
static char *
format_time_left (gint64 seconds)
{
  guint64 minutes, hours, days;

  if (seconds < 60)
    return g_strdup_printf (ngettext ("%u second left", "%u seconds left", seconds),
                            (guint) seconds);
  minutes = (seconds + 59) / 60;
  if (minutes < 60)
    return g_strdup_printf (ngettext ("%u minute left", "%u minutes left", minutes),
                            (guint) minutes);
  hours = (minutes + 59) / 60;
  if (hours < 48)
    return g_strdup_printf (ngettext ("%u hour left", "%u hours left", hours), (guint) hours);
  days = MIN ((hours + 23) / 24, G_MAXUINT);
  return g_strdup_printf (ngettext ("%u day left", "%u days left", days), (guint) days);
}

/* "Failed: the disk is full", or just "Declined" when the reason says no more than that. */
static char *
with_reason (const char *state,
             const char *reason)
{
  /* The core words a plain cancel or decline as the state itself, in the same translation. */
  if (reason == NULL || *reason == '\0' || g_str_equal (reason, state))
    return g_strdup (state);
  /* Translators: a transfer's state, then why: "Failed: No space left on device" */
  return g_strdup_printf (_("%s: %s"), state, reason);
}

static char *
describe_running (FerrySessionTransfer *transfer)
{
  guint64 speed = ferry_session_transfer_get_speed (transfer);
  gint64 eta = ferry_session_transfer_get_eta (transfer);
  g_autofree char *size = NULL;
  g_autofree char *left = NULL;

  if (speed == 0)
    return g_strdup (sending (transfer) ? _("Sending…") : _("Receiving…"));
  size = g_format_size (speed);
  if (eta < 0)
    /* Translators: a speed: "12.3 MB/s" */
    return g_strdup_printf (_("%s/s"), size);
  left = format_time_left (eta);
  /* Translators: a speed, then the time left: "12.3 MB/s · 2 minutes left" */
  return g_strdup_printf (_("%s/s · %s"), size, left);
}

static char *
describe_paused (FerrySessionTransfer *transfer)
{
  const char *peer = ferry_session_transfer_get_peer_name (transfer);
  const char *reason = ferry_session_transfer_get_reason (transfer);
  gboolean locally = ferry_session_transfer_get_paused_locally (transfer);
  gboolean remotely = ferry_session_transfer_get_paused_remotely (transfer);

  if (reason != NULL && *reason != '\0')
    return with_reason (_("Paused"), reason);
  if (locally && remotely)
    /* Translators: %s is the other person's name */
    return g_strdup_printf (_("Paused by you and by %s"), peer);
  if (locally)
    return g_strdup (_("Paused by you"));
  if (remotely)
    /* Translators: %s is the other person's name */
    return g_strdup_printf (_("Paused by %s"), peer);
  return g_strdup (_("Paused"));
}

/* The state in words, for the line under the progress bar. */
static char *
describe_state (FerrySessionTransfer *transfer)
{
  const char *peer = ferry_session_transfer_get_peer_name (transfer);
  const char *reason = ferry_session_transfer_get_reason (transfer);

  switch (ferry_session_transfer_get_state (transfer))
    {
    case FERRY_TRANSFER_STATE_OFFERED:
      if (!sending (transfer))
        return g_strdup (_("Waiting for you to accept"));
      /* Translators: %s is the other person's name */
      return g_strdup_printf (_("Waiting for %s to accept"), peer);
    case FERRY_TRANSFER_STATE_RUNNING:
      return describe_running (transfer);
    case FERRY_TRANSFER_STATE_PAUSED:
      return describe_paused (transfer);
    case FERRY_TRANSFER_STATE_WAITING:
      /* Translators: %s is the other person's name; the transfer goes on when they are back */
      return g_strdup_printf (_("Waiting for %s to come back"), peer);
    case FERRY_TRANSFER_STATE_DONE:
      return g_strdup (_("Done"));
    case FERRY_TRANSFER_STATE_DECLINED:
      return with_reason (_("Declined"), reason);
    case FERRY_TRANSFER_STATE_CANCELLED:
      return with_reason (_("Cancelled"), reason);
    case FERRY_TRANSFER_STATE_FAILED:
    default:
      return with_reason (_("Failed"), reason);
    }
}

char *
ferry_transfer_describe_offer (FerrySessionTransfer *transfer)
{
  g_autofree char *size = NULL;

  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (transfer), NULL);

  size = g_format_size (ferry_session_transfer_get_total (transfer));
  /* Translators: "Ana wants to send you 3 files (1.2 GB)", "… you holiday.jpg (2.1 MB)" */
  return g_strdup_printf (_("%s wants to send you %s (%s)"),
                          ferry_session_transfer_get_peer_name (transfer),
                          ferry_session_transfer_get_title (transfer), size);
}

gboolean
ferry_transfer_from_impostor (FerrySessionTransfer *transfer,
                              FerryFriends         *friends)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (transfer), FALSE);
  g_return_val_if_fail (friends == NULL || FERRY_IS_FRIENDS (friends), FALSE);

  return friends != NULL && !sending (transfer) &&
         ferry_friends_classify (friends, ferry_session_transfer_get_peer_name (transfer),
                                 ferry_session_transfer_get_peer_fingerprint (transfer)) ==
           FERRY_FRIEND_TRUST_IMPOSTOR;
}

/* What the transfer is made of on this computer: the files and folders that were picked or
 * that arrived ("Photos", not every file in it), without repeats.  Receiving, only the files
 * that landed. */
static GPtrArray *
top_items (FerrySessionTransfer *transfer)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = ferry_session_transfer_get_n_files (transfer);

  for (guint i = 0; i < n; i++)
    {
      GFile *file = ferry_session_transfer_get_file (transfer, i);
      const char *path = ferry_session_transfer_get_file_path (transfer, i);
      g_autoptr(GFile) item = NULL;

      if (file == NULL)
        continue;
      /* The file sits as deep below the item as its path has folders. */
      item = g_object_ref (file);
      for (const char *slash = strchr (path, '/'); slash != NULL; slash = strchr (slash + 1, '/'))
        {
          GFile *parent = g_file_get_parent (item);

          if (parent == NULL)
            break;
          g_object_unref (item);
          item = parent;
        }
      if (!g_ptr_array_find_with_equal_func (items, item, (GEqualFunc) g_file_equal, NULL))
        g_ptr_array_add (items, g_steal_pointer (&item));
    }
  return items;
}

/* Update */

static void
set_action (FerryTransferRow *self,
            const char       *action,
            GtkWidget        *button,
            gboolean          available)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), action, available);
  gtk_widget_set_visible (button, available);
}

static void
ferry_transfer_row_update (FerryTransferRow *self)
{
  FerrySessionTransfer *transfer = self->transfer;
  FerryTransferState state = ferry_session_transfer_get_state (transfer);
  const char *peer = ferry_session_transfer_get_peer_name (transfer);
  gboolean offer = !sending (transfer) && state == FERRY_TRANSFER_STATE_OFFERED;
  gboolean impostor = ferry_transfer_from_impostor (transfer, self->friends);
  gboolean paused_locally = ferry_session_transfer_get_paused_locally (transfer);
  gboolean in_progress = state == FERRY_TRANSFER_STATE_RUNNING ||
                         state == FERRY_TRANSFER_STATE_PAUSED ||
                         state == FERRY_TRANSFER_STATE_WAITING;
  guint64 total = ferry_session_transfer_get_total (transfer);
  guint64 done = ferry_session_transfer_get_bytes_done (transfer);
  g_autofree char *size = g_format_size (total);
  g_autofree char *details = NULL;
  g_autofree char *status = describe_state (transfer);
  g_autoptr(GPtrArray) items = NULL;

  gtk_label_set_text (self->title_label, ferry_session_transfer_get_title (transfer));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->title_label),
                               ferry_session_transfer_get_title (transfer));
  if (sending (transfer))
    /* Translators: who a transfer goes to, and its size: "To Ana · 1.2 GB" */
    details = g_strdup_printf (_("To %s · %s"), peer, size);
  else
    /* Translators: who a transfer comes from, and its size: "From Ana · 1.2 GB" */
    details = g_strdup_printf (_("From %s · %s"), peer, size);
  gtk_label_set_text (self->details_label, details);

  gtk_widget_set_visible (self->impostor_box, impostor);
  if (impostor)
    {
      /* Translators: %s is the name of a friend, which someone else uses */
      g_autofree char *warning = g_strdup_printf (_("Not the %s you marked as a friend"), peer);

      gtk_label_set_text (self->impostor_label, warning);
    }

  gtk_label_set_text (self->status_label, status);
  if (state == FERRY_TRANSFER_STATE_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");

  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), in_progress);
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 total > 0 ? (double) MIN (done, total) / (double) total : 0.0);

  if (state == FERRY_TRANSFER_STATE_DONE)
    items = top_items (transfer);

  gtk_widget_set_visible (self->offer_box, offer);
  /* Accepting from an impostor asks first; it is not what the row suggests. */
  if (impostor)
    gtk_widget_remove_css_class (self->accept_button, "suggested-action");
  else
    gtk_widget_add_css_class (self->accept_button, "suggested-action");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "transfer.accept", offer);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "transfer.decline", offer);
  set_action (self, "transfer.choose", self->choose_button,
              offer && ferry_session_transfer_get_n_files (transfer) > 1);
  set_action (self, "transfer.pause", self->pause_button,
              state == FERRY_TRANSFER_STATE_RUNNING ||
              (state == FERRY_TRANSFER_STATE_PAUSED && !paused_locally));
  set_action (self, "transfer.resume", self->resume_button,
              state == FERRY_TRANSFER_STATE_PAUSED && paused_locally);
  set_action (self, "transfer.cancel", self->cancel_button,
              !offer && !ferry_session_transfer_is_finished (transfer));
  set_action (self, "transfer.open", self->open_button, items != NULL && items->len == 1);
  set_action (self, "transfer.show-in-folder", self->show_button, items != NULL && items->len > 0);
}

static void
transfer_error_cb (FerryTransferRow *self,
                   const GError     *error)
{
  show_toast (self, error->message);
}

/* Dialogs about an offer */

/* A dialog about the offer, with Cancel, closed if the offer ends meanwhile (the other side
 * cancels it): nothing is left to answer. */
static AdwMessageDialog *
offer_dialog_new (FerryTransferRow *self,
                  const char       *heading,
                  const char       *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       heading, body));
  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (self->transfer, "notify::state", G_CALLBACK (gtk_window_close), dialog,
                           G_CONNECT_SWAPPED);
  return dialog;
}

/* Accepting some of the files */

static GPtrArray *
dialog_checks (AdwMessageDialog *dialog)
{
  return g_object_get_data (G_OBJECT (dialog), "ferry-checks");
}

static void
check_toggled_cb (AdwMessageDialog *dialog)
{
  GPtrArray *checks = dialog_checks (dialog);
  gboolean any = FALSE;

  for (guint i = 0; i < checks->len && !any; i++)
    any = gtk_check_button_get_active (checks->pdata[i]);
  adw_message_dialog_set_response_enabled (dialog, "accept", any);
}

static void
choose_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    FerryTransferRow *self)
{
  GPtrArray *checks = dialog_checks (dialog);
  g_autoptr(GArray) chosen = NULL;

  if (!g_str_equal (response, "accept"))
    return;
  chosen = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < checks->len; i++)
    if (gtk_check_button_get_active (checks->pdata[i]))
      g_array_append_val (chosen, i);
  ferry_session_transfer_accept (self->transfer, (const guint *) (gpointer) chosen->data,
                                 chosen->len);
}

static void
choose_files (FerryTransferRow *self)
{
  guint n = ferry_session_transfer_get_n_files (self->transfer);
  GPtrArray *checks = g_ptr_array_sized_new (n);
  AdwMessageDialog *dialog;
  GtkWidget *scroller, *list;
  g_autofree char *body = NULL;

  /* Translators: %s is the name of the person who offers the files */
  body = g_strdup_printf (_("Choose the files to receive from %s."),
                          ferry_session_transfer_get_peer_name (self->transfer));
  dialog = offer_dialog_new (self, _("Choose Files"), body);
  adw_message_dialog_add_response (dialog, "accept", _("_Accept"));
  adw_message_dialog_set_response_appearance (dialog, "accept", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "accept");

  list = gtk_list_box_new ();
  gtk_widget_set_name (list, "transfer-choose-files");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Files offered"), -1);
  for (guint i = 0; i < n; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      guint64 bytes = ferry_session_transfer_get_file_size (self->transfer, i);
      g_autofree char *size = g_format_size (bytes);

      /* Names come from the other side: never markup. */
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     ferry_session_transfer_get_file_path (self->transfer, i));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), size);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      g_signal_connect_swapped (check, "toggled", G_CALLBACK (check_toggled_cb), dialog);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
      g_ptr_array_add (checks, check);
    }
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 320);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), list);
  adw_message_dialog_set_extra_child (dialog, scroller);
  g_object_set_data_full (G_OBJECT (dialog), "ferry-checks", checks,
                          (GDestroyNotify) g_ptr_array_unref);

  g_signal_connect_object (dialog, "response", G_CALLBACK (choose_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Accepting from an impostor */

static void
impostor_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      FerryTransferRow *self)
{
  if (!g_str_equal (response, "accept"))
    return;
  if (g_object_get_data (G_OBJECT (dialog), "ferry-choose") != NULL)
    choose_files (self);
  else
    ferry_session_transfer_accept (self->transfer, NULL, 0);
}

/* Asks before anything from an impostor is accepted; then accepts everything, or with @choose
 * lets the user choose the files. */
static void
confirm_impostor (FerryTransferRow *self,
                  gboolean          choose)
{
  const char *peer = ferry_session_transfer_get_peer_name (self->transfer);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  /* Translators: %s is the name of a friend, which someone else uses */
  heading = g_strdup_printf (_("This is not the %s you know"), peer);
  /* Translators: the first %s is a friend's name, which someone else uses; the second is what
   * they offer, "holiday.jpg" or "3 files" */
  body = g_strdup_printf (_("Someone calling themselves %s wants to send you %s, from another "
                            "computer than the one you marked as a friend. Accept only if you "
                            "are sure who it is."),
                          peer, ferry_session_transfer_get_title (self->transfer));
  dialog = offer_dialog_new (self, heading, body);
  gtk_widget_set_name (GTK_WIDGET (dialog), "transfer-impostor-dialog");
  adw_message_dialog_add_response (dialog, "accept", _("Accept _Anyway"));
  adw_message_dialog_set_response_appearance (dialog, "accept", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  if (choose)
    g_object_set_data (G_OBJECT (dialog), "ferry-choose", GINT_TO_POINTER (TRUE));

  g_signal_connect_object (dialog, "response", G_CALLBACK (impostor_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Actions */

/* Accept and Choose…: from an impostor, only once the user says so. */
static void
ferry_transfer_row_accept (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (widget);
  gboolean choose = g_str_equal (action_name, "transfer.choose");

  if (ferry_transfer_from_impostor (self->transfer, self->friends))
    confirm_impostor (self, choose);
  else if (choose)
    choose_files (self);
  else
    ferry_session_transfer_accept (self->transfer, NULL, 0);
}

static void
ferry_transfer_row_act (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  FerrySessionTransfer *transfer = FERRY_TRANSFER_ROW (widget)->transfer;

  if (g_str_equal (action_name, "transfer.decline"))
    ferry_session_transfer_decline (transfer);
  else if (g_str_equal (action_name, "transfer.pause"))
    ferry_session_transfer_pause (transfer);
  else if (g_str_equal (action_name, "transfer.resume"))
    ferry_session_transfer_resume (transfer);
  else if (g_str_equal (action_name, "transfer.cancel"))
    ferry_session_transfer_cancel (transfer);
  else
    g_assert_not_reached ();
}

static void
launch_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(FerryTransferRow) self = data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
}

/* Opens @file with the app the desktop prefers for it (a folder: the file manager). */
static void
launch (FerryTransferRow *self,
        GFile            *file)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *uri = g_file_get_uri (file);

  /* gtk_show_uri_full () needs a window to report to. */
  if (!GTK_IS_WINDOW (root))
    return;
  gtk_show_uri_full (GTK_WINDOW (root), uri, GDK_CURRENT_TIME, NULL, launch_done_cb,
                     g_object_ref (self));
}

static void
ferry_transfer_row_open (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (widget);
  g_autoptr(GPtrArray) items = top_items (self->transfer);

  if (items->len > 0)
    launch (self, items->pdata[0]);
}

typedef struct {
  FerryTransferRow *row;
  GFile            *folder;
} ShowItems;

static void
show_items_free (ShowItems *show)
{
  g_object_unref (show->row);
  g_object_unref (show->folder);
  g_free (show);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShowItems, show_items_free)

static void
show_items_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(ShowItems) show = data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL)
    return;
  g_debug ("No file manager showed the items (%s); opening their folder", error->message);
  launch (show->row, show->folder);
}

/* Asks the file manager to show the items selected in their folder
 * (org.freedesktop.FileManager1), or else opens the folder of the first one. */
static void
ferry_transfer_row_show_in_folder (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (widget);
  g_autoptr(GPtrArray) items = top_items (self->transfer);
  GDBusConnection *bus = g_application_get_dbus_connection (g_application_get_default ());
  g_autoptr(GFile) folder = NULL;
  GVariantBuilder uris;
  ShowItems *show;

  if (items->len == 0)
    return;
  folder = g_file_get_parent (items->pdata[0]);
  if (folder == NULL)
    return;
  if (bus == NULL)
    {
      launch (self, folder);
      return;
    }

  g_variant_builder_init (&uris, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint i = 0; i < items->len; i++)
    g_variant_builder_add_value (&uris,
                                 g_variant_new_take_string (g_file_get_uri (items->pdata[i])));
  show = g_new0 (ShowItems, 1);
  show->row = g_object_ref (self);
  show->folder = g_steal_pointer (&folder);
  g_dbus_connection_call (bus, "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                          "org.freedesktop.FileManager1", "ShowItems",
                          g_variant_new ("(ass)", &uris, ""), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          NULL, show_items_cb, show);
}

/* GObject */

static void
ferry_transfer_row_constructed (GObject *object)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (object);
  const char *direction;

  G_OBJECT_CLASS (ferry_transfer_row_parent_class)->constructed (object);

  direction = sending (self->transfer) ? _("Outgoing") : _("Incoming");
  gtk_image_set_from_icon_name (self->direction_icon, sending (self->transfer)
                                                      ? "document-send-symbolic"
                                                      : "folder-download-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->direction_icon), direction);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->direction_icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, direction, -1);

  ferry_transfer_row_update (self);
  g_signal_connect_object (self->transfer, "notify", G_CALLBACK (ferry_transfer_row_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->transfer, "error", G_CALLBACK (transfer_error_cb), self,
                           G_CONNECT_SWAPPED);
  if (self->friends != NULL)
    g_signal_connect_object (ferry_friends_get_list (self->friends), "items-changed",
                             G_CALLBACK (ferry_transfer_row_update), self, G_CONNECT_SWAPPED);
}

static void
ferry_transfer_row_dispose (GObject *object)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_TRANSFER_ROW);
  g_clear_object (&self->transfer);
  g_clear_object (&self->friends);

  G_OBJECT_CLASS (ferry_transfer_row_parent_class)->dispose (object);
}

static void
ferry_transfer_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (object);

  switch (prop_id)
    {
    case PROP_TRANSFER:
      g_value_set_object (value, self->transfer);
      break;
    case PROP_FRIENDS:
      g_value_set_object (value, self->friends);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  FerryTransferRow *self = FERRY_TRANSFER_ROW (object);

  switch (prop_id)
    {
    case PROP_TRANSFER:
      self->transfer = g_value_dup_object (value);
      break;
    case PROP_FRIENDS:
      self->friends = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_row_class_init (FerryTransferRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = ferry_transfer_row_constructed;
  object_class->dispose = ferry_transfer_row_dispose;
  object_class->get_property = ferry_transfer_row_get_property;
  object_class->set_property = ferry_transfer_row_set_property;

  properties[PROP_TRANSFER] =
    g_param_spec_object ("transfer", NULL, NULL,
                         FERRY_TYPE_SESSION_TRANSFER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRIENDS] =
    g_param_spec_object ("friends", NULL, NULL,
                         FERRY_TYPE_FRIENDS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/io/github/ferryapp/Ferry/ui/ferry-transfer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, direction_icon);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, details_label);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, pause_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, resume_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, open_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, show_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, impostor_box);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, impostor_label);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, offer_box);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, choose_button);
  gtk_widget_class_bind_template_child (widget_class, FerryTransferRow, accept_button);

  gtk_widget_class_install_action (widget_class, "transfer.accept", NULL,
                                   ferry_transfer_row_accept);
  gtk_widget_class_install_action (widget_class, "transfer.decline", NULL, ferry_transfer_row_act);
  gtk_widget_class_install_action (widget_class, "transfer.choose", NULL,
                                   ferry_transfer_row_accept);
  gtk_widget_class_install_action (widget_class, "transfer.pause", NULL, ferry_transfer_row_act);
  gtk_widget_class_install_action (widget_class, "transfer.resume", NULL, ferry_transfer_row_act);
  gtk_widget_class_install_action (widget_class, "transfer.cancel", NULL, ferry_transfer_row_act);
  gtk_widget_class_install_action (widget_class, "transfer.open", NULL, ferry_transfer_row_open);
  gtk_widget_class_install_action (widget_class, "transfer.show-in-folder", NULL,
                                   ferry_transfer_row_show_in_folder);
}

static void
ferry_transfer_row_init (FerryTransferRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ferry_transfer_row_new (FerrySessionTransfer *transfer,
                        FerryFriends         *friends)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRANSFER (transfer), NULL);
  g_return_val_if_fail (friends == NULL || FERRY_IS_FRIENDS (friends), NULL);

  return g_object_new (FERRY_TYPE_TRANSFER_ROW, "transfer", transfer, "friends", friends, NULL);
}

FerrySessionTransfer *
ferry_transfer_row_get_transfer (FerryTransferRow *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_ROW (self), NULL);

  return self->transfer;
}
