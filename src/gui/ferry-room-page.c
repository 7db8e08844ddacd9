/* ferry-room-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-chat-message.h"
#include "ferry-qr-code.h"
#include "ferry-room-page.h"
#include "ferry-session-peer.h"

/* Fits the clamp on a phone-sized window and scans easily from a screen. */
#define QR_CODE_MAX_SIZE 240

struct _FerryRoomPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  GtkImage             *kind_icon;
  GtkLabel             *title_label;
  GtkLabel             *subtitle_label;
  AdwPreferencesGroup  *invite_group;
  GtkLabel             *link_label;
  GtkPicture           *qr_picture;
  GtkImage             *status_icon;
  GtkLabel             *status_label;
  GtkListBox           *peers_list;
  GtkWidget            *peers_empty;
  GtkLabel             *peers_empty_state;
  GtkScrolledWindow    *chat_scroller;
  GtkListBox           *messages_list;
  GtkEntry             *chat_entry;

  /* Owned references */
  FerrySessionRoom     *room;
  FerryRoomLink        *link;
  char                 *link_text;  /* holds the room secret: wiped, never logged */
  char                 *title;
};

G_DEFINE_FINAL_TYPE (FerryRoomPage, ferry_room_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ROOM,
  PROP_LINK,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_link_text (FerryRoomPage *self)
{
  if (self->link_text != NULL)
    ferry_memzero (self->link_text, strlen (self->link_text));
  g_clear_pointer (&self->link_text, g_free);
}

static void
ferry_room_page_update (FerryRoomPage *self)
{
  g_autoptr(GdkTexture) qr_code = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  gboolean secret;

  clear_link_text (self);
  g_clear_pointer (&self->title, g_free);

  if (self->link == NULL)
    {
      self->title = g_strdup ("");
      gtk_label_set_text (self->link_label, "");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->link_label), NULL);
      gtk_picture_set_paintable (self->qr_picture, NULL);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.copy-link", FALSE);
      return;
    }

  self->link_text = ferry_room_link_to_string (self->link);
  secret = ferry_room_link_get_kind (self->link) == FERRY_ROOM_KIND_SECRET;
  /* Not the display name: for unnamed secret rooms that is "Private room", which the subtitle
   * already says. */
  name = secret ? ferry_room_link_get_label (self->link)
                : ferry_room_link_get_identifier (self->link);
  /* Translators: the title of a room that was created without a name */
  self->title = g_strdup (name != NULL && *name != '\0' ? name : _("Ferry Room"));

  gtk_label_set_text (self->title_label, self->title);
  if (secret)
    {
      gtk_image_set_from_icon_name (self->kind_icon, "channel-secure-symbolic");
      gtk_label_set_text (self->subtitle_label,
                          _("Private room — only people with the link can find it"));
      adw_preferences_group_set_description (
        self->invite_group,
        _("Send this link to the people you want in the room. Anyone who has it can join."));
    }
  else
    {
      gtk_image_set_from_icon_name (self->kind_icon, "channel-insecure-symbolic");
      gtk_label_set_text (self->subtitle_label,
                          _("Public room — anyone who knows the name can join; connections "
                            "are not verified"));
      adw_preferences_group_set_description (
        self->invite_group,
        _("Send this link or the room name to the people you want in the room."));
    }

  gtk_label_set_text (self->link_label, self->link_text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->link_label), self->link_text);

  qr_code = ferry_qr_code_render (self->link_text, QR_CODE_MAX_SIZE, &error);
  if (qr_code == NULL)
    g_warning ("Cannot show the room link as a QR code: %s", error->message);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr_code));
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), qr_code != NULL);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.copy-link", TRUE);
}

static void
show_toast (FerryRoomPage *self,
            const char    *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *escaped = NULL;

  if (overlay == NULL)
    return;
  /* Toast titles are markup in libadwaita 1.2. */
  escaped = g_markup_escape_text (message, -1);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
}

/* The latest reason a tracker of the room gave for failing, or NULL. */
static const char *
tracker_error (FerrySessionRoom *room)
{
  GListModel *trackers = ferry_session_room_get_trackers (room);
  guint n = g_list_model_get_n_items (trackers);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionTracker) tracker = g_list_model_get_item (trackers, i);
      const char *reason = ferry_session_tracker_get_last_error (tracker);

      if (reason != NULL && *reason != '\0')
        return g_intern_string (reason);
    }
  return NULL;
}

static void
update_state (FerryRoomPage *self)
{
  g_autofree char *text = NULL;
  const char *icon = "network-offline-symbolic";
  guint n_peers = 0;

  if (self->room == NULL)
    text = g_strdup (_("Not connected"));
  else
    {
      const char *reason;

      n_peers = g_list_model_get_n_items (ferry_session_room_get_peers (self->room));
      switch (ferry_session_room_get_state (self->room))
        {
        case FERRY_SESSION_ROOM_JOINING:
          text = g_strdup (_("Joining the room…"));
          icon = "network-idle-symbolic";
          break;
        case FERRY_SESSION_ROOM_JOINED:
          text = g_strdup (_("Connected to the room"));
          icon = "network-transmit-receive-symbolic";
          break;
        case FERRY_SESSION_ROOM_OFFLINE:
          reason = tracker_error (self->room);
          if (reason != NULL)
            /* Translators: %s is why the room's trackers could not be reached */
            text = g_strdup_printf (_("Offline: %s. Trying again…"), reason);
          else
            text = g_strdup (_("Offline: no tracker could be reached. Trying again…"));
          break;
        case FERRY_SESSION_ROOM_LEFT:
        default:
          text = g_strdup (_("You left this room"));
          break;
        }
    }

  gtk_label_set_text (self->status_label, text);
  gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_label_set_text (self->peers_empty_state, text);
  gtk_widget_set_visible (self->peers_empty, n_peers == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->peers_list), n_peers > 0);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.leave",
                                 self->room != NULL &&
                                 ferry_session_room_get_state (self->room) != FERRY_SESSION_ROOM_LEFT);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.send-chat",
                                 self->room != NULL &&
                                 ferry_session_room_get_state (self->room) != FERRY_SESSION_ROOM_LEFT);
  gtk_widget_set_sensitive (GTK_WIDGET (self->chat_entry), self->room != NULL);
}

/* Peers */

static void
update_peer_row (AdwActionRow     *row,
                 GParamSpec       *pspec,
                 FerrySessionPeer *peer)
{
  g_autofree char *subtitle = NULL;
  const char *state;
  const char *trust;
  FerrySessionRoom *room = g_object_get_data (G_OBJECT (row), "ferry-room");

  switch (ferry_session_peer_get_state (peer))
    {
    case FERRY_SESSION_PEER_CONNECTING:
      state = _("Connecting…");
      break;
    case FERRY_SESSION_PEER_CONNECTED:
      state = _("Connected");
      break;
    case FERRY_SESSION_PEER_FAILED:
      state = _("Connection failed");
      break;
    case FERRY_SESSION_PEER_LEFT:
    default:
      state = _("Left");
      break;
    }

  if (room != NULL && ferry_session_room_get_kind (room) == FERRY_ROOM_KIND_SECRET)
    {
      if (ferry_session_peer_get_verified (peer) &&
          ferry_session_peer_get_verification_code (peer) != NULL)
        {
          /* Translators: %s is a code of nine digits, "123 456 789", that both sides compare */
          subtitle = g_strdup_printf (_("Verified · code %s"),
                                      ferry_session_peer_get_verification_code (peer));
          trust = subtitle;
        }
      else
        trust = _("Not verified yet");
    }
  else
    trust = _("Unverified (plain room)");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 ferry_session_peer_get_display_name (peer));
  {
    /* Translators: a peer's connection state, then how far it is trusted */
    g_autofree char *text = g_strdup_printf (_("%s · %s"), state, trust);

    adw_action_row_set_subtitle (row, text);
  }
}

static GtkWidget *
create_peer_row (gpointer item,
                 gpointer user_data)
{
  FerryRoomPage *self = user_data;
  FerrySessionPeer *peer = item;
  GtkWidget *row = adw_action_row_new ();

  gtk_widget_set_name (row, "peer-row");
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set_data_full (G_OBJECT (row), "ferry-room", g_object_ref (self->room), g_object_unref);

  if (ferry_session_peer_get_kind (peer) == FERRY_PEER_KIND_P2PT)
    {
      /* Translators: shown next to a member who uses a plain P2PT app, e.g. in a web browser */
      GtkWidget *label = gtk_label_new (_("Browser"));

      gtk_widget_set_name (label, "peer-kind");
      gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (label, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }

  update_peer_row (ADW_ACTION_ROW (row), NULL, peer);
  g_signal_connect_object (peer, "notify", G_CALLBACK (update_peer_row), row,
                           G_CONNECT_SWAPPED);
  return row;
}

/* Messages */

static void
update_delivered (GtkWidget        *mark,
                  GParamSpec       *pspec,
                  FerryChatMessage *message)
{
  gtk_widget_set_visible (mark, ferry_chat_message_get_delivered (message));
}

static GtkWidget *
create_message_row (gpointer item,
                    gpointer user_data)
{
  FerryChatMessage *message = item;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *sender, *time, *text, *mark;
  g_autofree char *time_text = g_date_time_format (ferry_chat_message_get_time (message), "%H:%M");
  gboolean outgoing = ferry_chat_message_get_outgoing (message);

  gtk_widget_set_name (row, "message-row");
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  /* Translators: the author of our own chat messages */
  sender = gtk_label_new (outgoing ? _("You") : ferry_chat_message_get_peer_name (message));
  gtk_widget_set_name (sender, "message-sender");
  gtk_label_set_ellipsize (GTK_LABEL (sender), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (sender), 0);
  gtk_widget_set_hexpand (sender, TRUE);
  gtk_widget_add_css_class (sender, "heading");
  gtk_box_append (GTK_BOX (header), sender);

  mark = gtk_label_new ("✓");
  gtk_widget_set_name (mark, "message-delivered");
  gtk_widget_set_tooltip_text (mark, _("Delivered"));
  gtk_widget_add_css_class (mark, "success");
  gtk_widget_set_visible (mark, FALSE);
  gtk_box_append (GTK_BOX (header), mark);
  if (outgoing)
    {
      update_delivered (mark, NULL, message);
      g_signal_connect_object (message, "notify::delivered", G_CALLBACK (update_delivered), mark,
                               G_CONNECT_SWAPPED);
    }

  time = gtk_label_new (time_text);
  gtk_widget_set_name (time, "message-time");
  gtk_widget_add_css_class (time, "dim-label");
  gtk_widget_add_css_class (time, "caption");
  gtk_box_append (GTK_BOX (header), time);

  text = gtk_label_new (ferry_chat_message_get_text (message));
  gtk_widget_set_name (text, "message-text");
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_label_set_wrap (GTK_LABEL (text), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (text), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (text), TRUE);

  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), text);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

static gboolean
scroll_to_bottom_cb (gpointer data)
{
  FerryRoomPage *self = data;
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->chat_scroller);

  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
  return G_SOURCE_REMOVE;
}

static void
messages_changed_cb (FerryRoomPage *self)
{
  /* After the new row got its size. */
  g_idle_add_full (G_PRIORITY_LOW, scroll_to_bottom_cb, g_object_ref (self), g_object_unref);
}

static void
room_error_cb (FerryRoomPage *self,
               const GError  *error)
{
  show_toast (self, error->message);
}

static void
send_chat (FerryRoomPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->chat_entry));

  if (self->room == NULL || *text == '\0')
    return;
  ferry_session_room_send_chat (self->room, text);
  gtk_editable_set_text (GTK_EDITABLE (self->chat_entry), "");
}

static void
chat_entry_activate_cb (FerryRoomPage *self)
{
  send_chat (self);
}

static void
ferry_room_page_send_chat (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  send_chat (FERRY_ROOM_PAGE (widget));
}

static void
ferry_room_page_leave (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (widget);
  g_autoptr(FerrySessionRoom) room = NULL;

  if (self->room == NULL)
    return;
  room = g_object_ref (self->room);
  ferry_session_room_leave (room);
  /* Closes the page: back to the start page. */
  gtk_widget_activate_action (widget, "win.show-start", NULL);
  ferry_room_page_set_room (self, NULL);
}

static void
disconnect_room (FerryRoomPage *self)
{
  if (self->room == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->room, self);
  g_signal_handlers_disconnect_by_data (ferry_session_room_get_peers (self->room), self);
  g_signal_handlers_disconnect_by_data (ferry_session_room_get_messages (self->room), self);
  g_signal_handlers_disconnect_by_data (ferry_session_room_get_trackers (self->room), self);
  gtk_list_box_bind_model (self->peers_list, NULL, NULL, NULL, NULL);
  gtk_list_box_bind_model (self->messages_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->room);
}

static void
ferry_room_page_copy_link (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (widget);
  GtkWidget *overlay;

  if (self->link_text == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->link_text);

  overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (_("Link copied")));
}

static void
ferry_room_page_dispose (GObject *object)
{
  disconnect_room (FERRY_ROOM_PAGE (object));
  gtk_widget_dispose_template (GTK_WIDGET (object), FERRY_TYPE_ROOM_PAGE);

  G_OBJECT_CLASS (ferry_room_page_parent_class)->dispose (object);
}

static void
ferry_room_page_finalize (GObject *object)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (object);

  clear_link_text (self);
  g_clear_object (&self->link);
  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (ferry_room_page_parent_class)->finalize (object);
}

static void
ferry_room_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    case PROP_LINK:
      g_value_set_object (value, self->link);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_room_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (object);

  switch (prop_id)
    {
    case PROP_ROOM:
      ferry_room_page_set_room (self, g_value_get_object (value));
      break;
    case PROP_LINK:
      ferry_room_page_set_link (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_room_page_class_init (FerryRoomPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_room_page_dispose;
  object_class->finalize = ferry_room_page_finalize;
  object_class->get_property = ferry_room_page_get_property;
  object_class->set_property = ferry_room_page_set_property;

  properties[PROP_ROOM] =
    g_param_spec_object ("room", NULL, NULL,
                         FERRY_TYPE_SESSION_ROOM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_LINK] =
    g_param_spec_object ("link", NULL, NULL,
                         FERRY_TYPE_ROOM_LINK,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         "",
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-room-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, kind_icon);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, invite_group);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, link_label);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, peers_list);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, peers_empty);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, peers_empty_state);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, chat_scroller);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, messages_list);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, chat_entry);
  gtk_widget_class_bind_template_callback (widget_class, chat_entry_activate_cb);

  gtk_widget_class_install_action (widget_class, "room.copy-link", NULL,
                                   ferry_room_page_copy_link);
  gtk_widget_class_install_action (widget_class, "room.send-chat", NULL,
                                   ferry_room_page_send_chat);
  gtk_widget_class_install_action (widget_class, "room.leave", NULL, ferry_room_page_leave);
}

static void
ferry_room_page_init (FerryRoomPage *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));

  placeholder = gtk_label_new (_("No messages yet"));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 12);
  gtk_widget_set_margin_bottom (placeholder, 12);
  gtk_list_box_set_placeholder (self->messages_list, placeholder);

  ferry_room_page_update (self);
  update_state (self);
}

GtkWidget *
ferry_room_page_new (void)
{
  return g_object_new (FERRY_TYPE_ROOM_PAGE, NULL);
}

FerryRoomLink *
ferry_room_page_get_link (FerryRoomPage *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_PAGE (self), NULL);

  return self->link;
}

void
ferry_room_page_set_link (FerryRoomPage *self,
                          FerryRoomLink *link)
{
  g_return_if_fail (FERRY_IS_ROOM_PAGE (self));
  g_return_if_fail (link == NULL || FERRY_IS_ROOM_LINK (link));

  if (!g_set_object (&self->link, link))
    return;

  ferry_room_page_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINK]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

FerrySessionRoom *
ferry_room_page_get_room (FerryRoomPage *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_PAGE (self), NULL);

  return self->room;
}

void
ferry_room_page_set_room (FerryRoomPage    *self,
                          FerrySessionRoom *room)
{
  g_return_if_fail (FERRY_IS_ROOM_PAGE (self));
  g_return_if_fail (room == NULL || FERRY_IS_SESSION_ROOM (room));

  if (self->room == room)
    return;

  disconnect_room (self);
  if (room != NULL)
    {
      self->room = g_object_ref (room);
      gtk_list_box_bind_model (self->peers_list, ferry_session_room_get_peers (room),
                               create_peer_row, self, NULL);
      gtk_list_box_bind_model (self->messages_list, ferry_session_room_get_messages (room),
                               create_message_row, self, NULL);
      g_signal_connect_swapped (room, "notify::state", G_CALLBACK (update_state), self);
      g_signal_connect_swapped (room, "error", G_CALLBACK (room_error_cb), self);
      g_signal_connect_swapped (ferry_session_room_get_peers (room), "items-changed",
                                G_CALLBACK (update_state), self);
      g_signal_connect_swapped (ferry_session_room_get_trackers (room), "items-changed",
                                G_CALLBACK (update_state), self);
      g_signal_connect_swapped (ferry_session_room_get_messages (room), "items-changed",
                                G_CALLBACK (messages_changed_cb), self);
      ferry_room_page_set_link (self, ferry_session_room_get_link (room));
    }
  update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
}

const char *
ferry_room_page_get_title (FerryRoomPage *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_PAGE (self), NULL);

  return self->title;
}
