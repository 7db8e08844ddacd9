/* ferry-test-dht-lab.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "ferry-test-dht-lab.h"
#include "ferry-test-util.h"

#define READY_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 10000

struct _FerryTestDhtLab
{
  GSubprocess      *process;  /* ferry-cli dht serve */
  GDataInputStream *out;      /* its status lines, one per change of a node's state */
  guint             ready;    /* "state=ready" lines read */
  gboolean          done;     /* end of its stdout */
};

static void read_next (FerryTestDhtLab *lab);

static void
line_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      data)
{
  FerryTestDhtLab *lab = data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (stream), result,
                                                                     NULL, NULL);

  if (line == NULL)
    {
      lab->done = TRUE;
      return;
    }
  g_test_message ("dht lab: %s", line);
  lab->ready += g_str_has_prefix (line, "state=ready ");
  read_next (lab);
}

static void
read_next (FerryTestDhtLab *lab)
{
  g_data_input_stream_read_line_async (lab->out, G_PRIORITY_DEFAULT, NULL, line_cb, lab);
}

/* 198.18.I.1/32 on lo; `replace` leaves an address already there alone. */
static void
add_addresses (guint n_nodes)
{
  for (guint i = 0; i < n_nodes; i++)
    {
      g_autofree char *address = g_strdup_printf ("198.18.%u.1/32", i);
      const char *argv[] = { "ip", "address", "replace", address, "dev", "lo", NULL };
      g_autoptr(GError) error = NULL;
      g_autofree char *err = NULL;
      int status = 0;

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                    NULL, &err, &status, &error);
      g_assert_no_error (error);
      if (!g_spawn_check_wait_status (status, NULL))
        g_error ("ip address replace %s dev lo: %s", address, err);
    }
}

FerryTestDhtLab *
ferry_test_dht_lab_start (guint n_nodes)
{
  g_autoptr(GStrvBuilder) args = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  FerryTestDhtLab *lab = g_new0 (FerryTestDhtLab, 1);

  g_assert_cmpuint (n_nodes, >, 0);
  g_assert_cmpuint (n_nodes, <=, 256);
  g_assert_nonnull (g_getenv ("FERRY_CLI"));
  add_addresses (n_nodes);

  g_strv_builder_add_many (args, g_getenv ("FERRY_CLI"), "dht", "serve", "--mode", "server",
                           "--bootstrap", "198.18.0.1:6881", NULL);
  for (guint i = 0; i < n_nodes; i++)
    {
      g_autofree char *bind = g_strdup_printf ("198.18.%u.1:6881", i);

      g_strv_builder_add_many (args, "--bind", bind, NULL);
    }
  argv = g_strv_builder_end (args);
  lab->process = g_subprocess_newv ((const char * const *) argv,
                                    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  lab->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (lab->process));
  read_next (lab);
  FERRY_TEST_WAIT_UNTIL (lab->ready >= n_nodes || lab->done, READY_TIMEOUT_MS);
  g_assert_cmpuint (lab->ready, >=, n_nodes);
  return lab;
}

const char *
ferry_test_dht_lab_get_bootstrap (FerryTestDhtLab *lab)
{
  return "198.18.0.1:6881";
}

void
ferry_test_dht_lab_stop (FerryTestDhtLab *lab)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (lab->process), NULL, NULL);
  FERRY_TEST_WAIT_UNTIL (lab->done, STOP_TIMEOUT_MS);
  g_subprocess_wait (lab->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (lab->process));
  g_assert_cmpint (g_subprocess_get_exit_status (lab->process), ==, 0);
  g_object_unref (lab->out);
  g_object_unref (lab->process);
  g_free (lab);
}
