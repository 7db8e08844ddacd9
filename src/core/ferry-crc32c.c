/* ferry-crc32c.c: CRC32C (Castagnoli), for SCTP packets and the DHT's node ids
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <usrsctp.h>

#include "ferry-crc32c.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>

__attribute__((target ("sse4.2"))) static uint32_t
crc32c_sse42 (const guint8 *data,
              gsize         len)
{
  guint64 crc = 0xffffffff;

  for (; len >= 8; data += 8, len -= 8)
    {
      guint64 word;

      memcpy (&word, data, 8);
      crc = _mm_crc32_u64 (crc, word);
    }
  for (; len > 0; data++, len--)
    crc = _mm_crc32_u8 (crc, *data);
  return ~(uint32_t) crc;
}
#endif

/* usrsctp_crc32c () is a table-driven loop, and Debian builds libusrsctp without optimisation:
 * it was a tenth of a sender's CPU time.  The SSE 4.2 instruction computes the same CRC. */
guint32
ferry_crc32c (const void *data,
                   gsize       len)
{
#if defined(__x86_64__) && defined(__GNUC__)
  static int have_sse42 = -1;

  if (G_UNLIKELY (have_sse42 < 0))
    have_sse42 = __builtin_cpu_supports ("sse4.2");
  if (have_sse42)
    return crc32c_sse42 (data, len);
#endif
  return usrsctp_crc32c ((void *) data, len);
}
