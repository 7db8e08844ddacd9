/* FerryFriends: trust on first use.  A remembered fingerprint is a friend; a friend's name with
 * another fingerprint is an impostor; the list survives a restart in a file only the user can
 * read, and what is not a fingerprint in it is dropped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>

#include "ferry-friends.h"

#define ANA "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define BO  "0000000000000000000000000000000000000000000000000000000000000b0b"
#define EVE "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static void
test_friends (void)
{
  g_autofree char *dir = g_dir_make_tmp ("ferry-friends-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "ferry", "friends", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(FerryFriends) friends = ferry_friends_new (file);
  g_autoptr(FerryFriends) again = NULL;
  g_autoptr(FerryFriend) first = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *command = NULL;
  GStatBuf st;

  g_assert_cmpuint (g_list_model_get_n_items (ferry_friends_get_list (friends)), ==, 0);
  g_assert_cmpint (ferry_friends_classify (friends, "Ana", ANA), ==, FERRY_FRIEND_TRUST_UNKNOWN);

  g_assert_true (ferry_friends_add (friends, "Ana", ANA, &error));
  g_assert_no_error (error);
  g_assert_true (ferry_friends_add (friends, "Bo", BO, &error));
  g_assert_cmpint (ferry_friends_classify (friends, "Ana", ANA), ==, FERRY_FRIEND_TRUST_FRIEND);
  /* The fingerprint counts, whatever the name (friends rename themselves), in either case. */
  g_assert_cmpint (ferry_friends_classify (friends, "Ana on her laptop", ANA), ==, FERRY_FRIEND_TRUST_FRIEND);
  g_assert_cmpint (ferry_friends_classify (friends, NULL, "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90"),
                   ==, FERRY_FRIEND_TRUST_FRIEND);
  /* A friend's name with another fingerprint, or none: an impostor, however it is written. */
  g_assert_cmpint (ferry_friends_classify (friends, "Ana", EVE), ==, FERRY_FRIEND_TRUST_IMPOSTOR);
  g_assert_cmpint (ferry_friends_classify (friends, " aNA ", EVE), ==, FERRY_FRIEND_TRUST_IMPOSTOR);
  g_assert_cmpint (ferry_friends_classify (friends, "Ana", NULL), ==, FERRY_FRIEND_TRUST_IMPOSTOR);
  g_assert_cmpint (ferry_friends_classify (friends, "Eve", EVE), ==, FERRY_FRIEND_TRUST_UNKNOWN);
  g_assert_cmpint (ferry_friends_classify (friends, "", EVE), ==, FERRY_FRIEND_TRUST_UNKNOWN);
  g_assert_cmpint (ferry_friends_classify (friends, "\xff\xfe", EVE), ==, FERRY_FRIEND_TRUST_UNKNOWN);

  /* Marking the same fingerprint again renames, it does not add. */
  g_assert_true (ferry_friends_add (friends, "Ana Lima", ANA, &error));
  g_assert_cmpuint (g_list_model_get_n_items (ferry_friends_get_list (friends)), ==, 2);

  /* Only the user can read who they trust. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Read again, with a group that is not a fingerprint. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  {
    g_autofree char *spoiled = g_strconcat ("[not-a-fingerprint]\nname=Mallory\n\n", contents, NULL);

    g_assert_true (g_file_set_contents (path, spoiled, -1, NULL));
  }
  again = ferry_friends_new (file);
  g_assert_cmpuint (g_list_model_get_n_items (ferry_friends_get_list (again)), ==, 2);
  first = g_list_model_get_item (ferry_friends_get_list (again), 0);
  g_assert_cmpstr (ferry_friend_get_name (first), ==, "Ana Lima");
  g_assert_cmpstr (ferry_friend_get_fingerprint (first), ==, ANA);
  g_assert_cmpint (g_date_time_to_unix (ferry_friend_get_added (first)), <=, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_cmpint (ferry_friends_classify (again, "Mallory", EVE), ==, FERRY_FRIEND_TRUST_UNKNOWN);

  /* Forgotten: a stranger again. */
  g_assert_true (ferry_friends_remove (again, ANA, &error));
  g_assert_cmpint (ferry_friends_classify (again, "Ana Lima", ANA), ==, FERRY_FRIEND_TRUST_UNKNOWN);
  g_assert_true (ferry_friends_remove (again, EVE, &error));
  g_assert_cmpuint (g_list_model_get_n_items (ferry_friends_get_list (again)), ==, 1);

  command = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/friends/trust", test_friends);
  return g_test_run ();
}
