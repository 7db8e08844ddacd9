/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FerryTrackerClient against the reference WebTorrent tracker (bittorrent-tracker from npm, run
 * by tests/js/tracker-server.mjs on 127.0.0.1) and against hostile servers written here: a
 * SoupServer that sends garbage, and a raw socket server that never answers pings, drops the
 * connection or floods fragments.  Everything stays on loopback.
 */
#include <string.h>
#include <gio/gio.h>
#include <libsoup/soup.h>

#include "ferry-bin20.h"
#include "ferry-crypto.h"
#include "ferry-tracker-client.h"
#include "ferry-tracker-message.h"
#include "ferry-test-notify.h"
#include "ferry-test-tracker.h"
#include "ferry-test-util.h"

/* Fixed ids with 0x00 (json-glib 1.6 cuts strings there) and 0x7F (JSON.stringify leaves it
 * raw) in them, and JSON escapes. */
static const guint8 info_hash[20] = {
  0x00, 'f', 'e', 'r', 'r', 'y', 0x7f, 0x22, 0x5c, 0x0a,
  0x80, 0xff, 0x00, 0x01, 0x1f, 0x20, 0x7f, 0xc3, 0xa9, 0x00,
};
static const guint8 other_hash[20] = {
  0x01, 'o', 't', 'h', 'e', 'r', 0x7f, 0x22, 0x5c, 0x0a,
  0x80, 0xff, 0x00, 0x01, 0x1f, 0x20, 0x7f, 0xc3, 0xa9, 0x00,
};
static const guint8 peer_a[20] = {
  0x00, 0x7f, 'A', 0x00, 0x7f, 0x08, 0x09, 0x0d, 0x0c, 0x2f,
  0x5c, 0x22, 0x80, 0xff, 0x10, 0x00, 0x7f, 0x41, 0x42, 0x00,
};
static const guint8 peer_b[20] = {
  0x7f, 0x00, 'B', 0x7f, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
  0x06, 0x07, 0x8e, 0x9f, 0xa0, 0x7f, 0x00, 0x43, 0x44, 0x7f,
};
static const guint8 peer_x[20] = {
  'X', 0x00, 0x7f, 'X', 0x00, 0x7f, 0x11, 0x12, 0x13, 0x14,
  0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
};

static const char sdp_a[] =
  "v=0\r\no=- 3703429459490841177 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
  "a=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n"
  "m=application 54946 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.2\r\n"
  "a=candidate:3229573512 1 udp 2122194687 192.0.2.2 54946 typ host generation 0 network-id 1\r\n"
  "a=ice-ufrag:j81P\r\na=ice-pwd:kfr+h/PXO10QpFvz7ltRuUrF\r\n"
  "a=fingerprint:sha-256 10:99:50:8D:98:14:14:6E:2A:2E:5F:61:1A:70:56:BE:01:89:1B:DA:84:77:4B:9D:18:72:0C:91:7E:17:88:BD\r\n"
  "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
static const char sdp_b[] =
  "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
  "a=candidate:1 1 udp 2122194687 127.0.0.1 40000 typ host\r\n"
  "a=ice-ufrag:BBBB\r\na=ice-pwd:bbbbbbbbbbbbbbbbbbbbbbbb\r\n"
  "a=fingerprint:sha-256 AA:99:50:8D:98:14:14:6E:2A:2E:5F:61:1A:70:56:BE:01:89:1B:DA:84:77:4B:9D:18:72:0C:91:7E:17:88:BD\r\n"
  "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
static const char sdp_answer[] =
  "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:CCCC\r\na=ice-pwd:cccccccccccccccccccccccc\r\n"
  "a=fingerprint:sha-256 CC:99:50:8D:98:14:14:6E:2A:2E:5F:61:1A:70:56:BE:01:89:1B:DA:84:77:4B:9D:18:72:0C:91:7E:17:88:BD\r\n"
  "a=setup:active\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

static char *
hex (const guint8 id[20])
{
  return ferry_hex_encode (id, 20);
}

static void
hex_decode (const char *text,
            guint8      out[20])
{
  g_assert_true (ferry_hex_decode (text, -1, '\0', out, 20));
}

/* A client and everything it told us */

typedef struct {
  int    state;
  gint64 time;
} StateChange;

typedef struct {
  char    *peer_hex;
  GBytes  *offer_id;
  char    *sdp;
  GObject *object;
} Event;

typedef struct {
  FerryTrackerClient *client;
  GArray             *states;          /* StateChange */
  GArray             *announce_times;  /* gint64 ms */
  GPtrArray          *offers;          /* Event */
  GPtrArray          *answers;         /* Event */
  GPtrArray          *expired;         /* GObject */
  GArray             *expired_times;   /* gint64 ms */
  GPtrArray          *warnings;        /* char * */
  gboolean            auto_announce;   /* announce without offers on ::announce-needed */
  gboolean            auto_answer;     /* answer every relayed offer with sdp_answer */
  FerryTestNotify    *notify;          /* the client's property notifications */
} Peer;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_free (event->peer_hex);
  g_clear_pointer (&event->offer_id, g_bytes_unref);
  g_free (event->sdp);
  g_clear_object (&event->object);
  g_free (event);
}

static void
state_cb (FerryTrackerClient *client,
          GParamSpec         *pspec,
          Peer               *peer)
{
  StateChange change = { ferry_tracker_client_get_state (client), now_ms () };

  g_array_append_val (peer->states, change);
}

static void
announce_needed_cb (FerryTrackerClient *client,
                    Peer               *peer)
{
  gint64 t = now_ms ();

  g_array_append_val (peer->announce_times, t);
  if (peer->auto_announce)
    g_assert_cmpuint (ferry_tracker_client_announce (client, NULL), ==, 0);
}

static void
offer_cb (FerryTrackerClient *client,
          const char         *peer_hex,
          GBytes             *offer_id,
          const char         *sdp,
          Peer               *peer)
{
  Event *event = g_new0 (Event, 1);

  event->peer_hex = g_strdup (peer_hex);
  event->offer_id = g_bytes_ref (offer_id);
  event->sdp = g_strdup (sdp);
  g_ptr_array_add (peer->offers, event);

  if (peer->auto_answer)
    {
      guint8 to[20];

      hex_decode (peer_hex, to);
      g_assert_true (ferry_tracker_client_send_answer (client, to, offer_id, sdp_answer));
    }
}

static void
answer_cb (FerryTrackerClient *client,
           const char         *peer_hex,
           GObject            *object,
           const char         *sdp,
           Peer               *peer)
{
  Event *event = g_new0 (Event, 1);

  event->peer_hex = g_strdup (peer_hex);
  event->object = object != NULL ? g_object_ref (object) : NULL;
  event->sdp = g_strdup (sdp);
  g_ptr_array_add (peer->answers, event);
}

static void
offer_expired_cb (FerryTrackerClient *client,
                  GObject            *object,
                  Peer               *peer)
{
  gint64 t = now_ms ();

  g_assert_nonnull (object);
  g_ptr_array_add (peer->expired, g_object_ref (object));
  g_array_append_val (peer->expired_times, t);
}

static void
warning_cb (FerryTrackerClient *client,
            const char         *message,
            Peer               *peer)
{
  g_assert_true (g_utf8_validate (message, -1, NULL));
  g_test_message ("warning: %s", message);
  g_ptr_array_add (peer->warnings, g_strdup (message));
}

static Peer *
peer_new (const char   *url,
          const guint8  hash[20],
          const guint8  id[20])
{
  Peer *peer = g_new0 (Peer, 1);

  peer->client = ferry_tracker_client_new (url, hash, id);
  peer->states = g_array_new (FALSE, FALSE, sizeof (StateChange));
  peer->announce_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  peer->offers = g_ptr_array_new_with_free_func (event_free);
  peer->answers = g_ptr_array_new_with_free_func (event_free);
  peer->expired = g_ptr_array_new_with_free_func (g_object_unref);
  peer->expired_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  peer->warnings = g_ptr_array_new_with_free_func (g_free);
  peer->notify = ferry_test_notify_watch (peer->client);

  g_signal_connect (peer->client, "notify::state", G_CALLBACK (state_cb), peer);
  g_signal_connect (peer->client, "announce-needed", G_CALLBACK (announce_needed_cb), peer);
  g_signal_connect (peer->client, "offer", G_CALLBACK (offer_cb), peer);
  g_signal_connect (peer->client, "answer", G_CALLBACK (answer_cb), peer);
  g_signal_connect (peer->client, "offer-expired", G_CALLBACK (offer_expired_cb), peer);
  g_signal_connect (peer->client, "warning", G_CALLBACK (warning_cb), peer);
  return peer;
}

static void
peer_free (Peer *peer)
{
  /* Every notification the test saw came with a change of value. */
  ferry_test_notify_assert_no_spurious (peer->notify);
  ferry_test_notify_free (peer->notify);
  g_signal_handlers_disconnect_by_data (peer->client, peer);
  g_object_unref (peer->client);
  g_array_unref (peer->states);
  g_array_unref (peer->announce_times);
  g_ptr_array_unref (peer->offers);
  g_ptr_array_unref (peer->answers);
  g_ptr_array_unref (peer->expired);
  g_array_unref (peer->expired_times);
  g_ptr_array_unref (peer->warnings);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

static FerryTrackerState
state_of (Peer *peer)
{
  return ferry_tracker_client_get_state (peer->client);
}

static guint
swarm_of (Peer *peer)
{
  guint swarm;

  g_object_get (peer->client, "swarm-size", &swarm, NULL);
  return swarm;
}

static gboolean
has_expired (Peer    *peer,
             GObject *object)
{
  return g_ptr_array_find (peer->expired, object, NULL);
}

static GObject *
named_object (const char *name)
{
  GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

  g_object_set_data_full (object, "name", g_strdup (name), g_free);
  return object;
}

static FerryTrackerOffer *
offer_with_id (const char   *sdp,
               GObject      *object,
               const guint8  id[20])
{
  FerryTrackerOffer *offer = ferry_tracker_offer_new (sdp, object);

  memcpy (offer->offer_id, id, 20);
  return offer;
}

/* Reference tracker tests */

static void
test_reference_signalling (void)
{
  g_autoptr(FerryTestTracker) tracker = NULL;
  const char *url;
  g_autofree char *hex_a = hex (peer_a);
  g_autofree char *hex_b = hex (peer_b);
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  g_autoptr(GObject) a0 = named_object ("a0");
  g_autoptr(GObject) a1 = named_object ("a1");
  g_autoptr(GObject) a2 = named_object ("a2");
  g_autoptr(GObject) a3 = named_object ("a3");
  g_autoptr(GObject) b0 = named_object ("b0");
  g_autoptr(GPtrArray) offers = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_tracker_offer_free);
  const guint8 id_a0[20] = { 0x00, 0x7f, 0xa0, [19] = 0x00 };
  const guint8 id_a1[20] = { 0x7f, 0x00, 0xa1, [10] = 0x7f, [19] = 0x7f };
  const guint8 id_a2[20] = { 0x00, 0x00, 0xa2, [5] = 0x22, [6] = 0x5c, [19] = 0x7f };
  const guint8 id_a3[20] = { 0x7f, 0x7f, 0xa3, [19] = 0x00 };
  const guint8 id_b0[20] = { 0x00, 0x7f, 0xb0, 0x00, 0x7f, 0x0a, 0x0d, 0x80, 0xff, 0x00 };
  gint64 first_announce;
  Event *event;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 120);
  url = ferry_test_tracker_get_url (tracker);

  /* A alone in the swarm: its two offers go nowhere and expire. */
  a = peer_new (url, info_hash, peer_a);
  g_object_set (a->client, "offer-timeout", 2500, NULL);
  ferry_tracker_client_start (a->client);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_CONNECTING);
  FERRY_TEST_WAIT_UNTIL (a->announce_times->len == 1, 5000);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_CONNECTED);

  g_ptr_array_add (offers, offer_with_id (sdp_a, a0, id_a0));
  g_ptr_array_add (offers, offer_with_id (sdp_a, a1, id_a1));
  g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 2);
  first_announce = now_ms ();
  /* The caller may drop its array at once: the client holds its own references. */
  g_ptr_array_set_size (offers, 0);
  FERRY_TEST_WAIT_UNTIL (swarm_of (a) == 1, 5000);
  FERRY_TEST_WAIT_UNTIL (ferry_test_tracker_saw (tracker, "update", peer_a, 2), 5000);

  /* B joins with one offer; the tracker relays it to A, the only other peer. */
  b = peer_new (url, info_hash, peer_b);
  ferry_tracker_client_start (b->client);
  FERRY_TEST_WAIT_UNTIL (b->announce_times->len == 1, 5000);
  g_ptr_array_add (offers, offer_with_id (sdp_b, b0, id_b0));
  g_assert_cmpuint (ferry_tracker_client_announce (b->client, offers), ==, 1);
  g_ptr_array_set_size (offers, 0);
  FERRY_TEST_WAIT_UNTIL (swarm_of (b) == 2 && a->offers->len == 1, 5000);

  event = g_ptr_array_index (a->offers, 0);
  g_assert_cmpstr (event->peer_hex, ==, hex_b);
  g_assert_cmpmem (g_bytes_get_data (event->offer_id, NULL), g_bytes_get_size (event->offer_id),
                   id_b0, 20);
  g_assert_cmpstr (event->sdp, ==, sdp_b);

  /* A answers on the same socket; B gets it back with the object of the offer it answers. */
  g_assert_true (ferry_tracker_client_send_answer (a->client, peer_b, event->offer_id, sdp_answer));
  FERRY_TEST_WAIT_UNTIL (b->answers->len == 1, 5000);
  event = g_ptr_array_index (b->answers, 0);
  g_assert_cmpstr (event->peer_hex, ==, hex_a);
  g_assert_true (event->object == b0);
  g_assert_cmpstr (event->sdp, ==, sdp_answer);

  /* A announces again with two offers: B (the one other peer) gets the first; its answer must
   * come back with a2, not a3, and a3 expires. */
  g_ptr_array_add (offers, offer_with_id (sdp_a, a2, id_a2));
  g_ptr_array_add (offers, offer_with_id (sdp_a, a3, id_a3));
  g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 2);
  g_ptr_array_set_size (offers, 0);
  FERRY_TEST_WAIT_UNTIL (b->offers->len == 1, 5000);
  event = g_ptr_array_index (b->offers, 0);
  g_assert_cmpstr (event->peer_hex, ==, hex_a);
  g_assert_cmpmem (g_bytes_get_data (event->offer_id, NULL), 20, id_a2, 20);
  g_assert_cmpstr (event->sdp, ==, sdp_a);
  g_assert_true (ferry_tracker_client_send_answer (b->client, peer_a, event->offer_id, sdp_answer));
  FERRY_TEST_WAIT_UNTIL (a->answers->len == 1, 5000);
  event = g_ptr_array_index (a->answers, 0);
  g_assert_cmpstr (event->peer_hex, ==, hex_b);
  g_assert_true (event->object == a2);

  FERRY_TEST_WAIT_UNTIL (has_expired (a, a0) && has_expired (a, a1) && has_expired (a, a3), 10000);
  g_assert_false (has_expired (a, a2));
  g_assert_cmpuint (b->expired->len, ==, 0);
  /* a0 and a1 expired offer-timeout after the first announce. */
  for (guint i = 0; i < a->expired->len; i++)
    if (g_ptr_array_index (a->expired, i) == a0)
      {
        gint64 after = g_array_index (a->expired_times, gint64, i) - first_announce;

        g_test_message ("offer expired %" G_GINT64_FORMAT " ms after the announce (timeout 2500)",
                        after);
        g_assert_cmpint (after, >=, 2400);
        g_assert_cmpint (after, <, 4000);
      }
  g_assert_cmpuint (a->warnings->len, ==, 0);
  g_assert_cmpuint (b->warnings->len, ==, 0);
}

static void
test_reference_reannounce (void)
{
  g_autoptr(FerryTestTracker) tracker = NULL;
  const char *url;
  g_autoptr(Peer) a = NULL;
  guint interval;
  guint n;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 1);
  url = ferry_test_tracker_get_url (tracker);

  a = peer_new (url, info_hash, peer_a);
  a->auto_announce = TRUE;
  g_object_set (a->client, "min-interval", 200, NULL);
  ferry_tracker_client_start (a->client);

  /* The tracker says 1 s; every response restarts the period. */
  FERRY_TEST_WAIT_UNTIL (a->announce_times->len >= 4, 8000);
  g_object_get (a->client, "interval", &interval, NULL);
  g_assert_cmpuint (interval, ==, 1);
  /* From the default 120 s to 1 s once; the same value in later responses is no change. */
  g_assert_cmpuint (ferry_test_notify_count (a->notify, "interval"), ==, 1);
  for (guint i = 2; i < 4; i++)
    {
      gint64 gap = g_array_index (a->announce_times, gint64, i) -
                   g_array_index (a->announce_times, gint64, i - 1);

      g_test_message ("re-announce after %" G_GINT64_FORMAT " ms (tracker interval 1 s)", gap);
      g_assert_cmpint (gap, >=, 950);
      g_assert_cmpint (gap, <, 1600);
    }

  /* max-interval caps the tracker's value. */
  g_object_set (a->client, "max-interval", 400, NULL);
  g_object_set (a->client, "max-interval", 400, NULL);
  g_assert_cmpuint (ferry_test_notify_count (a->notify, "max-interval"), ==, 1);
  n = a->announce_times->len;
  FERRY_TEST_WAIT_UNTIL (a->announce_times->len >= n + 4, 5000);
  for (guint i = n + 1; i < n + 4; i++)
    {
      gint64 gap = g_array_index (a->announce_times, gint64, i) -
                   g_array_index (a->announce_times, gint64, i - 1);

      g_test_message ("re-announce after %" G_GINT64_FORMAT " ms (max-interval 400 ms)", gap);
      g_assert_cmpint (gap, >=, 380);
      g_assert_cmpint (gap, <, 900);
    }
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_CONNECTED);
  g_assert_cmpuint (a->warnings->len, ==, 0);
}

/* The delays between each FAILED and the next CONNECTING from index @from on, checked against
 * reconnect-min × 2ⁿ (capped) ± 50 %. */
static guint
check_backoff (Peer  *peer,
               guint  from,
               guint  min_ms,
               guint  max_ms)
{
  guint n = 0;

  for (guint i = from; i + 1 < peer->states->len; i++)
    {
      StateChange *failed = &g_array_index (peer->states, StateChange, i);
      StateChange *next = &g_array_index (peer->states, StateChange, i + 1);
      guint base = min_ms;
      gint64 delay;

      if (failed->state != FERRY_TRACKER_STATE_FAILED || next->state != FERRY_TRACKER_STATE_CONNECTING)
        continue;
      for (guint k = 0; k < n && base < max_ms; k++)
        base *= 2;
      base = MIN (base, max_ms);
      delay = next->time - failed->time;
      g_test_message ("reconnect attempt %u after %" G_GINT64_FORMAT " ms (base %u ms, allowed %u-%u)",
                      n + 1, delay, base, base / 2, base * 3 / 2);
      /* The timer runs a few ms late, never early. */
      g_assert_cmpint (delay, >=, base / 2 - 2);
      g_assert_cmpint (delay, <=, base * 3 / 2 + 150);
      n++;
    }
  return n;
}

static guint
count_state (Peer *peer,
             guint from,
             int   state)
{
  guint n = 0;

  for (guint i = from; i < peer->states->len; i++)
    if (g_array_index (peer->states, StateChange, i).state == state)
      n++;
  return n;
}

static void
test_reference_reconnect (void)
{
  g_autoptr(FerryTestTracker) tracker = NULL;
  const char *url;
  g_autoptr(Peer) a = NULL;
  guint port;
  guint mark;
  guint attempts;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 120);
  port = ferry_test_tracker_get_port (tracker);
  url = ferry_test_tracker_get_url (tracker);

  a = peer_new (url, info_hash, peer_a);
  a->auto_announce = TRUE;
  g_object_set (a->client, "reconnect-min", 250, "reconnect-max", 1000, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (swarm_of (a) == 1, 5000);

  /* Killed: FAILED at once, then attempts at 250, 500, 1000, 1000 ms (± 50 %). */
  mark = a->states->len;
  g_clear_pointer (&tracker, ferry_test_tracker_stop);
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_FAILED, 3000);
  g_test_message ("failure: %s", ferry_tracker_client_get_failure_reason (a->client));
  g_assert_nonnull (ferry_tracker_client_get_failure_reason (a->client));
  FERRY_TEST_WAIT_UNTIL (count_state (a, mark, FERRY_TRACKER_STATE_CONNECTING) >= 4 &&
                         state_of (a) == FERRY_TRACKER_STATE_FAILED, 8000);
  attempts = check_backoff (a, mark, 250, 1000);
  g_assert_cmpuint (attempts, >=, 4);
  g_test_message ("last failure: %s", ferry_tracker_client_get_failure_reason (a->client));

  /* Back on the same port: the next attempt connects, and announces again. */
  tracker = ferry_test_tracker_start (port, 120);
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_CONNECTED, 5000);
  FERRY_TEST_WAIT_UNTIL (ferry_test_tracker_saw (tracker, "update", peer_a, 0) &&
                         swarm_of (a) == 1, 5000);

  /* The tracker answered on that connection, so the back-off starts over at 250 ms. */
  mark = a->states->len;
  g_clear_pointer (&tracker, ferry_test_tracker_stop);
  FERRY_TEST_WAIT_UNTIL (count_state (a, mark, FERRY_TRACKER_STATE_CONNECTING) >= 2, 5000);
  attempts = check_backoff (a, mark, 250, 1000);
  g_assert_cmpuint (attempts, >=, 2);

  ferry_tracker_client_stop (a->client);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_DISCONNECTED);
  /* Stopped means no more attempts. */
  mark = a->states->len;
  ferry_test_run_for (1500);
  g_assert_cmpuint (a->states->len, ==, mark);
}

static void
test_reference_stop (void)
{
  g_autoptr(FerryTestTracker) tracker = NULL;
  const char *url;
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  g_autoptr(GObject) a0 = named_object ("a0");
  g_autoptr(GPtrArray) offers = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_tracker_offer_free);

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 120);
  url = ferry_test_tracker_get_url (tracker);

  a = peer_new (url, info_hash, peer_a);
  a->auto_announce = TRUE;
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (swarm_of (a) == 1, 5000);
  b = peer_new (url, info_hash, peer_b);
  b->auto_announce = TRUE;
  ferry_tracker_client_start (b->client);
  FERRY_TEST_WAIT_UNTIL (swarm_of (b) == 2, 5000);

  /* A pending offer is handed back by stop (). */
  g_ptr_array_add (offers, ferry_tracker_offer_new (sdp_a, a0));
  g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 1);
  FERRY_TEST_WAIT_UNTIL (b->offers->len == 1, 5000);

  ferry_tracker_client_stop (a->client);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_DISCONNECTED);
  g_assert_cmpuint (a->expired->len, ==, 1);
  g_assert_true (g_ptr_array_index (a->expired, 0) == a0);
  /* Not connected any more: nothing goes out. */
  g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 0);
  g_assert_false (ferry_tracker_client_send_answer (a->client, peer_b,
                                                    ((Event *) g_ptr_array_index (b->offers, 0))->offer_id,
                                                    sdp_answer));

  /* The tracker got "stopped" (a plain close makes it drop the peer without that event). */
  FERRY_TEST_WAIT_UNTIL (ferry_test_tracker_saw (tracker, "stop", peer_a, 0), 5000);

  ferry_tracker_client_request_announce (b->client);
  FERRY_TEST_WAIT_UNTIL (swarm_of (b) == 1, 5000);

  /* And the client can start again. */
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_CONNECTED && swarm_of (a) == 2, 5000);
}

/* Builders byte for byte against JSON.stringify of the objects websocket-tracker.js builds
 * (docs/INTEROP.md, "Messages we send"). */
static void
test_reference_json_stringify (void)
{
  static const char script[] =
    "const [ih, pid, to, tid, sdp0, oid0, sdp1, oid1] = process.argv.slice(1)\n"
    "const bin = h => String.fromCharCode(...Buffer.from(h, 'hex'))\n"
    "const out = o => process.stdout.write(JSON.stringify(o) + '\\n')\n"
    "const ann = Object.assign({}, { numwant: 2, uploaded: 0, downloaded: 0 },\n"
    "  { action: 'announce', info_hash: bin(ih), peer_id: bin(pid) })\n"
    "if (tid) ann.trackerid = tid\n"
    "ann.numwant = 2\n"
    "ann.offers = [{ offer: { type: 'offer', sdp: sdp0 }, offer_id: bin(oid0) },\n"
    "  { offer: { type: 'offer', sdp: sdp1 }, offer_id: bin(oid1) }]\n"
    "out(ann)\n"
    "const answer = { action: 'announce', info_hash: bin(ih), peer_id: bin(pid), to_peer_id: bin(to),\n"
    "  answer: { type: 'answer', sdp: sdp0 }, offer_id: bin(oid0) }\n"
    "if (tid) answer.trackerid = tid\n"
    "out(answer)\n"
    "const stop = Object.assign({}, { numwant: 0, uploaded: 0, downloaded: 0, event: 'stopped' },\n"
    "  { action: 'announce', info_hash: bin(ih), peer_id: bin(pid) })\n"
    "if (tid) stop.trackerid = tid\n"
    "out(stop)\n";
  /* Every byte value across the ids; SDPs with what JSON.stringify escapes and what it does not. */
  const char *sdp0 = "v=0\r\na=\"quoted\" \\back\\ \t tab \x01\x1f\x7f /slash é € 😀 \xe2\x80\xa8";
  const char *sdp1 = sdp_a;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const char *tids[] = { "", "tracker-7" };
  guint8 ids[4][20];
  int status;

  if (!ferry_test_tracker_available ())
    return;

  for (guint k = 0; k < 4; k++)
    for (guint i = 0; i < 20; i++)
      ids[k][i] = (k * 20 + i) * 13 % 256 ^ (i % 3 == 0 ? 0 : 0x7f);
  ids[0][0] = 0x00;
  ids[1][1] = 0x7f;

  for (guint t = 0; t < G_N_ELEMENTS (tids); t++)
    {
      g_autofree char *h0 = hex (info_hash);
      g_autofree char *h1 = hex (ids[0]);
      g_autofree char *h2 = hex (ids[1]);
      g_autofree char *h3 = hex (ids[2]);
      g_autofree char *h4 = hex (ids[3]);
      const char *argv[] = { ferry_test_node_path (), "-e", script, h0, h1, h2, tids[t], sdp0, h3,
                             sdp1, h4, NULL };
      FerryTrackerMessageOffer offers[2] = { { .sdp = (char *) sdp0 }, { .sdp = (char *) sdp1 } };
      const char *tid = *tids[t] != '\0' ? tids[t] : NULL;
      g_autofree char *announce = NULL;
      g_autofree char *answer = NULL;
      g_autofree char *stopped = NULL;

      g_clear_pointer (&stdout_text, g_free);
      g_clear_pointer (&stderr_text, g_free);
      g_clear_pointer (&lines, g_strfreev);
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &stdout_text, &stderr_text, &status, &error));
      g_assert_no_error (error);
      if (!g_spawn_check_wait_status (status, &error))
        g_error ("node: %s", stderr_text);
      lines = g_strsplit (stdout_text, "\n", -1);
      g_assert_cmpuint (g_strv_length (lines), ==, 4);

      memcpy (offers[0].offer_id, ids[2], 20);
      memcpy (offers[1].offer_id, ids[3], 20);
      announce = ferry_tracker_message_build_announce (info_hash, ids[0], tid, offers, 2);
      answer = ferry_tracker_message_build_answer (info_hash, ids[0], ids[1], ids[2], sdp0, tid);
      stopped = ferry_tracker_message_build_stopped (info_hash, ids[0], tid);
      g_assert_cmpstr (announce, ==, lines[0]);
      g_assert_cmpstr (answer, ==, lines[1]);
      g_assert_cmpstr (stopped, ==, lines[2]);
      g_test_message ("announce %" G_GSIZE_FORMAT " B, answer %" G_GSIZE_FORMAT " B, stopped %"
                      G_GSIZE_FORMAT " B identical to JSON.stringify", strlen (announce),
                      strlen (answer), strlen (stopped));
    }
}

/* The announce that would not fit in 16 KiB loses offers from the end. */
static void
test_reference_announce_size (void)
{
  g_autoptr(FerryTestTracker) tracker = NULL;
  const char *url;
  g_autoptr(Peer) a = NULL;
  g_autoptr(GPtrArray) offers = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_tracker_offer_free);
  g_autofree char *big = g_strnfill (4000, 'x');
  GObject *objects[6];
  FerryTrackerMessageOffer wire[3];
  g_autofree char *text = NULL;

  if (!ferry_test_tracker_available ())
    return;
  tracker = ferry_test_tracker_start (0, 120);
  url = ferry_test_tracker_get_url (tracker);
  a = peer_new (url, info_hash, peer_a);
  g_object_set (a->client, "offer-timeout", 500, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (a->announce_times->len == 1, 5000);

  for (guint i = 0; i < 6; i++)
    {
      objects[i] = named_object ("x");
      g_ptr_array_add (offers, ferry_tracker_offer_new (big, objects[i]));
    }
  /* 4000-byte SDPs: three fit (about 12.2 KB), four would not. */
  g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      FerryTrackerOffer *offer = g_ptr_array_index (offers, i);

      memcpy (wire[i].offer_id, offer->offer_id, 20);
      wire[i].sdp = offer->sdp;
    }
  text = ferry_tracker_message_build_announce (info_hash, peer_a, NULL, wire, 3);
  g_test_message ("3 offers of 4000 bytes: %" G_GSIZE_FORMAT " bytes", strlen (text));
  g_assert_cmpuint (strlen (text), <=, FERRY_TRACKER_MAX_MESSAGE);
  FERRY_TEST_WAIT_UNTIL (ferry_test_tracker_saw (tracker, "update", peer_a, 3), 5000);
  /* Only the three sent offers come back, when they expire. */
  FERRY_TEST_WAIT_UNTIL (a->expired->len == 3, 5000);
  ferry_test_run_for (200);
  g_assert_cmpuint (a->expired->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_true (has_expired (a, objects[i]));
  for (guint i = 0; i < 6; i++)
    g_object_unref (objects[i]);
}

/* Hostile SoupServer */

typedef struct _Hostile Hostile;
struct _Hostile {
  SoupServer *server;
  char       *url;
  GPtrArray  *conns;      /* server side SoupWebsocketConnection, one per client connection */
  GPtrArray  *received;   /* text messages from the client, any connection */
  GArray     *received_on;  /* guint: the connection index of each */
  char       *origin;
  char       *extensions;
  void      (*on_connect) (Hostile *hostile, SoupWebsocketConnection *conn, guint index);
};

static void
hostile_message_cb (SoupWebsocketConnection *conn,
                    gint                     type,
                    GBytes                  *message,
                    Hostile                 *hostile)
{
  guint index = 0;

  g_ptr_array_find (hostile->conns, conn, &index);
  g_ptr_array_add (hostile->received, g_strndup (g_bytes_get_data (message, NULL),
                                                  g_bytes_get_size (message)));
  g_array_append_val (hostile->received_on, index);
}

static void
hostile_websocket_cb (SoupServer              *server,
                      SoupServerMessage       *msg,
                      const char              *path,
                      SoupWebsocketConnection *conn,
                      gpointer                 user_data)
{
  Hostile *hostile = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  g_free (hostile->origin);
  hostile->origin = g_strdup (soup_message_headers_get_one (headers, "Origin"));
  g_free (hostile->extensions);
  hostile->extensions = g_strdup (soup_message_headers_get_one (headers, "Sec-WebSocket-Extensions"));

  g_ptr_array_add (hostile->conns, g_object_ref (conn));
  g_signal_connect (conn, "message", G_CALLBACK (hostile_message_cb), hostile);
  if (hostile->on_connect != NULL)
    hostile->on_connect (hostile, conn, hostile->conns->len - 1);
}

static Hostile *
hostile_new (void (*on_connect) (Hostile *, SoupWebsocketConnection *, guint))
{
  Hostile *hostile = g_new0 (Hostile, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  hostile->server = soup_server_new (NULL, NULL);
  hostile->conns = g_ptr_array_new_with_free_func (g_object_unref);
  hostile->received = g_ptr_array_new_with_free_func (g_free);
  hostile->received_on = g_array_new (FALSE, FALSE, sizeof (guint));
  hostile->on_connect = on_connect;
  soup_server_add_websocket_handler (hostile->server, NULL, NULL, NULL, hostile_websocket_cb,
                                     hostile, NULL);
  g_assert_true (soup_server_listen_local (hostile->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (hostile->server);
  hostile->url = g_strdup_printf ("ws://127.0.0.1:%d/announce", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return hostile;
}

static void
hostile_free (Hostile *hostile)
{
  for (guint i = 0; i < hostile->conns->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (hostile->conns, i), hostile);
  soup_server_disconnect (hostile->server);
  g_object_unref (hostile->server);
  g_ptr_array_unref (hostile->conns);
  g_ptr_array_unref (hostile->received);
  g_array_unref (hostile->received_on);
  g_free (hostile->url);
  g_free (hostile->origin);
  g_free (hostile->extensions);
  g_free (hostile);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Hostile, hostile_free)

static SoupWebsocketConnection *
hostile_conn (Hostile *hostile,
              guint    index)
{
  g_assert_cmpuint (index, <, hostile->conns->len);
  return g_ptr_array_index (hostile->conns, index);
}

static char *
relay_offer_json (const guint8  hash[20],
                  const guint8  from[20],
                  const guint8  offer_id[20],
                  const char   *sdp)
{
  GString *out = g_string_new ("{\"action\":\"announce\",\"offer\":{\"type\":\"offer\",\"sdp\":");
  g_autofree char *escaped = g_strescape (sdp, NULL);

  g_string_append_printf (out, "\"%s\"},\"offer_id\":", escaped);
  ferry_bin20_append_json (out, offer_id);
  g_string_append (out, ",\"peer_id\":");
  ferry_bin20_append_json (out, from);
  g_string_append (out, ",\"info_hash\":");
  ferry_bin20_append_json (out, hash);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static char *
relay_answer_json (const guint8  from[20],
                   const guint8  offer_id[20],
                   const char   *sdp)
{
  GString *out = g_string_new ("{\"action\":\"announce\",\"answer\":{\"type\":\"answer\",\"sdp\":");
  g_autofree char *escaped = g_strescape (sdp, NULL);

  g_string_append_printf (out, "\"%s\"},\"offer_id\":", escaped);
  ferry_bin20_append_json (out, offer_id);
  g_string_append (out, ",\"peer_id\":");
  ferry_bin20_append_json (out, from);
  g_string_append (out, ",\"info_hash\":");
  ferry_bin20_append_json (out, info_hash);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static char *
response_json (const guint8 hash[20],
               guint        complete,
               guint        incomplete)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (out, "{\"complete\":%u,\"incomplete\":%u,\"action\":\"announce\","
                          "\"interval\":120,\"info_hash\":", complete, incomplete);
  ferry_bin20_append_json (out, hash);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static char *
with_our_hash (const char *before,
               const char *after)
{
  g_autofree char *h = ferry_bin20_to_json (info_hash);

  return g_strconcat (before, h, after, NULL);
}

typedef struct {
  char     *text;
  gsize     len;
  gboolean  binary;
  gboolean  warns;
} Frame;

static GArray *garbage_frames;

static void
add_frame (const char *text,
           gssize      len,
           gboolean    binary,
           gboolean    warns)
{
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  Frame frame = { g_strndup (text, n), n, binary, warns };

  g_array_append_val (garbage_frames, frame);
}

static void
add_frame_take (char     *text,
                gboolean  binary,
                gboolean  warns)
{
  add_frame (text, -1, binary, warns);
  g_free (text);
}

static void
garbage_on_connect (Hostile                 *hostile,
                    SoupWebsocketConnection *conn,
                    guint                    index)
{
  for (guint i = 0; i < garbage_frames->len; i++)
    {
      Frame *frame = &g_array_index (garbage_frames, Frame, i);

      if (frame->binary)
        soup_websocket_connection_send_binary (conn, frame->text, frame->len);
      else
        soup_websocket_connection_send_text (conn, frame->text);
    }
}

static void
test_hostile_garbage (void)
{
  g_autoptr(Hostile) hostile = hostile_new (garbage_on_connect);
  g_autoptr(Peer) a = NULL;
  g_autofree char *big_sdp = g_strnfill (FERRY_TRACKER_MESSAGE_MAX_SDP + 1, 'v');
  g_autofree char *long_reason = g_strnfill (1000, 'r');
  g_autofree char *hex_x = hex (peer_x);
  g_autofree char *our_hash = ferry_bin20_to_json (info_hash);
  GString *deep = g_string_new (NULL);
  const guint8 offer_id[20] = { 0x00, 0x7f, 0x01 };
  const char *failure_reason;
  guint expected_warnings = 0;
  Event *event;

  garbage_frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  add_frame ("not json", -1, FALSE, TRUE);
  add_frame ("[1,2,3]", -1, FALSE, TRUE);
  add_frame ("{\"action\":5}", -1, FALSE, TRUE);
  add_frame_take (with_our_hash ("{\"action\":\"announce\",\"interval\":\"soon\",\"info_hash\":", "}"),
                  FALSE, TRUE);
  add_frame_take (with_our_hash ("{\"action\":\"announce\",\"complete\":true,\"info_hash\":", "}"),
                  FALSE, TRUE);
  add_frame ("{\"action\":\"announce\",\"info_hash\":\"0123456789012345678\"}", -1, FALSE, TRUE);
  add_frame ("{\"action\":\"announce\",\"info_hash\":\"012345678901234567890\"}", -1, FALSE, TRUE);
  add_frame ("{\"action\":\"announce\",\"info_hash\":\"0123456789012345678\\u0100\"}", -1, FALSE, TRUE);
  add_frame_take (with_our_hash ("{\"action\":\"announce\",\"offer\":\"v=0\",\"info_hash\":", "}"),
                  FALSE, TRUE);
  add_frame_take (g_strdup_printf ("{\"action\":\"announce\",\"offer\":{\"type\":\"offer\",\"sdp\":\"%s\"}}",
                                   big_sdp), FALSE, TRUE);
  add_frame_take (with_our_hash ("{\"action\":\"nonsense\",\"info_hash\":", "}"), FALSE, TRUE);
  add_frame ("{}", -1, FALSE, TRUE);
  for (guint i = 0; i < 20000; i++)
    g_string_append_c (deep, '[');
  add_frame (deep->str, deep->len, FALSE, TRUE);
  g_string_free (deep, TRUE);
  add_frame ("{\"action\":\"announce\",\"x\":\"\xff\xfe\"}", -1, TRUE, TRUE);
  /* Dropped without a word: another swarm, our own peer id. */
  add_frame_take (response_json (other_hash, 100, 100), FALSE, FALSE);
  add_frame_take (relay_offer_json (info_hash, peer_a, offer_id, sdp_b), FALSE, FALSE);
  /* An offer without an offer id cannot be answered. */
  add_frame_take (with_our_hash ("{\"action\":\"announce\",\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\"},"
                                 "\"peer_id\":\"XXXXXXXXXXXXXXXXXXXX\",\"info_hash\":", "}"), FALSE, TRUE);
  /* Binary frames with valid JSON are accepted, as the browser client does. */
  add_frame_take (response_json (info_hash, 3, 4), TRUE, FALSE);
  add_frame_take (relay_offer_json (info_hash, peer_x, offer_id, sdp_b), TRUE, FALSE);
  /* Failures and warnings, bare or not, bounded and cleaned for display. */
  add_frame ("{\"failure reason\":\"invalid info_hash\"}", -1, FALSE, TRUE);
  add_frame_take (with_our_hash ("{\"action\":\"announce\",\"warning message\":\"be\\nnice\",\"info_hash\":", "}"),
                  FALSE, TRUE);
  add_frame_take (g_strdup_printf ("{\"action\":\"announce\",\"failure reason\":\"\\u0007%s\",\"info_hash\":%s}",
                                   long_reason, our_hash), FALSE, TRUE);
  for (guint i = 0; i < garbage_frames->len; i++)
    expected_warnings += g_array_index (garbage_frames, Frame, i).warns;

  a = peer_new (hostile->url, info_hash, peer_a);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (a->warnings->len >= expected_warnings, 5000);
  ferry_test_run_for (200);
  g_assert_cmpuint (a->warnings->len, ==, expected_warnings);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_CONNECTED);
  g_assert_cmpuint (count_state (a, 0, FERRY_TRACKER_STATE_CONNECTED), ==, 1);

  g_assert_cmpuint (swarm_of (a), ==, 7);
  g_assert_cmpuint (a->offers->len, ==, 1);
  event = g_ptr_array_index (a->offers, 0);
  g_assert_cmpstr (event->peer_hex, ==, hex_x);
  g_assert_cmpstr (event->sdp, ==, sdp_b);

  g_assert_nonnull (strstr (g_ptr_array_index (a->warnings, expected_warnings - 3), "invalid info_hash"));
  g_assert_nonnull (strstr (g_ptr_array_index (a->warnings, expected_warnings - 2), "be nice"));
  failure_reason = ferry_tracker_client_get_failure_reason (a->client);
  g_assert_nonnull (failure_reason);
  g_assert_true (g_str_has_prefix (failure_reason, " rrrr"));
  g_assert_true (g_str_has_suffix (failure_reason, "…"));
  g_assert_cmpuint (strlen (failure_reason), <, 210);

  /* We offer no extension and send an Origin (docs/INTEROP.md, "Origin and WebSocket
   * extensions"). */
  g_assert_cmpstr (hostile->origin, ==, "https://ferryapp.github.io");
  g_assert_null (hostile->extensions);

  for (guint i = 0; i < garbage_frames->len; i++)
    g_free (g_array_index (garbage_frames, Frame, i).text);
  g_clear_pointer (&garbage_frames, g_array_unref);
}

static void
huge_on_connect (Hostile                 *hostile,
                 SoupWebsocketConnection *conn,
                 guint                    index)
{
  if (index == 0)
    {
      g_autofree char *huge = g_strnfill (1024 * 1024, ' ');

      huge[0] = '{';
      huge[1024 * 1024 - 1] = '}';
      soup_websocket_connection_send_text (conn, huge);
    }
}

static void
test_hostile_huge_frame (void)
{
  g_autoptr(Hostile) hostile = hostile_new (huge_on_connect);
  g_autoptr(Peer) a = NULL;

  a = peer_new (hostile->url, info_hash, peer_a);
  g_object_set (a->client, "reconnect-min", 100, NULL);
  ferry_tracker_client_start (a->client);
  /* libsoup refuses the 1 MiB frame and drops the connection; we come back. */
  FERRY_TEST_WAIT_UNTIL (count_state (a, 0, FERRY_TRACKER_STATE_FAILED) >= 1, 5000);
  g_test_message ("failure: %s", ferry_tracker_client_get_failure_reason (a->client));
  FERRY_TEST_WAIT_UNTIL (hostile->conns->len == 2 &&
                         state_of (a) == FERRY_TRACKER_STATE_CONNECTED, 5000);
}

static void
test_hostile_answers_per_connection (void)
{
  g_autoptr(Hostile) hostile = hostile_new (NULL);
  g_autoptr(Peer) a = NULL;
  g_autoptr(GObject) o1 = named_object ("o1");
  g_autoptr(GObject) o2 = named_object ("o2");
  g_autoptr(GObject) o3 = named_object ("o3");
  g_autoptr(GPtrArray) offers = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_tracker_offer_free);
  g_autoptr(FerryTrackerMessage) announce = NULL;
  g_autoptr(FerryTrackerMessage) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hex_x = hex (peer_x);
  const guint8 id1[20] = { 0x00, 0x01 };
  const guint8 id2[20] = { 0x7f, 0x02, [19] = 0x7f };
  const guint8 id3[20] = { 0x00, 0x03, [19] = 0x00 };
  const guint8 id_x[20] = { 0x00, 0x7f, 'x' };
  const guint8 unknown[20] = { 0x55 };
  const char *text;
  char *json;

  a = peer_new (hostile->url, info_hash, peer_a);
  a->auto_answer = TRUE;
  g_object_set (a->client, "reconnect-min", 100, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (a->announce_times->len == 1, 5000);

  g_ptr_array_add (offers, offer_with_id (sdp_a, o1, id1));
  g_ptr_array_add (offers, offer_with_id (sdp_a, o2, id2));
  g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 2);
  g_ptr_array_set_size (offers, 0);
  FERRY_TEST_WAIT_UNTIL (hostile->received->len == 1, 5000);

  /* What went out: P2PT's key order, numwant = offers, no event (docs/INTEROP.md, "Messages we
   * send"). */
  text = g_ptr_array_index (hostile->received, 0);
  g_assert_true (g_str_has_prefix (text, "{\"numwant\":2,\"uploaded\":0,\"downloaded\":0,"
                                         "\"action\":\"announce\",\"info_hash\":\"\\u0000ferry\x7f"));
  g_assert_null (strstr (text, "\"event\""));
  announce = ferry_tracker_message_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpmem (announce->peer_id, 20, peer_a, 20);
  g_assert_cmpuint (announce->offers->len, ==, 2);
  g_assert_cmpmem (((FerryTrackerMessageOffer *) g_ptr_array_index (announce->offers, 1))->offer_id, 20, id2, 20);

  /* A relayed offer is answered on the same socket. */
  json = relay_offer_json (info_hash, peer_x, id_x, sdp_b);
  soup_websocket_connection_send_text (hostile_conn (hostile, 0), json);
  g_free (json);
  FERRY_TEST_WAIT_UNTIL (hostile->received->len == 2, 5000);
  g_assert_cmpuint (g_array_index (hostile->received_on, guint, 1), ==, 0);
  text = g_ptr_array_index (hostile->received, 1);
  answer = ferry_tracker_message_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_true (answer->has_to_peer_id && answer->has_offer_id);
  g_assert_cmpmem (answer->to_peer_id, 20, peer_x, 20);
  g_assert_cmpmem (answer->offer_id, 20, id_x, 20);
  g_assert_cmpmem (answer->peer_id, 20, peer_a, 20);
  g_assert_cmpstr (answer->answer_sdp, ==, sdp_answer);
  g_assert_null (answer->offers);

  /* An answer to o1, twice, and one to an offer we never made: one ::answer. */
  json = relay_answer_json (peer_x, id1, sdp_answer);
  soup_websocket_connection_send_text (hostile_conn (hostile, 0), json);
  soup_websocket_connection_send_text (hostile_conn (hostile, 0), json);
  g_free (json);
  json = relay_answer_json (peer_x, unknown, sdp_answer);
  soup_websocket_connection_send_text (hostile_conn (hostile, 0), json);
  g_free (json);
  FERRY_TEST_WAIT_UNTIL (a->answers->len == 1, 5000);
  ferry_test_run_for (200);
  g_assert_cmpuint (a->answers->len, ==, 1);
  g_assert_true (((Event *) g_ptr_array_index (a->answers, 0))->object == o1);
  g_assert_cmpstr (((Event *) g_ptr_array_index (a->answers, 0))->peer_hex, ==, hex_x);

  /* The tracker closes: o2 dies with the connection, and a late answer to it on the next
   * connection is ignored. */
  soup_websocket_connection_close (hostile_conn (hostile, 0), SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "bye");
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_FAILED, 5000);
  g_test_message ("failure: %s", ferry_tracker_client_get_failure_reason (a->client));
  g_assert_cmpuint (a->expired->len, ==, 1);
  g_assert_true (g_ptr_array_index (a->expired, 0) == o2);
  FERRY_TEST_WAIT_UNTIL (hostile->conns->len == 2 && a->announce_times->len == 2, 5000);
  json = relay_answer_json (peer_x, id2, sdp_answer);
  soup_websocket_connection_send_text (hostile_conn (hostile, 1), json);
  g_free (json);

  /* A new offer on the new connection is matched. */
  g_ptr_array_add (offers, offer_with_id (sdp_a, o3, id3));
  g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 1);
  json = relay_answer_json (peer_x, id3, sdp_answer);
  soup_websocket_connection_send_text (hostile_conn (hostile, 1), json);
  g_free (json);
  FERRY_TEST_WAIT_UNTIL (a->answers->len == 2, 5000);
  ferry_test_run_for (200);
  g_assert_cmpuint (a->answers->len, ==, 2);
  g_assert_true (((Event *) g_ptr_array_index (a->answers, 1))->object == o3);
  g_assert_cmpuint (a->warnings->len, ==, 0);
}

/* A SoupServer answers pings: the connection stays up although it never says anything. */
static void
test_hostile_pongs_keep_alive (void)
{
  g_autoptr(Hostile) hostile = hostile_new (NULL);
  g_autoptr(Peer) a = peer_new (hostile->url, info_hash, peer_a);

  g_object_set (a->client, "ping-interval", 1000, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_CONNECTED, 5000);
  ferry_test_run_for (5000);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_CONNECTED);
  g_assert_cmpuint (count_state (a, 0, FERRY_TRACKER_STATE_FAILED), ==, 0);
}

/* Raw server: a WebSocket handshake by hand, then misbehaviour libsoup's server would not do. */

typedef enum {
  RAW_SILENT,         /* never answers anything, pings included */
  RAW_ABRUPT_CLOSE,   /* one valid message, then the TCP connection goes away */
  RAW_FRAGMENT_FLOOD, /* one text message of 2 MiB in 16 KiB fragments */
} RawMode;

typedef struct {
  GSocketService *service;
  guint           port;
  RawMode         mode;
  gint            connections;
  gint            pings;
} RawServer;

static gboolean
read_exact (GInputStream *in,
            void         *buffer,
            gsize         len)
{
  gsize got = 0;

  return g_input_stream_read_all (in, buffer, len, &got, NULL, NULL) && got == len;
}

static gboolean
write_frame (GOutputStream *out,
             guint8         first,
             const void    *payload,
             gsize          len)
{
  guint8 header[10];
  gsize n = 0;

  header[n++] = first;
  if (len < 126)
    header[n++] = len;
  else if (len < 65536)
    {
      header[n++] = 126;
      header[n++] = len >> 8;
      header[n++] = len & 0xff;
    }
  else
    {
      header[n++] = 127;
      for (int i = 7; i >= 0; i--)
        header[n++] = ((guint64) len >> (8 * i)) & 0xff;
    }
  return g_output_stream_write_all (out, header, n, NULL, NULL, NULL) &&
         g_output_stream_write_all (out, payload, len, NULL, NULL, NULL);
}

static gboolean
raw_run_cb (GThreadedSocketService *service,
            GSocketConnection      *connection,
            GObject                *source_object,
            gpointer                user_data)
{
  RawServer *raw = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *accept = NULL;
  g_autofree char *response = NULL;
  g_auto(GStrv) lines = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  const char *key = NULL;

  while (!g_str_has_suffix (request->str, "\r\n\r\n") && request->len < 8192)
    {
      char c;

      if (!read_exact (in, &c, 1))
        return TRUE;
      g_string_append_c (request, c);
    }
  lines = g_strsplit (request->str, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], "Sec-WebSocket-Key:", 18) == 0)
      key = g_strstrip (lines[i] + 18);
  g_assert_nonnull (key);
  g_checksum_update (sha1, (const guchar *) key, -1);
  g_checksum_update (sha1, (const guchar *) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", -1);
  g_checksum_get_digest (sha1, digest, &digest_len);
  accept = g_base64_encode (digest, digest_len);
  response = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", accept);
  if (!g_output_stream_write_all (out, response, strlen (response), NULL, NULL, NULL))
    return TRUE;
  g_atomic_int_inc (&raw->connections);

  if (raw->mode == RAW_ABRUPT_CLOSE)
    {
      g_autofree char *json = response_json (info_hash, 1, 1);

      write_frame (out, 0x81, json, strlen (json));
      g_usleep (200000);
      /* No close frame: the TCP connection just ends. */
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  if (raw->mode == RAW_FRAGMENT_FLOOD)
    {
      g_autofree char *chunk = g_strnfill (16384, ' ');
      const guint n = 2 * 1024 * 1024 / 16384;

      chunk[0] = '{';
      if (!write_frame (out, 0x01, chunk, 16384))  /* text, not final */
        return TRUE;
      chunk[0] = ' ';
      for (guint i = 1; i + 1 < n; i++)
        if (!write_frame (out, 0x00, chunk, 16384))  /* continuation */
          return TRUE;
      chunk[16383] = '}';
      write_frame (out, 0x80, chunk, 16384);  /* final continuation */
    }

  /* Read (and drop) what the client sends, counting pings; answer nothing. */
  for (;;)
    {
      guint8 header[2];
      guint8 ext[8];
      guint8 mask[4];
      guint64 len;
      g_autofree guint8 *payload = NULL;

      if (!read_exact (in, header, 2))
        break;
      len = header[1] & 0x7f;
      if (len == 126)
        {
          if (!read_exact (in, ext, 2))
            break;
          len = (ext[0] << 8) | ext[1];
        }
      else if (len == 127)
        {
          if (!read_exact (in, ext, 8))
            break;
          len = 0;
          for (int i = 0; i < 8; i++)
            len = (len << 8) | ext[i];
        }
      if ((header[1] & 0x80) && !read_exact (in, mask, 4))
        break;
      if (len > 1024 * 1024)
        break;
      payload = g_malloc (MAX (len, 1));
      if (len > 0 && !read_exact (in, payload, len))
        break;
      if ((header[0] & 0x0f) == 0x09)
        g_atomic_int_inc (&raw->pings);
    }
  return TRUE;
}

static RawServer *
raw_server_new (RawMode mode)
{
  RawServer *raw = g_new0 (RawServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  raw->mode = mode;
  raw->service = g_threaded_socket_service_new (4);
  g_signal_connect (raw->service, "run", G_CALLBACK (raw_run_cb), raw);
  g_socket_listener_add_address (G_SOCKET_LISTENER (raw->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  raw->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_service_start (raw->service);
  return raw;
}

static char *
raw_server_url (RawServer *raw)
{
  return g_strdup_printf ("ws://127.0.0.1:%u/announce", raw->port);
}

static void
raw_server_free (RawServer *raw)
{
  /* Threads still blocked on a client are left to the end of the process; they only touch
   * @raw through atomics, so it is leaked on purpose. */
  g_socket_service_stop (raw->service);
  g_socket_listener_close (G_SOCKET_LISTENER (raw->service));
}

static void
test_hostile_no_pong (void)
{
  RawServer *raw = raw_server_new (RAW_SILENT);
  g_autofree char *url = raw_server_url (raw);
  g_autoptr(Peer) a = peer_new (url, info_hash, peer_a);
  gint64 connected;
  gint64 dead;

  g_object_set (a->client, "ping-interval", 1000, "reconnect-min", 60000, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_CONNECTED, 5000);
  connected = now_ms ();
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_FAILED, 8000);
  dead = now_ms () - connected;
  g_test_message ("declared dead %" G_GINT64_FORMAT " ms after connecting (ping every 1 s, %d pings "
                  "sent): %s", dead, g_atomic_int_get (&raw->pings),
                  ferry_tracker_client_get_failure_reason (a->client));
  /* Two periods plus libsoup's whole-second timer slack. */
  g_assert_cmpint (dead, >=, 2900);
  g_assert_cmpint (dead, <, 4500);
  g_assert_cmpint (g_atomic_int_get (&raw->pings), >=, 1);
  raw_server_free (raw);
}

static void
test_hostile_abrupt_close (void)
{
  RawServer *raw = raw_server_new (RAW_ABRUPT_CLOSE);
  g_autofree char *url = raw_server_url (raw);
  g_autoptr(Peer) a = peer_new (url, info_hash, peer_a);

  g_object_set (a->client, "reconnect-min", 100, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (swarm_of (a) == 2, 5000);
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_FAILED, 5000);
  g_test_message ("failure: %s", ferry_tracker_client_get_failure_reason (a->client));
  FERRY_TEST_WAIT_UNTIL (g_atomic_int_get (&raw->connections) >= 2 &&
                         count_state (a, 0, FERRY_TRACKER_STATE_CONNECTED) >= 2, 5000);
  ferry_tracker_client_stop (a->client);
  raw_server_free (raw);
}

static void
test_hostile_fragment_flood (void)
{
  RawServer *raw = raw_server_new (RAW_FRAGMENT_FLOOD);
  g_autofree char *url = raw_server_url (raw);
  g_autoptr(Peer) a = peer_new (url, info_hash, peer_a);

  g_object_set (a->client, "reconnect-min", 60000, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (state_of (a) == FERRY_TRACKER_STATE_CONNECTED, 5000);
  /* libsoup 3.2 reassembles the whole message (only newer ones bound it): either way it ends as
   * a warning or a failed connection, never as a message we act on. */
  FERRY_TEST_WAIT_UNTIL (a->warnings->len > 0 || state_of (a) == FERRY_TRACKER_STATE_FAILED, 10000);
  g_test_message ("2 MiB in fragments: %s",
                  a->warnings->len > 0 ? (char *) g_ptr_array_index (a->warnings, 0)
                                       : ferry_tracker_client_get_failure_reason (a->client));
  ferry_tracker_client_stop (a->client);
  raw_server_free (raw);
}

static void
test_invalid_url (void)
{
  const char *urls[] = { "http://127.0.0.1:1/", "ws://", "not a url", "wss:///x" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(Peer) a = peer_new (urls[i], info_hash, peer_a);

      ferry_tracker_client_start (a->client);
      g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_FAILED);
      g_assert_nonnull (ferry_tracker_client_get_failure_reason (a->client));
      g_assert_cmpuint (a->warnings->len, ==, 1);
      ferry_test_run_for (100);
      g_assert_cmpuint (a->states->len, ==, 1);
      ferry_tracker_client_stop (a->client);
      g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_DISCONNECTED);
    }
}

/* Nothing listens: FAILED, attempts keep coming, stop () ends them; dispose while connecting. */
static void
test_refused (void)
{
  RawServer *raw = raw_server_new (RAW_SILENT);
  g_autofree char *url = raw_server_url (raw);
  g_autoptr(Peer) a = NULL;

  /* Free the port so that connecting is refused. */
  raw_server_free (raw);
  a = peer_new (url, info_hash, peer_a);
  g_object_set (a->client, "reconnect-min", 50, "reconnect-max", 100, NULL);
  ferry_tracker_client_start (a->client);
  FERRY_TEST_WAIT_UNTIL (count_state (a, 0, FERRY_TRACKER_STATE_FAILED) >= 3, 5000);
  check_backoff (a, 0, 50, 100);
  ferry_tracker_client_stop (a->client);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_DISCONNECTED);

  /* Unreffed in the middle of a connection attempt. */
  ferry_tracker_client_start (a->client);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_CONNECTING);
  g_clear_pointer (&a, peer_free);
  ferry_test_run_for (300);
}

/* The client runs on the thread-default context it was created on (FerryRoom's network thread),
 * never on the global default one. */
static void
test_own_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(Hostile) hostile = NULL;
  g_autoptr(Peer) a = NULL;
  gint64 deadline;

  /* Pushed while it runs, as GLib wants of any context a thread iterates: libsoup starts I/O on
   * the thread-default context from within its own callbacks. */
  g_main_context_push_thread_default (context);
  hostile = hostile_new (NULL);
  a = peer_new (hostile->url, info_hash, peer_a);
  g_object_set (a->client, "ping-interval", 1000, "offer-timeout", 300, NULL);

  ferry_tracker_client_start (a->client);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (hostile->conns->len == 0 || a->announce_times->len == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (context, FALSE);
      g_usleep (1000);
    }
  /* Timers (offer expiry, pings) fire with only this context running. */
  {
    g_autoptr(GPtrArray) offers = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_tracker_offer_free);
    g_autoptr(GObject) object = named_object ("o");

    g_ptr_array_add (offers, ferry_tracker_offer_new (sdp_a, object));
    g_assert_cmpuint (ferry_tracker_client_announce (a->client, offers), ==, 1);
  }
  deadline = g_get_monotonic_time () + 4 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (context, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpuint (a->expired->len, ==, 1);
  g_assert_cmpint (state_of (a), ==, FERRY_TRACKER_STATE_CONNECTED);
  g_assert_cmpuint (hostile->received->len, ==, 1);

  g_clear_pointer (&a, peer_free);
  g_clear_pointer (&hostile, hostile_free);
  g_main_context_pop_thread_default (context);
}

/* The client's properties notify only on change: the flags, a set-same / set-different round on
 * each timer, and the read-only ones through a start and a stop. */
static void
test_properties (void)
{
  g_autoptr(Peer) a = peer_new ("ws://", info_hash, peer_a);

  ferry_test_assert_explicit_notify (FERRY_TYPE_TRACKER_CLIENT);
  ferry_test_assert_notify_on_change (a->client);

  ferry_tracker_client_start (a->client);
  ferry_tracker_client_stop (a->client);
  ferry_tracker_client_stop (a->client);
  g_assert_cmpuint (ferry_test_notify_count (a->notify, "state"), ==, 2);
  g_assert_cmpuint (ferry_test_notify_count (a->notify, "failure-reason"), ==, 1);
  g_assert_cmpuint (ferry_test_notify_count (a->notify, "interval"), ==, 0);
  g_assert_cmpuint (ferry_test_notify_count (a->notify, "swarm-size"), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tracker/reference/json-stringify", test_reference_json_stringify);
  g_test_add_func ("/tracker/reference/signalling", test_reference_signalling);
  g_test_add_func ("/tracker/reference/announce-size", test_reference_announce_size);
  g_test_add_func ("/tracker/reference/reannounce", test_reference_reannounce);
  g_test_add_func ("/tracker/reference/reconnect", test_reference_reconnect);
  g_test_add_func ("/tracker/reference/stop", test_reference_stop);
  g_test_add_func ("/tracker/hostile/garbage", test_hostile_garbage);
  g_test_add_func ("/tracker/hostile/huge-frame", test_hostile_huge_frame);
  g_test_add_func ("/tracker/hostile/answers-per-connection", test_hostile_answers_per_connection);
  g_test_add_func ("/tracker/hostile/pongs-keep-alive", test_hostile_pongs_keep_alive);
  g_test_add_func ("/tracker/hostile/no-pong", test_hostile_no_pong);
  g_test_add_func ("/tracker/hostile/abrupt-close", test_hostile_abrupt_close);
  g_test_add_func ("/tracker/hostile/fragment-flood", test_hostile_fragment_flood);
  g_test_add_func ("/tracker/client/invalid-url", test_invalid_url);
  g_test_add_func ("/tracker/client/refused", test_refused);
  g_test_add_func ("/tracker/client/own-context", test_own_context);
  g_test_add_func ("/tracker/client/properties", test_properties);

  return g_test_run ();
}
