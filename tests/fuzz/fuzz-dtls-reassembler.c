/* fuzz-dtls-reassembler.c: ferry_dtls_reassembler_feed() on arbitrary datagrams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a series of datagrams, each preceded by a one-byte length, fed to one reassembler,
 * as a hostile peer would send them during a handshake.
 */
#include "fuzz-common.h"
#include "ferry-dtls-reassembler.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FerryDtlsReassembler) reassembler = ferry_dtls_reassembler_new ();
  size_t pos = 0;

  fuzz_init ();

  while (pos < size)
    {
      size_t len = MIN (data[pos], size - pos - 1);
      g_autofree guint8 *datagram = g_memdup2 (data + pos + 1, len);
      g_autoptr(GByteArray) out = ferry_dtls_reassembler_feed (reassembler, datagram, len);

      /* Only fragments are ever held back or rebuilt, into at most 16 KiB more per datagram. */
      if (out != NULL)
        g_assert_cmpuint (out->len, <=, len + 16384);
      pos += 1 + len;
    }
  return 0;
}
