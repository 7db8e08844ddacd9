/* ferry-cli-transfer.c: ferry-cli send and ferry-cli receive
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both follow their transfers and report them on stdout: on a terminal as text with a progress
 * bar, otherwise (or with --json) as one JSON object per line, described in docs/CLI.md.  Room
 * events go to stderr as "ferry-cli: EVENT key=value…" lines, as in ferry-cli chat.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>
#include <json-glib/json-glib.h>
#include <qrencode.h>

#include "ferry-cli.h"
#include "ferry-cli-room.h"
#include "ferry-pairing.h"
#include "ferry-session.h"
#include "ferry-text.h"
#include "ferry-transfer-enums.h"
#include "ferry-transfer-manager.h"

/* Exit codes (docs/CLI.md). */
enum {
  EXIT_DONE = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_DECLINED = 3,
};

#define TICK_MS 500

typedef struct {
  FerryTransfer *transfer;
  guint64        last_bytes;
  gint64         last_us;
  double         rate;         /* bytes per second, smoothed */
  gboolean       waited;       /* it was waiting for its peer: the next start is a resume */
} Followed;

typedef struct {
  GMainLoop            *loop;
  FerryRoom            *room;
  FerryCliRoomOptions  *options;
  FerryPairing         *pairing;     /* instead of a room: a pairing code's one peer */
  gboolean              paired;      /* that peer proved it has the code */
  FerryTransferManager *manager;
  gboolean              json;
  gboolean              yes;
  gboolean              tty;
  int                   status;
  gboolean              quitting;

  /* send */
  FerryTransferSources *sources;
  GHashTable           *offered;     /* FerryPeer we offered to, or told that it cannot receive */

  /* receive */
  GFile                *dir;
  GDataInputStream     *input;
  GQueue                questions;   /* FerryTransfer waiting for a yes or no */
  int                   min_offers;  /* --offers: stay until this many offers came */
  int                   offers;      /* offers that came, refused ones included */
  gboolean              asking;
  gboolean              declined;

  GPtrArray            *followed;    /* Followed */
  guint                 tick;
  gboolean              bar_shown;
} Cli;

/* Output */

static void
clear_bar (Cli *self)
{
  if (self->bar_shown)
    {
      g_print ("\r\033[K");
      self->bar_shown = FALSE;
    }
}

static void
print_json (Cli         *self,
            JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *line = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  line = json_to_string (root, FALSE);
  g_print ("%s\n", line);
  fflush (stdout);
}

static JsonBuilder *
json_event (const char    *type,
            FerryTransfer *transfer)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  if (transfer != NULL)
    {
      json_builder_set_member_name (builder, "transfer");
      json_builder_add_string_value (builder, ferry_transfer_get_id (transfer));
    }
  return builder;
}

/* Text lines on a terminal, or the same as a JSON "message". */
static void
print_line (Cli           *self,
            const char    *type,
            FerryTransfer *transfer,
            const char    *text)
{
  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_event (type, transfer);

      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, text);
      print_json (self, builder);
      return;
    }
  clear_bar (self);
  g_print ("%s\n", text);
  fflush (stdout);
}

static void
print_error (Cli           *self,
             FerryTransfer *transfer,
             const char    *message)
{
  if (self->json)
    print_line (self, "error", transfer, message);
  else
    {
      clear_bar (self);
      g_printerr ("ferry-cli: %s\n", message);
    }
}

void
ferry_cli_print_qr (const char *text)
{
  QRcode *code = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_L);

  if (code == NULL)
    return;
  /* Two rows of modules per line of text, with a quiet zone of two modules. */
  for (int y = -2; y < code->width + 2; y += 2)
    {
      g_autoptr(GString) line = g_string_new (NULL);

      for (int x = -2; x < code->width + 2; x++)
        {
          gboolean top = y >= 0 && x >= 0 && x < code->width && (code->data[y * code->width + x] & 1);
          gboolean bottom = y + 1 >= 0 && y + 1 < code->width && x >= 0 && x < code->width &&
                            (code->data[(y + 1) * code->width + x] & 1);

          /* Light on dark terminals and dark on light ones: draw the light modules. */
          g_string_append (line, !top && !bottom ? "█" : !top ? "▀" : !bottom ? "▄" : " ");
        }
      g_print ("%s\n", line->str);
    }
  QRcode_free (code);
}

static void
print_offer (Cli           *self,
             FerryTransfer *transfer,
             gboolean       resumed)
{
  guint n = ferry_transfer_get_n_files (transfer);
  g_autofree char *size = g_format_size (ferry_transfer_get_total (transfer));
  g_autofree char *text = NULL;
  gboolean incoming = ferry_transfer_get_direction (transfer) == FERRY_TRANSFER_DIRECTION_RECEIVE;

  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_event ("offer", transfer);

      json_builder_set_member_name (builder, "direction");
      json_builder_add_string_value (builder, incoming ? "receive" : "send");
      json_builder_set_member_name (builder, "peer");
      json_builder_add_string_value (builder, ferry_transfer_get_peer_name (transfer));
      json_builder_set_member_name (builder, "files");
      json_builder_add_int_value (builder, n);
      json_builder_set_member_name (builder, "total");
      json_builder_add_int_value (builder, ferry_transfer_get_total (transfer));
      json_builder_set_member_name (builder, "resumed");
      json_builder_add_boolean_value (builder, resumed);
      json_builder_set_member_name (builder, "paths");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n; i++)
        json_builder_add_string_value (builder, ferry_transfer_get_file_path (transfer, i));
      json_builder_end_array (builder);
      print_json (self, builder);
      return;
    }

  if (resumed)
    text = g_strdup_printf (_("Resuming %s (%s) with %s"),
                            n == 1 ? ferry_transfer_get_file_path (transfer, 0) : _("the files"),
                            size, ferry_transfer_get_peer_name (transfer));
  else if (incoming)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s offers %u file (%s):",
                                         "%s offers %u files (%s):", n),
                            ferry_transfer_get_peer_name (transfer), n, size);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Offering %u file (%s) to %s",
                                         "Offering %u files (%s) to %s", n),
                            n, size, ferry_transfer_get_peer_name (transfer));
  print_line (self, "offer", transfer, text);
  if (incoming && !resumed)
    for (guint i = 0; i < n && i < 10; i++)
      {
        g_autofree char *file_size = g_format_size (ferry_transfer_get_file_size (transfer, i));

        g_print ("  %s (%s)\n", ferry_transfer_get_file_path (transfer, i), file_size);
      }
  if (incoming && !resumed && n > 10)
    g_print (_("  … and %u more\n"), n - 10);
}

static void
print_progress (Cli      *self,
                Followed *followed)
{
  FerryTransfer *transfer = followed->transfer;
  guint64 done = ferry_transfer_get_bytes_done (transfer);
  guint64 total = ferry_transfer_get_total (transfer);

  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_event ("progress", transfer);

      json_builder_set_member_name (builder, "bytes");
      json_builder_add_int_value (builder, done);
      json_builder_set_member_name (builder, "total");
      json_builder_add_int_value (builder, total);
      json_builder_set_member_name (builder, "rate");
      json_builder_add_int_value (builder, (gint64) followed->rate);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, ferry_enum_nick (FERRY_TYPE_TRANSFER_STATE,
                                                               ferry_transfer_get_state (transfer)));
      print_json (self, builder);
    }
  else if (self->tty)
    {
      g_autofree char *rate = g_format_size ((guint64) followed->rate);
      g_autofree char *eta = NULL;
      char bar[31];
      guint filled = total ? (guint) (done * 30 / total) : 30;

      memset (bar, '#', filled);
      memset (bar + filled, '.', 30 - filled);
      bar[30] = '\0';
      if (followed->rate > 1 && total > done)
        {
          guint64 seconds = (guint64) ((total - done) / followed->rate);

          eta = g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u", seconds / 60, (guint) (seconds % 60));
        }
      g_print ("\r\033[K%-20.20s %3u%% [%s] %s/s %s %s",
               ferry_transfer_get_peer_name (transfer), total ? (guint) (done * 100 / total) : 100,
               bar, rate, eta ? _("ETA") : "", eta ? eta : "");
      fflush (stdout);
      self->bar_shown = TRUE;
    }
}

static void
file_done_cb (FerryTransfer *transfer,
              guint          index,
              Cli           *self)
{
  const char *path = ferry_transfer_get_file_path (transfer, index);
  const char *sha256 = ferry_transfer_get_file_sha256 (transfer, index);

  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_event ("file-done", transfer);
      GFile *file = ferry_transfer_get_file (transfer, index);

      json_builder_set_member_name (builder, "file");
      json_builder_add_int_value (builder, index);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, path);
      if (file != NULL && g_file_peek_path (file) != NULL)
        {
          json_builder_set_member_name (builder, "local");
          json_builder_add_string_value (builder, g_file_peek_path (file));
        }
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, ferry_transfer_get_file_size (transfer, index));
      json_builder_set_member_name (builder, "sha256");
      json_builder_add_string_value (builder, sha256 ? sha256 : "");
      print_json (self, builder);
    }
  else if (self->tty)
    {
      clear_bar (self);
      g_print ("✓ %s\n", path);
    }
}

static void
file_failed_cb (FerryTransfer *transfer,
                guint          index,
                const char    *reason,
                Cli           *self)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", ferry_transfer_get_file_path (transfer, index), reason);

  print_error (self, transfer, text);
}

/* Ending */

static gboolean
is_running (FerryTransfer *transfer)
{
  FerryTransferState state = ferry_transfer_get_state (transfer);

  return state == FERRY_TRANSFER_STATE_RUNNING || state == FERRY_TRANSFER_STATE_PAUSED;
}

static void
quit (Cli *self,
      int  status)
{
  if (self->quitting)
    return;
  self->quitting = TRUE;
  self->status = status;
  g_main_loop_quit (self->loop);
}

/* send: once one peer has everything and nothing accepted is still running; receive: once every
 * accepted transfer ended.  A transfer that only waits for its peer to come back does not keep
 * the sender: running the command again resumes it. */
static void
check_exit (Cli *self)
{
  guint done = 0, running = 0, pending = 0, declined = 0, failed = 0;
  gboolean sending = self->sources != NULL;

  for (guint i = 0; i < self->followed->len; i++)
    {
      FerryTransfer *transfer = ((Followed *) g_ptr_array_index (self->followed, i))->transfer;

      switch (ferry_transfer_get_state (transfer))
        {
        case FERRY_TRANSFER_STATE_DONE:
          done++;
          break;
        case FERRY_TRANSFER_STATE_DECLINED:
        case FERRY_TRANSFER_STATE_CANCELLED:
          declined++;
          break;
        case FERRY_TRANSFER_STATE_FAILED:
          failed++;
          break;
        case FERRY_TRANSFER_STATE_OFFERED:
          pending++;
          break;
        case FERRY_TRANSFER_STATE_WAITING:
          if (!sending)
            running++;
          break;
        default:
          /* The receiver stops on an error of its own disk; the .part files wait for a rerun. */
          if (!sending && ferry_transfer_get_paused_locally (transfer))
            failed++;
          else
            running++;
          break;
        }
    }

  if (running > 0 || (!sending && (self->asking || self->offers < self->min_offers)))
    return;
  if (sending)
    {
      if (done > 0)
        quit (self, EXIT_DONE);
      else if (pending == 0 && (failed > 0 || declined > 0))
        quit (self, failed > 0 ? EXIT_FAILED : EXIT_DECLINED);
      return;
    }
  if (failed > 0)
    quit (self, EXIT_FAILED);
  else if (declined > 0 && done == 0)
    quit (self, EXIT_DECLINED);
  else if (done > 0)
    quit (self, EXIT_DONE);
  else if (self->declined && pending == 0)
    quit (self, EXIT_DECLINED);
}

static Followed *
find_followed (Cli           *self,
               FerryTransfer *transfer)
{
  for (guint i = 0; i < self->followed->len; i++)
    if (((Followed *) g_ptr_array_index (self->followed, i))->transfer == transfer)
      return g_ptr_array_index (self->followed, i);
  return NULL;
}

static void
state_cb (FerryTransfer *transfer,
          GParamSpec    *pspec,
          Cli           *self)
{
  FerryTransferState state = ferry_transfer_get_state (transfer);
  const char *reason = ferry_transfer_get_reason (transfer);
  Followed *followed = find_followed (self, transfer);
  g_autofree char *text = NULL;

  switch (state)
    {
    case FERRY_TRANSFER_STATE_WAITING:
      followed->waited = TRUE;
      print_line (self, "waiting", transfer, _("Waiting for the other side to come back…"));
      break;
    case FERRY_TRANSFER_STATE_RUNNING:
      /* Bytes the receiver held and proved, that did not travel again. */
      if (followed->waited)
        {
          followed->waited = FALSE;
          followed->last_bytes = ferry_transfer_get_bytes_done (transfer);
          if (self->json)
            {
              g_autoptr(JsonBuilder) builder = json_event ("resumed", transfer);

              json_builder_set_member_name (builder, "bytes");
              json_builder_add_int_value (builder, ferry_transfer_get_bytes_done (transfer));
              print_json (self, builder);
            }
          else
            {
              g_autofree char *size = g_format_size (ferry_transfer_get_bytes_done (transfer));

              text = g_strdup_printf (_("Resumed after %s"), size);
              print_line (self, "resumed", transfer, text);
            }
        }
      break;
    case FERRY_TRANSFER_STATE_DONE:
      if (self->json)
        {
          g_autoptr(JsonBuilder) builder = json_event ("done", transfer);

          json_builder_set_member_name (builder, "peer");
          json_builder_add_string_value (builder, ferry_transfer_get_peer_name (transfer));
          json_builder_set_member_name (builder, "carried");
          json_builder_add_int_value (builder, ferry_transfer_get_bytes_carried (transfer));
          print_json (self, builder);
        }
      else
        {
          text = g_strdup_printf (_("Done: %s with %s"), ferry_transfer_get_id (transfer),
                                  ferry_transfer_get_peer_name (transfer));
          print_line (self, "done", transfer, text);
        }
      break;
    case FERRY_TRANSFER_STATE_DECLINED:
    case FERRY_TRANSFER_STATE_CANCELLED:
    case FERRY_TRANSFER_STATE_FAILED:
      text = g_strdup_printf ("%s (%s): %s", ferry_transfer_get_peer_name (transfer),
                              ferry_enum_nick (FERRY_TYPE_TRANSFER_STATE, state),
                              reason ? reason : _("no reason given"));
      print_error (self, transfer, text);
      break;
    case FERRY_TRANSFER_STATE_PAUSED:
      if (ferry_transfer_get_paused_locally (transfer) && reason != NULL)
        print_error (self, transfer, reason);
      break;
    default:
      break;
    }
  check_exit (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  Cli *self = user_data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < self->followed->len; i++)
    {
      Followed *followed = g_ptr_array_index (self->followed, i);
      guint64 bytes = ferry_transfer_get_bytes_done (followed->transfer);
      double seconds = (now - followed->last_us) / (double) G_USEC_PER_SEC;

      if (!is_running (followed->transfer))
        continue;
      if (seconds > 0 && bytes >= followed->last_bytes)
        {
          double rate = (bytes - followed->last_bytes) / seconds;

          followed->rate = followed->rate == 0 ? rate : 0.7 * followed->rate + 0.3 * rate;
        }
      followed->last_bytes = bytes;
      followed->last_us = now;
      print_progress (self, followed);
    }
  return G_SOURCE_CONTINUE;
}

static void
follow (Cli           *self,
        FerryTransfer *transfer)
{
  Followed *followed;

  if (find_followed (self, transfer))
    return;
  followed = g_new0 (Followed, 1);
  followed->transfer = g_object_ref (transfer);
  followed->last_bytes = ferry_transfer_get_bytes_done (transfer);
  followed->last_us = g_get_monotonic_time ();
  /* Kept from an earlier run. */
  followed->waited = ferry_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_WAITING;
  g_ptr_array_add (self->followed, followed);
  g_signal_connect (transfer, "notify::state", G_CALLBACK (state_cb), self);
  g_signal_connect (transfer, "file-done", G_CALLBACK (file_done_cb), self);
  g_signal_connect (transfer, "file-failed", G_CALLBACK (file_failed_cb), self);
}

/* Running the command again is the user asking to go on: a transfer kept from an earlier run
 * that stopped on an error of this side (a full disk, an unreadable file) is resumed. */
static void
follow_kept (Cli           *self,
             FerryTransfer *transfer)
{
  print_offer (self, transfer, TRUE);
  follow (self, transfer);
  if (ferry_transfer_get_paused_locally (transfer))
    ferry_transfer_resume (transfer, NULL);
}

static void
followed_free (gpointer data)
{
  Followed *followed = data;

  g_signal_handlers_disconnect_matched (followed->transfer, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, state_cb, NULL);
  g_signal_handlers_disconnect_matched (followed->transfer, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, file_done_cb, NULL);
  g_signal_handlers_disconnect_matched (followed->transfer, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, file_failed_cb, NULL);
  g_object_unref (followed->transfer);
  g_free (followed);
}

/* Sending */

static gboolean
sources_have_folders (FerryTransferSources *sources)
{
  if (ferry_transfer_sources_get_folders (sources)[0] != NULL)
    return TRUE;
  for (guint i = 0; i < ferry_transfer_sources_get_n_files (sources); i++)
    if (strchr (ferry_transfer_sources_get_path (sources, i), '/') != NULL)
      return TRUE;
  return FALSE;
}

static void
offer_to (Cli       *self,
          FerryPeer *peer)
{
  g_autoptr(FerryTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  if (g_hash_table_contains (self->offered, peer))
    return;
  if (ferry_peer_get_kind (peer) == FERRY_PEER_KIND_P2PT)
    {
      g_autofree char *text = g_strdup_printf (_("%s uses an app that can only chat; no files go to it"),
                                               ferry_peer_get_display_name (peer));

      g_hash_table_add (self->offered, g_object_ref (peer));
      print_line (self, "note", NULL, text);
      return;
    }
  if (!ferry_transfer_manager_peer_can_receive (peer))
    return;

  g_hash_table_add (self->offered, g_object_ref (peer));
  if (ferry_peer_get_kind (peer) == FERRY_PEER_KIND_WEBDROP && sources_have_folders (self->sources))
    {
      g_autofree char *text = g_strdup_printf (_("WebDrop has no folders: %s gets each file by its name only"),
                                               ferry_peer_get_display_name (peer));

      print_line (self, "note", NULL, text);
    }
  if (!(transfer = ferry_transfer_manager_send (self->manager, peer, self->sources, &error)))
    {
      print_error (self, NULL, error->message);
      return;
    }
  if (ferry_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_OFFERED)
    {
      print_offer (self, transfer, FALSE);
      follow (self, transfer);
    }
  else
    follow_kept (self, transfer);
}

static void
peer_changed_cb (FerryPeer  *peer,
                 GParamSpec *pspec,
                 Cli        *self)
{
  offer_to (self, peer);
}

static void
send_peer_joined_cb (FerryRoom *room,
                     FerryPeer *peer,
                     Cli       *self)
{
  /* In a plain room a peer joins before its hello says what it is. */
  g_signal_connect (peer, "notify::kind", G_CALLBACK (peer_changed_cb), self);
  offer_to (self, peer);
}

/* Receiving */

static void ask_next (Cli *self);

static void
accept_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Cli *self = user_data;
  FerryTransfer *transfer = FERRY_TRANSFER (source);
  g_autoptr(GError) error = NULL;

  if (!ferry_transfer_accept_finish (transfer, result, &error))
    {
      print_error (self, transfer, error->message);
      ferry_transfer_decline (transfer, error->message, NULL);
    }
  check_exit (self);
}

static void
answer (Cli           *self,
        FerryTransfer *transfer,
        gboolean       yes)
{
  if (yes)
    {
      follow (self, transfer);
      ferry_transfer_accept_async (transfer, self->dir, NULL, 0, NULL, accept_done_cb, self);
      return;
    }
  self->declined = TRUE;
  ferry_transfer_decline (transfer, _("Declined"), NULL);
  follow (self, transfer);
}

static void
answer_cb (GObject      *stream,
           GAsyncResult *result,
           gpointer      user_data)
{
  Cli *self = user_data;
  g_autoptr(FerryTransfer) transfer = g_queue_pop_head (&self->questions);
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, NULL, NULL);
  gboolean yes = line != NULL && (g_ascii_strncasecmp (g_strstrip (line), "y", 1) == 0);

  self->asking = FALSE;
  if (ferry_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_OFFERED)
    answer (self, transfer, yes);
  ask_next (self);
  check_exit (self);
}

/* Offers are asked about one at a time, on stdin. */
static void
ask_next (Cli *self)
{
  FerryTransfer *transfer = g_queue_peek_head (&self->questions);

  if (self->asking || transfer == NULL)
    return;
  self->asking = TRUE;
  if (!self->json)
    {
      g_print (_("Accept into %s? [y/N] "), g_file_peek_path (self->dir));
      fflush (stdout);
    }
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, answer_cb, self);
}

static void
transfer_added_cb (FerryTransferManager *manager,
                   FerryTransfer        *transfer,
                   Cli                  *self)
{
  if (ferry_transfer_get_direction (transfer) != FERRY_TRANSFER_DIRECTION_RECEIVE)
    return;
  self->offers++;
  print_offer (self, transfer, FALSE);
  if (self->yes)
    answer (self, transfer, TRUE);
  else
    {
      g_queue_push_tail (&self->questions, g_object_ref (transfer));
      ask_next (self);
    }
}

/* A transfer kept from an earlier run goes on once its peer is back. */
static void
resumed_peer_cb (FerryTransfer *transfer,
                 GParamSpec    *pspec,
                 Cli           *self)
{
  if (ferry_transfer_get_peer (transfer) == NULL || ferry_transfer_is_finished (transfer))
    return;
  g_signal_handlers_disconnect_by_func (transfer, resumed_peer_cb, self);
  follow_kept (self, transfer);
}

static void
offer_refused_cb (FerryTransferManager *manager,
                  FerryPeer            *peer,
                  const GError         *error,
                  Cli                  *self)
{
  self->offers++;
  print_error (self, NULL, error->message);
  check_exit (self);
}

/* Common */

/* With --json --yes, a program drives the transfers on stdin: "pause ID", "resume ID",
 * "cancel ID", one a line. */
static void
command_cb (GObject      *stream,
            GAsyncResult *result,
            gpointer      user_data)
{
  Cli *self = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, NULL, NULL);
  g_auto(GStrv) words = NULL;
  g_autoptr(GError) error = NULL;
  FerryTransfer *transfer = NULL;

  if (line == NULL || self->quitting)
    return;
  words = g_strsplit (g_strstrip (line), " ", 2);
  for (guint i = 0; words[0] != NULL && words[1] != NULL && i < self->followed->len; i++)
    if (g_str_equal (ferry_transfer_get_id (((Followed *) g_ptr_array_index (self->followed, i))->transfer),
                     words[1]))
      transfer = ((Followed *) g_ptr_array_index (self->followed, i))->transfer;
  /* The owner of a pairing code takes the reader's reply code. */
  if (self->pairing != NULL && words[0] != NULL && g_str_equal (words[0], "reply") && words[1] != NULL)
    {
      if (!ferry_pairing_add_reply (self->pairing, words[1], &error))
        print_error (self, NULL, error->message);
      else
        print_line (self, "note", NULL, _("Reply code accepted"));
      g_clear_error (&error);
    }
  else if (transfer == NULL)
    print_error (self, NULL, _("Commands are “pause ID”, “resume ID” and “cancel ID”, with the id of a transfer"));
  else if (g_str_equal (words[0], "pause"))
    ferry_transfer_pause (transfer, &error);
  else if (g_str_equal (words[0], "resume"))
    ferry_transfer_resume (transfer, &error);
  else if (g_str_equal (words[0], "cancel"))
    ferry_transfer_cancel (transfer, NULL);
  else
    print_error (self, transfer, _("Commands are “pause ID”, “resume ID” and “cancel ID”, with the id of a transfer"));
  if (error != NULL)
    print_error (self, transfer, error->message);
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, command_cb, self);
}

static gboolean
signal_cb (gpointer user_data)
{
  Cli *self = user_data;

  /* Interrupted: unfinished transfers stay in the state store, and running the same command
   * again resumes them. */
  quit (self, EXIT_FAILED);
  return G_SOURCE_REMOVE;
}

/* Pairing codes: the one peer, once it proved it has the code, is like a room's member. */

static void
paired_verified_cb (FerryPeer  *peer,
                    GParamSpec *pspec,
                    Cli        *self)
{
  if (self->paired || !ferry_peer_get_verified (peer))
    return;
  self->paired = TRUE;
  ferry_cli_print_peer_joined (peer, self->options);
  ferry_transfer_manager_add_peer (self->manager, peer);
  if (self->sources == NULL)
    return;
  /* Its hello says it takes files right after it proved the code. */
  g_signal_connect (peer, "notify::kind", G_CALLBACK (peer_changed_cb), self);
  offer_to (self, peer);
}

static void
pairing_failed_cb (FerryPairing *pairing,
                   const GError *error,
                   Cli          *self)
{
  print_error (self, NULL, error->message);
  quit (self, EXIT_FAILED);
}

/* A link to show: our code ("pairing"), or our reply to the owner's ("reply"). */
static void
print_pairing_link (Cli        *self,
                    const char *type,
                    const char *link)
{
  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_event (type, NULL);

      json_builder_set_member_name (builder, "link");
      json_builder_add_string_value (builder, link);
      print_json (self, builder);
      return;
    }
  g_print ("%s\n%s\n", g_str_equal (type, "pairing")
                            ? _("Pairing code, for the other computer (“ferry-cli receive LINK” or the app):")
                            : _("Nothing got through yet: enter this reply code on the other computer:"),
           link);
  if (self->tty)
    ferry_cli_print_qr (link);
  fflush (stdout);
}

static void
pairing_reply_cb (FerryPairing *pairing,
                  const char   *link,
                  Cli          *self)
{
  print_pairing_link (self, "reply", link);
}

static void
pairing_started_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Cli *self = user_data;
  g_autoptr(GError) error = NULL;
  FerryPeer *peer;

  self->pairing = ferry_pairing_new_finish (result, &error);
  if (self->pairing == NULL)
    {
      print_error (self, NULL, error->message);
      quit (self, EXIT_FAILED);
      return;
    }
  if (ferry_pairing_get_link (self->pairing) != NULL)
    print_pairing_link (self, "pairing", ferry_pairing_get_link (self->pairing));
  peer = ferry_pairing_get_peer (self->pairing);
  g_signal_connect (self->pairing, "failed", G_CALLBACK (pairing_failed_cb), self);
  g_signal_connect (self->pairing, "reply", G_CALLBACK (pairing_reply_cb), self);
  g_signal_connect (peer, "notify::verified", G_CALLBACK (paired_verified_cb), self);
}

/* In the room of @link, or, with @pairing (a code to read, or "" to make one), with the one peer
 * of a pairing code. */
static int
run (Cli                 *self,
     FerryRoomLink       *link,
     const char          *pairing,
     FerryCliRoomOptions *options,
     const char          *command)
{
  g_autoptr(FerryRoom) room = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  int status = 0;

  self->loop = loop;
  self->options = options;
  self->tty = isatty (STDOUT_FILENO);
  self->json = self->json || !self->tty;
  if (pairing == NULL && !(room = ferry_cli_room_new (command, options, link, &status)))
    return status;
  if (pairing != NULL &&
      !ferry_cli_pair_start (command, options, pairing, FERRY_PAIRING_DEFAULT_LIFETIME_S,
                             pairing_started_cb, self, &status))
    return status;

  self->room = room;
  self->followed = g_ptr_array_new_with_free_func (followed_free);
  if (room != NULL)
    {
      ferry_transfer_manager_add_room (self->manager, room);
      /* Offers go to each peer as it joins. */
      if (self->sources != NULL)
        g_signal_connect (room, "peer-joined", G_CALLBACK (send_peer_joined_cb), self);
    }
  self->tick = g_timeout_add (TICK_MS, tick_cb, self);
  g_unix_signal_add (SIGINT, signal_cb, self);
  g_unix_signal_add (SIGTERM, signal_cb, self);

  if (self->json && self->yes)
    {
      if (self->input == NULL)
        {
          self->input = g_data_input_stream_new (g_unix_input_stream_new (0, FALSE));
          g_object_unref (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self->input)));
        }
      g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, command_cb, self);
    }

  if (room != NULL)
    ferry_cli_room_join (room, options);
  g_main_loop_run (loop);

  clear_bar (self);
  g_source_remove (self->tick);
  /* Let the last messages, "stopped" and the closing of connections reach the others. */
  if (room != NULL)
    ferry_room_leave (room);
  if (self->pairing != NULL)
    {
      g_signal_handlers_disconnect_by_data (ferry_pairing_get_peer (self->pairing), self);
      g_signal_handlers_disconnect_by_data (self->pairing, self);
    }
  ferry_cli_drain (loop);

  if (room != NULL)
    ferry_transfer_manager_remove_room (self->manager, room);
  g_clear_object (&self->pairing);
  g_ptr_array_unref (self->followed);
  return self->status;
}

static GFile *
state_dir_for (const char *path)
{
  return path ? g_file_new_for_commandline_arg (path) : ferry_transfer_manager_get_default_state_dir ();
}

int
ferry_cli_send (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *room = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GFile) state_dir = NULL;
  gboolean pair = FALSE;
  FerryCliRoomOptions options = { 0 };
  Cli self = { 0 };
  int status;
  const GOptionEntry entries[] = {
    { "room", 0, 0, G_OPTION_ARG_STRING, &room, N_("Room or link to offer the files in (default: a new secret room)"), N_("ROOM-OR-LINK") },
    { "pair", 0, 0, G_OPTION_ARG_NONE, &pair, N_("Make a pairing code instead, and send to whoever reads it (no server)"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &self.json, N_("One JSON object per line on stdout"), NULL },
    { "yes", 0, 0, G_OPTION_ARG_NONE, &self.yes, N_("Do not ask anything"), NULL },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state, N_("Where unfinished transfers are kept"), N_("DIR") },
    { NULL }
  };

  context = g_option_context_new (_("PATH… — offer files and folders to everyone in a room"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  ferry_cli_room_add_options (context, &options);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      g_printerr ("ferry-cli send: %s\n", error ? error->message : _("name the files to send"));
      ferry_cli_room_options_clear (&options);
      return EXIT_USAGE;
    }

  for (int i = 1; i < argc; i++)
    g_ptr_array_add (files, g_file_new_for_commandline_arg (argv[i]));
  if (!(self.sources = ferry_transfer_sources_scan ((GFile * const *) files->pdata, files->len, NULL, &error)))
    {
      g_printerr ("ferry-cli send: %s\n", error->message);
      ferry_cli_room_options_clear (&options);
      return EXIT_USAGE;
    }

  state_dir = state_dir_for (state);
  self.manager = ferry_transfer_manager_new (state_dir);
  /* The same files again after an interruption: back to the room they were offered in. */
  if (room == NULL)
    {
      FerryTransfer *earlier = ferry_transfer_manager_find_sent (self.manager, self.sources);

      if (earlier != NULL && ferry_transfer_get_room_link (earlier) != NULL)
        room = g_strdup (ferry_transfer_get_room_link (earlier));
    }

  self.offered = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  /* With a pairing code, made here or given as the room, there is no room at all. */
  if (pair || (room != NULL && ferry_pairing_code_is_link (room)))
    {
      status = run (&self, NULL, pair ? "" : room, &options, "send");
      goto out;
    }

  status = EXIT_USAGE;
  if (room != NULL)
    link = ferry_cli_room_parse_link ("send", &options, room, &status);
  else if (!(link = ferry_room_link_new_secret (NULL, &error)))
    g_printerr ("ferry-cli send: %s\n", error->message);
  if (link == NULL)
    {
      g_hash_table_unref (self.offered);
      g_clear_object (&self.sources);
      g_clear_object (&self.manager);
      ferry_cli_room_options_clear (&options);
      return status;
    }

  {
    g_autofree char *text = ferry_room_link_to_string (link);

    if (self.json || !isatty (STDOUT_FILENO))
      {
        g_autoptr(JsonBuilder) builder = json_event ("room", NULL);

        json_builder_set_member_name (builder, "link");
        json_builder_add_string_value (builder, text);
        print_json (&self, builder);
      }
    else
      {
        g_print (_("Room link, for the others to receive with “ferry-cli receive LINK” or the app:\n%s\n"), text);
        ferry_cli_print_qr (text);
      }
  }

  status = run (&self, link, NULL, &options, "send");

out:
  g_clear_object (&self.input);
  g_hash_table_unref (self.offered);
  g_clear_object (&self.sources);
  g_clear_object (&self.manager);
  ferry_cli_room_options_clear (&options);
  return status;
}

int
ferry_cli_receive (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GSettings) settings = ferry_cli_app_settings ();
  g_autofree char *dir = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GFile) state_dir = NULL;
  gboolean pair = FALSE;
  const char *pairing = NULL;
  FerryCliRoomOptions options = { 0 };
  Cli self = { 0 };
  int status;
  GListModel *transfers;
  const GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, N_("Folder to save the files in (default: the app’s download folder)"), N_("DIR") },
    { "pair", 0, 0, G_OPTION_ARG_NONE, &pair, N_("Make a pairing code instead of joining a room, and receive from whoever reads it"), NULL },
    { "offers", 0, 0, G_OPTION_ARG_INT, &self.min_offers, N_("Stay until this many offers came (refused ones count), then until they ended"), N_("N") },
    { "yes", 0, 0, G_OPTION_ARG_NONE, &self.yes, N_("Accept every offer without asking"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &self.json, N_("One JSON object per line on stdout"), NULL },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state, N_("Where unfinished transfers are kept"), N_("DIR") },
    { NULL }
  };

  context = g_option_context_new (_("ROOM-OR-LINK — receive files offered in a room"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  ferry_cli_room_add_options (context, &options);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != (pair ? 1 : 2))
    {
      g_printerr ("ferry-cli receive: %s\n", error ? error->message
                                                   : pair ? _("--pair takes no room")
                                                          : _("name one room or link"));
      ferry_cli_room_options_clear (&options);
      return EXIT_USAGE;
    }
  if (pair || ferry_pairing_code_is_link (argv[1]))
    pairing = pair ? "" : argv[1];
  else if (!(link = ferry_cli_room_parse_link ("receive", &options, argv[1], &status)))
    {
      ferry_cli_room_options_clear (&options);
      return status;
    }

  if (dir == NULL && settings != NULL)
    dir = g_settings_get_string (settings, "download-folder");
  self.dir = dir != NULL && *dir != '\0' ? g_file_new_for_commandline_arg (dir)
                                         : ferry_session_get_default_download_folder ();
  self.input = g_data_input_stream_new (g_unix_input_stream_new (0, FALSE));
  g_object_unref (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self.input)));
  g_queue_init (&self.questions);

  state_dir = state_dir_for (state);
  self.manager = ferry_transfer_manager_new (state_dir);
  g_signal_connect (self.manager, "transfer-added", G_CALLBACK (transfer_added_cb), &self);
  g_signal_connect (self.manager, "offer-refused", G_CALLBACK (offer_refused_cb), &self);
  transfers = ferry_transfer_manager_get_transfers (self.manager);
  for (guint i = 0; i < g_list_model_get_n_items (transfers); i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (transfers, i);

      if (ferry_transfer_get_direction (transfer) == FERRY_TRANSFER_DIRECTION_RECEIVE)
        g_signal_connect (transfer, "notify::peer", G_CALLBACK (resumed_peer_cb), &self);
    }

  status = run (&self, link, pairing, &options, "receive");

  for (guint i = 0; i < g_list_model_get_n_items (transfers); i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (transfers, i);

      g_signal_handlers_disconnect_by_func (transfer, resumed_peer_cb, &self);
    }
  g_queue_clear_full (&self.questions, g_object_unref);
  g_clear_object (&self.input);
  g_clear_object (&self.dir);
  g_clear_object (&self.manager);
  ferry_cli_room_options_clear (&options);
  return status;
}
