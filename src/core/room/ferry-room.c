/* ferry-room.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-crypto.h"
#include "ferry-peer-private.h"
#include "ferry-room.h"
#include "ferry-webdrop.h"
#include "ferry-source.h"
#include "ferry-tracker-client.h"

/* A hostile swarm must not make us open connections without bound. */
#define MAX_CONNECTIONS_PER_PEER 3
#define MAX_PEERS 64

/* Chat kept for peers that come back (docs/PROTOCOL.md, "Missed messages"). */
#define HISTORY_MAX_MESSAGES 200
#define HISTORY_MAX_AGE_US ((gint64) G_USEC_PER_SEC * 60 * 60 * 24)

/* A chat message of the history.  Received ones are kept only to recognise repeats: a chat
 * message says nothing of its author but the connection it came on, so we never send on what
 * others wrote, and keep no text of theirs (up to 48 MiB a message: a member could fill our
 * memory). */
typedef struct {
  char       *id;
  gint64      time;       /* the author's, ms since 1970 (UTC), or FERRY_PEER_MESSAGE_NO_TIME */
  char       *text;       /* ours only */
  char       *from;       /* the author's certificate fingerprint in hex; %NULL: us */
  gint64      kept_at;    /* g_get_real_time (): the 24 hours count from here */
  /* Ours only: the fingerprints (hex) that acknowledged it, or that got it as a plain string
   * (before their hello said what they are), which they cannot acknowledge.  A catch-up skips
   * them. */
  GHashTable *done;
} ChatEntry;

typedef struct {
  FerryRoom          *room;
  FerryTrackerClient *tracker;
  GPtrArray          *offers;      /* FerryTrackerOffer being made */
  guint               pending;     /* offers still gathering */
} Announce;

typedef struct {
  FerryTrackerClient *tracker;
  guint8              to_peer_id[FERRY_PEER_ID_LEN];
  GBytes             *offer_id;
} Answer;

struct _FerryRoom
{
  GObject          parent_instance;

  GMainContext    *context;
  FerryRoomLink   *link;
  FerryIdentity   *identity;
  FerryRtcConfig  *config;
  char            *display_name;
  guint8           info_hash[FERRY_INFO_HASH_LEN];
  guint8           peer_id[FERRY_PEER_ID_LEN];
  char            *peer_id_hex;
  guint8           auth_key[FERRY_AUTH_KEY_LEN];
  gboolean         secret;

  GPtrArray       *trackers;       /* FerryTrackerClient */
  GHashTable      *announcing;     /* FerryTrackerClient → Announce in progress */
  GHashTable      *peers;          /* hex id → FerryPeer */
  GListStore      *connected;      /* FerryPeer */
  GSource         *mesh_timer;
  guint            mesh_retry_ms;
  guint            mesh_backoff_ms;
  guint            n_offers;
  gboolean         joined;

  GQueue           history;        /* ChatEntry, oldest first */
  GHashTable      *history_ids;    /* id → ChatEntry in history */

  /* A WebDrop room: the messages of its past that WebDrop peers told us, by author, time and
   * text, so that each is shown once however often it is told. */
  gboolean         webdrop;
  GHashTable      *webdrop_history;
};

G_DEFINE_FINAL_TYPE (FerryRoom, ferry_room, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MESH_RETRY,
  PROP_OFFERS,
  N_PROPS
};

enum {
  PEER_JOINED,
  PEER_LEFT,
  MESSAGE,
  CHAT_MESSAGE,
  HISTORY_MESSAGE,
  MESSAGE_DELIVERED,
  PEER_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
request_announce_everywhere (FerryRoom *self)
{
  for (guint i = 0; i < self->trackers->len; i++)
    ferry_tracker_client_request_announce (g_ptr_array_index (self->trackers, i));
}

/* Chat history */

static void
chat_entry_free (ChatEntry *entry)
{
  g_free (entry->id);
  g_free (entry->text);
  g_free (entry->from);
  g_clear_pointer (&entry->done, g_hash_table_unref);
  g_free (entry);
}

static void
prune_history (FerryRoom *self)
{
  gint64 oldest = g_get_real_time () - HISTORY_MAX_AGE_US;
  ChatEntry *entry;

  while ((entry = g_queue_peek_head (&self->history)) != NULL &&
         (self->history.length > HISTORY_MAX_MESSAGES || entry->kept_at < oldest))
    {
      g_hash_table_remove (self->history_ids, entry->id);
      chat_entry_free (g_queue_pop_head (&self->history));
    }
}

/* @text and @from: %NULL for a message someone else wrote, for one of ours. */
static ChatEntry *
keep_chat (FerryRoom  *self,
           const char *id,
           gint64      time,
           const char *text,
           const char *from)
{
  ChatEntry *entry = g_new0 (ChatEntry, 1);

  entry->id = g_strdup (id);
  entry->time = time;
  entry->text = g_strdup (text);
  entry->from = g_strdup (from);
  entry->kept_at = g_get_real_time ();
  if (from == NULL)
    entry->done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_push_tail (&self->history, entry);
  g_hash_table_insert (self->history_ids, entry->id, entry);
  prune_history (self);
  return entry;
}

/* Acknowledgements and catch-up go by certificate, which outlives the peer id of a visit. */
static char *
fingerprint_hex (FerryPeer *peer)
{
  const guint8 *fingerprint = ferry_peer_get_fingerprint (peer);

  return fingerprint != NULL ? ferry_hex_encode (fingerprint, FERRY_SHA256_LEN) : NULL;
}

/* Sends a Ferry peer that acknowledges, oldest first, what we wrote and it has not
 * acknowledged: what it missed while away, or everything kept when it is new to the room. */
static void
catch_up (FerryRoom *self,
          FerryPeer *peer)
{
  g_autofree char *fingerprint = NULL;
  guint n = 0;

  if (!ferry_peer_has_capability (peer, "chat-ack") || (fingerprint = fingerprint_hex (peer)) == NULL)
    return;

  prune_history (self);
  for (GList *l = self->history.head; l != NULL; l = l->next)
    {
      ChatEntry *entry = l->data;
      g_autoptr(FerryPeerMessage) message = NULL;
      g_autoptr(GError) error = NULL;

      if (entry->from != NULL || g_hash_table_contains (entry->done, fingerprint))
        continue;
      message = ferry_peer_message_new_chat_full (entry->text, entry->id, entry->time);
      if (!ferry_peer_send_message (peer, message, &error))
        {
          g_debug ("Could not catch %s up: %s", ferry_peer_get_display_name (peer), error->message);
          return;
        }
      n++;
    }
  if (n > 0)
    g_debug ("Sent %u missed messages to %s", n, ferry_peer_get_display_name (peer));
}

/* WebDrop */

/* A WebDrop peer may tell the same past many times; this many are remembered at most. */
#define WEBDROP_HISTORY_MAX 1000

static guint
count_own_messages (FerryRoom *self)
{
  guint n = 0;

  for (GList *l = self->history.head; l != NULL; l = l->next)
    n += ((ChatEntry *) l->data)->from == NULL;
  return n;
}

/* getMsgs: what we wrote, oldest first, numbered as WebDrop numbers the messages it keeps.
 * What others wrote is theirs to tell. */
static void
send_webdrop_history (FerryRoom *self,
                      FerryPeer *peer)
{
  g_autofree char *color = ferry_webdrop_color_for (self->peer_id_hex);
  guint index = 0;

  for (GList *l = self->history.head; l != NULL; l = l->next)
    {
      ChatEntry *entry = l->data;
      g_autoptr(FerryWebdropMessage) msg = NULL;
      g_autoptr(GError) error = NULL;

      if (entry->from != NULL)
        continue;
      msg = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_MSG);
      msg->text = g_strdup (entry->text);
      msg->time = ferry_webdrop_format_time (entry->time);
      msg->name = g_strdup (self->display_name != NULL ? self->display_name : FERRY_WEBDROP_DEFAULT_NAME);
      msg->color = g_strdup (color);
      msg->id = g_strdup_printf ("%u", index++);
      if (!ferry_peer_send_webdrop (peer, msg, &error))
        {
          g_debug ("Could not send the history to %s: %s", ferry_peer_get_display_name (peer),
                   error->message);
          return;
        }
    }
}

static void
peer_webdrop_message_cb (FerryPeer                 *peer,
                         const FerryWebdropMessage *message,
                         FerryRoom                 *self)
{
  /* Shares are the transfer layer's. */
  if (message->type == FERRY_WEBDROP_MESSAGE_GET_MSGS)
    send_webdrop_history (self, peer);
}

static char *
webdrop_history_key (const char *author,
                     const char *time,
                     const char *text)
{
  return g_strjoin ("\x1f", author, time != NULL ? time : "", text, NULL);
}

static void
peer_history_cb (FerryPeer  *peer,
                 const char *author,
                 const char *text,
                 const char *time,
                 FerryRoom  *self)
{
  g_autofree char *key = webdrop_history_key (author, time, text);

  if (g_hash_table_contains (self->webdrop_history, key))
    return;
  if (g_hash_table_size (self->webdrop_history) >= WEBDROP_HISTORY_MAX)
    {
      g_debug ("%s told more of the room's past than is kept", ferry_peer_get_display_name (peer));
      return;
    }
  g_hash_table_add (self->webdrop_history, g_steal_pointer (&key));
  g_signal_emit (self, signals[HISTORY_MESSAGE], 0, peer, author, text);
}

/* Peers */

static gboolean
find_connected (FerryRoom *self,
                FerryPeer *peer,
                guint     *position)
{
  return g_list_store_find (self->connected, peer, position);
}

static void
peer_connected_cb (FerryPeer  *peer,
                   GParamSpec *pspec,
                   FerryRoom  *self)
{
  guint position;

  if (ferry_peer_get_connected (peer) && !find_connected (self, peer, &position))
    {
      g_autoptr(FerryPeer) ref = g_object_ref (peer);

      g_list_store_append (self->connected, peer);
      g_signal_emit (self, signals[PEER_JOINED], 0, peer);
      /* In a plain room the hello comes after this: see peer_kind_cb (). */
      if (ferry_peer_get_kind (peer) == FERRY_PEER_KIND_FERRY && find_connected (self, peer, &position))
        catch_up (self, peer);
    }
}

static void
peer_kind_cb (FerryPeer  *peer,
              GParamSpec *pspec,
              FerryRoom  *self)
{
  guint position;

  /* The kind changes once, so this and peer_connected_cb () catch a peer up once. */
  if (ferry_peer_get_kind (peer) == FERRY_PEER_KIND_FERRY && find_connected (self, peer, &position))
    catch_up (self, peer);
}

static void
peer_chat_cb (FerryPeer  *peer,
              const char *text,
              const char *id,
              gint64      time,
              FerryRoom  *self)
{
  g_autoptr(FerryRoom) ref = g_object_ref (self);
  g_autoptr(FerryPeerMessage) ack = NULL;
  g_autoptr(GError) error = NULL;

  /* A message we have is not shown again, but acknowledged again: the sender sends it again
   * until an acknowledgement arrives (ours may have been lost with a connection). */
  if (id == NULL || !g_hash_table_contains (self->history_ids, id))
    {
      if (id != NULL)
        {
          g_autofree char *from = fingerprint_hex (peer);

          keep_chat (self, id, time, NULL, from != NULL ? from : "");
        }
      g_signal_emit (self, signals[CHAT_MESSAGE], 0, peer, text, id, time);
      g_signal_emit (self, signals[MESSAGE], 0, peer, text);
    }
  if (id == NULL)
    return;

  ack = ferry_peer_message_new_chat_ack (id);
  if (!ferry_peer_send_message (peer, ack, &error))
    g_debug ("Could not acknowledge a message of %s: %s", ferry_peer_get_display_name (peer),
             error->message);
}

static void
peer_peer_message_cb (FerryPeer        *peer,
                      FerryPeerMessage *message,
                      FerryRoom        *self)
{
  g_autofree char *fingerprint = NULL;
  ChatEntry *entry;

  /* Transfer messages are for the transfer layer. */
  if (message->type != FERRY_PEER_MESSAGE_CHAT_ACK ||
      (entry = g_hash_table_lookup (self->history_ids, message->chat_ack.id)) == NULL ||
      entry->from != NULL || (fingerprint = fingerprint_hex (peer)) == NULL)
    return;

  /* Every copy is acknowledged: report the first. */
  if (g_hash_table_add (entry->done, g_steal_pointer (&fingerprint)))
    g_signal_emit (self, signals[MESSAGE_DELIVERED], 0, peer, entry->id);
}

static void
peer_error_cb (FerryPeer    *peer,
               const GError *error,
               FerryRoom    *self)
{
  g_signal_emit (self, signals[PEER_ERROR], 0, peer, error);
  /* A broken connection is replaced at once rather than at the next announce. */
  if (self->joined && !g_error_matches (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_AUTHENTICATION))
    request_announce_everywhere (self);
}

static void
peer_closed_cb (FerryPeer *peer,
                FerryRoom *self)
{
  g_autoptr(FerryPeer) ref = g_object_ref (peer);
  guint position;

  g_signal_handlers_disconnect_by_data (peer, self);
  g_hash_table_remove (self->peers, ferry_peer_get_id (peer));
  if (find_connected (self, peer, &position))
    {
      g_list_store_remove (self->connected, position);
      g_signal_emit (self, signals[PEER_LEFT], 0, peer);
    }
}

static void watch_peer (FerryRoom *self,
                        FerryPeer *peer);

static FerryPeer *
ensure_peer (FerryRoom  *self,
             const char *id)
{
  FerryPeer *peer = g_hash_table_lookup (self->peers, id);

  if (peer != NULL || g_hash_table_size (self->peers) >= MAX_PEERS)
    return peer;

  peer = _ferry_peer_new (id, self->peer_id_hex, self->identity, self->secret ? self->auth_key : NULL,
                          self->display_name);
  watch_peer (self, peer);
  return peer;
}

/* Takes @peer (a reference) into the room's table and follows it. */
static void
watch_peer (FerryRoom *self,
            FerryPeer *peer)
{
  g_hash_table_insert (self->peers, g_strdup (ferry_peer_get_id (peer)), peer);
  g_signal_connect (peer, "notify::connected", G_CALLBACK (peer_connected_cb), self);
  g_signal_connect (peer, "notify::kind", G_CALLBACK (peer_kind_cb), self);
  g_signal_connect (peer, "chat-message", G_CALLBACK (peer_chat_cb), self);
  g_signal_connect (peer, "peer-message", G_CALLBACK (peer_peer_message_cb), self);
  g_signal_connect (peer, "error", G_CALLBACK (peer_error_cb), self);
  g_signal_connect (peer, "closed", G_CALLBACK (peer_closed_cb), self);
  if (self->webdrop)
    {
      _ferry_peer_set_webdrop (peer, count_own_messages (self));
      g_signal_connect (peer, "webdrop-message", G_CALLBACK (peer_webdrop_message_cb), self);
      g_signal_connect (peer, "history-message", G_CALLBACK (peer_history_cb), self);
    }
}

void
ferry_room_add_peer (FerryRoom *self,
                     FerryPeer *peer)
{
  g_return_if_fail (FERRY_IS_ROOM (self));
  g_return_if_fail (FERRY_IS_PEER (peer));
  g_return_if_fail (!g_hash_table_contains (self->peers, ferry_peer_get_id (peer)));

  watch_peer (self, g_object_ref (peer));
  peer_connected_cb (peer, NULL, self);
}

/* Offers */

static void
announce_free (Announce *announce)
{
  g_ptr_array_unref (announce->offers);
  g_object_unref (announce->tracker);
  g_object_unref (announce->room);
  g_free (announce);
}

static void
finish_announce (Announce *announce)
{
  FerryRoom *self = announce->room;
  g_autoptr(GPtrArray) ready = g_ptr_array_new ();
  guint sent = 0;

  for (guint i = 0; i < announce->offers->len; i++)
    {
      FerryTrackerOffer *offer = g_ptr_array_index (announce->offers, i);

      if (offer->sdp != NULL)
        g_ptr_array_add (ready, offer);
      else
        ferry_peer_connection_close (FERRY_PEER_CONNECTION (offer->object));
    }

  if (self->joined)
    sent = ferry_tracker_client_announce (announce->tracker, ready);
  /* The tracker holds the offers it sent until they are answered or expire. */
  for (guint i = sent; i < ready->len; i++)
    ferry_peer_connection_close (FERRY_PEER_CONNECTION (((FerryTrackerOffer *) ready->pdata[i])->object));

  /* Out of the table first, then freed: the announce may hold the last reference to the room,
   * whose finalize frees self->announcing.  Freed by g_hash_table_remove (), GLib would go on
   * to resize a table that no longer exists. */
  g_hash_table_steal (self->announcing, announce->tracker);
  announce_free (announce);
}

static void
offer_ready_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  FerryTrackerOffer *offer = user_data;
  Announce *announce = g_object_get_data (object, "ferry-announce");
  g_autoptr(GError) error = NULL;

  offer->sdp = ferry_peer_connection_create_offer_finish (FERRY_PEER_CONNECTION (object), result, &error);
  if (offer->sdp == NULL)
    g_debug ("Could not make an offer: %s", error->message);

  if (--announce->pending == 0)
    finish_announce (announce);
}

static char *
random_label (void)
{
  guint8 bytes[FERRY_PEER_ID_LEN];

  /* P2PT labels each connection with 40 random hex digits and keys connections by label. */
  ferry_random_bytes (bytes, sizeof bytes);
  return ferry_hex_encode (bytes, sizeof bytes);
}

static guint
offers_wanted (FerryRoom          *self,
               FerryTrackerClient *tracker)
{
  guint swarm = 0;
  guint missing;

  g_object_get (tracker, "swarm-size", &swarm, NULL);
  if (swarm == 0)
    return self->n_offers;
  /* One for each member we are not connected to.  None when we know everybody: the announce
   * still keeps us in the swarm, and newcomers bring offers of their own. */
  missing = swarm > g_list_model_get_n_items (G_LIST_MODEL (self->connected)) + 1
              ? swarm - 1 - g_list_model_get_n_items (G_LIST_MODEL (self->connected)) : 0;
  return MIN (missing, self->n_offers);
}

static void
announce_needed_cb (FerryTrackerClient *tracker,
                    FerryRoom          *self)
{
  Announce *announce;
  guint n;

  if (!self->joined || g_hash_table_contains (self->announcing, tracker))
    return;

  n = offers_wanted (self, tracker);
  announce = g_new0 (Announce, 1);
  /* Offers gather for up to a few seconds; the room stays alive until they are done. */
  announce->room = g_object_ref (self);
  announce->tracker = g_object_ref (tracker);
  announce->offers = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_tracker_offer_free);
  g_hash_table_insert (self->announcing, tracker, announce);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryPeerConnection) pc = ferry_peer_connection_new (self->config, &error);
      g_autoptr(FerryDataChannel) channel = NULL;
      g_autofree char *label = random_label ();
      FerryTrackerOffer *offer;

      if (pc == NULL || !(channel = ferry_peer_connection_create_data_channel (pc, label, NULL, &error)))
        {
          g_warning ("Could not prepare an offer: %s", error->message);
          continue;
        }
      g_object_set_data_full (G_OBJECT (pc), "ferry-channel", g_object_ref (channel), g_object_unref);
      g_object_set_data (G_OBJECT (pc), "ferry-announce", announce);
      offer = ferry_tracker_offer_new (NULL, G_OBJECT (pc));
      g_ptr_array_add (announce->offers, offer);
      announce->pending++;
      ferry_peer_connection_create_offer (pc, NULL, offer_ready_cb, offer);
    }

  if (announce->pending == 0)
    finish_announce (announce);
}

static void
answer_cb (FerryTrackerClient *tracker,
           const char         *peer_id,
           GObject            *object,
           const char         *sdp,
           FerryRoom          *self)
{
  FerryPeerConnection *pc = FERRY_PEER_CONNECTION (object);
  g_autoptr(GError) error = NULL;
  FerryPeer *peer;

  /* A peer we are connected to answered a re-announce (P2PT answers every offer): keep the
   * connection we have.  Replacing it would make a P2PT peer drop us (see FerryPeer). */
  if (g_strcmp0 (peer_id, self->peer_id_hex) == 0 || (peer = ensure_peer (self, peer_id)) == NULL ||
      ferry_peer_get_connected (peer) || ferry_peer_get_n_connections (peer) >= MAX_CONNECTIONS_PER_PEER)
    {
      ferry_peer_connection_close (pc);
      return;
    }

  if (!ferry_peer_connection_set_remote_description (pc, FERRY_SDP_TYPE_ANSWER, sdp, &error))
    {
      g_debug ("Peer %.8s sent a bad answer: %s", peer_id, error->message);
      ferry_peer_connection_close (pc);
      return;
    }

  _ferry_peer_add_connection (peer, pc, g_object_get_data (object, "ferry-channel"), TRUE);
}

static void
offer_expired_cb (FerryTrackerClient *tracker,
                  GObject            *object,
                  FerryRoom          *self)
{
  ferry_peer_connection_close (FERRY_PEER_CONNECTION (object));
}

static void
answer_ready_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Answer *answer = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = ferry_peer_connection_create_answer_finish (FERRY_PEER_CONNECTION (object),
                                                                     result, &error);

  if (sdp != NULL)
    ferry_tracker_client_send_answer (answer->tracker, answer->to_peer_id, answer->offer_id, sdp);
  else
    g_debug ("Could not answer an offer: %s", error->message);

  g_object_unref (answer->tracker);
  g_bytes_unref (answer->offer_id);
  g_free (answer);
}

static void
offer_cb (FerryTrackerClient *tracker,
          const char         *peer_id,
          GBytes             *offer_id,
          const char         *sdp,
          FerryRoom          *self)
{
  g_autoptr(FerryPeerConnection) pc = NULL;
  g_autoptr(GError) error = NULL;
  FerryPeer *peer;
  Answer *answer;

  if (!self->joined || g_strcmp0 (peer_id, self->peer_id_hex) == 0)
    return;
  peer = ensure_peer (self, peer_id);
  /* P2PT answers every offer; one live connection per peer is enough for us. */
  if (peer == NULL || ferry_peer_get_connected (peer) ||
      ferry_peer_get_n_connections (peer) >= MAX_CONNECTIONS_PER_PEER)
    return;

  if (!(pc = ferry_peer_connection_new (self->config, &error)) ||
      !ferry_peer_connection_set_remote_description (pc, FERRY_SDP_TYPE_OFFER, sdp, &error))
    {
      g_debug ("Peer %.8s sent an offer we cannot use: %s", peer_id, error->message);
      if (ferry_peer_get_n_connections (peer) == 0)
        _ferry_peer_close (peer);
      return;
    }

  answer = g_new0 (Answer, 1);
  answer->tracker = g_object_ref (tracker);
  answer->offer_id = g_bytes_ref (offer_id);
  ferry_hex_decode (peer_id, -1, '\0', answer->to_peer_id, FERRY_PEER_ID_LEN);
  _ferry_peer_add_connection (peer, pc, NULL, FALSE);
  ferry_peer_connection_create_answer (pc, NULL, answer_ready_cb, answer);
}

/* The mesh: while the swarm is larger than what we are connected to, announce again, backing off
 * to the tracker's own interval. */

static gboolean
mesh_timer_cb (gpointer user_data)
{
  FerryRoom *self = user_data;
  guint connected = g_list_model_get_n_items (G_LIST_MODEL (self->connected));
  gboolean missing = FALSE;

  for (guint i = 0; i < self->trackers->len; i++)
    {
      FerryTrackerClient *tracker = g_ptr_array_index (self->trackers, i);
      guint swarm = 0;

      g_object_get (tracker, "swarm-size", &swarm, NULL);
      if (ferry_tracker_client_get_state (tracker) == FERRY_TRACKER_STATE_CONNECTED &&
          swarm > connected + 1)
        {
          missing = TRUE;
          ferry_tracker_client_request_announce (tracker);
        }
    }

  self->mesh_backoff_ms = missing ? MIN (self->mesh_backoff_ms * 2, 120000) : self->mesh_retry_ms;
  self->mesh_timer = ferry_source_attach (g_timeout_source_new (self->mesh_backoff_ms), self->context,
                                          G_PRIORITY_DEFAULT, mesh_timer_cb, self, NULL);
  return G_SOURCE_REMOVE;
}

/* Joining and leaving */

void
ferry_room_join (FerryRoom *self)
{
  g_return_if_fail (FERRY_IS_ROOM (self));

  if (self->joined)
    return;
  self->joined = TRUE;

  for (guint i = 0; i < self->trackers->len; i++)
    ferry_tracker_client_start (g_ptr_array_index (self->trackers, i));

  self->mesh_backoff_ms = self->mesh_retry_ms;
  self->mesh_timer = ferry_source_attach (g_timeout_source_new (self->mesh_retry_ms), self->context,
                                          G_PRIORITY_DEFAULT, mesh_timer_cb, self, NULL);
}

void
ferry_room_leave (FerryRoom *self)
{
  g_autoptr(GList) peers = NULL;

  g_return_if_fail (FERRY_IS_ROOM (self));

  if (!self->joined)
    return;
  self->joined = FALSE;
  g_clear_pointer (&self->mesh_timer, g_source_destroy);

  for (guint i = 0; i < self->trackers->len; i++)
    ferry_tracker_client_stop (g_ptr_array_index (self->trackers, i));

  peers = g_hash_table_get_values (self->peers);
  for (GList *l = peers; l != NULL; l = l->next)
    g_object_ref (l->data);
  for (GList *l = peers; l != NULL; l = l->next)
    {
      _ferry_peer_close (l->data);
      g_object_unref (l->data);
    }
}

static gboolean
check_anybody (FerryRoom  *self,
               GError    **error)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->connected)) > 0)
    return TRUE;
  g_set_error_literal (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_NOT_CONNECTED,
                       _("Nobody else is in the room yet"));
  return FALSE;
}

gboolean
ferry_room_send_chat (FerryRoom   *self,
                      const char  *text,
                      GError     **error)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (FERRY_IS_ROOM (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  /* Empty text is sent to nobody (ferry_peer_send_chat () skips it), so it is not kept either. */
  if (*text == '\0')
    return check_anybody (self, error);
  id = ferry_room_send_chat_full (self, text, NULL, error);
  return id != NULL;
}

char *
ferry_room_send_chat_full (FerryRoom   *self,
                           const char  *text,
                           gint64      *time,
                           GError     **error)
{
  guint8 bytes[16];
  g_autofree char *id = NULL;
  ChatEntry *entry;
  guint n;

  g_return_val_if_fail (FERRY_IS_ROOM (self), NULL);
  g_return_val_if_fail (text != NULL && *text != '\0', NULL);

  if (!check_anybody (self, error))
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error_literal (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_PROTOCOL,
                           _("The message is not valid UTF-8 text"));
      return NULL;
    }

  ferry_random_bytes (bytes, sizeof bytes);
  id = ferry_base64url_encode (bytes, sizeof bytes);
  entry = keep_chat (self, id, g_get_real_time () / 1000, text, NULL);
  if (time != NULL)
    *time = entry->time;
  if (self->webdrop)
    {
      g_autofree char *shown_time = ferry_webdrop_format_time (entry->time);
      GHashTableIter iter;
      gpointer peer;
      guint own = count_own_messages (self);

      /* A WebDrop peer that kept it may tell it back as the room's past: not shown again. */
      if (g_hash_table_size (self->webdrop_history) < WEBDROP_HISTORY_MAX)
        g_hash_table_add (self->webdrop_history,
                          webdrop_history_key (self->display_name != NULL ? self->display_name : FERRY_WEBDROP_DEFAULT_NAME,
                                               shown_time, text));

      g_hash_table_iter_init (&iter, self->peers);
      while (g_hash_table_iter_next (&iter, NULL, &peer))
        _ferry_peer_set_webdrop (peer, own);
    }

  /* Peers that fail to get it now get it when they come back. */
  n = g_list_model_get_n_items (G_LIST_MODEL (self->connected));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (G_LIST_MODEL (self->connected), i);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *fingerprint = fingerprint_hex (peer);

      if (!ferry_peer_send_chat_full (peer, text, entry->id, entry->time, &local_error))
        g_debug ("Could not send to %s: %s", ferry_peer_get_display_name (peer), local_error->message);
      /* Without the id it cannot acknowledge: should its hello come next (a Ferry peer we wrote
       * to before it said so), the catch-up must not show it the message a second time. */
      else if (!ferry_peer_has_capability (peer, "chat-ack") && fingerprint != NULL)
        g_hash_table_add (entry->done, g_steal_pointer (&fingerprint));
    }
  return g_steal_pointer (&id);
}

/* GObject */

static void
ferry_room_dispose (GObject *object)
{
  FerryRoom *self = FERRY_ROOM (object);

  ferry_room_leave (self);
  for (guint i = 0; i < self->trackers->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->trackers, i), self);
  g_ptr_array_set_size (self->trackers, 0);

  G_OBJECT_CLASS (ferry_room_parent_class)->dispose (object);
}

static void
ferry_room_finalize (GObject *object)
{
  FerryRoom *self = FERRY_ROOM (object);

  ferry_memzero (self->auth_key, sizeof self->auth_key);
  g_ptr_array_unref (self->trackers);
  g_hash_table_unref (self->announcing);
  g_hash_table_unref (self->peers);
  g_object_unref (self->connected);
  g_object_unref (self->link);
  g_object_unref (self->identity);
  ferry_rtc_config_unref (self->config);
  g_free (self->display_name);
  g_free (self->peer_id_hex);
  g_queue_clear_full (&self->history, (GDestroyNotify) chat_entry_free);
  g_hash_table_unref (self->history_ids);
  g_hash_table_unref (self->webdrop_history);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ferry_room_parent_class)->finalize (object);
}

static void
ferry_room_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  FerryRoom *self = FERRY_ROOM (object);

  switch (prop_id)
    {
    case PROP_MESH_RETRY:
      g_value_set_uint (value, self->mesh_retry_ms);
      break;
    case PROP_OFFERS:
      g_value_set_uint (value, self->n_offers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_room_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  FerryRoom *self = FERRY_ROOM (object);
  guint *field;

  switch (prop_id)
    {
    case PROP_MESH_RETRY:
      field = &self->mesh_retry_ms;
      break;
    case PROP_OFFERS:
      field = &self->n_offers;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  if (*field != g_value_get_uint (value))
    {
      *field = g_value_get_uint (value);
      g_object_notify_by_pspec (object, pspec);
    }
}

static void
ferry_room_class_init (FerryRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_room_dispose;
  object_class->finalize = ferry_room_finalize;
  object_class->get_property = ferry_room_get_property;
  object_class->set_property = ferry_room_set_property;

  properties[PROP_MESH_RETRY] =
    g_param_spec_uint ("mesh-retry", NULL, NULL, 10, 600000, 5000,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OFFERS] =
    g_param_spec_uint ("offers", NULL, NULL, 1, FERRY_TRACKER_MAX_OFFERS, FERRY_TRACKER_MAX_OFFERS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PEER_JOINED] =
    g_signal_new ("peer-joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FERRY_TYPE_PEER);
  signals[PEER_LEFT] =
    g_signal_new ("peer-left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FERRY_TYPE_PEER);
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, FERRY_TYPE_PEER, G_TYPE_STRING);
  signals[CHAT_MESSAGE] =
    g_signal_new ("chat-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, FERRY_TYPE_PEER, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64);
  signals[HISTORY_MESSAGE] =
    g_signal_new ("history-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, FERRY_TYPE_PEER, G_TYPE_STRING, G_TYPE_STRING);
  signals[MESSAGE_DELIVERED] =
    g_signal_new ("message-delivered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, FERRY_TYPE_PEER, G_TYPE_STRING);
  signals[PEER_ERROR] =
    g_signal_new ("peer-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, FERRY_TYPE_PEER, G_TYPE_ERROR);
}

static void
ferry_room_init (FerryRoom *self)
{
  self->trackers = g_ptr_array_new_with_free_func (g_object_unref);
  self->announcing = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) announce_free);
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->connected = g_list_store_new (FERRY_TYPE_PEER);
  g_queue_init (&self->history);
  self->history_ids = g_hash_table_new (g_str_hash, g_str_equal);
  self->webdrop_history = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->mesh_retry_ms = G_PARAM_SPEC_UINT (properties[PROP_MESH_RETRY])->default_value;
  self->n_offers = G_PARAM_SPEC_UINT (properties[PROP_OFFERS])->default_value;
}

static void
add_tracker (FerryRoom  *self,
             const char *url)
{
  FerryTrackerClient *tracker;

  for (guint i = 0; i < self->trackers->len; i++)
    if (g_str_equal (ferry_tracker_client_get_url (g_ptr_array_index (self->trackers, i)), url))
      return;

  tracker = ferry_tracker_client_new (url, self->info_hash, self->peer_id);
  g_signal_connect (tracker, "announce-needed", G_CALLBACK (announce_needed_cb), self);
  g_signal_connect (tracker, "offer", G_CALLBACK (offer_cb), self);
  g_signal_connect (tracker, "answer", G_CALLBACK (answer_cb), self);
  g_signal_connect (tracker, "offer-expired", G_CALLBACK (offer_expired_cb), self);
  g_ptr_array_add (self->trackers, tracker);
}

FerryRoom *
ferry_room_new (FerryRoomLink      *link,
                FerryIdentity      *identity,
                FerryRtcConfig     *config,
                const char * const *trackers,
                const char         *display_name)
{
  FerryRoom *self;
  const char * const *link_trackers;

  g_return_val_if_fail (FERRY_IS_ROOM_LINK (link), NULL);
  g_return_val_if_fail (FERRY_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (FERRY_TYPE_ROOM, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->link = g_object_ref (link);
  self->identity = g_object_ref (identity);
  self->display_name = g_strdup (display_name ? display_name : g_get_real_name ());
  /* Our identity certificate on every connection, so peers see a stable fingerprint; offers
   * and answers are complete descriptions, as trackers relay nothing else. */
  self->config = ferry_rtc_config_copy (config);
  g_set_object (&self->config->certificate, ferry_identity_get_certificate (identity));
  self->config->trickle = FALSE;

  ferry_room_link_get_info_hash (link, self->info_hash);
  self->secret = ferry_room_link_get_auth_key (link, self->auth_key);
  self->webdrop = ferry_room_link_get_webdrop_code (link) != NULL;
  /* One peer id on every tracker: P2PT groups connections by it. */
  ferry_peer_id_generate (self->peer_id);
  self->peer_id_hex = ferry_hex_encode (self->peer_id, sizeof self->peer_id);

  for (guint i = 0; trackers != NULL && trackers[i] != NULL; i++)
    add_tracker (self, trackers[i]);
  link_trackers = ferry_room_link_get_trackers (link);
  for (guint i = 0; link_trackers[i] != NULL; i++)
    add_tracker (self, link_trackers[i]);

  return self;
}

FerryRtcConfig *
ferry_room_get_rtc_config (FerryRoom *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM (self), NULL);

  return self->config;
}

FerryRoomLink *
ferry_room_get_link (FerryRoom *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM (self), NULL);

  return self->link;
}

const char *
ferry_room_get_peer_id (FerryRoom *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM (self), NULL);

  return self->peer_id_hex;
}

GListModel *
ferry_room_get_peers (FerryRoom *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM (self), NULL);

  return G_LIST_MODEL (self->connected);
}

GPtrArray *
ferry_room_get_trackers (FerryRoom *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM (self), NULL);

  return self->trackers;
}
