/* ferry-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ferry-test-util.h"

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

gboolean
ferry_test_iterate (gint64 deadline)
{
  GMainContext *context = g_main_context_get_thread_default ();
  gint64 left = deadline - g_get_monotonic_time ();
  GSource *wake;

  if (left <= 0)
    return FALSE;

  /* A wake-up bounds the wait so that conditions changed by other threads are seen. */
  wake = g_timeout_source_new (MIN (left / 1000 + 1, 10));
  g_source_set_callback (wake, wake_cb, NULL, NULL);
  g_source_attach (wake, context);
  g_main_context_iteration (context, TRUE);
  g_source_destroy (wake);
  g_source_unref (wake);
  return TRUE;
}

void
ferry_test_run_for (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (ferry_test_iterate (deadline))
    ;
}
