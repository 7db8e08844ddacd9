/* ferry-cli-connect.c: one peer connection signalled by hand
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The offer and the answer travel as one JSON line each ({"type":"offer","sdp":"…"}, the shape
 * browsers use) over stdin/stdout, so two people can connect by copy and paste and tests can face
 * foreign peers.  After that line, stdin is sent on the main channel and what arrives on it is
 * written to stdout.  A channel the peer opens with the same label is its half of the main
 * channel (two ferry-cli connect both open one): what arrives there goes to stdout as well.
 * Status goes to stderr as "ferry-cli: EVENT key=value…".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "ferry-cli.h"
#include "ferry-peer-connection.h"

#define CHUNK_SIZE 65536
#define HIGH_WATER (1024 * 1024)

typedef struct {
  GMainLoop           *loop;
  int                  status;
  FerryPeerConnection *pc;
  FerryDataChannel    *main_channel;
  const char          *label;
  gboolean             answer;
  gboolean             echo;
  gboolean             text;

  GDataInputStream    *input;
  gboolean             reading;
  gboolean             input_done;
  gboolean             main_closed;
  guint                remote_open;

  GOutputStream       *output;
  GQueue               output_queue;   /* GBytes */
  gboolean             writing;
} Connect;

static void
status (const char *format,
        ...) G_GNUC_PRINTF (1, 2);

static void
status (const char *format,
        ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("ferry-cli: %s\n", line);
}

static void
quit (Connect *self,
      int      code)
{
  if (self->status < 0)
    self->status = code;
  g_main_loop_quit (self->loop);
}

static void
maybe_finish (Connect *self)
{
  if (self->input_done && self->main_closed && self->remote_open == 0 && !self->writing &&
      g_queue_is_empty (&self->output_queue))
    quit (self, 0);
}

/* Output: asynchronous, so a slow reader never stalls the network. */

static void write_next (Connect *self);

static void
write_cb (GObject      *stream,
          GAsyncResult *result,
          gpointer      user_data)
{
  Connect *self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (stream), result, NULL, &error))
    {
      status ("error message=\"%s\"", error->message);
      quit (self, 1);
      return;
    }
  g_bytes_unref (g_queue_pop_head (&self->output_queue));
  write_next (self);
  maybe_finish (self);
}

static void
write_next (Connect *self)
{
  GBytes *bytes = g_queue_peek_head (&self->output_queue);

  if (self->writing || bytes == NULL)
    return;
  self->writing = TRUE;
  g_output_stream_write_all_async (self->output, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), G_PRIORITY_DEFAULT, NULL, write_cb, self);
}

static void
output (Connect *self,
        GBytes  *bytes)
{
  g_queue_push_tail (&self->output_queue, g_bytes_ref (bytes));
  write_next (self);
}

static void
output_line (Connect    *self,
             const char *line)
{
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_strconcat (line, "\n", NULL), strlen (line) + 1);

  output (self, bytes);
}

/* Sending stdin */

static void read_more (Connect *self);

static void
read_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      user_data)
{
  Connect *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gboolean eof = FALSE;

  self->reading = FALSE;

  if (self->text)
    {
      gsize len;
      g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, &len, &error);

      if (line != NULL && self->main_channel != NULL)
        ferry_data_channel_send_text (self->main_channel, line, &error);
      eof = line == NULL && error == NULL;
    }
  else
    {
      bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (stream), result, &error);
      if (bytes != NULL && g_bytes_get_size (bytes) > 0 && self->main_channel != NULL)
        ferry_data_channel_send_bytes (self->main_channel, bytes, &error);
      eof = bytes != NULL && g_bytes_get_size (bytes) == 0;
    }

  if (error != NULL)
    {
      status ("error message=\"%s\"", error->message);
      quit (self, 1);
      return;
    }

  if (eof)
    {
      self->input_done = TRUE;
      /* Closes once everything queued before has been sent. */
      if (self->main_channel != NULL)
        ferry_data_channel_close (self->main_channel);
      maybe_finish (self);
      return;
    }

  read_more (self);
}

static void
read_more (Connect *self)
{
  if (self->reading || self->input_done || self->main_channel == NULL ||
      ferry_data_channel_get_state (self->main_channel) != FERRY_DATA_CHANNEL_OPEN ||
      ferry_data_channel_get_buffered_amount (self->main_channel) > HIGH_WATER)
    return;

  self->reading = TRUE;
  if (self->text)
    g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, read_cb, self);
  else
    g_input_stream_read_bytes_async (G_INPUT_STREAM (self->input),
                                     MIN (CHUNK_SIZE, ferry_data_channel_get_max_message_size (self->main_channel)),
                                     G_PRIORITY_DEFAULT, NULL, read_cb, self);
}

/* Channels */

static void
main_message_cb (FerryDataChannel *channel,
                 GBytes           *data,
                 gboolean          is_text,
                 Connect          *self)
{
  output (self, data);
  if (self->text && is_text)
    output_line (self, "");
}

static void
main_open_cb (FerryDataChannel *channel,
              Connect          *self)
{
  status ("channel-open id=%d label=%s origin=local", ferry_data_channel_get_id (channel),
          ferry_data_channel_get_label (channel));
  read_more (self);
}

static void
main_close_cb (FerryDataChannel *channel,
               Connect          *self)
{
  status ("channel-closed id=%d label=%s", ferry_data_channel_get_id (channel),
          ferry_data_channel_get_label (channel));
  self->main_closed = TRUE;
  maybe_finish (self);
}

static void
main_low_cb (FerryDataChannel *channel,
             Connect          *self)
{
  read_more (self);
}

static void
open_main_channel (Connect *self)
{
  g_autoptr(GError) error = NULL;

  self->main_channel = ferry_peer_connection_create_data_channel (self->pc, self->label, NULL, &error);
  if (self->main_channel == NULL)
    {
      status ("error message=\"%s\"", error->message);
      quit (self, 1);
      return;
    }
  ferry_data_channel_set_buffered_amount_low_threshold (self->main_channel, HIGH_WATER / 4);
  g_signal_connect (self->main_channel, "open", G_CALLBACK (main_open_cb), self);
  g_signal_connect (self->main_channel, "message", G_CALLBACK (main_message_cb), self);
  g_signal_connect (self->main_channel, "close", G_CALLBACK (main_close_cb), self);
  g_signal_connect (self->main_channel, "buffered-amount-low", G_CALLBACK (main_low_cb), self);
}

static void
echo_message_cb (FerryDataChannel *channel,
                 GBytes           *data,
                 gboolean          is_text,
                 Connect          *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->echo)
    return;
  if (is_text)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
      ferry_data_channel_send_text (channel, text, &error);
    }
  else
    ferry_data_channel_send_bytes (channel, data, &error);
  if (error != NULL)
    status ("error message=\"%s\"", error->message);
}

static void
remote_close_cb (FerryDataChannel *channel,
                 Connect          *self)
{
  status ("channel-closed id=%d label=%s", ferry_data_channel_get_id (channel),
          ferry_data_channel_get_label (channel));
  self->remote_open--;
  maybe_finish (self);
}

static void
data_channel_cb (FerryPeerConnection *pc,
                 FerryDataChannel    *channel,
                 Connect             *self)
{
  status ("channel-open id=%d label=%s origin=remote", ferry_data_channel_get_id (channel),
          ferry_data_channel_get_label (channel));
  self->remote_open++;
  if (g_str_equal (ferry_data_channel_get_label (channel), self->label))
    g_signal_connect (channel, "message", G_CALLBACK (main_message_cb), self);
  else
    g_signal_connect (channel, "message", G_CALLBACK (echo_message_cb), self);
  g_signal_connect (channel, "close", G_CALLBACK (remote_close_cb), self);
}

static void
print_selected_pair (FerryPeerConnection *pc)
{
  g_autofree char *pair = ferry_peer_connection_describe_selected_pair (pc);
  g_auto(GStrv) parts = NULL;

  /* "host 10.0.0.1:5000 -> prflx 10.0.0.2:6000" */
  if (pair == NULL || g_strv_length (parts = g_strsplit (pair, " ", -1)) != 5)
    return;
  status ("selected-pair local=%s:%s remote=%s:%s", parts[0], parts[1], parts[3], parts[4]);
}

static void
pc_state_cb (FerryPeerConnection *pc,
             GParamSpec          *pspec,
             Connect             *self)
{
  switch (ferry_peer_connection_get_state (pc))
    {
    case FERRY_PEER_CONNECTION_CONNECTED:
      print_selected_pair (pc);
      status ("dtls-connected cipher=%s role=%s", ferry_peer_connection_get_dtls_cipher (pc),
              ferry_peer_connection_is_dtls_client (pc) ? "client" : "server");
      status ("sctp-connected");
      if (self->main_channel == NULL)
        open_main_channel (self);
      break;
    case FERRY_PEER_CONNECTION_FAILED:
      status ("failed message=\"%s\"", ferry_peer_connection_get_error (pc)->message);
      quit (self, 1);
      break;
    case FERRY_PEER_CONNECTION_CLOSED:
      status ("closed");
      self->main_closed = TRUE;
      self->remote_open = 0;
      self->input_done = TRUE;
      maybe_finish (self);
      break;
    default:
      break;
    }
}

static void
answer_ready_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Connect *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = ferry_peer_connection_create_answer_finish (self->pc, result, &error);
  g_autofree char *json = NULL;

  if (sdp == NULL)
    {
      status ("error message=\"%s\"", error->message);
      quit (self, 1);
      return;
    }
  json = ferry_cli_description_to_json ("answer", sdp);
  output_line (self, json);
}

static void
remote_line_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Connect *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, NULL, &error);
  g_autofree char *sdp = NULL;

  if (line == NULL)
    {
      status ("error message=\"%s\"", error ? error->message : _("no session description on stdin"));
      quit (self, 1);
      return;
    }

  sdp = ferry_cli_description_from_json (line, self->answer ? "offer" : "answer", &error);
  if (sdp == NULL ||
      !ferry_peer_connection_set_remote_description (self->pc, self->answer ? FERRY_SDP_TYPE_OFFER
                                                                            : FERRY_SDP_TYPE_ANSWER,
                                                     sdp, &error))
    {
      status ("error message=\"%s\"", error->message);
      quit (self, 1);
      return;
    }

  if (self->answer)
    ferry_peer_connection_create_answer (self->pc, NULL, answer_ready_cb, self);
}

static void
offer_ready_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Connect *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = ferry_peer_connection_create_offer_finish (self->pc, result, &error);
  g_autofree char *json = NULL;

  if (sdp == NULL)
    {
      status ("error message=\"%s\"", error->message);
      quit (self, 1);
      return;
    }
  json = ferry_cli_description_to_json ("offer", sdp);
  output_line (self, json);
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, remote_line_cb, self);
}

static gboolean
signal_cb (Connect *self,
           int      signum)
{
  ferry_peer_connection_close (self->pc);
  quit (self, 128 + signum);
  return G_SOURCE_REMOVE;
}

static gboolean
sigint_cb (gpointer user_data)
{
  return signal_cb (user_data, SIGINT);
}

static gboolean
sigterm_cb (gpointer user_data)
{
  return signal_cb (user_data, SIGTERM);
}

int
ferry_cli_connect (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_auto(GStrv) turn = NULL;
  g_autofree char *stun = NULL;
  g_autofree char *turn_user = NULL;
  g_autofree char *turn_password = NULL;
  g_autofree char *label = NULL;
  gboolean answer = FALSE, echo = FALSE, text = FALSE, relay_only = FALSE;
  int gather_timeout = 5000;
  Connect self = { 0 };
  const GOptionEntry entries[] = {
    { "answer", 0, 0, G_OPTION_ARG_NONE, &answer, N_("Wait for an offer on stdin and answer it"), NULL },
    { "label", 0, 0, G_OPTION_ARG_STRING, &label, N_("Label of the channel to open (default “ferry”)"), N_("LABEL") },
    { "echo", 0, 0, G_OPTION_ARG_NONE, &echo, N_("Send back what arrives on channels the peer opens"), NULL },
    { "text", 0, 0, G_OPTION_ARG_NONE, &text, N_("Send stdin lines as text messages"), NULL },
    { "stun", 0, 0, G_OPTION_ARG_STRING, &stun, N_("STUN server (stun:host:port)"), N_("URL") },
    { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &turn, N_("TURN server (turn:host:port[?transport=udp|tcp])"), N_("URL") },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &turn_user, N_("TURN user name"), N_("USER") },
    { "turn-password", 0, 0, G_OPTION_ARG_STRING, &turn_password, N_("TURN password"), N_("PASSWORD") },
    { "relay-only", 0, 0, G_OPTION_ARG_NONE, &relay_only, N_("Only connect through a TURN relay"), NULL },
    { "gather-timeout", 0, 0, G_OPTION_ARG_INT, &gather_timeout, N_("Longest wait for candidates, in ms"), N_("MS") },
    { NULL }
  };

  context = g_option_context_new (_("— connect to one peer by exchanging offer and answer by hand"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("ferry-cli connect: %s\n", error->message);
      return 2;
    }

  config = ferry_rtc_config_new ();
  config->gather_timeout_ms = MAX (gather_timeout, 0);
  config->policy = relay_only ? FERRY_ICE_POLICY_RELAY : FERRY_ICE_POLICY_ALL;
  if (stun != NULL && !ferry_rtc_config_add_ice_server (config, stun, NULL, NULL, &error))
    {
      g_printerr ("ferry-cli connect: %s\n", error->message);
      return 2;
    }
  for (guint i = 0; turn != NULL && turn[i] != NULL; i++)
    if (!ferry_rtc_config_add_ice_server (config, turn[i], turn_user, turn_password, &error))
      {
        g_printerr ("ferry-cli connect: %s\n", error->message);
        return 2;
      }

  self.pc = ferry_peer_connection_new (config, &error);
  if (self.pc == NULL)
    {
      g_printerr ("ferry-cli connect: %s\n", error->message);
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  self.loop = loop;
  self.status = -1;
  self.label = label ? label : "ferry";
  self.answer = answer;
  self.echo = echo;
  self.text = text;
  self.input = g_data_input_stream_new (g_unix_input_stream_new (0, FALSE));
  g_object_unref (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self.input)));
  self.output = g_unix_output_stream_new (1, FALSE);
  g_queue_init (&self.output_queue);

  g_signal_connect (self.pc, "notify::state", G_CALLBACK (pc_state_cb), &self);
  g_signal_connect (self.pc, "data-channel", G_CALLBACK (data_channel_cb), &self);
  g_unix_signal_add (SIGINT, sigint_cb, &self);
  g_unix_signal_add (SIGTERM, sigterm_cb, &self);

  if (answer)
    g_data_input_stream_read_line_async (self.input, G_PRIORITY_DEFAULT, NULL, remote_line_cb, &self);
  else
    {
      open_main_channel (&self);
      ferry_peer_connection_create_offer (self.pc, NULL, offer_ready_cb, &self);
    }

  g_main_loop_run (loop);

  /* Let close_notify and the ICE shutdown go out before exiting. */
  ferry_peer_connection_close (self.pc);
  g_output_stream_flush (self.output, NULL, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_clear_object (&self.main_channel);
  g_clear_object (&self.pc);
  g_clear_object (&self.input);
  g_clear_object (&self.output);
  g_queue_clear_full (&self.output_queue, (GDestroyNotify) g_bytes_unref);
  return self.status;
}
