/* main.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <stdlib.h>
#include <glib/gi18n.h>

#include "ferry-allocator.h"
#include "ferry-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FerryApplication) app = NULL;

  ferry_allocator_init ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* Without this check GTK aborts with a terse warning deep inside GtkApplication's startup. */
  if (!gtk_init_check ())
    {
      g_printerr ("%s\n", _("Ferry needs a graphical session, but no display could be opened. "
                            "To send files or chat from a terminal, use ferry-cli."));
      return EXIT_FAILURE;
    }

  app = ferry_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
