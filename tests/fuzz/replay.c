/* replay.c: run a fuzz target over its corpus without libFuzzer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Linked with a target when the build is not -Dfuzzing=true (any compiler).  Every file named on
 * the command line, and every regular file of every directory named on it (sorted, hidden files
 * skipped), is passed once to LLVMFuzzerTestOneInput().  One TAP line per input, so that meson
 * counts them; a crash, a failed assertion or a sanitizer report ends the run and fails the test,
 * and the "# running" line just before it names the input.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz-common.h"

static guint n_inputs;

static gboolean
run_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree guint8 *exact = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      printf ("not ok %u - %s # %s\n", ++n_inputs, path, error->message);
      return FALSE;
    }

  /* A copy of exactly len bytes: g_file_get_contents() adds a NUL that would hide an over-read
   * from AddressSanitizer.  Empty inputs are passed as a valid pointer, as libFuzzer does. */
  exact = g_memdup2 (len > 0 ? (const void *) contents : "", MAX (len, 1));

  printf ("# running %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
  fflush (stdout);
  LLVMFuzzerTestOneInput (exact, len);
  printf ("ok %u - %s\n", ++n_inputs, path);
  fflush (stdout);
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
run_directory (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean ok = TRUE;
  const char *name;

  if (dir == NULL)
    {
      printf ("not ok %u - %s # %s\n", ++n_inputs, path, error->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  /* A stable order, so that runs can be compared. */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (path, g_ptr_array_index (names, i), NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        ok &= run_directory (child);
      else
        ok &= run_file (child);
    }
  return ok;
}

int
main (int    argc,
      char **argv)
{
  gboolean ok = TRUE;

  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s FILE-OR-DIRECTORY…\n", argv[0]);
      return 2;
    }

  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        ok &= run_directory (argv[i]);
      else
        ok &= run_file (argv[i]);
    }

  if (n_inputs == 0)
    printf ("1..0 # SKIP no inputs\n");
  else
    printf ("1..%u\n", n_inputs);
  return ok ? 0 : 1;
}
