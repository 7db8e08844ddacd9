/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ferry-transfer-path.h"

/* Sanitizes @input, expects @expected, and checks that the result sanitizes to itself. */
static void
assert_sanitized (const char *input,
                  const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *safe = ferry_transfer_path_sanitize (input, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (safe, ==, expected);
  again = ferry_transfer_path_sanitize (safe, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, safe);
}

static void
assert_refused (const char            *input,
                FerryTransferPathError code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *safe = ferry_transfer_path_sanitize (input, &error);

  g_assert_error (error, FERRY_TRANSFER_PATH_ERROR, (int) code);
  g_assert_null (safe);
}

static char *
repeat (const char *text,
        guint       times)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < times; i++)
    g_string_append (out, text);
  return g_string_free (out, FALSE);
}

static void
test_parent (void)
{
  assert_refused ("../etc/passwd", FERRY_TRANSFER_PATH_ERROR_PARENT);
  assert_refused ("a/../b", FERRY_TRANSFER_PATH_ERROR_PARENT);
  assert_refused ("a/..", FERRY_TRANSFER_PATH_ERROR_PARENT);
  assert_refused ("/..", FERRY_TRANSFER_PATH_ERROR_PARENT);
  /* A removed character does not hide "..". */
  assert_refused (".\u202E./x", FERRY_TRANSFER_PATH_ERROR_PARENT);
  /* What Windows would read as "..", with its trailing dots and spaces, is only a name. */
  assert_sanitized ("a/.. /b", "a/_/b");
  assert_sanitized ("a/.../b", "a/_/b");
  assert_sanitized ("..a", "..a");
  assert_sanitized ("a..b", "a..b");
}

static void
test_absolute (void)
{
  assert_sanitized ("/etc/passwd", "etc/passwd");
  assert_sanitized ("//server/share/x", "server/share/x");
  assert_sanitized ("C:/Users/x.txt", "Users/x.txt");
  assert_refused ("C:", FERRY_TRANSFER_PATH_ERROR_EMPTY);
  assert_refused ("C:/", FERRY_TRANSFER_PATH_ERROR_EMPTY);
  /* Only a drive alone as the first component is a root. */
  assert_sanitized ("C:x", "C_x");
  assert_sanitized ("/C:/x", "C_/x");
  assert_sanitized ("a/C:/x", "a/C_/x");
  assert_sanitized ("C:\\Windows\\win.ini", "C__Windows_win.ini");
}

static void
test_dots_and_empty (void)
{
  assert_sanitized ("a/./b//c", "a/b/c");
  assert_sanitized ("./a/", "a");
  assert_sanitized ("a/b/", "a/b");
  assert_sanitized ("a\u202E/b", "a/b");
  assert_refused ("", FERRY_TRANSFER_PATH_ERROR_EMPTY);
  assert_refused (".", FERRY_TRANSFER_PATH_ERROR_EMPTY);
  assert_refused ("/", FERRY_TRANSFER_PATH_ERROR_EMPTY);
  assert_refused ("./././/", FERRY_TRANSFER_PATH_ERROR_EMPTY);
  assert_refused ("\u202E/\u2066", FERRY_TRANSFER_PATH_ERROR_EMPTY);
}

static void
test_trailing (void)
{
  assert_sanitized ("name. . .", "name");
  assert_sanitized ("report.txt. ", "report.txt");
  assert_sanitized ("folder. /file ", "folder/file");
  assert_sanitized ("...", "_");
  assert_sanitized (". .", "_");
  assert_sanitized (" ", "_");
  assert_sanitized (" leading", " leading");
  assert_sanitized (".hidden", ".hidden");
}

static void
test_device_names (void)
{
  assert_sanitized ("CON", "_CON");
  assert_sanitized ("con.txt", "_con.txt");
  assert_sanitized ("lpt9.log", "_lpt9.log");
  assert_sanitized ("nul", "_nul");
  assert_sanitized ("Prn", "_Prn");
  assert_sanitized ("aux.tar.gz", "_aux.tar.gz");
  assert_sanitized ("COM1", "_COM1");
  assert_sanitized ("com0.bin", "_com0.bin");
  assert_sanitized ("COM\u00B9", "_COM\u00B9");
  assert_sanitized ("lpt\u00B3.txt", "_lpt\u00B3.txt");
  assert_sanitized ("CON .txt", "_CON .txt");
  assert_sanitized ("CON.", "_CON");
  assert_sanitized ("a/con/b", "a/_con/b");
  /* Not device names. */
  assert_sanitized ("console", "console");
  assert_sanitized ("com10", "com10");
  assert_sanitized ("LPT", "LPT");
  assert_sanitized ("xcon.txt", "xcon.txt");
  assert_sanitized ("COM\u00B4", "COM\u00B4");
  assert_sanitized ("_CON", "_CON");
}

static void
test_replaced (void)
{
  assert_sanitized ("a\\b", "a_b");
  assert_sanitized ("a\\..\\b", "a_.._b");
  assert_sanitized ("a<b>c:d\"e|f?g*h", "a_b_c_d_e_f_g_h");
  assert_sanitized ("tab\there", "tab_here");
  assert_sanitized ("new\nline\r", "new_line_");
  assert_sanitized ("\x01\x1f\x7f", "___");
  assert_sanitized ("c1\xc2\x80\xc2\x85\xc2\x9f", "c1___");
  assert_sanitized (".\x01.", "._");
  /* Other characters stay. */
  assert_sanitized ("Ärger — 日本語 😀 #1 (copy) [x] {y} 'q' ~z", "Ärger — 日本語 😀 #1 (copy) [x] {y} 'q' ~z");
}

static void
test_bidi (void)
{
  assert_sanitized ("evil\u202Etxt.exe", "eviltxt.exe");
  assert_sanitized ("\u202A\u202B\u202C\u202Dx\u2066\u2067\u2068\u2069", "x");
  assert_sanitized ("line\u2028para\u2029end", "lineparaend");
  /* Marks that do not override the order of what follows stay. */
  assert_sanitized ("a\u200Fb", "a\u200Fb");
}

static void
test_long_names (void)
{
  g_autofree char *a296 = repeat ("a", 296);
  g_autofree char *a251 = repeat ("a", 251);
  g_autofree char *a300 = repeat ("a", 300);
  g_autofree char *a255 = repeat ("a", 255);
  g_autofree char *a254 = repeat ("a", 254);
  g_autofree char *a248 = repeat ("a", 248);
  g_autofree char *b49 = repeat ("b", 49);
  g_autofree char *spaces300 = repeat (" ", 300);
  g_autofree char *spaces250 = repeat (" ", 250);
  g_autofree char *spaces247 = repeat (" ", 247);
  g_autofree char *input = NULL;
  g_autofree char *expected = NULL;

  /* 300 bytes with an extension: the extension stays. */
  input = g_strconcat (a296, ".txt", NULL);
  expected = g_strconcat (a251, ".txt", NULL);
  assert_sanitized (input, expected);
  g_assert_cmpuint (strlen (expected), ==, 255);
  g_clear_pointer (&input, g_free);
  g_clear_pointer (&expected, g_free);

  /* Exactly 255 bytes is left alone, 256 is cut. */
  assert_sanitized (a255, a255);
  assert_sanitized (a300, a255);

  /* An extension of more than 16 bytes is not one. */
  input = g_strconcat (a251, ".", b49, NULL);
  expected = g_strndup (input, 255);
  assert_sanitized (input, expected);
  g_clear_pointer (&input, g_free);
  g_clear_pointer (&expected, g_free);

  /* A dot-file has no extension. */
  input = g_strconcat (".", a300, NULL);
  expected = g_strconcat (".", a254, NULL);
  assert_sanitized (input, expected);
  g_clear_pointer (&input, g_free);
  g_clear_pointer (&expected, g_free);

  /* ".tar.gz" is kept whole. */
  input = g_strconcat (a300, ".tar.gz", NULL);
  expected = g_strconcat (a248, ".tar.gz", NULL);
  assert_sanitized (input, expected);
  g_clear_pointer (&input, g_free);
  g_clear_pointer (&expected, g_free);

  /* The cut leaves trailing spaces, which go. */
  input = g_strconcat ("a", spaces300, "b", NULL);
  assert_sanitized (input, "a");
  g_clear_pointer (&input, g_free);

  /* The cut leaves a device name, which then gets its "_"… */
  input = g_strconcat ("CON", spaces300, "x", NULL);
  assert_sanitized (input, "_CON");
  g_clear_pointer (&input, g_free);

  /* …and that "_" makes the name too long again, so it is cut once more. */
  input = g_strconcat ("CON", spaces250, "yyyyyyyyyy.txt", NULL);
  expected = g_strconcat ("_CON", spaces247, ".txt", NULL);
  assert_sanitized (input, expected);
  g_assert_cmpuint (strlen (expected), ==, 255);
  g_clear_pointer (&input, g_free);
  g_clear_pointer (&expected, g_free);

  /* Nothing but dots is left after the cut. */
  input = g_strconcat (a300 + 44, "xxxxxxxxxxxxxxxxxxxx", NULL);
  memset (input, '.', 256);
  assert_sanitized (input, "_");
}

static void
test_cut_utf8 (void)
{
  g_autofree char *emoji70 = repeat ("😀", 70);
  g_autofree char *emoji63 = repeat ("😀", 63);
  g_autofree char *emoji62 = repeat ("😀", 62);
  g_autofree char *with_ext = g_strconcat (emoji70, ".txt", NULL);
  g_autofree char *expected = g_strconcat (emoji62, ".txt", NULL);
  g_autofree char *odd = g_strconcat ("ab", emoji70, NULL);
  g_autofree char *odd_expected = g_strconcat ("ab", emoji63, NULL);

  /* 255 is not a multiple of 4: the cut falls inside a character and goes back to its start. */
  assert_sanitized (emoji70, emoji63);
  g_assert_cmpuint (strlen (emoji63), ==, 252);
  assert_sanitized (with_ext, expected);
  g_assert_cmpuint (strlen (expected), ==, 252);
  assert_sanitized (odd, odd_expected);
  g_assert_cmpuint (strlen (odd_expected), ==, 254);
}

static void
test_normalization (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *nfc = ferry_transfer_path_sanitize ("caf\u00E9/r\u00E9sum\u00E9.txt", &error);
  g_autofree char *nfd = NULL;

  g_assert_no_error (error);
  nfd = ferry_transfer_path_sanitize ("cafe\u0301/re\u0301sume\u0301.txt", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (nfc, ==, nfd);
  g_assert_cmpstr (nfc, ==, "caf\u00E9/r\u00E9sum\u00E9.txt");

  /* Composition after a removed character. */
  assert_sanitized ("e\u202E\u0301", "\u00E9");
  /* A replaced control character still separates a letter from the accent after it. */
  assert_sanitized ("e\x01\u0301", "e_\u0301");
  /* Singletons: OHM SIGN and ANGSTROM SIGN. */
  assert_sanitized ("\u2126\u212B", "\u03A9\u00C5");
}

static void
test_invalid_utf8 (void)
{
  g_autofree char *huge = repeat ("/", FERRY_TRANSFER_PATH_MAX_INPUT + 1);

  assert_refused ("\xff", FERRY_TRANSFER_PATH_ERROR_INVALID);
  assert_refused ("a/\xc3", FERRY_TRANSFER_PATH_ERROR_INVALID);
  /* An overlong "/" and "." */
  assert_refused ("a\xc0\xaf" "b", FERRY_TRANSFER_PATH_ERROR_INVALID);
  assert_refused ("\xc0\xae\xc0\xae/x", FERRY_TRANSFER_PATH_ERROR_INVALID);
  /* A UTF-16 surrogate written as UTF-8. */
  assert_refused ("\xed\xa0\x80", FERRY_TRANSFER_PATH_ERROR_INVALID);
  assert_refused (huge, FERRY_TRANSFER_PATH_ERROR_INVALID);
}

static void
test_limits (void)
{
  g_autofree char *a64 = repeat ("a/", 63);
  g_autofree char *deep64 = g_strconcat (a64, "a", NULL);
  g_autofree char *deep65 = g_strconcat (a64, "a/a", NULL);
  g_autofree char *dots = repeat ("./", 100);
  g_autofree char *dotted64 = g_strconcat (dots, deep64, "/", NULL);
  g_autofree char *c240 = repeat ("c", 240);
  g_autoptr(GString) bytes4096 = g_string_new (c240);
  g_autofree char *bytes4097 = NULL;

  assert_sanitized (deep64, deep64);
  assert_refused (deep65, FERRY_TRANSFER_PATH_ERROR_TOO_LONG);
  /* Dropped components do not count. */
  assert_sanitized (dotted64, deep64);

  /* 17 components of 240 bytes and 16 slashes: 4096 bytes. */
  for (guint i = 1; i < 17; i++)
    g_string_append_printf (bytes4096, "/%s", c240);
  g_assert_cmpuint (bytes4096->len, ==, 4096);
  assert_sanitized (bytes4096->str, bytes4096->str);
  bytes4097 = g_strconcat (bytes4096->str, "c", NULL);
  assert_refused (bytes4097, FERRY_TRANSFER_PATH_ERROR_TOO_LONG);
}

static void
assert_check (const char * const     *files,
              const char * const     *folders,
              FerryTransferPathError  code)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = ferry_transfer_paths_check (files, folders, &error);

  if ((int) code < 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_error (error, FERRY_TRANSFER_PATH_ERROR, (int) code);
      g_assert_false (ok);
    }
}

#define CHECK_OK ((FerryTransferPathError) -1)
#define STRV(...) ((const char * const []) { __VA_ARGS__, NULL })

static void
test_check (void)
{
  const FerryTransferPathError conflict = FERRY_TRANSFER_PATH_ERROR_CONFLICT;

  /* The offer of docs/PROTOCOL.md. */
  assert_check (STRV ("Holiday/IMG_0001.jpg", "Holiday/notes.txt"),
                STRV ("Holiday", "Holiday/empty"), CHECK_OK);
  assert_check (NULL, NULL, CHECK_OK);
  assert_check (STRV ("only.txt"), NULL, CHECK_OK);
  assert_check (NULL, STRV ("a", "a", "a/b"), CHECK_OK);
  assert_check (STRV ("a/b", "a/c"), STRV ("a", "a/d"), CHECK_OK);
  /* Names that sort between "a" and "a/…" in byte order. */
  assert_check (STRV ("a", "a b", "a-b", "a.b", "a!"), NULL, CHECK_OK);

  /* A file that is also a folder. */
  assert_check (STRV ("a", "a/b"), NULL, conflict);
  assert_check (STRV ("a/b", "a"), NULL, conflict);
  assert_check (STRV ("a", "a b", "a-c", "a.d", "a/x"), NULL, conflict);
  assert_check (STRV ("a"), STRV ("a"), conflict);
  assert_check (STRV ("x"), STRV ("x/y"), conflict);
  assert_check (STRV ("x/y", "z"), STRV ("x", "x/y/w"), conflict);
  assert_check (STRV ("a/b", "a/b/c/d"), NULL, conflict);
  /* Twice the same file, literally or after sanitizing. */
  assert_check (STRV ("a", "b", "a"), NULL, conflict);
  assert_check (STRV ("caf\u00E9.txt", "cafe\u0301.txt"), NULL, conflict);
  assert_check (STRV ("a:b", "a?b"), NULL, conflict);
  assert_check (STRV ("/x/./y", "x//y"), NULL, conflict);
  assert_check (STRV ("x."), STRV ("x/"), conflict);

  /* A path that cannot be made safe refuses the offer. */
  assert_check (STRV ("ok", "../escape"), NULL, FERRY_TRANSFER_PATH_ERROR_PARENT);
  assert_check (STRV ("ok"), STRV ("."), FERRY_TRANSFER_PATH_ERROR_EMPTY);
  assert_check (STRV ("\xff"), NULL, FERRY_TRANSFER_PATH_ERROR_INVALID);
}

/* A temporary download folder and a folder outside it, both removed at the end. */
typedef struct {
  char  *base;
  char  *download;
  char  *outside;
  GFile *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->base = g_dir_make_tmp ("ferry-transfer-path-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->download = g_build_filename (fixture->base, "Downloads", NULL);
  fixture->outside = g_build_filename (fixture->base, "outside", NULL);
  g_assert_cmpint (g_mkdir (fixture->download, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (fixture->outside, 0700), ==, 0);
  fixture->dir = g_file_new_for_path (fixture->download);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_assert_cmpint (g_unlink (child), ==, 0);
        }
      g_dir_close (dir);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  GDir *outside = g_dir_open (fixture->outside, 0, NULL);

  /* Nothing ever lands outside the download folder. */
  g_assert_nonnull (outside);
  g_assert_null (g_dir_read_name (outside));
  g_dir_close (outside);

  g_object_unref (fixture->dir);
  remove_tree (fixture->base);
  g_free (fixture->outside);
  g_free (fixture->download);
  g_free (fixture->base);
}

static void
touch (Fixture    *fixture,
       const char *relative)
{
  g_autofree char *path = g_build_filename (fixture->download, relative, NULL);
  /* Not g_file_set_contents(): its temporary name would be longer than 255 bytes. */
  int fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (close (fd), ==, 0);
}

static void
make_folder (Fixture    *fixture,
             const char *relative)
{
  g_autofree char *path = g_build_filename (fixture->download, relative, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
}

static void
make_link (Fixture    *fixture,
           const char *relative,
           const char *target)
{
  g_autofree char *path = g_build_filename (fixture->download, relative, NULL);

  g_assert_cmpint (symlink (target, path), ==, 0);
}

/* The path of @file relative to the download folder, %NULL on error. */
static char *
relative_of (Fixture *fixture,
             GFile   *file)
{
  return file != NULL ? g_file_get_relative_path (fixture->dir, file) : NULL;
}

static void
assert_unique (Fixture    *fixture,
               const char *safe_relative,
               const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = ferry_transfer_path_unique_child (fixture->dir, safe_relative, &error);
  g_autofree char *relative = relative_of (fixture, file);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (relative, ==, expected);
  g_assert_false (g_file_query_exists (file, NULL));
  /* The new name is itself a safe path. */
  again = ferry_transfer_path_sanitize (relative, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, relative);
}

static void
assert_unique_fails (Fixture               *fixture,
                     const char            *safe_relative,
                     FerryTransferPathError code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = ferry_transfer_path_unique_child (fixture->dir, safe_relative, &error);

  g_assert_error (error, FERRY_TRANSFER_PATH_ERROR, (int) code);
  g_assert_null (file);
}

static void
test_unique_numbers (Fixture       *fixture,
                     gconstpointer  data)
{
  assert_unique (fixture, "x.txt", "x.txt");
  touch (fixture, "x.txt");
  assert_unique (fixture, "x.txt", "x (1).txt");
  touch (fixture, "x (1).txt");
  assert_unique (fixture, "x.txt", "x (2).txt");
  /* A gap is filled. */
  touch (fixture, "x (3).txt");
  assert_unique (fixture, "x.txt", "x (2).txt");

  touch (fixture, "archive.tar.gz");
  assert_unique (fixture, "archive.tar.gz", "archive (1).tar.gz");
  touch (fixture, "Backup.TAR.XZ");
  assert_unique (fixture, "Backup.TAR.XZ", "Backup (1).TAR.XZ");
  touch (fixture, ".bashrc");
  assert_unique (fixture, ".bashrc", ".bashrc (1)");
  touch (fixture, ".config.json");
  assert_unique (fixture, ".config.json", ".config (1).json");
  touch (fixture, "README");
  assert_unique (fixture, "README", "README (1)");
  touch (fixture, "_CON");
  assert_unique (fixture, "_CON", "_CON (1)");
  /* Case matters on the file systems that tell cases apart. */
  assert_unique (fixture, "X.txt", "X.txt");
}

static void
test_unique_folders (Fixture       *fixture,
                     gconstpointer  data)
{
  assert_unique (fixture, "photos/2024/a.jpg", "photos/2024/a.jpg");
  make_folder (fixture, "photos/2024");
  /* The whole folder gets a new name, the number after the folder's whole name. */
  assert_unique (fixture, "photos/2024/a.jpg", "photos (1)/2024/a.jpg");
  make_folder (fixture, "photos (1)");
  assert_unique (fixture, "photos/b.jpg", "photos (2)/b.jpg");
  make_folder (fixture, "photos.2024");
  assert_unique (fixture, "photos.2024/a.jpg", "photos.2024 (1)/a.jpg");
  /* A file in the way of a folder is a name that is taken as well. */
  touch (fixture, "docs");
  assert_unique (fixture, "docs/a.txt", "docs (1)/a.txt");
}

static void
test_unique_links (Fixture       *fixture,
                   gconstpointer  data)
{
  make_link (fixture, "out", fixture->outside);
  make_link (fixture, "dangling.txt", "/nonexistent/ferry-test");
  make_link (fixture, "loop", "loop");

  /* Links are never followed: their names are taken. */
  assert_unique (fixture, "out", "out (1)");
  assert_unique (fixture, "out/x.txt", "out (1)/x.txt");
  assert_unique (fixture, "dangling.txt", "dangling (1).txt");
  assert_unique (fixture, "loop/x", "loop (1)/x");
}

static void
test_unique_long (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *a251 = repeat ("a", 251);
  g_autofree char *a247 = repeat ("a", 247);
  g_autofree char *a251_txt = g_strconcat (a251, ".txt", NULL);
  g_autofree char *numbered = g_strconcat (a247, " (1).txt", NULL);
  g_autofree char *emoji = repeat ("😀", 63);
  g_autofree char *emoji62 = repeat ("😀", 62);
  g_autofree char *emoji_numbered = g_strconcat (emoji62, " (1)", NULL);
  g_autofree char *in_folder = g_strconcat (emoji, "/x", NULL);
  g_autofree char *folder_numbered = g_strconcat (emoji62, " (1)/x", NULL);

  touch (fixture, a251_txt);
  assert_unique (fixture, a251_txt, numbered);
  g_assert_cmpuint (strlen (numbered), ==, 255);

  /* The name is cut at a character boundary to make room for the number. */
  touch (fixture, emoji);
  assert_unique (fixture, emoji, emoji_numbered);
  assert_unique (fixture, in_folder, folder_numbered);
}

static void
test_unique_refused (Fixture       *fixture,
                     gconstpointer  data)
{
  /* Paths that were not sanitized are refused, not made safe behind the caller's back. */
  assert_unique_fails (fixture, "../x", FERRY_TRANSFER_PATH_ERROR_PARENT);
  assert_unique_fails (fixture, "/etc/passwd", FERRY_TRANSFER_PATH_ERROR_INVALID);
  assert_unique_fails (fixture, "a//b", FERRY_TRANSFER_PATH_ERROR_INVALID);
  assert_unique_fails (fixture, "CON", FERRY_TRANSFER_PATH_ERROR_INVALID);
  assert_unique_fails (fixture, "", FERRY_TRANSFER_PATH_ERROR_EMPTY);
}

static void
assert_resolved (Fixture    *fixture,
                 const char *safe_relative)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = ferry_transfer_path_resolve (fixture->dir, safe_relative, &error);
  g_autofree char *relative = relative_of (fixture, file);

  g_assert_no_error (error);
  g_assert_cmpstr (relative, ==, safe_relative);
}

static void
assert_unsafe (Fixture    *fixture,
               const char *safe_relative)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = ferry_transfer_path_resolve (fixture->dir, safe_relative, &error);

  g_assert_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_UNSAFE);
  g_assert_null (file);
}

static void
test_resolve (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *fifo = g_build_filename (fixture->download, "fifo", NULL);

  make_folder (fixture, "photos/2024");
  touch (fixture, "photos/2024/a.jpg");
  touch (fixture, "file");
  make_link (fixture, "out", fixture->outside);
  make_link (fixture, "photos/inner", fixture->outside);
  make_link (fixture, "photos/up", "..");
  make_link (fixture, "dangling", "/nonexistent/ferry-test");
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  /* Existing folders are entered; what exists at the end may be a file or a folder. */
  assert_resolved (fixture, "photos/2024/a.jpg");
  assert_resolved (fixture, "photos/2024/b.jpg");
  assert_resolved (fixture, "photos/new/deeper/c.jpg");
  assert_resolved (fixture, "photos/2024");
  assert_resolved (fixture, "new/x");

  /* A symbolic link anywhere, pointing out or not, dangling or not. */
  assert_unsafe (fixture, "out/x.txt");
  assert_unsafe (fixture, "out");
  assert_unsafe (fixture, "photos/inner/x.txt");
  assert_unsafe (fixture, "photos/up/x");
  assert_unsafe (fixture, "dangling");
  /* A file where a folder is needed, and a FIFO where a file is. */
  assert_unsafe (fixture, "file/x");
  assert_unsafe (fixture, "photos/2024/a.jpg/x");
  assert_unsafe (fixture, "fifo");
}

static void
test_resolve_message (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;

  make_folder (fixture, "a");
  make_link (fixture, "a/b", fixture->outside);
  file = ferry_transfer_path_resolve (fixture->dir, "a/b/c/d", &error);
  g_assert_null (file);
  g_assert_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_UNSAFE);
  /* The message names the link, not the whole path. */
  g_assert_nonnull (strstr (error->message, "a/b"));
  g_assert_null (strstr (error->message, "a/b/c"));
}

/* The temporary name always fits, even next to a name of the longest length. */
static void
test_part_name (void)
{
  g_autofree char *short_part = ferry_transfer_path_part_name ("a/b/notes.txt");
  g_autofree char *long_a = g_strconcat ("dir/", repeat ("é", 120), "aaaaaaaaaaaaaa.bin", NULL);
  g_autofree char *long_b = g_strconcat ("dir/", repeat ("é", 120), "bbbbbbbbbbbbbb.bin", NULL);
  g_autofree char *part_a = ferry_transfer_path_part_name (long_a);
  g_autofree char *part_a2 = ferry_transfer_path_part_name (long_a);
  g_autofree char *part_b = ferry_transfer_path_part_name (long_b);
  g_autofree char *edge = repeat ("x", 250);
  g_autofree char *edge_part = ferry_transfer_path_part_name (edge);
  g_autofree char *over = repeat ("x", 251);
  g_autofree char *over_part = ferry_transfer_path_part_name (over);

  g_assert_cmpstr (short_part, ==, "a/b/notes.txt.part");
  /* 4 + 240 + 18 bytes: 262 with ".part" would not fit. */
  g_assert_cmpuint (strlen (long_a), ==, 4 + 240 + 18);
  g_assert_true (g_str_has_prefix (part_a, "dir/"));
  g_assert_true (g_str_has_suffix (part_a, ".part"));
  g_assert_cmpuint (strlen (part_a) - 4, <=, FERRY_TRANSFER_PATH_MAX_NAME);
  g_assert_true (g_utf8_validate (part_a, -1, NULL));
  g_assert_nonnull (strchr (part_a, '~'));
  /* The same for the same name; apart for names that differ only past the cut. */
  g_assert_cmpstr (part_a, ==, part_a2);
  g_assert_cmpstr (part_a, !=, part_b);
  g_assert_cmpuint (strlen (edge_part), ==, 255);
  g_assert_true (g_str_has_suffix (edge_part, "x.part"));
  g_assert_cmpuint (strlen (over_part), ==, 255);
  g_assert_nonnull (strchr (over_part, '~'));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/transfer-path/parent", test_parent);
  g_test_add_func ("/transfer-path/absolute", test_absolute);
  g_test_add_func ("/transfer-path/dots-and-empty", test_dots_and_empty);
  g_test_add_func ("/transfer-path/trailing", test_trailing);
  g_test_add_func ("/transfer-path/device-names", test_device_names);
  g_test_add_func ("/transfer-path/replaced", test_replaced);
  g_test_add_func ("/transfer-path/bidi", test_bidi);
  g_test_add_func ("/transfer-path/long-names", test_long_names);
  g_test_add_func ("/transfer-path/cut-utf8", test_cut_utf8);
  g_test_add_func ("/transfer-path/normalization", test_normalization);
  g_test_add_func ("/transfer-path/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/transfer-path/limits", test_limits);
  g_test_add_func ("/transfer-path/check", test_check);
  g_test_add_func ("/transfer-path/part-name", test_part_name);
  g_test_add ("/transfer-path/unique/numbers", Fixture, NULL,
              fixture_set_up, test_unique_numbers, fixture_tear_down);
  g_test_add ("/transfer-path/unique/folders", Fixture, NULL,
              fixture_set_up, test_unique_folders, fixture_tear_down);
  g_test_add ("/transfer-path/unique/links", Fixture, NULL,
              fixture_set_up, test_unique_links, fixture_tear_down);
  g_test_add ("/transfer-path/unique/long", Fixture, NULL,
              fixture_set_up, test_unique_long, fixture_tear_down);
  g_test_add ("/transfer-path/unique/refused", Fixture, NULL,
              fixture_set_up, test_unique_refused, fixture_tear_down);
  g_test_add ("/transfer-path/resolve", Fixture, NULL,
              fixture_set_up, test_resolve, fixture_tear_down);
  g_test_add ("/transfer-path/resolve/message", Fixture, NULL,
              fixture_set_up, test_resolve_message, fixture_tear_down);

  return g_test_run ();
}
