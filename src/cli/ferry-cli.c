/* ferry-cli.c: Ferry without a display
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <glib/gi18n.h>

#include "ferry-cli.h"
#include "ferry-room-link.h"

static int
cmd_new_room (int    argc,
              char **argv)
{
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

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
                "  new-room [LABEL]   print a link to a new secret room\n"
                "\n"
                "Run “ferry-cli COMMAND --help” for a command’s options.\n"));
}

int
main (int    argc,
      char **argv)
{
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
  if (g_str_equal (argv[1], "new-room"))
    return cmd_new_room (argc - 1, argv + 1);

  usage ();
  return 2;
}
