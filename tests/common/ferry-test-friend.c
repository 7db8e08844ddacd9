/* ferry-test-friend.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ferry-test-friend.h"
#include "ferry-test-tracker.h"
#include "ferry-test-util.h"

static void read_next (FerryTestReader *reader);

static void
line_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      data)
{
  FerryTestReader *reader = data;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (stream), result, NULL,
                                                          NULL);

  if (line == NULL)
    {
      reader->done = TRUE;
      return;
    }
  g_test_message ("friend: %s", line);
  g_ptr_array_add (reader->lines, line);
  read_next (reader);
}

static void
read_next (FerryTestReader *reader)
{
  g_data_input_stream_read_line_async (reader->stream, G_PRIORITY_DEFAULT, NULL, line_cb, reader);
}

static void
reader_start (FerryTestReader *reader,
              GInputStream    *stream)
{
  reader->stream = g_data_input_stream_new (stream);
  reader->lines = g_ptr_array_new_with_free_func (g_free);
  read_next (reader);
}

const char *
ferry_test_reader_find (FerryTestReader *reader,
                        const char      *prefix)
{
  for (guint i = 0; i < reader->lines->len; i++)
    if (g_str_has_prefix (reader->lines->pdata[i], prefix))
      return reader->lines->pdata[i];
  return NULL;
}

FerryTestFriend *
ferry_test_friend_run (const char * const *args,
                       const char         *tracker_url,
                       const char         *identity_path)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  FerryTestFriend *friend = g_new0 (FerryTestFriend, 1);

  g_strv_builder_add (builder, g_getenv ("FERRY_CLI"));
  g_strv_builder_addv (builder, (const char **) args);
  if (tracker_url != NULL)
    g_strv_builder_add_many (builder, "--tracker", tracker_url, NULL);
  g_strv_builder_add_many (builder, "--name", "Friend", "--identity", identity_path, NULL);
  argv = g_strv_builder_end (builder);
  g_subprocess_launcher_setenv (launcher, "FERRY_STUN_SERVERS", "", TRUE);
  if (tracker_url == NULL)
    g_subprocess_launcher_setenv (launcher, "FERRY_TRACKERS", "", TRUE);
  friend->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  g_assert_no_error (error);
  reader_start (&friend->out, g_subprocess_get_stdout_pipe (friend->process));
  reader_start (&friend->err, g_subprocess_get_stderr_pipe (friend->process));
  return friend;
}

FerryTestFriend *
ferry_test_webdrop_start (const char *code,
                          const char *tracker_url,
                          const char *download_dir)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *script = g_build_filename (ferry_test_js_dir (), "webdrop-peer.mjs", NULL);
  g_autofree char *tracker = g_strconcat ("--tracker=", tracker_url, NULL);
  g_autofree char *room = g_strconcat ("--room=", code, NULL);
  g_autofree char *downloads = g_strconcat ("--download-dir=", download_dir, NULL);
  g_autoptr(GError) error = NULL;
  FerryTestFriend *friend = g_new0 (FerryTestFriend, 1);

  friend->process = g_subprocess_launcher_spawn (launcher, &error, ferry_test_node_path (), script,
                                                 tracker, room, downloads, "--name=Wendy Chrome120",
                                                 "--control", NULL);
  g_assert_no_error (error);
  reader_start (&friend->out, g_subprocess_get_stdout_pipe (friend->process));
  reader_start (&friend->err, g_subprocess_get_stderr_pipe (friend->process));
  return friend;
}

FerryTestFriend *
ferry_test_friend_start (FerryRoomLink *link,
                         const char    *tracker_url,
                         const char    *identity_path)
{
  g_autofree char *text = ferry_room_link_to_string (link);

  return ferry_test_friend_run ((const char * const[]) { "chat", text, NULL }, tracker_url,
                                identity_path);
}

void
ferry_test_friend_say (FerryTestFriend *friend,
                       const char      *text)
{
  g_autofree char *line = g_strconcat (text, "\n", NULL);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_subprocess_get_stdin_pipe (friend->process), line, strlen (line),
                             NULL, NULL, &error);
  g_assert_no_error (error);
}

char *
ferry_test_event_value (const char *line,
                        const char *key)
{
  g_autofree char *start = g_strconcat (" ", key, "=\"", NULL);
  const char *value = strstr (line, start);
  const char *end;

  g_assert_nonnull (value);
  value += strlen (start);
  end = strchr (value, '"');
  g_assert_nonnull (end);
  return g_strndup (value, end - value);
}

static void
friend_free (FerryTestFriend *friend)
{
  g_clear_object (&friend->out.stream);
  g_clear_object (&friend->err.stream);
  g_ptr_array_unref (friend->out.lines);
  g_ptr_array_unref (friend->err.lines);
  g_object_unref (friend->process);
  g_free (friend);
}

void
ferry_test_friend_wait (FerryTestFriend *friend,
                        int              status,
                        guint            timeout_ms)
{
  FERRY_TEST_WAIT_UNTIL (friend->out.done && friend->err.done, timeout_ms);
  g_subprocess_wait (friend->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (friend->process));
  g_assert_cmpint (g_subprocess_get_exit_status (friend->process), ==, status);
  friend_free (friend);
}

void
ferry_test_friend_kill (FerryTestFriend *friend,
                        guint            timeout_ms)
{
  g_subprocess_force_exit (friend->process);
  FERRY_TEST_WAIT_UNTIL (friend->out.done && friend->err.done, timeout_ms);
  g_subprocess_wait (friend->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_signaled (friend->process));
  friend_free (friend);
}

void
ferry_test_friend_stop (FerryTestFriend *friend,
                        guint            timeout_ms)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (friend->process), NULL, NULL);
  ferry_test_friend_wait (friend, 0, timeout_ms);
}
