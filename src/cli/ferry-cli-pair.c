/* ferry-cli-pair.c: connecting with a pairing code, then chatting
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `ferry-cli pair` makes a code, prints its link on stdout (and its QR code on a terminal) and
 * waits for the one who reads it; `ferry-cli pair CODE-OR-LINK` (or `chat` with a pairing link)
 * reads one and connects; when nothing gets through within a few seconds it prints a reply
 * code (its link, on stdout and in a "reply" event) for the owner, who enters it as a line on
 * stdin.  Then, as in `chat`, stdin lines go to the other side and what it says arrives on
 * stdout as "NAME: text"; events go to stderr as "ferry-cli: EVENT key=value…".
 *
 * `ferry-cli nearby` lists the Ferry devices on the local network as they come and go
 * ("nearby-device", "nearby-gone") and is one of them (unless --hidden) until somebody connects;
 * with --connect ID-OR-NAME it connects to that device once seen.  Then it chats the same way.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include "ferry-cli.h"
#include "ferry-cli-room.h"
#include "ferry-nearby.h"
#include "ferry-pairing.h"

typedef struct {
  GMainLoop           *loop;
  FerryPairing        *pairing;
  FerryNearby         *nearby;
  GPtrArray           *devices;   /* nearby: the model's items, to name those removed */
  const char          *connect;   /* nearby: the id or name to connect to */
  GDataInputStream    *input;
  FerryCliRoomOptions *options;
  gboolean             joined;
  int                  status;
} Pair;

static void
quit (Pair *self,
      int   status)
{
  self->status = status;
  g_main_loop_quit (self->loop);
}

static void
message_cb (FerryPeer  *peer,
            const char *text,
            Pair       *self)
{
  g_print ("%s: %s\n", ferry_peer_get_display_name (peer), text);
  fflush (stdout);
}

/* The other side is there once its hello's MAC checked out (it read our code, or made it), or,
 * for a nearby device's open code, once connected. */
static void
joined_cb (FerryPeer  *peer,
           GParamSpec *pspec,
           Pair       *self)
{
  if (self->joined || !ferry_pairing_is_connected (self->pairing))
    return;
  self->joined = TRUE;
  ferry_cli_print_peer_joined (peer, self->options);
  /* One conversation: nobody else finds us any more. */
  if (self->nearby != NULL)
    ferry_nearby_set_visible (self->nearby, FALSE);
}

static void
peer_error_cb (FerryPeer    *peer,
               const GError *error,
               Pair         *self)
{
  g_printerr ("ferry-cli: peer-error id=%s message=\"%s\"\n", ferry_peer_get_id (peer), error->message);
}

static void
closed_cb (FerryPeer *peer,
           Pair      *self)
{
  /* Before it joined, the pairing says why (::failed). */
  if (!self->joined)
    return;
  g_printerr ("ferry-cli: peer-left id=%s name=\"%s\"\n", ferry_peer_get_id (peer),
              ferry_peer_get_display_name (peer));
  quit (self, 0);
}

static void
failed_cb (FerryPairing *pairing,
           const GError *error,
           Pair         *self)
{
  g_printerr ("ferry-cli pair: %s\n", error->message);
  quit (self, 1);
}

/* The reader got no answer: the owner must enter this. */
static void
reply_cb (FerryPairing *pairing,
          const char   *link,
          Pair         *self)
{
  g_printerr ("ferry-cli: reply link=%s\n", link);
  g_print ("%s\n", link);
  if (isatty (STDOUT_FILENO))
    {
      g_print ("%s\n", _("Nothing got through yet: enter this reply code on the other computer."));
      ferry_cli_print_qr (link);
    }
  fflush (stdout);
}

static void read_line (Pair *self);

static void
line_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pair *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, NULL, &error);
  FerryPeer *peer;

  if (line == NULL)
    {
      quit (self, self->status);
      return;
    }
  peer = self->pairing != NULL ? ferry_pairing_get_peer (self->pairing) : NULL;
  /* The owner takes the reader's reply code (and refuses one once its code was used). */
  if (self->pairing != NULL && ferry_pairing_code_is_link (line))
    {
      if (ferry_pairing_add_reply (self->pairing, line, &error))
        g_printerr ("ferry-cli: reply-accepted\n");
      else
        g_printerr ("ferry-cli: reply-refused message=\"%s\"\n", error->message);
    }
  else if (*line != '\0' && (peer == NULL || !ferry_peer_send_chat (peer, line, &error)))
    g_printerr ("ferry-cli: not-sent message=\"%s\"\n",
                error != NULL ? error->message : _("Nobody is connected yet"));
  read_line (self);
}

static void
read_line (Pair *self)
{
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, line_cb, self);
}

static void
follow (Pair *self)
{
  FerryPeer *peer = ferry_pairing_get_peer (self->pairing);

  g_signal_connect (self->pairing, "failed", G_CALLBACK (failed_cb), self);
  g_signal_connect (self->pairing, "reply", G_CALLBACK (reply_cb), self);
  g_signal_connect (peer, "notify::verified", G_CALLBACK (joined_cb), self);
  g_signal_connect (peer, "notify::connected", G_CALLBACK (joined_cb), self);
  g_signal_connect (peer, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (peer, "error", G_CALLBACK (peer_error_cb), self);
  g_signal_connect (peer, "closed", G_CALLBACK (closed_cb), self);
  joined_cb (peer, NULL, self);
}

static void
started_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Pair *self = user_data;
  g_autoptr(GError) error = NULL;

  self->pairing = ferry_pairing_new_finish (result, &error);
  if (self->pairing == NULL)
    {
      g_printerr ("ferry-cli pair: %s\n", error->message);
      quit (self, 1);
      return;
    }
  if (ferry_pairing_get_link (self->pairing) != NULL)
    {
      g_print ("%s\n", ferry_pairing_get_link (self->pairing));
      if (isatty (STDOUT_FILENO))
        ferry_cli_print_qr (ferry_pairing_get_link (self->pairing));
      fflush (stdout);
    }
  follow (self);
}

static gboolean
signal_cb (gpointer user_data)
{
  quit (user_data, 1);
  return G_SOURCE_REMOVE;
}

gboolean
ferry_cli_pair_start (const char          *command,
                      FerryCliRoomOptions *options,
                      const char          *text,
                      guint                lifetime_s,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data,
                      int                 *status)
{
  g_autoptr(FerryIdentity) identity = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(GError) error = NULL;

  if (text != NULL && *text != '\0' &&
      !(code = ferry_pairing_code_parse (text, g_get_real_time () / G_USEC_PER_SEC, &error)))
    {
      g_printerr ("ferry-cli %s: %s\n", command, error->message);
      *status = 2;
      return FALSE;
    }
  if (!ferry_cli_room_prepare (command, options, &identity, &config, status))
    return FALSE;
  options->join_us = g_get_monotonic_time ();
  if (code != NULL)
    ferry_pairing_new_reader_async (identity, config, options->name, code, NULL, callback, user_data);
  else
    ferry_pairing_new_code_async (identity, config, options->name, lifetime_s, NULL, callback, user_data);
  return TRUE;
}

/* Chats until the other side leaves, stdin ends or a signal comes. */
static int
run_chat (Pair *self)
{
  self->input = g_data_input_stream_new (g_unix_input_stream_new (0, FALSE));
  g_object_unref (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self->input)));
  g_unix_signal_add (SIGINT, signal_cb, self);
  g_unix_signal_add (SIGTERM, signal_cb, self);
  read_line (self);
  g_main_loop_run (self->loop);

  /* Let "bye" and the closing of the connection reach the others. */
  if (self->nearby != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->nearby, self);
      g_signal_handlers_disconnect_by_data (ferry_nearby_get_devices (self->nearby), self);
      ferry_nearby_stop (self->nearby);
    }
  if (self->pairing != NULL)
    {
      g_signal_handlers_disconnect_by_data (ferry_pairing_get_peer (self->pairing), self);
      g_signal_handlers_disconnect_by_data (self->pairing, self);
      g_clear_object (&self->pairing);
    }
  ferry_cli_drain (self->loop);
  g_clear_object (&self->nearby);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_object (&self->input);
  return self->status;
}

int
ferry_cli_pair_run (FerryCliRoomOptions *options,
                    const char          *text,
                    guint                lifetime_s)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Pair self = { .loop = loop, .options = options };

  if (!ferry_cli_pair_start ("pair", options, text, lifetime_s, started_cb, &self, &self.status))
    return self.status;
  return run_chat (&self);
}

/* Nearby */

static void
print_device (FerryNearbyDevice *device)
{
  g_printerr ("ferry-cli: nearby-device id=%s name=\"%s\" fingerprint=%s\n", ferry_nearby_device_get_id (device),
              ferry_nearby_device_get_name (device), ferry_nearby_device_get_fingerprint (device));
}

static void
devices_changed_cb (GListModel *devices,
                    guint       position,
                    guint       removed,
                    guint       added,
                    Pair       *self)
{
  for (guint i = 0; i < removed; i++)
    g_printerr ("ferry-cli: nearby-gone id=%s\n",
                ferry_nearby_device_get_id (g_ptr_array_index (self->devices, position + i)));
  g_ptr_array_remove_range (self->devices, position, removed);
  for (guint i = 0; i < added; i++)
    {
      FerryNearbyDevice *device = g_list_model_get_item (devices, position + i);

      g_ptr_array_insert (self->devices, position + i, device);
      print_device (device);
      if (self->connect != NULL && self->pairing == NULL &&
          (g_str_equal (self->connect, ferry_nearby_device_get_id (device)) ||
           g_str_equal (self->connect, ferry_nearby_device_get_name (device))))
        {
          self->connect = NULL;
          ferry_nearby_connect_async (self->nearby, device, NULL, started_cb, self);
        }
    }
}

/* Somebody chose us: the one conversation of this command, unless one is under way. */
static void
incoming_cb (FerryNearby  *nearby,
             FerryPairing *pairing,
             Pair         *self)
{
  if (self->pairing != NULL)
    {
      g_printerr ("ferry-cli: nearby-busy name=\"%s\"\n", ferry_peer_get_display_name (ferry_pairing_get_peer (pairing)));
      return;
    }
  self->connect = NULL;
  self->pairing = g_object_ref (pairing);
  follow (self);
}

int
ferry_cli_nearby (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(FerryIdentity) identity = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *connect = NULL;
  FerryCliRoomOptions options = { 0 };
  Pair self = { .loop = loop, .options = &options };
  gboolean hidden = FALSE;
  const GOptionEntry entries[] = {
    { "hidden", 0, 0, G_OPTION_ARG_NONE, &hidden, N_("Only list the others: do not announce this computer"), NULL },
    { "connect", 0, 0, G_OPTION_ARG_STRING, &connect, N_("Connect to this device (its id or name) once seen"), N_("ID-OR-NAME") },
    { NULL }
  };

  context = g_option_context_new (_("— Ferry devices on this network, and connecting to one"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  ferry_cli_room_add_options (context, &options);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc > 1)
    {
      g_printerr ("ferry-cli nearby: %s\n", error ? error->message : _("no arguments are taken"));
      ferry_cli_room_options_clear (&options);
      return 2;
    }
  if (!ferry_cli_room_prepare ("nearby", &options, &identity, &config, &self.status))
    {
      ferry_cli_room_options_clear (&options);
      return self.status;
    }
  options.join_us = g_get_monotonic_time ();
  self.connect = connect;
  self.devices = g_ptr_array_new_with_free_func (g_object_unref);
  self.nearby = ferry_nearby_new (identity, config, options.name);
  g_signal_connect (self.nearby, "incoming", G_CALLBACK (incoming_cb), &self);
  g_signal_connect (ferry_nearby_get_devices (self.nearby), "items-changed", G_CALLBACK (devices_changed_cb), &self);
  ferry_nearby_set_visible (self.nearby, !hidden);
  if (!ferry_nearby_start (self.nearby, &error))
    {
      g_printerr ("ferry-cli nearby: %s\n", error->message);
      g_clear_object (&self.nearby);
      g_ptr_array_unref (self.devices);
      ferry_cli_room_options_clear (&options);
      return 1;
    }
  run_chat (&self);
  ferry_cli_room_options_clear (&options);
  return self.status;
}

int
ferry_cli_pair (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  FerryCliRoomOptions options = { 0 };
  int lifetime = FERRY_PAIRING_DEFAULT_LIFETIME_S;
  int status;
  const GOptionEntry entries[] = {
    { "lifetime", 0, 0, G_OPTION_ARG_INT, &lifetime, N_("How long a new code is good for, in seconds (default 600)"), N_("SECONDS") },
    { NULL }
  };

  context = g_option_context_new (_("[CODE-OR-LINK] — connect with a pairing code: make one, or read one"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  ferry_cli_room_add_options (context, &options);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc > 2 || lifetime <= 0)
    {
      g_printerr ("ferry-cli pair: %s\n", error ? error->message : _("give at most one code, and a positive lifetime"));
      ferry_cli_room_options_clear (&options);
      return 2;
    }
  status = ferry_cli_pair_run (&options, argc == 2 ? argv[1] : NULL, lifetime);
  ferry_cli_room_options_clear (&options);
  return status;
}
