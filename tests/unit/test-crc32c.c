/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <usrsctp.h>

#include "ferry-crypto.h"
#include "ferry-crc32c.h"

static void
test_matches_usrsctp (void)
{
  guint8 buffer[2048];

  /* Every length up to a full SCTP packet and beyond, at odd alignments. */
  ferry_random_bytes (buffer, sizeof buffer);
  for (gsize offset = 0; offset < 8; offset += 3)
    for (gsize len = 0; len + offset <= sizeof buffer; len += len < 64 ? 1 : 97)
      g_assert_cmpuint (ferry_crc32c (buffer + offset, len), ==,
                        usrsctp_crc32c (buffer + offset, len));
}

static void
test_known_answer (void)
{
  /* RFC 3720 B.4: 32 bytes of zeros, CRC32C 0x8A9136AA, stored little-endian by SCTP. */
  guint8 zeros[32] = { 0 };

  g_assert_cmpuint (GUINT32_FROM_BE (ferry_crc32c (zeros, sizeof zeros)), ==, 0xaa36918a);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crc32c/matches-usrsctp", test_matches_usrsctp);
  g_test_add_func ("/crc32c/known-answer", test_known_answer);

  return g_test_run ();
}
