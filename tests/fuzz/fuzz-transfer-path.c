/* fuzz-transfer-path.c: ferry_transfer_path_sanitize() and ferry_transfer_paths_check() on
 * arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input up to its first NUL is one remote path.  Whatever sanitizing returns must be a safe
 * path by every rule that the download folder relies on, and sanitizing it again must give it
 * back unchanged.  When the input has NULs, its pieces are also an offer (a piece ending with
 * "/" a folder, the others files), and ferry_transfer_paths_check() must agree with a slow,
 * obvious check of the same rules.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-transfer-path.h"

/* Pieces beyond this are ignored, to keep the slow check fast. */
#define MAX_PIECES 32

static gboolean
is_forbidden (gunichar c)
{
  return g_unichar_type (c) == G_UNICODE_CONTROL || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029 ||
         (c < 0x80 && strchr ("<>:\"|?*\\", (int) c) != NULL);
}

static void
assert_safe (const char *path)
{
  g_autofree char *normal = NULL;
  g_autofree char *again = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = strlen (path);

  g_assert_true (g_utf8_validate (path, -1, NULL));
  g_assert_cmpuint (len, >, 0);
  g_assert_cmpuint (len, <=, FERRY_TRANSFER_PATH_MAX_BYTES);
  g_assert_cmpint (path[0], !=, '/');

  for (const char *p = path; *p != '\0'; p = g_utf8_next_char (p))
    g_assert_false (is_forbidden (g_utf8_get_char (p)));

  normal = g_utf8_normalize (path, -1, G_NORMALIZE_NFC);
  g_assert_cmpstr (normal, ==, path);

  parts = g_strsplit (path, "/", -1);
  g_assert_cmpuint (g_strv_length (parts), <=, FERRY_TRANSFER_PATH_MAX_DEPTH);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gsize part_len = strlen (parts[i]);

      g_assert_cmpuint (part_len, >, 0);
      g_assert_cmpuint (part_len, <=, FERRY_TRANSFER_PATH_MAX_NAME);
      g_assert_cmpstr (parts[i], !=, ".");
      g_assert_cmpstr (parts[i], !=, "..");
      g_assert_cmpint (parts[i][part_len - 1], !=, '.');
      g_assert_cmpint (parts[i][part_len - 1], !=, ' ');
    }

  again = ferry_transfer_path_sanitize (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, path);
}

/* The rules of ferry_transfer_paths_check(), pair by pair. */
static gboolean
conflicts (char     **safe,
           gboolean  *is_file,
           guint      n)
{
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      {
        gsize len = strlen (safe[i]);

        if (i == j || !is_file[i])
          continue;
        if (strcmp (safe[i], safe[j]) == 0)
          return TRUE;
        if (strncmp (safe[i], safe[j], len) == 0 && safe[j][len] == '/')
          return TRUE;
      }
  return FALSE;
}

static void
check_offer (char  **pieces,
             guint   n)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new ();
  g_autoptr(GPtrArray) folders = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  char *safe[MAX_PIECES];
  gboolean is_file[MAX_PIECES];
  gboolean all_safe = TRUE;
  gboolean ok;

  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (pieces[i]);

      is_file[i] = len == 0 || pieces[i][len - 1] != '/';
      g_ptr_array_add (is_file[i] ? files : folders, pieces[i]);
      safe[i] = ferry_transfer_path_sanitize (pieces[i], NULL);
      all_safe &= safe[i] != NULL;
    }
  g_ptr_array_add (files, NULL);
  g_ptr_array_add (folders, NULL);

  ok = ferry_transfer_paths_check ((const char * const *) files->pdata,
                                   (const char * const *) folders->pdata, &error);
  if (!all_safe)
    {
      g_assert_false (ok);
      g_assert_nonnull (error);
      g_assert_false (g_error_matches (error, FERRY_TRANSFER_PATH_ERROR,
                                       FERRY_TRANSFER_PATH_ERROR_CONFLICT));
    }
  else if (conflicts (safe, is_file, n))
    g_assert_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_CONFLICT);
  else
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }

  for (guint i = 0; i < n; i++)
    g_free (safe[i]);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strndup ((const char *) data, size);
  g_autofree char *safe = NULL;

  fuzz_init ();

  safe = ferry_transfer_path_sanitize (path, &error);
  if (safe == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_TRANSFER_PATH_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
    }
  else
    {
      g_assert_no_error (error);
      assert_safe (safe);
    }

  if (memchr (data, '\0', size) != NULL)
    {
      g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
      const char *start = (const char *) data;
      const char *end = start + size;

      while (start <= end && pieces->len < MAX_PIECES)
        {
          const char *nul = memchr (start, '\0', end - start);
          const char *stop = nul != NULL ? nul : end;

          g_ptr_array_add (pieces, g_strndup (start, stop - start));
          if (nul == NULL)
            break;
          start = nul + 1;
        }
      check_offer ((char **) pieces->pdata, pieces->len);
    }
  return 0;
}
