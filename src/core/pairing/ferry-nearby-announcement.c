/* ferry-nearby-announcement.c: the packets Ferry devices on one network announce themselves with
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-crypto.h"
#include "ferry-nearby-announcement.h"
#include "ferry-text.h"

#define APP "ferry-nearby"
#define VERSION 1

G_DEFINE_QUARK (ferry-nearby-error-quark, ferry_nearby_error)

void
ferry_nearby_announcement_free (FerryNearbyAnnouncement *announcement)
{
  if (announcement == NULL)
    return;
  g_free (announcement->name);
  g_clear_pointer (&announcement->code, ferry_pairing_code_free);
  g_free (announcement);
}

static gboolean
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, FERRY_NEARBY_ERROR, FERRY_NEARBY_ERROR_INVALID,
               _("Not a nearby announcement: %s"), what);
  return FALSE;
}

/* A string member, or %NULL when it is absent or not a string. */
static const char *
get_string (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gboolean
parse_here (FerryNearbyAnnouncement  *announcement,
            JsonObject               *object,
            gint64                    now,
            GError                  **error)
{
  const char *name = get_string (object, "name");
  const char *fingerprint = get_string (object, "fp");
  const char *code = get_string (object, "code");
  JsonNode *ask = json_object_get_member (object, "ask");
  g_autoptr(GError) code_error = NULL;

  if (name == NULL || fingerprint == NULL || code == NULL)
    return invalid (error, _("a name, fingerprint or code is missing"));
  if (!ferry_hex_decode (fingerprint, -1, '\0', announcement->fingerprint, sizeof announcement->fingerprint))
    return invalid (error, _("the fingerprint is not 64 hex digits"));
  if (ask != NULL && (!JSON_NODE_HOLDS_VALUE (ask) || json_node_get_value_type (ask) != G_TYPE_BOOLEAN))
    return invalid (error, _("“ask” is not true or false"));
  announcement->ask = ask != NULL && json_node_get_boolean (ask);
  if (!(announcement->code = ferry_pairing_code_parse (code, now, &code_error)))
    return invalid (error, code_error->message);
  if (announcement->code->reply)
    return invalid (error, _("it carries a reply code"));
  announcement->name = ferry_text_sanitize_line (name, FERRY_NEARBY_MAX_NAME, 0);
  if (*announcement->name == '\0')
    return invalid (error, _("the name is empty"));
  return TRUE;
}

FerryNearbyAnnouncement *
ferry_nearby_announcement_parse (const guint8  *data,
                                 gsize          len,
                                 gint64         now,
                                 GError       **error)
{
  g_autoptr(FerryNearbyAnnouncement) announcement = g_new0 (FerryNearbyAnnouncement, 1);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) json_error = NULL;
  JsonObject *object;
  JsonNode *root, *version;
  const char *app, *type, *id;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len > FERRY_NEARBY_MAX_PACKET)
    return (invalid (error, _("it is too large")), NULL);
  /* json-glib wants text: no NUL inside, valid UTF-8. */
  if (len == 0 || memchr (data, '\0', len) != NULL || !g_utf8_validate ((const char *) data, len, NULL))
    return (invalid (error, _("it is not text")), NULL);
  if (!json_parser_load_from_data (parser, (const char *) data, len, &json_error))
    return (invalid (error, json_error->message), NULL);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return (invalid (error, _("it is not a JSON object")), NULL);
  object = json_node_get_object (root);

  app = get_string (object, "app");
  if (app == NULL || !g_str_equal (app, APP))
    return (invalid (error, _("it is not Ferry's")), NULL);
  version = json_object_get_member (object, "v");
  if (version == NULL || !JSON_NODE_HOLDS_VALUE (version) || json_node_get_value_type (version) != G_TYPE_INT64)
    return (invalid (error, _("it has no version")), NULL);
  if (json_node_get_int (version) != VERSION)
    {
      g_set_error (error, FERRY_NEARBY_ERROR, FERRY_NEARBY_ERROR_VERSION,
                   _("A nearby announcement of version %" G_GINT64_FORMAT " (this Ferry knows version %d)"),
                   json_node_get_int (version), VERSION);
      return NULL;
    }
  id = get_string (object, "id");
  if (id == NULL || !ferry_hex_decode (id, -1, '\0', announcement->id, sizeof announcement->id))
    return (invalid (error, _("the id is not 16 hex digits")), NULL);

  type = get_string (object, "type");
  if (g_strcmp0 (type, "bye") == 0)
    announcement->type = FERRY_NEARBY_BYE;
  else if (g_strcmp0 (type, "here") == 0)
    {
      announcement->type = FERRY_NEARBY_HERE;
      if (!parse_here (announcement, object, now, error))
        return NULL;
    }
  else
    return (invalid (error, _("its type is neither “here” nor “bye”")), NULL);
  return g_steal_pointer (&announcement);
}

GBytes *
ferry_nearby_announcement_to_bytes (const FerryNearbyAnnouncement *announcement)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *id = ferry_hex_encode (announcement->id, sizeof announcement->id);
  gsize len;
  char *text;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "app");
  json_builder_add_string_value (builder, APP);
  json_builder_set_member_name (builder, "v");
  json_builder_add_int_value (builder, VERSION);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, announcement->type == FERRY_NEARBY_BYE ? "bye" : "here");
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  if (announcement->type == FERRY_NEARBY_HERE)
    {
      g_autofree char *fingerprint = ferry_hex_encode (announcement->fingerprint, sizeof announcement->fingerprint);
      g_autofree char *code = ferry_pairing_code_to_string (announcement->code);
      g_autofree char *name = ferry_text_sanitize_line (announcement->name, FERRY_NEARBY_MAX_NAME, 0);

      json_builder_set_member_name (builder, "ask");
      json_builder_add_boolean_value (builder, announcement->ask);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, name);
      json_builder_set_member_name (builder, "fp");
      json_builder_add_string_value (builder, fingerprint);
      json_builder_set_member_name (builder, "code");
      json_builder_add_string_value (builder, code);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);
  return g_bytes_new_take (text, len);
}
