/* fuzz-nearby-announcement.c: ferry_nearby_announcement_parse () on arbitrary packets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Any bytes a machine on the network may send.  They are refused with a clear error, or the
 * announcement is sane (a short clean name, an open code) and written out again it reads back
 * the same.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-nearby-announcement.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FerryNearbyAnnouncement) announcement = NULL;
  g_autoptr(FerryNearbyAnnouncement) again = NULL;
  g_autoptr(GBytes) written = NULL;
  g_autoptr(GBytes) rewritten = NULL;
  g_autoptr(GError) error = NULL;

  fuzz_init ();

  /* Time 0: no code has expired. */
  announcement = ferry_nearby_announcement_parse (data, size, 0, &error);
  if (announcement == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_NEARBY_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  if (announcement->type == FERRY_NEARBY_HERE)
    {
      g_assert_nonnull (announcement->code);
      g_assert_false (announcement->code->reply);
      g_assert_true (g_utf8_validate (announcement->name, -1, NULL));
      g_assert_cmpuint (strlen (announcement->name), >, 0);
      g_assert_cmpuint (strlen (announcement->name), <=, FERRY_NEARBY_MAX_NAME + strlen ("…"));
    }
  written = ferry_nearby_announcement_to_bytes (announcement);
  again = ferry_nearby_announcement_parse (g_bytes_get_data (written, NULL), g_bytes_get_size (written), 0, &error);
  g_assert_no_error (error);
  rewritten = ferry_nearby_announcement_to_bytes (again);
  g_assert_true (g_bytes_equal (written, rewritten));
  return 0;
}
