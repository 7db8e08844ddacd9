/* fuzz-dcep.c: ferry_dcep_parse() on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DCEP has exactly one encoding of each message, so anything accepted must be rebuilt byte for
 * byte by ferry_dcep_build_open() / ferry_dcep_build_ack().
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-dcep.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rebuilt = NULL;
  FerryDcepMessage message;

  fuzz_init ();

  if (!ferry_dcep_parse (data, size, &message, &error))
    {
      g_assert_nonnull (error);
      g_assert_error (error, FERRY_DCEP_ERROR, FERRY_DCEP_ERROR_MALFORMED);
      g_assert_null (message.label);
      g_assert_null (message.protocol);
      return 0;
    }
  g_assert_no_error (error);

  if (message.message_type == FERRY_DCEP_ACK)
    {
      g_assert_null (message.label);
      rebuilt = ferry_dcep_build_ack ();
    }
  else
    {
      g_assert_cmpuint (message.message_type, ==, FERRY_DCEP_OPEN);
      g_assert_nonnull (message.label);
      g_assert_nonnull (message.protocol);
      g_assert_true (g_utf8_validate (message.label, -1, NULL));
      g_assert_true (g_utf8_validate (message.protocol, -1, NULL));
      rebuilt = ferry_dcep_build_open (message.channel_type, message.priority, message.reliability,
                                       message.label, message.protocol);
    }
  g_assert_cmpmem (g_bytes_get_data (rebuilt, NULL), g_bytes_get_size (rebuilt), data, size);

  ferry_dcep_clear (&message);
  return 0;
}
