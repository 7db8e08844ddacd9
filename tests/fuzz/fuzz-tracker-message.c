/* fuzz-tracker-message.c: ferry_tracker_message_parse() on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Whatever a tracker sends, the parser either refuses it with an error or returns fields that
 * hold what the client relies on (valid UTF-8, bounded SDPs, counts in range).  When a message
 * has what a builder needs, the built message must parse back to the same fields: that is what
 * we put on the wire from ids and SDPs that came from a tracker.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-tracker-message.h"

static void
check_count (gint64 value)
{
  g_assert_true (value == -1 || (value >= 0 && value <= G_MAXINT32));
}

static void
check_text (const char *text)
{
  if (text != NULL)
    g_assert_true (g_utf8_validate (text, -1, NULL));
}

static void
check_sdp (const char *sdp)
{
  if (sdp != NULL)
    {
      check_text (sdp);
      g_assert_cmpuint (strlen (sdp), <=, FERRY_TRACKER_MESSAGE_MAX_SDP);
    }
}

static void
check_invariants (const FerryTrackerMessage *m)
{
  g_assert_cmpint (m->action, >=, FERRY_TRACKER_ACTION_NONE);
  g_assert_cmpint (m->action, <=, FERRY_TRACKER_ACTION_OTHER);
  if (m->action == FERRY_TRACKER_ACTION_SCRAPE)
    g_assert_false (m->has_info_hash);
  check_sdp (m->offer_sdp);
  check_sdp (m->answer_sdp);
  if (m->offers != NULL)
    for (guint i = 0; i < m->offers->len; i++)
      {
        FerryTrackerMessageOffer *offer = g_ptr_array_index (m->offers, i);

        g_assert_nonnull (offer);
        g_assert_nonnull (offer->sdp);
        check_sdp (offer->sdp);
      }
  check_count (m->interval);
  check_count (m->min_interval);
  check_count (m->complete);
  check_count (m->incomplete);
  check_count (m->numwant);
  check_text (m->event);
  check_text (m->failure_reason);
  check_text (m->warning_message);
  check_text (m->tracker_id);
  check_text (m->trackerid);
}

/* Parses what a builder made; NULL when it came out over the size limit (the input may have
 * been more compact, e.g. without numwant). */
static FerryTrackerMessage *
reparse (const char *text)
{
  g_autoptr(GError) error = NULL;
  FerryTrackerMessage *m;

  if (strlen (text) > FERRY_TRACKER_MESSAGE_MAX_INCOMING)
    return NULL;
  m = ferry_tracker_message_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  check_invariants (m);
  g_assert_cmpint (m->action, ==, FERRY_TRACKER_ACTION_ANNOUNCE);
  return m;
}

static void
check_ids (const FerryTrackerMessage *a,
           const FerryTrackerMessage *b)
{
  g_assert_true (b->has_info_hash && b->has_peer_id);
  g_assert_cmpmem (a->info_hash, 20, b->info_hash, 20);
  g_assert_cmpmem (a->peer_id, 20, b->peer_id, 20);
  g_assert_cmpstr (a->trackerid, ==, b->trackerid);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryTrackerMessage) m = NULL;

  fuzz_init ();

  /* Refused up front by size; nothing to learn beyond that. */
  if (size > FERRY_TRACKER_MESSAGE_MAX_INCOMING + 1)
    return 0;

  m = ferry_tracker_message_parse (data != NULL ? (const char *) data : "", size, &error);
  if (m == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_TRACKER_MESSAGE_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  check_invariants (m);

  if (!m->has_info_hash || !m->has_peer_id)
    return 0;

  /* The ids (and a tracker id) survive a "stopped". */
  {
    g_autofree char *text = ferry_tracker_message_build_stopped (m->info_hash, m->peer_id,
                                                                 m->trackerid);
    g_autoptr(FerryTrackerMessage) b = reparse (text);

    if (b != NULL)
      {
        check_ids (m, b);
        g_assert_cmpstr (b->event, ==, "stopped");
        g_assert_cmpint (b->numwant, ==, 0);
        g_assert_null (b->offers);
      }
  }

  /* An announce with the same offers. */
  if (m->offers != NULL)
    {
      g_autofree FerryTrackerMessageOffer *offers = g_new0 (FerryTrackerMessageOffer,
                                                            MAX (m->offers->len, 1));
      g_autofree char *text = NULL;
      g_autoptr(FerryTrackerMessage) b = NULL;

      for (guint i = 0; i < m->offers->len; i++)
        offers[i] = *(FerryTrackerMessageOffer *) g_ptr_array_index (m->offers, i);
      text = ferry_tracker_message_build_announce (m->info_hash, m->peer_id, m->trackerid,
                                                   offers, m->offers->len);
      if ((b = reparse (text)) != NULL)
        {
          check_ids (m, b);
          g_assert_null (b->event);
          g_assert_cmpint (b->numwant, ==, m->offers->len);
          g_assert_nonnull (b->offers);
          g_assert_cmpuint (b->offers->len, ==, m->offers->len);
          for (guint i = 0; i < m->offers->len; i++)
            {
              FerryTrackerMessageOffer *o = g_ptr_array_index (b->offers, i);

              g_assert_cmpmem (o->offer_id, 20, offers[i].offer_id, 20);
              g_assert_cmpstr (o->sdp, ==, offers[i].sdp);
            }
          g_assert_null (b->answer_sdp);
          g_assert_false (b->has_to_peer_id);
        }
    }

  /* An answer to a relayed offer, as the client sends it. */
  if ((m->offer_sdp != NULL || m->answer_sdp != NULL) && m->has_offer_id)
    {
      const char *sdp = m->answer_sdp != NULL ? m->answer_sdp : m->offer_sdp;
      const guint8 *to = m->has_to_peer_id ? m->to_peer_id : m->peer_id;
      g_autofree char *text = ferry_tracker_message_build_answer (m->info_hash, m->peer_id, to,
                                                                  m->offer_id, sdp, m->trackerid);
      g_autoptr(FerryTrackerMessage) b = reparse (text);

      if (b != NULL)
        {
          check_ids (m, b);
          g_assert_true (b->has_to_peer_id && b->has_offer_id);
          g_assert_cmpmem (b->to_peer_id, 20, to, 20);
          g_assert_cmpmem (b->offer_id, 20, m->offer_id, 20);
          g_assert_cmpstr (b->answer_sdp, ==, sdp);
          g_assert_null (b->offer_sdp);
          g_assert_null (b->offers);
          g_assert_cmpint (b->numwant, ==, -1);
        }
    }

  return 0;
}
