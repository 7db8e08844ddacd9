/* ferry-hello.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-hello.h"
#include "ferry-json.h"
#include "ferry-text.h"

#define HELLO_TYPE "ferry-hello"
#define MAC_LABEL "ferry-auth-v1"

/* A hello is a few hundred bytes; anything far larger is not one worth parsing. */
#define MAX_HELLO_BYTES 65536
/* Later versions may add capabilities, but not thousands of them. */
#define MAX_CAPS 64
#define MAX_CAP_BYTES 64

G_DEFINE_QUARK (ferry-hello-error-quark, ferry_hello_error)

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
  g_set_error (error, FERRY_HELLO_ERROR, FERRY_HELLO_ERROR_MALFORMED,
               _("Invalid hello message: %s"), why);
  return FALSE;
}

FerryHello *
ferry_hello_new (const char *name)
{
  FerryHello *hello = g_new0 (FerryHello, 1);

  hello->version = FERRY_PROTOCOL_VERSION;
  hello->app = g_strdup ("ferry");
  hello->app_version = g_strdup (PACKAGE_VERSION);
  hello->name = ferry_text_sanitize_line (name != NULL ? name : "", FERRY_HELLO_MAX_NAME_BYTES,
                                          FERRY_TEXT_LINE_DEFAULT);
  hello->caps = g_strdupv ((char **) (const char * const[]) { "chat", "chat-ack", "files", "relay", NULL });
  return hello;
}

void
ferry_hello_free (FerryHello *hello)
{
  if (hello == NULL)
    return;
  g_free (hello->app);
  g_free (hello->app_version);
  g_free (hello->name);
  g_strfreev (hello->caps);
  g_free (hello);
}

char *
ferry_hello_to_json (const FerryHello *hello)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (hello != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, HELLO_TYPE);
  json_builder_set_member_name (builder, "v");
  json_builder_add_int_value (builder, hello->version);
  json_builder_set_member_name (builder, "app");
  json_builder_add_string_value (builder, hello->app != NULL ? hello->app : "");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, hello->app_version != NULL ? hello->app_version : "");
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, hello->name != NULL ? hello->name : "");
  json_builder_set_member_name (builder, "caps");
  json_builder_begin_array (builder);
  for (guint i = 0; hello->caps != NULL && hello->caps[i] != NULL; i++)
    json_builder_add_string_value (builder, hello->caps[i]);
  json_builder_end_array (builder);
  if (hello->has_mac)
    {
      g_autofree char *mac = ferry_base64url_encode (hello->mac, FERRY_SHA256_LEN);

      json_builder_set_member_name (builder, "mac");
      json_builder_add_string_value (builder, mac);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gboolean
ferry_hello_is_hello (const char *json,
                      gsize       len)
{
  static const char type[] = HELLO_TYPE;
  const char *value, *value_end;
  g_autoptr(GArray) units = NULL;

  if (json == NULL || !ferry_json_object_find_member (json, len, "type", &value, &value_end, NULL))
    return FALSE;
  if (*value != '"' || !(units = ferry_json_string_decode (&value, value_end, NULL)))
    return FALSE;
  /* Compared as UTF-16 units, so that any escaping of the same text matches. */
  if (units->len != sizeof type - 1)
    return FALSE;
  for (guint i = 0; i < units->len; i++)
    if (g_array_index (units, gunichar2, i) != (guchar) type[i])
      return FALSE;
  return TRUE;
}

static gboolean
node_is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* An optional string member, sanitized; "" when absent. */
static gboolean
get_text (JsonObject  *object,
          const char  *name,
          char       **out,
          GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    {
      *out = g_strdup ("");
      return TRUE;
    }
  if (!node_is_string (node))
    return malformed (error, _("“%s” is not a string"), name);
  *out = ferry_text_sanitize_line (json_node_get_string (node), FERRY_HELLO_MAX_NAME_BYTES,
                                   FERRY_TEXT_LINE_DEFAULT);
  return TRUE;
}

FerryHello *
ferry_hello_parse (const char  *json,
                   gsize        len,
                   GError     **error)
{
  g_autoptr(FerryHello) hello = g_new0 (FerryHello, 1);
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local = NULL;
  const char *p = json;
  const char *end = json + len;
  JsonObject *object;
  JsonNode *node;
  gint64 version;

  g_return_val_if_fail (json != NULL || len == 0, NULL);

  if (len > MAX_HELLO_BYTES)
    return (malformed (error, _("it is too large")), NULL);
  if (len == 0 || !g_utf8_validate_len (json, len, NULL))
    return (malformed (error, _("it is not UTF-8 text")), NULL);
  /* json-glib recurses without a depth limit; our scanner checks the structure with one first. */
  if (!ferry_json_skip_value (&p, end, &local))
    return (malformed (error, "%s", local->message), NULL);
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  if (p != end)
    return (malformed (error, _("it has trailing characters")), NULL);
  /* A hello never needs \u0000 or a lone surrogate, and json-glib would misread them: a lone
   * surrogate can swallow the quote that ends its string, and "ferry-hello\u0000x" would pass as
   * the type. */
  if (ferry_json_find_misread_escapes (json, len) != 0)
    return (malformed (error, _("it contains \\u0000 or a lone UTF-16 surrogate")), NULL);

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, json, len, &local))
    return (malformed (error, "%s", local->message), NULL);
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return (malformed (error, _("it is not a JSON object")), NULL);
  object = json_node_get_object (node);

  node = json_object_get_member (object, "type");
  if (node == NULL || !node_is_string (node) || !g_str_equal (json_node_get_string (node), HELLO_TYPE))
    return (malformed (error, _("its type is not “%s”"), HELLO_TYPE), NULL);

  node = json_object_get_member (object, "v");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return (malformed (error, _("its version “v” is not an integer")), NULL);
  version = json_node_get_int (node);
  if (version < 1)
    {
      g_set_error (error, FERRY_HELLO_ERROR, FERRY_HELLO_ERROR_UNSUPPORTED,
                   _("Unsupported protocol version %lld"), (long long) version);
      return NULL;
    }
  /* Later versions are accepted as they are; only their number is kept. */
  hello->version = MIN (version, (gint64) G_MAXUINT);

  if (!get_text (object, "app", &hello->app, error) ||
      !get_text (object, "version", &hello->app_version, error) ||
      !get_text (object, "name", &hello->name, error))
    return NULL;

  node = json_object_get_member (object, "caps");
  if (node != NULL)
    {
      g_autoptr(GPtrArray) caps = g_ptr_array_new_with_free_func (g_free);
      JsonArray *array;
      guint n;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        return (malformed (error, _("“caps” is not a list")), NULL);
      array = json_node_get_array (node);
      n = json_array_get_length (array);
      /* Entries that are not strings may mean something to a later version, and a cut long one
       * would be a different capability: skip them. */
      for (guint i = 0; i < n && caps->len < MAX_CAPS; i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (node_is_string (element) && strlen (json_node_get_string (element)) <= MAX_CAP_BYTES)
            g_ptr_array_add (caps, ferry_text_sanitize_line (json_node_get_string (element),
                                                           MAX_CAP_BYTES, FERRY_TEXT_LINE_DEFAULT));
        }
      g_ptr_array_add (caps, NULL);
      hello->caps = (GStrv) g_ptr_array_free (g_steal_pointer (&caps), FALSE);
    }
  else
    {
      hello->caps = g_new0 (char *, 1);
    }

  node = json_object_get_member (object, "mac");
  if (node != NULL)
    {
      g_autofree guint8 *mac = NULL;
      gsize mac_len = 0;

      if (!node_is_string (node))
        return (malformed (error, _("“mac” is not a string")), NULL);
      mac = ferry_base64url_decode (json_node_get_string (node), &mac_len);
      if (mac == NULL || mac_len != FERRY_SHA256_LEN)
        return (malformed (error, _("“mac” is not a base64url-encoded SHA-256 MAC")), NULL);
      memcpy (hello->mac, mac, FERRY_SHA256_LEN);
      hello->has_mac = TRUE;
    }

  return g_steal_pointer (&hello);
}

gboolean
ferry_hello_has_cap (const FerryHello *hello,
                     const char       *cap)
{
  g_return_val_if_fail (hello != NULL, FALSE);
  g_return_val_if_fail (cap != NULL, FALSE);

  return hello->caps != NULL && g_strv_contains ((const char * const *) hello->caps, cap);
}

void
ferry_hello_compute_mac (const guint8 key[FERRY_AUTH_KEY_LEN],
                         const guint8 sender_fingerprint[FERRY_SHA256_LEN],
                         const guint8 receiver_fingerprint[FERRY_SHA256_LEN],
                         guint8       mac[FERRY_SHA256_LEN])
{
  /* "ferry-auth-v1" ‖ sender ‖ receiver: fixed lengths, so no separators are needed. */
  guint8 data[sizeof MAC_LABEL - 1 + 2 * FERRY_SHA256_LEN];

  memcpy (data, MAC_LABEL, sizeof MAC_LABEL - 1);
  memcpy (data + sizeof MAC_LABEL - 1, sender_fingerprint, FERRY_SHA256_LEN);
  memcpy (data + sizeof MAC_LABEL - 1 + FERRY_SHA256_LEN, receiver_fingerprint, FERRY_SHA256_LEN);
  ferry_hmac_sha256 (key, FERRY_AUTH_KEY_LEN, data, sizeof data, mac);
}
