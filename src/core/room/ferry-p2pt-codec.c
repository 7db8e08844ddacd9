/* ferry-p2pt-codec.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-json.h"
#include "ferry-p2pt-codec.h"

#define DEFAULT_MAX_MESSAGE_UNITS (G_GUINT64_CONSTANT (16) * 1024 * 1024)
#define DEFAULT_MAX_PENDING 32
#define DEFAULT_REASSEMBLY_TIMEOUT_MS 30000

/* P2PT picks new ids as Math.floor (Math.random () * 100000 + 100000). */
#define NEW_ID_MIN 100000
#define NEW_ID_END 200000

/* P2PT keeps a reply slot for every id it sends, for the whole session: ids in its own range are
 * remembered exactly, one bit each (12.5 KB).  Other ids cannot collide with ours; a few are
 * kept only to answer ferry_p2pt_codec_peer_awaits_reply (). */
#define NEW_ID_COUNT (NEW_ID_END - NEW_ID_MIN)
#define MAX_OTHER_RECEIVED_IDS 1024
/* Ids whose partial message was dropped, so that the rest of it is refused cheaply instead of
 * starting a new partial message that can never complete. */
#define MAX_DROPPED_IDS 256

/* Ids are numbers or short strings; long ones would let a peer fill the id sets with megabytes. */
#define MAX_ID_BYTES 128

/* A stored chunk costs bookkeeping besides its units.  Counting each one as at least this many
 * units, and capping the chunk index to match, keeps floods of empty chunks or a huge "c" from
 * exhausting memory while leaving P2PT's 16,000-unit chunks counted exactly. */
#define MIN_CHUNK_COST 64

typedef struct {
  GHashTable *chunks;         /* chunk index → GArray of gunichar2 */
  guint64     units;          /* total length of the chunks */
  guint64     cost;           /* what they count against max-message-units for all partials */
  guint       max_index;
  gint64      last_activity;  /* g_get_monotonic_time () when the latest chunk arrived */
} Partial;

/* A set of strings that forgets its oldest member beyond @max; every operation is O(1). */
typedef struct {
  GQueue      order;          /* owned keys, oldest first */
  GHashTable *links;          /* key (owned by @order) → its GList link in @order */
  guint       max;
} IdSet;

struct _FerryP2ptCodec
{
  GObject     parent_instance;

  guint64     max_message_units;
  guint       max_pending;
  guint       reassembly_timeout;

  GHashTable *partials;       /* id key → Partial */
  guint64     partials_cost;  /* sum of the partials' cost */
  guint8     *awaited;        /* bitmap of NEW_ID_COUNT: ids the peer sent, not replied to */
  guint       n_awaited;
  IdSet       received;       /* other ids the peer sent that we have not replied to */
  IdSet       dropped;
};

G_DEFINE_FINAL_TYPE (FerryP2ptCodec, ferry_p2pt_codec, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-p2pt-error-quark, ferry_p2pt_error)

enum {
  PROP_0,
  PROP_MAX_MESSAGE_UNITS,
  PROP_MAX_PENDING,
  PROP_REASSEMBLY_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Id sets */

static void
id_set_init (IdSet *set,
             guint  max)
{
  g_queue_init (&set->order);
  set->links = g_hash_table_new (g_str_hash, g_str_equal);
  set->max = max;
}

static void
id_set_clear (IdSet *set)
{
  g_clear_pointer (&set->links, g_hash_table_destroy);
  g_queue_clear_full (&set->order, g_free);
}

static gboolean
id_set_contains (IdSet      *set,
                 const char *key)
{
  return g_hash_table_contains (set->links, key);
}

static void
id_set_remove (IdSet      *set,
               const char *key)
{
  GList *link = g_hash_table_lookup (set->links, key);

  if (link == NULL)
    return;
  g_hash_table_remove (set->links, key);
  g_free (link->data);
  g_queue_delete_link (&set->order, link);
}

static void
id_set_add (IdSet      *set,
            const char *key)
{
  GList *link = g_hash_table_lookup (set->links, key);

  if (link != NULL)
    {
      /* Refresh: it becomes the newest member. */
      g_queue_unlink (&set->order, link);
      g_queue_push_tail_link (&set->order, link);
      return;
    }

  g_queue_push_tail (&set->order, g_strdup (key));
  g_hash_table_insert (set->links, set->order.tail->data, set->order.tail);
  while (set->order.length > set->max)
    {
      char *oldest = g_queue_pop_head (&set->order);

      g_hash_table_remove (set->links, oldest);
      g_free (oldest);
    }
}

/* Ids */

static gboolean
id_is_valid (const char *text,
             gsize       len)
{
  const char *p = text;

  if (len == 0 || len > MAX_ID_BYTES)
    return FALSE;
  if (text[0] != '"' && text[0] != '-' && !g_ascii_isdigit (text[0]))
    return FALSE;
  return ferry_json_skip_value (&p, text + len, NULL) && p == text + len;
}

/* P2PT keys its reassembly buffers and reply slots by the JavaScript property key of the id, so
 * 123456, 123456.0 and "123456" are the same id.  Integers (all ids P2PT makes) become their
 * decimal text; other numbers keep their JSON text, which is close enough for ids nobody uses. */
static char *
id_key (const char *text,
        gsize       len)
{
  if (text[0] == '"')
    {
      const char *p = text;
      g_autoptr(GArray) units = ferry_json_string_decode (&p, text + len, NULL);

      g_assert (units != NULL);  /* validated by id_is_valid () */
      return ferry_utf16_to_utf8 ((const gunichar2 *) units->data, units->len, NULL);
    }
  else
    {
      g_autofree char *copy = g_strndup (text, len);
      double value = g_ascii_strtod (copy, NULL);

      /* Below 2^53 every integer is exact, and the gint64 round trip spots fractions. */
      if (value > -9007199254740992.0 && value < 9007199254740992.0 &&
          value == (double) (gint64) value)
        return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) value);
      return g_steal_pointer (&copy);
    }
}

/* The index of @key in the awaited bitmap, or -1 if it is not one of P2PT's own ids. */
static int
awaited_index (const char *key)
{
  /* Keys of integer ids are canonical decimal text (id_key ()): 100000..199999 is six digits
   * starting with 1. */
  if (strlen (key) != 6 || key[0] != '1')
    return -1;
  for (guint i = 1; i < 6; i++)
    if (!g_ascii_isdigit (key[i]))
      return -1;
  return atoi (key) - NEW_ID_MIN;
}

static gboolean
is_awaited (FerryP2ptCodec *self,
            int             index)
{
  return self->awaited != NULL && (self->awaited[index / 8] & (1 << (index % 8)));
}

static void
remember_received (FerryP2ptCodec *self,
                   const char     *key)
{
  int index = awaited_index (key);

  if (index < 0)
    {
      id_set_add (&self->received, key);
      return;
    }
  if (self->awaited == NULL)
    self->awaited = g_malloc0 (NEW_ID_COUNT / 8 + 1);
  if (!is_awaited (self, index))
    {
      self->awaited[index / 8] |= 1 << (index % 8);
      self->n_awaited++;
    }
}

static void
forget_received (FerryP2ptCodec *self,
                 const char     *key)
{
  int index = awaited_index (key);

  if (index < 0)
    id_set_remove (&self->received, key);
  else if (is_awaited (self, index))
    {
      self->awaited[index / 8] &= ~(1 << (index % 8));
      self->n_awaited--;
    }
}

static char *
fresh_id (FerryP2ptCodec *self)
{
  int start = g_random_int_range (0, NEW_ID_COUNT);

  /* Random, as P2PT's; when the peer awaits many ids, the next free one after a random start.
   * A peer awaiting every id in the range leaves no safe choice. */
  for (int i = 0; i < NEW_ID_COUNT && self->n_awaited < NEW_ID_COUNT; i++)
    {
      int index = (start + i) % NEW_ID_COUNT;

      if (!is_awaited (self, index))
        return g_strdup_printf ("%d", NEW_ID_MIN + index);
    }
  return g_strdup_printf ("%d", NEW_ID_MIN + start);
}

/* Partial messages */

static void
partial_free (gpointer data)
{
  Partial *partial = data;

  g_hash_table_destroy (partial->chunks);
  g_free (partial);
}

static void
forget_partial (FerryP2ptCodec *self,
                const char     *key,
                gboolean        dropped)
{
  Partial *partial = g_hash_table_lookup (self->partials, key);

  if (partial != NULL)
    {
      self->partials_cost -= partial->cost;
      g_hash_table_remove (self->partials, key);
    }
  if (dropped)
    id_set_add (&self->dropped, key);
}

static void
purge_expired (FerryP2ptCodec *self,
               gint64          now)
{
  gint64 timeout = (gint64) self->reassembly_timeout * G_TIME_SPAN_MILLISECOND;
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->partials);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Partial *partial = value;

      if (now - partial->last_activity > timeout)
        {
          g_debug ("P2PT message %s expired with %u chunks", (const char *) key,
                   g_hash_table_size (partial->chunks));
          id_set_add (&self->dropped, key);
          self->partials_cost -= partial->cost;
          g_hash_table_iter_remove (&iter);
        }
    }
}

/* Errors */

static gboolean
malformed (GError    **error,
           const char *why)
{
  g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_MALFORMED,
               _("Invalid P2PT message: %s"), why);
  return FALSE;
}

static gboolean
too_large (GError    **error,
           guint64     limit)
{
  g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_TOO_LARGE,
               _("A P2PT message is larger than the limit of %llu characters"),
               (unsigned long long) limit);
  return FALSE;
}

/* Parsing */

static gboolean
find_member (const char  *json,
             gsize        len,
             const char  *name,
             const char **value,
             const char **value_end,
             gboolean    *found,
             GError     **error)
{
  g_autoptr(GError) local = NULL;

  *found = ferry_json_object_find_member (json, len, name, value, value_end, &local);
  if (local != NULL)
    return malformed (error, local->message);
  return TRUE;
}

static gboolean
value_is (const char *value,
          const char *value_end,
          const char *literal)
{
  gsize n = strlen (literal);

  return (gsize) (value_end - value) == n && memcmp (value, literal, n) == 0;
}

/* Reads "c".  Only plain non-negative integer literals are accepted: P2PT writes nothing else, and
 * JavaScript's leniency (1.0, 1e0, "1") would only serve to confuse. */
static gboolean
parse_index (FerryP2ptCodec *self,
             const char     *value,
             const char     *value_end,
             guint          *index,
             GError        **error)
{
  gsize n = value_end - value;
  guint64 max_index = MIN (self->max_message_units / MIN_CHUNK_COST, G_MAXUINT32);
  guint64 parsed = 0;

  if (n == 0 || !g_ascii_isdigit (value[0]))
    return malformed (error, _("the chunk index “c” is not a non-negative integer"));
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isdigit (value[i]))
      return malformed (error, _("the chunk index “c” is not a non-negative integer"));
  if (n > 1 && value[0] == '0')
    return malformed (error, _("the chunk index “c” is not a non-negative integer"));

  /* Stops as soon as the value passes max_index (< 2^32), long before guint64 overflows. */
  for (gsize i = 0; i < n; i++)
    {
      parsed = parsed * 10 + (value[i] - '0');
      if (parsed > max_index)
        {
          g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_TOO_LARGE,
                       _("A P2PT message has too many chunks (chunk index %.*s)"),
                       (int) MIN (n, 20), value);
          return FALSE;
        }
    }

  *index = parsed;
  return TRUE;
}

static gboolean
check_object_payload (const char  *payload,
                      gsize        len,
                      GError     **error)
{
  g_autoptr(GError) local = NULL;
  const char *p = payload;
  const char *end = payload + len;

  /* P2PT JSON.parse ()s object payloads and drops the message when that fails; checking here
   * lets receivers rely on the text. */
  if (!ferry_json_skip_value (&p, end, &local))
    return malformed (error, local->message);
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  if (p != end)
    return malformed (error, _("the object payload has trailing characters"));
  return TRUE;
}

static gboolean
utf8_validate_with_nul (const char *data,
                        gsize       len)
{
  const char *p = data;
  const char *end = data + len;

  /* U+0000 is valid in a text message; g_utf8_validate_len () stops at it. */
  while (p < end)
    {
      const char *stop;

      if (g_utf8_validate_len (p, end - p, &stop))
        return TRUE;
      if (*stop != '\0')
        return FALSE;
      p = stop + 1;
    }
  return TRUE;
}

static FerryP2ptMessage *
message_new (const char *id,
             gsize       id_len,
             char       *payload,
             gsize       payload_len,
             gboolean    is_object,
             gboolean    enveloped)
{
  FerryP2ptMessage *message = g_new0 (FerryP2ptMessage, 1);

  message->id = id != NULL ? g_strndup (id, id_len) : NULL;
  message->payload = payload;
  message->payload_len = payload_len;
  message->is_object = is_object;
  message->enveloped = enveloped;
  return message;
}

static gboolean
finish (const char         *id,
        gsize               id_len,
        const gunichar2    *units,
        gsize               n_units,
        gboolean            is_object,
        FerryP2ptMessage  **message,
        GError            **error)
{
  g_autofree char *payload = NULL;
  gsize payload_len;

  payload = ferry_utf16_to_utf8 (units, n_units, &payload_len);
  if (is_object && !check_object_payload (payload, payload_len, error))
    return FALSE;
  *message = message_new (id, id_len, g_steal_pointer (&payload), payload_len, is_object, TRUE);
  return TRUE;
}

/* Everything about one chunk once its id is known.  Returns %FALSE without an error when the
 * message needs more chunks. */
static gboolean
decode_chunk_with_id (FerryP2ptCodec     *self,
                      const char         *json,
                      gsize               len,
                      const char         *id,
                      gsize               id_len,
                      const char         *key,
                      gint64              now,
                      FerryP2ptMessage  **message,
                      GError            **error)
{
  const char *value, *value_end;
  g_autoptr(GArray) units = NULL;
  gboolean found;
  gboolean is_object = FALSE;
  gboolean last = FALSE;
  guint index;
  Partial *partial;
  guint64 total;

  if (!find_member (json, len, "c", &value, &value_end, &found, error))
    return FALSE;
  if (!found)
    return malformed (error, _("it has no chunk index “c”"));
  if (!parse_index (self, value, value_end, &index, error))
    return FALSE;

  if (!find_member (json, len, "o", &value, &value_end, &found, error))
    return FALSE;
  if (found)
    {
      if (value_is (value, value_end, "1") || value_is (value, value_end, "true"))
        is_object = TRUE;
      else if (!value_is (value, value_end, "0") && !value_is (value, value_end, "false") &&
               !value_is (value, value_end, "null"))
        return malformed (error, _("“o” is neither 1 nor true"));
    }

  if (!find_member (json, len, "last", &value, &value_end, &found, error))
    return FALSE;
  if (found)
    {
      if (value_is (value, value_end, "true"))
        last = TRUE;
      else if (!value_is (value, value_end, "false") && !value_is (value, value_end, "null"))
        return malformed (error, _("“last” is not true"));
    }

  if (!find_member (json, len, "msg", &value, &value_end, &found, error))
    return FALSE;
  if (!found)
    return malformed (error, _("it has no “msg”"));
  if (*value != '"' || !(units = ferry_json_string_decode (&value, value_end, NULL)))
    return malformed (error, _("“msg” is not a string"));

  if (id_set_contains (&self->dropped, key))
    {
      /* A chunk 0 starts a new message that happens to reuse the id. */
      if (index > 0)
        {
          g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_INCOMPLETE,
                       _("Chunk %u of P2PT message %s arrived after the message was dropped"),
                       index, key);
          return FALSE;
        }
      id_set_remove (&self->dropped, key);
    }

  partial = g_hash_table_lookup (self->partials, key);

  if (partial == NULL && last)
    {
      /* The common case: a message in one chunk, never stored. */
      if (index > 0)
        {
          g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_INCOMPLETE,
                       _("P2PT message %s ended at chunk %u but its earlier chunks are missing"),
                       key, index);
          return FALSE;
        }
      if (units->len > self->max_message_units)
        return too_large (error, self->max_message_units);
      return finish (id, id_len, (const gunichar2 *) units->data, units->len, is_object,
                     message, error);
    }

  if (partial == NULL)
    {
      if (g_hash_table_size (self->partials) >= self->max_pending)
        {
          g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_TOO_MANY,
                       _("Too many unfinished P2PT messages (the limit is %u)"),
                       self->max_pending);
          return FALSE;
        }
      partial = g_new0 (Partial, 1);
      partial->chunks = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);
      g_hash_table_insert (self->partials, g_strdup (key), partial);
    }

  /* A reliable channel never repeats a chunk, so a repeat comes from a confused or hostile peer;
   * refusing it (rather than letting it overwrite, as P2PT does) keeps received text immutable. */
  if (g_hash_table_contains (partial->chunks, GUINT_TO_POINTER (index)))
    return malformed (error, _("a chunk arrived twice"));

  total = partial->units + units->len;
  if (total > self->max_message_units)
    return too_large (error, self->max_message_units);

  if (last)
    {
      g_autoptr(GArray) joined = NULL;
      guint have = g_hash_table_size (partial->chunks);

      if (index < partial->max_index)
        return malformed (error, _("a chunk follows the last one"));
      /* The stored indices are distinct and below @index, so @index of them means 0..index-1. */
      if (have != index)
        {
          g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_INCOMPLETE,
                       _("P2PT message %s ended with %u of its %u chunks missing"),
                       key, index - have, index + 1);
          return FALSE;
        }

      joined = g_array_sized_new (FALSE, FALSE, sizeof (gunichar2), total);
      for (guint i = 0; i < index; i++)
        {
          GArray *chunk = g_hash_table_lookup (partial->chunks, GUINT_TO_POINTER (i));

          g_array_append_vals (joined, chunk->data, chunk->len);
        }
      g_array_append_vals (joined, units->data, units->len);
      forget_partial (self, key, FALSE);

      /* Like P2PT, take "o" from the last chunk. */
      return finish (id, id_len, (const gunichar2 *) joined->data, joined->len, is_object,
                     message, error);
    }
  else
    {
      guint64 cost = MAX (units->len, MIN_CHUNK_COST);

      /* All partial messages together are held to the limit of one message, so that a peer
       * cannot make us hold max-pending times max-message-units. */
      if (self->partials_cost + cost > self->max_message_units)
        {
          g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_TOO_LARGE,
                       _("Unfinished P2PT messages together exceed the limit of %llu "
                         "characters"), (unsigned long long) self->max_message_units);
          return FALSE;
        }

      partial->units = total;
      partial->cost += cost;
      self->partials_cost += cost;
      partial->max_index = MAX (partial->max_index, index);
      partial->last_activity = now;
      g_hash_table_insert (partial->chunks, GUINT_TO_POINTER (index), g_steal_pointer (&units));
      return FALSE;
    }
}

static gboolean
decode_chunk (FerryP2ptCodec     *self,
              const char         *json,
              gsize               len,
              gint64              now,
              FerryP2ptMessage  **message,
              GError            **error)
{
  const char *id, *id_end;
  g_autofree char *key = NULL;
  g_autoptr(GError) local = NULL;
  gboolean found;

  if (len == 0)
    return malformed (error, _("nothing follows “^”"));

  /* The first lookup also checks that the whole text is one well-formed object. */
  if (!find_member (json, len, "id", &id, &id_end, &found, error))
    return FALSE;
  if (!found)
    return malformed (error, _("it has no “id”"));
  if (!id_is_valid (id, id_end - id))
    return malformed (error, _("the “id” is not a number or a short string"));
  key = id_key (id, id_end - id);
  /* The sender now waits for a reply with this id, whatever becomes of the message. */
  remember_received (self, key);

  if (decode_chunk_with_id (self, json, len, id, id_end - id, key, now, message, &local))
    return TRUE;
  if (local != NULL)
    {
      /* Forget the message and refuse the rest of it. */
      forget_partial (self, key, TRUE);
      g_propagate_error (error, g_steal_pointer (&local));
    }
  return FALSE;
}

/* Public API */

FerryP2ptCodec *
ferry_p2pt_codec_new (void)
{
  return g_object_new (FERRY_TYPE_P2PT_CODEC, NULL);
}

GPtrArray *
ferry_p2pt_codec_encode (FerryP2ptCodec *self,
                         const char     *id,
                         const char     *payload,
                         gboolean        is_object)
{
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GArray) units = NULL;
  g_autofree char *new_id = NULL;
  gsize n_chunks;

  g_return_val_if_fail (FERRY_IS_P2PT_CODEC (self), NULL);
  g_return_val_if_fail (id == NULL || id_is_valid (id, strlen (id)), NULL);
  g_return_val_if_fail (payload != NULL, NULL);
  g_return_val_if_fail (g_utf8_validate (payload, -1, NULL), NULL);

  chunks = g_ptr_array_new_with_free_func (g_free);
  /* P2PT sends nothing for an empty string, so the peer's reply slot stays open too. */
  if (payload[0] == '\0')
    return g_steal_pointer (&chunks);

  if (id != NULL)
    {
      g_autofree char *key = id_key (id, strlen (id));

      forget_received (self, key);
    }
  else
    {
      id = new_id = fresh_id (self);
    }

  units = ferry_utf8_to_utf16 (payload, -1);
  n_chunks = (units->len + FERRY_P2PT_CHUNK_UNITS - 1) / FERRY_P2PT_CHUNK_UNITS;
  for (gsize k = 0; k < n_chunks; k++)
    {
      gsize start = k * FERRY_P2PT_CHUNK_UNITS;
      gsize n = MIN (FERRY_P2PT_CHUNK_UNITS, units->len - start);
      GString *chunk = g_string_sized_new (n + 64);

      /* Member order and spelling as JSON.stringify writes P2PT's object (docs/INTEROP.md,
       * "Envelope and chunking"). */
      g_string_append (chunk, "^{\"id\":");
      g_string_append (chunk, id);
      g_string_append (chunk, ",\"msg\":");
      ferry_json_append_utf16 (chunk, &g_array_index (units, gunichar2, start), n);
      if (is_object)
        g_string_append (chunk, ",\"o\":1");
      g_string_append_printf (chunk, ",\"c\":%" G_GSIZE_FORMAT, k);
      if (k + 1 == n_chunks)
        g_string_append (chunk, ",\"last\":true");
      g_string_append_c (chunk, '}');
      g_ptr_array_add (chunks, g_string_free (chunk, FALSE));
    }

  return g_steal_pointer (&chunks);
}

gboolean
ferry_p2pt_codec_decode (FerryP2ptCodec    *self,
                         const char        *data,
                         gsize              len,
                         FerryP2ptMessage **message,
                         GError           **error)
{
  gint64 now;
  char *payload;

  g_return_val_if_fail (FERRY_IS_P2PT_CODEC (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *message = NULL;

  now = g_get_monotonic_time ();
  if (g_hash_table_size (self->partials) > 0)
    purge_expired (self, now);

  if (len > 0 && data[0] == '^')
    return decode_chunk (self, data + 1, len - 1, now, message, error);

  /* Plain text or JSON from peers that do not use the envelope (WebDrop's file-transfer
   * signalling, for one). */
  if (!utf8_validate_with_nul (data, len))
    {
      g_set_error (error, FERRY_P2PT_ERROR, FERRY_P2PT_ERROR_MALFORMED,
                   _("Invalid P2PT message: it is not valid UTF-8 text"));
      return FALSE;
    }
  /* Not g_strndup (), which would stop at U+0000. */
  payload = g_malloc (len + 1);
  if (len > 0)
    memcpy (payload, data, len);
  payload[len] = '\0';
  *message = message_new (NULL, 0, payload, len, FALSE, FALSE);
  return TRUE;
}

gboolean
ferry_p2pt_codec_peer_awaits_reply (FerryP2ptCodec *self,
                                    const char     *id)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (FERRY_IS_P2PT_CODEC (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!id_is_valid (id, strlen (id)))
    return FALSE;
  key = id_key (id, strlen (id));
  {
    int index = awaited_index (key);

    return index < 0 ? id_set_contains (&self->received, key) : is_awaited (self, index);
  }
}

void
ferry_p2pt_message_free (FerryP2ptMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->id);
  g_free (message->payload);
  g_free (message);
}

/* GObject */

static void
ferry_p2pt_codec_finalize (GObject *object)
{
  FerryP2ptCodec *self = FERRY_P2PT_CODEC (object);

  g_hash_table_destroy (self->partials);
  id_set_clear (&self->received);
  g_free (self->awaited);
  id_set_clear (&self->dropped);

  G_OBJECT_CLASS (ferry_p2pt_codec_parent_class)->finalize (object);
}

static void
ferry_p2pt_codec_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FerryP2ptCodec *self = FERRY_P2PT_CODEC (object);

  switch (prop_id)
    {
    case PROP_MAX_MESSAGE_UNITS:
      g_value_set_uint64 (value, self->max_message_units);
      break;
    case PROP_MAX_PENDING:
      g_value_set_uint (value, self->max_pending);
      break;
    case PROP_REASSEMBLY_TIMEOUT:
      g_value_set_uint (value, self->reassembly_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_p2pt_codec_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  FerryP2ptCodec *self = FERRY_P2PT_CODEC (object);

  /* Lowered limits apply to chunks that arrive from now on. */
  switch (prop_id)
    {
    case PROP_MAX_MESSAGE_UNITS:
      if (self->max_message_units == g_value_get_uint64 (value))
        return;
      self->max_message_units = g_value_get_uint64 (value);
      break;
    case PROP_MAX_PENDING:
      if (self->max_pending == g_value_get_uint (value))
        return;
      self->max_pending = g_value_get_uint (value);
      break;
    case PROP_REASSEMBLY_TIMEOUT:
      if (self->reassembly_timeout == g_value_get_uint (value))
        return;
      self->reassembly_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_object_notify_by_pspec (object, pspec);
}

static void
ferry_p2pt_codec_class_init (FerryP2ptCodecClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_p2pt_codec_finalize;
  object_class->get_property = ferry_p2pt_codec_get_property;
  object_class->set_property = ferry_p2pt_codec_set_property;

  properties[PROP_MAX_MESSAGE_UNITS] =
    g_param_spec_uint64 ("max-message-units", NULL, NULL, 1, G_MAXUINT64,
                         DEFAULT_MAX_MESSAGE_UNITS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_PENDING] =
    g_param_spec_uint ("max-pending", NULL, NULL, 1, G_MAXUINT, DEFAULT_MAX_PENDING,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_REASSEMBLY_TIMEOUT] =
    g_param_spec_uint ("reassembly-timeout", NULL, NULL, 1, G_MAXUINT,
                       DEFAULT_REASSEMBLY_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                         G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_p2pt_codec_init (FerryP2ptCodec *self)
{
  self->max_message_units = DEFAULT_MAX_MESSAGE_UNITS;
  self->max_pending = DEFAULT_MAX_PENDING;
  self->reassembly_timeout = DEFAULT_REASSEMBLY_TIMEOUT_MS;
  self->partials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, partial_free);
  id_set_init (&self->received, MAX_OTHER_RECEIVED_IDS);
  id_set_init (&self->dropped, MAX_DROPPED_IDS);
}
