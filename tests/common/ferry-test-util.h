/* ferry-test-util.h: waiting on the main loop, for the tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every helper iterates the calling thread's default GMainContext, so tests that run the stack on
 * a context of their own push it as thread default first.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One main-context iteration that blocks at most until @deadline (monotonic µs) and at most
 * 10 ms; FALSE once the deadline has passed. */
gboolean ferry_test_iterate (gint64 deadline);

/* Iterates for @ms milliseconds. */
void     ferry_test_run_for (guint ms);

/* Iterates until @expr is true; gives up after @ms milliseconds with a message naming @expr. */
#define FERRY_TEST_WAIT_UNTIL(expr, ms) \
  G_STMT_START { \
    gint64 ferry_test_deadline_ = g_get_monotonic_time () + (gint64) (ms) * 1000; \
    while (!(expr)) \
      if (!ferry_test_iterate (ferry_test_deadline_)) \
        g_error ("%s:%d: gave up after %d ms waiting for %s", __FILE__, __LINE__, \
                 (int) (ms), #expr); \
  } G_STMT_END

G_END_DECLS
