/* Rooms over real trackers in a network namespace: a mesh through two trackers (one of them
 * dead), leaving, verified secret rooms, and a tracker that is a man in the middle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>
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
