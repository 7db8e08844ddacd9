/* Closing data channels: the stream reset of each direction, repeated while the peer does not
 * perform it, with two Ferry peers in one process over real libnice agents (in a network
 * namespace), and a ferry-cli process that stops answering.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <signal.h>
#include <gio/gio.h>

#include "ferry-peer-connection.h"
#include "ferry-data-channel-private.h"
#include "ferry-test-pair.h"
#include "ferry-test-util.h"

#define TIMEOUT_MS 20000
/* A close must be seen on both sides within this (a few retransmissions of a reset). */
#define CLOSE_BOUND_MS 5000
/* The transport's own bound (10 refusals about 5.5 s apart, or 8 s without an answer), with
 * room for a slow machine. */
#define GIVE_UP_BOUND_MS 15000
#define REPETITIONS 50

/* Waiting */

typedef gboolean (*Condition) (gpointer data);

/* Iterates until @condition holds or @timeout_ms pass; returns whether it holds. */
static gboolean
wait_for (Condition condition,
          gpointer  data,
          guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!condition (data) && ferry_test_iterate (deadline))
    ;
  return condition (data);
}

static void
pair_init (FerryTestPair  *pair,
           FerryRtcConfig *config)
{
  ferry_test_pair_init (pair, config, NULL, NULL, NULL, NULL);
  ferry_test_pair_wait_connected (pair);
}

/* What one channel went through. */
typedef struct {
  FerryDataChannel *channel;
  guint             messages;
  gboolean          closed;
  GError           *error;
} Watch;

static void
watch_message_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, Watch *watch)
{
  watch->messages++;
}

static void
watch_close_cb (FerryDataChannel *channel, Watch *watch)
{
  watch->closed = TRUE;
}

static void
watch_error_cb (FerryDataChannel *channel, const GError *error, Watch *watch)
{
  g_clear_error (&watch->error);
  watch->error = g_error_copy (error);
}

static Watch *
watch_new (FerryDataChannel *channel)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->channel = g_object_ref (channel);
  g_signal_connect (channel, "message", G_CALLBACK (watch_message_cb), watch);
  g_signal_connect (channel, "close", G_CALLBACK (watch_close_cb), watch);
  g_signal_connect (channel, "error", G_CALLBACK (watch_error_cb), watch);
  return watch;
}

static void
watch_free (Watch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->channel, watch);
  g_object_unref (watch->channel);
  g_clear_error (&watch->error);
  g_free (watch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_free)

static gboolean
watch_closed (gpointer data)
{
  Watch *watch = data;

  return watch->closed;
}

static gboolean
is_open (gpointer data)
{
  return ferry_data_channel_get_state (data) == FERRY_DATA_CHANNEL_OPEN;
}

typedef struct {
  GPtrArray *channels;
  guint      n;
} Count;

static gboolean
has_channels (gpointer data)
{
  Count *count = data;

  return count->channels->len >= count->n;
}

/* Opens a channel from A and returns the one B sees for it. */
static FerryDataChannel *
open_channel (FerryTestPair    *pair,
              const char       *label,
              FerryDataChannel **from_a)
{
  g_autoptr(GError) error = NULL;
  Count count = { pair->b_channels, pair->b_channels->len + 1 };

  *from_a = ferry_peer_connection_create_data_channel (pair->a, label, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_for (has_channels, &count, TIMEOUT_MS));
  g_assert_true (wait_for (is_open, *from_a, TIMEOUT_MS));
  g_assert_true (wait_for (is_open, g_ptr_array_index (pair->b_channels, count.n - 1), TIMEOUT_MS));
  return g_ptr_array_index (pair->b_channels, count.n - 1);
}

typedef struct {
  Watch *mine;
  Watch *theirs;
} Both;

static gboolean
both_closed (gpointer data)
{
  Both *both = data;

  return both->mine->closed && both->theirs->closed;
}

/* The warnings the transport logs when it gives up a reset; the tests that provoke them say how
 * many they expect, every other warning stays fatal. */
static guint expected_give_ups;
static guint seen_give_ups;

static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  if ((level & G_LOG_LEVEL_WARNING) && seen_give_ups < expected_give_ups)
    for (gsize i = 0; i < n_fields; i++)
      if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
          strstr (fields[i].value, "gave up resetting stream") != NULL)
        {
          seen_give_ups++;
          g_test_message ("expected: %s", (const char *) fields[i].value);
          return G_LOG_WRITER_HANDLED;
        }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* Keeps a channel busy: refills whenever what waits to go out falls low. */
typedef struct {
  FerryDataChannel *channel;
  GBytes           *chunk;
  guint64           sent;
} Pump;

#define PUMP_HIGH (256 * 1024)

static void
pump_fill (Pump *pump)
{
  g_autoptr(GError) error = NULL;

  while (ferry_data_channel_get_state (pump->channel) == FERRY_DATA_CHANNEL_OPEN &&
         ferry_data_channel_get_buffered_amount (pump->channel) < PUMP_HIGH)
    {
      g_assert_true (ferry_data_channel_send_bytes (pump->channel, pump->chunk, &error));
      pump->sent += g_bytes_get_size (pump->chunk);
    }
}

static void
pump_low_cb (FerryDataChannel *channel, Pump *pump)
{
  pump_fill (pump);
}

static void
pump_start (Pump             *pump,
            FerryDataChannel *channel)
{
  pump->channel = g_object_ref (channel);
  pump->chunk = g_bytes_new_take (g_malloc0 (16 * 1024), 16 * 1024);
  ferry_data_channel_set_buffered_amount_low_threshold (channel, PUMP_HIGH / 4);
  g_signal_connect (channel, "buffered-amount-low", G_CALLBACK (pump_low_cb), pump);
  pump_fill (pump);
}

static void
pump_stop (Pump *pump)
{
  g_signal_handlers_disconnect_by_data (pump->channel, pump);
  g_clear_object (&pump->channel);
  g_clear_pointer (&pump->chunk, g_bytes_unref);
}

/* a. Closing channels while the peer sends on another one, many times over */

static void
test_repeated_close (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDataChannel) flow = NULL;
  g_autoptr(Watch) flow_at_a = NULL;
  g_autoptr(GBytes) small = g_bytes_new_static ("last words", 10);
  Count count = { 0 };
  Pump pump = { 0 };
  FerryTestPair pair = { 0 };
  gint64 start, slowest = 0;
  guint rounds_with_flow = 0;

  pair_init (&pair, config);

  /* B keeps sending to A on its own channel the whole time. */
  flow = ferry_peer_connection_create_data_channel (pair.b, "flow", NULL, &error);
  g_assert_no_error (error);
  count.channels = pair.a_channels;
  count.n = 1;
  g_assert_true (wait_for (has_channels, &count, TIMEOUT_MS));
  g_assert_true (wait_for (is_open, flow, TIMEOUT_MS));
  flow_at_a = watch_new (g_ptr_array_index (pair.a_channels, 0));
  pump_start (&pump, flow);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < REPETITIONS; i++)
    {
      g_autofree char *label = g_strdup_printf ("closed-%u", i);
      g_autoptr(FerryDataChannel) mine = NULL;
      g_autoptr(Watch) watch_mine = NULL, watch_theirs = NULL;
      FerryDataChannel *theirs = open_channel (&pair, label, &mine);
      guint received_before = flow_at_a->messages;
      Both both;
      gint64 closed_at;

      watch_mine = watch_new (mine);
      watch_theirs = watch_new (theirs);
      both.mine = watch_mine;
      both.theirs = watch_theirs;

      /* Something to deliver first, so the reset waits for its acknowledgement. */
      for (guint j = 0; j < 3; j++)
        g_assert_true (ferry_data_channel_send_bytes (mine, small, &error));
      ferry_data_channel_close (mine);
      closed_at = g_get_monotonic_time ();
      if (!wait_for (both_closed, &both, CLOSE_BOUND_MS))
        g_error ("Round %u: close not seen within %u ms (Ferry's side %s, peer %s)", i,
                 CLOSE_BOUND_MS, watch_mine->closed ? "closed" : "not closed",
                 watch_theirs->closed ? "closed" : "not closed");
      slowest = MAX (slowest, g_get_monotonic_time () - closed_at);

      g_assert_cmpint (ferry_data_channel_get_state (mine), ==, FERRY_DATA_CHANNEL_CLOSED);
      g_assert_cmpint (ferry_data_channel_get_state (theirs), ==, FERRY_DATA_CHANNEL_CLOSED);
      g_assert_no_error (watch_mine->error);
      g_assert_no_error (watch_theirs->error);
      /* What was sent before the close arrives before it. */
      g_assert_cmpuint (watch_theirs->messages, ==, 3);
      if (flow_at_a->messages > received_before)
        rounds_with_flow++;
    }

  g_test_message ("%u closes in %.2f s, the slowest seen on both sides after %.0f ms, %u "
                  "resets repeated; %" G_GUINT64_FORMAT " bytes sent the other way, arriving "
                  "during %u of the rounds", REPETITIONS,
                  (g_get_monotonic_time () - start) / 1e6, slowest / 1e3,
                  ferry_sctp_transport_get_reset_retries (_ferry_data_channel_get_transport (flow_at_a->channel)),
                  pump.sent, rounds_with_flow);
  g_assert_cmpint (ferry_data_channel_get_state (flow), ==, FERRY_DATA_CHANNEL_OPEN);
  g_assert_cmpint (ferry_peer_connection_get_state (pair.a), ==, FERRY_PEER_CONNECTION_CONNECTED);
  /* The peer really was sending meanwhile. */
  g_assert_cmpuint (rounds_with_flow, >=, REPETITIONS / 2);

  pump_stop (&pump);
  ferry_test_pair_clear (&pair);
}

/* b. A peer whose first answers to the reset are not "performed" */

typedef struct {
  FerrySctpTransport *sctp;
  guint               retries;
} Retries;

static gboolean
retried (gpointer data)
{
  Retries *r = data;

  return ferry_sctp_transport_get_reset_retries (r->sctp) >= r->retries;
}

static void
test_refused_then_performed (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(FerryDataChannel) mine = NULL;
  g_autoptr(Watch) watch_mine = NULL, watch_theirs = NULL;
  FerrySctpTransport *sctp_a, *sctp_b;
  FerryDataChannel *theirs;
  Retries retries;
  FerryTestPair pair = { 0 };
  Both both;
  gint64 start;

  pair_init (&pair, config);
  theirs = open_channel (&pair, "refused", &mine);
  watch_mine = watch_new (mine);
  watch_theirs = watch_new (theirs);
  both.mine = watch_mine;
  both.theirs = watch_theirs;
  sctp_a = _ferry_data_channel_get_transport (mine);
  sctp_b = _ferry_data_channel_get_transport (theirs);
  g_assert_nonnull (sctp_a);
  g_assert_nonnull (sctp_b);

  /* B answers our requests "Denied" until told otherwise: usrsctp reports each as failed. */
  g_assert_true (ferry_sctp_transport_set_accept_resets (sctp_b, FALSE));
  retries.sctp = sctp_a;
  retries.retries = ferry_sctp_transport_get_reset_retries (sctp_a) + 2;
  start = g_get_monotonic_time ();
  ferry_data_channel_close (mine);

  /* Two refused requests after the first: neither side may call the channel closed. */
  g_assert_true (wait_for (retried, &retries, CLOSE_BOUND_MS));
  g_assert_cmpint (ferry_data_channel_get_state (mine), ==, FERRY_DATA_CHANNEL_CLOSING);
  g_assert_cmpint (ferry_data_channel_get_state (theirs), ==, FERRY_DATA_CHANNEL_OPEN);
  g_assert_false (watch_mine->closed);

  /* Once B performs resets again, the next retry closes the channel on both sides. */
  g_assert_true (ferry_sctp_transport_set_accept_resets (sctp_b, TRUE));
  g_assert_true (wait_for (both_closed, &both, CLOSE_BOUND_MS));
  g_test_message ("closed after %u retries in %.0f ms",
                  ferry_sctp_transport_get_reset_retries (sctp_a),
                  (g_get_monotonic_time () - start) / 1e3);
  g_assert_no_error (watch_mine->error);
  g_assert_no_error (watch_theirs->error);
  g_assert_cmpint (ferry_data_channel_get_state (theirs), ==, FERRY_DATA_CHANNEL_CLOSED);
  g_assert_cmpint (ferry_peer_connection_get_state (pair.a), ==, FERRY_PEER_CONNECTION_CONNECTED);

  ferry_test_pair_clear (&pair);
}

/* c. The bound: a peer that never performs the reset */

static void
test_refused_for_good (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(FerryDataChannel) mine = NULL;
  g_autoptr(Watch) watch_mine = NULL, watch_theirs = NULL;
  FerrySctpTransport *sctp_a;
  FerryDataChannel *theirs;
  FerryTestPair pair = { 0 };
  gint64 start, took;

  pair_init (&pair, config);
  theirs = open_channel (&pair, "never", &mine);
  watch_mine = watch_new (mine);
  watch_theirs = watch_new (theirs);
  sctp_a = _ferry_data_channel_get_transport (mine);
  g_assert_true (ferry_sctp_transport_set_accept_resets (_ferry_data_channel_get_transport (theirs), FALSE));

  expected_give_ups = seen_give_ups + 1;
  start = g_get_monotonic_time ();
  ferry_data_channel_close (mine);
  g_assert_true (wait_for (watch_closed, watch_mine, GIVE_UP_BOUND_MS));
  took = g_get_monotonic_time () - start;
  g_test_message ("gave up after %u retries in %.1f s: %s",
                  ferry_sctp_transport_get_reset_retries (sctp_a), took / 1e6,
                  watch_mine->error ? watch_mine->error->message : "no error");

  g_assert_error (watch_mine->error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (watch_mine->error->message, "refused"));
  g_assert_cmpuint (seen_give_ups, ==, expected_give_ups);
  g_assert_cmpint (ferry_data_channel_get_state (mine), ==, FERRY_DATA_CHANNEL_CLOSED);
  /* Nine retries backing off to a second each: not before about 5.5 s. */
  g_assert_cmpuint (ferry_sctp_transport_get_reset_retries (sctp_a), ==, 9);
  g_assert_cmpint (took, >=, 5 * G_USEC_PER_SEC);
  /* The peer never performed the reset: its side stays open, and the connection with it. */
  g_assert_false (watch_theirs->closed);
  g_assert_cmpint (ferry_peer_connection_get_state (pair.a), ==, FERRY_PEER_CONNECTION_CONNECTED);

  ferry_test_pair_clear (&pair);
}

/* A ferry-cli answering peer that stops (SIGSTOP) and so never answers the reset. */

static gboolean
has_line (gpointer data)
{
  return *(char **) data != NULL;
}

static void
line_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      data)
{
  char **line = data;
  g_autoptr(GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (stream), result, NULL, &error);
  g_assert_no_error (error);
  if (*line == NULL)
    *line = g_strdup ("");
}

/* Whether the kernel has stopped @child: a stop signal takes effect asynchronously. */
static gboolean
is_stopped (gpointer child)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", g_subprocess_get_identifier (child));
  g_autofree char *stat = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (after_name = strrchr (stat, ')')) == NULL)
    return FALSE;
  return after_name[1] == ' ' && after_name[2] == 'T';
}

static void
test_vanished_peer (void)
{
  const char *cli = g_getenv ("FERRY_CLI");
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPeerConnection) pc = NULL;
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GString) json = g_string_new ("{\"type\":\"offer\",\"sdp\":");
  g_autoptr(Watch) watch = NULL;
  g_autofree char *offer = NULL, *escaped = NULL, *line = NULL, *raw = NULL, *sdp = NULL;
  const char *start;
  gint64 stopped_at, took;

  if (cli == NULL)
    {
      g_test_skip ("FERRY_CLI is not set");
      return;
    }

  /* The association would notice the silence after liveness_timeout_ms: later than the bound
   * of the reset, which is what this test is about. */
  config->liveness_timeout_ms = 60000;
  config->ice_timeout_ms = 60000;
  pc = ferry_peer_connection_new (config, &error);
  g_assert_no_error (error);
  channel = ferry_peer_connection_create_data_channel (pc, "echo-me", NULL, &error);
  g_assert_no_error (error);
  watch = watch_new (channel);
  offer = ferry_test_pair_make_offer (pc);

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            cli, "connect", "--answer", "--echo", NULL);
  g_assert_no_error (error);
  escaped = g_strescape (offer, NULL);
  g_string_append_printf (json, "\"%s\"}\n", escaped);
  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (child), json->str,
                                            json->len, NULL, NULL, &error));
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, line_cb, &line);
  g_assert_true (wait_for (has_line, &line, TIMEOUT_MS));
  start = strstr (line, "\"sdp\":\"");
  g_assert_nonnull (start);
  raw = g_strndup (start + 7, strrchr (line, '"') - start - 7);
  sdp = g_strcompress (raw);
  g_assert_true (ferry_peer_connection_set_remote_description (pc, FERRY_SDP_TYPE_ANSWER, sdp, &error));
  g_assert_no_error (error);

  g_assert_true (wait_for (is_open, channel, TIMEOUT_MS));
  g_assert_true (ferry_data_channel_send_text (channel, "still there?", &error));
  while (watch->messages < 1)
    g_main_context_iteration (NULL, TRUE);

  g_subprocess_send_signal (child, SIGSTOP);
  g_assert_true (wait_for (is_stopped, child, TIMEOUT_MS));
  stopped_at = g_get_monotonic_time ();
  expected_give_ups = seen_give_ups + 1;
  ferry_data_channel_close (channel);
  g_assert_true (wait_for (watch_closed, watch, GIVE_UP_BOUND_MS));
  took = g_get_monotonic_time () - stopped_at;
  g_test_message ("closed %.1f s after the peer stopped: %s", took / 1e6,
                  watch->error ? watch->error->message : "no error, the connection ended");

  /* Whichever bound comes first closes the channel: the reset's own deadline, or the
   * association, which counts each unanswered retransmission of the request against the peer
   * and so may give up on it sooner (after about 4 s in some runs). */
  if (watch->error != NULL)
    {
      g_assert_error (watch->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_assert_cmpuint (seen_give_ups, ==, expected_give_ups);
      g_assert_cmpint (took, >=, 7 * G_USEC_PER_SEC);
      g_assert_cmpint (ferry_peer_connection_get_state (pc), ==, FERRY_PEER_CONNECTION_CONNECTED);
    }
  else
    {
      g_assert_cmpint (ferry_peer_connection_get_state (pc), ==, FERRY_PEER_CONNECTION_FAILED);
      g_assert_error ((GError *) ferry_peer_connection_get_error (pc), FERRY_PEER_CONNECTION_ERROR,
                      FERRY_PEER_CONNECTION_ERROR_PEER_GONE);
      expected_give_ups = seen_give_ups;
    }
  g_assert_cmpint (ferry_data_channel_get_state (channel), ==, FERRY_DATA_CHANNEL_CLOSED);

  g_subprocess_send_signal (child, SIGKILL);
  g_subprocess_wait (child, NULL, NULL);
  ferry_peer_connection_close (pc);
  ferry_test_run_for (50);
}

int
main (int    argc,
      char **argv)
{
  /* Before anything logs: the writer is fixed from the first message on. */
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/channel-close/repeated", test_repeated_close);
  g_test_add_func ("/channel-close/refused-then-performed", test_refused_then_performed);
  g_test_add_func ("/channel-close/refused-for-good", test_refused_for_good);
  g_test_add_func ("/channel-close/vanished-peer", test_vanished_peer);

  return g_test_run ();
}
