/* ferry-friends.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-friends.h"
#include "ferry-session-private.h"

#define FINGERPRINT_HEX_LEN 64

struct _FerryFriend
{
  GObject    parent_instance;

  char      *name;
  char      *fingerprint;
  GDateTime *added;
};

G_DEFINE_FINAL_TYPE (FerryFriend, ferry_friend, G_TYPE_OBJECT)

static void
ferry_friend_finalize (GObject *object)
{
  FerryFriend *self = FERRY_FRIEND (object);

  g_free (self->name);
  g_free (self->fingerprint);
  g_date_time_unref (self->added);

  G_OBJECT_CLASS (ferry_friend_parent_class)->finalize (object);
}

static void
ferry_friend_class_init (FerryFriendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_friend_finalize;
}

static void
ferry_friend_init (FerryFriend *self)
{
}

static FerryFriend *
friend_new (const char *name,
            const char *fingerprint,
            gint64      added)
{
  FerryFriend *self = g_object_new (FERRY_TYPE_FRIEND, NULL);

  self->name = g_strdup (name);
  self->fingerprint = g_ascii_strdown (fingerprint, -1);
  self->added = g_date_time_new_from_unix_utc (added);
  return self;
}

const char *
ferry_friend_get_name (FerryFriend *self)
{
  g_return_val_if_fail (FERRY_IS_FRIEND (self), NULL);

  return self->name;
}

const char *
ferry_friend_get_fingerprint (FerryFriend *self)
{
  g_return_val_if_fail (FERRY_IS_FRIEND (self), NULL);

  return self->fingerprint;
}

GDateTime *
ferry_friend_get_added (FerryFriend *self)
{
  g_return_val_if_fail (FERRY_IS_FRIEND (self), NULL);

  return self->added;
}

/* The list */

struct _FerryFriends
{
  GObject     parent_instance;

  GFile      *file;
  GListStore *friends;   /* FerryFriend */
};

G_DEFINE_FINAL_TYPE (FerryFriends, ferry_friends, G_TYPE_OBJECT)

static void
ferry_friends_finalize (GObject *object)
{
  FerryFriends *self = FERRY_FRIENDS (object);

  g_object_unref (self->file);
  g_object_unref (self->friends);

  G_OBJECT_CLASS (ferry_friends_parent_class)->finalize (object);
}

static void
ferry_friends_class_init (FerryFriendsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_friends_finalize;
}

static void
ferry_friends_init (FerryFriends *self)
{
  self->friends = g_list_store_new (FERRY_TYPE_FRIEND);
}

static gboolean
is_fingerprint (const char *text)
{
  if (text == NULL || strlen (text) != FINGERPRINT_HEX_LEN)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c))
      return FALSE;
  return TRUE;
}

static FerryFriend *
find (FerryFriends *self,
      const char   *fingerprint,
      guint        *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->friends));

  for (guint i = 0; fingerprint != NULL && i < n; i++)
    {
      g_autoptr(FerryFriend) friend = g_list_model_get_item (G_LIST_MODEL (self->friends), i);

      if (g_ascii_strcasecmp (friend->fingerprint, fingerprint) == 0)
        {
          if (position != NULL)
            *position = i;
          return friend;
        }
    }
  return NULL;
}

static void
load (FerryFriends *self)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_file_get_path (self->file);
  g_auto(GStrv) groups = NULL;

  if (!g_key_file_load_from_file (keys, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("Could not read the list of friends: %s", error->message);
      return;
    }
  groups = g_key_file_get_groups (keys, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *name = g_key_file_get_string (keys, groups[i], "name", NULL);
      gint64 added = g_key_file_get_int64 (keys, groups[i], "added", NULL);
      g_autoptr(FerryFriend) friend = NULL;

      if (!is_fingerprint (groups[i]) || name == NULL || find (self, groups[i], NULL) != NULL)
        continue;
      friend = friend_new (name, groups[i], added);
      g_list_store_append (self->friends, friend);
    }
}

static gboolean
save (FerryFriends  *self,
      GError       **error)
{
  g_autoptr(GKeyFile) keys = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len = 0;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->friends));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryFriend) friend = g_list_model_get_item (G_LIST_MODEL (self->friends), i);

      g_key_file_set_string (keys, friend->fingerprint, "name", friend->name);
      g_key_file_set_int64 (keys, friend->fingerprint, "added", g_date_time_to_unix (friend->added));
    }
  data = g_key_file_to_data (keys, &len, NULL);
  return _ferry_session_save_private_file (self->file, data, len, error);
}

FerryFriends *
ferry_friends_new (GFile *file)
{
  FerryFriends *self = g_object_new (FERRY_TYPE_FRIENDS, NULL);

  if (file != NULL)
    self->file = g_object_ref (file);
  else
    {
      g_autofree char *path = g_build_filename (g_get_user_data_dir (), "ferry", "friends", NULL);

      self->file = g_file_new_for_path (path);
    }
  load (self);
  return self;
}

GListModel *
ferry_friends_get_list (FerryFriends *self)
{
  g_return_val_if_fail (FERRY_IS_FRIENDS (self), NULL);

  return G_LIST_MODEL (self->friends);
}

gboolean
ferry_friends_add (FerryFriends  *self,
                   const char    *name,
                   const char    *fingerprint,
                   GError       **error)
{
  g_autoptr(FerryFriend) friend = NULL;
  guint position;

  g_return_val_if_fail (FERRY_IS_FRIENDS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (is_fingerprint (fingerprint), FALSE);

  friend = friend_new (name, fingerprint, g_get_real_time () / G_USEC_PER_SEC);
  if (find (self, fingerprint, &position) != NULL)
    g_list_store_splice (self->friends, position, 1, (gpointer *) &friend, 1);
  else
    g_list_store_append (self->friends, friend);
  return save (self, error);
}

gboolean
ferry_friends_remove (FerryFriends  *self,
                      const char    *fingerprint,
                      GError       **error)
{
  guint position;

  g_return_val_if_fail (FERRY_IS_FRIENDS (self), FALSE);

  if (find (self, fingerprint, &position) == NULL)
    return TRUE;
  g_list_store_remove (self->friends, position);
  return save (self, error);
}

static char *
fold_name (const char *name)
{
  g_autofree char *normal = g_utf8_normalize (name, -1, G_NORMALIZE_ALL);
  g_autofree char *stripped = g_strstrip (g_strdup (normal ? normal : ""));

  return g_utf8_casefold (stripped, -1);
}

FerryFriendTrust
ferry_friends_classify (FerryFriends *self,
                        const char   *name,
                        const char   *fingerprint)
{
  g_autofree char *folded = NULL;
  guint n;

  g_return_val_if_fail (FERRY_IS_FRIENDS (self), FERRY_FRIEND_TRUST_UNKNOWN);

  if (find (self, fingerprint, NULL) != NULL)
    return FERRY_FRIEND_TRUST_FRIEND;
  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    return FERRY_FRIEND_TRUST_UNKNOWN;

  folded = fold_name (name);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->friends));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryFriend) friend = g_list_model_get_item (G_LIST_MODEL (self->friends), i);
      g_autofree char *friend_name = fold_name (friend->name);

      if (*folded != '\0' && g_str_equal (folded, friend_name))
        return FERRY_FRIEND_TRUST_IMPOSTOR;
    }
  return FERRY_FRIEND_TRUST_UNKNOWN;
}
