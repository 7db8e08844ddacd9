/* ferry-peer-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-json.h"
#include "ferry-peer-message.h"

G_DEFINE_QUARK (ferry-peer-message-error-quark, ferry_peer_message_error)

/* Indexed by FerryPeerMessageType. */
static const char *const type_names[] = {
  [FERRY_PEER_MESSAGE_CHAT] = "chat",
};

static gboolean G_GNUC_PRINTF (2, 3)
malformed (GError    **error,
           const char *format,
           ...)
{
  g_autofree char *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, FERRY_PEER_MESSAGE_ERROR, FERRY_PEER_MESSAGE_ERROR_MALFORMED,
               _("Invalid peer message: %s"), why);
  return FALSE;
}

FerryPeerMessage *
ferry_peer_message_new_chat (const char *text)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (g_utf8_validate (text, -1, NULL), NULL);

  message = g_new0 (FerryPeerMessage, 1);
  message->type = FERRY_PEER_MESSAGE_CHAT;
  message->chat.text = g_strdup (text);
  return message;
}

void
ferry_peer_message_free (FerryPeerMessage *message)
{
  if (message == NULL)
    return;
  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      g_free (message->chat.text);
      break;
    }
  g_free (message);
}

const char *
ferry_peer_message_type_to_string (FerryPeerMessageType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);

  return type_names[type];
}

/* Building */

/* json-glib 1.6 escapes control characters below U+001F but writes U+001F itself as a raw byte,
 * which is not JSON (RFC 8259 section 7): the receiving envelope parser, ours as well as P2PT's
 * JSON.parse (), would drop the whole message.  Such bytes only occur inside strings, and none of
 * the bytes of a multi-byte UTF-8 sequence is below 0x80, so escaping every one is safe.  Output
 * json-glib got right is returned unchanged. */
static char *
escape_raw_controls (char *json)
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

char *
ferry_peer_message_to_json (const FerryPeerMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail ((guint) message->type < G_N_ELEMENTS (type_names), NULL);

  /* "type" first, then the members of that type in a fixed order: the same message always gives
   * the same text. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type_names[message->type]);
  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, message->chat.text != NULL ? message->chat.text : "");
      break;
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return escape_raw_controls (json_generator_to_data (generator, NULL));
}

/* Parsing */

/* Compared as UTF-16 code units, so that any escaping of the same name matches. */
static gboolean
units_equal (GArray     *units,
             const char *ascii)
{
  gsize n = strlen (ascii);

  if (units->len != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (g_array_index (units, gunichar2, i) != (guchar) ascii[i])
      return FALSE;
  return TRUE;
}

/* Decodes the string member @name of the object @json (already checked to be well-formed) as
 * UTF-16 code units.  A missing member is MALFORMED. */
static GArray *
get_string_units (const char  *json,
                  gsize        len,
                  const char  *name,
                  GError     **error)
{
  g_autoptr(GError) local = NULL;
  const char *value, *value_end;
  GArray *units;

  if (!ferry_json_object_find_member (json, len, name, &value, &value_end, &local))
    {
      if (local != NULL)
        malformed (error, "%s", local->message);
      else
        malformed (error, _("“%s” is missing"), name);
      return NULL;
    }
  if (*value != '"')
    {
      malformed (error, _("“%s” is not a string"), name);
      return NULL;
    }
  if (!(units = ferry_json_string_decode (&value, value_end, &local)))
    malformed (error, "%s", local->message);
  return units;
}

/* A string member as UTF-8 text, as JavaScript would show it: lone surrogates become U+FFFD. */
static char *
get_text (const char  *json,
          gsize        len,
          const char  *name,
          GError     **error)
{
  g_autoptr(GArray) units = get_string_units (json, len, name, error);
  g_autofree char *text = NULL;
  gsize text_len;

  if (units == NULL)
    return NULL;
  text = ferry_utf16_to_utf8 ((const gunichar2 *) units->data, units->len, &text_len);
  if (memchr (text, '\0', text_len) != NULL)
    return (malformed (error, _("“%s” contains the character U+0000"), name), NULL);
  return g_steal_pointer (&text);
}

static gboolean
parse_chat (FerryPeerMessage  *message,
            const char        *json,
            gsize              len,
            GError           **error)
{
  message->chat.text = get_text (json, len, "text", error);
  return message->chat.text != NULL;
}

FerryPeerMessage *
ferry_peer_message_parse (const char  *json,
                          gsize        len,
                          GError     **error)
{
  g_autoptr(FerryPeerMessage) message = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GArray) type = NULL;
  const char *p = json;
  const char *end = json + len;
  gboolean known = FALSE;
  gboolean ok = FALSE;

  g_return_val_if_fail (json != NULL || len == 0, NULL);

  if (len > FERRY_PEER_MESSAGE_MAX_BYTES)
    return (malformed (error, _("it is too large")), NULL);
  if (len == 0 || !g_utf8_validate_len (json, len, NULL))
    return (malformed (error, _("it is not UTF-8 text")), NULL);
  /* Checks the whole text once, with a bound on nesting, before looking up members in it. */
  if (!ferry_json_skip_value (&p, end, &local))
    return (malformed (error, "%s", local->message), NULL);
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  if (p != end)
    return (malformed (error, _("it has trailing characters")), NULL);
  for (p = json; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
    ;
  if (*p != '{')
    return (malformed (error, _("it is not a JSON object")), NULL);

  if (!(type = get_string_units (json, len, "type", error)))
    return NULL;

  message = g_new0 (FerryPeerMessage, 1);
  for (guint i = 0; i < G_N_ELEMENTS (type_names) && !known; i++)
    if (units_equal (type, type_names[i]))
      {
        message->type = i;
        known = TRUE;
      }
  if (!known)
    {
      g_set_error_literal (error, FERRY_PEER_MESSAGE_ERROR, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE,
                           _("The peer sent a message of a type this version does not know"));
      return NULL;
    }

  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      ok = parse_chat (message, json, len, error);
      break;
    }
  if (!ok)
    return NULL;

  return g_steal_pointer (&message);
}
