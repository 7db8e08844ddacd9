/* ferry-test-pair.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ferry-test-pair.h"
#include "ferry-test-util.h"

FerryRtcConfig *
ferry_test_pair_config (void)
{
  FerryRtcConfig *config = ferry_rtc_config_new ();

  config->gather_timeout_ms = 3000;
  config->ice_timeout_ms = 10000;
  config->liveness_timeout_ms = 3000;
  return config;
}

typedef struct {
  char     *sdp;
  GError   *error;
  gboolean  done;
} SdpResult;

static void
offer_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  SdpResult *r = data;

  r->sdp = ferry_peer_connection_create_offer_finish (FERRY_PEER_CONNECTION (object), result,
                                                      &r->error);
  r->done = TRUE;
}

static void
answer_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  SdpResult *r = data;

  r->sdp = ferry_peer_connection_create_answer_finish (FERRY_PEER_CONNECTION (object), result,
                                                       &r->error);
  r->done = TRUE;
}

char *
ferry_test_pair_make_offer (FerryPeerConnection *pc)
{
  SdpResult r = { 0 };

  ferry_peer_connection_create_offer (pc, NULL, offer_cb, &r);
  FERRY_TEST_WAIT_UNTIL (r.done, FERRY_TEST_PAIR_TIMEOUT_MS);
  g_assert_no_error (r.error);
  return r.sdp;
}

char *
ferry_test_pair_make_answer (FerryPeerConnection *pc)
{
  SdpResult r = { 0 };

  ferry_peer_connection_create_answer (pc, NULL, answer_cb, &r);
  FERRY_TEST_WAIT_UNTIL (r.done, FERRY_TEST_PAIR_TIMEOUT_MS);
  g_assert_no_error (r.error);
  return r.sdp;
}

static void
collect_channel_cb (FerryPeerConnection *pc,
                    FerryDataChannel    *channel,
                    GPtrArray           *into)
{
  g_ptr_array_add (into, g_object_ref (channel));
}

static char *
filtered (char               *sdp,
          FerryTestSdpFilter  filter,
          gpointer            data)
{
  char *result;

  if (filter == NULL)
    return sdp;
  result = filter (sdp, data);
  g_free (sdp);
  return result;
}

void
ferry_test_pair_init (FerryTestPair      *pair,
                      FerryRtcConfig     *config,
                      const char * const *a_labels,
                      FerryTestSdpFilter  offer_filter,
                      FerryTestSdpFilter  answer_filter,
                      gpointer            filter_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *offer = NULL;
  g_autofree char *answer = NULL;

  pair->a = ferry_peer_connection_new (config, &error);
  g_assert_no_error (error);
  pair->b = ferry_peer_connection_new (config, &error);
  g_assert_no_error (error);
  pair->a_created = g_ptr_array_new_with_free_func (g_object_unref);
  pair->a_channels = g_ptr_array_new_with_free_func (g_object_unref);
  pair->b_channels = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (pair->a, "data-channel", G_CALLBACK (collect_channel_cb), pair->a_channels);
  g_signal_connect (pair->b, "data-channel", G_CALLBACK (collect_channel_cb), pair->b_channels);

  for (guint i = 0; a_labels != NULL && a_labels[i] != NULL; i++)
    {
      FerryDataChannel *channel =
        ferry_peer_connection_create_data_channel (pair->a, a_labels[i], NULL, &error);
      g_assert_no_error (error);
      g_ptr_array_add (pair->a_created, channel);
    }

  offer = filtered (ferry_test_pair_make_offer (pair->a), offer_filter, filter_data);
  ferry_peer_connection_set_remote_description (pair->b, FERRY_SDP_TYPE_OFFER, offer, &error);
  g_assert_no_error (error);
  answer = filtered (ferry_test_pair_make_answer (pair->b), answer_filter, filter_data);
  ferry_peer_connection_set_remote_description (pair->a, FERRY_SDP_TYPE_ANSWER, answer, &error);
  g_assert_no_error (error);
}

static gboolean
settled (FerryPeerConnection *pc)
{
  return ferry_peer_connection_get_state (pc) >= FERRY_PEER_CONNECTION_CONNECTED;
}

static const char *
error_message (FerryPeerConnection *pc)
{
  const GError *error = ferry_peer_connection_get_error (pc);

  return error != NULL ? error->message : "-";
}

void
ferry_test_pair_wait_connected (FerryTestPair *pair)
{
  FERRY_TEST_WAIT_UNTIL (settled (pair->a) && settled (pair->b), FERRY_TEST_PAIR_TIMEOUT_MS);
  if (ferry_peer_connection_get_state (pair->a) != FERRY_PEER_CONNECTION_CONNECTED ||
      ferry_peer_connection_get_state (pair->b) != FERRY_PEER_CONNECTION_CONNECTED)
    g_error ("connection failed: %s / %s", error_message (pair->a), error_message (pair->b));
}

void
ferry_test_pair_clear (FerryTestPair *pair)
{
  ferry_peer_connection_close (pair->a);
  ferry_peer_connection_close (pair->b);
  g_clear_object (&pair->a);
  g_clear_object (&pair->b);
  g_clear_pointer (&pair->a_created, g_ptr_array_unref);
  g_clear_pointer (&pair->a_channels, g_ptr_array_unref);
  g_clear_pointer (&pair->b_channels, g_ptr_array_unref);
  /* Let the ICE agents close. */
  ferry_test_run_for (50);
}
