/* ferry-bin20.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-bin20.h"
#include "ferry-json.h"

void
ferry_bin20_append_json (GString      *out,
                         const guint8  bytes[FERRY_BIN20_LEN])
{
  gunichar2 units[FERRY_BIN20_LEN];

  for (guint i = 0; i < FERRY_BIN20_LEN; i++)
    units[i] = bytes[i];
  ferry_json_append_utf16 (out, units, FERRY_BIN20_LEN);
}

char *
ferry_bin20_to_json (const guint8 bytes[FERRY_BIN20_LEN])
{
  GString *out = g_string_sized_new (FERRY_BIN20_LEN * 2 + 2);

  ferry_bin20_append_json (out, bytes);
  return g_string_free (out, FALSE);
}

gboolean
ferry_bin20_decode (const char **p,
                    const char  *end,
                    guint8       bytes[FERRY_BIN20_LEN],
                    GError     **error)
{
  g_autoptr(GArray) units = NULL;
  const char *s = *p;

  if (!(units = ferry_json_string_decode (&s, end, error)))
    return FALSE;

  if (units->len != FERRY_BIN20_LEN)
    {
      g_set_error (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE,
                   ngettext ("A 20-byte id has %u character instead of 20",
                             "A 20-byte id has %u characters instead of 20", units->len),
                   units->len);
      return FALSE;
    }

  for (guint i = 0; i < FERRY_BIN20_LEN; i++)
    {
      gunichar2 u = g_array_index (units, gunichar2, i);

      if (u > 0xFF)
        {
          g_set_error (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE,
                       _("A 20-byte id contains the character U+%04X, above U+00FF"), u);
          return FALSE;
        }
      bytes[i] = u;
    }

  *p = s;
  return TRUE;
}

gboolean
ferry_bin20_from_json (const char *json,
                       gsize       len,
                       guint8      bytes[FERRY_BIN20_LEN],
                       GError    **error)
{
  const char *p = json;

  if (!ferry_bin20_decode (&p, json + len, bytes, error))
    return FALSE;
  if (p != json + len)
    {
      g_set_error_literal (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_SYNTAX,
                           _("Malformed JSON: trailing characters after a 20-byte id"));
      return FALSE;
    }
  return TRUE;
}

gboolean
ferry_bin20_from_member (const char *json,
                         gsize       len,
                         const char *name,
                         guint8      bytes[FERRY_BIN20_LEN],
                         GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *value;
  const char *value_end;

  if (!ferry_json_object_find_member (json, len, name, &value, &value_end, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE, _("Member “%s” is missing"),
                     name);
      return FALSE;
    }

  if (!ferry_bin20_from_json (value, value_end - value, bytes, &local_error))
    {
      g_set_error (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE, _("Member “%s”: %s"), name,
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}
