/* ferry-text.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-text.h"

static gboolean
is_unwanted (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return TRUE;
    default:
      /* LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI. */
      return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
    }
}

char *
ferry_text_sanitize_line (const char         *text,
                          gsize               max_bytes,
                          FerryTextLineFlags  flags)
{
  g_autofree char *valid = NULL;
  GString *out;
  const char *p;

  g_return_val_if_fail (text != NULL, NULL);

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (MIN (strlen (valid), max_bytes) + 1);
  for (p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      const char *next = g_utf8_next_char (p);
      gboolean unwanted = is_unwanted (g_utf8_get_char (p));

      if (unwanted && !(flags & FERRY_TEXT_LINE_SPACES))
        continue;
      if (out->len + (unwanted ? 1 : next - p) > max_bytes)
        break;
      if (unwanted)
        g_string_append_c (out, ' ');
      else
        g_string_append_len (out, p, next - p);
    }
  if (*p != '\0' && (flags & FERRY_TEXT_LINE_ELLIPSIS))
    g_string_append (out, "…");

  return g_string_free (out, FALSE);
}

const char *
ferry_enum_nick (GType type,
                 int   value)
{
  /* Enum classes of static types are never finalised, so the nick outlives this reference. */
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  return enum_value != NULL ? enum_value->value_nick : "?";
}

gboolean
ferry_enum_from_nick (GType       type,
                      const char *nick,
                      int        *value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value_by_nick (klass, nick);

  if (enum_value == NULL)
    return FALSE;
  *value = enum_value->value;
  return TRUE;
}
