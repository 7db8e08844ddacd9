/* ferry-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-crypto.h"
#include "ferry-json.h"

G_DEFINE_QUARK (ferry-json-error-quark, ferry_json_error)

void
ferry_json_skip_ws (const char **p,
                    const char  *end)
{
  while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r'))
    (*p)++;
}

static gboolean
syntax_error (GError     **error,
              const char  *what)
{
  g_set_error (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_SYNTAX, _("Malformed JSON: %s"), what);
  return FALSE;
}

/* The UTF-16 code unit of the \uXXXX escape at @p, or -1 when there is none. */
static int
u_escape_at (const char *p,
             const char *end)
{
  guint8 bytes[2];

  if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !ferry_hex_decode (p + 2, 4, '\0', bytes, 2))
    return -1;
  return bytes[0] << 8 | bytes[1];
}

static void
append_code_point (GArray   *units,
                   gunichar  c)
{
  if (c < 0x10000)
    {
      gunichar2 u = c;
      g_array_append_val (units, u);
    }
  else
    {
      gunichar2 pair[2] = { 0xD800 + ((c - 0x10000) >> 10), 0xDC00 + ((c - 0x10000) & 0x3FF) };
      g_array_append_vals (units, pair, 2);
    }
}

GArray *
ferry_json_string_decode (const char **p,
                          const char  *end,
                          GError     **error)
{
  g_autoptr(GArray) units = g_array_new (FALSE, FALSE, sizeof (gunichar2));
  const char *s = *p;

  if (s >= end || *s != '"')
    {
      g_set_error_literal (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE,
                           _("Expected a JSON string"));
      return NULL;
    }
  s++;

  while (s < end)
    {
      guchar c = *s;

      if (c == '"')
        {
          *p = s + 1;
          return g_steal_pointer (&units);
        }
      else if (c == '\\')
        {
          gunichar2 u;

          if (end - s < 2)
            break;
          switch (s[1])
            {
            case '"': u = '"'; break;
            case '\\': u = '\\'; break;
            case '/': u = '/'; break;
            case 'b': u = '\b'; break;
            case 'f': u = '\f'; break;
            case 'n': u = '\n'; break;
            case 'r': u = '\r'; break;
            case 't': u = '\t'; break;
            case 'u':
              {
                int v;

                if (end - s < 6)
                  return (syntax_error (error, _("truncated \\u escape")), NULL);
                if ((v = u_escape_at (s, end)) < 0)
                  return (syntax_error (error, _("bad \\u escape")), NULL);
                u = v;
                s += 4;
                break;
              }
            default:
              return (syntax_error (error, _("unknown escape")), NULL);
            }
          g_array_append_val (units, u);
          s += 2;
        }
      else if (c < 0x20)
        {
          return (syntax_error (error, _("control character in string")), NULL);
        }
      else if (c < 0x80)
        {
          gunichar2 u = c;
          g_array_append_val (units, u);
          s++;
        }
      else
        {
          const char *next;
          gunichar cp;

          /* Find the end of this UTF-8 sequence without reading past @end. */
          cp = g_utf8_get_char_validated (s, end - s);
          if (cp == (gunichar) -1 || cp == (gunichar) -2)
            return (syntax_error (error, _("invalid UTF-8")), NULL);
          next = g_utf8_next_char (s);
          append_code_point (units, cp);
          s = next;
        }
    }

  syntax_error (error, _("unterminated string"));
  return NULL;
}

static gboolean
skip_value_at_depth (const char **p,
                     const char  *end,
                     guint        depth,
                     GError     **error)
{
  const char *s;

  if (depth > FERRY_JSON_MAX_DEPTH)
    {
      g_set_error_literal (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TOO_DEEP,
                           _("JSON nested too deeply"));
      return FALSE;
    }

  ferry_json_skip_ws (p, end);
  s = *p;
  if (s >= end)
    return syntax_error (error, _("value expected"));

  switch (*s)
    {
    case '"':
      {
        g_autoptr(GArray) units = ferry_json_string_decode (p, end, error);
        return units != NULL;
      }

    case '{':
    case '[':
      {
        gboolean object = *s == '{';
        char close = object ? '}' : ']';

        *p = s + 1;
        ferry_json_skip_ws (p, end);
        if (*p < end && **p == close)
          {
            (*p)++;
            return TRUE;
          }
        for (;;)
          {
            if (object)
              {
                g_autoptr(GArray) key = NULL;

                ferry_json_skip_ws (p, end);
                if (!(key = ferry_json_string_decode (p, end, error)))
                  return FALSE;
                ferry_json_skip_ws (p, end);
                if (*p >= end || **p != ':')
                  return syntax_error (error, _("':' expected"));
                (*p)++;
              }
            if (!skip_value_at_depth (p, end, depth + 1, error))
              return FALSE;
            ferry_json_skip_ws (p, end);
            if (*p >= end)
              return syntax_error (error, _("unterminated container"));
            if (**p == close)
              {
                (*p)++;
                return TRUE;
              }
            if (**p != ',')
              return syntax_error (error, _("',' expected"));
            (*p)++;
          }
      }

    case 't':
    case 'f':
    case 'n':
      {
        static const char *const literals[] = { "true", "false", "null" };

        for (guint i = 0; i < G_N_ELEMENTS (literals); i++)
          {
            gsize n = strlen (literals[i]);
            if ((gsize) (end - s) >= n && memcmp (s, literals[i], n) == 0)
              {
                *p = s + n;
                return TRUE;
              }
          }
        return syntax_error (error, _("unknown literal"));
      }

    default:
      {
        /* Numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
        const char *q = s;

        if (q < end && *q == '-')
          q++;
        if (q >= end || !g_ascii_isdigit (*q))
          return syntax_error (error, _("unexpected character"));
        if (*q == '0')
          q++;
        else
          while (q < end && g_ascii_isdigit (*q))
            q++;
        if (q < end && *q == '.')
          {
            q++;
            if (q >= end || !g_ascii_isdigit (*q))
              return syntax_error (error, _("bad number"));
            while (q < end && g_ascii_isdigit (*q))
              q++;
          }
        if (q < end && (*q == 'e' || *q == 'E'))
          {
            q++;
            if (q < end && (*q == '+' || *q == '-'))
              q++;
            if (q >= end || !g_ascii_isdigit (*q))
              return syntax_error (error, _("bad number"));
            while (q < end && g_ascii_isdigit (*q))
              q++;
          }
        *p = q;
        return TRUE;
      }
    }
}

gboolean
ferry_json_skip_value (const char **p,
                       const char  *end,
                       GError     **error)
{
  return skip_value_at_depth (p, end, 0, error);
}

FerryJsonEscapes
ferry_json_find_misread_escapes (const char *json,
                                 gsize       len)
{
  const char *end = json + len;
  const char *p = json;
  FerryJsonEscapes found = 0;

  while (p < end && (p = memchr (p, '\\', end - p)) != NULL)
    {
      int unit = u_escape_at (p, end);

      if (unit == 0)
        found |= FERRY_JSON_ESCAPE_NUL;
      if (unit >= 0xD800 && unit <= 0xDBFF)
        {
          int low = u_escape_at (p + 6, end);

          if (low < 0xDC00 || low > 0xDFFF)
            {
              found |= FERRY_JSON_ESCAPE_LONE_SURROGATE;
              p += 6;
            }
          else
            p += 12;
        }
      else if (unit >= 0xDC00 && unit <= 0xDFFF)
        {
          found |= FERRY_JSON_ESCAPE_LONE_SURROGATE;
          p += 6;
        }
      else
        p += 2;  /* any other escape, \\ included: its second backslash is skipped */
    }
  return found;
}

static gboolean
units_equal_ascii (GArray     *units,
                   const char *name)
{
  gsize n = strlen (name);

  if (units->len != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (g_array_index (units, gunichar2, i) != (guchar) name[i])
      return FALSE;
  return TRUE;
}

gboolean
ferry_json_object_find_member (const char  *json,
                               gsize        len,
                               const char  *name,
                               const char **value,
                               const char **value_end,
                               GError     **error)
{
  const char *p = json;
  const char *end = json + len;
  const char *found = NULL;
  const char *found_end = NULL;

  ferry_json_skip_ws (&p, end);
  if (p >= end || *p != '{')
    {
      g_set_error_literal (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE,
                           _("Expected a JSON object"));
      return FALSE;
    }
  p++;
  ferry_json_skip_ws (&p, end);
  if (p < end && *p == '}')
    p++;
  else
    for (;;)
      {
        g_autoptr(GArray) key = NULL;
        const char *start;

        ferry_json_skip_ws (&p, end);
        if (!(key = ferry_json_string_decode (&p, end, error)))
          return FALSE;
        ferry_json_skip_ws (&p, end);
        if (p >= end || *p != ':')
          return syntax_error (error, _("':' expected"));
        p++;
        ferry_json_skip_ws (&p, end);
        start = p;
        if (!skip_value_at_depth (&p, end, 1, error))
          return FALSE;
        /* Like JSON.parse, the last duplicate member wins. */
        if (units_equal_ascii (key, name))
          {
            found = start;
            found_end = p;
          }
        ferry_json_skip_ws (&p, end);
        if (p >= end)
          return syntax_error (error, _("unterminated object"));
        if (*p == '}')
          {
            p++;
            break;
          }
        if (*p != ',')
          return syntax_error (error, _("',' expected"));
        p++;
      }

  ferry_json_skip_ws (&p, end);
  if (p != end)
    return syntax_error (error, _("trailing characters after the object"));

  if (found == NULL)
    return FALSE;
  *value = found;
  *value_end = found_end;
  return TRUE;
}

static void
append_escaped_unit (GString   *out,
                     gunichar2  u)
{
  switch (u)
    {
    case '"': g_string_append (out, "\\\""); break;
    case '\\': g_string_append (out, "\\\\"); break;
    case '\b': g_string_append (out, "\\b"); break;
    case '\f': g_string_append (out, "\\f"); break;
    case '\n': g_string_append (out, "\\n"); break;
    case '\r': g_string_append (out, "\\r"); break;
    case '\t': g_string_append (out, "\\t"); break;
    default:
      g_string_append_printf (out, "\\u%04x", u);
    }
}

void
ferry_json_append_utf16 (GString         *out,
                         const gunichar2 *units,
                         gsize            n_units)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < n_units; i++)
    {
      gunichar2 u = units[i];

      if (u < 0x20 || u == '"' || u == '\\')
        append_escaped_unit (out, u);
      else if (u < 0x80)
        g_string_append_c (out, u);
      else if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n_units &&
               units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF)
        {
          gunichar c = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
          g_string_append_unichar (out, c);
          i++;
        }
      else if (u >= 0xD800 && u <= 0xDFFF)
        /* Well-formed JSON.stringify (ES2019) escapes lone surrogates. */
        g_string_append_printf (out, "\\u%04x", u);
      else
        g_string_append_unichar (out, u);
    }
  g_string_append_c (out, '"');
}

void
ferry_json_append_utf8 (GString    *out,
                        const char *text,
                        gssize      len)
{
  const char *p = text;
  const char *end;
  const char *run;

  if (len < 0)
    len = strlen (text);
  end = text + len;

  g_string_append_c (out, '"');
  run = p;
  for (; p < end; p++)
    {
      guchar c = *p;

      if (c < 0x20 || c == '"' || c == '\\')
        {
          g_string_append_len (out, run, p - run);
          append_escaped_unit (out, c);
          run = p + 1;
        }
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

GArray *
ferry_utf8_to_utf16 (const char *text,
                     gssize      len)
{
  GArray *units;
  const char *p = text;
  const char *end;

  if (len < 0)
    len = strlen (text);
  end = text + len;
  units = g_array_sized_new (FALSE, FALSE, sizeof (gunichar2), len);

  while (p < end)
    {
      append_code_point (units, g_utf8_get_char (p));
      p = g_utf8_next_char (p);
    }

  return units;
}

char *
ferry_utf16_to_utf8 (const gunichar2 *units,
                     gsize            n_units,
                     gsize           *out_len)
{
  GString *out = g_string_sized_new (n_units + 1);

  for (gsize i = 0; i < n_units; i++)
    {
      gunichar2 u = units[i];
      gunichar c = u;

      if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n_units &&
          units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF)
        {
          c = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
          i++;
        }
      else if (u >= 0xD800 && u <= 0xDFFF)
        c = 0xFFFD;

      if (c < 0x80)
        g_string_append_c (out, c);
      else
        g_string_append_unichar (out, c);
    }

  if (out_len != NULL)
    *out_len = out->len;
  return g_string_free (out, FALSE);
}

char *
ferry_json_escape_raw_controls (char *json)
{
  GString *out;

  for (const char *p = json; *p != '\0'; p++)
    if ((guchar) *p < 0x20)
      goto escape;
  return json;

escape:
  out = g_string_sized_new (strlen (json) + 16);
  for (const char *p = json; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  g_free (json);
  return g_string_free (out, FALSE);
}
