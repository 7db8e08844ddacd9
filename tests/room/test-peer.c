/* FerryPeer's rule for duplicate connections, without trackers: two peers joined by two real
 * connections at once (both offered, as when they find each other on a tracker at the same time,
 * or one offered twice, as through two trackers) must keep the same one on both sides, close the
 * other, and go on chatting.  Run in a network namespace (tests/netns-run.sh).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>

#include "ferry-crypto.h"
#include "ferry-peer-private.h"
#include "ferry-test-pair.h"
#include "ferry-test-util.h"

#define TIMEOUT_MS 20000

/* Tracker peer ids, in hex; A's is the smaller. */
#define ID_A "1111111111111111111111111111111111111111"
#define ID_B "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
/* Channel labels, 40 hex digits as P2PT makes them. */
#define LABEL_LOW "0000000000000000000000000000000000000000"
#define LABEL_HIGH "ffffffffffffffffffffffffffffffffffffffff"

static char *tmpdir;

/* One end: us, and the FerryPeer standing for the other end. */
typedef struct {
  const char     *id;
  const char     *name;
  FerryIdentity  *identity;
  FerryRtcConfig *config;
  FerryPeer      *peer;
  GPtrArray      *messages;   /* char* */
  GPtrArray      *errors;     /* GError* */
  guint           closed;
} Side;

static void
message_cb (FerryPeer  *peer,
            const char *text,
            Side       *side)
{
  g_ptr_array_add (side->messages, g_strdup (text));
}

static void
error_cb (FerryPeer    *peer,
          const GError *error,
          Side         *side)
{
  g_test_message ("%s: error from the peer: %s", side->name, error->message);
  g_ptr_array_add (side->errors, g_error_copy (error));
}

static void
closed_cb (FerryPeer *peer,
           Side      *side)
{
  side->closed++;
}

static void
side_init (Side         *side,
           const char   *id,
           const char   *other_id,
           const char   *name,
           const guint8 *auth_key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, id, "identity.pem", NULL);

  side->id = id;
  side->name = name;
  side->identity = ferry_identity_load_or_create (path, &error);
  g_assert_no_error (error);
  /* The identity's certificate on every connection, as FerryRoom does: the hello's MAC is over
   * it. */
  side->config = ferry_test_pair_config ();
  g_set_object (&side->config->certificate, ferry_identity_get_certificate (side->identity));
  side->peer = _ferry_peer_new (other_id, id, side->identity, auth_key, name);
  side->messages = g_ptr_array_new_with_free_func (g_free);
  side->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_signal_connect (side->peer, "message", G_CALLBACK (message_cb), side);
  g_signal_connect (side->peer, "error", G_CALLBACK (error_cb), side);
  g_signal_connect (side->peer, "closed", G_CALLBACK (closed_cb), side);
}

static void
side_clear (Side *side)
{
  g_signal_handlers_disconnect_by_data (side->peer, side);
  _ferry_peer_close (side->peer);
  g_clear_object (&side->peer);
  g_clear_object (&side->identity);
  g_clear_pointer (&side->config, ferry_rtc_config_unref);
  g_clear_pointer (&side->messages, g_ptr_array_unref);
  g_clear_pointer (&side->errors, g_ptr_array_unref);
}

static gboolean
has_message (Side       *side,
             const char *text)
{
  for (guint i = 0; i < side->messages->len; i++)
    if (g_str_equal (g_ptr_array_index (side->messages, i), text))
      return TRUE;
  return FALSE;
}

/* One connection between the two sides, made in the steps a tracker exchange takes so that
 * several can be in flight at once. */
typedef struct {
  Side                *offering;
  Side                *answering;
  const char          *label;
  FerryPeerConnection *offerer;
  FerryPeerConnection *answerer;
  FerryDataChannel    *channel;
  char                *offer;
  char                *answer;
} Link;

static void
link_offer (Link       *link,
            Side       *offering,
            Side       *answering,
            const char *label)
{
  g_autoptr(GError) error = NULL;

  link->offering = offering;
  link->answering = answering;
  link->label = label;
  link->offerer = ferry_peer_connection_new (offering->config, &error);
  g_assert_no_error (error);
  link->channel = ferry_peer_connection_create_data_channel (link->offerer, label, NULL, &error);
  g_assert_no_error (error);
  link->offer = ferry_test_pair_make_offer (link->offerer);
}

/* As FerryRoom does with an offer from the tracker: the connection goes to the peer before the
 * answer is made. */
static void
link_answer (Link *link)
{
  g_autoptr(GError) error = NULL;

  link->answerer = ferry_peer_connection_new (link->answering->config, &error);
  g_assert_no_error (error);
  ferry_peer_connection_set_remote_description (link->answerer, FERRY_SDP_TYPE_OFFER, link->offer, &error);
  g_assert_no_error (error);
  _ferry_peer_add_connection (link->answering->peer, link->answerer, NULL, FALSE);
  link->answer = ferry_test_pair_make_answer (link->answerer);
}

/* The answer comes back: from here on the connection sets itself up. */
static void
link_finish (Link *link)
{
  g_autoptr(GError) error = NULL;

  ferry_peer_connection_set_remote_description (link->offerer, FERRY_SDP_TYPE_ANSWER, link->answer, &error);
  g_assert_no_error (error);
  _ferry_peer_add_connection (link->offering->peer, link->offerer, link->channel, TRUE);
}

static void
link_clear (Link *link)
{
  ferry_peer_connection_close (link->offerer);
  ferry_peer_connection_close (link->answerer);
  g_clear_object (&link->offerer);
  g_clear_object (&link->answerer);
  g_clear_object (&link->channel);
  g_clear_pointer (&link->offer, g_free);
  g_clear_pointer (&link->answer, g_free);
}

static gboolean
link_open (Link *link)
{
  return ferry_peer_connection_get_state (link->offerer) == FERRY_PEER_CONNECTION_CONNECTED &&
         ferry_peer_connection_get_state (link->answerer) == FERRY_PEER_CONNECTION_CONNECTED;
}

static gboolean
link_ended (Link *link)
{
  return ferry_peer_connection_get_state (link->offerer) >= FERRY_PEER_CONNECTION_FAILED &&
         ferry_peer_connection_get_state (link->answerer) >= FERRY_PEER_CONNECTION_FAILED;
}

static gboolean
settled (Side *a,
         Side *b,
         Link *kept,
         Link *closed)
{
  return link_ended (closed) && link_open (kept) &&
         ferry_peer_get_n_connections (a->peer) == 1 && ferry_peer_get_n_connections (b->peer) == 1 &&
         ferry_peer_get_connected (a->peer) && ferry_peer_get_connected (b->peer) &&
         ferry_peer_get_kind (a->peer) == FERRY_PEER_KIND_FERRY &&
         ferry_peer_get_kind (b->peer) == FERRY_PEER_KIND_FERRY;
}

static void
assert_no_peer_errors (Side *side)
{
  /* Closing a duplicate is not a failure of the peer: nothing about authentication or protocol. */
  for (guint i = 0; i < side->errors->len; i++)
    {
      const GError *error = g_ptr_array_index (side->errors, i);

      if (error->domain == FERRY_PEER_ERROR)
        g_error ("%s: unexpected peer error: %s", side->name, error->message);
    }
}

static void
check_chat (Side       *from,
            Side       *to,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_peer_send_chat (from->peer, text, &error));
  g_assert_no_error (error);
  FERRY_TEST_WAIT_UNTIL (has_message (to, text), TIMEOUT_MS);
}

/* Both links come up at once; @kept is the one the rule picks. */
static void
check_outcome (Side *a,
               Side *b,
               Link *kept,
               Link *closed)
{
  FERRY_TEST_WAIT_UNTIL (settled (a, b, kept, closed), TIMEOUT_MS);

  /* Nothing changes its mind later. */
  ferry_test_run_for (500);
  g_assert_true (settled (a, b, kept, closed));
  g_assert_cmpuint (a->closed, ==, 0);
  g_assert_cmpuint (b->closed, ==, 0);

  /* Each knows the other by the name in its hello. */
  g_assert_cmpstr (ferry_peer_get_display_name (a->peer), ==, b->name);
  g_assert_cmpstr (ferry_peer_get_display_name (b->peer), ==, a->name);

  /* Both on loopback without STUN or TURN: the pair that is left joins two host candidates. */
  for (guint i = 0; i < 2; i++)
    {
      FerryIceCandidateType local, remote;

      g_assert_true (ferry_peer_get_selected_candidate_types ((i ? b : a)->peer, &local, &remote));
      g_assert_cmpint (local, ==, FERRY_ICE_CANDIDATE_TYPE_HOST);
      g_assert_cmpint (remote, ==, FERRY_ICE_CANDIDATE_TYPE_HOST);
    }

  /* Chat flows both ways on the connection that is left, and only there. */
  check_chat (a, b, "Hello from A");
  check_chat (b, a, "Hello from B, with ünïcödé and \"quotes\"\n");
  check_chat (a, b, "unit\x1fseparator");
  {
    g_autoptr(GError) error = NULL;

    /* Bytes that are not text are refused before anything is sent. */
    g_assert_false (ferry_peer_send_chat (a->peer, "caf\xe9", &error));
    g_assert_error (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_PROTOCOL);
    ferry_test_run_for (100);
  }
  g_assert_cmpuint (a->messages->len, ==, 1);
  g_assert_cmpuint (b->messages->len, ==, 2);
  g_assert_true (link_open (kept));
  g_assert_cmpuint (ferry_peer_get_n_connections (a->peer), ==, 1);
  g_assert_cmpuint (ferry_peer_get_n_connections (b->peer), ==, 1);

  assert_no_peer_errors (a);
  assert_no_peer_errors (b);
}

/* Both offered at once: the connection offered by the smaller peer id stays, whatever the labels
 * say.  A keeps the one it offered, B the one it answered. */
static void
run_both_offered (const guint8 *auth_key)
{
  Side a = { 0 }, b = { 0 };
  Link from_a = { 0 }, from_b = { 0 };

  side_init (&a, ID_A, ID_B, "Ana", auth_key);
  side_init (&b, ID_B, ID_A, "Bo", auth_key);
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (ferry_peer_send_chat (a.peer, "too early", &error));
    g_assert_error (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_NOT_CONNECTED);
  }

  /* The label alone would pick B's offer. */
  link_offer (&from_a, &a, &b, LABEL_HIGH);
  link_offer (&from_b, &b, &a, LABEL_LOW);
  link_answer (&from_a);
  link_answer (&from_b);
  link_finish (&from_a);
  link_finish (&from_b);

  check_outcome (&a, &b, &from_a, &from_b);
  if (auth_key != NULL)
    {
      g_assert_true (ferry_peer_get_verified (a.peer));
      g_assert_true (ferry_peer_get_verified (b.peer));
    }
  else
    {
      g_assert_false (ferry_peer_get_verified (a.peer));
      g_assert_false (ferry_peer_get_verified (b.peer));
    }

  link_clear (&from_a);
  link_clear (&from_b);
  side_clear (&a);
  side_clear (&b);
  ferry_test_run_for (50);
}

static void
test_both_offered (void)
{
  run_both_offered (NULL);
}

static void
test_both_offered_secret (void)
{
  guint8 key[FERRY_AUTH_KEY_LEN];

  memset (key, 0x5A, sizeof key);
  run_both_offered (key);
}

/* The larger peer id offered twice (through two trackers): the smaller label stays. */
static void
test_same_offerer (void)
{
  Side a = { 0 }, b = { 0 };
  Link first = { 0 }, second = { 0 };

  side_init (&a, ID_A, ID_B, "Ana", NULL);
  side_init (&b, ID_B, ID_A, "Bo", NULL);

  link_offer (&first, &b, &a, LABEL_HIGH);
  link_offer (&second, &b, &a, LABEL_LOW);
  link_answer (&first);
  link_answer (&second);
  link_finish (&first);
  link_finish (&second);

  check_outcome (&a, &b, &second, &first);

  link_clear (&first);
  link_clear (&second);
  side_clear (&a);
  side_clear (&b);
  ferry_test_run_for (50);
}

/* A second connection that comes up after the first one is in use is a duplicate too. */
static void
test_late_duplicate (void)
{
  Side a = { 0 }, b = { 0 };
  Link first = { 0 }, late = { 0 };

  side_init (&a, ID_A, ID_B, "Ana", NULL);
  side_init (&b, ID_B, ID_A, "Bo", NULL);

  link_offer (&first, &b, &a, LABEL_LOW);
  link_answer (&first);
  link_finish (&first);
  FERRY_TEST_WAIT_UNTIL (link_open (&first) && ferry_peer_get_kind (a.peer) == FERRY_PEER_KIND_FERRY &&
                         ferry_peer_get_kind (b.peer) == FERRY_PEER_KIND_FERRY, TIMEOUT_MS);

  /* The smaller id offers later: its connection wins, and the one in use goes. */
  link_offer (&late, &a, &b, LABEL_HIGH);
  link_answer (&late);
  link_finish (&late);

  check_outcome (&a, &b, &late, &first);

  link_clear (&first);
  link_clear (&late);
  side_clear (&a);
  side_clear (&b);
  ferry_test_run_for (50);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("ferry-peer-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/peer/duplicate/both-offered", test_both_offered);
  g_test_add_func ("/peer/duplicate/both-offered-secret", test_both_offered_secret);
  g_test_add_func ("/peer/duplicate/same-offerer", test_same_offerer);
  g_test_add_func ("/peer/duplicate/late", test_late_duplicate);

  status = g_test_run ();

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *dir = g_build_filename (tmpdir, i == 0 ? ID_A : ID_B, NULL);
      g_autofree char *file = g_build_filename (dir, "identity.pem", NULL);

      g_unlink (file);
      g_rmdir (dir);
    }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
