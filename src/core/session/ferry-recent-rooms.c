/* ferry-recent-rooms.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-recent-rooms.h"
#include "ferry-session-private.h"

struct _FerryRecentRooms
{
  GObject     parent_instance;

  GFile      *file;
  GListStore *links;   /* FerryRoomLink */
};

G_DEFINE_FINAL_TYPE (FerryRecentRooms, ferry_recent_rooms, G_TYPE_OBJECT)

static void
ferry_recent_rooms_finalize (GObject *object)
{
  FerryRecentRooms *self = FERRY_RECENT_ROOMS (object);

  g_object_unref (self->file);
  g_object_unref (self->links);

  G_OBJECT_CLASS (ferry_recent_rooms_parent_class)->finalize (object);
}

static void
ferry_recent_rooms_class_init (FerryRecentRoomsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_recent_rooms_finalize;
}

static void
ferry_recent_rooms_init (FerryRecentRooms *self)
{
  self->links = g_list_store_new (FERRY_TYPE_ROOM_LINK);
}

/* The position of the link to the same room as @link, or -1. */
static int
find_room (FerryRecentRooms *self,
           FerryRoomLink    *link)
{
  guint8 wanted[FERRY_INFO_HASH_LEN];
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->links));

  ferry_room_link_get_info_hash (link, wanted);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryRoomLink) other = g_list_model_get_item (G_LIST_MODEL (self->links), i);
      guint8 hash[FERRY_INFO_HASH_LEN];

      ferry_room_link_get_info_hash (other, hash);
      if (memcmp (hash, wanted, sizeof hash) == 0)
        return i;
    }
  return -1;
}

static void
load (FerryRecentRooms *self)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_load_contents (self->file, NULL, &contents, NULL, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_warning ("Could not read the recent rooms: %s", error->message);
      return;
    }
  lines = g_strsplit (contents, "\n", -1);
  ferry_memzero (contents, strlen (contents));
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(FerryRoomLink) link = NULL;

      if (*lines[i] != '\0' && g_list_model_get_n_items (G_LIST_MODEL (self->links)) < FERRY_RECENT_ROOMS_MAX &&
          (link = ferry_room_link_parse (lines[i], NULL)) != NULL && find_room (self, link) < 0)
        g_list_store_append (self->links, link);
      ferry_memzero (lines[i], strlen (lines[i]));
    }
}

static gboolean
save (FerryRecentRooms  *self,
      GError           **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->links));
  gboolean ok;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryRoomLink) link = g_list_model_get_item (G_LIST_MODEL (self->links), i);
      g_autofree char *line = ferry_room_link_to_string (link);

      g_string_append_printf (text, "%s\n", line);
      ferry_memzero (line, strlen (line));
    }
  ok = _ferry_session_save_private_file (self->file, text->str, text->len, error);
  ferry_memzero (text->str, text->len);
  return ok;
}

FerryRecentRooms *
ferry_recent_rooms_new (GFile *file)
{
  FerryRecentRooms *self = g_object_new (FERRY_TYPE_RECENT_ROOMS, NULL);

  if (file != NULL)
    self->file = g_object_ref (file);
  else
    {
      g_autofree char *path = g_build_filename (g_get_user_data_dir (), "ferry", "recent-rooms", NULL);

      self->file = g_file_new_for_path (path);
    }
  load (self);
  return self;
}

GListModel *
ferry_recent_rooms_get_links (FerryRecentRooms *self)
{
  g_return_val_if_fail (FERRY_IS_RECENT_ROOMS (self), NULL);

  return G_LIST_MODEL (self->links);
}

gboolean
ferry_recent_rooms_add (FerryRecentRooms  *self,
                        FerryRoomLink     *link,
                        GError           **error)
{
  int position;
  guint n;

  g_return_val_if_fail (FERRY_IS_RECENT_ROOMS (self), FALSE);
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (link), FALSE);

  if ((position = find_room (self, link)) >= 0)
    g_list_store_remove (self->links, position);
  g_list_store_insert (self->links, 0, link);
  if ((n = g_list_model_get_n_items (G_LIST_MODEL (self->links))) > FERRY_RECENT_ROOMS_MAX)
    g_list_store_splice (self->links, FERRY_RECENT_ROOMS_MAX, n - FERRY_RECENT_ROOMS_MAX, NULL, 0);
  return save (self, error);
}

gboolean
ferry_recent_rooms_remove (FerryRecentRooms  *self,
                           FerryRoomLink     *link,
                           GError           **error)
{
  int position;

  g_return_val_if_fail (FERRY_IS_RECENT_ROOMS (self), FALSE);
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (link), FALSE);

  if ((position = find_room (self, link)) < 0)
    return TRUE;
  g_list_store_remove (self->links, position);
  return save (self, error);
}
