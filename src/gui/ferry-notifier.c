/* ferry-notifier.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ferry-chat-message.h"
#include "ferry-notifier.h"
#include "ferry-transfer-row.h"

struct _FerryNotifier
{
  GObject         parent_instance;

  GtkApplication *application;   /* weak: it owns us */
  FerrySession   *session;
  gboolean        busy;
  guint           inhibit_cookie;   /* 0 when the desktop did not grant it */
  GHashTable     *shown;         /* notification ids sent and not withdrawn */
};

G_DEFINE_FINAL_TYPE (FerryNotifier, ferry_notifier, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
app_has_focus (FerryNotifier *self)
{
  for (GList *l = gtk_application_get_windows (self->application); l != NULL; l = l->next)
    if (gtk_window_is_active (l->data))
      return TRUE;
  return FALSE;
}

static void
send (FerryNotifier *self,
      const char    *id,
      GNotification *notification)
{
  g_application_send_notification (G_APPLICATION (self->application), id, notification);
  g_hash_table_add (self->shown, g_strdup (id));
}

static void
withdraw (FerryNotifier *self,
          const char    *id)
{
  if (g_hash_table_remove (self->shown, id))
    g_application_withdraw_notification (G_APPLICATION (self->application), id);
}

/* Transfers */

static char *
offer_notification_id (FerrySessionTransfer *transfer)
{
  return g_strconcat ("offer-", ferry_session_transfer_get_id (transfer), NULL);
}

static void
notify_offer (FerryNotifier        *self,
              FerrySessionTransfer *transfer)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *size = g_format_size (ferry_session_transfer_get_total (transfer));
  g_autofree char *body = NULL;
  g_autofree char *id = offer_notification_id (transfer);
  const char *transfer_id = ferry_session_transfer_get_id (transfer);

  gboolean impostor = ferry_transfer_from_impostor (transfer, ferry_session_get_friends (self->session));

  if (impostor)
    /* Translators: the name of a friend, used by someone else */
    title = g_strdup_printf (_("Someone calling themselves %s wants to send you files"),
                             ferry_session_transfer_get_peer_name (transfer));
  else
    /* Translators: "Ana wants to send you files" */
    title = g_strdup_printf (_("%s wants to send you files"), ferry_session_transfer_get_peer_name (transfer));
  /* Translators: "holiday.jpg (2.1 MB)" */
  body = g_strdup_printf (_("%s (%s)"), ferry_session_transfer_get_title (transfer), size);
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_add_button_with_target (notification, _("Decline"), "app.decline-transfer", "s",
                                         transfer_id);
  /* Accepting from someone using a friend's name is asked about in the window. */
  if (!impostor)
    g_notification_add_button_with_target (notification, _("Accept"), "app.accept-transfer", "s",
                                           transfer_id);
  send (self, id, notification);
}

static gboolean
any_running (FerryNotifier *self)
{
  GListModel *transfers = ferry_session_get_transfers (self->session);

  for (guint i = 0; i < g_list_model_get_n_items (transfers); i++)
    {
      g_autoptr(FerrySessionTransfer) transfer = g_list_model_get_item (transfers, i);

      if (ferry_session_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_RUNNING)
        return TRUE;
    }
  return FALSE;
}

static void
update_inhibit (FerryNotifier *self)
{
  gboolean busy = any_running (self);

  if (busy == self->busy)
    return;
  self->busy = busy;
  if (busy)
    self->inhibit_cookie = gtk_application_inhibit (self->application, NULL, GTK_APPLICATION_INHIBIT_SUSPEND,
                                                    _("Files are being transferred"));
  else if (self->inhibit_cookie != 0)
    {
      gtk_application_uninhibit (self->application, self->inhibit_cookie);
      self->inhibit_cookie = 0;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
transfer_state_cb (FerrySessionTransfer *transfer,
                   GParamSpec           *pspec,
                   FerryNotifier        *self)
{
  if (ferry_session_transfer_get_state (transfer) != FERRY_TRANSFER_STATE_OFFERED)
    {
      g_autofree char *id = offer_notification_id (transfer);

      withdraw (self, id);
    }
  update_inhibit (self);
}

static void
transfers_changed_cb (GListModel    *transfers,
                      guint          position,
                      guint          removed,
                      guint          added,
                      FerryNotifier *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(FerrySessionTransfer) transfer = g_list_model_get_item (transfers, i);

      g_signal_connect_object (transfer, "notify::state", G_CALLBACK (transfer_state_cb), self, 0);
      if (ferry_session_transfer_get_direction (transfer) == FERRY_TRANSFER_DIRECTION_RECEIVE &&
          ferry_session_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_OFFERED &&
          !app_has_focus (self))
        notify_offer (self, transfer);
    }
  update_inhibit (self);
}

/* Chat */

static void
messages_changed_cb (GListModel       *messages,
                     guint             position,
                     guint             removed,
                     guint             added,
                     FerrySessionRoom *room)
{
  FerryNotifier *self = g_object_get_data (G_OBJECT (room), "ferry-notifier");
  g_autoptr(FerryChatMessage) message = NULL;
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  g_autofree char *title = NULL;

  if (self == NULL || added == 0 || app_has_focus (self))
    return;
  /* The latest message of the room replaces the one shown before. */
  message = g_list_model_get_item (messages, position + added - 1);
  if (ferry_chat_message_get_outgoing (message))
    return;
  /* Translators: "Ana in Holiday photos" */
  title = g_strdup_printf (_("%s in %s"), ferry_chat_message_get_peer_name (message),
                           ferry_session_room_get_title (room));
  notification = g_notification_new (title);
  g_notification_set_body (notification, ferry_chat_message_get_text (message));
  id = g_strdup_printf ("chat-%p", room);
  send (self, id, notification);
}

static void
rooms_changed_cb (GListModel    *rooms,
                  guint          position,
                  guint          removed,
                  guint          added,
                  FerryNotifier *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(FerrySessionRoom) room = g_list_model_get_item (rooms, i);

      /* The room holds no reference on us: the data is cleared in dispose. */
      g_object_set_data (G_OBJECT (room), "ferry-notifier", self);
      g_signal_connect_object (ferry_session_room_get_messages (room), "items-changed",
                               G_CALLBACK (messages_changed_cb), room, 0);
    }
}

/* Once the user looks at the app, what the notifications said is seen. */
static void
window_active_cb (GtkWindow     *window,
                  GParamSpec    *pspec,
                  FerryNotifier *self)
{
  GHashTableIter iter;
  const char *id;

  if (!gtk_window_is_active (window))
    return;
  g_hash_table_iter_init (&iter, self->shown);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    if (g_str_has_prefix (id, "chat-"))
      {
        g_application_withdraw_notification (G_APPLICATION (self->application), id);
        g_hash_table_iter_remove (&iter);
      }
}

static void
window_added_cb (GtkApplication *application,
                 GtkWindow      *window,
                 FerryNotifier  *self)
{
  g_signal_connect_object (window, "notify::is-active", G_CALLBACK (window_active_cb), self, 0);
}

/* GObject */

static void
ferry_notifier_dispose (GObject *object)
{
  FerryNotifier *self = FERRY_NOTIFIER (object);

  if (self->session != NULL)
    {
      GListModel *rooms = ferry_session_get_rooms (self->session);

      for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
        {
          g_autoptr(GObject) room = g_list_model_get_item (rooms, i);

          g_object_set_data (room, "ferry-notifier", NULL);
        }
    }
  if (self->application != NULL && self->inhibit_cookie != 0)
    gtk_application_uninhibit (self->application, self->inhibit_cookie);
  self->inhibit_cookie = 0;
  g_clear_weak_pointer (&self->application);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_notifier_parent_class)->dispose (object);
}

static void
ferry_notifier_finalize (GObject *object)
{
  FerryNotifier *self = FERRY_NOTIFIER (object);

  g_hash_table_unref (self->shown);

  G_OBJECT_CLASS (ferry_notifier_parent_class)->finalize (object);
}

static void
ferry_notifier_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FerryNotifier *self = FERRY_NOTIFIER (object);

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
ferry_notifier_class_init (FerryNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_notifier_dispose;
  object_class->finalize = ferry_notifier_finalize;
  object_class->get_property = ferry_notifier_get_property;

  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_notifier_init (FerryNotifier *self)
{
  self->shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

FerryNotifier *
ferry_notifier_new (GtkApplication *application,
                    FerrySession   *session)
{
  FerryNotifier *self = g_object_new (FERRY_TYPE_NOTIFIER, NULL);
  GListModel *transfers = ferry_session_get_transfers (session);
  GListModel *rooms = ferry_session_get_rooms (session);

  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (FERRY_IS_SESSION (session), NULL);

  g_set_weak_pointer (&self->application, application);
  self->session = g_object_ref (session);
  g_signal_connect_object (transfers, "items-changed", G_CALLBACK (transfers_changed_cb), self, 0);
  transfers_changed_cb (transfers, 0, 0, g_list_model_get_n_items (transfers), self);
  g_signal_connect_object (rooms, "items-changed", G_CALLBACK (rooms_changed_cb), self, 0);
  rooms_changed_cb (rooms, 0, 0, g_list_model_get_n_items (rooms), self);
  g_signal_connect_object (application, "window-added", G_CALLBACK (window_added_cb), self, 0);
  for (GList *l = gtk_application_get_windows (application); l != NULL; l = l->next)
    window_added_cb (application, l->data, self);
  return self;
}

gboolean
ferry_notifier_get_busy (FerryNotifier *self)
{
  g_return_val_if_fail (FERRY_IS_NOTIFIER (self), FALSE);

  return self->busy;
}

FerrySessionTransfer *
ferry_notifier_find_transfer (FerryNotifier *self,
                              const char    *id)
{
  GListModel *transfers;

  g_return_val_if_fail (FERRY_IS_NOTIFIER (self), NULL);

  transfers = ferry_session_get_transfers (self->session);
  for (guint i = 0; i < g_list_model_get_n_items (transfers); i++)
    {
      g_autoptr(FerrySessionTransfer) transfer = g_list_model_get_item (transfers, i);

      if (g_str_equal (ferry_session_transfer_get_id (transfer), id))
        return transfer;
    }
  return NULL;
}
