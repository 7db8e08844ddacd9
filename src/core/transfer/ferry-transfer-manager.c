/* ferry-transfer-manager.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-crypto.h"
#include "ferry-transfer-manager.h"
#include "ferry-transfer-private.h"

struct _FerryTransferManager
{
  GObject     parent_instance;

  GFile      *state_dir;
  GPtrArray  *rooms;       /* FerryRoom */
  GPtrArray  *peers;       /* FerryPeer being watched */
  GPtrArray  *ready;       /* of those, the ones that take transfers */
  GListStore *transfers;   /* FerryTransfer */
};

G_DEFINE_FINAL_TYPE (FerryTransferManager, ferry_transfer_manager, G_TYPE_OBJECT)

enum {
  TRANSFER_ADDED,
  OFFER_REFUSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
peer_fingerprint (FerryPeer *peer)
{
  const guint8 *fingerprint = ferry_peer_get_fingerprint (peer);

  return fingerprint ? ferry_hex_encode (fingerprint, FERRY_SHA256_LEN) : NULL;
}

gboolean
ferry_transfer_manager_peer_can_receive (FerryPeer *peer)
{
  return ferry_peer_get_connected (peer) &&
         (ferry_peer_has_capability (peer, "files") || ferry_peer_get_kind (peer) == FERRY_PEER_KIND_WEBDROP);
}

/* The room @peer is in, or %NULL for a peer met without one. */
static FerryRoom *
room_of (FerryTransferManager *self,
         FerryPeer            *peer)
{
  for (guint i = 0; i < self->rooms->len; i++)
    {
      FerryRoom *room = g_ptr_array_index (self->rooms, i);

      if (g_list_store_find (G_LIST_STORE (ferry_room_get_peers (room)), peer, NULL))
        return room;
    }
  return NULL;
}

/* The transfer @id shared with @peer, in @direction (-1: either). */
static FerryTransfer *
find_transfer (FerryTransferManager *self,
               FerryPeer            *peer,
               const char           *id,
               int                   direction)
{
  g_autofree char *fingerprint = peer_fingerprint (peer);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->transfers));

  for (guint i = 0; fingerprint != NULL && i < n; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

      if (g_str_equal (ferry_transfer_get_id (transfer), id) &&
          g_str_equal (ferry_transfer_get_peer_fingerprint (transfer), fingerprint) &&
          (direction < 0 || (int) ferry_transfer_get_direction (transfer) == direction))
        return transfer;
    }
  return NULL;
}

static void
add_transfer (FerryTransferManager *self,
              FerryTransfer        *transfer)
{
  g_list_store_append (self->transfers, transfer);
  g_signal_emit (self, signals[TRANSFER_ADDED], 0, transfer);
}

/* Hands the unfinished transfers with @peer's fingerprint to @peer: all of them when it has
 * just become ready, else only those without a peer. */
static void
bind_transfers (FerryTransferManager *self,
                FerryPeer            *peer,
                gboolean              take_over)
{
  g_autofree char *fingerprint = peer_fingerprint (peer);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->transfers));

  for (guint i = 0; fingerprint != NULL && i < n; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

      /* The latest connection to a friend wins: an older one may be dead without knowing it
       * yet (the other program was killed, the network cut). */
      if (!ferry_transfer_is_finished (transfer) &&
          (take_over || ferry_transfer_get_peer (transfer) == NULL) &&
          g_str_equal (ferry_transfer_get_peer_fingerprint (transfer), fingerprint))
        _ferry_transfer_set_peer (transfer, peer);
    }
}

/* Messages and channels */

static void
handle_offer (FerryTransferManager   *self,
              FerryPeer              *peer,
              const FerryPeerMessage *message)
{
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  /* An offer repeated after a reconnection. */
  if (find_transfer (self, peer, message->offer.transfer, FERRY_TRANSFER_DIRECTION_RECEIVE))
    return;

  if (!(transfer = _ferry_transfer_new_incoming (peer, message, self->state_dir, &error)))
    {
      g_autoptr(FerryPeerMessage) decline = ferry_peer_message_new_decline (message->offer.transfer,
                                                                            error->message);

      ferry_peer_send_message (peer, decline, NULL);
      g_signal_emit (self, signals[OFFER_REFUSED], 0, peer, error);
      return;
    }
  add_transfer (self, transfer);
}

static void
peer_message_cb (FerryPeer              *peer,
                 const FerryPeerMessage *message,
                 FerryTransferManager   *self)
{
  const char *id = ferry_peer_message_get_transfer (message);
  FerryTransfer *transfer;
  int direction = -1;

  if (id == NULL)
    return;
  if (message->type == FERRY_PEER_MESSAGE_OFFER)
    {
      handle_offer (self, peer, message);
      return;
    }

  /* Which end of the transfer the message is for. */
  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_ACCEPT:
    case FERRY_PEER_MESSAGE_DECLINE:
    case FERRY_PEER_MESSAGE_RESUME_STATE:
    case FERRY_PEER_MESSAGE_FILE_DONE:
      direction = FERRY_TRANSFER_DIRECTION_SEND;
      break;
    case FERRY_PEER_MESSAGE_RESTART:
      direction = FERRY_TRANSFER_DIRECTION_RECEIVE;
      break;
    default:
      break;
    }

  if ((transfer = find_transfer (self, peer, id, direction)))
    {
      /* Messages come only over a connection the transfer knows. */
      if (ferry_transfer_get_peer (transfer) == NULL)
        _ferry_transfer_set_peer (transfer, peer);
      _ferry_transfer_handle_message (transfer, message);
    }
  else if (message->type == FERRY_PEER_MESSAGE_RESUME_STATE)
    {
      /* The receiver waits for a transfer we no longer have: tell it. */
      g_autoptr(FerryPeerMessage) cancel =
        ferry_peer_message_new_cancel (id, _("The sender no longer has this transfer"));

      ferry_peer_send_message (peer, cancel, NULL);
    }
}

static void
data_channel_cb (FerryPeer            *peer,
                 FerryDataChannel     *channel,
                 FerryTransferManager *self)
{
  const char *id = ferry_data_channel_get_label (channel) + strlen (FERRY_PEER_TRANSFER_CHANNEL_PREFIX);
  FerryTransfer *transfer = find_transfer (self, peer, id, FERRY_TRANSFER_DIRECTION_RECEIVE);

  if (transfer != NULL)
    {
      _ferry_transfer_handle_channel (transfer, channel);
      return;
    }
  ferry_data_channel_close (channel);
  if (ferry_peer_message_id_is_valid (id))
    {
      g_autoptr(FerryPeerMessage) cancel =
        ferry_peer_message_new_cancel (id, _("The receiver no longer has this transfer"));

      ferry_peer_send_message (peer, cancel, NULL);
    }
}

/* WebDrop: its shares become incoming transfers of one file each; startSending and the file
 * signals go to the transfer that has the share. */
static gboolean
route_webdrop (FerryTransferManager      *self,
               FerryPeer                 *peer,
               const FerryWebdropMessage *message)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->transfers));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

      if (ferry_transfer_get_peer (transfer) == peer &&
          (message->type != FERRY_WEBDROP_MESSAGE_NEW_SHARE ||
           ferry_transfer_get_direction (transfer) == FERRY_TRANSFER_DIRECTION_RECEIVE) &&
          _ferry_transfer_handle_webdrop (transfer, message))
        return TRUE;
    }
  return FALSE;
}

static void
webdrop_message_cb (FerryPeer                 *peer,
                    const FerryWebdropMessage *message,
                    FerryTransferManager      *self)
{
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;
  FerryRoom *room = room_of (self, peer);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->transfers));

  switch (message->type)
    {
    case FERRY_WEBDROP_MESSAGE_NEW_SHARE:
      /* WebDrop announces a share again when asked for its shares; it is one offer. */
      if (room == NULL || route_webdrop (self, peer, message))
        return;
      if (!(transfer = _ferry_transfer_new_webdrop_incoming (peer, message, ferry_room_get_rtc_config (room), &error)))
        {
          g_signal_emit (self, signals[OFFER_REFUSED], 0, peer, error);
          return;
        }
      add_transfer (self, transfer);
      break;
    case FERRY_WEBDROP_MESSAGE_GET_SHARES:
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(FerryTransfer) sent = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

          if (ferry_transfer_get_peer (sent) == peer && !ferry_transfer_is_finished (sent) &&
              ferry_transfer_get_direction (sent) == FERRY_TRANSFER_DIRECTION_SEND)
            _ferry_transfer_start (sent);
        }
      break;
    case FERRY_WEBDROP_MESSAGE_START_SENDING:
    case FERRY_WEBDROP_MESSAGE_FILE_SIGNAL:
      if (!route_webdrop (self, peer, message))
        g_debug ("WebDrop: %s asked about a share we do not have", ferry_peer_get_display_name (peer));
      break;
    default:
      break;
    }
}

/* Peers */

static void unwatch_peer (FerryTransferManager *self, FerryPeer *peer);

static void
peer_ready_cb (FerryPeer            *peer,
               GParamSpec           *pspec,
               FerryTransferManager *self)
{
  if (!ferry_transfer_manager_peer_can_receive (peer) || g_ptr_array_find (self->ready, peer, NULL))
    return;
  g_ptr_array_add (self->ready, peer);
  bind_transfers (self, peer, TRUE);
}

static void
peer_closed_cb (FerryPeer            *peer,
                FerryTransferManager *self)
{
  g_autoptr(FerryPeer) ref = g_object_ref (peer);
  g_autofree char *fingerprint = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->transfers));

  unwatch_peer (self, peer);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

      if (ferry_transfer_get_peer (transfer) == peer)
        _ferry_transfer_set_peer (transfer, NULL);
    }
  /* The same friend may still be connected in another room. */
  for (guint i = 0; i < self->ready->len; i++)
    bind_transfers (self, g_ptr_array_index (self->ready, i), FALSE);
}

static void
watch_peer (FerryTransferManager *self,
            FerryPeer            *peer)
{
  if (g_ptr_array_find (self->peers, peer, NULL))
    return;
  g_ptr_array_add (self->peers, g_object_ref (peer));
  g_signal_connect (peer, "peer-message", G_CALLBACK (peer_message_cb), self);
  g_signal_connect (peer, "data-channel", G_CALLBACK (data_channel_cb), self);
  g_signal_connect (peer, "webdrop-message", G_CALLBACK (webdrop_message_cb), self);
  g_signal_connect (peer, "notify::kind", G_CALLBACK (peer_ready_cb), self);
  g_signal_connect (peer, "notify::connected", G_CALLBACK (peer_ready_cb), self);
  g_signal_connect (peer, "closed", G_CALLBACK (peer_closed_cb), self);
  peer_ready_cb (peer, NULL, self);
}

static void
unwatch_peer (FerryTransferManager *self,
              FerryPeer            *peer)
{
  g_signal_handlers_disconnect_by_data (peer, self);
  g_ptr_array_remove (self->ready, peer);
  g_ptr_array_remove (self->peers, peer);
}

static void
peer_joined_cb (FerryRoom            *room,
                FerryPeer            *peer,
                FerryTransferManager *self)
{
  watch_peer (self, peer);
}

static void
peer_left_cb (FerryRoom            *room,
              FerryPeer            *peer,
              FerryTransferManager *self)
{
  if (g_ptr_array_find (self->peers, peer, NULL))
    peer_closed_cb (peer, self);
}

void
ferry_transfer_manager_add_room (FerryTransferManager *self,
                                 FerryRoom            *room)
{
  GListModel *peers;

  g_return_if_fail (FERRY_IS_TRANSFER_MANAGER (self));
  g_return_if_fail (FERRY_IS_ROOM (room));

  if (g_ptr_array_find (self->rooms, room, NULL))
    return;
  g_ptr_array_add (self->rooms, g_object_ref (room));
  g_signal_connect (room, "peer-joined", G_CALLBACK (peer_joined_cb), self);
  g_signal_connect (room, "peer-left", G_CALLBACK (peer_left_cb), self);
  peers = ferry_room_get_peers (room);
  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (peers, i);

      watch_peer (self, peer);
    }
}

void
ferry_transfer_manager_remove_room (FerryTransferManager *self,
                                    FerryRoom            *room)
{
  GListModel *peers;

  g_return_if_fail (FERRY_IS_TRANSFER_MANAGER (self));

  if (!g_ptr_array_find (self->rooms, room, NULL))
    return;
  g_signal_handlers_disconnect_by_data (room, self);
  peers = ferry_room_get_peers (room);
  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (peers, i);

      if (g_ptr_array_find (self->peers, peer, NULL))
        peer_closed_cb (peer, self);
    }
  g_ptr_array_remove (self->rooms, room);
}

void
ferry_transfer_manager_add_peer (FerryTransferManager *self,
                                 FerryPeer            *peer)
{
  g_return_if_fail (FERRY_IS_TRANSFER_MANAGER (self));
  g_return_if_fail (FERRY_IS_PEER (peer));

  watch_peer (self, peer);
}

GListModel *
ferry_transfer_manager_get_transfers (FerryTransferManager *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_MANAGER (self), NULL);

  return G_LIST_MODEL (self->transfers);
}

FerryTransfer *
ferry_transfer_manager_find_sent (FerryTransferManager *self,
                                  FerryTransferSources *sources)
{
  guint n;

  g_return_val_if_fail (FERRY_IS_TRANSFER_MANAGER (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->transfers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

      if (_ferry_transfer_offers (transfer, sources))
        return transfer;
    }
  return NULL;
}

FerryTransfer *
ferry_transfer_manager_send (FerryTransferManager  *self,
                             FerryPeer             *peer,
                             FerryTransferSources  *sources,
                             GError               **error)
{
  g_autofree char *fingerprint = NULL;
  g_autoptr(FerryTransfer) transfer = NULL;
  guint n;

  g_return_val_if_fail (FERRY_IS_TRANSFER_MANAGER (self), NULL);
  g_return_val_if_fail (FERRY_IS_PEER (peer), NULL);
  g_return_val_if_fail (FERRY_IS_TRANSFER_SOURCES (sources), NULL);

  if (!ferry_transfer_manager_peer_can_receive (peer) || !(fingerprint = peer_fingerprint (peer)))
    {
      g_set_error (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_NOT_CONNECTED,
                   ferry_peer_get_kind (peer) == FERRY_PEER_KIND_P2PT
                     ? _("%s uses an app that can only chat") : _("%s is not connected"),
                   ferry_peer_get_display_name (peer));
      return NULL;
    }
  if (ferry_transfer_sources_get_n_files (sources) == 0)
    {
      g_set_error_literal (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STATE,
                           _("There is no file to send"));
      return NULL;
    }

  if (ferry_peer_get_kind (peer) == FERRY_PEER_KIND_WEBDROP)
    {
      FerryRoom *room = room_of (self, peer);

      if (room == NULL)
        {
          g_set_error (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_NOT_CONNECTED,
                       _("%s is not connected"), ferry_peer_get_display_name (peer));
          return NULL;
        }
      transfer = _ferry_transfer_new_webdrop_outgoing (peer, sources, ferry_room_get_rtc_config (room));
      add_transfer (self, transfer);
      _ferry_transfer_start (transfer);
      return g_steal_pointer (&transfer);
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->transfers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryTransfer) existing = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

      if (g_str_equal (ferry_transfer_get_peer_fingerprint (existing), fingerprint) &&
          _ferry_transfer_offers (existing, sources))
        {
          if (ferry_transfer_get_peer (existing) == NULL)
            _ferry_transfer_set_peer (existing, peer);
          return g_steal_pointer (&existing);
        }
    }

  transfer = _ferry_transfer_new_outgoing (peer, sources, self->state_dir);
  if (room_of (self, peer) != NULL)
    {
      g_autofree char *link = ferry_room_link_to_string (ferry_room_get_link (room_of (self, peer)));

      _ferry_transfer_set_room_link (transfer, link);
    }
  add_transfer (self, transfer);
  _ferry_transfer_start (transfer);
  return g_steal_pointer (&transfer);
}

/* Loading */

static void
load_transfers (FerryTransferManager *self)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_make_directory_with_parents (self->state_dir, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_warning ("Unfinished transfers cannot be kept: %s", error->message);
      g_clear_object (&self->state_dir);
      return;
    }
  g_clear_error (&error);
  if (!(children = g_file_enumerate_children (self->state_dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                              G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &error)))
    {
      g_warning ("Could not read the unfinished transfers: %s", error->message);
      return;
    }
  for (;;)
    {
      GFileInfo *info;
      GFile *child;
      g_autoptr(FerryTransfer) transfer = NULL;

      if (!g_file_enumerator_iterate (children, &info, &child, NULL, &error) || info == NULL)
        break;
      if (!g_str_has_suffix (g_file_info_get_name (info), ".json"))
        continue;
      if (!(transfer = _ferry_transfer_load (child, &error)))
        {
          g_warning ("%s", error->message);
          g_clear_error (&error);
          continue;
        }
      g_list_store_append (self->transfers, transfer);
    }
}

GFile *
ferry_transfer_manager_get_default_state_dir (void)
{
  return g_file_new_build_filename (g_get_user_data_dir (), "ferry", "transfers", NULL);
}

FerryTransferManager *
ferry_transfer_manager_new (GFile *state_dir)
{
  FerryTransferManager *self = g_object_new (FERRY_TYPE_TRANSFER_MANAGER, NULL);

  if (state_dir != NULL)
    {
      self->state_dir = g_object_ref (state_dir);
      load_transfers (self);
    }
  return self;
}

/* GObject */

static void
ferry_transfer_manager_dispose (GObject *object)
{
  FerryTransferManager *self = FERRY_TRANSFER_MANAGER (object);

  while (self->rooms->len > 0)
    ferry_transfer_manager_remove_room (self, g_ptr_array_index (self->rooms, 0));
  while (self->peers->len > 0)
    unwatch_peer (self, g_ptr_array_index (self->peers, 0));
  if (self->transfers != NULL)
    g_list_store_remove_all (self->transfers);

  G_OBJECT_CLASS (ferry_transfer_manager_parent_class)->dispose (object);
}

static void
ferry_transfer_manager_finalize (GObject *object)
{
  FerryTransferManager *self = FERRY_TRANSFER_MANAGER (object);

  g_ptr_array_unref (self->rooms);
  g_ptr_array_unref (self->ready);
  g_ptr_array_unref (self->peers);
  g_clear_object (&self->transfers);
  g_clear_object (&self->state_dir);

  G_OBJECT_CLASS (ferry_transfer_manager_parent_class)->finalize (object);
}

static void
ferry_transfer_manager_class_init (FerryTransferManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_transfer_manager_dispose;
  object_class->finalize = ferry_transfer_manager_finalize;

  signals[TRANSFER_ADDED] =
    g_signal_new ("transfer-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, FERRY_TYPE_TRANSFER);
  signals[OFFER_REFUSED] =
    g_signal_new ("offer-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, FERRY_TYPE_PEER, G_TYPE_ERROR);
}

static void
ferry_transfer_manager_init (FerryTransferManager *self)
{
  self->rooms = g_ptr_array_new_with_free_func (g_object_unref);
  self->peers = g_ptr_array_new_with_free_func (g_object_unref);
  self->ready = g_ptr_array_new ();
  self->transfers = g_list_store_new (FERRY_TYPE_TRANSFER);
}
