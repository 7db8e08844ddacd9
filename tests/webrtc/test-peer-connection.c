/* Two Ferry peers in one process, over real libnice agents in a network namespace.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <signal.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <gio/gio.h>
#include <usrsctp.h>

#include "ferry-peer-connection.h"
#include "ferry-dtls-transport.h"
#include "ferry-test-pair.h"
#include "ferry-test-relay.h"
#include "ferry-test-util.h"

#define TIMEOUT_MS FERRY_TEST_PAIR_TIMEOUT_MS

static char *
replace (const char *text,
         const char *from,
         const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);
  return g_strjoinv (to, parts);
}

/* Messages */

typedef struct {
  FerryDataChannel *channel;
  GPtrArray        *messages;  /* GBytes */
  gboolean          opened;
  gboolean          closed;
} Inbox;

static void
inbox_message_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, Inbox *inbox)
{
  g_ptr_array_add (inbox->messages, g_bytes_ref (data));
  g_object_set_data (G_OBJECT (channel), "last-is-text", GINT_TO_POINTER (is_text));
}

static void
inbox_open_cb (FerryDataChannel *channel, Inbox *inbox)
{
  inbox->opened = TRUE;
}

static void
inbox_close_cb (FerryDataChannel *channel, Inbox *inbox)
{
  inbox->closed = TRUE;
}

static Inbox *
inbox_attach (FerryDataChannel *channel)
{
  Inbox *inbox = g_new0 (Inbox, 1);

  inbox->channel = g_object_ref (channel);
  inbox->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  inbox->opened = ferry_data_channel_get_state (channel) == FERRY_DATA_CHANNEL_OPEN;
  g_signal_connect (channel, "message", G_CALLBACK (inbox_message_cb), inbox);
  g_signal_connect (channel, "open", G_CALLBACK (inbox_open_cb), inbox);
  g_signal_connect (channel, "close", G_CALLBACK (inbox_close_cb), inbox);
  return inbox;
}

static void
inbox_free (Inbox *inbox)
{
  g_signal_handlers_disconnect_by_data (inbox->channel, inbox);
  g_object_unref (inbox->channel);
  g_ptr_array_unref (inbox->messages);
  g_free (inbox);
}

static void
wait_messages (Inbox *inbox,
               guint  n)
{
  FERRY_TEST_WAIT_UNTIL (inbox->messages->len >= n, TIMEOUT_MS);
  g_assert_cmpuint (inbox->messages->len, ==, n);
}

static GBytes *
pattern (gsize len,
         guint seed)
{
  guint8 *data = g_malloc (len ? len : 1);

  for (gsize i = 0; i < len; i++)
    data[i] = (i * 31 + seed) & 0xff;
  return g_bytes_new_take (data, len);
}

static void
wait_channels (GPtrArray *channels,
               guint      n)
{
  FERRY_TEST_WAIT_UNTIL (channels->len >= n, TIMEOUT_MS);
  g_assert_cmpuint (channels->len, ==, n);
}

static void
exchange (FerryDataChannel *from,
          Inbox            *to,
          gsize             size,
          guint             seed)
{
  g_autoptr(GBytes) binary = pattern (size, seed);
  g_autofree char *text = g_strnfill (size, 'a' + seed % 26);
  g_autoptr(GError) error = NULL;
  guint before = to->messages->len;
  GBytes *got;

  g_assert_true (ferry_data_channel_send_bytes (from, binary, &error));
  g_assert_no_error (error);
  g_assert_true (ferry_data_channel_send_text (from, text, &error));
  g_assert_no_error (error);
  wait_messages (to, before + 2);
  g_assert_true (g_bytes_equal (to->messages->pdata[before], binary));
  got = to->messages->pdata[before + 1];
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), text, size);
}

static void
message_kind_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, GArray *kinds)
{
  g_array_append_val (kinds, is_text);
}

static void
test_messages (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDataChannel) b_own = NULL;
  g_autoptr(GArray) kinds = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr(GBytes) too_big = pattern (262145, 7);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  FerryDataChannel *a_own, *a_seen_by_b;
  Inbox *at_b, *at_a;
  FerryTestPair pair = { 0 };
  const gsize sizes[] = { 0, 1, 65536, 262144 };

  ferry_test_pair_init (&pair, config, (const char *[]) { "from-a", NULL }, NULL, NULL, NULL);
  ferry_test_pair_wait_connected (&pair);
  a_own = g_ptr_array_index (pair.a_created, 0);

  /* We answer "active": B is the DTLS client (even ids), A the server (odd ids). */
  g_assert_false (ferry_peer_connection_is_dtls_client (pair.a));
  g_assert_true (ferry_peer_connection_is_dtls_client (pair.b));
  g_assert_cmpint (ferry_data_channel_get_id (a_own) % 2, ==, 1);
  g_assert_cmpstr (ferry_peer_connection_get_dtls_cipher (pair.a), ==, "AES-128-GCM");
  g_assert_cmpmem (ferry_peer_connection_get_remote_fingerprint (pair.a), 32,
                   ferry_peer_connection_get_local_fingerprint (pair.b), 32);
  g_assert_cmpmem (ferry_peer_connection_get_remote_fingerprint (pair.b), 32,
                   ferry_peer_connection_get_local_fingerprint (pair.a), 32);
  g_assert_cmpstr (ferry_peer_connection_get_local_candidate_type (pair.a), ==, "host");
  g_assert_cmpuint (ferry_peer_connection_get_max_message_size (pair.a), ==, 262144);

  wait_channels (pair.b_channels, 1);
  a_seen_by_b = g_ptr_array_index (pair.b_channels, 0);
  g_assert_cmpstr (ferry_data_channel_get_label (a_seen_by_b), ==, "from-a");
  g_assert_cmpint (ferry_data_channel_get_id (a_seen_by_b), ==, ferry_data_channel_get_id (a_own));
  at_b = inbox_attach (a_seen_by_b);
  g_signal_connect (a_seen_by_b, "message", G_CALLBACK (message_kind_cb), kinds);

  /* A channel opened from the answering side too. */
  b_own = ferry_peer_connection_create_data_channel (pair.b, "from-b", NULL, &error);
  g_assert_no_error (error);
  wait_channels (pair.a_channels, 1);
  g_assert_cmpint (ferry_data_channel_get_id (b_own) % 2, ==, 0);
  at_a = inbox_attach (g_ptr_array_index (pair.a_channels, 0));

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      exchange (a_own, at_b, sizes[i], i);
      exchange (b_own, at_a, sizes[i], i + 10);
    }
  /* Binary then text each time: the receiver must see the kind the sender used. */
  for (guint i = 0; i < kinds->len; i++)
    g_assert_cmpint (g_array_index (kinds, gboolean, i), ==, i % 2 == 1);

  /* An empty binary message is binary; an empty string is text. */
  g_assert_true (ferry_data_channel_send_bytes (a_own, empty, &error));
  g_assert_true (ferry_data_channel_send_text (a_own, "", &error));
  wait_messages (at_b, 2 * G_N_ELEMENTS (sizes) + 2);
  g_assert_false (g_array_index (kinds, gboolean, kinds->len - 2));
  g_assert_true (g_array_index (kinds, gboolean, kinds->len - 1));
  g_assert_cmpuint (g_bytes_get_size (at_b->messages->pdata[at_b->messages->len - 1]), ==, 0);

  /* Larger than the peer's a=max-message-size: refused with an error, nothing sent. */
  g_assert_false (ferry_data_channel_send_bytes (b_own, too_big, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);
  g_assert_false (ferry_data_channel_send_text (b_own, "\xff", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* A channel close is seen on both sides; the connection stays up. */
  ferry_data_channel_close (b_own);
  FERRY_TEST_WAIT_UNTIL (at_a->closed &&
                         ferry_data_channel_get_state (b_own) == FERRY_DATA_CHANNEL_CLOSED,
                         TIMEOUT_MS);
  g_assert_cmpint (ferry_peer_connection_get_state (pair.a), ==, FERRY_PEER_CONNECTION_CONNECTED);
  exchange (a_own, at_b, 100, 3);

  /* Closing the connection is seen by the peer, and closes its channels. */
  ferry_peer_connection_close (pair.a);
  FERRY_TEST_WAIT_UNTIL (ferry_peer_connection_get_state (pair.b) == FERRY_PEER_CONNECTION_CLOSED,
                         TIMEOUT_MS);
  g_assert_null (ferry_peer_connection_get_error (pair.b));
  g_assert_true (at_b->closed);

  inbox_free (at_b);
  inbox_free (at_a);
  ferry_test_pair_clear (&pair);
}

static void
count_open_cb (FerryDataChannel *channel, guint *count)
{
  (*count)++;
}

static void
echo_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, gpointer unused)
{
  g_autoptr(GError) error = NULL;

  if (is_text)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
      ferry_data_channel_send_text (channel, text, &error);
    }
  else
    ferry_data_channel_send_bytes (channel, data, &error);
  g_assert_no_error (error);
}

static void
echo_new_channel_cb (FerryPeerConnection *pc, FerryDataChannel *channel, gpointer unused)
{
  g_signal_connect (channel, "message", G_CALLBACK (echo_cb), NULL);
}

static void
test_many_channels (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GPtrArray) mine = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) inboxes = g_ptr_array_new_with_free_func ((GDestroyNotify) inbox_free);
  g_autoptr(GError) error = NULL;
  FerryTestPair pair = { 0 };
  guint opened = 0;
  const guint per_side = 60;

  ferry_test_pair_init (&pair, config, NULL, NULL, NULL, NULL);
  g_signal_connect (pair.a, "data-channel", G_CALLBACK (echo_new_channel_cb), NULL);
  g_signal_connect (pair.b, "data-channel", G_CALLBACK (echo_new_channel_cb), NULL);
  ferry_test_pair_wait_connected (&pair);

  /* 120 channels, 60 opened from each side, stream ids well above 10. */
  for (guint i = 0; i < 2 * per_side; i++)
    {
      FerryPeerConnection *from = i % 2 ? pair.a : pair.b;
      g_autofree char *label = g_strdup_printf ("channel-%u", i);
      FerryDataChannel *channel = ferry_peer_connection_create_data_channel (from, label, NULL, &error);

      g_assert_no_error (error);
      g_signal_connect (channel, "open", G_CALLBACK (count_open_cb), &opened);
      g_ptr_array_add (inboxes, inbox_attach (channel));
      g_ptr_array_add (mine, channel);
    }
  FERRY_TEST_WAIT_UNTIL (opened >= 2 * per_side, TIMEOUT_MS);

  for (guint i = 0; i < mine->len; i++)
    {
      g_autofree char *text = g_strdup_printf ("ping %u", i);
      g_assert_true (ferry_data_channel_send_text (mine->pdata[i], text, &error));
    }
  for (guint i = 0; i < mine->len; i++)
    {
      Inbox *inbox = inboxes->pdata[i];
      g_autofree char *text = g_strdup_printf ("ping %u", i);

      wait_messages (inbox, 1);
      g_assert_cmpmem (g_bytes_get_data (inbox->messages->pdata[0], NULL),
                       g_bytes_get_size (inbox->messages->pdata[0]), text, strlen (text));
    }
  g_assert_cmpint (ferry_data_channel_get_id (mine->pdata[mine->len - 1]), >=, 2 * per_side - 2);
  g_assert_cmpuint (pair.a_channels->len, ==, per_side);
  g_assert_cmpuint (pair.b_channels->len, ==, per_side);

  ferry_test_pair_clear (&pair);
}

static void
test_channel_options (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  FerryDataChannelInit unordered = FERRY_DATA_CHANNEL_INIT_DEFAULT;
  FerryDataChannelInit rexmit = FERRY_DATA_CHANNEL_INIT_DEFAULT;
  FerryDataChannelInit timed = FERRY_DATA_CHANNEL_INIT_DEFAULT;
  FerryDataChannelInit negotiated = FERRY_DATA_CHANNEL_INIT_DEFAULT;
  g_autoptr(FerryDataChannel) u = NULL, r = NULL, t = NULL, n_a = NULL, n_b = NULL;
  Inbox *at_a_negotiated;
  FerryTestPair pair = { 0 };

  unordered.ordered = FALSE;
  unordered.protocol = "chat";
  rexmit.max_retransmits = 3;
  timed.max_packet_lifetime = 500;
  timed.ordered = FALSE;
  negotiated.negotiated = TRUE;
  negotiated.id = 500;

  ferry_test_pair_init (&pair, config, NULL, NULL, NULL, NULL);
  g_signal_connect (pair.b, "data-channel", G_CALLBACK (echo_new_channel_cb), NULL);
  u = ferry_peer_connection_create_data_channel (pair.a, "u", &unordered, &error);
  r = ferry_peer_connection_create_data_channel (pair.a, "r", &rexmit, &error);
  t = ferry_peer_connection_create_data_channel (pair.a, "t", &timed, &error);
  n_a = ferry_peer_connection_create_data_channel (pair.a, "n", &negotiated, &error);
  n_b = ferry_peer_connection_create_data_channel (pair.b, "n", &negotiated, &error);
  g_assert_no_error (error);
  g_signal_connect (n_b, "message", G_CALLBACK (echo_cb), NULL);
  at_a_negotiated = inbox_attach (n_a);
  ferry_test_pair_wait_connected (&pair);
  wait_channels (pair.b_channels, 3);

  for (guint i = 0; i < 3; i++)
    {
      FerryDataChannel *seen = pair.b_channels->pdata[i];
      const char *label = ferry_data_channel_get_label (seen);

      if (g_str_equal (label, "u"))
        {
          g_assert_false (ferry_data_channel_get_ordered (seen));
          g_assert_cmpstr (ferry_data_channel_get_protocol (seen), ==, "chat");
        }
      else if (g_str_equal (label, "r"))
        g_assert_cmpint (ferry_data_channel_get_max_retransmits (seen), ==, 3);
      else
        {
          g_assert_cmpstr (label, ==, "t");
          g_assert_cmpint (ferry_data_channel_get_max_packet_lifetime (seen), ==, 500);
          g_assert_false (ferry_data_channel_get_ordered (seen));
        }
    }

  /* Negotiated channels exchange messages without DCEP, on the agreed id. */
  g_assert_cmpint (ferry_data_channel_get_id (n_a), ==, 500);
  FERRY_TEST_WAIT_UNTIL (at_a_negotiated->opened, TIMEOUT_MS);
  g_assert_true (ferry_data_channel_send_text (n_a, "negotiated", &error));
  wait_messages (at_a_negotiated, 1);

  /* Unordered and partially reliable channels carry messages (over a lossless path, all). */
  {
    Inbox *iu = inbox_attach (u), *ir = inbox_attach (r), *it = inbox_attach (t);
    for (guint i = 0; i < 20; i++)
      {
        ferry_data_channel_send_text (u, "u", &error);
        ferry_data_channel_send_text (r, "r", &error);
        ferry_data_channel_send_text (t, "t", &error);
      }
    wait_messages (iu, 20);
    wait_messages (ir, 20);
    wait_messages (it, 20);
    inbox_free (iu);
    inbox_free (ir);
    inbox_free (it);
  }

  /* A negotiated id that is taken is refused. */
  g_assert_null (ferry_peer_connection_create_data_channel (pair.a, "dup", &negotiated, &error));
  g_assert_error (error, FERRY_PEER_CONNECTION_ERROR, FERRY_PEER_CONNECTION_ERROR_INVALID_STATE);

  inbox_free (at_a_negotiated);
  ferry_test_pair_clear (&pair);
}

/* Fingerprints that do not match the certificate */

static char *
tamper_fingerprint (const char *sdp,
                    gpointer    data)
{
  g_autoptr(GString) out = g_string_new (sdp);
  const char *fp = strstr (out->str, "a=fingerprint:sha-256 ");
  gsize pos;

  g_assert_nonnull (fp);
  pos = fp - out->str + strlen ("a=fingerprint:sha-256 ");
  /* Flip the first hex digit. */
  out->str[pos] = out->str[pos] == 'A' ? 'B' : 'A';
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
wait_finished (FerryPeerConnection *pc)
{
  FERRY_TEST_WAIT_UNTIL (ferry_peer_connection_get_state (pc) >= FERRY_PEER_CONNECTION_FAILED,
                         TIMEOUT_MS);
}

static void
assert_refused (FerryPeerConnection *checker,
                FerryPeerConnection *other)
{
  const GError *error;

  wait_finished (checker);
  error = ferry_peer_connection_get_error (checker);
  g_assert_cmpint (ferry_peer_connection_get_state (checker), ==, FERRY_PEER_CONNECTION_FAILED);
  g_assert_error ((GError *) error, FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_FINGERPRINT_MISMATCH);
  g_assert_nonnull (strstr (error->message, "intercepted"));
  /* The other side never gets a working connection. */
  wait_finished (other);
  g_assert_cmpint (ferry_peer_connection_get_state (other), !=, FERRY_PEER_CONNECTION_CONNECTED);
  g_assert_cmpint (ferry_peer_connection_get_sctp_state (other), !=, FERRY_SCTP_STATE_CONNECTED);
}

static void
test_fingerprint_mismatch_client (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  FerryTestPair pair = { 0 };

  /* B answers active, so it is the DTLS client checking A's (server) certificate. */
  ferry_test_pair_init (&pair, config, NULL, tamper_fingerprint, NULL, NULL);
  assert_refused (pair.b, pair.a);
  ferry_test_pair_clear (&pair);
}

static void
test_fingerprint_mismatch_server (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  FerryTestPair pair = { 0 };

  /* A, the DTLS server, requires B's certificate and checks it. */
  ferry_test_pair_init (&pair, config, NULL, NULL, tamper_fingerprint, NULL);
  assert_refused (pair.a, pair.b);
  ferry_test_pair_clear (&pair);
}

/* Other SDP shapes */

static char *
to_legacy (const char *sdp,
           gpointer    data)
{
  g_autofree char *m = replace (sdp, "UDP/DTLS/SCTP webrtc-datachannel", "DTLS/SCTP 5000");
  return replace (m, "a=sctp-port:5000", "a=sctpmap:5000 webrtc-datachannel 1024");
}

static void
test_legacy_sdp (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  FerryTestPair pair = { 0 };
  Inbox *at_b;
  g_autoptr(GError) error = NULL;

  ferry_test_pair_init (&pair, config, (const char *[]) { "legacy", NULL }, to_legacy, NULL, NULL);
  ferry_test_pair_wait_connected (&pair);
  wait_channels (pair.b_channels, 1);
  at_b = inbox_attach (pair.b_channels->pdata[0]);
  g_assert_true (ferry_data_channel_send_text (pair.a_created->pdata[0], "old style", &error));
  wait_messages (at_b, 1);
  inbox_free (at_b);
  ferry_test_pair_clear (&pair);
}

static char *
without_large_packets (const char *sdp,
                       gpointer    data)
{
  g_assert_nonnull (strstr (sdp, "a=x-ferry-large-packets\r\n"));
  return replace (sdp, "a=x-ferry-large-packets\r\n", "");
}

/* Packets with data the process received while @n messages of @size bytes went from @from to @to
 * (only @to's side receives data meanwhile). */
static guint
packets_for (FerryDataChannel *from,
             Inbox            *to,
             gsize             size,
             guint             n)
{
  g_autoptr(GBytes) data = pattern (size, 9);
  struct sctpstat before, after;
  guint expected = to->messages->len + n;

  usrsctp_get_stat (&before);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (ferry_data_channel_send_bytes (from, data, &error));
      g_assert_no_error (error);
    }
  wait_messages (to, expected);
  usrsctp_get_stat (&after);
  return after.sctps_recvpktwithdata - before.sctps_recvpktwithdata;
}

/* Both peers on this namespace's own addresses (one host: loopback's MTU) and both offering
 * a=x-ferry-large-packets: SCTP packets as large as a DTLS record, both ways.  A peer that does
 * not offer them (as no browser does) is sent packets of the default size; it may still send
 * large ones to a peer that offers them. */
static void
test_packet_sizes (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  FerryTestPair pair = { 0 };

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(FerryDataChannel) b_own = NULL;
      g_autoptr(GError) error = NULL;
      Inbox *at_a, *at_b;
      guint fragment;

      ferry_test_pair_init (&pair, config, (const char *[]) { "sizes", NULL }, NULL,
                            round == 0 ? NULL : without_large_packets, NULL);
      ferry_test_pair_wait_connected (&pair);
      if (round == 0)
        g_assert_cmpuint (ferry_peer_connection_get_max_packet (pair.a), >, 16000);
      else
        g_assert_cmpuint (ferry_peer_connection_get_max_packet (pair.a), ==, 1195);
      g_assert_cmpuint (ferry_peer_connection_get_max_packet (pair.b), >, 16000);
      g_assert_cmpuint (ferry_peer_connection_get_max_packet (pair.b), <=, 16384);
      /* Between our own addresses the kernel hands over several datagrams at once (UDP GRO):
       * every exchange below goes through such buffers. */
      g_assert_true (ferry_peer_connection_get_receive_offload (pair.a));
      g_assert_true (ferry_peer_connection_get_receive_offload (pair.b));

      wait_channels (pair.b_channels, 1);
      at_b = inbox_attach (pair.b_channels->pdata[0]);
      b_own = ferry_peer_connection_create_data_channel (pair.b, "back", NULL, &error);
      g_assert_no_error (error);
      wait_channels (pair.a_channels, 1);
      at_a = inbox_attach (pair.a_channels->pdata[0]);
      for (guint i = 0; i < 4; i++)
        {
          exchange (pair.a_created->pdata[0], at_b, 262144 - i * 4099, i);
          exchange (b_own, at_a, 262144 - i * 4099, i + 5);
        }
      /* Four fragments' worth of message fill four packets; one byte more needs a fifth. */
      fragment = ferry_data_channel_get_fragment_size (pair.a_created->pdata[0]);
      g_assert_cmpuint (packets_for (pair.a_created->pdata[0], at_b, 4 * fragment, 10), ==, 40);
      g_assert_cmpuint (packets_for (pair.a_created->pdata[0], at_b, 4 * fragment + 1, 10), ==, 50);
      inbox_free (at_a);
      inbox_free (at_b);
      ferry_test_pair_clear (&pair);
    }
}

/* Datagrams joined on the way, as UDP GRO joins them. */
typedef struct {
  GBytes *before[2][2];   /* per direction: the two datagrams sent before, oldest first */
  guint   joined[2];
} Joiner;

/* After the handshake, each DTLS datagram goes on in one datagram behind copies of the two sent
 * before it: more than GnuTLS reads at once, and the new records last.  The copies are replays,
 * which DTLS drops; the records after them must still be read. */
static GPtrArray *
join_cb (FerryTestRelayDirection  direction,
         const guint8            *data,
         gsize                    len,
         gpointer                 user_data)
{
  Joiner *self = user_data;
  GBytes **before = self->before[direction];
  GByteArray *joined;
  GPtrArray *out;

  /* RFC 7983: DTLS starts with 20..63; epoch 0 (bytes 3 and 4) is the handshake. */
  if (len < 13 || data[0] < 20 || data[0] > 63 || (data[3] == 0 && data[4] == 0))
    return NULL;
  joined = g_byte_array_new ();
  for (guint i = 0; i < 2; i++)
    if (before[i] != NULL)
      g_byte_array_append (joined, g_bytes_get_data (before[i], NULL), g_bytes_get_size (before[i]));
  g_byte_array_append (joined, data, len);
  if (joined->len > len)
    self->joined[direction]++;
  g_clear_pointer (&before[0], g_bytes_unref);
  before[0] = before[1];
  before[1] = g_bytes_new (data, len);
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (out, g_byte_array_free_to_bytes (joined));
  return out;
}

static void
test_joined_datagrams (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  Joiner joiner = { 0 };
  g_autoptr(FerryTestRelay) relay = ferry_test_relay_new (join_cb, &joiner);
  g_autoptr(FerryDataChannel) b_own = NULL;
  g_autoptr(GError) error = NULL;
  FerryTestPair pair = { 0 };
  Inbox *at_a, *at_b;

  ferry_test_pair_init (&pair, config, (const char *[]) { "joined", NULL },
                        ferry_test_relay_rewrite_sdp, ferry_test_relay_rewrite_sdp, relay);
  ferry_test_pair_wait_connected (&pair);
  g_assert_cmpuint (ferry_peer_connection_get_max_packet (pair.a), >, 16000);
  wait_channels (pair.b_channels, 1);
  at_b = inbox_attach (pair.b_channels->pdata[0]);
  b_own = ferry_peer_connection_create_data_channel (pair.b, "back", NULL, &error);
  g_assert_no_error (error);
  wait_channels (pair.a_channels, 1);
  at_a = inbox_attach (pair.a_channels->pdata[0]);
  for (guint i = 0; i < 3; i++)
    {
      exchange (pair.a_created->pdata[0], at_b, 200000 + i * 4099, i);
      exchange (b_own, at_a, 200000 + i * 4099, i + 5);
    }
  g_test_message ("%u datagrams joined A->B, %u B->A", joiner.joined[FERRY_TEST_RELAY_A_TO_B],
                  joiner.joined[FERRY_TEST_RELAY_B_TO_A]);
  g_assert_cmpuint (joiner.joined[FERRY_TEST_RELAY_A_TO_B], >=, 40);
  g_assert_cmpuint (joiner.joined[FERRY_TEST_RELAY_B_TO_A], >=, 40);
  inbox_free (at_a);
  inbox_free (at_b);
  ferry_test_pair_clear (&pair);
  for (guint d = 0; d < 2; d++)
    for (guint i = 0; i < 2; i++)
      g_clear_pointer (&joiner.before[d][i], g_bytes_unref);
}

/* A receiver that holds its reads when the connection goes: the hold is released as its channel
 * closes, after the transport's socket is gone; nothing it schedules may outlive the transport
 * (this crashed the transfer tests now and then). */
static void
test_hold_at_close (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GBytes) data = pattern (200000, 3);
  g_autoptr(GError) error = NULL;
  FerryTestPair pair = { 0 };
  FerryDataChannel *at_b;

  ferry_test_pair_init (&pair, config, (const char *[]) { "held", NULL }, NULL, NULL, NULL);
  ferry_test_pair_wait_connected (&pair);
  wait_channels (pair.b_channels, 1);
  at_b = pair.b_channels->pdata[0];
  ferry_data_channel_set_receive_held (at_b, TRUE);
  for (guint i = 0; i < 4; i++)
    g_assert_true (ferry_data_channel_send_bytes (pair.a_created->pdata[0], data, &error));
  ferry_test_run_for (300);
  ferry_peer_connection_close (pair.b);
  g_assert_cmpint (ferry_data_channel_get_state (at_b), ==, FERRY_DATA_CHANNEL_CLOSED);
  ferry_test_pair_clear (&pair);
  ferry_test_run_for (100);
}

static void
relay_candidate_cb (FerryPeerConnection *from, const char *candidate, FerryPeerConnection *to)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_peer_connection_add_remote_candidate (to, candidate, &error));
  g_assert_no_error (error);
}

static gboolean
host_has_ipv6_link_local (void)
{
  struct ifaddrs *addrs = NULL;
  gboolean found = FALSE;

  g_assert_no_errno (getifaddrs (&addrs));
  for (struct ifaddrs *ifa = addrs; ifa != NULL && !found; ifa = ifa->ifa_next)
    found = ifa->ifa_addr != NULL && ifa->ifa_addr->sa_family == AF_INET6 &&
            (ifa->ifa_flags & IFF_LOOPBACK) == 0 &&
            IN6_IS_ADDR_LINKLOCAL (&((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr);
  freeifaddrs (addrs);
  return found;
}

/* The namespace's veth has an IPv4 and an IPv6 link-local address: only the first is offered. */
static void
test_no_link_local (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPeerConnection) pc = ferry_peer_connection_new (config, &error);
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autofree char *offer = NULL;

  g_assert_true (host_has_ipv6_link_local ());
  channel = ferry_peer_connection_create_data_channel (pc, "probe", NULL, &error);
  g_assert_no_error (error);
  offer = ferry_test_pair_make_offer (pc);
  g_assert_nonnull (strstr (offer, " typ host"));
  g_assert_nonnull (strstr (offer, " 10.213.0."));
  g_assert_null (strstr (offer, " fe80:"));
  ferry_peer_connection_close (pc);
  ferry_test_run_for (50);
}

static void
test_trickle (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPeerConnection) a = NULL, b = NULL;
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autofree char *offer = NULL, *answer = NULL;
  FerryTestPair pair = { 0 };

  config->trickle = TRUE;
  a = ferry_peer_connection_new (config, &error);
  b = ferry_peer_connection_new (config, &error);
  g_signal_connect (a, "local-candidate", G_CALLBACK (relay_candidate_cb), b);
  g_signal_connect (b, "local-candidate", G_CALLBACK (relay_candidate_cb), a);
  channel = ferry_peer_connection_create_data_channel (a, "trickled", NULL, &error);

  /* Trickle descriptions come at once, without candidates; they follow one by one, and the
   * candidates that overtake the description are kept for it. */
  offer = ferry_test_pair_make_offer (a);
  g_assert_null (strstr (offer, "a=end-of-candidates"));
  g_assert_nonnull (strstr (offer, "a=ice-options:trickle"));
  g_assert_true (ferry_peer_connection_set_remote_description (b, FERRY_SDP_TYPE_OFFER, offer, &error));
  answer = ferry_test_pair_make_answer (b);
  g_assert_true (ferry_peer_connection_set_remote_description (a, FERRY_SDP_TYPE_ANSWER, answer, &error));
  g_assert_no_error (error);

  pair.a = g_object_ref (a);
  pair.b = g_object_ref (b);
  ferry_test_pair_wait_connected (&pair);
  g_clear_object (&pair.a);
  g_clear_object (&pair.b);
  ferry_peer_connection_close (a);
  ferry_peer_connection_close (b);
  ferry_test_run_for (50);
}

/* A pairing code's connection: no descriptions, both sides know both credentials; the owner
 * (DTLS server) gets no candidate of the reader and learns its address from its checks; each
 * side accepts the other's certificate as it is and can read its fingerprint. */
static void
gathered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GPtrArray **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = ferry_peer_connection_gather_paired_finish (FERRY_PEER_CONNECTION (source), result, &error);
  g_assert_no_error (error);
}

static void
paired_channel_cb (FerryPeerConnection *pc,
                   FerryDataChannel    *channel,
                   GPtrArray           *received)
{
  g_ptr_array_add (received, g_object_ref (channel));
}

static void
test_paired (void)
{
  g_autoptr(GPtrArray) received = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPeerConnection) owner = NULL, reader = NULL;
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autoptr(GPtrArray) owner_candidates = NULL, reader_candidates = NULL;
  FerryTestPair pair = { 0 };
  Inbox *at_owner;

  owner = ferry_peer_connection_new (config, &error);
  reader = ferry_peer_connection_new (config, &error);
  g_assert_no_error (error);
  g_signal_connect (owner, "data-channel", G_CALLBACK (paired_channel_cb), received);
  ferry_peer_connection_gather_paired (owner, "OwnerUfr", "OwnerPasswordOwnerPasswo", FALSE, NULL,
                                       gathered_cb, &owner_candidates);
  ferry_peer_connection_gather_paired (reader, "ReaderUf", "ReaderPasswordReaderPass", TRUE, NULL,
                                       gathered_cb, &reader_candidates);
  FERRY_TEST_WAIT_UNTIL (owner_candidates != NULL && reader_candidates != NULL, 10000);
  g_assert_cmpuint (owner_candidates->len, >, 0);

  g_ptr_array_add (owner_candidates, NULL);
  g_assert_true (ferry_peer_connection_start_paired (owner, "ReaderUf", "ReaderPasswordReaderPass",
                                                     NULL, FALSE, &error));
  channel = ferry_peer_connection_create_data_channel (reader, "paired", NULL, &error);
  g_assert_true (ferry_peer_connection_start_paired (reader, "OwnerUfr", "OwnerPasswordOwnerPasswo",
                                                     (const char * const *) owner_candidates->pdata,
                                                     TRUE, &error));
  g_assert_no_error (error);

  pair.a = g_object_ref (owner);
  pair.b = g_object_ref (reader);
  ferry_test_pair_wait_connected (&pair);
  g_assert_cmpmem (ferry_peer_connection_get_remote_fingerprint (owner), 32,
                   ferry_peer_connection_get_local_fingerprint (reader), 32);
  g_assert_cmpmem (ferry_peer_connection_get_remote_fingerprint (reader), 32,
                   ferry_peer_connection_get_local_fingerprint (owner), 32);
  g_assert_cmpstr (ferry_peer_connection_get_remote_candidate_type (owner), ==, "prflx");
  wait_channels (received, 1);
  at_owner = inbox_attach (received->pdata[0]);
  g_assert_true (ferry_data_channel_send_text (channel, "paired without descriptions", &error));
  wait_messages (at_owner, 1);
  inbox_free (at_owner);
  g_signal_handlers_disconnect_by_data (owner, received);
  g_clear_object (&pair.a);
  g_clear_object (&pair.b);
  ferry_peer_connection_close (owner);
  ferry_peer_connection_close (reader);
  ferry_test_run_for (50);
}

/* A peer that disappears without a word: a ferry-cli process killed with SIGKILL, or stopped
 * with SIGSTOP, so that nothing at all comes back (a cable pulled, a laptop closed): the idle
 * side finds out once nothing arrived for the liveness timeout, not later. */

static void
test_vanished_peer (gconstpointer data)
{
  int signal = GPOINTER_TO_INT (data);
  double detected_s;
  const char *cli = g_getenv ("FERRY_CLI");
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPeerConnection) pc = NULL;
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *offer = NULL;
  g_autofree char *answer_line = NULL;
  g_autofree char *offer_json = NULL;
  Inbox *inbox;
  gint64 killed_at;

  if (cli == NULL)
    {
      g_test_skip ("FERRY_CLI is not set");
      return;
    }

  pc = ferry_peer_connection_new (config, &error);
  /* Not ferry-cli's main label, so that it echoes. */
  channel = ferry_peer_connection_create_data_channel (pc, "echo-me", NULL, &error);
  inbox = inbox_attach (channel);
  offer = ferry_test_pair_make_offer (pc);

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            cli, "connect", "--answer", "--echo", NULL);
  g_assert_no_error (error);
  {
    g_autoptr(GString) json = g_string_new ("{\"type\":\"offer\",\"sdp\":");
    g_autofree char *escaped = g_strescape (offer, NULL);
    g_string_append_printf (json, "\"%s\"}\n", escaped);
    g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (child), json->str, json->len,
                                              NULL, NULL, &error));
  }
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  answer_line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (answer_line);
  {
    const char *start = strstr (answer_line, "\"sdp\":\"");
    g_autofree char *raw = NULL, *sdp = NULL;

    g_assert_nonnull (start);
    raw = g_strndup (start + 7, strrchr (answer_line, '"') - start - 7);
    sdp = g_strcompress (raw);
    g_assert_true (ferry_peer_connection_set_remote_description (pc, FERRY_SDP_TYPE_ANSWER, sdp, &error));
    g_assert_no_error (error);
  }
  FERRY_TEST_WAIT_UNTIL (inbox->opened, TIMEOUT_MS);
  g_assert_true (ferry_data_channel_send_text (channel, "still there?", &error));
  wait_messages (inbox, 1);

  g_subprocess_send_signal (child, signal);
  killed_at = g_get_monotonic_time ();
  wait_finished (pc);
  g_assert_cmpint (ferry_peer_connection_get_state (pc), ==, FERRY_PEER_CONNECTION_FAILED);
  g_assert_error ((GError *) ferry_peer_connection_get_error (pc), FERRY_PEER_CONNECTION_ERROR,
                  FERRY_PEER_CONNECTION_ERROR_PEER_GONE);
  detected_s = (g_get_monotonic_time () - killed_at) / 1e6;
  g_test_message ("%s peer detected after %.1f s (liveness timeout %.1f s)", g_strsignal (signal),
                  detected_s, config->liveness_timeout_ms / 1e3);
  /* Within a check period of the timeout (SCTP's own heartbeat failure takes about twice). */
  g_assert_cmpfloat (detected_s, <, config->liveness_timeout_ms / 1e3 * 1.5);
  g_assert_true (inbox->closed);
  inbox_free (inbox);
  g_subprocess_send_signal (child, SIGKILL);
  g_subprocess_wait (child, NULL, NULL);
}

/* The whole stack on a dedicated network thread while the main thread stays free. */

typedef struct {
  GThread      *network_thread;
  gboolean      wrong_thread;
  gsize         received;
  gboolean      finished;
  gsize         total;
} ThreadRun;

static void
thread_message_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, ThreadRun *run)
{
  if (g_thread_self () != run->network_thread)
    run->wrong_thread = TRUE;
  run->received += g_bytes_get_size (data);
}

static gpointer
network_thread (gpointer data)
{
  ThreadRun *run = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GBytes) chunk = pattern (65536, 1);
  g_autoptr(GError) error = NULL;
  FerryTestPair pair = { 0 };
  gsize sent = 0;

  g_main_context_push_thread_default (context);
  run->network_thread = g_thread_self ();

  ferry_test_pair_init (&pair, config, (const char *[]) { "threaded", NULL }, NULL, NULL, NULL);
  ferry_test_pair_wait_connected (&pair);
  wait_channels (pair.b_channels, 1);
  g_signal_connect (pair.b_channels->pdata[0], "message", G_CALLBACK (thread_message_cb), run);

  while (run->received < run->total)
    {
      while (sent < run->total && ferry_data_channel_get_buffered_amount (pair.a_created->pdata[0]) < 1024 * 1024)
        {
          g_assert_true (ferry_data_channel_send_bytes (pair.a_created->pdata[0], chunk, &error));
          sent += 65536;
        }
      g_main_context_iteration (context, TRUE);
    }

  ferry_test_pair_clear (&pair);
  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&run->finished, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
tick_cb (gpointer data)
{
  gint64 *ticks = data;
  (*ticks)++;
  return G_SOURCE_CONTINUE;
}

static void
test_dedicated_thread (void)
{
  ThreadRun run = { 0 };
  g_autoptr(GThread) thread = NULL;
  gint64 ticks = 0;
  gint64 start = g_get_monotonic_time ();
  gint64 last = start, max_gap = 0;
  guint tick_source;

  run.total = 32 * 1024 * 1024;
  tick_source = g_timeout_add (5, tick_cb, &ticks);
  thread = g_thread_new ("ferry-network", network_thread, &run);

  /* The main context is never blocked by the network: it keeps ticking the whole time. */
  while (!g_atomic_int_get (&run.finished))
    {
      gint64 now;

      g_main_context_iteration (NULL, TRUE);
      now = g_get_monotonic_time ();
      max_gap = MAX (max_gap, now - last);
      last = now;
    }
  g_thread_join (g_steal_pointer (&thread));
  g_source_remove (tick_source);

  g_assert_false (run.wrong_thread);
  g_assert_cmpuint (run.received, ==, run.total);
  g_test_message ("main thread: %" G_GINT64_FORMAT " ticks, longest gap %.1f ms over %.1f s",
                  ticks, max_gap / 1000.0, (last - start) / 1e6);
  g_assert_cmpint (max_gap, <, 250 * 1000);
  g_assert_cmpint (ticks, >, (last - start) / 1000 / 5 / 4);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/peer-connection/messages", test_messages);
  g_test_add_func ("/peer-connection/many-channels", test_many_channels);
  g_test_add_func ("/peer-connection/channel-options", test_channel_options);
  g_test_add_func ("/peer-connection/fingerprint-mismatch/dtls-client", test_fingerprint_mismatch_client);
  g_test_add_func ("/peer-connection/fingerprint-mismatch/dtls-server", test_fingerprint_mismatch_server);
  g_test_add_func ("/peer-connection/legacy-sdp", test_legacy_sdp);
  g_test_add_func ("/peer-connection/packet-sizes", test_packet_sizes);
  g_test_add_func ("/peer-connection/joined-datagrams", test_joined_datagrams);
  g_test_add_func ("/peer-connection/hold-at-close", test_hold_at_close);
  g_test_add_func ("/peer-connection/trickle", test_trickle);
  g_test_add_func ("/peer-connection/no-link-local", test_no_link_local);
  g_test_add_func ("/peer-connection/paired", test_paired);
  g_test_add_data_func ("/peer-connection/vanished-peer", GINT_TO_POINTER (SIGKILL), test_vanished_peer);
  g_test_add_data_func ("/peer-connection/frozen-peer", GINT_TO_POINTER (SIGSTOP), test_vanished_peer);
  g_test_add_func ("/peer-connection/dedicated-thread", test_dedicated_thread);

  return g_test_run ();
}
