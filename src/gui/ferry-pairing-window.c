/* ferry-pairing-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-crypto.h"
#include "ferry-pairing-code.h"
#include "ferry-pairing-window.h"
#include "ferry-qr-code.h"

#define QR_CODE_MAX_SIZE 240

struct _FerryPairingWindow
{
  AdwWindow             parent_instance;

  /* Template widgets */
  GtkLabel             *error_label;
  AdwPreferencesGroup  *code_group;
  GtkLabel             *instructions_label;
  GtkWidget            *waiting_box;
  GtkSpinner           *spinner;
  GtkLabel             *waiting_label;
  GtkWidget            *code_box;
  GtkLabel             *code_label;
  GtkPicture           *qr_picture;
  GtkLabel             *expiry_label;
  GtkWidget            *new_code_button;
  AdwEntryRow          *entry;

  FerrySession         *session;
  FerrySessionPairing  *pairing;
  char                 *shown;       /* the code or reply code shown: a secret, wiped */
  gint64                expires;     /* of what is shown, seconds since 1970; 0: nothing */
  guint                 countdown;   /* GSource id */
};

G_DEFINE_FINAL_TYPE (FerryPairingWindow, ferry_pairing_window, ADW_TYPE_WINDOW)

enum {
  CONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_error (FerryPairingWindow *self,
           const char         *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->entry), "error");
}

static void
clear_shown (FerryPairingWindow *self)
{
  if (self->shown != NULL)
    ferry_memzero (self->shown, strlen (self->shown));
  g_clear_pointer (&self->shown, g_free);
  self->expires = 0;
}

static void
update_expiry (FerryPairingWindow *self)
{
  gint64 left = self->expires - g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *text = NULL;

  if (self->expires == 0)
    text = g_strdup ("");
  else if (left > 0)
    /* Translators: how long a pairing code can still be used, in minutes and seconds */
    text = g_strdup_printf (_("Valid for another %d:%02d"), (int) (left / 60), (int) (left % 60));
  else
    text = g_strdup (_("This code has expired"));
  gtk_label_set_text (self->expiry_label, text);
}

static gboolean
countdown_cb (gpointer user_data)
{
  update_expiry (user_data);
  return G_SOURCE_CONTINUE;
}

/* Shows @link (our code or our reply code), or nothing. */
static void
show_code (FerryPairingWindow *self,
           const char         *link)
{
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(GdkTexture) qr_code = NULL;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (self->shown, link) == 0)
    return;
  clear_shown (self);
  gtk_widget_set_visible (self->code_box, link != NULL);
  if (link == NULL)
    {
      gtk_label_set_text (self->code_label, "");
      gtk_picture_set_paintable (self->qr_picture, NULL);
      update_expiry (self);
      return;
    }

  self->shown = g_strdup (link);
  code = ferry_pairing_code_parse (link, g_get_real_time () / G_USEC_PER_SEC, NULL);
  self->expires = code != NULL ? code->expires : 0;
  gtk_label_set_text (self->code_label, link);
  qr_code = ferry_qr_code_render (link, QR_CODE_MAX_SIZE, &error);
  if (qr_code == NULL)
    g_warning ("Cannot show the pairing code as a QR code: %s", error->message);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr_code));
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), qr_code != NULL);
  update_expiry (self);
}

static void
show_waiting (FerryPairingWindow *self,
              const char         *text)
{
  gtk_widget_set_visible (self->waiting_box, text != NULL);
  gtk_spinner_set_spinning (self->spinner, text != NULL);
  gtk_label_set_text (self->waiting_label, text != NULL ? text : "");
}

static void
show_instructions (FerryPairingWindow *self,
                   const char         *text)
{
  gtk_widget_set_visible (GTK_WIDGET (self->instructions_label), text != NULL);
  gtk_label_set_text (self->instructions_label, text != NULL ? text : "");
}

static void
update (FerryPairingWindow *self)
{
  FerrySessionPairing *pairing = self->pairing;
  gboolean finished = pairing == NULL || ferry_session_pairing_get_finished (pairing);
  gboolean reader = pairing != NULL && ferry_session_pairing_get_reader (pairing);
  const char *reply = pairing != NULL ? ferry_session_pairing_get_reply_link (pairing) : NULL;
  const char *link = pairing != NULL ? ferry_session_pairing_get_link (pairing) : NULL;

  gtk_widget_set_visible (self->new_code_button, finished);
  if (finished)
    {
      adw_preferences_group_set_title (self->code_group, reader ? _("Their Code") : _("Your Code"));
      show_instructions (self, pairing == NULL
                               ? _("Make a code for the other computer, or enter theirs below.")
                               : _("This attempt is over. Make a new code, or enter the other "
                                   "computer’s code below."));
      show_waiting (self, NULL);
      show_code (self, NULL);
    }
  else if (!reader)
    {
      adw_preferences_group_set_title (self->code_group, _("Your Code"));
      show_code (self, link);
      if (link != NULL)
        {
          show_instructions (self, _("Enter this code on the other computer, or scan it there. "
                                     "Whoever has it can connect to this computer: give it only "
                                     "to the person you mean."));
          show_waiting (self, _("Waiting for the other computer…"));
        }
      else
        {
          show_instructions (self, NULL);
          show_waiting (self, _("Making a code…"));
        }
    }
  else if (reply != NULL)
    {
      adw_preferences_group_set_title (self->code_group, _("Your Reply Code"));
      show_code (self, reply);
      show_instructions (self, _("Nothing got through yet. Enter this reply code on the other "
                                 "computer, where its code is shown, or scan it there."));
      show_waiting (self, _("Connecting to the other computer…"));
    }
  else
    {
      adw_preferences_group_set_title (self->code_group, _("Their Code"));
      show_code (self, NULL);
      show_instructions (self, NULL);
      show_waiting (self, _("Connecting to the other computer…"));
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pairing.copy", self->shown != NULL);
}

static void
pairing_failed_cb (FerryPairingWindow *self,
                   const GError       *error)
{
  set_error (self, error->message);
  update (self);
}

static void
pairing_connected_cb (FerryPairingWindow *self,
                      FerrySessionRoom   *room)
{
  g_autoptr(FerryPairingWindow) ref = g_object_ref (self);

  g_signal_emit (self, signals[CONNECTED], 0, room);
  gtk_window_close (GTK_WINDOW (self));
}

static void
drop_pairing (FerryPairingWindow *self)
{
  if (self->pairing == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->pairing, self);
  ferry_session_pairing_cancel (self->pairing);
  g_clear_object (&self->pairing);
}

/* Our own code with %NULL, else the reader's side of @code. */
static void
start_pairing (FerryPairingWindow *self,
               const char         *code)
{
  g_autoptr(GError) error = NULL;

  drop_pairing (self);
  set_error (self, NULL);
  self->pairing = ferry_session_pair (self->session, code, &error);
  if (self->pairing == NULL)
    set_error (self, error->message);
  else
    {
      g_signal_connect_object (self->pairing, "notify::link", G_CALLBACK (update), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->pairing, "notify::reply-link", G_CALLBACK (update), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->pairing, "failed", G_CALLBACK (pairing_failed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->pairing, "reply-refused", G_CALLBACK (pairing_failed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->pairing, "connected", G_CALLBACK (pairing_connected_cb), self,
                               G_CONNECT_SWAPPED);
    }
  update (self);
}

void
ferry_pairing_window_enter_code (FerryPairingWindow *self,
                                 const char         *text)
{
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stripped = NULL;

  g_return_if_fail (FERRY_IS_PAIRING_WINDOW (self));
  g_return_if_fail (text != NULL);

  stripped = g_strstrip (g_strdup (text));
  if (*stripped == '\0')
    {
      gtk_widget_error_bell (GTK_WIDGET (self->entry));
      return;
    }
  code = ferry_pairing_code_parse (stripped, g_get_real_time () / G_USEC_PER_SEC, &error);
  if (code == NULL)
    {
      set_error (self, error->message);
      return;
    }

  if (!code->reply)
    /* Theirs: this side reads it, and our own code goes. */
    start_pairing (self, stripped);
  else if (self->pairing != NULL && !ferry_session_pairing_get_reader (self->pairing) &&
           !ferry_session_pairing_get_finished (self->pairing))
    {
      if (!ferry_session_pairing_add_reply (self->pairing, stripped, &error))
        {
          set_error (self, error->message);
          return;
        }
      set_error (self, NULL);
    }
  else
    {
      set_error (self, _("This is a reply code: enter it on the computer that made the pairing "
                         "code"));
      return;
    }
  ferry_memzero (stripped, strlen (stripped));
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
}

static void
entry_activated_cb (FerryPairingWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "pairing.connect", NULL);
}

static void
entry_changed_cb (FerryPairingWindow *self)
{
  gboolean empty = *gtk_editable_get_text (GTK_EDITABLE (self->entry)) == '\0';

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pairing.connect", !empty);
}

static void
connect_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  FerryPairingWindow *self = FERRY_PAIRING_WINDOW (widget);

  ferry_pairing_window_enter_code (self, gtk_editable_get_text (GTK_EDITABLE (self->entry)));
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  FerryPairingWindow *self = FERRY_PAIRING_WINDOW (widget);

  if (self->shown != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->shown);
}

static void
new_code_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  start_pairing (FERRY_PAIRING_WINDOW (widget), NULL);
}

static gboolean
ferry_pairing_window_close_request (GtkWindow *window)
{
  FerryPairingWindow *self = FERRY_PAIRING_WINDOW (window);

  /* Closed before it connected: the code is no longer answered. */
  drop_pairing (self);
  return GTK_WINDOW_CLASS (ferry_pairing_window_parent_class)->close_request (window);
}

static void
ferry_pairing_window_dispose (GObject *object)
{
  FerryPairingWindow *self = FERRY_PAIRING_WINDOW (object);

  drop_pairing (self);
  g_clear_handle_id (&self->countdown, g_source_remove);
  clear_shown (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), FERRY_TYPE_PAIRING_WINDOW);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_pairing_window_parent_class)->dispose (object);
}

static void
ferry_pairing_window_class_init (FerryPairingWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = ferry_pairing_window_dispose;
  window_class->close_request = ferry_pairing_window_close_request;

  signals[CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FERRY_TYPE_SESSION_ROOM);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-pairing-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, code_group);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, instructions_label);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, waiting_box);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, waiting_label);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, code_box);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, code_label);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, expiry_label);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, new_code_button);
  gtk_widget_class_bind_template_child (widget_class, FerryPairingWindow, entry);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed_cb);

  gtk_widget_class_install_action (widget_class, "pairing.connect", NULL, connect_action);
  gtk_widget_class_install_action (widget_class, "pairing.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "pairing.new-code", NULL, new_code_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ferry_pairing_window_init (FerryPairingWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  entry_changed_cb (self);
  self->countdown = g_timeout_add_seconds (1, countdown_cb, self);
}

FerryPairingWindow *
ferry_pairing_window_new (GtkWindow    *parent,
                          FerrySession *session,
                          const char   *code)
{
  FerryPairingWindow *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FERRY_IS_SESSION (session), NULL);

  self = g_object_new (FERRY_TYPE_PAIRING_WINDOW, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  if (code == NULL)
    start_pairing (self, NULL);
  else
    {
      update (self);
      ferry_pairing_window_enter_code (self, code);
    }
  return self;
}

FerrySessionPairing *
ferry_pairing_window_get_pairing (FerryPairingWindow *self)
{
  g_return_val_if_fail (FERRY_IS_PAIRING_WINDOW (self), NULL);

  return self->pairing;
}
