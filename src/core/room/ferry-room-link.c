/* ferry-room-link.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-room-link.h"
#include "ferry-webdrop.h"
#include "ferry-room-enums.h"

#define MAX_LINK_TRACKERS 16
#define MAX_LINK_LENGTH 4096

struct _FerryRoomLink
{
  GObject        parent_instance;

  FerryRoomKind  kind;
  char          *label;       /* secret rooms; may be NULL */
  char          *identifier;  /* plain rooms */
  char          *webdrop_code;  /* of a plain room "webdrop" + CODE, found on first use */
  guint8         secret[FERRY_ROOM_SECRET_LEN];
  GPtrArray     *trackers;    /* NULL-terminated */
  gboolean       dht;         /* secret rooms: meet over the DHT too */
};

G_DEFINE_FINAL_TYPE (FerryRoomLink, ferry_room_link, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-room-link-error-quark, ferry_room_link_error)

enum {
  PROP_0,
  PROP_KIND,
  PROP_DISPLAY_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ferry_room_link_finalize (GObject *object)
{
  FerryRoomLink *self = FERRY_ROOM_LINK (object);

  ferry_memzero (self->secret, sizeof self->secret);
  g_free (self->label);
  g_free (self->identifier);
  g_free (self->webdrop_code);
  g_ptr_array_unref (self->trackers);

  G_OBJECT_CLASS (ferry_room_link_parent_class)->finalize (object);
}

static void
ferry_room_link_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FerryRoomLink *self = FERRY_ROOM_LINK (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, ferry_room_link_get_display_name (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_room_link_class_init (FerryRoomLinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ferry_room_link_finalize;
  object_class->get_property = ferry_room_link_get_property;

  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, FERRY_TYPE_ROOM_KIND,
                       FERRY_ROOM_KIND_PLAIN,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_room_link_init (FerryRoomLink *self)
{
  self->trackers = g_ptr_array_new_null_terminated (0, g_free, TRUE);
}

/* Names and labels end up in window titles and in the SHA-1 of plain rooms: refuse what cannot
 * be shown or typed (control characters) and what would not survive a round trip. */
static gboolean
validate_name (const char  *text,
               gsize        len,
               gboolean     is_label,
               GError     **error)
{
  const char *end;

  if (!g_utf8_validate_len (text, len, &end))
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_NAME,
                           is_label ? _("The room label is not valid text.")
                                    : _("The room name is not valid text."));
      return FALSE;
    }
  if (len == 0)
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_NAME,
                           is_label ? _("The room label is empty.")
                                    : _("Enter a room name or paste a Ferry link."));
      return FALSE;
    }
  if (len > FERRY_ROOM_NAME_MAX_BYTES)
    {
      g_set_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_NAME,
                   is_label ? _("The room label is too long (at most %d bytes).")
                            : _("The room name is too long (at most %d bytes)."),
                   FERRY_ROOM_NAME_MAX_BYTES);
      return FALSE;
    }
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        {
          g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_NAME,
                               is_label ? _("The room label contains control characters.")
                                        : _("The room name contains control characters."));
          return FALSE;
        }
    }
  if (g_unichar_isspace (g_utf8_get_char (text)) ||
      g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (text + len))))
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_NAME,
                           is_label ? _("The room label starts or ends with a space.")
                                    : _("The room name starts or ends with a space."));
      return FALSE;
    }
  return TRUE;
}

FerryRoomLink *
ferry_room_link_new_secret (const char  *label,
                            GError     **error)
{
  g_autoptr(FerryRoomLink) self = NULL;

  if (label != NULL && !validate_name (label, strlen (label), TRUE, error))
    return NULL;

  self = g_object_new (FERRY_TYPE_ROOM_LINK, NULL);
  self->kind = FERRY_ROOM_KIND_SECRET;
  self->label = g_strdup (label);
  self->dht = TRUE;
  ferry_random_secret (self->secret);

  return g_steal_pointer (&self);
}

FerryRoomLink *
ferry_room_link_new_plain (const char  *identifier,
                           GError     **error)
{
  FerryRoomLink *self;

  g_return_val_if_fail (identifier != NULL, NULL);

  if (!validate_name (identifier, strlen (identifier), FALSE, error))
    return NULL;

  self = g_object_new (FERRY_TYPE_ROOM_LINK, NULL);
  self->kind = FERRY_ROOM_KIND_PLAIN;
  self->identifier = g_strdup (identifier);

  return self;
}

gboolean
ferry_room_link_add_tracker (FerryRoomLink  *self,
                             const char     *url,
                             GError        **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), FALSE);
  g_return_val_if_fail (url != NULL, FALSE);

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0))
    {
      g_set_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_TRACKER,
                   _("“%s” is not a tracker address (it must start with wss:// or ws://)."), url);
      return FALSE;
    }

  if (self->trackers->len >= MAX_LINK_TRACKERS)
    {
      g_set_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_TRACKER,
                   _("The link names too many trackers (at most %d)."), MAX_LINK_TRACKERS);
      return FALSE;
    }

  for (guint i = 0; i < self->trackers->len; i++)
    if (g_str_equal (g_ptr_array_index (self->trackers, i), url))
      return TRUE;

  g_ptr_array_add (self->trackers, g_strdup (url));
  return TRUE;
}

static gboolean
invalid_link (GError     **error,
              const char  *detail)
{
  g_set_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_INVALID,
               _("This is not a valid Ferry link: %s"), detail);
  return FALSE;
}

static gboolean
parse_secret (FerryRoomLink  *self,
              const char     *fragment,
              GError        **error)
{
  g_autofree char *value = NULL;
  g_autofree char *canonical = NULL;
  g_autofree guint8 *bytes = NULL;
  GUriParamsIter iter;
  char *attr;
  char *attr_value;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;

  g_uri_params_iter_init (&iter, fragment, -1, "&", G_URI_PARAMS_NONE);
  while (g_uri_params_iter_next (&iter, &attr, &attr_value, &local_error))
    {
      if (g_str_equal (attr, "k") && value == NULL)
        value = g_steal_pointer (&attr_value);
      g_free (attr);
      if (attr_value != NULL)
        ferry_memzero (attr_value, strlen (attr_value));
      g_free (attr_value);
    }
  if (local_error != NULL || value == NULL)
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_MISSING_SECRET,
                           _("The link is incomplete: its room key (the part after “#k=”) is "
                             "missing. Ask for the whole link."));
      return FALSE;
    }

  bytes = ferry_base64url_decode (value, &len);
  /* Re-encoding catches non-canonical text (stray bits, padding) that g_base64 would accept. */
  if (bytes != NULL && len == FERRY_ROOM_SECRET_LEN)
    canonical = ferry_base64url_encode (bytes, len);
  if (canonical == NULL || !g_str_equal (canonical, value))
    {
      ferry_memzero (value, strlen (value));
      if (bytes != NULL)
        ferry_memzero (bytes, len);
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_SECRET,
                           _("The link's room key is damaged. Copy the whole link again."));
      return FALSE;
    }

  memcpy (self->secret, bytes, FERRY_ROOM_SECRET_LEN);
  ferry_memzero (bytes, len);
  ferry_memzero (value, strlen (value));
  ferry_memzero (canonical, strlen (canonical));
  return TRUE;
}

FerryRoomLink *
ferry_room_link_parse (const char  *text,
                       GError     **error)
{
  g_autoptr(FerryRoomLink) self = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *dht = NULL;
  g_autofree char *name = NULL;
  g_autofree char *room = NULL;
  g_autoptr(GPtrArray) trackers = g_ptr_array_new_with_free_func (g_free);
  const char *query;
  const char *fragment;
  const char *path;
  GUriParamsIter iter;
  char *attr;
  char *value;

  g_return_val_if_fail (text != NULL, NULL);

  if (strlen (text) > MAX_LINK_LENGTH)
    return (invalid_link (error, _("it is too long.")), NULL);

  uri = g_uri_parse (text, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_ENCODED_FRAGMENT, NULL);
  if (uri == NULL || g_ascii_strcasecmp (g_uri_get_scheme (uri), "ferry") != 0)
    return (invalid_link (error, _("Ferry links start with “ferry://join?”.")), NULL);

  path = g_uri_get_path (uri);
  if (g_uri_get_host (uri) == NULL || g_ascii_strcasecmp (g_uri_get_host (uri), "join") != 0 ||
      (path[0] != '\0' && !g_str_equal (path, "/")) || g_uri_get_userinfo (uri) != NULL ||
      g_uri_get_port (uri) != -1)
    return (invalid_link (error, _("Ferry links start with “ferry://join?”.")), NULL);

  query = g_uri_get_query (uri);
  if (query == NULL)
    return (invalid_link (error, _("it names no room.")), NULL);

  g_uri_params_iter_init (&iter, query, -1, "&", G_URI_PARAMS_NONE);
  while (g_uri_params_iter_next (&iter, &attr, &value, &local_error))
    {
      g_autofree char *owned_attr = attr;
      g_autofree char *owned_value = value;
      char **slot = NULL;

      if (g_str_equal (attr, "v"))
        slot = &version;
      else if (g_str_equal (attr, "name"))
        slot = &name;
      else if (g_str_equal (attr, "room"))
        slot = &room;
      else if (g_str_equal (attr, "dht"))
        slot = &dht;
      else if (g_str_equal (attr, "tr"))
        g_ptr_array_add (trackers, g_steal_pointer (&owned_value));
      /* Other parameters are ignored, so that later v1 links can add optional ones. */

      if (slot != NULL)
        {
          if (*slot != NULL)
            return (invalid_link (error, _("a parameter appears twice.")), NULL);
          *slot = g_steal_pointer (&owned_value);
        }
    }
  if (local_error != NULL)
    return (invalid_link (error, _("its parameters are garbled.")), NULL);

  if (version == NULL)
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION,
                           _("This link has no version number; it was not made by Ferry."));
      return NULL;
    }
  if (!g_str_equal (version, "1"))
    {
      guint64 v = 0;

      if (g_ascii_string_to_unsigned (version, 10, 2, G_MAXUINT32, &v, NULL))
        g_set_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION,
                     _("This link needs a newer version of Ferry (link version %s)."), version);
      else
        g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION,
                             _("This link has an invalid version number."));
      return NULL;
    }

  self = g_object_new (FERRY_TYPE_ROOM_LINK, NULL);
  fragment = g_uri_get_fragment (uri);

  if (room != NULL)
    {
      if (fragment != NULL && *fragment != '\0')
        return (invalid_link (error, _("a public room link cannot carry a room key.")), NULL);
      if (!validate_name (room, strlen (room), FALSE, error))
        return NULL;
      self->kind = FERRY_ROOM_KIND_PLAIN;
      self->identifier = g_steal_pointer (&room);
    }
  else
    {
      if (fragment == NULL || *fragment == '\0')
        {
          g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_MISSING_SECRET,
                               name != NULL
                                 ? _("The link is incomplete: its room key (the part after "
                                     "“#k=”) is missing. Ask for the whole link.")
                                 : _("This is not a valid Ferry link: it names no room."));
          return NULL;
        }
      if (name != NULL && !validate_name (name, strlen (name), TRUE, error))
        return NULL;
      if (!parse_secret (self, fragment, error))
        return NULL;
      self->kind = FERRY_ROOM_KIND_SECRET;
      self->label = g_steal_pointer (&name);
      self->dht = g_strcmp0 (dht, "1") == 0;
    }

  for (guint i = 0; i < trackers->len; i++)
    if (!ferry_room_link_add_tracker (self, g_ptr_array_index (trackers, i), error))
      return NULL;

  return g_steal_pointer (&self);
}

FerryRoomLink *
ferry_room_link_parse_user_input (const char  *text,
                                  GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *code = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  trimmed = g_strstrip (g_strdup (text));

  if (g_ascii_strncasecmp (trimmed, "ferry:", strlen ("ferry:")) == 0)
    return ferry_room_link_parse (trimmed, error);

  /* A WebDrop room is the plain room of its identifier. */
  if (ferry_webdrop_parse_room (trimmed, &code, &local_error))
    {
      g_autofree char *identifier = g_strconcat (FERRY_WEBDROP_IDENTIFIER_PREFIX, code, NULL);

      return ferry_room_link_new_plain (identifier, error);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (strstr (trimmed, "://") != NULL)
    {
      g_set_error_literal (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_INVALID,
                           _("This is not a Ferry link. Ferry links start with “ferry://”."));
      return NULL;
    }

  return ferry_room_link_new_plain (trimmed, error);
}

char *
ferry_room_link_to_string (FerryRoomLink *self)
{
  GString *link;

  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), NULL);

  link = g_string_new ("ferry://join?v=1");
  if (self->kind == FERRY_ROOM_KIND_PLAIN)
    {
      g_string_append (link, "&room=");
      g_string_append_uri_escaped (link, self->identifier, NULL, FALSE);
    }
  else if (self->label != NULL)
    {
      g_string_append (link, "&name=");
      g_string_append_uri_escaped (link, self->label, NULL, FALSE);
    }

  if (self->dht)
    g_string_append (link, "&dht=1");
  for (guint i = 0; i < self->trackers->len; i++)
    {
      g_string_append (link, "&tr=");
      g_string_append_uri_escaped (link, g_ptr_array_index (self->trackers, i), NULL, FALSE);
    }

  if (self->kind == FERRY_ROOM_KIND_SECRET)
    {
      g_autofree char *secret = ferry_base64url_encode (self->secret, sizeof self->secret);

      g_string_append (link, "#k=");
      g_string_append (link, secret);
      ferry_memzero (secret, strlen (secret));
    }

  return g_string_free (link, FALSE);
}

FerryRoomKind
ferry_room_link_get_kind (FerryRoomLink *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), FERRY_ROOM_KIND_PLAIN);

  return self->kind;
}

const char *
ferry_room_link_get_display_name (FerryRoomLink *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), NULL);

  if (self->kind == FERRY_ROOM_KIND_PLAIN)
    return self->identifier;
  return self->label != NULL ? self->label : _("Private room");
}

const char *
ferry_room_link_get_webdrop_code (FerryRoomLink *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), NULL);

  if (self->webdrop_code == NULL && self->kind == FERRY_ROOM_KIND_PLAIN)
    self->webdrop_code = ferry_webdrop_code_from_identifier (self->identifier);
  return self->webdrop_code;
}

const char *
ferry_room_link_get_label (FerryRoomLink *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), NULL);

  return self->label;
}

const char *
ferry_room_link_get_identifier (FerryRoomLink *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), NULL);

  return self->identifier;
}

const char * const *
ferry_room_link_get_trackers (FerryRoomLink *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), NULL);

  /* An empty null-terminated GPtrArray has no storage yet in GLib 2.74. */
  return self->trackers->len ? (const char * const *) self->trackers->pdata : none;
}

void
ferry_room_link_get_info_hash (FerryRoomLink *self,
                               guint8         info_hash[FERRY_INFO_HASH_LEN])
{
  g_return_if_fail (FERRY_IS_ROOM_LINK (self));

  if (self->kind == FERRY_ROOM_KIND_PLAIN)
    ferry_info_hash_from_identifier (self->identifier, info_hash);
  else
    ferry_derive_room_keys (self->secret, info_hash, NULL);
}

gboolean
ferry_room_link_get_auth_key (FerryRoomLink *self,
                              guint8         auth_key[FERRY_AUTH_KEY_LEN])
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), FALSE);

  if (self->kind == FERRY_ROOM_KIND_PLAIN)
    return FALSE;
  ferry_derive_room_keys (self->secret, NULL, auth_key);
  return TRUE;
}

gboolean
ferry_room_link_get_dht (FerryRoomLink *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), FALSE);

  return self->dht;
}

void
ferry_room_link_set_dht (FerryRoomLink *self,
                         gboolean       dht)
{
  g_return_if_fail (FERRY_IS_ROOM_LINK (self));
  g_return_if_fail (!dht || self->kind == FERRY_ROOM_KIND_SECRET);

  self->dht = dht;
}

const guint8 *
ferry_room_link_get_secret (FerryRoomLink *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (self), NULL);

  return self->kind == FERRY_ROOM_KIND_SECRET ? self->secret : NULL;
}
