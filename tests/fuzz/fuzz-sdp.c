/* fuzz-sdp.c: ferry_sdp_parse() on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Anything the parser accepts must satisfy the invariants the rest of the stack relies on, and
 * ferry_sdp_to_string() of it must parse back to the same description: that is what we send as
 * an answer, built from the remote offer's mid, BUNDLE choice, SCTP form and rejected sections.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-sdp.h"

static void
assert_same (const FerrySdp *a,
             const FerrySdp *b)
{
  g_assert_cmpuint (a->session_id, ==, b->session_id);
  g_assert_cmpuint (a->session_version, ==, b->session_version);
  g_assert_cmpstr (a->ice_ufrag, ==, b->ice_ufrag);
  g_assert_cmpstr (a->ice_pwd, ==, b->ice_pwd);
  g_assert_cmpint (a->ice_lite, ==, b->ice_lite);
  g_assert_cmpint (a->ice_trickle, ==, b->ice_trickle);
  g_assert_cmpuint (a->fingerprints->len, ==, b->fingerprints->len);
  for (guint i = 0; i < a->fingerprints->len; i++)
    {
      FerrySdpFingerprint *fa = g_ptr_array_index (a->fingerprints, i);
      FerrySdpFingerprint *fb = g_ptr_array_index (b->fingerprints, i);

      g_assert_cmpstr (fa->algorithm, ==, fb->algorithm);
      g_assert_cmpstr (fa->value, ==, fb->value);
    }
  g_assert_cmpint (a->setup, ==, b->setup);
  g_assert_cmpstr (a->mid, ==, b->mid);
  g_assert_cmpint (a->bundle, ==, b->bundle);
  g_assert_cmpint (a->legacy, ==, b->legacy);
  g_assert_cmpuint (a->sctp_port, ==, b->sctp_port);
  g_assert_cmpint (a->has_max_message_size, ==, b->has_max_message_size);
  g_assert_cmpuint (a->max_message_size, ==, b->max_message_size);
  g_assert_cmpuint (a->candidates->len, ==, b->candidates->len);
  for (guint i = 0; i < a->candidates->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a->candidates, i), ==, g_ptr_array_index (b->candidates, i));
  g_assert_cmpint (a->end_of_candidates, ==, b->end_of_candidates);
  g_assert_cmpuint (a->data_index, ==, b->data_index);
  g_assert_cmpuint (a->rejected_media->len, ==, b->rejected_media->len);
  for (guint i = 0; i < a->rejected_media->len; i++)
    {
      FerrySdpMedia *ma = g_ptr_array_index (a->rejected_media, i);
      FerrySdpMedia *mb = g_ptr_array_index (b->rejected_media, i);

      g_assert_cmpstr (ma->media, ==, mb->media);
      g_assert_cmpstr (ma->proto, ==, mb->proto);
      g_assert_cmpstr (ma->formats, ==, mb->formats);
      g_assert_cmpstr (ma->mid, ==, mb->mid);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerrySdp) sdp = NULL;
  g_autoptr(FerrySdp) copy = NULL;
  g_autofree char *text = NULL;
  g_autofree char *copy_text = NULL;

  fuzz_init ();

  /* Inputs beyond the limit are refused up front; no need to spend time on them. */
  if (size > FERRY_SDP_MAX_LENGTH + 1)
    return 0;

  /* libFuzzer may pass NULL for an empty input; the parser requires a pointer. */
  sdp = ferry_sdp_parse (data != NULL ? (const char *) data : "", size, &error);
  if (sdp == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_SDP_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);

  /* What FerryPeerConnection takes for granted after a successful parse. */
  g_assert_nonnull (sdp->ice_ufrag);
  g_assert_nonnull (sdp->ice_pwd);
  g_assert_nonnull (sdp->mid);
  g_assert_nonnull (ferry_sdp_get_fingerprint (sdp, "sha-256"));
  g_assert_cmpuint (sdp->sctp_port, !=, 0);
  g_assert_cmpuint (sdp->candidates->len, <=, FERRY_SDP_MAX_CANDIDATES);
  g_assert_cmpuint (sdp->data_index, <=, sdp->rejected_media->len);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), >, 0);
  for (guint i = 0; i < sdp->candidates->len; i++)
    g_assert_true (g_str_has_prefix (g_ptr_array_index (sdp->candidates, i), "candidate:"));

  text = ferry_sdp_to_string (sdp);
  g_assert_nonnull (text);

  /* Our own output may exceed the input limit (each rejected section gains a c= line). */
  if (strlen (text) <= FERRY_SDP_MAX_LENGTH)
    {
      g_autoptr(GError) error2 = NULL;
      g_autoptr(FerrySdp) again = ferry_sdp_parse (text, -1, &error2);
      g_autofree char *again_text = NULL;

      g_assert_no_error (error2);
      assert_same (sdp, again);
      again_text = ferry_sdp_to_string (again);
      g_assert_cmpstr (text, ==, again_text);
    }

  copy = ferry_sdp_copy (sdp);
  assert_same (sdp, copy);
  copy_text = ferry_sdp_to_string (copy);
  g_assert_cmpstr (text, ==, copy_text);

  return 0;
}
