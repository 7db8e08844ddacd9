/* Rooms over real trackers in a network namespace: a mesh through two trackers (one of them
 * dead), leaving, verified secret rooms, a tracker that is a man in the middle, and chat with
 * delivery marks and catch-up, also with a plain P2PT peer (Node).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "ferry-bin20.h"
#include "ferry-certificate.h"
#include "ferry-dtls-transport.h"
#include "ferry-ice-transport.h"
#include "ferry-json.h"
#include "ferry-p2pt-codec.h"
#include "ferry-peer-connection.h"
#include "ferry-room.h"
#include "ferry-sctp-transport.h"
#include "ferry-tracker-client.h"
#include "ferry-tracker-message.h"
#include "ferry-test-notify.h"
#include "ferry-test-tracker.h"
#include "ferry-test-util.h"

#define TIMEOUT_S 30

static char *tmpdir;

/* Members */

typedef struct {
  FerryRoom *room;
  GPtrArray *messages;   /* "name: text" */
  GPtrArray *ids;        /* the id of each message ("" without one), from ::chat-message */
  GArray    *times;      /* gint64: the time of each message */
  GPtrArray *delivered;  /* "name id", from ::message-delivered */
  GPtrArray *errors;     /* GError */
  guint      joined;
  guint      left;
  GPtrArray *watches;    /* FerryTestNotify: the room, its trackers, every peer that joined */
} Member;

static void
member_message_cb (FerryRoom *room, FerryPeer *peer, const char *text, Member *m)
{
  g_ptr_array_add (m->messages, g_strdup_printf ("%s: %s", ferry_peer_get_display_name (peer), text));
}

static void
member_chat_cb (FerryRoom *room, FerryPeer *peer, const char *text, const char *id, gint64 time,
                Member *m)
{
  /* ::message comes next, for the same message. */
  g_assert_cmpuint (m->ids->len, ==, m->messages->len);
  g_ptr_array_add (m->ids, g_strdup (id ? id : ""));
  g_array_append_val (m->times, time);
}

static void
member_delivered_cb (FerryRoom *room, FerryPeer *peer, const char *id, Member *m)
{
  g_ptr_array_add (m->delivered, g_strdup_printf ("%s %s", ferry_peer_get_display_name (peer), id));
}

static void
member_error_cb (FerryRoom *room, FerryPeer *peer, const GError *error, Member *m)
{
  g_ptr_array_add (m->errors, g_error_copy (error));
}

static void
member_joined_cb (FerryRoom *room, FerryPeer *peer, Member *m)
{
  m->joined++;
  g_ptr_array_add (m->watches, ferry_test_notify_watch (peer));
}

static void
member_left_cb (FerryRoom *room, FerryPeer *peer, Member *m)
{
  m->left++;
}

static FerryRtcConfig *
no_servers_config (void)
{
  FerryRtcConfig *config = ferry_rtc_config_new ();

  /* Nothing but the namespace: no STUN server. */
  config->gather_timeout_ms = 2000;
  config->ice_timeout_ms = 10000;
  config->liveness_timeout_ms = 3000;
  return config;
}

static Member *
member_new (FerryRoomLink      *link,
            const char         *name,
            const char * const *trackers)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("%s/%s.pem", tmpdir, name);
  g_autoptr(FerryIdentity) identity = ferry_identity_load_or_create (path, &error);
  g_autoptr(FerryRtcConfig) config = no_servers_config ();
  Member *m = g_new0 (Member, 1);
  GPtrArray *clients;

  g_assert_no_error (error);
  m->room = ferry_room_new (link, identity, config, trackers, name);
  m->messages = g_ptr_array_new_with_free_func (g_free);
  m->ids = g_ptr_array_new_with_free_func (g_free);
  m->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  m->delivered = g_ptr_array_new_with_free_func (g_free);
  m->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  m->watches = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_test_notify_free);
  g_ptr_array_add (m->watches, ferry_test_notify_watch (m->room));
  g_object_set (m->room, "mesh-retry", 500, NULL);
  g_assert_cmpuint (ferry_test_notify_count (m->watches->pdata[0], "mesh-retry"), ==, 1);
  clients = ferry_room_get_trackers (m->room);
  for (guint i = 0; i < clients->len; i++)
    {
      g_ptr_array_add (m->watches, ferry_test_notify_watch (clients->pdata[i]));
      g_object_set (clients->pdata[i], "offer-timeout", 8000, "reconnect-min", 200,
                    "min-interval", 200, "ping-interval", 2000, NULL);
    }
  g_signal_connect (m->room, "message", G_CALLBACK (member_message_cb), m);
  g_signal_connect (m->room, "chat-message", G_CALLBACK (member_chat_cb), m);
  g_signal_connect (m->room, "message-delivered", G_CALLBACK (member_delivered_cb), m);
  g_signal_connect (m->room, "peer-error", G_CALLBACK (member_error_cb), m);
  g_signal_connect (m->room, "peer-joined", G_CALLBACK (member_joined_cb), m);
  g_signal_connect (m->room, "peer-left", G_CALLBACK (member_left_cb), m);
  return m;
}

static void
member_free (Member *m)
{
  g_signal_handlers_disconnect_by_data (m->room, m);
  ferry_room_leave (m->room);
  g_object_unref (m->room);
  /* Nothing was notified without a change, leaving included. */
  for (guint i = 0; i < m->watches->len; i++)
    ferry_test_notify_assert_no_spurious (m->watches->pdata[i]);
  g_ptr_array_unref (m->watches);
  g_ptr_array_unref (m->messages);
  g_ptr_array_unref (m->ids);
  g_array_unref (m->times);
  g_ptr_array_unref (m->delivered);
  g_ptr_array_unref (m->errors);
  g_free (m);
}

static guint
n_peers (Member *m)
{
  return g_list_model_get_n_items (ferry_room_get_peers (m->room));
}

typedef struct {
  Member **members;
  guint    n;
  guint    want;
} Mesh;

static gboolean
mesh_complete (Mesh *mesh)
{
  for (guint i = 0; i < mesh->n; i++)
    if (n_peers (mesh->members[i]) != mesh->want)
      return FALSE;
  return TRUE;
}

static gboolean
has_messages (Mesh *mesh)
{
  for (guint i = 0; i < mesh->n; i++)
    if (mesh->members[i]->messages->len < mesh->want)
      return FALSE;
  return TRUE;
}

static gboolean
tracker_failed (FerryRoom *room,
                guint      index)
{
  FerryTrackerClient *tracker = g_ptr_array_index (ferry_room_get_trackers (room), index);

  return ferry_tracker_client_get_state (tracker) == FERRY_TRACKER_STATE_FAILED;
}

static void
test_mesh (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = NULL;
  FerryTestTracker *tracker;
  const guint n = 8;
  Member *members[8];
  Mesh mesh = { members, n, n - 1 };
  gint64 start;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  link = ferry_room_link_new_plain ("ferry-mesh-test", &error);
  g_assert_no_error (error);

  /* Two trackers: the reference one, and one nobody listens on. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("member-%u", i);
      const char *trackers[] = { ferry_test_tracker_get_url (tracker), "ws://127.0.0.1:9", NULL };

      members[i] = member_new (link, name, trackers);
      ferry_room_join (members[i]->room);
      /* bittorrent-tracker makes two swarms of two first announces in the same tick. */
      ferry_test_run_for (150);
    }

  FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), TIMEOUT_S * 1000);
  g_test_message ("%u peers fully meshed %.2f s after the first joined", n,
                  (g_get_monotonic_time () - start) / 1e6);

  /* The dead tracker is reported, and did not get in the way. */
  FERRY_TEST_WAIT_UNTIL (tracker_failed (members[0]->room, 1), 10000);
  g_assert_nonnull (ferry_tracker_client_get_failure_reason (ferry_room_get_trackers (members[0]->room)->pdata[1]));

  /* Everyone hears everyone; the peers are Ferry peers, named by their hello, unverified. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("hello from %u", i);
      g_assert_true (ferry_room_send_chat (members[i]->room, text, &error));
      g_assert_no_error (error);
    }
  FERRY_TEST_WAIT_UNTIL (has_messages (&mesh), 10000);
  /* Exactly once each, although some went as plain strings to peers whose hello had not come
   * yet: those are not sent again when the hello brings the catch-up. */
  ferry_test_run_for (500);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (members[i]->messages->len, ==, n - 1);
  for (guint i = 0; i < n; i++)
    {
      GListModel *peers = ferry_room_get_peers (members[i]->room);

      for (guint j = 0; j < g_list_model_get_n_items (peers); j++)
        {
          g_autoptr(FerryPeer) peer = g_list_model_get_item (peers, j);

          g_assert_cmpint (ferry_peer_get_kind (peer), ==, FERRY_PEER_KIND_FERRY);
          g_assert_false (ferry_peer_get_verified (peer));
          g_assert_true (g_str_has_prefix (ferry_peer_get_display_name (peer), "member-"));
          g_assert_cmpuint (ferry_peer_get_n_connections (peer), ==, 1);
        }
    }

  /* One leaves; the others see it leave, and stay connected to each other. */
  member_free (members[n - 1]);
  mesh.n = n - 1;
  mesh.want = n - 2;
  FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), 10000);
  for (guint i = 0; i < n - 1; i++)
    g_assert_cmpuint (members[i]->left, ==, 1);

  for (guint i = 0; i < n - 1; i++)
    member_free (members[i]);
  ferry_test_tracker_stop (tracker);
}

/* Tracker loss does not drop live connections. */
static void
test_tracker_loss (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Loss", &error);
  FerryTestTracker *tracker;
  Member *members[2];
  Mesh mesh = { members, 2, 1 };

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  for (guint i = 0; i < 2; i++)
    {
      const char *trackers[] = { ferry_test_tracker_get_url (tracker), NULL };
      g_autofree char *name = g_strdup_printf ("loss-%u", i);

      members[i] = member_new (link, name, trackers);
      ferry_room_join (members[i]->room);
      ferry_test_run_for (150);
    }
  FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), TIMEOUT_S * 1000);

  ferry_test_tracker_stop (tracker);
  FERRY_TEST_WAIT_UNTIL (tracker_failed (members[0]->room, 0), 10000);
  g_assert_true (ferry_room_send_chat (members[0]->room, "still here", &error));
  mesh.want = 1;
  mesh.n = 1;
  {
    Mesh other = { &members[1], 1, 1 };
    FERRY_TEST_WAIT_UNTIL (has_messages (&other), 10000);
  }
  g_assert_cmpuint (n_peers (members[0]), ==, 1);
  g_assert_cmpuint (members[0]->left, ==, 0);

  member_free (members[0]);
  member_free (members[1]);
}

/* Secret rooms: peers prove they hold the link and are marked verified. */
static void
test_secret_verified (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Secret", &error);
  g_autoptr(FerryPeer) peer = NULL;
  g_autofree char *code_a = NULL, *code_b = NULL;
  FerryTestTracker *tracker;
  Member *members[2];
  Mesh mesh = { members, 2, 1 };

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  for (guint i = 0; i < 2; i++)
    {
      const char *trackers[] = { ferry_test_tracker_get_url (tracker), NULL };
      const char *names[] = { "Ana", "Bo 😀" };

      members[i] = member_new (link, names[i], trackers);
      ferry_room_join (members[i]->room);
      ferry_test_run_for (150);
    }
  FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), TIMEOUT_S * 1000);

  peer = g_list_model_get_item (ferry_room_get_peers (members[0]->room), 0);
  g_assert_true (ferry_peer_get_verified (peer));
  g_assert_cmpint (ferry_peer_get_kind (peer), ==, FERRY_PEER_KIND_FERRY);
  g_assert_cmpstr (ferry_peer_get_display_name (peer), ==, "Bo 😀");
  code_a = ferry_peer_get_verification_code (peer);
  g_clear_object (&peer);
  peer = g_list_model_get_item (ferry_room_get_peers (members[1]->room), 0);
  code_b = ferry_peer_get_verification_code (peer);
  g_assert_nonnull (code_a);
  g_assert_cmpstr (code_a, ==, code_b);
  g_assert_cmpuint (members[0]->errors->len + members[1]->errors->len, ==, 0);

  member_free (members[0]);
  member_free (members[1]);
  ferry_test_tracker_stop (tracker);
}

/* A tracker that is a man in the middle.
 *
 * It terminates DTLS on both sides with its own certificate: A's offer is answered by the
 * tracker's own peer connection (claiming to be B), and B gets an offer from another of the
 * tracker's peer connections (claiming to be A); the data channels are then relayed, or each
 * peer's messages reflected back to it.  The fingerprints in the SDPs match the tracker's
 * certificate, so DTLS succeeds: only the room key can expose it. */

typedef enum {
  RELAY_HONEST,    /* forwards offers and answers untouched: the baseline */
  RELAY_SWAP,      /* its own DTLS on both sides, relaying the channels */
  RELAY_REFLECT,   /* its own DTLS on both sides, sending each peer's messages back to it */
} RelayMode;

typedef struct {
  SoupWebsocketConnection *ws;
  guint8                   peer_id[FERRY_BIN20_LEN];
  gboolean                 announced;
  FerryTrackerMessageOffer offer;          /* the first offer it announced */
  gboolean                 has_offer;
} EvilClient;

typedef struct {
  RelayMode            mode;
  SoupServer          *server;
  char                *url;
  guint8               info_hash[FERRY_BIN20_LEN];
  EvilClient           clients[2];
  guint                n_clients;
  gboolean             attacked;
  FerryPeerConnection *to_a;      /* answers A's offer, posing as B */
  FerryPeerConnection *to_b;      /* offers to B, posing as A */
  FerryDataChannel    *chan_a;    /* A's channel, seen by to_a */
  FerryDataChannel    *chan_b;    /* to_b's channel to B */
  guint8               fake_offer_id[FERRY_BIN20_LEN];
  GQueue               pending_to_a, pending_to_b;   /* GBytes (text) until the other side opens */
} Evil;

static void
evil_send (EvilClient *client,
           GString    *json)
{
  soup_websocket_connection_send_text (client->ws, json->str);
}

static GString *
evil_message (Evil         *evil,
              const guint8 *peer_id)
{
  GString *json = g_string_new ("{\"action\":\"announce\",\"info_hash\":");

  ferry_bin20_append_json (json, evil->info_hash);
  g_string_append (json, ",\"peer_id\":");
  ferry_bin20_append_json (json, peer_id);
  return json;
}

static void
evil_relay_offer (Evil         *evil,
                  EvilClient   *to,
                  const guint8 *from_peer_id,
                  const guint8 *offer_id,
                  const char   *sdp)
{
  g_autoptr(GString) json = evil_message (evil, from_peer_id);

  g_string_append (json, ",\"offer_id\":");
  ferry_bin20_append_json (json, offer_id);
  g_string_append (json, ",\"offer\":{\"type\":\"offer\",\"sdp\":");
  ferry_json_append_utf8 (json, sdp, -1);
  g_string_append (json, "}}");
  evil_send (to, json);
}

static void
evil_relay_answer (Evil         *evil,
                   EvilClient   *to,
                   const guint8 *from_peer_id,
                   const guint8 *offer_id,
                   const char   *sdp)
{
  g_autoptr(GString) json = evil_message (evil, from_peer_id);

  g_string_append (json, ",\"offer_id\":");
  ferry_bin20_append_json (json, offer_id);
  g_string_append (json, ",\"answer\":{\"type\":\"answer\",\"sdp\":");
  ferry_json_append_utf8 (json, sdp, -1);
  g_string_append (json, "}}");
  evil_send (to, json);
}

static void
forward (FerryDataChannel *to,
         GQueue           *pending,
         GBytes           *data)
{
  if (to != NULL && ferry_data_channel_get_state (to) == FERRY_DATA_CHANNEL_OPEN)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
      ferry_data_channel_send_text (to, text, NULL);
    }
  else
    g_queue_push_tail (pending, g_bytes_ref (data));
}

static void
flush_pending (FerryDataChannel *to,
               GQueue           *pending)
{
  GBytes *data;

  while ((data = g_queue_pop_head (pending)))
    {
      forward (to, pending, data);
      g_bytes_unref (data);
    }
}

static void
from_a_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, Evil *evil)
{
  if (evil->mode == RELAY_REFLECT)
    forward (evil->chan_a, &evil->pending_to_a, data);
  else
    forward (evil->chan_b, &evil->pending_to_b, data);
}

static void
from_b_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, Evil *evil)
{
  if (evil->mode == RELAY_REFLECT)
    forward (evil->chan_b, &evil->pending_to_b, data);
  else
    forward (evil->chan_a, &evil->pending_to_a, data);
}

static void
chan_open_cb (FerryDataChannel *channel, Evil *evil)
{
  flush_pending (evil->chan_a, &evil->pending_to_a);
  flush_pending (evil->chan_b, &evil->pending_to_b);
}

static void
to_a_channel_cb (FerryPeerConnection *pc, FerryDataChannel *channel, Evil *evil)
{
  evil->chan_a = g_object_ref (channel);
  g_signal_connect (channel, "message", G_CALLBACK (from_a_cb), evil);
  g_signal_connect (channel, "open", G_CALLBACK (chan_open_cb), evil);
}

typedef struct {
  Evil      *evil;
  gboolean   done;
  char      *sdp;
} Made;

static void
made_answer_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Made *made = data;
  made->sdp = ferry_peer_connection_create_answer_finish (FERRY_PEER_CONNECTION (object), result, NULL);
  made->done = TRUE;
}

static void
made_offer_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Made *made = data;
  made->sdp = ferry_peer_connection_create_offer_finish (FERRY_PEER_CONNECTION (object), result, NULL);
  made->done = TRUE;
}

static void
evil_attack (Evil *evil)
{
  EvilClient *a = &evil->clients[0], *b = &evil->clients[1];
  g_autoptr(FerryRtcConfig) config = no_servers_config ();
  g_autoptr(GError) error = NULL;
  Made answer = { evil }, offer = { evil };

  evil->attacked = TRUE;
  if (evil->mode == RELAY_HONEST)
    {
      evil_relay_offer (evil, b, a->peer_id, a->offer.offer_id, a->offer.sdp);
      return;
    }

  /* Posing as B towards A. */
  evil->to_a = ferry_peer_connection_new (config, &error);
  g_assert_no_error (error);
  g_signal_connect (evil->to_a, "data-channel", G_CALLBACK (to_a_channel_cb), evil);
  g_assert_true (ferry_peer_connection_set_remote_description (evil->to_a, FERRY_SDP_TYPE_OFFER,
                                                               a->offer.sdp, &error));
  ferry_peer_connection_create_answer (evil->to_a, NULL, made_answer_cb, &answer);
  FERRY_TEST_WAIT_UNTIL (answer.done, 10000);
  evil_relay_answer (evil, a, b->peer_id, a->offer.offer_id, answer.sdp);
  g_free (answer.sdp);

  /* Posing as A towards B. */
  evil->to_b = ferry_peer_connection_new (config, &error);
  evil->chan_b = ferry_peer_connection_create_data_channel (evil->to_b, "0123456789abcdef0123456789abcdef01234567",
                                                           NULL, &error);
  g_signal_connect (evil->chan_b, "message", G_CALLBACK (from_b_cb), evil);
  g_signal_connect (evil->chan_b, "open", G_CALLBACK (chan_open_cb), evil);
  ferry_peer_connection_create_offer (evil->to_b, NULL, made_offer_cb, &offer);
  FERRY_TEST_WAIT_UNTIL (offer.done, 10000);
  memset (evil->fake_offer_id, 0x7f, sizeof evil->fake_offer_id);
  evil_relay_offer (evil, b, a->peer_id, evil->fake_offer_id, offer.sdp);
  g_free (offer.sdp);
}

static void
evil_message_cb (SoupWebsocketConnection *ws,
                 int                      type,
                 GBytes                  *bytes,
                 Evil                    *evil)
{
  g_autoptr(FerryTrackerMessage) message = NULL;
  EvilClient *client = NULL, *other;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  for (guint i = 0; i < evil->n_clients; i++)
    if (evil->clients[i].ws == ws)
      client = &evil->clients[i];
  g_assert_nonnull (client);
  other = client == &evil->clients[0] ? &evil->clients[1] : &evil->clients[0];

  message = ferry_tracker_message_parse (data, len, NULL);
  if (message == NULL || message->action != FERRY_TRACKER_ACTION_ANNOUNCE)
    return;

  if (message->answer_sdp != NULL)
    {
      /* B answering: our fake offer in the attack, A's real offer when honest. */
      if (evil->mode == RELAY_HONEST)
        evil_relay_answer (evil, other, client->peer_id, message->offer_id, message->answer_sdp);
      else if (evil->to_b != NULL)
        ferry_peer_connection_set_remote_description (evil->to_b, FERRY_SDP_TYPE_ANSWER,
                                                      message->answer_sdp, NULL);
      return;
    }

  memcpy (evil->info_hash, message->info_hash, FERRY_BIN20_LEN);
  memcpy (client->peer_id, message->peer_id, FERRY_BIN20_LEN);
  client->announced = TRUE;
  if (!client->has_offer && message->offers != NULL && message->offers->len > 0)
    {
      FerryTrackerMessageOffer *first = message->offers->pdata[0];

      memcpy (client->offer.offer_id, first->offer_id, FERRY_BIN20_LEN);
      client->offer.sdp = g_strdup (first->sdp);
      client->has_offer = TRUE;
    }

  {
    g_autoptr(GString) json = g_string_new ("{\"complete\":0,\"incomplete\":");
    g_string_append_printf (json, "%u,\"action\":\"announce\",\"interval\":120,\"info_hash\":",
                            evil->n_clients);
    ferry_bin20_append_json (json, evil->info_hash);
    g_string_append (json, "}");
    evil_send (client, json);
  }

  /* Once both are here, connect A's first offer to B, one way or the other. */
  if (!evil->attacked && evil->n_clients == 2 && evil->clients[0].has_offer &&
      evil->clients[1].announced)
    evil_attack (evil);
}

static void
evil_websocket_cb (SoupServer              *server,
                   SoupServerMessage       *msg,
                   const char              *path,
                   SoupWebsocketConnection *ws,
                   gpointer                 data)
{
  Evil *evil = data;

  g_assert_cmpuint (evil->n_clients, <, 2);
  evil->clients[evil->n_clients++].ws = g_object_ref (ws);
  g_signal_connect (ws, "message", G_CALLBACK (evil_message_cb), evil);
}

static Evil *
evil_start (RelayMode mode)
{
  Evil *evil = g_new0 (Evil, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  evil->mode = mode;
  evil->server = soup_server_new (NULL, NULL);
  soup_server_add_websocket_handler (evil->server, NULL, NULL, NULL, evil_websocket_cb, evil, NULL);
  g_assert_true (soup_server_listen_local (evil->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (evil->server);
  evil->url = g_strdup_printf ("ws://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  g_queue_init (&evil->pending_to_a);
  g_queue_init (&evil->pending_to_b);
  return evil;
}

static void
evil_free (Evil *evil)
{
  for (guint i = 0; i < evil->n_clients; i++)
    {
      g_signal_handlers_disconnect_by_data (evil->clients[i].ws, evil);
      g_object_unref (evil->clients[i].ws);
      g_free (evil->clients[i].offer.sdp);
    }
  if (evil->chan_a)
    g_signal_handlers_disconnect_by_data (evil->chan_a, evil);
  if (evil->chan_b)
    g_signal_handlers_disconnect_by_data (evil->chan_b, evil);
  g_clear_object (&evil->chan_a);
  g_clear_object (&evil->chan_b);
  if (evil->to_a)
    ferry_peer_connection_close (evil->to_a);
  if (evil->to_b)
    ferry_peer_connection_close (evil->to_b);
  g_clear_object (&evil->to_a);
  g_clear_object (&evil->to_b);
  g_queue_clear_full (&evil->pending_to_a, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&evil->pending_to_b, (GDestroyNotify) g_bytes_unref);
  soup_server_disconnect (evil->server);
  g_object_unref (evil->server);
  g_free (evil->url);
  g_free (evil);
}

static gboolean
both_refused (Member **members)
{
  return members[0]->errors->len > 0 && members[1]->errors->len > 0;
}

static void
assert_authentication_error (Member *m)
{
  GError *error = m->errors->pdata[0];

  g_assert_error (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_AUTHENTICATION);
  g_assert_nonnull (strstr (error->message, "intercepted"));
}

static void
run_relay (RelayMode mode)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Watched", &error);
  Evil *evil = evil_start (mode);
  Member *members[2];
  Mesh mesh = { members, 2, 1 };

  for (guint i = 0; i < 2; i++)
    {
      const char *trackers[] = { evil->url, NULL };
      const char *names[] = { "A", "B" };
      FerryTestNotify *room_watch;

      members[i] = member_new (link, names[i], trackers);
      /* One offer each keeps the script simple; no second chance through re-announces. */
      g_object_set (members[i]->room, "offers", 1, "mesh-retry", 600000, NULL);
      /* The same value again is no change, and notifies nothing. */
      g_object_set (members[i]->room, "offers", 1, NULL);
      room_watch = members[i]->watches->pdata[0];
      g_assert_cmpuint (ferry_test_notify_count (room_watch, "offers"), ==, 1);
      g_assert_cmpuint (ferry_test_notify_count (room_watch, "mesh-retry"), ==, 2);
      ferry_room_join (members[i]->room);
      ferry_test_run_for (300);
    }

  if (mode == RELAY_HONEST)
    {
      /* The baseline: the same relay, untouched SDPs, verified peers. */
      FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), TIMEOUT_S * 1000);
      g_assert_cmpuint (members[0]->errors->len + members[1]->errors->len, ==, 0);
    }
  else
    {
      /* Both DTLS handshakes succeed with the tracker's certificate, and both peers refuse
       * the connection when the MAC does not verify: nobody joins, nothing is accepted. */
      FERRY_TEST_WAIT_UNTIL (both_refused (members), TIMEOUT_S * 1000);
      assert_authentication_error (members[0]);
      assert_authentication_error (members[1]);
      ferry_test_run_for (300);
      g_assert_cmpuint (members[0]->joined + members[1]->joined, ==, 0);
      g_assert_cmpuint (members[0]->messages->len + members[1]->messages->len, ==, 0);
      g_assert_cmpint (ferry_peer_connection_get_dtls_state (evil->to_a), !=, FERRY_DTLS_STATE_FAILED);
    }

  member_free (members[0]);
  member_free (members[1]);
  evil_free (evil);
  ferry_test_run_for (100);
}

static void
test_relay_honest (void)
{
  run_relay (RELAY_HONEST);
}

static void
test_mitm_swap (void)
{
  run_relay (RELAY_SWAP);
}

static void
test_mitm_reflect (void)
{
  run_relay (RELAY_REFLECT);
}

/* A room dropped while its offers still gather is kept alive by them, and goes away once they
 * are done, without touching what it freed: it used to finalize from inside
 * g_hash_table_remove () on its own table of announces, which GLib then resized (under ASan, an
 * allocation of some 13 TB from a size read out of the freed table). */
static void
test_unref_while_announcing (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_plain ("ferry-unref-test", &error);
  Evil *evil = evil_start (RELAY_HONEST);
  const char *trackers[] = { evil->url, NULL };
  FerryTrackerClient *tracker;
  FerryRoom *room;
  Member *m;

  g_assert_no_error (error);
  m = member_new (link, "unref", trackers);
  room = m->room;
  tracker = g_ptr_array_index (ferry_room_get_trackers (room), 0);
  ferry_room_join (room);
  /* Connecting announces at once: the offers start gathering in that very main-loop iteration. */
  FERRY_TEST_WAIT_UNTIL (ferry_tracker_client_get_state (tracker) == FERRY_TRACKER_STATE_CONNECTED,
                         10000);
  g_object_add_weak_pointer (G_OBJECT (room), (gpointer *) &room);
  member_free (m);
  /* The announce in progress holds the last reference. */
  g_assert_nonnull (room);
  FERRY_TEST_WAIT_UNTIL (room == NULL, 10000);
  evil_free (evil);
}

/* Properties notify only when their value changes.  Checked for the flags of every class of the
 * core, and by setting each writable property of a room, its tracker clients and a data channel;
 * the watches in Member check the notifications of rooms, trackers and peers as they run. */
static void
test_properties (void)
{
  const GType types[] = {
    FERRY_TYPE_CERTIFICATE, FERRY_TYPE_DATA_CHANNEL, FERRY_TYPE_DTLS_TRANSPORT,
    FERRY_TYPE_ICE_TRANSPORT, FERRY_TYPE_IDENTITY, FERRY_TYPE_P2PT_CODEC, FERRY_TYPE_PEER,
    FERRY_TYPE_PEER_CONNECTION,
    FERRY_TYPE_ROOM, FERRY_TYPE_ROOM_LINK, FERRY_TYPE_SCTP_TRANSPORT, FERRY_TYPE_TRACKER_CLIENT,
  };
  const char *trackers[] = { "ws://127.0.0.1:9", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Properties", &error);
  g_autoptr(FerryRtcConfig) config = no_servers_config ();
  g_autoptr(FerryPeerConnection) pc = NULL;
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  Member *m;
  GPtrArray *clients;

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    ferry_test_assert_explicit_notify (types[i]);

  g_assert_no_error (error);
  m = member_new (link, "props", trackers);
  ferry_test_assert_notify_on_change (m->room);
  clients = ferry_room_get_trackers (m->room);
  for (guint i = 0; i < clients->len; i++)
    ferry_test_assert_notify_on_change (clients->pdata[i]);
  member_free (m);

  pc = ferry_peer_connection_new (config, &error);
  g_assert_no_error (error);
  channel = ferry_peer_connection_create_data_channel (pc, "props", NULL, &error);
  g_assert_no_error (error);
  ferry_test_assert_notify_on_change (channel);
  ferry_test_assert_notify_on_change (codec);
  ferry_peer_connection_close (pc);
}

/* Chat with delivery marks (docs/PROTOCOL.md, "chat with delivery marks") */

static gboolean
all_ferry (Member *m)
{
  GListModel *peers = ferry_room_get_peers (m->room);

  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (peers, i);

      if (ferry_peer_get_kind (peer) != FERRY_PEER_KIND_FERRY)
        return FALSE;
    }
  return TRUE;
}

/* Joins @n members named @names and waits until each knows the others as Ferry peers: chat sent
 * before a peer's hello arrives goes as a plain string, without an id. */
static void
join_members (Member             **members,
              guint                n,
              FerryRoomLink       *link,
              const char * const  *names,
              FerryTestTracker    *tracker)
{
  const char *trackers[] = { ferry_test_tracker_get_url (tracker), NULL };
  Mesh mesh = { members, n, n - 1 };

  for (guint i = 0; i < n; i++)
    {
      members[i] = member_new (link, names[i], trackers);
      ferry_room_join (members[i]->room);
      /* bittorrent-tracker makes two swarms of two first announces in the same tick. */
      ferry_test_run_for (150);
    }
  FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), TIMEOUT_S * 1000);
  for (guint i = 0; i < n; i++)
    FERRY_TEST_WAIT_UNTIL (all_ferry (members[i]), 10000);
}

/* @m's peer named @name (the room holds it), or NULL. */
static FerryPeer *
find_peer (Member     *m,
           const char *name)
{
  GListModel *peers = ferry_room_get_peers (m->room);

  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (peers, i);

      if (g_str_equal (ferry_peer_get_display_name (peer), name))
        return peer;
    }
  return NULL;
}

static guint
count_delivered (Member     *m,
                 const char *name,
                 const char *id)
{
  g_autofree char *want = g_strdup_printf ("%s %s", name, id);
  guint n = 0;

  for (guint i = 0; i < m->delivered->len; i++)
    n += g_str_equal (g_ptr_array_index (m->delivered, i), want);
  return n;
}

static char *
send_chat (Member     *m,
           const char *text,
           gint64     *time)
{
  g_autoptr(GError) error = NULL;
  char *id = ferry_room_send_chat_full (m->room, text, time, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

/* A message reaches the other side with its id and time, and its acknowledgement comes back:
 * ::message-delivered, once. */
static void
test_chat_delivered (void)
{
  const char *names[] = { "ack-a", "ack-b" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_plain ("ferry-chat-ack-test", &error);
  g_autofree char *id = NULL;
  FerryTestTracker *tracker;
  Member *members[2];
  gint64 before, time = 0;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  join_members (members, 2, link, names, tracker);

  before = g_get_real_time () / 1000;
  id = send_chat (members[0], "delivered?", &time);
  g_assert_true (ferry_peer_message_id_is_valid (id));
  g_assert_cmpint (time, >=, before);
  g_assert_cmpint (time, <=, g_get_real_time () / 1000);

  FERRY_TEST_WAIT_UNTIL (count_delivered (members[0], "ack-b", id) == 1, 10000);
  g_assert_cmpuint (members[1]->messages->len, ==, 1);
  g_assert_cmpstr (members[1]->messages->pdata[0], ==, "ack-a: delivered?");
  g_assert_cmpstr (members[1]->ids->pdata[0], ==, id);
  g_assert_cmpint (g_array_index (members[1]->times, gint64, 0), ==, time);

  /* Nothing more: one acknowledgement, one mark; B wrote nothing, so A gets nothing. */
  ferry_test_run_for (500);
  g_assert_cmpuint (members[0]->delivered->len, ==, 1);
  g_assert_cmpuint (members[1]->delivered->len, ==, 0);
  g_assert_cmpuint (members[0]->messages->len, ==, 0);

  member_free (members[0]);
  member_free (members[1]);
  ferry_test_tracker_stop (tracker);
}

static void
count_acks_cb (FerryPeer        *peer,
               FerryPeerMessage *message,
               guint            *acks)
{
  if (message->type == FERRY_PEER_MESSAGE_CHAT_ACK)
    (*acks)++;
}

/* The same id twice more: shown once, acknowledged every time, marked delivered once. */
static void
test_chat_duplicate (void)
{
  const char *names[] = { "dup-a", "dup-b" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_plain ("ferry-chat-dup-test", &error);
  g_autofree char *id = NULL;
  FerryTestTracker *tracker;
  Member *members[2];
  FerryPeer *b;
  guint acks = 0;
  gint64 time;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  join_members (members, 2, link, names, tracker);
  b = find_peer (members[0], "dup-b");
  g_assert_nonnull (b);
  g_signal_connect (b, "peer-message", G_CALLBACK (count_acks_cb), &acks);

  id = send_chat (members[0], "only once", &time);
  FERRY_TEST_WAIT_UNTIL (acks == 1, 10000);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(FerryPeerMessage) again = ferry_peer_message_new_chat_full ("only once", id, time);

      g_assert_true (ferry_peer_send_message (b, again, &error));
      g_assert_no_error (error);
    }
  FERRY_TEST_WAIT_UNTIL (acks == 3, 10000);
  ferry_test_run_for (200);
  g_assert_cmpuint (members[1]->messages->len, ==, 1);
  g_assert_cmpstr (members[1]->messages->pdata[0], ==, "dup-a: only once");
  g_assert_cmpuint (count_delivered (members[0], "dup-b", id), ==, 1);
  g_assert_cmpuint (members[0]->delivered->len, ==, 1);

  g_signal_handlers_disconnect_by_data (b, &acks);
  member_free (members[0]);
  member_free (members[1]);
  ferry_test_tracker_stop (tracker);
}

/* B leaves; A writes three messages (C, still there, gets them); B comes back with the same
 * certificate and gets exactly those three, once, in order, with their ids and times, and
 * nothing it had acknowledged before it left.  In a plain room, where B's hello comes after
 * ::peer-joined. */
static void
test_chat_catch_up (void)
{
  const char *names[] = { "catch-a", "catch-b", "catch-c" };
  const char *trackers[] = { NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_plain ("ferry-chat-catch-up-test", &error);
  g_autofree char *before = NULL;
  g_autofree char *ids[3] = { NULL, };
  gint64 times[3];
  FerryTestTracker *tracker;
  Member *members[3];
  Mesh mesh = { members, 3, 2 };

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  trackers[0] = ferry_test_tracker_get_url (tracker);
  join_members (members, 3, link, names, tracker);

  before = send_chat (members[0], "before", NULL);
  FERRY_TEST_WAIT_UNTIL (count_delivered (members[0], "catch-b", before) == 1 &&
                         count_delivered (members[0], "catch-c", before) == 1, 10000);

  member_free (members[1]);
  {
    Mesh rest = { (Member *[]) { members[0], members[2] }, 2, 1 };
    FERRY_TEST_WAIT_UNTIL (mesh_complete (&rest), 10000);
  }
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *text = g_strdup_printf ("missed %u", i + 1);
      ids[i] = send_chat (members[0], text, &times[i]);
    }
  FERRY_TEST_WAIT_UNTIL (members[2]->messages->len == 4, 10000);

  /* The same name, so the same identity file: the same certificate, a new peer id. */
  members[1] = member_new (link, "catch-b", trackers);
  ferry_room_join (members[1]->room);
  FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), TIMEOUT_S * 1000);
  FERRY_TEST_WAIT_UNTIL (members[1]->messages->len >= 3, 10000);
  for (guint i = 0; i < 3; i++)
    FERRY_TEST_WAIT_UNTIL (count_delivered (members[0], "catch-b", ids[i]) == 1, 10000);
  ferry_test_run_for (1000);

  g_assert_cmpuint (members[1]->messages->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *line = g_strdup_printf ("catch-a: missed %u", i + 1);

      g_assert_cmpstr (members[1]->messages->pdata[i], ==, line);
      g_assert_cmpstr (members[1]->ids->pdata[i], ==, ids[i]);
      g_assert_cmpint (g_array_index (members[1]->times, gint64, i), ==, times[i]);
    }
  /* C did not leave: it gets nothing again. */
  g_assert_cmpuint (members[2]->messages->len, ==, 4);
  g_assert_cmpuint (members[0]->messages->len, ==, 0);

  for (guint i = 0; i < 3; i++)
    member_free (members[i]);
  ferry_test_tracker_stop (tracker);
}

/* A newcomer gets what was written before it came, at most the latest 200 messages.  In a secret
 * room, where the hello comes with the peer's verification. */
static void
test_chat_catch_up_bound (void)
{
  const char *names[] = { "bound-a", "bound-b" };
  const char *trackers[] = { NULL, NULL };
  const guint n = 250, kept = 200;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Bound", &error);
  FerryTestTracker *tracker;
  Member *members[3];
  Mesh mesh = { members, 3, 2 };

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  trackers[0] = ferry_test_tracker_get_url (tracker);
  join_members (members, 2, link, names, tracker);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("n %u", i + 1);
      g_autofree char *id = send_chat (members[0], text, NULL);
    }
  FERRY_TEST_WAIT_UNTIL (members[1]->messages->len == n, 20000);

  members[2] = member_new (link, "bound-late", trackers);
  ferry_room_join (members[2]->room);
  FERRY_TEST_WAIT_UNTIL (mesh_complete (&mesh), TIMEOUT_S * 1000);
  FERRY_TEST_WAIT_UNTIL (members[2]->messages->len >= kept, 20000);
  ferry_test_run_for (1000);

  g_assert_cmpuint (members[2]->messages->len, ==, kept);
  for (guint i = 0; i < kept; i++)
    {
      g_autofree char *line = g_strdup_printf ("bound-a: n %u", n - kept + i + 1);

      g_assert_cmpstr (members[2]->messages->pdata[i], ==, line);
    }
  g_assert_cmpuint (members[1]->messages->len, ==, n);

  for (guint i = 0; i < 3; i++)
    member_free (members[i]);
  ferry_test_tracker_stop (tracker);
}

/* A plain P2PT peer (tests/js/p2pt-peer.mjs: P2PT 1.6 on libwebrtc in Node) */

typedef struct {
  GSubprocess      *process;
  GDataInputStream *lines;
  GCancellable     *cancellable;
  GPtrArray        *events;    /* JsonObject, one per line it printed */
} P2ptNode;

static gboolean
p2pt_available (void)
{
  const char *js = g_getenv ("FERRY_JS_DIR");
  const char *packages[] = { "p2pt", "@roamhq/wrtc" };

  if (!ferry_test_tracker_available ())
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (packages); i++)
    {
      g_autofree char *path = g_build_filename (js ? js : ".", "node_modules", packages[i],
                                                "package.json", NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
        g_test_fail_printf ("%s not installed (npm ci in tests/js), and CI=true", packages[i]);
      else
        g_test_skip_printf ("%s not installed (npm ci in tests/js)", packages[i]);
      return FALSE;
    }
  return TRUE;
}

static void
p2pt_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  P2ptNode *node = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                     result, NULL, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (line == NULL)
    return;  /* EOF, or cancelled (@node may be gone) */
  if (json_parser_load_from_data (parser, line, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_ptr_array_add (node->events, json_object_ref (json_node_get_object (json_parser_get_root (parser))));
  g_data_input_stream_read_line_async (node->lines, G_PRIORITY_DEFAULT, node->cancellable,
                                       p2pt_line_cb, node);
}

static P2ptNode *
p2pt_start (const char * const *args)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *script = g_build_filename (g_getenv ("FERRY_JS_DIR"), "p2pt-peer.mjs", NULL);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  P2ptNode *node = g_new0 (P2ptNode, 1);

  g_strv_builder_add_many (builder, ferry_test_node_path (), script, NULL);
  g_strv_builder_addv (builder, (const char **) args);
  argv = g_strv_builder_end (builder);
  /* --control: it runs until its stdin closes. */
  node->process = g_subprocess_newv ((const char * const *) argv,
                                     G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                     &error);
  g_assert_no_error (error);
  node->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (node->process));
  node->cancellable = g_cancellable_new ();
  node->events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_data_input_stream_read_line_async (node->lines, G_PRIORITY_DEFAULT, node->cancellable,
                                       p2pt_line_cb, node);
  return node;
}

static JsonObject *
p2pt_find (P2ptNode   *node,
           const char *event)
{
  for (guint i = 0; i < node->events->len; i++)
    if (g_strcmp0 (json_object_get_string_member_with_default (node->events->pdata[i], "event", ""), event) == 0)
      return node->events->pdata[i];
  return NULL;
}

static guint
p2pt_count_msgs (P2ptNode   *node,
                 const char *peer_id)
{
  guint n = 0;

  for (guint i = 0; i < node->events->len; i++)
    n += g_strcmp0 (json_object_get_string_member_with_default (node->events->pdata[i], "event", ""), "msg") == 0 &&
         g_strcmp0 (json_object_get_string_member_with_default (node->events->pdata[i], "peer", ""), peer_id) == 0;
  return n;
}

static void
p2pt_stop (P2ptNode *node)
{
  g_cancellable_cancel (node->cancellable);
  g_subprocess_force_exit (node->process);
  g_subprocess_wait (node->process, NULL, NULL);
  g_object_unref (node->cancellable);
  g_object_unref (node->lines);
  g_object_unref (node->process);
  g_ptr_array_unref (node->events);
  g_free (node);
}

static gboolean
has_line_ending (Member     *m,
                 const char *suffix)
{
  for (guint i = 0; i < m->messages->len; i++)
    if (g_str_has_suffix (m->messages->pdata[i], suffix))
      return TRUE;
  return FALSE;
}

/* A plain P2PT peer gets chat as strings and nothing else besides the hello: no chat objects, no
 * acknowledgements, and no catch-up of what was written before it came.  A chat object with an id
 * from it is no Ferry chat: not shown, not acknowledged. */
static void
test_chat_p2pt_strings (void)
{
  const char *names[] = { "plain-a", "plain-b" };
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_plain ("ferry-chat-p2pt-test", &error);
  g_autofree char *tracker_arg = NULL;
  g_autofree char *early = NULL, *live = NULL;
  FerryTestTracker *tracker;
  P2ptNode *node;
  JsonObject *done;
  Member *members[2];
  guint strings = 0, hellos = 0;

  if (!p2pt_available ())
    return;
  tracker = ferry_test_tracker_start (0, 2);
  join_members (members, 2, link, names, tracker);
  /* Kept by A, and acknowledged by B only. */
  early = send_chat (members[0], "written before p2pt came", NULL);
  FERRY_TEST_WAIT_UNTIL (count_delivered (members[0], "plain-b", early) == 1, 10000);

  tracker_arg = g_strdup_printf ("--tracker=%s", ferry_test_tracker_get_url (tracker));
  node = p2pt_start ((const char *[]) {
    tracker_arg, "--identifier=ferry-chat-p2pt-test", "--peers=2", "--timeout=60", "--stay",
    "--send-json={\"type\":\"chat\",\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"time\":1,\"text\":\"an object\"}",
    "--send=plain from p2pt", "--expect=live from ferry", NULL });

  FERRY_TEST_WAIT_UNTIL (has_line_ending (members[0], ": plain from p2pt") &&
                         has_line_ending (members[1], ": plain from p2pt"), TIMEOUT_S * 1000);
  live = send_chat (members[0], "live from ferry", NULL);
  /* Done: it met both and got the string; or something else came from A after its hello. */
  FERRY_TEST_WAIT_UNTIL (p2pt_find (node, "done") != NULL ||
                         p2pt_count_msgs (node, ferry_room_get_peer_id (members[0]->room)) >= 2,
                         TIMEOUT_S * 1000);
  /* Time for anything that should not come. */
  ferry_test_run_for (1000);

  for (guint i = 0; i < node->events->len; i++)
    {
      JsonObject *event = node->events->pdata[i];
      JsonNode *msg;

      if (g_strcmp0 (json_object_get_string_member_with_default (event, "event", ""), "msg") != 0)
        continue;
      msg = json_object_get_member (event, "msg");
      if (JSON_NODE_HOLDS_VALUE (msg) && json_node_get_value_type (msg) == G_TYPE_STRING)
        {
          g_assert_cmpstr (json_node_get_string (msg), ==, "live from ferry");
          g_assert_cmpstr (json_object_get_string_member (event, "peer"), ==,
                           ferry_room_get_peer_id (members[0]->room));
          strings++;
          continue;
        }
      /* One hello per connection, and no other object. */
      g_assert_true (JSON_NODE_HOLDS_OBJECT (msg));
      g_assert_cmpstr (json_object_get_string_member_with_default (json_node_get_object (msg), "type", ""),
                       ==, "ferry-hello");
      hellos++;
    }
  g_assert_cmpuint (strings, ==, 1);
  g_assert_cmpuint (hellos, >=, 2);
  done = p2pt_find (node, "done");
  g_assert_nonnull (done);
  g_assert_true (json_object_get_boolean_member (done, "ok"));

  /* The object was not shown, and brought no acknowledgement (above); the string was shown. */
  for (guint m = 0; m < 2; m++)
    {
      g_assert_cmpuint (members[m]->messages->len, ==, m == 0 ? 1 : 3);
      g_assert_false (has_line_ending (members[m], ": an object"));
    }

  p2pt_stop (node);
  member_free (members[0]);
  member_free (members[1]);
  ferry_test_tracker_stop (tracker);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("ferry-room-XXXXXX", NULL);

  g_test_add_func ("/room/properties", test_properties);
  g_test_add_func ("/room/mesh", test_mesh);
  g_test_add_func ("/room/tracker-loss", test_tracker_loss);
  g_test_add_func ("/room/secret-verified", test_secret_verified);
  g_test_add_func ("/room/relay/honest", test_relay_honest);
  g_test_add_func ("/room/relay/mitm-swap", test_mitm_swap);
  g_test_add_func ("/room/relay/mitm-reflect", test_mitm_reflect);
  g_test_add_func ("/room/unref-while-announcing", test_unref_while_announcing);
  g_test_add_func ("/room/chat/delivered", test_chat_delivered);
  g_test_add_func ("/room/chat/duplicate", test_chat_duplicate);
  g_test_add_func ("/room/chat/catch-up", test_chat_catch_up);
  g_test_add_func ("/room/chat/catch-up-bound", test_chat_catch_up_bound);
  g_test_add_func ("/room/chat/p2pt-strings", test_chat_p2pt_strings);

  status = g_test_run ();
  {
    g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name (dir)))
      {
        g_autofree char *path = g_build_filename (tmpdir, name, NULL);
        g_unlink (path);
      }
    g_rmdir (tmpdir);
  }
  return status;
}
