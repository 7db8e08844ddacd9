/* The allocator keeps the free top of its heap through the churn of a transfer.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <malloc.h>
#include <glib.h>

#include "ferry-allocator.h"

/* A burst of 16 KiB buffers (records, packet copies) comes and goes: 8 MiB of them are freed,
 * and the heap keeps them for the next burst instead of giving them back to the kernel (glibc
 * alone trims everything above 128 KiB of free top). */
static void
test_keeps_free_top (void)
{
  enum { N = 512, SIZE = 16 * 1024 };
  void **blocks = g_new (void *, N);
  struct mallinfo2 before, after;

  ferry_allocator_init ();
  for (guint i = 0; i < N; i++)
    blocks[i] = g_malloc (SIZE);
  before = mallinfo2 ();
  for (guint i = N; i > 0; i--)
    g_free (blocks[i - 1]);
  after = mallinfo2 ();
  g_test_message ("heap %zu bytes with the burst, %zu after it", before.arena, after.arena);
  g_assert_cmpuint (after.arena, >=, before.arena);
  g_assert_cmpuint (after.fordblks, >=, (gsize) N * SIZE);
  g_free (blocks);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/allocator/keeps-free-top", test_keeps_free_top);
  return g_test_run ();
}
