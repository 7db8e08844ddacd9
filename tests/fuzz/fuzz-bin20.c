/* fuzz-bin20.c: ferry_bin20_from_json() on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A string literal can spell the same 20 bytes in many ways; whatever is accepted must be
 * re-encoded (as JSON.stringify would) into a literal that decodes to the same bytes, and that
 * literal must be the canonical one: encoding it again changes nothing.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-bin20.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_again = NULL;
  guint8 bytes[FERRY_BIN20_LEN];
  guint8 again[FERRY_BIN20_LEN];

  fuzz_init ();

  if (!ferry_bin20_from_json ((const char *) data, size, bytes, &error))
    {
      g_assert_nonnull (error);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);

  json = ferry_bin20_to_json (bytes);
  g_assert_true (g_utf8_validate (json, -1, NULL));
  g_assert_true (ferry_bin20_from_json (json, strlen (json), again, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (again, sizeof again, bytes, sizeof bytes);

  json_again = ferry_bin20_to_json (again);
  g_assert_cmpstr (json_again, ==, json);

  return 0;
}
