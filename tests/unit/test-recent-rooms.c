/* FerryRecentRooms: most recent first, one entry per room, at most FERRY_RECENT_ROOMS_MAX, kept
 * in a file only the user can read, bad lines dropped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>

#include "ferry-recent-rooms.h"

static char *
links_of (GListModel *model)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(FerryRoomLink) link = g_list_model_get_item (model, i);

      g_string_append_printf (text, "%s%s", i ? "," : "", ferry_room_link_get_display_name (link));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static FerryRoomLink *
plain (const char *name)
{
  g_autoptr(GError) error = NULL;
  FerryRoomLink *link = ferry_room_link_new_plain (name, &error);

  g_assert_no_error (error);
  return link;
}

static void
test_store (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ferry-recent-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", "recent-rooms", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryRecentRooms) recent = ferry_recent_rooms_new (file);
  g_autoptr(FerryRecentRooms) again = NULL;
  g_autoptr(FerryRoomLink) secret = NULL;
  g_autoptr(FerryRoomLink) secret_copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret_text = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *contents = NULL;
  GStatBuf st;

  /* No file yet: empty. */
  g_assert_cmpuint (g_list_model_get_n_items (ferry_recent_rooms_get_links (recent)), ==, 0);

  secret = ferry_room_link_new_secret ("Holiday", &error);
  g_assert_no_error (error);
  secret_text = ferry_room_link_to_string (secret);
  for (const char *const *name = (const char *const[]) { "alpha", "beta", NULL }; *name; name++)
    {
      g_autoptr(FerryRoomLink) link = plain (*name);

      g_assert_true (ferry_recent_rooms_add (recent, link, &error));
      g_assert_no_error (error);
    }
  g_assert_true (ferry_recent_rooms_add (recent, secret, &error));
  /* The same room again, from a link of its own: moved to the front, not repeated. */
  {
    g_autoptr(FerryRoomLink) alpha = plain ("alpha");

    g_assert_true (ferry_recent_rooms_add (recent, alpha, &error));
  }
  listed = links_of (ferry_recent_rooms_get_links (recent));
  g_assert_cmpstr (listed, ==, "alpha,Holiday,beta");

  /* Only the user may read the file: it holds the secret. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, secret_text));

  /* Read again, with a line that is no link and an empty one. */
  {
    g_autofree char *spoiled = g_strconcat ("not a link\n\n", contents, NULL);

    g_assert_true (g_file_set_contents (path, spoiled, -1, NULL));
  }
  again = ferry_recent_rooms_new (file);
  g_clear_pointer (&listed, g_free);
  listed = links_of (ferry_recent_rooms_get_links (again));
  g_assert_cmpstr (listed, ==, "alpha,Holiday,beta");
  secret_copy = g_list_model_get_item (ferry_recent_rooms_get_links (again), 1);
  {
    g_autofree char *copy_text = ferry_room_link_to_string (secret_copy);

    g_assert_cmpstr (copy_text, ==, secret_text);
  }

  /* Forgetting one. */
  g_assert_true (ferry_recent_rooms_remove (again, secret, &error));
  g_clear_pointer (&listed, g_free);
  listed = links_of (ferry_recent_rooms_get_links (again));
  g_assert_cmpstr (listed, ==, "alpha,beta");

  /* At most FERRY_RECENT_ROOMS_MAX: the oldest go. */
  for (guint i = 0; i < FERRY_RECENT_ROOMS_MAX + 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("room-%u", i);
      g_autoptr(FerryRoomLink) link = plain (name);

      g_assert_true (ferry_recent_rooms_add (again, link, &error));
    }
  g_assert_cmpuint (g_list_model_get_n_items (ferry_recent_rooms_get_links (again)), ==, FERRY_RECENT_ROOMS_MAX);
  g_clear_pointer (&listed, g_free);
  {
    g_autoptr(FerryRoomLink) first = g_list_model_get_item (ferry_recent_rooms_get_links (again), 0);

    g_assert_cmpstr (ferry_room_link_get_display_name (first), ==, "room-24");
  }

  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", dir);

    g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  }
}

/* A folder that cannot be made is an error for the caller, not a crash. */
static void
test_unwritable (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/proc/ferry-no/recent-rooms");
  g_autoptr(FerryRecentRooms) recent = ferry_recent_rooms_new (file);
  g_autoptr(FerryRoomLink) link = plain ("gamma");
  g_autoptr(GError) error = NULL;

  g_assert_false (ferry_recent_rooms_add (recent, link, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  /* The list still says what the user did in this run. */
  g_assert_cmpuint (g_list_model_get_n_items (ferry_recent_rooms_get_links (recent)), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recent-rooms/store", test_store);
  g_test_add_func ("/recent-rooms/unwritable", test_unwritable);
  return g_test_run ();
}
