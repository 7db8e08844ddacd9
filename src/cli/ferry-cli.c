/* ferry-cli.c: Ferry without a display
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <glib/gi18n.h>

#include <json-glib/json-glib.h>

#include "ferry-allocator.h"
#include "ferry-cli.h"
#include "ferry-room-link.h"
#include "ferry-sctp-transport.h"

/* Offers and answers travel as one line of JSON, the shape browsers use. */

char *
ferry_cli_description_to_json (const char *type,
                               const char *sdp)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "sdp");
  json_builder_add_string_value (builder, sdp);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

char *
ferry_cli_description_from_json (const char  *line,
                                 const char  *expected_type,
                                 GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  const char *type, *sdp;

  if (!json_parser_load_from_data (parser, line, -1, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ||
      !(object = json_node_get_object (json_parser_get_root (parser))) ||
      !(type = json_object_get_string_member_with_default (object, "type", NULL)) ||
      !(sdp = json_object_get_string_member_with_default (object, "sdp", NULL)) ||
      !g_str_equal (type, expected_type))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Expected a line like {\"type\":\"%s\",\"sdp\":\"…\"}"), expected_type);
      return NULL;
    }
  return g_strdup (sdp);
}

static int
cmd_new_room (int    argc,
              char **argv)
{
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (argc > 2 || (argc > 1 && argv[1][0] == '-'))
    {
      g_printerr ("%s\n", _("Usage: ferry-cli new-room [LABEL]: prints a link to a new secret room"));
      return argc > 1 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")) ? 0 : 2;
    }
  if (!(link = ferry_room_link_new_secret (argc > 1 ? argv[1] : NULL, &error)))
    {
      g_printerr ("ferry-cli: %s\n", error->message);
      return 1;
    }
  text = ferry_room_link_to_string (link);
  g_print ("%s\n", text);
  return 0;
}

static void
usage (void)
{
  g_printerr (_("Usage: ferry-cli COMMAND [ARGUMENTS…]\n"
                "\n"
                "Commands:\n"
                "  bench              measure throughput against another ferry-cli bench\n"
                "  chat ROOM-OR-LINK  chat in a room from the terminal\n"
                "  connect            connect to one peer, exchanging offer and answer by hand\n"
                "  dht COMMAND        the DHT node: status, get-peers, announce, put, get, serve\n"
                "  nearby             list Ferry devices on this network, be one, connect to one\n"
                "  new-room [LABEL]   print a link to a new secret room\n"
                "  pair [CODE]        make a pairing code and wait, or connect with one\n"
                "  receive ROOM-OR-LINK  receive files offered in a room\n"
                "  send PATH…         offer files and folders in a room\n"
                "\n"
                "Run “ferry-cli COMMAND --help” for a command’s options.\n"));
}

typedef struct {
  GMainLoop *loop;
  gint64     start;
} Drain;

static gboolean
drain_cb (gpointer user_data)
{
  Drain *drain = user_data;
  gint64 elapsed_ms = (g_get_monotonic_time () - drain->start) / 1000;

  if ((elapsed_ms >= 300 && ferry_sctp_transports_delivered ()) || elapsed_ms >= 3000)
    {
      g_main_loop_quit (drain->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
ferry_cli_drain (GMainLoop *loop)
{
  Drain drain = { loop, g_get_monotonic_time () };

  g_timeout_add (50, drain_cb, &drain);
  g_main_loop_run (loop);
}

int
main (int    argc,
      char **argv)
{
  ferry_allocator_init ();
  /* stdout carries data and signalling; GLib would print debug messages there. */
  g_log_writer_default_set_use_stderr (TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      usage ();
      return 2;
    }

  if (g_str_equal (argv[1], "bench"))
    return ferry_cli_bench (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "chat"))
    return ferry_cli_chat (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "connect"))
    return ferry_cli_connect (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "dht"))
    return ferry_cli_dht (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "nearby"))
    return ferry_cli_nearby (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "pair"))
    return ferry_cli_pair (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "receive"))
    return ferry_cli_receive (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "send"))
    return ferry_cli_send (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "new-room"))
    return cmd_new_room (argc - 1, argv + 1);

  usage ();
  return 2;
}
