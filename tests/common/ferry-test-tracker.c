/* ferry-test-tracker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ferry-crypto.h"
#include "ferry-test-tracker.h"

struct _FerryTestTracker
{
  GSubprocess      *process;
  GDataInputStream *lines;
  GCancellable     *cancellable;
  guint             port;
  char             *url;
  GPtrArray        *events;  /* one JSON line per tracker event */
};

const char *
ferry_test_node_path (void)
{
  static char *node_path;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("FERRY_NODE");

      node_path = env != NULL && *env != '\0' ? g_strdup (env) : g_find_program_in_path ("node");
      g_once_init_leave (&once, 1);
    }
  return node_path;
}

const char *
ferry_test_js_dir (void)
{
  static char *dir;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("FERRY_JS_DIR");

      dir = env != NULL ? g_strdup (env)
                        : g_build_filename (g_getenv ("G_TEST_SRCDIR") ?: ".", "js", NULL);
      g_once_init_leave (&once, 1);
    }
  return dir;
}

gboolean
ferry_test_tracker_available (void)
{
  g_autofree char *module = NULL;
  const char *missing = NULL;

  module = g_build_filename (ferry_test_js_dir (), "node_modules", "bittorrent-tracker", "package.json", NULL);
  if (ferry_test_node_path () == NULL)
    missing = "node not found";
  else if (!g_file_test (module, G_FILE_TEST_EXISTS))
    missing = "bittorrent-tracker not installed (npm ci in tests/js)";
  if (missing == NULL)
    return TRUE;

  if (g_strcmp0 (g_getenv ("CI"), "true") == 0)
    g_test_fail_printf ("%s, and CI=true", missing);
  else
    g_test_skip (missing);
  return FALSE;
}

static void
read_line_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FerryTestTracker *tracker = user_data;
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &error);

  if (line == NULL)
    return;  /* EOF, or cancelled (@tracker may be gone) */
  g_ptr_array_add (tracker->events, line);
  g_data_input_stream_read_line_async (tracker->lines, G_PRIORITY_DEFAULT, tracker->cancellable,
                                       read_line_cb, tracker);
}

FerryTestTracker *
ferry_test_tracker_start (guint port,
                          guint interval_s)
{
  FerryTestTracker *tracker = g_new0 (FerryTestTracker, 1);
  g_autofree char *script = g_build_filename (ferry_test_js_dir (), "tracker-server.mjs", NULL);
  g_autofree char *port_arg = g_strdup_printf ("--port=%u", port);
  g_autofree char *interval_arg = g_strdup_printf ("--announce-interval=%u", interval_s);

  g_assert_nonnull (ferry_test_node_path ());

  /* A restart on the same port can race the kernel releasing it: try a few times. */
  for (guint attempt = 0; attempt < 20; attempt++)
    {
      const char *argv[] = { ferry_test_node_path (), script, port_arg, interval_arg, NULL };
      g_autoptr(GError) error = NULL;
      g_autofree char *line = NULL;

      /* stdin stays open: the server exits when it closes, so it dies with the test. */
      tracker->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                  G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      g_assert_no_error (error);
      tracker->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (tracker->process));
      line = g_data_input_stream_read_line_utf8 (tracker->lines, NULL, NULL, &error);
      if (line != NULL && sscanf (line, "{\"port\":%u}", &tracker->port) == 1)
        break;

      g_test_message ("tracker-server did not start (%s), retrying",
                      error != NULL ? error->message : "no port");
      g_subprocess_force_exit (tracker->process);
      g_subprocess_wait (tracker->process, NULL, NULL);
      g_clear_object (&tracker->lines);
      g_clear_object (&tracker->process);
      g_usleep (100000);
    }
  g_assert_nonnull (tracker->process);
  g_assert_cmpuint (tracker->port, !=, 0);

  tracker->url = g_strdup_printf ("ws://127.0.0.1:%u/announce", tracker->port);
  tracker->events = g_ptr_array_new_with_free_func (g_free);
  tracker->cancellable = g_cancellable_new ();
  g_data_input_stream_read_line_async (tracker->lines, G_PRIORITY_DEFAULT, tracker->cancellable,
                                       read_line_cb, tracker);
  return tracker;
}

guint
ferry_test_tracker_get_port (FerryTestTracker *tracker)
{
  return tracker->port;
}

const char *
ferry_test_tracker_get_url (FerryTestTracker *tracker)
{
  return tracker->url;
}

gboolean
ferry_test_tracker_saw (FerryTestTracker *tracker,
                        const char       *event,
                        const guint8      peer_id[20],
                        int               offers)
{
  g_autofree char *peer_hex = ferry_hex_encode (peer_id, 20);

  for (guint i = 0; i < tracker->events->len; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object;

      if (!json_parser_load_from_data (parser, g_ptr_array_index (tracker->events, i), -1, NULL))
        continue;
      object = json_node_get_object (json_parser_get_root (parser));
      const char *seen_event = json_object_get_string_member_with_default (object, "event", "");
      const char *seen_peer = json_object_get_string_member_with_default (object, "peer_id", "");

      if (g_strcmp0 (seen_event, event) == 0 && g_strcmp0 (seen_peer, peer_hex) == 0 &&
          (offers < 0 || json_object_get_int_member_with_default (object, "offers", -1) == offers))
        return TRUE;
    }
  return FALSE;
}

void
ferry_test_tracker_stop (FerryTestTracker *tracker)
{
  if (tracker == NULL)
    return;

  g_cancellable_cancel (tracker->cancellable);
  g_subprocess_force_exit (tracker->process);
  g_subprocess_wait (tracker->process, NULL, NULL);
  g_object_unref (tracker->cancellable);
  g_object_unref (tracker->lines);
  g_object_unref (tracker->process);
  g_ptr_array_unref (tracker->events);
  g_free (tracker->url);
  g_free (tracker);
}
