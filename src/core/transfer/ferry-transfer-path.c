/* ferry-transfer-path.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-text.h"
#include "ferry-transfer-path.h"

G_DEFINE_QUARK (ferry-transfer-path-error-quark, ferry_transfer_path_error)

/* The longest extension kept when a name is cut or numbered, its dot included: long enough for
 * ".numbers" or ".tar.zst", short enough that the part before it keeps most of the name. */
#define MAX_EXTENSION 16

/* How much of a remote path an error message shows. */
#define MAX_SHOWN 100

static void
set_path_error (GError               **error,
                FerryTransferPathError code,
                const char            *path,
                const char            *why)
{
  g_autofree char *shown = ferry_text_sanitize_line (path, MAX_SHOWN, FERRY_TEXT_LINE_ELLIPSIS);

  g_set_error (error, FERRY_TRANSFER_PATH_ERROR, code, _("Invalid file name “%s”: %s"), shown, why);
}

/* Invisible characters that reorder or break the text around them. */
static gboolean
is_removed (gunichar c)
{
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x2028 || c == 0x2029;
}

/* Control characters, and what Windows file systems refuse in a name. */
static gboolean
is_replaced (gunichar c)
{
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
    return TRUE;
  switch (c)
    {
    case '<':
    case '>':
    case ':':
    case '"':
    case '|':
    case '?':
    case '*':
    case '\\':
      return TRUE;
    default:
      return FALSE;
    }
}

static void
trim_end (GString *name)
{
  gsize len = name->len;

  while (len > 0 && (name->str[len - 1] == '.' || name->str[len - 1] == ' '))
    len--;
  g_string_truncate (name, len);
}

/* CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9, COM¹–COM³ and LPT¹–LPT³, in any case, alone or
 * before a dot; Windows ignores spaces between the device name and the dot. */
static gboolean
is_device_name (const char *name)
{
  gsize base = strcspn (name, ".");

  while (base > 0 && name[base - 1] == ' ')
    base--;

  if (base == 3)
    return g_ascii_strncasecmp (name, "CON", 3) == 0 || g_ascii_strncasecmp (name, "PRN", 3) == 0 ||
           g_ascii_strncasecmp (name, "AUX", 3) == 0 || g_ascii_strncasecmp (name, "NUL", 3) == 0;

  if (base != 4 && base != 5)
    return FALSE;
  if (g_ascii_strncasecmp (name, "COM", 3) != 0 && g_ascii_strncasecmp (name, "LPT", 3) != 0)
    return FALSE;
  if (base == 4)
    return g_ascii_isdigit (name[3]);
  /* Superscript one, two and three: U+00B9, U+00B2, U+00B3. */
  return (guchar) name[3] == 0xC2 &&
         ((guchar) name[4] == 0xB9 || (guchar) name[4] == 0xB2 || (guchar) name[4] == 0xB3);
}

/* Where the extension of @name starts: the last dot, unless it is the first character (".bashrc"
 * has none) or what follows is longer than MAX_EXTENSION; ".tar" before it belongs to it
 * ("archive.tar.gz").  @len when there is none. */
static gsize
extension_start (const char *name,
                 gsize       len)
{
  const char *dot = g_strrstr_len (name, len, ".");
  gsize start;

  if (dot == NULL || dot == name || (gsize) (name + len - dot) > MAX_EXTENSION)
    return len;
  start = dot - name;
  if (start > 4 && g_ascii_strncasecmp (name + start - 4, ".tar", 4) == 0 &&
      len - (start - 4) <= MAX_EXTENSION)
    start -= 4;
  return start;
}

/* The longest prefix of @text of at most @max bytes that ends at a character boundary; @text
 * is valid UTF-8 and longer than @max bytes. */
static gsize
utf8_cut (const char *text,
          gsize       max)
{
  gsize len = max;

  while (len > 0 && ((guchar) text[len] & 0xC0) == 0x80)
    len--;
  return len;
}

/* Cuts @name to FERRY_TRANSFER_PATH_MAX_NAME bytes, keeping its extension. */
static void
cut_name (GString *name)
{
  gsize ext = extension_start (name->str, name->len);
  gsize stem;

  if (ext == name->len)
    {
      g_string_truncate (name, utf8_cut (name->str, FERRY_TRANSFER_PATH_MAX_NAME));
      return;
    }
  stem = utf8_cut (name->str, FERRY_TRANSFER_PATH_MAX_NAME - (name->len - ext));
  g_string_erase (name, stem, ext - stem);
}

/* Rules 7 to 9 of the header, again after each cut since a cut can leave trailing spaces or a
 * device name, and the "_" of a device name can make the name too long once more.  Each round
 * either ends or shortens a name that is longer than the limit, and a "_" is added at most once
 * after a cut (a name that starts with "_" is no device name), so this ends after three. */
static void
finish_component (GString *name)
{
  for (;;)
    {
      trim_end (name);
      if (name->len == 0)
        g_string_assign (name, "_");
      if (is_device_name (name->str))
        g_string_prepend_c (name, '_');
      if (name->len <= FERRY_TRANSFER_PATH_MAX_NAME)
        return;
      cut_name (name);
    }
}

typedef enum {
  COMPONENT_NAME,
  COMPONENT_NONE,    /* empty or "." */
  COMPONENT_PARENT,  /* ".." */
} ComponentKind;

/* Rules 3 to 9 on one component of @len bytes of valid UTF-8; sets *@out for COMPONENT_NAME. */
static ComponentKind
clean_component (const char  *raw,
                 gsize        len,
                 char       **out)
{
  g_autoptr(GString) cleaned = g_string_sized_new (len);
  g_autofree char *normal = NULL;
  GString *name;

  for (const char *p = raw; p < raw + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_removed (c))
        continue;
      if (is_replaced (c))
        g_string_append_c (cleaned, '_');
      else
        g_string_append_unichar (cleaned, c);
    }

  /* The removals and replacements come first, so that a character removed between a letter and
   * its accent cannot leave a name that is no longer in normalization form C.  No character
   * normalizes to one that was replaced or removed. */
  normal = g_utf8_normalize (cleaned->str, cleaned->len, G_NORMALIZE_NFC);
  if (normal[0] == '\0' || strcmp (normal, ".") == 0)
    return COMPONENT_NONE;
  if (strcmp (normal, "..") == 0)
    return COMPONENT_PARENT;

  name = g_string_new (normal);
  finish_component (name);
  *out = g_string_free (name, FALSE);
  return COMPONENT_NAME;
}

static gboolean
is_drive (const char *raw,
          gsize       len)
{
  return len == 2 && g_ascii_isalpha (raw[0]) && raw[1] == ':';
}

char *
ferry_transfer_path_sanitize (const char  *remote_path,
                              GError     **error)
{
  g_autoptr(GString) out = NULL;
  gsize input_len;
  guint depth = 0;

  g_return_val_if_fail (remote_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  input_len = strlen (remote_path);
  if (input_len > FERRY_TRANSFER_PATH_MAX_INPUT)
    {
      set_path_error (error, FERRY_TRANSFER_PATH_ERROR_INVALID, remote_path, _("it is too long"));
      return NULL;
    }
  if (!g_utf8_validate_len (remote_path, input_len, NULL))
    {
      set_path_error (error, FERRY_TRANSFER_PATH_ERROR_INVALID, remote_path,
                      _("it is not valid UTF-8"));
      return NULL;
    }

  out = g_string_sized_new (MIN (input_len, FERRY_TRANSFER_PATH_MAX_BYTES) + 1);
  for (const char *start = remote_path; ; )
    {
      const char *end = strchr (start, '/');
      g_autofree char *name = NULL;
      ComponentKind kind = COMPONENT_NONE;

      if (end == NULL)
        end = start + strlen (start);
      /* A drive ("C:/…") loses its root like "/" does. */
      if (start != remote_path || !is_drive (start, end - start))
        kind = clean_component (start, end - start, &name);

      switch (kind)
        {
        case COMPONENT_NONE:
          break;
        case COMPONENT_PARENT:
          set_path_error (error, FERRY_TRANSFER_PATH_ERROR_PARENT, remote_path,
                          _("it refers to a parent folder"));
          return NULL;
        case COMPONENT_NAME:
          if (++depth > FERRY_TRANSFER_PATH_MAX_DEPTH)
            {
              set_path_error (error, FERRY_TRANSFER_PATH_ERROR_TOO_LONG, remote_path,
                              _("it has too many folder levels"));
              return NULL;
            }
          if (out->len > 0)
            g_string_append_c (out, '/');
          g_string_append (out, name);
          if (out->len > FERRY_TRANSFER_PATH_MAX_BYTES)
            {
              set_path_error (error, FERRY_TRANSFER_PATH_ERROR_TOO_LONG, remote_path,
                              _("it is too long"));
              return NULL;
            }
          break;
        default:
          g_assert_not_reached ();
        }

      if (*end == '\0')
        break;
      start = end + 1;
    }

  if (out->len == 0)
    {
      set_path_error (error, FERRY_TRANSFER_PATH_ERROR_EMPTY, remote_path,
                      _("no usable name is left"));
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

typedef struct {
  char     *path;
  gboolean  is_file;
} Entry;

static void
entry_clear (gpointer data)
{
  g_free (((Entry *) data)->path);
}

/* Byte order, except that "/" comes before every other byte: then the entries inside a folder
 * "a" ("a/…") follow "a" at once, before "a b" or "a-b". */
static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const guchar *p = (const guchar *) ((const Entry *) a)->path;
  const guchar *q = (const guchar *) ((const Entry *) b)->path;

  while (*p != '\0' && *p == *q)
    p++, q++;
  if (*p == *q)
    return 0;
  if (*p == '\0' || *q == '\0')
    return *p == '\0' ? -1 : 1;
  if (*p == '/' || *q == '/')
    return *p == '/' ? -1 : 1;
  return *p < *q ? -1 : 1;
}

static gboolean
add_entries (GArray             *entries,
             const char * const *paths,
             gboolean            is_file,
             GError            **error)
{
  for (gsize i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      Entry entry = { ferry_transfer_path_sanitize (paths[i], error), is_file };

      if (entry.path == NULL)
        return FALSE;
      g_array_append_val (entries, entry);
    }
  return TRUE;
}

gboolean
ferry_transfer_paths_check (const char * const  *files,
                            const char * const  *folders,
                            GError             **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_array_set_clear_func (entries, entry_clear);
  if (!add_entries (entries, files, TRUE, error) || !add_entries (entries, folders, FALSE, error))
    return FALSE;

  /* In this order equal paths are neighbours and a path is followed by those inside it, so a
   * file that is used twice, or also as a folder, has a neighbour that shows it. */
  g_array_sort (entries, compare_entries);
  for (guint i = 1; i < entries->len; i++)
    {
      const Entry *prev = &g_array_index (entries, Entry, i - 1);
      const Entry *cur = &g_array_index (entries, Entry, i);
      gsize prev_len = strlen (prev->path);

      if (strcmp (prev->path, cur->path) == 0)
        {
          if (prev->is_file && cur->is_file)
            {
              g_set_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_CONFLICT,
                           _("The offer lists the file “%s” twice"), cur->path);
              return FALSE;
            }
          if (prev->is_file || cur->is_file)
            {
              g_set_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_CONFLICT,
                           _("The offer uses “%s” both as a file and as a folder"), cur->path);
              return FALSE;
            }
        }
      else if (prev->is_file && strncmp (prev->path, cur->path, prev_len) == 0 &&
               cur->path[prev_len] == '/')
        {
          g_set_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_CONFLICT,
                       _("The offer uses “%s” both as a file and as a folder"), prev->path);
          return FALSE;
        }
    }
  return TRUE;
}

/* The components of @safe_relative, which must be what ferry_transfer_path_sanitize() returns
 * for it: a caller that forgot to sanitize gets an error, not a path outside the folder. */
static char **
split_safe (const char  *safe_relative,
            GError     **error)
{
  g_autofree char *again = ferry_transfer_path_sanitize (safe_relative, error);

  if (again == NULL)
    return NULL;
  if (strcmp (again, safe_relative) != 0)
    {
      set_path_error (error, FERRY_TRANSFER_PATH_ERROR_INVALID, safe_relative,
                      _("it has not been made safe"));
      return NULL;
    }
  return g_strsplit (safe_relative, "/", -1);
}

/* Rule of ferry_transfer_path_unique_child(): "@name (@copy)", before the extension of a file
 * name, the name cut so that the result stays within FERRY_TRANSFER_PATH_MAX_NAME bytes.  The
 * result is a component that ferry_transfer_path_sanitize() keeps as it is: it ends with ")" or
 * with the extension of a safe name, and no device name is followed by " (". */
static char *
numbered_name (const char *name,
               guint       copy,
               gboolean    is_file)
{
  gsize len = strlen (name);
  gsize ext = is_file ? extension_start (name, len) : len;
  g_autofree char *number = g_strdup_printf (" (%u)", copy);
  gsize stem = ext;
  gsize room = FERRY_TRANSFER_PATH_MAX_NAME - strlen (number) - (len - ext);

  if (stem > room)
    stem = utf8_cut (name, room);
  return g_strdup_printf ("%.*s%s%s", (int) stem, name, number, name + ext);
}

/* The first @n components of @parts, for a message. */
static char *
join_prefix (char  **parts,
             guint   n)
{
  GString *path = g_string_new (parts[0]);

  for (guint i = 1; i < n; i++)
    g_string_append_printf (path, "/%s", parts[i]);
  return g_string_free (path, FALSE);
}

/* Walks @parts under @root without following symbolic links: see
 * ferry_transfer_path_resolve(). */
static GFile *
resolve_parts (GFile       *root,
               char       **parts,
               GError     **error)
{
  g_autoptr(GFile) file = g_object_ref (root);
  guint n = g_strv_length (parts);
  gboolean exists = TRUE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GFile) child = g_file_get_child (file, parts[i]);
      g_autoptr(GFileInfo) info = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *shown = NULL;
      GFileType type;

      g_set_object (&file, child);
      if (!exists)
        continue;

      info = g_file_query_info (child, G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                                G_FILE_ATTRIBUTE_STANDARD_IS_SYMLINK,
                                G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &local_error);
      if (info == NULL)
        {
          if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          /* Nothing exists below a missing folder. */
          exists = FALSE;
          continue;
        }

      type = g_file_info_get_file_type (info);
      if (type == G_FILE_TYPE_DIRECTORY && !g_file_info_get_is_symlink (info))
        continue;
      if (i == n - 1 && type == G_FILE_TYPE_REGULAR && !g_file_info_get_is_symlink (info))
        continue;

      shown = join_prefix (parts, i + 1);
      if (type == G_FILE_TYPE_SYMBOLIC_LINK || g_file_info_get_is_symlink (info))
        g_set_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_UNSAFE,
                     _("“%s” in the download folder is a symbolic link"), shown);
      else if (i < n - 1)
        g_set_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_UNSAFE,
                     _("“%s” in the download folder is not a folder"), shown);
      else
        g_set_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_UNSAFE,
                     _("“%s” in the download folder is neither a file nor a folder"), shown);
      return NULL;
    }
  return g_steal_pointer (&file);
}

GFile *
ferry_transfer_path_resolve (GFile       *root,
                             const char  *safe_relative,
                             GError     **error)
{
  g_auto(GStrv) parts = NULL;

  g_return_val_if_fail (G_IS_FILE (root), NULL);
  g_return_val_if_fail (safe_relative != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parts = split_safe (safe_relative, error);
  if (parts == NULL)
    return NULL;
  return resolve_parts (root, parts, error);
}

GFile *
ferry_transfer_path_unique_child (GFile       *download_dir,
                                  const char  *safe_relative,
                                  GError     **error)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *first = NULL;
  gboolean is_file;

  g_return_val_if_fail (G_IS_FILE (download_dir), NULL);
  g_return_val_if_fail (safe_relative != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parts = split_safe (safe_relative, error);
  if (parts == NULL)
    return NULL;
  is_file = parts[1] == NULL;
  first = g_steal_pointer (&parts[0]);

  for (guint copy = 0; copy <= FERRY_TRANSFER_PATH_MAX_COPIES; copy++)
    {
      g_autoptr(GFile) child = NULL;
      g_autoptr(GFileInfo) info = NULL;
      g_autoptr(GError) local_error = NULL;

      g_free (parts[0]);
      parts[0] = copy == 0 ? g_strdup (first) : numbered_name (first, copy, is_file);
      child = g_file_get_child (download_dir, parts[0]);
      /* Without following links: a dangling link is a name that is taken. */
      info = g_file_query_info (child, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, &local_error);
      if (info != NULL)
        continue;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* The same walk as ferry_transfer_path_resolve(), which only finds nothing in the way
       * unless something appeared meanwhile. */
      return resolve_parts (download_dir, parts, error);
    }

  g_set_error (error, FERRY_TRANSFER_PATH_ERROR, FERRY_TRANSFER_PATH_ERROR_EXHAUSTED,
               _("There are too many files named “%s” in the download folder"), first);
  return NULL;
}

char *
ferry_transfer_path_part_name (const char *safe_relative)
{
  const char *slash = strrchr (safe_relative, '/');
  const char *name = slash ? slash + 1 : safe_relative;
  g_autofree char *digest = NULL;
  gsize keep;

  if (strlen (name) + strlen (FERRY_TRANSFER_PATH_PART_SUFFIX) <= FERRY_TRANSFER_PATH_MAX_NAME)
    return g_strconcat (safe_relative, FERRY_TRANSFER_PATH_PART_SUFFIX, NULL);

  /* "~" and 8 hex digits of the name's SHA-256 keep two long names that start alike apart. */
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, name, -1);
  keep = utf8_cut (name, FERRY_TRANSFER_PATH_MAX_NAME - strlen (FERRY_TRANSFER_PATH_PART_SUFFIX) - 9);
  return g_strdup_printf ("%.*s%.*s~%.8s%s", (int) (name - safe_relative), safe_relative,
                          (int) keep, name, digest, FERRY_TRANSFER_PATH_PART_SUFFIX);
}

/* Something may take the free name between choosing it and the rename: choose again, a few
 * times. */
#define MOVE_ATTEMPTS 8

GFile *
ferry_transfer_path_move_to_free_name (GFile         *part,
                                       GFile         *parent,
                                       const char    *name,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  for (guint attempt = 0; ; attempt++)
    {
      g_autoptr(GFile) final = ferry_transfer_path_unique_child (parent, name, error);
      g_autoptr(GError) local = NULL;

      if (final == NULL)
        return NULL;
      if (g_file_move (part, final, G_FILE_COPY_NOFOLLOW_SYMLINKS, cancellable, NULL, NULL, &local))
        return g_steal_pointer (&final);
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_EXISTS) || attempt + 1 >= MOVE_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
    }
}
