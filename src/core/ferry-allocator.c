/* ferry-allocator.c: the C library's allocator set up for bulk transfers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A transfer allocates and frees buffers of 2 to 16 KiB at a high rate (usrsctp's mbuf clusters
 * and packet copies, GnuTLS's records).  glibc gives the top of its heap back to the kernel as
 * soon as 128 KiB of it are free, and takes it back with the next allocations: a 1 GiB transfer
 * on loopback made about 1,200 brk () calls on the sender, and every shrink costs TLB flushes and
 * every growth page faults with zeroed pages.  Keeping up to 32 MiB of free heap (never more than
 * the heap's own peak, so peak memory does not grow) and growing it 4 MiB at a time ends that
 * (figures in docs/ARCHITECTURE.md).
 */

#include "config.h"

#include <stdlib.h>   /* defines __GLIBC__ */
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "ferry-allocator.h"

#define TRIM_THRESHOLD (32 * 1024 * 1024)
#define TOP_PAD (4 * 1024 * 1024)

void
ferry_allocator_init (void)
{
#ifdef __GLIBC__
  mallopt (M_TRIM_THRESHOLD, TRIM_THRESHOLD);
  mallopt (M_TOP_PAD, TOP_PAD);
#endif
}
