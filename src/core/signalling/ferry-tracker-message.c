/* ferry-tracker-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-json.h"
#include "ferry-tracker-message.h"

G_DEFINE_QUARK (ferry-tracker-message-error-quark, ferry_tracker_message_error)

static gboolean
invalid (GError    **error,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError    **error,
         const char *format,
         ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (FERRY_TRACKER_MESSAGE_ERROR,
                                                FERRY_TRACKER_MESSAGE_ERROR_INVALID,
                                                format, args));
  va_end (args);
  return FALSE;
}

static void
offer_free (gpointer data)
{
  FerryTrackerMessageOffer *offer = data;

  g_free (offer->sdp);
  g_free (offer);
}

void
ferry_tracker_message_free (FerryTrackerMessage *message)
{
  if (message == NULL)
    return;

  g_free (message->offer_sdp);
  g_free (message->answer_sdp);
  g_clear_pointer (&message->offers, g_ptr_array_unref);
  g_free (message->event);
  g_free (message->failure_reason);
  g_free (message->warning_message);
  g_free (message->tracker_id);
  g_free (message->trackerid);
  g_free (message);
}

/* json-glib's view of a member, with JSON null treated as absent. */
static JsonNode *
get_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* json-glib 1.6 turns a lone low surrogate escape into invalid UTF-8 (and drops what follows):
 * nothing that is not valid text gets past us. */
static gboolean
check_text (const char  *text,
            const char  *name,
            GError     **error)
{
  if (!g_utf8_validate (text, -1, NULL))
    return invalid (error, _("“%s” is not valid text"), name);
  return TRUE;
}

static gboolean
read_string (JsonObject  *object,
             const char  *name,
             char       **out,
             GError     **error)
{
  JsonNode *node = get_member (object, name);

  if (node == NULL)
    return TRUE;
  if (!is_string (node))
    return invalid (error, _("“%s” is not a string"), name);
  if (!check_text (json_node_get_string (node), name, error))
    return FALSE;
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
read_count (JsonObject  *object,
            const char  *name,
            gint64      *out,
            GError     **error)
{
  JsonNode *node = get_member (object, name);
  GType type;

  *out = -1;
  if (node == NULL)
    return TRUE;

  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (node);

      if (v < 0)
        return invalid (error, _("“%s” is negative"), name);
      *out = MIN (v, G_MAXINT32);
      return TRUE;
    }
  if (type == G_TYPE_DOUBLE)
    {
      double v = json_node_get_double (node);

      /* json-glib turns 1e999 into infinity; !(v >= 0) also catches NaN. */
      if (!(v >= 0))
        return invalid (error, _("“%s” is negative"), name);
      *out = v >= G_MAXINT32 ? G_MAXINT32 : (gint64) v;
      return TRUE;
    }
  return invalid (error, _("“%s” is not a number"), name);
}

/* {"type": @type, "sdp": "…"}, as simple-peer signals it (docs/INTEROP.md, "Descriptions as
 * JSON"). */
static gboolean
read_description (JsonNode    *node,
                  const char  *name,
                  const char  *type,
                  char       **sdp_out,
                  GError     **error)
{
  JsonObject *description;
  JsonNode *member;
  const char *sdp;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, _("“%s” is not an object"), name);
  description = json_node_get_object (node);

  member = get_member (description, "type");
  if (member == NULL || !is_string (member) || g_strcmp0 (json_node_get_string (member), type) != 0)
    return invalid (error, _("“%s” does not have the type “%s”"), name, type);

  member = get_member (description, "sdp");
  if (member == NULL || !is_string (member))
    return invalid (error, _("“%s” has no SDP string"), name);
  sdp = json_node_get_string (member);
  if (!check_text (sdp, name, error))
    return FALSE;
  if (strlen (sdp) > FERRY_TRACKER_MESSAGE_MAX_SDP)
    {
      g_set_error (error, FERRY_TRACKER_MESSAGE_ERROR, FERRY_TRACKER_MESSAGE_ERROR_TOO_LARGE,
                   ngettext ("The SDP in “%s” is larger than %u byte",
                             "The SDP in “%s” is larger than %u bytes",
                             FERRY_TRACKER_MESSAGE_MAX_SDP),
                   name, FERRY_TRACKER_MESSAGE_MAX_SDP);
      return FALSE;
    }

  *sdp_out = g_strdup (sdp);
  return TRUE;
}

/* Reads member @name of the object @json (raw text) as bin20.  Absent, null and "" (falsy in
 * JavaScript, and what openwebtorrent relays for a socket that never announced; see
 * docs/INTEROP.md, "What we read and drop") leave *@has FALSE. */
static gboolean
read_bin20 (const char  *json,
            gsize        len,
            const char  *name,
            gboolean    *has,
            guint8       out[FERRY_BIN20_LEN],
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *value;
  const char *value_end;

  *has = FALSE;
  if (!ferry_json_object_find_member (json, len, name, &value, &value_end, &local_error))
    {
      if (local_error == NULL)
        return TRUE;
      return invalid (error, "%s", local_error->message);
    }

  if ((value_end - value == 4 && memcmp (value, "null", 4) == 0) ||
      (value_end - value == 2 && memcmp (value, "\"\"", 2) == 0))
    return TRUE;

  if (!ferry_bin20_from_json (value, value_end - value, out, &local_error))
    return invalid (error, _("“%s”: %s"), name, local_error->message);
  *has = TRUE;
  return TRUE;
}

/* "offers": [{"offer": {"type":"offer","sdp":…}, "offer_id": bin20}, …].  json-glib reads the
 * descriptions, the raw text the ids; both must see the same array. */
static gboolean
read_offers (const char  *json,
             gsize        len,
             JsonObject  *object,
             GPtrArray  **out,
             GError     **error)
{
  g_autoptr(GPtrArray) offers = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *node = get_member (object, "offers");
  JsonArray *array;
  const char *p;
  const char *end;
  guint n;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, _("“offers” is not an array"));
  array = json_node_get_array (node);
  n = json_array_get_length (array);

  /* Only a key with \u0000 in it (cut short by json-glib) makes the two views differ. */
  if (!ferry_json_object_find_member (json, len, "offers", &p, &end, NULL) || *p != '[')
    return invalid (error, _("“offers” is ambiguous"));
  p++;

  offers = g_ptr_array_new_with_free_func (offer_free);
  for (guint i = 0;; i++)
    {
      g_autofree FerryTrackerMessageOffer *offer = NULL;
      JsonNode *element;
      JsonNode *description;
      const char *element_start;
      gboolean has_id;

      ferry_json_skip_ws (&p, end);
      if (p < end && *p == ']')
        {
          if (i != n)
            return invalid (error, _("“offers” is ambiguous"));
          break;
        }
      if (i > 0)
        {
          /* The whole message was checked already: this is a ',' */
          p++;
          ferry_json_skip_ws (&p, end);
        }
      if (i >= n)
        return invalid (error, _("“offers” is ambiguous"));

      element_start = p;
      if (!ferry_json_skip_value (&p, end, &local_error))
        return invalid (error, _("“offers”: %s"), local_error->message);

      element = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_OBJECT (element))
        return invalid (error, _("An element of “offers” is not an object"));

      offer = g_new0 (FerryTrackerMessageOffer, 1);
      if (!read_bin20 (element_start, p - element_start, "offer_id", &has_id, offer->offer_id,
                       error))
        return FALSE;
      if (!has_id)
        return invalid (error, _("An element of “offers” has no “offer_id”"));

      description = get_member (json_node_get_object (element), "offer");
      if (description == NULL)
        return invalid (error, _("An element of “offers” has no “offer”"));
      if (!read_description (description, "offer", "offer", &offer->sdp, error))
        return FALSE;
      g_ptr_array_add (offers, g_steal_pointer (&offer));
    }

  *out = g_steal_pointer (&offers);
  return TRUE;
}

FerryTrackerMessage *
ferry_tracker_message_parse (const char  *data,
                             gsize        len,
                             GError     **error)
{
  g_autoptr(FerryTrackerMessage) message = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  JsonNode *root;
  JsonNode *node;
  const char *p = data;
  const char *end = data + len;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len > FERRY_TRACKER_MESSAGE_MAX_INCOMING)
    {
      g_set_error (error, FERRY_TRACKER_MESSAGE_ERROR, FERRY_TRACKER_MESSAGE_ERROR_TOO_LARGE,
                   ngettext ("The message is larger than %u byte",
                             "The message is larger than %u bytes",
                             FERRY_TRACKER_MESSAGE_MAX_INCOMING),
                   FERRY_TRACKER_MESSAGE_MAX_INCOMING);
      return NULL;
    }
  /* Also refuses NUL bytes, which no JSON text contains outside strings either. */
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error_literal (error, FERRY_TRACKER_MESSAGE_ERROR, FERRY_TRACKER_MESSAGE_ERROR_SYNTAX,
                           _("The message is not UTF-8 text"));
      return NULL;
    }

  /* Our strict scanner first: it bounds the nesting depth (json-glib 1.6 recurses without a
   * limit) and accepts exactly RFC 8259, so json-glib then only sees well-formed JSON. */
  if (!ferry_json_skip_value (&p, end, &local_error))
    {
      g_set_error (error, FERRY_TRACKER_MESSAGE_ERROR, FERRY_TRACKER_MESSAGE_ERROR_SYNTAX,
                   "%s", local_error->message);
      return NULL;
    }
  ferry_json_skip_ws (&p, end);
  if (p != end)
    {
      g_set_error_literal (error, FERRY_TRACKER_MESSAGE_ERROR, FERRY_TRACKER_MESSAGE_ERROR_SYNTAX,
                           _("Malformed JSON: trailing characters"));
      return NULL;
    }

  /* JavaScript takes "\ud800" alone, json-glib 1.6 does not: it fails (leaking memory on the
   * way) or writes invalid UTF-8 and drops the rest of the string.  Only a broken or hostile
   * tracker sends one.  (\u0000 is fine: the ids, which may hold it, are read from the text.) */
  if (ferry_json_find_misread_escapes (data, len) & FERRY_JSON_ESCAPE_LONE_SURROGATE)
    return (invalid (error, _("A string contains a lone UTF-16 surrogate")), NULL);

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, len > 0 ? data : "", len, &local_error))
    {
      /* json-glib quotes the offending token, which may be its own invalid UTF-8. */
      g_autofree char *reason = g_utf8_make_valid (local_error->message, -1);

      g_set_error (error, FERRY_TRACKER_MESSAGE_ERROR, FERRY_TRACKER_MESSAGE_ERROR_SYNTAX,
                   _("Malformed JSON: %s"), reason);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      invalid (error, _("The message is not a JSON object"));
      return NULL;
    }
  object = json_node_get_object (root);

  message = g_new0 (FerryTrackerMessage, 1);

  node = get_member (object, "action");
  if (node == NULL)
    message->action = FERRY_TRACKER_ACTION_NONE;
  else if (!is_string (node))
    return (invalid (error, _("“action” is not a string")), NULL);
  else if (g_str_equal (json_node_get_string (node), "announce"))
    message->action = FERRY_TRACKER_ACTION_ANNOUNCE;
  else if (g_str_equal (json_node_get_string (node), "scrape"))
    message->action = FERRY_TRACKER_ACTION_SCRAPE;
  else
    message->action = FERRY_TRACKER_ACTION_OTHER;

  /* A scrape request may carry a list of hashes; scrapes are not used (P2PT never scrapes). */
  if (message->action != FERRY_TRACKER_ACTION_SCRAPE &&
      !read_bin20 (data, len, "info_hash", &message->has_info_hash, message->info_hash, error))
    return NULL;
  if (!read_bin20 (data, len, "peer_id", &message->has_peer_id, message->peer_id, error) ||
      !read_bin20 (data, len, "offer_id", &message->has_offer_id, message->offer_id, error) ||
      !read_bin20 (data, len, "to_peer_id", &message->has_to_peer_id, message->to_peer_id, error))
    return NULL;

  if ((node = get_member (object, "offer")) != NULL &&
      !read_description (node, "offer", "offer", &message->offer_sdp, error))
    return NULL;
  if ((node = get_member (object, "answer")) != NULL &&
      !read_description (node, "answer", "answer", &message->answer_sdp, error))
    return NULL;
  if (!read_offers (data, len, object, &message->offers, error))
    return NULL;

  if (!read_count (object, "interval", &message->interval, error) ||
      !read_count (object, "min interval", &message->min_interval, error) ||
      !read_count (object, "complete", &message->complete, error) ||
      !read_count (object, "incomplete", &message->incomplete, error) ||
      !read_count (object, "numwant", &message->numwant, error))
    return NULL;

  if (!read_string (object, "event", &message->event, error) ||
      !read_string (object, "failure reason", &message->failure_reason, error) ||
      !read_string (object, "warning message", &message->warning_message, error) ||
      !read_string (object, "tracker id", &message->tracker_id, error) ||
      !read_string (object, "trackerid", &message->trackerid, error))
    return NULL;

  return g_steal_pointer (&message);
}

static void
append_description (GString    *out,
                    const char *type,
                    const char *sdp)
{
  g_string_append_printf (out, "{\"type\":\"%s\",\"sdp\":", type);
  ferry_json_append_utf8 (out, sdp, -1);
  g_string_append_c (out, '}');
}

static void
append_ids (GString      *out,
            const guint8  info_hash[FERRY_BIN20_LEN],
            const guint8  peer_id[FERRY_BIN20_LEN])
{
  g_string_append (out, "\"action\":\"announce\",\"info_hash\":");
  ferry_bin20_append_json (out, info_hash);
  g_string_append (out, ",\"peer_id\":");
  ferry_bin20_append_json (out, peer_id);
}

static void
append_trackerid (GString    *out,
                  const char *trackerid)
{
  if (trackerid == NULL)
    return;
  g_string_append (out, ",\"trackerid\":");
  ferry_json_append_utf8 (out, trackerid, -1);
}

char *
ferry_tracker_message_build_announce (const guint8                    info_hash[FERRY_BIN20_LEN],
                                      const guint8                    peer_id[FERRY_BIN20_LEN],
                                      const char                     *trackerid,
                                      const FerryTrackerMessageOffer *offers,
                                      guint                           n_offers)
{
  GString *out;

  g_return_val_if_fail (info_hash != NULL && peer_id != NULL, NULL);
  g_return_val_if_fail (offers != NULL || n_offers == 0, NULL);
  g_return_val_if_fail (trackerid == NULL || g_utf8_validate (trackerid, -1, NULL), NULL);
  for (guint i = 0; i < n_offers; i++)
    g_return_val_if_fail (offers[i].sdp != NULL && g_utf8_validate (offers[i].sdp, -1, NULL),
                          NULL);

  out = g_string_sized_new (256);
  /* P2PT passes {numwant, uploaded, downloaded} and WebSocketTracker.announce() adds the rest
   * with Object.assign, which gives this key order (docs/INTEROP.md, "Messages we send"). */
  g_string_append_printf (out, "{\"numwant\":%u,\"uploaded\":0,\"downloaded\":0,", n_offers);
  append_ids (out, info_hash, peer_id);
  append_trackerid (out, trackerid);
  g_string_append (out, ",\"offers\":[");
  for (guint i = 0; i < n_offers; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"offer\":");
      append_description (out, "offer", offers[i].sdp);
      g_string_append (out, ",\"offer_id\":");
      ferry_bin20_append_json (out, offers[i].offer_id);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
  return g_string_free (out, FALSE);
}

char *
ferry_tracker_message_build_answer (const guint8  info_hash[FERRY_BIN20_LEN],
                                    const guint8  peer_id[FERRY_BIN20_LEN],
                                    const guint8  to_peer_id[FERRY_BIN20_LEN],
                                    const guint8  offer_id[FERRY_BIN20_LEN],
                                    const char   *sdp,
                                    const char   *trackerid)
{
  GString *out;

  g_return_val_if_fail (info_hash != NULL && peer_id != NULL, NULL);
  g_return_val_if_fail (to_peer_id != NULL && offer_id != NULL, NULL);
  g_return_val_if_fail (sdp != NULL && g_utf8_validate (sdp, -1, NULL), NULL);
  g_return_val_if_fail (trackerid == NULL || g_utf8_validate (trackerid, -1, NULL), NULL);

  out = g_string_sized_new (256 + strlen (sdp));
  g_string_append_c (out, '{');
  append_ids (out, info_hash, peer_id);
  g_string_append (out, ",\"to_peer_id\":");
  ferry_bin20_append_json (out, to_peer_id);
  g_string_append (out, ",\"answer\":");
  append_description (out, "answer", sdp);
  g_string_append (out, ",\"offer_id\":");
  ferry_bin20_append_json (out, offer_id);
  /* websocket-tracker.js adds trackerid after building the answer's params (docs/INTEROP.md,
   * "Messages we send"). */
  append_trackerid (out, trackerid);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

char *
ferry_tracker_message_build_stopped (const guint8  info_hash[FERRY_BIN20_LEN],
                                     const guint8  peer_id[FERRY_BIN20_LEN],
                                     const char   *trackerid)
{
  GString *out;

  g_return_val_if_fail (info_hash != NULL && peer_id != NULL, NULL);
  g_return_val_if_fail (trackerid == NULL || g_utf8_validate (trackerid, -1, NULL), NULL);

  out = g_string_sized_new (160);
  /* Client.stop() in bittorrent-tracker: _defaultAnnounceOpts () then event (docs/INTEROP.md,
   * "Messages we send").  numwant is 0 rather than its 50: we want no peers, and no server
   * reads it for "stopped". */
  g_string_append (out, "{\"numwant\":0,\"uploaded\":0,\"downloaded\":0,\"event\":\"stopped\",");
  append_ids (out, info_hash, peer_id);
  append_trackerid (out, trackerid);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}
