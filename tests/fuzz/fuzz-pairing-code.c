/* fuzz-pairing-code.c: ferry_pairing_code_parse () on arbitrary text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input up to its first NUL is a code, a link or anything else.  It fails with a clear
 * error, or the code it gives is sane (at most 8 candidates with a port, a known kind) and
 * written out again it reads back the same.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-pairing-code.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(FerryPairingCode) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *written = NULL;
  g_autofree char *rewritten = NULL;

  fuzz_init ();

  /* Time 0: nothing has expired, so that every well-formed input gets through. */
  code = ferry_pairing_code_parse (text, 0, &error);
  if (code == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_PAIRING_CODE_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (code->candidates->len, <=, FERRY_PAIRING_MAX_CANDIDATES);
  for (guint i = 0; i < code->candidates->len; i++)
    {
      g_autofree char *sdp = ferry_pairing_code_get_candidate_sdp (code, i);
      g_autoptr(FerryPairingCode) check = ferry_pairing_code_new (FALSE, 0);

      g_assert_cmpuint (g_array_index (code->candidates, FerryPairingCandidate, i).port, >, 0);
      g_assert_true (ferry_pairing_code_add_candidate (check, sdp, NULL));
    }
  written = ferry_pairing_code_to_string (code);
  again = ferry_pairing_code_parse (written, 0, &error);
  g_assert_no_error (error);
  rewritten = ferry_pairing_code_to_string (again);
  g_assert_cmpstr (rewritten, ==, written);
  return 0;
}
