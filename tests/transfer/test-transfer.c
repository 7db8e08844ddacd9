/* Transfers between two FerryTransferManagers joined by a real connection (libnice, DTLS, SCTP) in
 * a network namespace: decline, a subset, cancel and pause from each side, a source that changed,
 * a restart of the receiver that resumes from the blocks it proved, and a crafted sender made of
 * Ferry's own peer that offers hostile names, lies about sizes and sends wrong checksums.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "ferry-crypto.h"
#include "ferry-file-sender.h"
#include "ferry-peer-private.h"
#include "ferry-test-pair.h"
#include "ferry-test-util.h"
#include "ferry-transfer-manager.h"

#define TIMEOUT_MS 30000
#define ID_A "1111111111111111111111111111111111111111"
#define ID_B "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static char *tmpdir;

typedef struct {
  const char           *id;
  const char           *name;
  char                 *dir;         /* this side's folder: identity, state, downloads */
  FerryIdentity        *identity;
  FerryRtcConfig       *config;
  FerryPeer            *peer;        /* the other side */
  FerryTransferManager *manager;     /* NULL for the crafted sender */
  GPtrArray            *added;       /* FerryTransfer from ::transfer-added */
  GPtrArray            *refused;     /* GError from ::offer-refused */
  GPtrArray            *messages;    /* FerryPeerMessage types received, for the crafted side */
  GPtrArray            *channels;
} Side;

static void
added_cb (FerryTransferManager *manager, FerryTransfer *transfer, Side *side)
{
  g_ptr_array_add (side->added, g_object_ref (transfer));
}

static void
refused_cb (FerryTransferManager *manager, FerryPeer *peer, const GError *error, Side *side)
{
  g_ptr_array_add (side->refused, g_error_copy (error));
}

static void
raw_message_cb (FerryPeer *peer, const FerryPeerMessage *message, Side *side)
{
  g_ptr_array_add (side->messages, ferry_peer_message_to_json (message));
}

static char *
side_path (Side *side, const char *name)
{
  return g_build_filename (side->dir, name, NULL);
}

static void
side_init (Side *side, const char *id, const char *name, const char *case_dir, gboolean crafted)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *identity = NULL;

  side->id = id;
  side->name = name;
  side->dir = g_build_filename (case_dir, name, NULL);
  g_mkdir_with_parents (side->dir, 0700);
  identity = side_path (side, "identity.pem");
  side->identity = ferry_identity_load_or_create (identity, &error);
  g_assert_no_error (error);
  side->config = ferry_test_pair_config ();
  g_set_object (&side->config->certificate, ferry_identity_get_certificate (side->identity));
  side->added = g_ptr_array_new_with_free_func (g_object_unref);
  side->refused = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  side->messages = g_ptr_array_new_with_free_func (g_free);
  side->channels = g_ptr_array_new_with_free_func (g_object_unref);
  if (!crafted)
    {
      g_autofree char *state = side_path (side, "state");
      g_autoptr(GFile) state_dir = g_file_new_for_path (state);

      side->manager = ferry_transfer_manager_new (state_dir);
      g_signal_connect (side->manager, "transfer-added", G_CALLBACK (added_cb), side);
      g_signal_connect (side->manager, "offer-refused", G_CALLBACK (refused_cb), side);
    }
}

static void
side_drop_peer (Side *side)
{
  if (side->peer == NULL)
    return;
  g_signal_handlers_disconnect_by_data (side->peer, side);
  _ferry_peer_close (side->peer);
  g_clear_object (&side->peer);
}

static void
side_clear (Side *side)
{
  side_drop_peer (side);
  g_clear_object (&side->manager);
  g_clear_object (&side->identity);
  g_clear_pointer (&side->config, ferry_rtc_config_unref);
  g_clear_pointer (&side->added, g_ptr_array_unref);
  g_clear_pointer (&side->refused, g_ptr_array_unref);
  g_clear_pointer (&side->messages, g_ptr_array_unref);
  g_clear_pointer (&side->channels, g_ptr_array_unref);
  g_clear_pointer (&side->dir, g_free);
}

static void
channel_cb (FerryPeer *peer, FerryDataChannel *channel, Side *side)
{
  g_ptr_array_add (side->channels, g_object_ref (channel));
}

/* A plain connection (no room key), as FerryRoom makes them: A offers, B answers. */
static void
connect_sides (Side *a, Side *b, FerryPeerConnection **pcs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autofree char *offer = NULL;
  g_autofree char *answer = NULL;

  a->peer = _ferry_peer_new (b->id, a->id, a->identity, NULL, a->name);
  b->peer = _ferry_peer_new (a->id, b->id, b->identity, NULL, b->name);
  for (Side *s = a; s != NULL; s = s == a ? b : NULL)
    {
      if (s->manager != NULL)
        ferry_transfer_manager_add_peer (s->manager, s->peer);
      else
        {
          g_signal_connect (s->peer, "peer-message", G_CALLBACK (raw_message_cb), s);
          g_signal_connect (s->peer, "data-channel", G_CALLBACK (channel_cb), s);
        }
    }

  pcs[0] = ferry_peer_connection_new (a->config, &error);
  g_assert_no_error (error);
  channel = ferry_peer_connection_create_data_channel (pcs[0], "0123456789abcdef0123456789abcdef01234567", NULL, &error);
  g_assert_no_error (error);
  offer = ferry_test_pair_make_offer (pcs[0]);
  pcs[1] = ferry_peer_connection_new (b->config, &error);
  g_assert_no_error (error);
  ferry_peer_connection_set_remote_description (pcs[1], FERRY_SDP_TYPE_OFFER, offer, &error);
  g_assert_no_error (error);
  _ferry_peer_add_connection (b->peer, pcs[1], NULL, FALSE);
  answer = ferry_test_pair_make_answer (pcs[1]);
  ferry_peer_connection_set_remote_description (pcs[0], FERRY_SDP_TYPE_ANSWER, answer, &error);
  g_assert_no_error (error);
  _ferry_peer_add_connection (a->peer, pcs[0], channel, TRUE);

  FERRY_TEST_WAIT_UNTIL (ferry_peer_has_capability (a->peer, "files") &&
                         ferry_peer_has_capability (b->peer, "files"), TIMEOUT_MS);
}

static void
pcs_clear (FerryPeerConnection **pcs)
{
  for (guint i = 0; i < 2; i++)
    {
      if (pcs[i] != NULL)
        ferry_peer_connection_close (pcs[i]);
      g_clear_object (&pcs[i]);
    }
}

/* Files */

static char *
write_file (Side *side, const char *relative, gsize size)
{
  g_autofree char *path = g_build_filename (side->dir, "src", relative, NULL);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *data = g_malloc (size ? size : 1);

  ferry_random_bytes (data, size);
  g_mkdir_with_parents (folder, 0700);
  g_file_set_contents (path, (char *) data, size, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static char *
file_sha256 (const char *path)
{
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, NULL);

  if (mapped == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (guint8 *) g_mapped_file_get_contents (mapped),
                                      g_mapped_file_get_length (mapped));
}

static FerryTransfer *
send_paths (Side *from, const char * const *paths)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FerryTransferSources) sources = NULL;
  g_autoptr(GError) error = NULL;
  FerryTransfer *transfer;

  for (guint i = 0; paths[i] != NULL; i++)
    g_ptr_array_add (files, g_file_new_for_path (paths[i]));
  sources = ferry_transfer_sources_scan ((GFile * const *) files->pdata, files->len, NULL, &error);
  g_assert_no_error (error);
  transfer = ferry_transfer_manager_send (from->manager, from->peer, sources, &error);
  g_assert_no_error (error);
  return transfer;
}

static FerryTransfer *
wait_offer (Side *to)
{
  FERRY_TEST_WAIT_UNTIL (to->added->len > 0, TIMEOUT_MS);
  return g_ptr_array_index (to->added, to->added->len - 1);
}

static void
accept_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (!ferry_transfer_accept_finish (FERRY_TRANSFER (source), result, error) && *error == NULL)
    g_assert_not_reached ();
  if (*error == NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NONE, "accepted");
}

/* Accepts and returns the download folder. */
static char *
accept (Side *to, FerryTransfer *transfer, const guint *files, guint n_files)
{
  g_autofree char *downloads = side_path (to, "downloads");
  g_autoptr(GFile) folder = g_file_new_for_path (downloads);
  g_autoptr(GError) error = NULL;

  ferry_transfer_accept_async (transfer, folder, files, n_files, NULL, accept_done_cb, &error);
  FERRY_TEST_WAIT_UNTIL (error != NULL, TIMEOUT_MS);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NONE);
  return g_steal_pointer (&downloads);
}

static gboolean
in_state (FerryTransfer *transfer, FerryTransferState state)
{
  return ferry_transfer_get_state (transfer) == state;
}

static guint
count_entries (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* Cases */

typedef struct {
  Side                 a, b;
  FerryPeerConnection *pcs[2];
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer unused)
{
  g_autofree char *case_dir = g_strdup_printf ("%s/%s", tmpdir, g_test_get_path () + 1);

  /* Each case in folders of its own. */
  /* The hostile cases' sender is a bare FerryPeer that the test drives by hand. */
  side_init (&f->a, ID_A, "a", case_dir, strstr (g_test_get_path (), "hostile") != NULL);
  side_init (&f->b, ID_B, "b", case_dir, FALSE);
  connect_sides (&f->a, &f->b, f->pcs);
}

static void
fixture_teardown (Fixture *f, gconstpointer unused)
{
  side_clear (&f->a);
  side_clear (&f->b);
  pcs_clear (f->pcs);
  ferry_test_run_for (100);
}

static void
test_decline (Fixture *f, gconstpointer unused)
{
  g_autofree char *path = write_file (&f->a, "x.bin", 1000);
  g_autoptr(FerryTransfer) sent = send_paths (&f->a, (const char *[]) { path, NULL });
  FerryTransfer *offer = wait_offer (&f->b);
  g_autoptr(GError) error = NULL;
  g_autofree char *downloads = side_path (&f->b, "downloads");

  g_assert_cmpuint (ferry_transfer_get_state (offer), ==, FERRY_TRANSFER_STATE_OFFERED);
  g_assert_cmpuint (ferry_transfer_get_total (offer), ==, 1000);
  g_assert_cmpstr (ferry_transfer_get_file_path (offer, 0), ==, "x.bin");
  g_assert_true (ferry_transfer_decline (offer, "Not now, thanks", &error));
  g_assert_no_error (error);
  FERRY_TEST_WAIT_UNTIL (in_state (sent, FERRY_TRANSFER_STATE_DECLINED), TIMEOUT_MS);
  g_assert_cmpstr (ferry_transfer_get_reason (sent), ==, "Not now, thanks");
  /* Nothing written before accepting, nor after declining. */
  g_assert_false (g_file_test (downloads, G_FILE_TEST_EXISTS));
  g_assert_false (ferry_transfer_pause (offer, &error));
  g_assert_error (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STATE);
}

static void
test_subset (Fixture *f, gconstpointer unused)
{
  g_autofree char *p0 = write_file (&f->a, "set/one.bin", 3 * 1024 * 1024 + 7);
  g_autofree char *p1 = write_file (&f->a, "set/two.bin", 1000);
  g_autofree char *p2 = write_file (&f->a, "set/deep/three.bin", 0);
  g_autofree char *empty = g_build_filename (f->a.dir, "src", "set", "empty", NULL);
  g_autofree char *set = g_build_filename (f->a.dir, "src", "set", NULL);
  g_autoptr(FerryTransfer) sent = NULL;
  FerryTransfer *offer;
  g_autofree char *downloads = NULL;
  guint n = 0, chosen[2];

  g_mkdir_with_parents (empty, 0700);
  sent = send_paths (&f->a, (const char *[]) { set, NULL });
  offer = wait_offer (&f->b);
  g_assert_cmpuint (ferry_transfer_get_n_files (offer), ==, 3);
  /* The two that are not "two.bin", whatever the order of the scan. */
  for (guint i = 0; i < 3; i++)
    if (!g_str_has_suffix (ferry_transfer_get_file_path (offer, i), "two.bin"))
      chosen[n++] = i;
  downloads = accept (&f->b, offer, chosen, 2);
  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_DONE) &&
                         in_state (sent, FERRY_TRANSFER_STATE_DONE), TIMEOUT_MS);

  g_assert_cmpuint (ferry_transfer_get_total (sent), ==, 3 * 1024 * 1024 + 7);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *got = g_build_filename (downloads, ferry_transfer_get_file_path (offer, i), NULL);
      g_autofree char *want = g_build_filename (f->a.dir, "src", ferry_transfer_get_file_path (offer, i), NULL);
      g_autofree char *got_sha = file_sha256 (got);
      g_autofree char *want_sha = file_sha256 (want);

      if (i == chosen[0] || i == chosen[1])
        {
          g_assert_cmpstr (got_sha, ==, want_sha);
          g_assert_cmpstr (ferry_transfer_get_file_sha256 (offer, i), ==, want_sha);
          g_assert_cmpstr (ferry_transfer_get_file_sha256 (sent, i), ==, want_sha);
        }
      else
        {
          g_assert_null (got_sha);
          g_assert_cmpuint (ferry_transfer_get_file_state (sent, i), ==, FERRY_TRANSFER_FILE_SKIPPED);
        }
    }
  /* The empty folder came too. */
  {
    g_autofree char *got_empty = g_build_filename (downloads, "set", "empty", NULL);

    g_assert_true (g_file_test (got_empty, G_FILE_TEST_IS_DIR));
  }
}

/* A big transfer under way, for cancel and pause. */
static FerryTransfer *
start_big (Fixture *f, FerryTransfer **offer, char **downloads, char **source)
{
  FerryTransfer *sent;

  *source = write_file (&f->a, "big.bin", 96 * 1024 * 1024);
  sent = send_paths (&f->a, (const char *[]) { *source, NULL });
  *offer = wait_offer (&f->b);
  *downloads = accept (&f->b, *offer, NULL, 0);
  FERRY_TEST_WAIT_UNTIL (ferry_transfer_get_bytes_done (*offer) > 4 * 1024 * 1024, TIMEOUT_MS);
  return sent;
}

static void
test_cancel (Fixture *f, gconstpointer by_receiver)
{
  FerryTransfer *offer;
  g_autofree char *downloads = NULL, *source = NULL;
  g_autoptr(FerryTransfer) sent = start_big (f, &offer, &downloads, &source);
  FerryTransfer *canceller = by_receiver ? offer : sent, *other = by_receiver ? sent : offer;
  g_autofree char *part = g_build_filename (downloads, "big.bin.part", NULL);
  g_autofree char *final = g_build_filename (downloads, "big.bin", NULL);

  ferry_transfer_cancel (canceller, "Changed my mind");
  g_assert_cmpuint (ferry_transfer_get_state (canceller), ==, FERRY_TRANSFER_STATE_CANCELLED);
  FERRY_TEST_WAIT_UNTIL (in_state (other, FERRY_TRANSFER_STATE_CANCELLED), TIMEOUT_MS);
  g_assert_cmpstr (ferry_transfer_get_reason (other), ==, "Changed my mind");
  /* The receiver removes what it had. */
  FERRY_TEST_WAIT_UNTIL (!g_file_test (part, G_FILE_TEST_EXISTS), TIMEOUT_MS);
  g_assert_false (g_file_test (final, G_FILE_TEST_EXISTS));
  /* Nothing is kept for a later run. */
  ferry_test_run_for (200);
  {
    g_autofree char *state_a = side_path (&f->a, "state");
    g_autofree char *state_b = side_path (&f->b, "state");

    g_assert_cmpuint (count_entries (state_a), ==, 0);
    g_assert_cmpuint (count_entries (state_b), ==, 0);
  }
}

static void
test_pause (Fixture *f, gconstpointer by_receiver)
{
  FerryTransfer *offer;
  g_autofree char *downloads = NULL, *source = NULL;
  g_autoptr(FerryTransfer) sent = start_big (f, &offer, &downloads, &source);
  FerryTransfer *pauser = by_receiver ? offer : sent, *other = by_receiver ? sent : offer;
  g_autoptr(GError) error = NULL;
  g_autofree char *final = g_build_filename (downloads, "big.bin", NULL);
  g_autofree char *want = file_sha256 (source);
  g_autofree char *got = NULL;
  guint64 before;

  g_assert_true (ferry_transfer_pause (pauser, &error));
  g_assert_no_error (error);
  g_assert_true (ferry_transfer_get_paused_locally (pauser));
  FERRY_TEST_WAIT_UNTIL (ferry_transfer_get_paused_remotely (other), TIMEOUT_MS);
  g_assert_cmpuint (ferry_transfer_get_state (pauser), ==, FERRY_TRANSFER_STATE_PAUSED);
  g_assert_cmpuint (ferry_transfer_get_state (other), ==, FERRY_TRANSFER_STATE_PAUSED);
  /* What was under way drains; then nothing moves. */
  ferry_test_run_for (500);
  before = ferry_transfer_get_bytes_done (offer);
  ferry_test_run_for (700);
  g_assert_cmpuint (ferry_transfer_get_bytes_done (offer), ==, before);
  g_assert_cmpuint (before, <, 96 * 1024 * 1024);
  /* The other side cannot lift a pause it did not make. */
  g_assert_true (ferry_transfer_resume (other, &error));
  ferry_test_run_for (300);
  g_assert_cmpuint (ferry_transfer_get_bytes_done (offer), ==, before);

  g_assert_true (ferry_transfer_resume (pauser, &error));
  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_DONE) &&
                         in_state (sent, FERRY_TRANSFER_STATE_DONE), TIMEOUT_MS);
  got = file_sha256 (final);
  g_assert_cmpstr (got, ==, want);
}

/* The transfer's channel goes while the connection stays (as when it ran over the one of two
 * simultaneous connections that is closed as the duplicate): the receiver asks again and the
 * transfer completes. */
static void
test_channel_lost (Fixture *f, gconstpointer unused)
{
  FerryTransfer *offer;
  g_autofree char *downloads = NULL, *source = NULL;
  g_autoptr(FerryTransfer) sent = NULL;
  g_autofree char *final = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  gint64 lost_at;

  g_signal_connect (f->b.peer, "data-channel", G_CALLBACK (channel_cb), &f->b);
  sent = start_big (f, &offer, &downloads, &source);
  g_assert_cmpuint (f->b.channels->len, ==, 1);
  ferry_data_channel_close (g_ptr_array_index (f->b.channels, 0));
  FERRY_TEST_WAIT_UNTIL (in_state (sent, FERRY_TRANSFER_STATE_WAITING) &&
                         in_state (offer, FERRY_TRANSFER_STATE_WAITING), TIMEOUT_MS);
  lost_at = g_get_monotonic_time ();
  g_assert_true (ferry_peer_get_connected (f->a.peer) && ferry_peer_get_connected (f->b.peer));

  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_RUNNING), TIMEOUT_MS);
  g_test_message ("running again %.1f s after the channel went",
                  (g_get_monotonic_time () - lost_at) / 1e6);
  g_assert_cmpuint (f->b.channels->len, ==, 2);
  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_DONE) &&
                         in_state (sent, FERRY_TRANSFER_STATE_DONE), TIMEOUT_MS);
  final = g_build_filename (downloads, "big.bin", NULL);
  want = file_sha256 (source);
  got = file_sha256 (final);
  g_assert_cmpstr (got, ==, want);
}

/* The receiver's program stops mid-way (its manager and connection go) and starts again from its
 * state folder: the transfer resumes from the blocks it proves. */
static void
test_resume_restart (Fixture *f, gconstpointer unused)
{
  FerryTransfer *offer;
  g_autofree char *downloads = NULL, *source = NULL;
  g_autoptr(FerryTransfer) sent = start_big (f, &offer, &downloads, &source);
  g_autofree char *part = g_build_filename (downloads, "big.bin.part", NULL);
  g_autofree char *final = g_build_filename (downloads, "big.bin", NULL);
  g_autofree char *want = file_sha256 (source);
  g_autofree char *got = NULL;
  g_autofree char *state = side_path (&f->b, "state");
  g_autoptr(GFile) state_dir = g_file_new_for_path (state);
  g_autoptr(FerryTransfer) resumed = NULL;
  GStatBuf st;
  guint64 held, kept;

  /* Stopped at once, as a kill would: the last state saved may be up to a second old. */
  FERRY_TEST_WAIT_UNTIL (ferry_transfer_get_bytes_done (offer) > 24 * 1024 * 1024, TIMEOUT_MS);
  side_drop_peer (&f->b);
  g_clear_object (&f->b.manager);
  g_ptr_array_set_size (f->b.added, 0);
  FERRY_TEST_WAIT_UNTIL (in_state (sent, FERRY_TRANSFER_STATE_WAITING), TIMEOUT_MS);
  side_drop_peer (&f->a);
  pcs_clear (f->pcs);
  /* A write already handed to a worker thread still lands (a killed program's would not): what
   * the .part holds once it stops growing. */
  held = 0;
  for (gboolean settled = FALSE; !settled; ferry_test_run_for (200))
    {
      g_assert_cmpint (g_stat (part, &st), ==, 0);
      settled = (guint64) st.st_size == held;
      held = st.st_size;
    }

  /* Started again: the kept transfer comes back, waiting for its peer. */
  f->b.manager = ferry_transfer_manager_new (state_dir);
  g_assert_cmpuint (g_list_model_get_n_items (ferry_transfer_manager_get_transfers (f->b.manager)), ==, 1);
  resumed = g_list_model_get_item (ferry_transfer_manager_get_transfers (f->b.manager), 0);
  g_assert_cmpuint (ferry_transfer_get_state (resumed), ==, FERRY_TRANSFER_STATE_WAITING);
  connect_sides (&f->a, &f->b, f->pcs);
  FERRY_TEST_WAIT_UNTIL (in_state (resumed, FERRY_TRANSFER_STATE_RUNNING), TIMEOUT_MS);
  kept = ferry_transfer_get_bytes_done (resumed);
  g_test_message ("held %" G_GUINT64_FORMAT " bytes, resumed from %" G_GUINT64_FORMAT
                  ": %" G_GUINT64_FORMAT " bytes sent twice", held, kept, held - kept);
  g_assert_cmpuint (kept, >, 0);
  g_assert_cmpuint (kept % (1024 * 1024), ==, 0);
  /* Whole blocks the state had not recorded yet are hashed from the .part: only the last
   * unfinished block travels again. */
  g_assert_cmpuint (held - kept, <, 1024 * 1024);
  FERRY_TEST_WAIT_UNTIL (in_state (resumed, FERRY_TRANSFER_STATE_DONE) &&
                         in_state (sent, FERRY_TRANSFER_STATE_DONE), TIMEOUT_MS);
  got = file_sha256 (final);
  g_assert_cmpstr (got, ==, want);
}

static void
test_changed_source (Fixture *f, gconstpointer unused)
{
  g_autofree char *path = write_file (&f->a, "moving.bin", 100000);
  g_autofree char *other = write_file (&f->a, "steady.bin", 5000);
  g_autoptr(FerryTransfer) sent = send_paths (&f->a, (const char *[]) { path, other, NULL });
  FerryTransfer *offer = wait_offer (&f->b);
  g_autofree char *downloads = NULL;
  g_autofree char *moved = NULL;
  g_autofree char *steady = NULL;
  g_autoptr(GError) error = NULL;

  /* Changed between the offer and the sending. */
  g_file_set_contents (path, "other contents", -1, &error);
  g_assert_no_error (error);
  downloads = accept (&f->b, offer, NULL, 0);
  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_FAILED) &&
                         in_state (sent, FERRY_TRANSFER_STATE_FAILED), TIMEOUT_MS);
  g_test_message ("receiver: %s", ferry_transfer_get_reason (offer));
  g_assert_cmpuint (ferry_transfer_get_file_state (offer, 0), ==, FERRY_TRANSFER_FILE_FAILED);
  g_assert_cmpuint (ferry_transfer_get_file_state (offer, 1), ==, FERRY_TRANSFER_FILE_DONE);
  moved = g_build_filename (downloads, "moving.bin", NULL);
  steady = g_build_filename (downloads, "steady.bin", NULL);
  g_assert_false (g_file_test (moved, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (steady, G_FILE_TEST_EXISTS));
}

/* The crafted sender */

static void
craft_send (Side *a, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPeerMessage) message = ferry_peer_message_parse (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_true (ferry_peer_send_message (a->peer, message, &error));
  g_assert_no_error (error);
}

static gboolean
got_message (Side *side, const char *fragment)
{
  for (guint i = 0; i < side->messages->len; i++)
    if (strstr (g_ptr_array_index (side->messages, i), fragment))
      return TRUE;
  return FALSE;
}

#define TID1 "AAAAAAAAAAAAAAAAAAAAAA"
#define TID2 "BBBBBBBBBBBBBBBBBBBBBB"
#define TID3 "CCCCCCCCCCCCCCCCCCCCCC"
#define TID4 "DDDDDDDDDDDDDDDDDDDDDD"

/* Refused offers never reach the disk. */
static void
test_hostile_refused (Fixture *f, gconstpointer unused)
{
  g_autofree char *downloads = side_path (&f->b, "downloads");

  craft_send (&f->a, "{\"type\":\"offer\",\"transfer\":\"" TID1 "\",\"files\":"
                     "[{\"path\":\"../../etc/passwd\",\"size\":3,\"mtime\":0}],\"total\":3}");
  craft_send (&f->a, "{\"type\":\"offer\",\"transfer\":\"" TID2 "\",\"files\":"
                     "[{\"path\":\"x\",\"size\":1,\"mtime\":0},{\"path\":\"x/y\",\"size\":1,\"mtime\":0}],\"total\":2}");
  craft_send (&f->a, "{\"type\":\"offer\",\"transfer\":\"" TID3 "\",\"files\":"
                     "[{\"path\":\"a.txt\",\"size\":1,\"mtime\":0}],\"folders\":[\"a.txt\"],\"total\":1}");
  FERRY_TEST_WAIT_UNTIL (f->b.refused->len == 3, TIMEOUT_MS);
  FERRY_TEST_WAIT_UNTIL (got_message (&f->a, TID1 "\",\"reason\"") &&
                         got_message (&f->a, TID2 "\",\"reason\"") &&
                         got_message (&f->a, TID3 "\",\"reason\""), TIMEOUT_MS);
  g_assert_cmpuint (f->b.added->len, ==, 0);
  for (guint i = 0; i < f->b.refused->len; i++)
    g_test_message ("refused: %s", ((GError *) g_ptr_array_index (f->b.refused, i))->message);
  g_assert_false (g_file_test (downloads, G_FILE_TEST_EXISTS));
}

static FerryDataChannel *
craft_channel (Side *a, const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *label = g_strconcat (FERRY_PEER_TRANSFER_CHANNEL_PREFIX, id, NULL);
  FerryDataChannel *channel = ferry_peer_open_data_channel (a->peer, label, &error);

  g_assert_no_error (error);
  FERRY_TEST_WAIT_UNTIL (ferry_data_channel_get_state (channel) == FERRY_DATA_CHANNEL_OPEN, TIMEOUT_MS);
  return channel;
}

static void
craft_file (FerryDataChannel *channel, guint index, const char *data, gsize len,
            guint64 end, const char *sha256)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *header = g_strdup_printf ("{\"file\":%u,\"offset\":0}", index);
  g_autofree char *trailer = g_strdup_printf ("{\"file\":%u,\"end\":%" G_GUINT64_FORMAT ",\"sha256\":\"%s\"}",
                                              index, end, sha256);

  g_autoptr(GBytes) bytes = g_bytes_new (data, len);

  g_assert_true (ferry_data_channel_send_text (channel, header, &error));
  g_assert_true (ferry_data_channel_send_bytes (channel, bytes, &error));
  g_assert_true (ferry_data_channel_send_text (channel, trailer, &error));
  g_assert_no_error (error);
}

/* Names made safe, a link that leads out, a lying size and a wrong checksum. */
static void
test_hostile_accepted (Fixture *f, gconstpointer unused)
{
  g_autofree char *downloads = side_path (&f->b, "downloads");
  g_autofree char *outside = g_build_filename (f->b.dir, "outside", NULL);
  g_autofree char *link = g_build_filename (downloads, "evil", NULL);
  g_autofree char *hello_sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "hello", 5);
  g_autoptr(FerryDataChannel) channel = NULL;
  FerryTransfer *offer;
  const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";

  /* A folder "evil" in the download folder that is a link out of it. */
  g_mkdir_with_parents (outside, 0700);
  g_mkdir_with_parents (downloads, 0700);
  g_assert_cmpint (symlink (outside, link), ==, 0);

  /* A name cut to the longest a file system takes, which has no room left for ".part". */
  g_autofree char *long_name = g_strnfill (300, 'n');
  g_autofree char *long_offer = g_strdup_printf ("{\"type\":\"offer\",\"transfer\":\"" TID1 "\",\"files\":["
                     "{\"path\":\"/etc/cron.d/x\",\"size\":5,\"mtime\":0},"
                     "{\"path\":\"evil/payload\",\"size\":5,\"mtime\":0},"
                     "{\"path\":\"CON.txt\",\"size\":5,\"mtime\":0},"
                     "{\"path\":\"tab\\there\\u202eexe.txt\",\"size\":5,\"mtime\":0},"
                     "{\"path\":\"%s.txt\",\"size\":5,\"mtime\":0}],\"total\":25}", long_name);

  craft_send (&f->a, long_offer);
  offer = wait_offer (&f->b);
  g_assert_cmpstr (ferry_transfer_get_file_path (offer, 0), ==, "etc/cron.d/x");
  g_assert_cmpstr (ferry_transfer_get_file_path (offer, 2), ==, "_CON.txt");
  g_assert_cmpstr (ferry_transfer_get_file_path (offer, 3), ==, "tab_hereexe.txt");
  g_free (accept (&f->b, offer, NULL, 0));
  FERRY_TEST_WAIT_UNTIL (got_message (&f->a, "\"accept\""), TIMEOUT_MS);

  channel = craft_channel (&f->a, TID1);
  for (guint i = 0; i < 5; i++)
    craft_file (channel, i, "hello", 5, 5, hello_sha);
  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_DONE), TIMEOUT_MS);
  {
    g_autofree char *a = g_build_filename (downloads, "etc", "cron.d", "x", NULL);
    g_autofree char *b = g_build_filename (downloads, "evil (1)", "payload", NULL);
    g_autofree char *c = g_build_filename (downloads, "_CON.txt", NULL);

    g_assert_true (g_file_test (a, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_test (b, G_FILE_TEST_IS_REGULAR));
    g_assert_true (g_file_test (c, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpuint (strlen (ferry_transfer_get_file_path (offer, 4)), ==, 255);
    g_assert_true (g_file_test (g_file_peek_path (ferry_transfer_get_file (offer, 4)), G_FILE_TEST_IS_REGULAR));
    /* Nothing went through the link. */
    g_assert_cmpuint (count_entries (outside), ==, 0);
  }
  g_clear_object (&channel);

  /* A lying size: more bytes than offered stop the transfer; no file under its name. */
  craft_send (&f->a, "{\"type\":\"offer\",\"transfer\":\"" TID2 "\",\"files\":["
                     "{\"path\":\"liar.bin\",\"size\":3,\"mtime\":0}],\"total\":3}");
  FERRY_TEST_WAIT_UNTIL (f->b.added->len == 2, TIMEOUT_MS);
  offer = g_ptr_array_index (f->b.added, 1);
  g_free (accept (&f->b, offer, NULL, 0));
  channel = craft_channel (&f->a, TID2);
  craft_file (channel, 0, "hello", 5, 5, hello_sha);
  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_FAILED), TIMEOUT_MS);
  g_test_message ("lying size: %s", ferry_transfer_get_reason (offer));
  FERRY_TEST_WAIT_UNTIL (got_message (&f->a, TID2 "\",\"reason\""), TIMEOUT_MS);
  {
    g_autofree char *liar = g_build_filename (downloads, "liar.bin", NULL);

    g_assert_false (g_file_test (liar, G_FILE_TEST_EXISTS));
  }
  g_clear_object (&channel);

  /* A wrong checksum, twice: the file fails; no file under its name. */
  craft_send (&f->a, "{\"type\":\"offer\",\"transfer\":\"" TID3 "\",\"files\":["
                     "{\"path\":\"bad.bin\",\"size\":5,\"mtime\":0}],\"total\":5}");
  FERRY_TEST_WAIT_UNTIL (f->b.added->len == 3, TIMEOUT_MS);
  offer = g_ptr_array_index (f->b.added, 2);
  g_free (accept (&f->b, offer, NULL, 0));
  channel = craft_channel (&f->a, TID3);
  craft_file (channel, 0, "hello", 5, 5, wrong);
  FERRY_TEST_WAIT_UNTIL (got_message (&f->a, "\"file-failed\""), TIMEOUT_MS);
  g_assert_cmpuint (ferry_transfer_get_state (offer), ==, FERRY_TRANSFER_STATE_RUNNING);
  craft_file (channel, 0, "hello", 5, 5, wrong);
  FERRY_TEST_WAIT_UNTIL (in_state (offer, FERRY_TRANSFER_STATE_FAILED), TIMEOUT_MS);
  g_test_message ("wrong checksum: %s", ferry_transfer_get_reason (offer));
  {
    g_autofree char *bad = g_build_filename (downloads, "bad.bin", NULL);

    g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  }

  /* A channel for a transfer the receiver does not know is closed and cancelled. */
  g_clear_object (&channel);
  channel = ferry_peer_open_data_channel (f->a.peer, FERRY_PEER_TRANSFER_CHANNEL_PREFIX TID4, NULL);
  FERRY_TEST_WAIT_UNTIL (got_message (&f->a, "{\"type\":\"cancel\",\"transfer\":\"" TID4), TIMEOUT_MS);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("ferry-transfer-XXXXXX", &error);
  g_assert_no_error (error);

#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)
  ADD ("/transfer/decline", test_decline, NULL);
  ADD ("/transfer/subset", test_subset, NULL);
  ADD ("/transfer/cancel-by-sender", test_cancel, NULL);
  ADD ("/transfer/cancel-by-receiver", test_cancel, GINT_TO_POINTER (1));
  ADD ("/transfer/pause-by-sender", test_pause, NULL);
  ADD ("/transfer/pause-by-receiver", test_pause, GINT_TO_POINTER (1));
  ADD ("/transfer/channel-lost", test_channel_lost, NULL);
  ADD ("/transfer/resume-after-restart", test_resume_restart, NULL);
  ADD ("/transfer/changed-source", test_changed_source, NULL);
  ADD ("/transfer/hostile-refused", test_hostile_refused, NULL);
  ADD ("/transfer/hostile-accepted", test_hostile_accepted, NULL);

  status = g_test_run ();
  if (status == 0)
    {
      g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);

      g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
    }
  g_free (tmpdir);
  return status;
}
