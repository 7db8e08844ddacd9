/* ferry-cli-chat.c: chat in a room from a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lines on stdin become messages to everyone in the room; messages arrive on stdout as
 * "NAME: text".  Room events go to stderr as "ferry-cli: EVENT key=value…".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include "ferry-cli.h"
#include "ferry-cli-room.h"
#include "ferry-pairing-code.h"

typedef struct {
  GMainLoop        *loop;
  FerryRoom        *room;
  GDataInputStream *input;
  int               status;
} Chat;

static void
message_cb (FerryRoom  *room,
            FerryPeer  *peer,
            const char *text,
            Chat       *self)
{
  g_print ("%s: %s\n", ferry_peer_get_display_name (peer), text);
  fflush (stdout);
}

/* In a WebDrop room, what a WebDrop peer kept of the room's past, under its author's name. */
static void
history_message_cb (FerryRoom  *room,
                    FerryPeer  *peer,
                    const char *author,
                    const char *text,
                    Chat       *self)
{
  g_print ("%s: %s\n", author, text);
  fflush (stdout);
}

static void read_line (Chat *self);

static void
line_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      user_data)
{
  Chat *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, NULL, &error);

  if (line == NULL)
    {
      if (error != NULL)
        g_printerr ("ferry-cli: error message=\"%s\"\n", error->message);
      g_main_loop_quit (self->loop);
      return;
    }

  if (*line != '\0' && !ferry_room_send_chat (self->room, line, &error))
    g_printerr ("ferry-cli: not-sent message=\"%s\"\n", error->message);
  read_line (self);
}

static void
read_line (Chat *self)
{
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, line_cb, self);
}

static gboolean
signal_cb (gpointer user_data)
{
  Chat *self = user_data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

int
ferry_cli_chat (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(FerryRoom) room = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  FerryCliRoomOptions options = { 0 };
  Chat self = { 0 };

  context = g_option_context_new (_("ROOM-OR-LINK — chat in a room"));
  ferry_cli_room_add_options (context, &options);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("ferry-cli chat: %s\n", error ? error->message : _("name one room or link"));
      ferry_cli_room_options_clear (&options);
      return 2;
    }

  /* A pairing link connects to the one who made it, with no room at all. */
  if (ferry_pairing_code_is_link (argv[1]))
    {
      self.status = ferry_cli_pair_run (&options, argv[1], 0);
      ferry_cli_room_options_clear (&options);
      return self.status;
    }
  if (!(link = ferry_cli_room_parse_link ("chat", &options, argv[1], &self.status)))
    {
      ferry_cli_room_options_clear (&options);
      return self.status;
    }
  if (!(room = ferry_cli_room_new ("chat", &options, link, &self.status)))
    {
      ferry_cli_room_options_clear (&options);
      return self.status;
    }

  loop = g_main_loop_new (NULL, FALSE);
  self.loop = loop;
  self.room = room;
  self.input = g_data_input_stream_new (g_unix_input_stream_new (0, FALSE));
  g_object_unref (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self.input)));

  g_signal_connect (room, "message", G_CALLBACK (message_cb), &self);
  g_signal_connect (room, "history-message", G_CALLBACK (history_message_cb), &self);
  g_unix_signal_add (SIGINT, signal_cb, &self);
  g_unix_signal_add (SIGTERM, signal_cb, &self);

  ferry_cli_room_join (room, &options);
  read_line (&self);
  g_main_loop_run (loop);

  /* Let "stopped" and the closing of connections reach the others. */
  ferry_room_leave (room);
  ferry_cli_drain (loop);

  g_clear_object (&self.input);
  ferry_cli_room_options_clear (&options);
  return self.status;
}
