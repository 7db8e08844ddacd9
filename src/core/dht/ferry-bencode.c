/* ferry-bencode.c: strict bencode, for the BitTorrent DHT
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-bencode.h"

struct _FerryBencode
{
  FerryBencodeKind  kind;
  gint64            integer;
  const guint8     *bytes;     /* a byte string's, inside the root's buffer */
  gsize             bytes_len;
  const guint8     *raw;       /* the whole encoding, inside the root's buffer */
  gsize             raw_len;
  GPtrArray        *children;  /* a list's items; a dictionary's keys and values, alternating */
  guint8           *buffer;    /* the root's copy of the input */
};

typedef struct {
  const guint8 *p;
  const guint8 *end;
  guint         values;
} Reader;

G_DEFINE_QUARK (ferry-bencode-error-quark, ferry_bencode_error)

static void
value_free (gpointer data)
{
  FerryBencode *value = data;

  g_clear_pointer (&value->children, g_ptr_array_unref);
  g_free (value->buffer);
  g_free (value);
}

void
ferry_bencode_free (FerryBencode *root)
{
  if (root != NULL)
    value_free (root);
}

static gboolean
fail (GError     **error,
      int          code,
      const char  *message)
{
  g_set_error_literal (error, FERRY_BENCODE_ERROR, code, message);
  return FALSE;
}

/* Digits up to @stop, as a non-negative number without leading zeros that fits @max. */
static gboolean
read_number (Reader   *r,
             char      stop,
             guint64   max,
             guint64  *out,
             GError  **error)
{
  const guint8 *start = r->p;
  guint64 n = 0;

  while (r->p < r->end && g_ascii_isdigit (*r->p))
    {
      guint digit = *r->p - '0';

      if (n > (max - digit) / 10)
        return fail (error, FERRY_BENCODE_ERROR_TOO_LARGE, _("A number is too large"));
      n = n * 10 + digit;
      r->p++;
    }
  if (r->p == start || r->p >= r->end || *r->p != stop)
    return fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("A number is malformed or cut short"));
  if (*start == '0' && r->p - start > 1)
    return fail (error, FERRY_BENCODE_ERROR_NOT_CANONICAL, _("A number has leading zeros"));
  r->p++;
  *out = n;
  return TRUE;
}

static int
compare_keys (const FerryBencode *a,
              const FerryBencode *b)
{
  int c = memcmp (a->bytes, b->bytes, MIN (a->bytes_len, b->bytes_len));

  return c != 0 ? c : (a->bytes_len > b->bytes_len) - (a->bytes_len < b->bytes_len);
}

static FerryBencode *read_value (Reader *r, guint depth, GError **error);

static gboolean
read_body (Reader        *r,
           FerryBencode  *value,
           guint          depth,
           GError       **error)
{
  guint64 n;

  switch (*r->p)
    {
    case 'i':
      {
        gboolean negative;

        r->p++;
        negative = r->p < r->end && *r->p == '-';
        if (negative)
          r->p++;
        if (!read_number (r, 'e', negative ? (guint64) G_MAXINT64 + 1 : G_MAXINT64, &n, error))
          return FALSE;
        if (negative && n == 0)
          return fail (error, FERRY_BENCODE_ERROR_NOT_CANONICAL, _("An integer is -0"));
        value->kind = FERRY_BENCODE_INT;
        value->integer = negative ? (gint64) (0 - n) : (gint64) n;
        return TRUE;
      }

    case 'l':
    case 'd':
      value->kind = *r->p == 'l' ? FERRY_BENCODE_LIST : FERRY_BENCODE_DICT;
      value->children = g_ptr_array_new_with_free_func (value_free);
      r->p++;
      while (r->p < r->end && *r->p != 'e')
        {
          FerryBencode *child = read_value (r, depth + 1, error);

          if (child == NULL)
            return FALSE;
          g_ptr_array_add (value->children, child);
          if (value->kind == FERRY_BENCODE_DICT && value->children->len % 2 == 1)
            {
              guint n_keys = (value->children->len + 1) / 2;

              if (child->kind != FERRY_BENCODE_BYTES)
                return fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("A dictionary key is not a byte string"));
              if (n_keys > 1 && compare_keys (g_ptr_array_index (value->children, value->children->len - 3), child) >= 0)
                return fail (error, FERRY_BENCODE_ERROR_NOT_CANONICAL,
                             _("Dictionary keys are out of order or repeated"));
            }
        }
      if (r->p >= r->end)
        return fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("A list or dictionary is cut short"));
      if (value->kind == FERRY_BENCODE_DICT && value->children->len % 2 == 1)
        return fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("A dictionary key has no value"));
      r->p++;
      return TRUE;

    default:
      if (!g_ascii_isdigit (*r->p))
        return fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("Not bencode"));
      if (!read_number (r, ':', G_MAXSIZE, &n, error))
        return FALSE;
      if (n > (guint64) (r->end - r->p))
        return fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("A byte string is cut short"));
      value->kind = FERRY_BENCODE_BYTES;
      value->bytes = r->p;
      value->bytes_len = n;
      r->p += n;
      return TRUE;
    }
}

static FerryBencode *
read_value (Reader  *r,
            guint    depth,
            GError **error)
{
  FerryBencode *value;

  if (depth > FERRY_BENCODE_MAX_DEPTH)
    return (fail (error, FERRY_BENCODE_ERROR_TOO_LARGE, _("Values are nested too deep")), NULL);
  if (++r->values > FERRY_BENCODE_MAX_VALUES)
    return (fail (error, FERRY_BENCODE_ERROR_TOO_LARGE, _("Too many values")), NULL);
  if (r->p >= r->end)
    return (fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("A value is missing")), NULL);

  value = g_new0 (FerryBencode, 1);
  value->raw = r->p;
  if (!read_body (r, value, depth, error))
    {
      value_free (value);
      return NULL;
    }
  value->raw_len = r->p - value->raw;
  return value;
}

FerryBencode *
ferry_bencode_parse (const guint8  *data,
                     gsize          len,
                     GError       **error)
{
  g_autofree guint8 *buffer = g_memdup2 (data, len);
  Reader r = { buffer, buffer + len, 0 };
  FerryBencode *root;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (!(root = read_value (&r, 0, error)))
    return NULL;
  if (r.p != r.end)
    {
      value_free (root);
      return (fail (error, FERRY_BENCODE_ERROR_SYNTAX, _("Something follows the value")), NULL);
    }
  root->buffer = g_steal_pointer (&buffer);
  return root;
}

FerryBencodeKind
ferry_bencode_get_kind (const FerryBencode *value)
{
  return value->kind;
}

gint64
ferry_bencode_get_int (const FerryBencode *value)
{
  g_return_val_if_fail (value->kind == FERRY_BENCODE_INT, 0);

  return value->integer;
}

const guint8 *
ferry_bencode_get_bytes (const FerryBencode *value,
                         gsize              *len)
{
  g_return_val_if_fail (value->kind == FERRY_BENCODE_BYTES, NULL);

  *len = value->bytes_len;
  return value->bytes;
}

gboolean
ferry_bencode_equal_str (const FerryBencode *value,
                         const char         *text)
{
  gsize len = strlen (text);

  return value != NULL && value->kind == FERRY_BENCODE_BYTES && value->bytes_len == len &&
         memcmp (value->bytes, text, len) == 0;
}

guint
ferry_bencode_get_length (const FerryBencode *value)
{
  if (value->children == NULL)
    return 0;
  return value->kind == FERRY_BENCODE_DICT ? value->children->len / 2 : value->children->len;
}

const FerryBencode *
ferry_bencode_get_item (const FerryBencode *list,
                        guint               index)
{
  g_return_val_if_fail (index < ferry_bencode_get_length (list), NULL);

  return g_ptr_array_index (list->children, list->kind == FERRY_BENCODE_DICT ? 2 * index + 1 : index);
}

const FerryBencode *
ferry_bencode_get_key (const FerryBencode *dict,
                       guint               index)
{
  g_return_val_if_fail (dict->kind == FERRY_BENCODE_DICT, NULL);
  g_return_val_if_fail (index < ferry_bencode_get_length (dict), NULL);

  return g_ptr_array_index (dict->children, 2 * index);
}

const FerryBencode *
ferry_bencode_lookup (const FerryBencode *dict,
                      const char         *key)
{
  if (dict == NULL || dict->kind != FERRY_BENCODE_DICT)
    return NULL;
  for (guint i = 0; i < dict->children->len; i += 2)
    if (ferry_bencode_equal_str (g_ptr_array_index (dict->children, i), key))
      return g_ptr_array_index (dict->children, i + 1);
  return NULL;
}

const guint8 *
ferry_bencode_get_raw (const FerryBencode *value,
                       gsize              *len)
{
  *len = value->raw_len;
  return value->raw;
}

void
ferry_bencode_write_int (GByteArray *out,
                         gint64      value)
{
  char text[32];
  int n = g_snprintf (text, sizeof text, "i%" G_GINT64_FORMAT "e", value);

  g_byte_array_append (out, (const guint8 *) text, n);
}

void
ferry_bencode_write_bytes (GByteArray   *out,
                           const guint8 *data,
                           gsize         len)
{
  char text[32];
  int n = g_snprintf (text, sizeof text, "%" G_GSIZE_FORMAT ":", len);

  g_byte_array_append (out, (const guint8 *) text, n);
  g_byte_array_append (out, data, len);
}

void
ferry_bencode_write_str (GByteArray *out,
                         const char *text)
{
  ferry_bencode_write_bytes (out, (const guint8 *) text, strlen (text));
}

void
ferry_bencode_write_mark (GByteArray *out,
                          char        mark)
{
  g_return_if_fail (mark == 'l' || mark == 'd' || mark == 'e');

  g_byte_array_append (out, (const guint8 *) &mark, 1);
}
