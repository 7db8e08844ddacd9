/* ferry-session-room.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-room-enums.h"
#include "ferry-session-enums.h"
#include "ferry-session-private.h"
#include "ferry-signalling-enums.h"

/* Trackers */

struct _FerrySessionTracker
{
  GObject            parent_instance;

  char              *url;
  FerryTrackerState  state;
  char              *last_error;
};

G_DEFINE_FINAL_TYPE (FerrySessionTracker, ferry_session_tracker, G_TYPE_OBJECT)

enum {
  TRACKER_PROP_0,
  TRACKER_PROP_URL,
  TRACKER_PROP_STATE,
  TRACKER_PROP_LAST_ERROR,
  TRACKER_N_PROPS
};

static GParamSpec *tracker_properties[TRACKER_N_PROPS];

static void
ferry_session_tracker_finalize (GObject *object)
{
  FerrySessionTracker *self = FERRY_SESSION_TRACKER (object);

  g_free (self->url);
  g_free (self->last_error);

  G_OBJECT_CLASS (ferry_session_tracker_parent_class)->finalize (object);
}

static void
ferry_session_tracker_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  FerrySessionTracker *self = FERRY_SESSION_TRACKER (object);

  switch (prop_id)
    {
    case TRACKER_PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case TRACKER_PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case TRACKER_PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_tracker_class_init (FerrySessionTrackerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ferry_session_tracker_finalize;
  object_class->get_property = ferry_session_tracker_get_property;

  tracker_properties[TRACKER_PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL, flags);
  tracker_properties[TRACKER_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_TRACKER_STATE,
                       FERRY_TRACKER_STATE_DISCONNECTED, flags);
  tracker_properties[TRACKER_PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL,
                                                                     flags);
  g_object_class_install_properties (object_class, TRACKER_N_PROPS, tracker_properties);
}

static void
ferry_session_tracker_init (FerrySessionTracker *self)
{
}

static void
tracker_update (FerrySessionTracker *self,
                FerryTrackerState    state,
                const char          *last_error)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), tracker_properties[TRACKER_PROP_STATE]);
    }
  if (g_strcmp0 (self->last_error, last_error) != 0)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (last_error);
      g_object_notify_by_pspec (G_OBJECT (self), tracker_properties[TRACKER_PROP_LAST_ERROR]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
ferry_session_tracker_get_url (FerrySessionTracker *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRACKER (self), NULL);

  return self->url;
}

FerryTrackerState
ferry_session_tracker_get_state (FerrySessionTracker *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRACKER (self), FERRY_TRACKER_STATE_DISCONNECTED);

  return self->state;
}

const char *
ferry_session_tracker_get_last_error (FerrySessionTracker *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_TRACKER (self), NULL);

  return self->last_error;
}

/* Rooms */

struct _FerrySessionRoom
{
  GObject                parent_instance;

  FerrySession          *session;          /* %NULL once left; the session outlives its rooms */
  guint                  handle;
  FerryRoomLink         *link;
  FerrySessionRoomState  state;
  gboolean               direct;           /* a pairing code's room */
  gboolean               dht;              /* looks for its members through the DHT */
  guint                  dht_members;
  gint64                 dht_since;

  GListStore            *peers;            /* FerrySessionPeer */
  GHashTable            *peers_by_id;      /* id → FerrySessionPeer in peers */
  GListStore            *messages;         /* FerryChatMessage */
  GHashTable            *messages_by_id;   /* id → FerryChatMessage in messages, ours only */
  GListStore            *trackers;         /* FerrySessionTracker */
};

G_DEFINE_FINAL_TYPE (FerrySessionRoom, ferry_session_room, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LINK,
  PROP_TITLE,
  PROP_KIND,
  PROP_STATE,
  PROP_DIRECT,
  PROP_DHT,
  PROP_DHT_MEMBERS,
  PROP_DHT_SINCE,
  N_PROPS
};

enum {
  ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
ferry_session_room_dispose (GObject *object)
{
  FerrySessionRoom *self = FERRY_SESSION_ROOM (object);

  g_hash_table_remove_all (self->peers_by_id);
  g_hash_table_remove_all (self->messages_by_id);
  g_list_store_remove_all (self->peers);
  g_list_store_remove_all (self->messages);
  g_list_store_remove_all (self->trackers);

  G_OBJECT_CLASS (ferry_session_room_parent_class)->dispose (object);
}

static void
ferry_session_room_finalize (GObject *object)
{
  FerrySessionRoom *self = FERRY_SESSION_ROOM (object);

  g_hash_table_unref (self->peers_by_id);
  g_hash_table_unref (self->messages_by_id);
  g_object_unref (self->peers);
  g_object_unref (self->messages);
  g_object_unref (self->trackers);
  g_object_unref (self->link);

  G_OBJECT_CLASS (ferry_session_room_parent_class)->finalize (object);
}

static void
ferry_session_room_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerrySessionRoom *self = FERRY_SESSION_ROOM (object);

  switch (prop_id)
    {
    case PROP_LINK:
      g_value_set_object (value, self->link);
      break;
    case PROP_TITLE:
      g_value_set_string (value, ferry_session_room_get_title (self));
      break;
    case PROP_KIND:
      g_value_set_enum (value, ferry_session_room_get_kind (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_DIRECT:
      g_value_set_boolean (value, self->direct);
      break;
    case PROP_DHT:
      g_value_set_boolean (value, self->dht);
      break;
    case PROP_DHT_MEMBERS:
      g_value_set_uint (value, self->dht_members);
      break;
    case PROP_DHT_SINCE:
      g_value_set_int64 (value, self->dht_since);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_room_class_init (FerrySessionRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = ferry_session_room_dispose;
  object_class->finalize = ferry_session_room_finalize;
  object_class->get_property = ferry_session_room_get_property;

  properties[PROP_LINK] = g_param_spec_object ("link", NULL, NULL, FERRY_TYPE_ROOM_LINK, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, FERRY_TYPE_ROOM_KIND,
                                             FERRY_ROOM_KIND_PLAIN, flags);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_SESSION_ROOM_STATE,
                                              FERRY_SESSION_ROOM_JOINING, flags);
  properties[PROP_DIRECT] = g_param_spec_boolean ("direct", NULL, NULL, FALSE, flags);
  properties[PROP_DHT] = g_param_spec_boolean ("dht", NULL, NULL, FALSE, flags);
  properties[PROP_DHT_MEMBERS] = g_param_spec_uint ("dht-members", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_DHT_SINCE] = g_param_spec_int64 ("dht-since", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ferry_session_room_init (FerrySessionRoom *self)
{
  self->peers = g_list_store_new (FERRY_TYPE_SESSION_PEER);
  self->peers_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->messages = g_list_store_new (FERRY_TYPE_CHAT_MESSAGE);
  self->messages_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->trackers = g_list_store_new (FERRY_TYPE_SESSION_TRACKER);
}

FerrySessionRoom *
_ferry_session_room_new (FerrySession  *session,
                         guint          handle,
                         FerryRoomLink *link)
{
  FerrySessionRoom *self = g_object_new (FERRY_TYPE_SESSION_ROOM, NULL);

  self->session = session;
  self->handle = handle;
  self->link = g_object_ref (link);
  return self;
}

void
_ferry_session_room_set_direct (FerrySessionRoom *self,
                                gboolean          direct)
{
  g_return_if_fail (FERRY_IS_SESSION_ROOM (self));

  if (self->direct == !!direct)
    return;
  self->direct = !!direct;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRECT]);
}

void
_ferry_session_room_set_dht (FerrySessionRoom *self,
                             gboolean          dht,
                             guint             members,
                             gint64            since)
{
  g_return_if_fail (FERRY_IS_SESSION_ROOM (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->dht != !!dht)
    {
      self->dht = !!dht;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT]);
    }
  if (self->dht_members != members)
    {
      self->dht_members = members;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_MEMBERS]);
    }
  if (self->dht_since != since)
    {
      self->dht_since = since;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_SINCE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

guint
_ferry_session_room_get_handle (FerrySessionRoom *self)
{
  return self->handle;
}

void
_ferry_session_room_set_state (FerrySessionRoom      *self,
                               FerrySessionRoomState  state)
{
  g_return_if_fail (FERRY_IS_SESSION_ROOM (self));

  /* LEFT is final: a late report from the network thread does not bring the room back. */
  if (self->state == state || self->state == FERRY_SESSION_ROOM_LEFT)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
_ferry_session_room_report_error (FerrySessionRoom *self,
                                  const GError     *error)
{
  g_return_if_fail (FERRY_IS_SESSION_ROOM (self));

  g_signal_emit (self, signals[ERROR], 0, error);
}

static void
update_trust (FerrySessionRoom *self,
              FerrySessionPeer *peer)
{
  /* Until the hello, a peer has a name of our making, not one to judge. */
  if (self->session != NULL && ferry_session_peer_get_kind (peer) != FERRY_PEER_KIND_UNKNOWN)
    _ferry_session_peer_set_trust (peer, ferry_friends_classify (ferry_session_get_friends (self->session),
                                                                 ferry_session_peer_get_display_name (peer),
                                                                 ferry_session_peer_get_fingerprint (peer)));
}

void
_ferry_session_room_update_peer (FerrySessionRoom           *self,
                                 const FerrySessionPeerInfo *info)
{
  FerrySessionPeer *peer = g_hash_table_lookup (self->peers_by_id, info->id);

  if (peer != NULL)
    {
      _ferry_session_peer_update (peer, info);
      update_trust (self, peer);
      return;
    }
  peer = _ferry_session_peer_new (info);
  update_trust (self, peer);
  g_hash_table_insert (self->peers_by_id, (char *) ferry_session_peer_get_id (peer), peer);
  g_list_store_append (self->peers, peer);
  g_object_unref (peer);
}

void
_ferry_session_room_update_trust (FerrySessionRoom *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->peers));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), i);

      update_trust (self, peer);
    }
}

static void
remove_peer (FerrySessionRoom      *self,
             FerrySessionPeer      *peer,
             FerrySessionPeerState  state)
{
  g_autoptr(FerrySessionPeer) ref = g_object_ref (peer);
  guint position;

  g_hash_table_remove (self->peers_by_id, ferry_session_peer_get_id (peer));
  if (g_list_store_find (self->peers, peer, &position))
    g_list_store_remove (self->peers, position);
  _ferry_session_peer_set_state (peer, state);
}

void
_ferry_session_room_remove_peer (FerrySessionRoom      *self,
                                 const char            *id,
                                 FerrySessionPeerState  state)
{
  FerrySessionPeer *peer = g_hash_table_lookup (self->peers_by_id, id);

  if (peer != NULL)
    remove_peer (self, peer, state);
}

void
_ferry_session_room_add_message (FerrySessionRoom *self,
                                 FerryChatMessage *message)
{
  const char *id = ferry_chat_message_get_id (message);

  /* Chat comes from anyone in the room; the GUI keeps a bounded history, as the room does. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->messages)) >= FERRY_SESSION_ROOM_MAX_MESSAGES)
    {
      g_autoptr(FerryChatMessage) oldest = g_list_model_get_item (G_LIST_MODEL (self->messages), 0);
      const char *oldest_id = ferry_chat_message_get_id (oldest);

      if (oldest_id != NULL && g_hash_table_lookup (self->messages_by_id, oldest_id) == oldest)
        g_hash_table_remove (self->messages_by_id, oldest_id);
      g_list_store_remove (self->messages, 0);
    }
  /* Only our own messages get delivery marks. */
  if (id != NULL && ferry_chat_message_get_outgoing (message))
    g_hash_table_insert (self->messages_by_id, (char *) id, message);
  g_list_store_append (self->messages, message);
}

void
_ferry_session_room_mark_delivered (FerrySessionRoom *self,
                                    const char       *id)
{
  FerryChatMessage *message = g_hash_table_lookup (self->messages_by_id, id);

  if (message != NULL)
    _ferry_chat_message_set_delivered (message);
}

void
_ferry_session_room_update_tracker (FerrySessionRoom  *self,
                                    guint              index,
                                    const char        *url,
                                    FerryTrackerState  state,
                                    const char        *last_error)
{
  g_autoptr(FerrySessionTracker) tracker = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->trackers));

  g_return_if_fail (index <= n);

  if (index == n)
    {
      tracker = g_object_new (FERRY_TYPE_SESSION_TRACKER, NULL);
      tracker->url = g_strdup (url);
      tracker_update (tracker, state, last_error);
      g_list_store_append (self->trackers, tracker);
      return;
    }
  tracker = g_list_model_get_item (G_LIST_MODEL (self->trackers), index);
  tracker_update (tracker, state, last_error);
}

void
_ferry_session_room_detach (FerrySessionRoom *self)
{
  g_autoptr(FerrySessionRoom) ref = g_object_ref (self);
  guint n;

  self->session = NULL;
  _ferry_session_room_set_state (self, FERRY_SESSION_ROOM_LEFT);
  /* Its rendezvous stopped with it. */
  _ferry_session_room_set_dht (self, FALSE, 0, 0);
  while ((n = g_list_model_get_n_items (G_LIST_MODEL (self->peers))) > 0)
    {
      g_autoptr(FerrySessionPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->peers), n - 1);

      remove_peer (self, peer, FERRY_SESSION_PEER_LEFT);
    }
  /* The trackers were told we stopped, and nothing more will be reported about them. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->trackers));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionTracker) tracker = g_list_model_get_item (G_LIST_MODEL (self->trackers), i);

      tracker_update (tracker, FERRY_TRACKER_STATE_DISCONNECTED, tracker->last_error);
    }
}

FerryRoomLink *
ferry_session_room_get_link (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), NULL);

  return self->link;
}

const char *
ferry_session_room_get_title (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), NULL);

  return ferry_room_link_get_display_name (self->link);
}

FerryRoomKind
ferry_session_room_get_kind (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), FERRY_ROOM_KIND_PLAIN);

  return ferry_room_link_get_kind (self->link);
}

gboolean
ferry_session_room_get_direct (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), FALSE);

  return self->direct;
}

gboolean
ferry_session_room_get_dht (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), FALSE);

  return self->dht;
}

guint
ferry_session_room_get_dht_members (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), 0);

  return self->dht_members;
}

gint64
ferry_session_room_get_dht_since (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), 0);

  return self->dht_since;
}

FerrySession *
ferry_session_room_get_session (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), NULL);

  return self->session;
}

FerrySessionRoomState
ferry_session_room_get_state (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), FERRY_SESSION_ROOM_LEFT);

  return self->state;
}

GListModel *
ferry_session_room_get_peers (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), NULL);

  return G_LIST_MODEL (self->peers);
}

GListModel *
ferry_session_room_get_messages (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), NULL);

  return G_LIST_MODEL (self->messages);
}

GListModel *
ferry_session_room_get_trackers (FerrySessionRoom *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (self), NULL);

  return G_LIST_MODEL (self->trackers);
}

/* A room left cannot be acted on: the user hears why. */
static gboolean
still_in_room (FerrySessionRoom *self)
{
  g_autoptr(GError) error = NULL;

  if (self->session != NULL)
    return TRUE;
  error = g_error_new_literal (FERRY_SESSION_ERROR, FERRY_SESSION_ERROR_NOT_IN_ROOM,
                               _("You are no longer in this room"));
  g_signal_emit (self, signals[ERROR], 0, error);
  return FALSE;
}

void
ferry_session_room_send_chat (FerrySessionRoom *self,
                              const char       *text)
{
  g_return_if_fail (FERRY_IS_SESSION_ROOM (self));
  g_return_if_fail (text != NULL);

  if (!still_in_room (self))
    return;
  if (*text != '\0')
    _ferry_session_send_chat (self->session, self, text);
}

void
ferry_session_room_send_files (FerrySessionRoom *self,
                               FerrySessionPeer *peer,
                               GFile * const    *files,
                               guint             n_files)
{
  g_return_if_fail (FERRY_IS_SESSION_ROOM (self));
  g_return_if_fail (peer == NULL || FERRY_IS_SESSION_PEER (peer));
  g_return_if_fail (files != NULL || n_files == 0);

  if (!still_in_room (self))
    return;
  _ferry_session_send_files (self->session, self, peer ? ferry_session_peer_get_id (peer) : NULL,
                             files, n_files);
}

void
ferry_session_room_leave (FerrySessionRoom *self)
{
  g_return_if_fail (FERRY_IS_SESSION_ROOM (self));

  if (self->session != NULL)
    _ferry_session_leave (self->session, self);
}
