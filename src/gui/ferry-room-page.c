/* ferry-room-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-application.h"
#include "ferry-chat-message.h"
#include "ferry-diagnostics-window.h"
#include "ferry-qr-code.h"
#include "ferry-room-page.h"
#include "ferry-session-peer.h"
#include "ferry-transfer-row.h"
#include "ferry-webdrop.h"

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
  GtkListBox           *transfers_list;
  GtkScrolledWindow    *chat_scroller;
  GtkListBox           *messages_list;
  GtkEntry             *chat_entry;

  /* Owned references */
  FerrySessionRoom     *room;
  FerryRoomLink        *link;
  char                 *link_text;  /* holds the room secret: wiped, never logged */
  char                 *title;
  GListModel           *transfers;
  GtkEventController   *drop_target;
  /* The file chooser that is open, and the peer it picks files for (NULL: everyone) */
  GtkFileChooserNative *chooser;
  FerrySessionPeer     *chooser_peer;
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
  const char *webdrop_code;
  const char *name;
  gboolean secret;
  gboolean direct;

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

  secret = ferry_room_link_get_kind (self->link) == FERRY_ROOM_KIND_SECRET;
  direct = self->room != NULL && ferry_session_room_get_direct (self->room);
  webdrop_code = ferry_room_link_get_webdrop_code (self->link);
  /* A WebDrop room is shared with WebDrop's own link, which a browser opens. */
  self->link_text = webdrop_code != NULL ? ferry_webdrop_invite_link (webdrop_code)
                                         : ferry_room_link_to_string (self->link);
  /* Not the display name: for unnamed secret rooms that is "Private room", which the subtitle
   * already says. */
  name = secret ? ferry_room_link_get_label (self->link)
                : ferry_room_link_get_identifier (self->link);
  if (webdrop_code != NULL)
    /* Translators: the title of the room of a WebDrop room code; %s is the code */
    self->title = g_strdup_printf (_("WebDrop %s"), webdrop_code);
  else
    /* Translators: the title of a room that was created without a name */
    self->title = g_strdup (name != NULL && *name != '\0' ? name : _("Ferry Room"));

  gtk_label_set_text (self->title_label, self->title);
  /* A pairing code's room: nobody else can join it, so there is nobody to invite. */
  gtk_widget_set_visible (GTK_WIDGET (self->invite_group), !direct);
  if (direct)
    {
      gtk_image_set_from_icon_name (self->kind_icon, "channel-secure-symbolic");
      gtk_label_set_text (self->subtitle_label,
                          _("Connected directly with a pairing code — no server in between"));
    }
  else if (secret)
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

/* Takes @toast. */
static void
add_toast (FerryRoomPage *self,
           AdwToast      *toast)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (toast);
}

/* A toast whose title is @message as it is: toast titles are markup in libadwaita 1.2. */
static AdwToast *
toast_new (const char *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  return adw_toast_new (escaped);
}

static void
show_toast (FerryRoomPage *self,
            const char    *message)
{
  add_toast (self, toast_new (message));
}

/* A room is shown and not left: chat and files can be sent. */
static gboolean
in_room (FerryRoomPage *self)
{
  return self->room != NULL &&
         ferry_session_room_get_state (self->room) != FERRY_SESSION_ROOM_LEFT;
}

/* The friends of the app the page is shown in, or %NULL outside one. */
static FerryFriends *
get_friends (FerryRoomPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkApplication *application = NULL;

  if (GTK_IS_WINDOW (root))
    application = gtk_window_get_application (GTK_WINDOW (root));
  if (!FERRY_IS_APPLICATION (application))
    return NULL;
  return ferry_session_get_friends (
    ferry_application_get_session (FERRY_APPLICATION (application)));
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
  gboolean joined;

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
          text = g_strdup (ferry_session_room_get_direct (self->room)
                           ? _("Connected directly") : _("Connected to the room"));
          icon = "network-transmit-receive-symbolic";
          break;
        case FERRY_SESSION_ROOM_OFFLINE:
          reason = tracker_error (self->room);
          if (ferry_session_room_get_direct (self->room))
            text = g_strdup (_("Disconnected: the other computer is gone. Connect again with a "
                               "new pairing code."));
          else if (reason != NULL)
            /* Translators: %s is why the room's trackers could not be reached */
            text = g_strdup_printf (_("Offline: %s. Trying again…"), reason);
          else if (ferry_session_room_get_dht (self->room))
            text = g_strdup (_("Offline: neither a tracker nor the DHT could be reached. Trying again…"));
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

  joined = in_room (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.leave", joined);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.diagnostics", joined);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.send-chat", joined);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.send-files", joined);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.send-folder", joined);
  gtk_event_controller_set_propagation_phase (self->drop_target,
                                              joined ? GTK_PHASE_BUBBLE : GTK_PHASE_NONE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->chat_entry), self->room != NULL);
}

/* Sending files */

static void
send_file_list (FerryRoomPage    *self,
                FerrySessionPeer *peer,
                GdkFileList      *list)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new ();
  GSList *head = gdk_file_list_get_files (list);

  for (GSList *l = head; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  ferry_room_page_send_files (self, peer, (GFile * const *) files->pdata, files->len);
  g_slist_free (head);
}

static void
close_chooser (FerryRoomPage *self)
{
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_object (&self->chooser_peer);
}

static void
chooser_response_cb (FerryRoomPage *self,
                     int            response)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) chosen = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (self->chooser));
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
      guint n = g_list_model_get_n_items (chosen);

      for (guint i = 0; i < n; i++)
        g_ptr_array_add (files, g_list_model_get_item (chosen, i));
      ferry_room_page_send_files (self, self->chooser_peer, (GFile * const *) files->pdata,
                                  files->len);
    }
  close_chooser (self);
}

/* Lets the user pick files (or folders) to send to @peer, or with %NULL to everyone. */
static void
choose_files (FerryRoomPage        *self,
              FerrySessionPeer     *peer,
              GtkFileChooserAction  action,
              const char           *title)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));

  close_chooser (self);
  self->chooser = gtk_file_chooser_native_new (title,
                                               GTK_IS_WINDOW (native) ? GTK_WINDOW (native) : NULL,
                                               action, _("_Send"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
  g_set_object (&self->chooser_peer, peer);
  g_signal_connect_swapped (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
ferry_room_page_choose_files (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  if (g_str_equal (action_name, "room.send-folder"))
    choose_files (FERRY_ROOM_PAGE (widget), NULL, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                  _("Send Folders to Everyone"));
  else
    choose_files (FERRY_ROOM_PAGE (widget), NULL, GTK_FILE_CHOOSER_ACTION_OPEN,
                  _("Send Files to Everyone"));
}

static gboolean
page_drop_cb (FerryRoomPage *self,
              const GValue  *value)
{
  send_file_list (self, NULL, g_value_get_boxed (value));
  return TRUE;
}

static void
paste_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(FerryRoomPage) self = data;
  g_autoptr(GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);

  if (value == NULL)
    show_toast (self, error->message);
  else
    send_file_list (self, NULL, g_value_get_boxed (value));
}

/* Ctrl+V, before the chat entry sees it: files on the clipboard are sent to everyone; anything
 * else is left to the entry. */
static gboolean
paste_files_cb (GtkWidget *widget,
                GVariant  *args,
                gpointer   user_data)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (widget);
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  g_autoptr(GdkContentFormats) formats = NULL;

  if (!in_room (self))
    return FALSE;
  /* Also what can be read as files: text/uri-list from another program. */
  formats = gdk_content_formats_union_deserialize_gtypes (
    gdk_content_formats_ref (gdk_clipboard_get_formats (clipboard)));
  if (!gdk_content_formats_contain_gtype (formats, GDK_TYPE_FILE_LIST))
    return FALSE;
  gdk_clipboard_read_value_async (clipboard, GDK_TYPE_FILE_LIST, G_PRIORITY_DEFAULT, NULL,
                                  paste_read_cb, g_object_ref (self));
  return TRUE;
}

/* Peers */

static char *
send_files_to (FerrySessionPeer *peer)
{
  /* Translators: a button's tooltip and the file chooser's title; %s is the name of a person
   * in the room */
  return g_strdup_printf (_("Send Files to %s"), ferry_session_peer_get_display_name (peer));
}

/* How far @peer is trusted, for its row: a friend, an impostor, verified in a secret room.  In
 * a direct room a peer that proved nothing (a nearby device's: its code was public) shows the
 * verification code the users compare. */
static char *
describe_trust (FerrySessionPeer *peer,
                gboolean          secret,
                gboolean          direct)
{
  FerryFriendTrust trust = ferry_session_peer_get_trust (peer);
  const char *code = ferry_session_peer_get_verification_code (peer);
  g_autofree char *verified = NULL;

  if (trust == FERRY_FRIEND_TRUST_IMPOSTOR)
    /* Translators: %s is the name of a friend, which someone else uses */
    return g_strdup_printf (_("Not the %s you marked as a friend"),
                            ferry_session_peer_get_display_name (peer));

  if (secret && ferry_session_peer_get_verified (peer) && code != NULL)
    /* Translators: %s is a code of nine digits, "123 456 789", that both sides compare */
    verified = g_strdup_printf (_("Verified · code %s"), code);
  else if (direct && code != NULL && ferry_session_peer_get_state (peer) == FERRY_SESSION_PEER_CONNECTED)
    /* Translators: %s is a code of nine digits, "123 456 789", that both sides compare: the
     * connection proves nothing until they did */
    verified = g_strdup_printf (_("Compare code %s"), code);
  else if (secret)
    verified = g_strdup (_("Not verified yet"));

  if (trust != FERRY_FRIEND_TRUST_FRIEND)
    return verified != NULL ? g_steal_pointer (&verified) : g_strdup (_("Unverified (plain room)"));
  /* A friend's certificate proves who it is, in a plain room too. */
  if (verified == NULL)
    /* Translators: someone the user marked as a friend, recognised by their certificate */
    return g_strdup (_("Friend"));
  /* Translators: a friend, then how the connection is verified: "Friend · Verified · code
   * 123 456 789" */
  return g_strdup_printf (_("Friend · %s"), verified);
}

static void
update_peer_row (AdwActionRow     *row,
                 GParamSpec       *pspec,
                 FerrySessionPeer *peer)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *trust = NULL;
  g_autofree char *send_label = NULL;
  const char *state;
  const char *friend_label;
  FerrySessionRoom *room = g_object_get_data (G_OBJECT (row), "ferry-room");
  GtkWidget *send_button = g_object_get_data (G_OBJECT (row), "ferry-send-button");
  GtkWidget *friend_button = g_object_get_data (G_OBJECT (row), "ferry-friend-button");
  GtkWidget *impostor_icon = g_object_get_data (G_OBJECT (row), "ferry-impostor-icon");
  GtkEventController *drop_target = g_object_get_data (G_OBJECT (row), "ferry-drop-target");
  gboolean takes_files = ferry_session_peer_get_can_receive_files (peer);
  gboolean friend = ferry_session_peer_get_trust (peer) == FERRY_FRIEND_TRUST_FRIEND;
  gboolean impostor = ferry_session_peer_get_trust (peer) == FERRY_FRIEND_TRUST_IMPOSTOR;

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

  trust = describe_trust (peer,
                         room != NULL && ferry_session_room_get_kind (room) == FERRY_ROOM_KIND_SECRET,
                         room != NULL && ferry_session_room_get_direct (room));
  /* Translators: a peer's connection state, then how far it is trusted */
  subtitle = g_strdup_printf (_("%s · %s"), state, trust);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 ferry_session_peer_get_display_name (peer));
  adw_action_row_set_subtitle (row, subtitle);

  gtk_widget_set_visible (impostor_icon, impostor);
  if (impostor)
    gtk_widget_add_css_class (GTK_WIDGET (row), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "warning");

  /* Only a Ferry peer has a certificate of its own to remember, and marking it needs the code
   * to compare. */
  friend_label = friend ? _("Forget Friend") : _("Mark as Friend…");
  gtk_button_set_icon_name (GTK_BUTTON (friend_button),
                            friend ? "starred-symbolic" : "non-starred-symbolic");
  gtk_widget_set_tooltip_text (friend_button, friend_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (friend_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  friend_label, -1);
  gtk_widget_set_visible (friend_button,
                          ferry_session_peer_get_kind (peer) == FERRY_PEER_KIND_FERRY &&
                          ferry_session_peer_get_fingerprint (peer) != NULL &&
                          (friend || ferry_session_peer_get_verification_code (peer) != NULL));

  send_label = send_files_to (peer);
  gtk_widget_set_tooltip_text (send_button, send_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (send_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  send_label, -1);
  gtk_widget_set_visible (send_button, takes_files);
  gtk_event_controller_set_propagation_phase (drop_target,
                                              takes_files ? GTK_PHASE_BUBBLE : GTK_PHASE_NONE);
}

static void
mark_friend_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         FerryRoomPage    *self)
{
  FerryFriends *friends = get_friends (self);
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (response, "mark") || friends == NULL)
    return;
  if (!ferry_friends_add (friends, g_object_get_data (G_OBJECT (dialog), "ferry-name"),
                          g_object_get_data (G_OBJECT (dialog), "ferry-fingerprint"), &error))
    show_toast (self, error->message);
}

/* Asks whether the user compared the code with @peer before remembering it as a friend. */
static void
mark_friend (FerryRoomPage    *self,
             FerrySessionPeer *peer)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *name = ferry_session_peer_get_display_name (peer);
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  /* Translators: %1$s is the name of a person in the room, %2$s the code of nine digits both
   * sides see, "123 456 789" */
  body = g_strdup_printf (_("Mark %1$s as a friend only if the code %1$s sees is %2$s too. Ferry "
                            "then recognises %1$s in every room, and warns you if someone else "
                            "uses that name."),
                          name, ferry_session_peer_get_verification_code (peer));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       _("Did you compare the code?"), body));
  gtk_widget_set_name (GTK_WIDGET (dialog), "mark-friend-dialog");
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "mark", _("_Mark as Friend"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "mark", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (dialog, "cancel");
  /* The certificate whose code the user compared, even if the peer changes meanwhile. */
  g_object_set_data_full (G_OBJECT (dialog), "ferry-name", g_strdup (name), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "ferry-fingerprint",
                          g_strdup (ferry_session_peer_get_fingerprint (peer)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (mark_friend_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
peer_friend_clicked_cb (GtkWidget        *button,
                        FerrySessionPeer *peer)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (gtk_widget_get_ancestor (button, FERRY_TYPE_ROOM_PAGE));
  FerryFriends *friends = get_friends (self);
  g_autoptr(GError) error = NULL;

  if (ferry_session_peer_get_trust (peer) != FERRY_FRIEND_TRUST_FRIEND)
    mark_friend (self, peer);
  else if (friends != NULL &&
           !ferry_friends_remove (friends, ferry_session_peer_get_fingerprint (peer), &error))
    show_toast (self, error->message);
}

static void
peer_send_clicked_cb (GtkWidget        *button,
                      FerrySessionPeer *peer)
{
  GtkWidget *page = gtk_widget_get_ancestor (button, FERRY_TYPE_ROOM_PAGE);
  g_autofree char *title = send_files_to (peer);

  choose_files (FERRY_ROOM_PAGE (page), peer, GTK_FILE_CHOOSER_ACTION_OPEN, title);
}

static gboolean
peer_drop_cb (GtkDropTarget    *target,
              const GValue     *value,
              double            x,
              double            y,
              FerrySessionPeer *peer)
{
  GtkWidget *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (target));
  GtkWidget *page = gtk_widget_get_ancestor (row, FERRY_TYPE_ROOM_PAGE);

  send_file_list (FERRY_ROOM_PAGE (page), peer, g_value_get_boxed (value));
  return TRUE;
}

static GtkWidget *
create_peer_row (gpointer item,
                 gpointer user_data)
{
  FerryRoomPage *self = user_data;
  FerrySessionPeer *peer = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *send_button, *friend_button, *impostor_icon;
  GtkDropTarget *drop_target;

  gtk_widget_set_name (row, "peer-row");
  gtk_widget_add_css_class (row, "peer-row");
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set_data_full (G_OBJECT (row), "ferry-room", g_object_ref (self->room), g_object_unref);

  /* Files for this person only: chosen, or dropped on the row. */
  send_button = gtk_button_new_from_icon_name ("document-send-symbolic");
  gtk_widget_set_name (send_button, "peer-send-files");
  gtk_widget_set_valign (send_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (send_button, "flat");
  g_signal_connect_object (send_button, "clicked", G_CALLBACK (peer_send_clicked_cb), peer, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), send_button);
  g_object_set_data (G_OBJECT (row), "ferry-send-button", send_button);

  /* Remembering the person's certificate, or forgetting it. */
  friend_button = gtk_button_new ();
  gtk_widget_set_name (friend_button, "peer-friend");
  gtk_widget_set_valign (friend_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (friend_button, "flat");
  g_signal_connect_object (friend_button, "clicked", G_CALLBACK (peer_friend_clicked_cb), peer, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), friend_button);
  g_object_set_data (G_OBJECT (row), "ferry-friend-button", friend_button);

  /* Someone using a friend's name; the subtitle says so. */
  impostor_icon = g_object_new (GTK_TYPE_IMAGE,
                                "name", "peer-impostor",
                                "icon-name", "dialog-warning-symbolic",
                                "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                NULL);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), impostor_icon);
  g_object_set_data (G_OBJECT (row), "ferry-impostor-icon", impostor_icon);

  drop_target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop_target, "drop", G_CALLBACK (peer_drop_cb), peer, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (drop_target));
  g_object_set_data (G_OBJECT (row), "ferry-drop-target", drop_target);

  if (ferry_session_peer_get_kind (peer) == FERRY_PEER_KIND_P2PT ||
      ferry_session_peer_get_kind (peer) == FERRY_PEER_KIND_WEBDROP)
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

/* Transfers */

static GtkWidget *
create_transfer_row (gpointer item,
                     gpointer user_data)
{
  return ferry_transfer_row_new (item, get_friends (user_data));
}

/* An offer from someone using a friend's name: a toast without Accept, which would not ask. */
static AdwToast *
impostor_offer_toast_new (FerrySessionTransfer *transfer)
{
  g_autofree char *size = g_format_size (ferry_session_transfer_get_total (transfer));
  g_autofree char *text = NULL;

  /* Translators: "Someone calling themselves Ana wants to send you holiday.jpg (2.1 MB)": Ana is
   * the name of a friend, which someone else uses */
  text = g_strdup_printf (_("Someone calling themselves %s wants to send you %s (%s)"),
                          ferry_session_transfer_get_peer_name (transfer),
                          ferry_session_transfer_get_title (transfer), size);
  return toast_new (text);
}

/* A new offer also gets a toast, with Accept unless it comes from an impostor, that goes once
 * the offer is answered. */
static void
transfers_changed_cb (FerryRoomPage *self,
                      guint          position,
                      guint          removed,
                      guint          added,
                      GListModel    *transfers)
{
  FerryFriends *friends;

  if (!in_room (self))
    return;

  friends = get_friends (self);
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(FerrySessionTransfer) transfer = g_list_model_get_item (transfers, i);
      AdwToast *toast;

      if (ferry_session_transfer_get_direction (transfer) != FERRY_TRANSFER_DIRECTION_RECEIVE ||
          ferry_session_transfer_get_state (transfer) != FERRY_TRANSFER_STATE_OFFERED)
        continue;
      if (ferry_transfer_from_impostor (transfer, friends))
        toast = impostor_offer_toast_new (transfer);
      else
        {
          g_autofree char *text = ferry_transfer_describe_offer (transfer);

          toast = toast_new (text);
          adw_toast_set_button_label (toast, _("_Accept"));
          adw_toast_set_action_name (toast, "app.accept-transfer");
          adw_toast_set_action_target_value (
            toast, g_variant_new_string (ferry_session_transfer_get_id (transfer)));
        }
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      g_signal_connect_object (transfer, "notify::state", G_CALLBACK (adw_toast_dismiss), toast,
                               G_CONNECT_SWAPPED);
      add_toast (self, toast);
    }
}

static void
disconnect_transfers (FerryRoomPage *self)
{
  if (self->transfers == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->transfers, self);
  gtk_list_box_bind_model (self->transfers_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->transfers);
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
ferry_room_page_diagnostics (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (widget);
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  GtkWindow *diagnostics;

  if (self->room == NULL)
    return;
  diagnostics = GTK_WINDOW (ferry_diagnostics_window_new (parent, self->room));
  gtk_window_set_application (diagnostics, gtk_window_get_application (parent));
  gtk_window_present (diagnostics);
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

  if (self->link_text == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->link_text);
  show_toast (self, _("Link copied"));
}

static void
ferry_room_page_dispose (GObject *object)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (object);

  close_chooser (self);
  disconnect_transfers (self);
  disconnect_room (self);
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
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, transfers_list);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, chat_scroller);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, messages_list);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, chat_entry);
  gtk_widget_class_bind_template_callback (widget_class, chat_entry_activate_cb);

  gtk_widget_class_install_action (widget_class, "room.copy-link", NULL,
                                   ferry_room_page_copy_link);
  gtk_widget_class_install_action (widget_class, "room.send-chat", NULL,
                                   ferry_room_page_send_chat);
  gtk_widget_class_install_action (widget_class, "room.send-files", NULL,
                                   ferry_room_page_choose_files);
  gtk_widget_class_install_action (widget_class, "room.send-folder", NULL,
                                   ferry_room_page_choose_files);
  gtk_widget_class_install_action (widget_class, "room.diagnostics", NULL,
                                   ferry_room_page_diagnostics);
  gtk_widget_class_install_action (widget_class, "room.leave", NULL, ferry_room_page_leave);
}

static GtkWidget *
placeholder_new (const char *text)
{
  GtkWidget *placeholder = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_label_set_justify (GTK_LABEL (placeholder), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 12);
  gtk_widget_set_margin_bottom (placeholder, 12);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  return placeholder;
}

static void
ferry_room_page_init (FerryRoomPage *self)
{
  GtkDropTarget *drop_target;
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_list_box_set_placeholder (self->messages_list, placeholder_new (_("No messages yet")));
  gtk_list_box_set_placeholder (self->transfers_list,
                                placeholder_new (_("Drop or paste files here to send them to "
                                                   "everyone in the room")));

  /* Files dropped anywhere on the page go to everyone; on a person, to that person only. */
  drop_target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_swapped (drop_target, "drop", G_CALLBACK (page_drop_cb), self);
  self->drop_target = GTK_EVENT_CONTROLLER (drop_target);
  gtk_widget_add_controller (GTK_WIDGET (self), self->drop_target);

  /* Before the chat entry: Ctrl+V there pastes files as well. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (
    GTK_SHORTCUT_CONTROLLER (shortcuts),
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_v, GDK_CONTROL_MASK),
                      gtk_callback_action_new (paste_files_cb, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

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
      g_signal_connect_swapped (room, "notify::dht", G_CALLBACK (update_state), self);
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

void
ferry_room_page_set_transfers (FerryRoomPage *self,
                               GListModel    *transfers)
{
  g_return_if_fail (FERRY_IS_ROOM_PAGE (self));
  g_return_if_fail (transfers == NULL || G_IS_LIST_MODEL (transfers));

  if (self->transfers == transfers)
    return;

  disconnect_transfers (self);
  if (transfers == NULL)
    return;
  self->transfers = g_object_ref (transfers);
  gtk_list_box_bind_model (self->transfers_list, transfers, create_transfer_row, self, NULL);
  g_signal_connect_swapped (transfers, "items-changed", G_CALLBACK (transfers_changed_cb), self);
}

/* The WebDrop user that folders would go to (@peer, or anyone in the room when sending to
 * everyone), or %NULL. */
static FerrySessionPeer *
webdrop_receiver (FerryRoomPage    *self,
                  FerrySessionPeer *peer)
{
  GListModel *peers = ferry_session_room_get_peers (self->room);

  if (peer != NULL)
    return ferry_session_peer_get_kind (peer) == FERRY_PEER_KIND_WEBDROP ? peer : NULL;
  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerrySessionPeer) member = g_list_model_get_item (peers, i);

      if (ferry_session_peer_get_kind (member) == FERRY_PEER_KIND_WEBDROP)
        return member;   /* the room holds it */
    }
  return NULL;
}

static void
send_folders_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          FerryRoomPage    *self)
{
  GPtrArray *files = g_object_get_data (G_OBJECT (dialog), "ferry-files");

  if (g_str_equal (response, "send") && in_room (self))
    ferry_session_room_send_files (self->room, g_object_get_data (G_OBJECT (dialog), "ferry-peer"),
                                   (GFile * const *) files->pdata, files->len);
}

void
ferry_room_page_send_files (FerryRoomPage    *self,
                            FerrySessionPeer *peer,
                            GFile * const    *files,
                            guint             n_files)
{
  FerrySessionPeer *webdrop;
  GtkRoot *root;
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;
  GPtrArray *copy;
  guint i;

  g_return_if_fail (FERRY_IS_ROOM_PAGE (self));
  g_return_if_fail (peer == NULL || FERRY_IS_SESSION_PEER (peer));
  g_return_if_fail (files != NULL || n_files == 0);

  if (!in_room (self) || n_files == 0)
    return;
  /* WebDrop has no folders: its users get the files of a folder by their names only, which the
   * user hears before anything goes. */
  for (i = 0; i < n_files; i++)
    if (g_file_query_file_type (files[i], G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_DIRECTORY)
      break;
  if (i == n_files || (webdrop = webdrop_receiver (self, peer)) == NULL)
    {
      ferry_session_room_send_files (self->room, peer, files, n_files);
      return;
    }

  /* Translators: %s is the name of a person in the room who uses WebDrop in a web browser */
  body = g_strdup_printf (_("WebDrop has no folders: %s gets each file by its own name, without "
                            "the folders it is in, and no empty folders."),
                          ferry_session_peer_get_display_name (webdrop));
  root = gtk_widget_get_root (GTK_WIDGET (self));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Send Folders as Files?"), body));
  gtk_widget_set_name (GTK_WIDGET (dialog), "webdrop-folders-dialog");
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "send", _("_Send Files"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "send", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (dialog, "cancel");
  copy = g_ptr_array_new_with_free_func (g_object_unref);
  for (i = 0; i < n_files; i++)
    g_ptr_array_add (copy, g_object_ref (files[i]));
  g_object_set_data_full (G_OBJECT (dialog), "ferry-files", copy, (GDestroyNotify) g_ptr_array_unref);
  if (peer != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "ferry-peer", g_object_ref (peer), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (send_folders_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
