/* ferry-cli-bench.c: data-channel throughput between two processes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The offerer sends --bytes in --message-size messages with bufferedAmount flow control, as a
 * browser app would; the answerer counts them and replies "done".  Signalling is one JSON line
 * each way on stdin/stdout, as with `connect`.  Each side prints one JSON object of figures on
 * stdout when it finishes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <glib/gi18n.h>
#include <gio/gunixinputstream.h>

#include "ferry-cli.h"
#include "ferry-peer-connection.h"

typedef struct {
  GMainLoop           *loop;
  int                  status;
  FerryPeerConnection *pc;
  FerryDataChannel    *channel;
  GDataInputStream    *input;
  gboolean             sender;
  guint64              total;
  gsize                message_size;
  guint64              high_water;
  guint64              sent;
  guint64              received;
  GBytes              *payload;
  gint64               start_us;
  gint64               offer_us;
  gint64               open_us;
  gint64               first_byte_us;
  gint64               done_us;
} Bench;

static void
fail (Bench      *self,
      const char *message)
{
  g_printerr ("ferry-cli bench: %s\n", message);
  self->status = 1;
  g_main_loop_quit (self->loop);
}

static void
print_figures (Bench *self)
{
  struct rusage usage;
  double seconds = (self->done_us - (self->sender ? self->open_us : self->first_byte_us)) / 1e6;
  double cpu;

  getrusage (RUSAGE_SELF, &usage);
  cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
        usage.ru_stime.tv_usec / 1e6;
  g_print ("{\"stack\":\"ferry\",\"role\":\"%s\",\"bytes\":%" G_GUINT64_FORMAT ",\"seconds\":%.3f,"
           "\"mb_per_s\":%.1f,\"cpu_s\":%.3f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,"
           "\"max_rss_kib\":%ld,\"offer_to_open_ms\":%.1f,\"start_to_open_ms\":%.1f}\n",
           self->sender ? "sender" : "receiver", self->total, seconds,
           self->total / seconds / 1e6, cpu,
           usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6,
           usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6, usage.ru_maxrss,
           self->offer_us ? (self->open_us - self->offer_us) / 1e3 : 0.0,
           (self->open_us - self->start_us) / 1e3);
}

static void
finish (Bench *self)
{
  self->done_us = g_get_monotonic_time ();
  print_figures (self);
  self->status = 0;
  g_main_loop_quit (self->loop);
}

static void
pump (Bench *self)
{
  g_autoptr(GError) error = NULL;

  while (self->sent < self->total &&
         ferry_data_channel_get_buffered_amount (self->channel) < self->high_water)
    {
      if (!ferry_data_channel_send_bytes (self->channel, self->payload, &error))
        {
          fail (self, error->message);
          return;
        }
      self->sent += g_bytes_get_size (self->payload);
    }
}

static void
low_cb (FerryDataChannel *channel,
        Bench            *self)
{
  pump (self);
}

static void
message_cb (FerryDataChannel *channel,
            GBytes           *data,
            gboolean          is_text,
            Bench            *self)
{
  g_autoptr(GError) error = NULL;

  if (self->sender)
    {
      if (is_text)
        finish (self);
      return;
    }

  if (self->received == 0)
    self->first_byte_us = g_get_monotonic_time ();
  self->received += g_bytes_get_size (data);
  if (self->received >= self->total)
    {
      ferry_data_channel_send_text (channel, "done", &error);
      finish (self);
    }
}

static void
open_cb (FerryDataChannel *channel,
         Bench            *self)
{
  self->open_us = g_get_monotonic_time ();
  if (self->sender)
    pump (self);
}

static void
watch_channel (Bench            *self,
               FerryDataChannel *channel)
{
  g_set_object (&self->channel, channel);
  ferry_data_channel_set_buffered_amount_low_threshold (channel, self->high_water / 2);
  g_signal_connect (channel, "open", G_CALLBACK (open_cb), self);
  g_signal_connect (channel, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (channel, "buffered-amount-low", G_CALLBACK (low_cb), self);
}

static void
data_channel_cb (FerryPeerConnection *pc,
                 FerryDataChannel    *channel,
                 Bench               *self)
{
  watch_channel (self, channel);
  open_cb (channel, self);
}

static void
state_cb (FerryPeerConnection *pc,
          GParamSpec          *pspec,
          Bench               *self)
{
  if (ferry_peer_connection_get_state (pc) == FERRY_PEER_CONNECTION_FAILED)
    fail (self, ferry_peer_connection_get_error (pc)->message);
}

static void
print_description (const char *type,
                   const char *sdp)
{
  g_autofree char *line = ferry_cli_description_to_json (type, sdp);

  g_print ("%s\n", line);
  fflush (stdout);
}

static char *
read_description (Bench      *self,
                  const char *type)
{
  g_autoptr(GError) error = NULL;
  /* Blocking is fine here: nothing else happens until the peer's description arrives. */
  g_autofree char *line = g_data_input_stream_read_line_utf8 (self->input, NULL, NULL, &error);

  return line ? ferry_cli_description_from_json (line, type, NULL) : NULL;
}

static void
answer_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Bench *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = ferry_peer_connection_create_answer_finish (self->pc, result, &error);

  if (sdp == NULL)
    fail (self, error->message);
  else
    print_description ("answer", sdp);
}

static void
offer_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Bench *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *sdp = ferry_peer_connection_create_offer_finish (self->pc, result, &error);
  g_autofree char *answer = NULL;

  if (sdp == NULL)
    {
      fail (self, error->message);
      return;
    }
  print_description ("offer", sdp);
  self->offer_us = g_get_monotonic_time ();
  answer = read_description (self, "answer");
  if (answer == NULL ||
      !ferry_peer_connection_set_remote_description (self->pc, FERRY_SDP_TYPE_ANSWER, answer, &error))
    fail (self, error ? error->message : _("no answer on stdin"));
}

int
ferry_cli_bench (int    argc,
                 char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  gboolean answer = FALSE;
  gint64 bytes = 1 << 30;
  int message_size = 65536;
  int high_water_kib = 4096;
  Bench self = { 0 };
  const GOptionEntry entries[] = {
    { "answer", 0, 0, G_OPTION_ARG_NONE, &answer, N_("Receive: answer an offer read from stdin"), NULL },
    { "bytes", 0, 0, G_OPTION_ARG_INT64, &bytes, N_("How much to send (default 1 GiB)"), N_("N") },
    { "message-size", 0, 0, G_OPTION_ARG_INT, &message_size, N_("Message size (default 65536)"), N_("N") },
    { "high-water", 0, 0, G_OPTION_ARG_INT, &high_water_kib, N_("Buffered amount to keep queued, KiB (default 4096)"), N_("KIB") },
    { NULL }
  };

  context = g_option_context_new (_("— measure data-channel throughput against another ferry-cli bench"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || bytes <= 0 ||
      message_size <= 0 || high_water_kib <= 0)
    {
      g_printerr ("ferry-cli bench: %s\n", error ? error->message : _("sizes must be positive"));
      return 2;
    }

  self.start_us = g_get_monotonic_time ();
  config = ferry_rtc_config_new ();
  self.pc = ferry_peer_connection_new (config, &error);
  if (self.pc == NULL)
    {
      g_printerr ("ferry-cli bench: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  self.loop = loop;
  self.status = 1;
  self.sender = !answer;
  self.total = bytes;
  self.message_size = message_size;
  self.high_water = (guint64) high_water_kib * 1024;
  self.payload = g_bytes_new_take (g_malloc0 (message_size), message_size);
  self.input = g_data_input_stream_new (g_unix_input_stream_new (0, FALSE));
  g_object_unref (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self.input)));
  g_signal_connect (self.pc, "notify::state", G_CALLBACK (state_cb), &self);

  if (self.sender)
    {
      g_autoptr(FerryDataChannel) channel = ferry_peer_connection_create_data_channel (self.pc, "bench", NULL, &error);
      watch_channel (&self, channel);
      ferry_peer_connection_create_offer (self.pc, NULL, offer_cb, &self);
    }
  else
    {
      g_autofree char *offer = read_description (&self, "offer");

      g_signal_connect (self.pc, "data-channel", G_CALLBACK (data_channel_cb), &self);
      if (offer == NULL ||
          !ferry_peer_connection_set_remote_description (self.pc, FERRY_SDP_TYPE_OFFER, offer, &error))
        {
          g_printerr ("ferry-cli bench: %s\n", error ? error->message : _("no offer on stdin"));
          return 1;
        }
      ferry_peer_connection_create_answer (self.pc, NULL, answer_cb, &self);
    }

  g_main_loop_run (loop);

  ferry_peer_connection_close (self.pc);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&self.channel);
  g_clear_object (&self.pc);
  g_clear_object (&self.input);
  g_bytes_unref (self.payload);
  return self.status;
}
