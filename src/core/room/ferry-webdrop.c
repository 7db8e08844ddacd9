/* ferry-webdrop.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-json.h"
#include "ferry-room-link.h"
#include "ferry-text.h"
#include "ferry-stun-query.h"
#include "ferry-webdrop.h"

G_DEFINE_QUARK (ferry-webdrop-error-quark, ferry_webdrop_error)

/* Room codes */

gboolean
ferry_webdrop_code_is_valid (const char *code)
{
  if (code == NULL || strlen (code) != FERRY_WEBDROP_CODE_LENGTH)
    return FALSE;
  for (const char *p = code; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;
  return TRUE;
}

static gboolean
take_code (const char  *code,
           char       **out,
           GError     **error)
{
  if (!ferry_webdrop_code_is_valid (code))
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_INVALID,
                           _("A WebDrop room code is four letters or digits."));
      return FALSE;
    }
  *out = g_strdup (code);
  return TRUE;
}

/* https://webdrop.space/#/?room=CODE: WebDrop's router keeps its query in the fragment. */
static gboolean
parse_invite_link (GUri        *uri,
                   char       **code,
                   GError     **error)
{
  const char *fragment = g_uri_get_fragment (uri);
  g_autoptr(GHashTable) params = NULL;

  if (fragment == NULL || !g_str_has_prefix (fragment, "/?") ||
      !(params = g_uri_parse_params (fragment + 2, -1, "&", G_URI_PARAMS_NONE, NULL)) ||
      !g_hash_table_contains (params, "room"))
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_INVALID,
                           _("This WebDrop link does not name a room."));
      return FALSE;
    }
  return take_code (g_hash_table_lookup (params, "room"), code, error);
}

gboolean
ferry_webdrop_parse_room (const char  *text,
                          char       **code,
                          GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  if (g_ascii_strncasecmp (text, "webdrop:", strlen ("webdrop:")) == 0)
    return take_code (text + strlen ("webdrop:"), code, error);

  if (!(uri = g_uri_parse (text, G_URI_FLAGS_ENCODED_FRAGMENT, NULL)))
    return FALSE;
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if ((g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0) ||
      host == NULL ||
      (g_ascii_strcasecmp (host, "webdrop.space") != 0 &&
       g_ascii_strcasecmp (host, "www.webdrop.space") != 0))
    return FALSE;
  return parse_invite_link (uri, code, error);
}

char *
ferry_webdrop_code_from_identifier (const char *identifier)
{
  g_return_val_if_fail (identifier != NULL, NULL);

  if (!g_str_has_prefix (identifier, FERRY_WEBDROP_IDENTIFIER_PREFIX) ||
      !ferry_webdrop_code_is_valid (identifier + strlen (FERRY_WEBDROP_IDENTIFIER_PREFIX)))
    return NULL;
  return g_strdup (identifier + strlen (FERRY_WEBDROP_IDENTIFIER_PREFIX));
}

char *
ferry_webdrop_invite_link (const char *code)
{
  g_return_val_if_fail (ferry_webdrop_code_is_valid (code), NULL);

  return g_strconcat ("https://webdrop.space/#/?room=", code, NULL);
}

/* The npm package hash-sum (1.0.2), which WebDrop uses, folds the text's UTF-16 code units into a
 * 32-bit hash after those of "[object String]" and "string"; each step keeps the value as a
 * signed 32-bit number and doubles the magnitude of a negative one, so a result may reach 2^32. */
static guint64
hash_sum_fold (guint64     hash,
               const char *text)
{
  g_autofree gunichar2 *units = NULL;
  glong n_units = 0;
  guint32 x = (guint32) hash;
  gint32 v;

  if (*text == '\0')
    return hash;
  units = g_utf8_to_utf16 (text, -1, NULL, &n_units, NULL);
  for (glong i = 0; units != NULL && i < n_units; i++)
    x = x * 31 + units[i];
  v = (gint32) x;
  return v < 0 ? (guint64) (-2 * (gint64) v) : (guint64) v;
}

char *
ferry_webdrop_network_room_code (const char *address)
{
  g_autofree char *hex = NULL;
  guint64 hash;

  g_return_val_if_fail (address != NULL, NULL);

  hash = hash_sum_fold (hash_sum_fold (0, "[object String]"), "string");
  hash = hash_sum_fold (hash, address);
  hex = g_strdup_printf ("%08" G_GINT64_MODIFIER "x", hash);
  return g_strndup (hex, FERRY_WEBDROP_CODE_LENGTH);
}

gboolean
ferry_webdrop_is_nearby (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text != NULL ? text : ""));

  return g_ascii_strcasecmp (stripped, FERRY_WEBDROP_NEARBY) == 0;
}

static void
public_address_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *address = ferry_stun_query_public_address_finish (result, &error);

  if (address == NULL)
    return g_task_return_error (task, error);
  g_task_set_task_data (task, address, g_free);
  g_task_return_pointer (task, ferry_webdrop_network_room_code (address), g_free);
}

void
ferry_webdrop_find_nearby_async (FerryRtcConfig      *config,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, ferry_webdrop_find_nearby_async);
  ferry_stun_query_public_address_async (config, cancellable, public_address_cb, task);
}

char *
ferry_webdrop_find_nearby_finish (GAsyncResult  *result,
                                  char         **address,
                                  GError       **error)
{
  char *code;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  code = g_task_propagate_pointer (G_TASK (result), error);
  if (address != NULL)
    *address = code != NULL ? g_strdup (g_task_get_task_data (G_TASK (result))) : NULL;
  return code;
}

/* Control messages */

static const char *const type_names[] = {
  [FERRY_WEBDROP_MESSAGE_INIT] = "init",
  [FERRY_WEBDROP_MESSAGE_GET_SHARES] = "getShares",
  [FERRY_WEBDROP_MESSAGE_GET_MSGS] = "getMsgs",
  [FERRY_WEBDROP_MESSAGE_PING] = "ping",
  [FERRY_WEBDROP_MESSAGE_MSG] = "msg",
  [FERRY_WEBDROP_MESSAGE_NEW_SHARE] = "newShare",
  [FERRY_WEBDROP_MESSAGE_START_SENDING] = "startSending",
};

FerryWebdropMessage *
ferry_webdrop_message_new (FerryWebdropMessageType type)
{
  FerryWebdropMessage *message = g_new0 (FerryWebdropMessage, 1);

  message->type = type;
  return message;
}

void
ferry_webdrop_message_free (FerryWebdropMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->name);
  g_free (message->color);
  g_free (message->text);
  g_free (message->time);
  g_free (message->id);
  g_free (message->share_id);
  g_free (message->sdp_type);
  g_free (message->sdp);
  g_free (message->candidate);
  g_free (message);
}

static gboolean G_GNUC_PRINTF (2, 3)
malformed (GError     **error,
           const char  *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (FERRY_WEBDROP_ERROR, FERRY_WEBDROP_ERROR_MALFORMED,
                                                format, args));
  va_end (args);
  return FALSE;
}

/* Member @name of the object as UTF-8 text, as JavaScript would show it (lone surrogates become
 * U+FFFD), made fit for one line and cut to @max_chars characters (or, when not @line, kept as
 * it is and refused when longer).  %NULL with no error when it is absent and not @required. */
static gboolean
read_text (const char  *json,
           gsize        len,
           const char  *name,
           gboolean     required,
           gboolean     line,
           gsize        max_chars,
           char       **out,
           GError     **error)
{
  g_autoptr(GArray) units = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  g_autofree char *sane = NULL;
  g_autofree char *cut = NULL;
  const char *value, *value_end;
  gsize text_len;

  *out = NULL;
  if (!ferry_json_object_find_member (json, len, name, &value, &value_end, &local))
    {
      if (local != NULL)
        return malformed (error, "%s", local->message);
      return required ? malformed (error, _("“%s” is missing"), name) : TRUE;
    }
  if (*value != '"')
    return malformed (error, _("“%s” is not a string"), name);
  if (!(units = ferry_json_string_decode (&value, value_end, &local)))
    return malformed (error, "%s", local->message);
  /* A NUL inside the text would end it early: it becomes U+FFFD like other unusable units. */
  for (guint i = 0; i < units->len; i++)
    if (g_array_index (units, gunichar2, i) == 0)
      g_array_index (units, gunichar2, i) = 0xFFFD;
  text = ferry_utf16_to_utf8 ((const gunichar2 *) units->data, units->len, &text_len);
  if (!line)
    {
      if (units->len > max_chars)
        return malformed (error, _("“%s” is too long"), name);
      *out = g_steal_pointer (&text);
      return TRUE;
    }
  /* At most four bytes a character: cut to that first, then to @max_chars characters. */
  sane = ferry_text_sanitize_line (text, max_chars * 4, FERRY_TEXT_LINE_SPACES);
  if ((gsize) g_utf8_strlen (sane, -1) > max_chars)
    {
      cut = g_strndup (sane, g_utf8_offset_to_pointer (sane, max_chars) - sane);
      *out = g_strconcat (cut, "…", NULL);
    }
  else
    *out = g_steal_pointer (&sane);
  return TRUE;
}

/* Member @name as a whole number from 0 to 2^53; 0 when absent and not @required. */
static gboolean
read_string (const char  *json,
             gsize        len,
             const char  *name,
             gboolean     required,
             gsize        max_chars,
             char       **out,
             GError     **error)
{
  return read_text (json, len, name, required, TRUE, max_chars, out, error);
}

/* Member @name of the object as the span of its value, when it is an object. */
static gboolean
read_object (const char  *json,
             gsize        len,
             const char  *name,
             const char **object,
             gsize       *object_len,
             GError     **error)
{
  g_autoptr(GError) local = NULL;
  const char *value, *value_end;

  if (!ferry_json_object_find_member (json, len, name, &value, &value_end, &local))
    {
      if (local != NULL)
        return malformed (error, "%s", local->message);
      return malformed (error, _("“%s” is missing"), name);
    }
  if (*value != '{')
    return malformed (error, _("“%s” is not an object"), name);
  *object = value;
  *object_len = value_end - value;
  return TRUE;
}

static gboolean
read_count (const char  *json,
            gsize        len,
            const char  *name,
            gboolean     required,
            guint64     *out,
            GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *number = NULL;
  const char *value, *value_end;
  char *end;
  double d;

  *out = 0;
  if (!ferry_json_object_find_member (json, len, name, &value, &value_end, &local))
    {
      if (local != NULL)
        return malformed (error, "%s", local->message);
      return required ? malformed (error, _("“%s” is missing"), name) : TRUE;
    }
  number = g_strndup (value, value_end - value);
  d = g_ascii_strtod (number, &end);
  if (*end != '\0' || !(*number == '-' || g_ascii_isdigit (*number)) || d < 0 ||
      d > (double) (G_GUINT64_CONSTANT (1) << 53) || d != (double) (guint64) d)
    return malformed (error, _("“%s” is not a whole number"), name);
  *out = (guint64) d;
  return TRUE;
}

static gboolean
read_bool (const char  *json,
           gsize        len,
           const char  *name,
           gboolean    *out)
{
  const char *value, *value_end;

  *out = ferry_json_object_find_member (json, len, name, &value, &value_end, NULL) &&
         value_end - value == 4 && memcmp (value, "true", 4) == 0;
  return TRUE;
}

/* Texts of chat, as the Ferry protocol allows. */
#define TEXT_MAX_CHARS (64 * 1024)
/* Ids, share ids and times are short in WebDrop; anything longer is cut. */
#define TOKEN_MAX_CHARS 128

FerryWebdropMessage *
ferry_webdrop_message_parse (const char  *json,
                             gsize        len,
                             GError     **error)
{
  g_autoptr(FerryWebdropMessage) message = NULL;
  g_autofree char *type = NULL;
  const char *p = json;
  gboolean ok = TRUE;
  guint i;

  g_return_val_if_fail (json != NULL, NULL);

  ferry_json_skip_ws (&p, json + len);
  if (p == json + len || *p != '{' || !ferry_json_skip_value (&p, json + len, NULL))
    return (malformed (error, _("The message is not a JSON object")), NULL);
  if (!read_string (json, len, "type", TRUE, TOKEN_MAX_CHARS, &type, error))
    return NULL;
  for (i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_str_equal (type, type_names[i]))
      break;
  if (i == G_N_ELEMENTS (type_names))
    {
      g_set_error (error, FERRY_WEBDROP_ERROR, FERRY_WEBDROP_ERROR_UNKNOWN_TYPE,
                   _("Unknown WebDrop message “%s”"), type);
      return NULL;
    }

  message = ferry_webdrop_message_new (i);
  switch (message->type)
    {
    case FERRY_WEBDROP_MESSAGE_INIT:
      ok = read_string (json, len, "name", TRUE, FERRY_WEBDROP_NAME_MAX_CHARS, &message->name, error) &&
           read_string (json, len, "color", FALSE, FERRY_WEBDROP_NAME_MAX_CHARS, &message->color, error) &&
           read_count (json, len, "sharesCount", FALSE, &message->shares_count, error) &&
           read_count (json, len, "msgsCount", FALSE, &message->msgs_count, error);
      break;
    case FERRY_WEBDROP_MESSAGE_MSG:
      ok = read_string (json, len, "msg", TRUE, TEXT_MAX_CHARS, &message->text, error) &&
           read_string (json, len, "time", FALSE, TOKEN_MAX_CHARS, &message->time, error) &&
           read_string (json, len, "name", FALSE, FERRY_WEBDROP_NAME_MAX_CHARS, &message->name, error) &&
           read_string (json, len, "color", FALSE, FERRY_WEBDROP_NAME_MAX_CHARS, &message->color, error) &&
           read_string (json, len, "id", FALSE, TOKEN_MAX_CHARS, &message->id, error);
      break;
    case FERRY_WEBDROP_MESSAGE_NEW_SHARE:
      ok = read_string (json, len, "shareID", TRUE, TOKEN_MAX_CHARS, &message->share_id, error) &&
           read_string (json, len, "name", TRUE, 1024, &message->name, error) &&
           read_count (json, len, "size", TRUE, &message->size, error) &&
           read_bool (json, len, "paused", &message->paused);
      break;
    case FERRY_WEBDROP_MESSAGE_START_SENDING:
      ok = read_string (json, len, "shareID", TRUE, TOKEN_MAX_CHARS, &message->share_id, error);
      break;
    case FERRY_WEBDROP_MESSAGE_GET_SHARES:
    case FERRY_WEBDROP_MESSAGE_GET_MSGS:
    case FERRY_WEBDROP_MESSAGE_PING:
    case FERRY_WEBDROP_MESSAGE_FILE_SIGNAL:
      break;
    }
  return ok ? g_steal_pointer (&message) : NULL;
}

/* Descriptions and candidates; a browser's offer is a few kilobytes. */
#define SDP_MAX_CHARS (64 * 1024)

FerryWebdropMessage *
ferry_webdrop_signal_parse (const char  *json,
                            gsize        len,
                            GError     **error)
{
  g_autoptr(FerryWebdropMessage) message = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_FILE_SIGNAL);
  const char *p = json, *signal, *candidate;
  gsize signal_len, candidate_len;

  g_return_val_if_fail (json != NULL, NULL);

  ferry_json_skip_ws (&p, json + len);
  if (p == json + len || *p != '{' || !ferry_json_skip_value (&p, json + len, NULL))
    return (malformed (error, _("The message is not a JSON object")), NULL);
  if (!read_string (json, len, "fileID", TRUE, TOKEN_MAX_CHARS, &message->share_id, error) ||
      !read_object (json, len, "signal", &signal, &signal_len, error))
    return NULL;
  {
    const char *value, *value_end;

    message->has_start = ferry_json_object_find_member (json, len, "start", &value, &value_end, NULL);
    if (message->has_start && !read_count (json, len, "start", TRUE, &message->start, error))
      return NULL;
  }
  if (!read_text (signal, signal_len, "sdp", FALSE, FALSE, SDP_MAX_CHARS, &message->sdp, error))
    return NULL;
  if (message->sdp != NULL)
    {
      if (!read_string (signal, signal_len, "type", TRUE, TOKEN_MAX_CHARS, &message->sdp_type, error))
        return NULL;
      if (!g_str_equal (message->sdp_type, "offer") && !g_str_equal (message->sdp_type, "answer"))
        return (malformed (error, _("Unknown description type “%s”"), message->sdp_type), NULL);
      return g_steal_pointer (&message);
    }
  /* simple-peer 9 sends {"candidate":{…}}, later versions add "type":"candidate". */
  if (!read_object (signal, signal_len, "candidate", &candidate, &candidate_len, error) ||
      !read_text (candidate, candidate_len, "candidate", TRUE, FALSE, TOKEN_MAX_CHARS * 8,
                  &message->candidate, error))
    return NULL;
  return g_steal_pointer (&message);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value != NULL ? value : "");
}

static void
add_count (JsonBuilder *builder,
           const char  *name,
           guint64      value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, (gint64) value);
}

char *
ferry_webdrop_message_to_json (const FerryWebdropMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (message != NULL, NULL);

  json_builder_begin_object (builder);
  if (message->type == FERRY_WEBDROP_MESSAGE_FILE_SIGNAL)
    {
      add_string (builder, "fileID", message->share_id);
      if (message->has_start)
        add_count (builder, "start", message->start);
      json_builder_set_member_name (builder, "signal");
      json_builder_begin_object (builder);
      if (message->sdp != NULL)
        {
          add_string (builder, "type", message->sdp_type);
          add_string (builder, "sdp", message->sdp);
        }
      else
        {
          json_builder_set_member_name (builder, "candidate");
          json_builder_begin_object (builder);
          add_string (builder, "candidate", message->candidate);
          json_builder_set_member_name (builder, "sdpMLineIndex");
          json_builder_add_int_value (builder, 0);
          add_string (builder, "sdpMid", "0");
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }
  else
    add_string (builder, "type", type_names[message->type]);
  switch (message->type)
    {
    case FERRY_WEBDROP_MESSAGE_INIT:
      add_string (builder, "name", message->name);
      add_string (builder, "color", message->color);
      add_count (builder, "sharesCount", message->shares_count);
      add_count (builder, "msgsCount", message->msgs_count);
      break;
    case FERRY_WEBDROP_MESSAGE_MSG:
      add_string (builder, "msg", message->text);
      add_string (builder, "time", message->time);
      if (message->id != NULL)
        {
          add_string (builder, "name", message->name);
          add_string (builder, "color", message->color);
          add_string (builder, "id", message->id);
        }
      break;
    case FERRY_WEBDROP_MESSAGE_NEW_SHARE:
      add_string (builder, "shareID", message->share_id);
      add_string (builder, "name", message->name);
      add_count (builder, "size", message->size);
      json_builder_set_member_name (builder, "paused");
      json_builder_add_boolean_value (builder, message->paused);
      break;
    case FERRY_WEBDROP_MESSAGE_START_SENDING:
      add_string (builder, "shareID", message->share_id);
      break;
    case FERRY_WEBDROP_MESSAGE_GET_SHARES:
    case FERRY_WEBDROP_MESSAGE_GET_MSGS:
    case FERRY_WEBDROP_MESSAGE_PING:
    case FERRY_WEBDROP_MESSAGE_FILE_SIGNAL:
      break;
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return ferry_json_escape_raw_controls (json_generator_to_data (generator, NULL));
}

char *
ferry_webdrop_color_for (const char *seed)
{
  g_return_val_if_fail (seed != NULL, NULL);

  return g_strdup_printf ("hsla(%u,60%%,60%%,1)", g_str_hash (seed) % 360);
}

char *
ferry_webdrop_format_time (gint64 time_ms)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_ms / 1000);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, "%-I:%M:%S %p") : g_strdup ("");
}
