/* The data channel of a transfer: FerryFileSender on peer A, FerryFileReceiver on peer B, over
 * two in-process peer connections with real libnice agents (run inside tests/netns-run.sh).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <usrsctp.h>

#include "ferry-file-receiver.h"
#include "ferry-file-sender.h"
#include "ferry-peer-connection.h"
#include "ferry-test-pair.h"
#include "ferry-test-util.h"

#define TIMEOUT_MS FERRY_TEST_PAIR_TIMEOUT_MS
#define LONG_TIMEOUT_MS 180000
#define MIB (1024 * 1024)

/* Files on disk */

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;
      GFile *child;

      while (g_file_enumerator_iterate (children, &info, &child, NULL, NULL) && info != NULL)
        remove_tree (child);
    }
  g_file_delete (file, NULL, NULL);
}

static GBytes *
random_bytes (gsize len,
              guint seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint32 *data = g_malloc ((len + 3) / 4 * 4 + 4);

  for (gsize i = 0; i < (len + 3) / 4; i++)
    data[i] = g_rand_int (rand);
  return g_bytes_new_take (data, len);
}

static GFile *
write_file (GFile      *dir,
            const char *relative,
            GBytes     *contents)
{
  g_autoptr(GError) error = NULL;
  GFile *file = g_file_resolve_relative_path (dir, relative);
  g_autoptr(GFile) parent = g_file_get_parent (file);
  const char *data = g_bytes_get_data (contents, NULL);

  if (!g_file_make_directory_with_parents (parent, NULL, &error))
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
      g_clear_error (&error);
    }
  g_file_replace_contents (file, data != NULL ? data : "", g_bytes_get_size (contents),
                           NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, &error);
  g_assert_no_error (error);
  return file;
}

static char *
sha256_of_bytes (GBytes *bytes)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

static char *
sha256_of_file (GFile *file)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) contents = g_file_load_bytes (file, NULL, NULL, &error);

  g_assert_no_error (error);
  return sha256_of_bytes (contents);
}

/* The SHA-256 of the first 1, 2, … @n_blocks MiB of @contents, concatenated: what a receiver
 * holding them claims in its resume-state.  Each prefix is hashed from its start, independently
 * of the code under test, which copies one running hash at every block end. */
static GBytes *
block_digests (GBytes *contents,
               gsize   n_blocks)
{
  GByteArray *out = g_byte_array_new ();
  const guint8 *data = g_bytes_get_data (contents, NULL);

  g_assert_cmpuint (g_bytes_get_size (contents), >=, n_blocks * MIB);
  for (gsize i = 0; i < n_blocks; i++)
    {
      g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      guint8 digest[32];
      gsize len = sizeof digest;

      g_checksum_update (checksum, data, (i + 1) * MIB);
      g_checksum_get_digest (checksum, digest, &len);
      g_byte_array_append (out, digest, len);
    }
  return g_byte_array_free_to_bytes (out);
}

static gboolean
exists (GFile      *dir,
        const char *relative)
{
  g_autoptr(GFile) file = g_file_resolve_relative_path (dir, relative);

  return g_file_query_exists (file, NULL);
}

static guint64
file_size (GFile      *dir,
           const char *relative)
{
  g_autoptr(GFile) file = g_file_resolve_relative_path (dir, relative);
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                 G_FILE_QUERY_INFO_NONE, NULL, NULL);

  g_assert_nonnull (info);
  return (guint64) g_file_info_get_size (info);
}

/* What the offer would say about @file. */
static FerryFileSenderItem
sender_item (GFile   *file,
             guint    index,
             guint64  offset)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;
  FerryFileSenderItem item = { 0 };

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_TIME_MODIFIED,
                            G_FILE_QUERY_INFO_NONE, NULL, &error);
  g_assert_no_error (error);
  item.file = file;
  item.index = index;
  item.offset = offset;
  item.size = (guint64) g_file_info_get_size (info);
  item.mtime = (gint64) g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED);
  return item;
}

/* Two connected peers and a pair of folders */

typedef struct {
  FerryTestPair     pair;
  FerryDataChannel *a_channel;  /* borrowed */
  FerryDataChannel *b_channel;  /* borrowed */
  GFile            *root;
  GFile            *src;
  GFile            *dst;
} Fixture;

static gboolean
channel_open (FerryDataChannel *channel)
{
  return ferry_data_channel_get_state (channel) == FERRY_DATA_CHANNEL_OPEN;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("ferry-transfer-XXXXXX", &error);

  g_assert_no_error (error);
  f->root = g_file_new_for_path (tmp);
  f->src = g_file_get_child (f->root, "src");
  f->dst = g_file_get_child (f->root, "dst");
  g_assert_true (g_file_make_directory (f->src, NULL, NULL));
  g_assert_true (g_file_make_directory (f->dst, NULL, NULL));

  ferry_test_pair_init (&f->pair, config, (const char *[]) { "ferry-transfer/T", NULL }, NULL,
                        NULL, NULL);
  ferry_test_pair_wait_connected (&f->pair);
  f->a_channel = g_ptr_array_index (f->pair.a_created, 0);
  FERRY_TEST_WAIT_UNTIL (f->pair.b_channels->len >= 1, TIMEOUT_MS);
  f->b_channel = g_ptr_array_index (f->pair.b_channels, 0);
  FERRY_TEST_WAIT_UNTIL (channel_open (f->a_channel) && channel_open (f->b_channel), TIMEOUT_MS);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ferry_test_pair_clear (&f->pair);
  remove_tree (f->root);
  g_clear_object (&f->src);
  g_clear_object (&f->dst);
  g_clear_object (&f->root);
}

/* Another transfer channel opened by A; returns B's side (borrowed) and A's in @a_out. */
static FerryDataChannel *
open_channel (Fixture           *f,
              const char        *label,
              FerryDataChannel **a_out)
{
  g_autoptr(GError) error = NULL;
  guint before = f->pair.b_channels->len;
  FerryDataChannel *b;

  *a_out = ferry_peer_connection_create_data_channel (f->pair.a, label, NULL, &error);
  g_assert_no_error (error);
  FERRY_TEST_WAIT_UNTIL (f->pair.b_channels->len > before, TIMEOUT_MS);
  b = g_ptr_array_index (f->pair.b_channels, f->pair.b_channels->len - 1);
  g_assert_cmpstr (ferry_data_channel_get_label (b), ==, label);
  FERRY_TEST_WAIT_UNTIL (channel_open (*a_out) && channel_open (b), TIMEOUT_MS);
  return b;
}

/* Watching both ends */

typedef struct {
  gboolean    sender_finished;
  GError     *sender_error;
  GHashTable *sent;           /* index → sha256 */
  GHashTable *refused;        /* index → GError */
  GArray     *restarted;      /* guint indexes, in order */
  gboolean    receiver_finished;
  GError     *receiver_error;
  GHashTable *received;       /* index → sha256 */
  GHashTable *finals;         /* index → GFile */
  GHashTable *file_errors;    /* index → GError */
} Outcome;

static void
outcome_init (Outcome *o)
{
  memset (o, 0, sizeof *o);
  o->sent = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  o->refused = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_error_free);
  o->restarted = g_array_new (FALSE, FALSE, sizeof (guint));
  o->received = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  o->finals = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  o->file_errors = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_error_free);
}

static void
outcome_clear (Outcome *o)
{
  g_clear_error (&o->sender_error);
  g_clear_error (&o->receiver_error);
  g_hash_table_unref (o->sent);
  g_hash_table_unref (o->refused);
  g_array_unref (o->restarted);
  g_hash_table_unref (o->received);
  g_hash_table_unref (o->finals);
  g_hash_table_unref (o->file_errors);
}

/* Counts what arrives on a channel, whoever reads it. */
typedef struct {
  guint64 binary_bytes;
  guint   texts;
} Arrivals;

static void
count_arrivals_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, Arrivals *a)
{
  if (is_text)
    a->texts++;
  else
    a->binary_bytes += g_bytes_get_size (data);
}

static void
file_sent_cb (FerryFileSender *sender, guint index, const char *sha256, Outcome *o)
{
  g_hash_table_insert (o->sent, GUINT_TO_POINTER (index), g_strdup (sha256));
}

static void
file_refused_cb (FerryFileSender *sender, guint index, GError *error, Outcome *o)
{
  g_assert_false (g_hash_table_contains (o->refused, GUINT_TO_POINTER (index)));
  g_hash_table_insert (o->refused, GUINT_TO_POINTER (index), g_error_copy (error));
}

static void
file_restarted_cb (FerryFileSender *sender, guint index, Outcome *o)
{
  g_array_append_val (o->restarted, index);
}

static void
sender_finished_cb (FerryFileSender *sender, Outcome *o)
{
  o->sender_finished = TRUE;
}

static void
sender_failed_cb (FerryFileSender *sender, GError *error, Outcome *o)
{
  g_assert_null (o->sender_error);
  o->sender_error = g_error_copy (error);
}

static void
file_received_cb (FerryFileReceiver *receiver, guint index, GFile *final, const char *sha256,
                  Outcome *o)
{
  g_hash_table_insert (o->received, GUINT_TO_POINTER (index), g_strdup (sha256));
  g_hash_table_insert (o->finals, GUINT_TO_POINTER (index), g_object_ref (final));
}

static void
file_failed_cb (FerryFileReceiver *receiver, guint index, GError *error, Outcome *o)
{
  g_hash_table_insert (o->file_errors, GUINT_TO_POINTER (index), g_error_copy (error));
}

static void
receiver_finished_cb (FerryFileReceiver *receiver, Outcome *o)
{
  o->receiver_finished = TRUE;
}

static void
receiver_failed_cb (FerryFileReceiver *receiver, GError *error, Outcome *o)
{
  g_assert_null (o->receiver_error);
  o->receiver_error = g_error_copy (error);
}

static void
watch_sender (FerryFileSender *sender, Outcome *o)
{
  g_signal_connect (sender, "file-sent", G_CALLBACK (file_sent_cb), o);
  g_signal_connect (sender, "file-refused", G_CALLBACK (file_refused_cb), o);
  g_signal_connect (sender, "file-restarted", G_CALLBACK (file_restarted_cb), o);
  g_signal_connect (sender, "finished", G_CALLBACK (sender_finished_cb), o);
  g_signal_connect (sender, "failed", G_CALLBACK (sender_failed_cb), o);
}

static void
watch_receiver (FerryFileReceiver *receiver, Outcome *o)
{
  g_signal_connect (receiver, "file-received", G_CALLBACK (file_received_cb), o);
  g_signal_connect (receiver, "file-failed", G_CALLBACK (file_failed_cb), o);
  g_signal_connect (receiver, "finished", G_CALLBACK (receiver_finished_cb), o);
  g_signal_connect (receiver, "failed", G_CALLBACK (receiver_failed_cb), o);
}

static gboolean
both_done (Outcome *o)
{
  return (o->sender_finished || o->sender_error != NULL) &&
         (o->receiver_finished || o->receiver_error != NULL);
}

static void
wait_both_done (Outcome *o,
                guint    ms)
{
  FERRY_TEST_WAIT_UNTIL (both_done (o), ms);
  g_assert_no_error (o->sender_error);
  g_assert_no_error (o->receiver_error);
}

typedef struct {
  guint   notifications;
  gint64  first;
  gint64  last;
} NotifyCount;

static void
count_notify_cb (GObject *object, GParamSpec *pspec, NotifyCount *count)
{
  gint64 now = g_get_monotonic_time ();

  if (count->notifications++ == 0)
    count->first = now;
  count->last = now;
}

/* 1. One 8 MiB file, with a pause in the middle */

static void
test_one_file (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) contents = random_bytes (8 * MIB, 1);
  g_autoptr(GFile) source = write_file (f->src, "big.bin", contents);
  g_autofree char *expected = sha256_of_bytes (contents);
  g_autoptr(GBytes) blocks = NULL;
  g_autoptr(GBytes) expected_blocks = NULL;
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  g_autoptr(GFile) want = g_file_get_child (f->dst, "big.bin");
  g_autofree char *got = NULL;
  FerryFileSenderItem item = sender_item (source, 0, 0);
  FerryFileReceiverItem accepted = { 0, "big.bin", 8 * MIB, 0 };
  NotifyCount notify = { 0 };
  Outcome o;
  guint64 at_pause;
  GFile *final;

  outcome_init (&o);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, &accepted, 1);
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  watch_sender (sender, &o);
  g_signal_connect (sender, "notify::bytes-sent", G_CALLBACK (count_notify_cb), &notify);
  ferry_file_sender_start (sender);

  /* Paused, nothing more goes out: chunks already read wait for resume. */
  FERRY_TEST_WAIT_UNTIL (ferry_file_sender_get_bytes_sent (sender) >= MIB, TIMEOUT_MS);
  ferry_file_sender_pause (sender);
  g_assert_true (ferry_file_sender_get_paused (sender));
  ferry_test_run_for (50);
  at_pause = ferry_file_sender_get_bytes_sent (sender);
  ferry_test_run_for (300);
  g_assert_cmpuint (ferry_file_sender_get_bytes_sent (sender), ==, at_pause);
  g_assert_cmpuint (at_pause, <, 8 * MIB);
  ferry_file_sender_resume (sender);

  wait_both_done (&o, LONG_TIMEOUT_MS);
  g_assert_true (o.sender_finished);
  g_assert_true (o.receiver_finished);
  g_assert_cmpstr (g_hash_table_lookup (o.sent, GUINT_TO_POINTER (0)), ==, expected);
  g_assert_cmpstr (g_hash_table_lookup (o.received, GUINT_TO_POINTER (0)), ==, expected);

  final = g_hash_table_lookup (o.finals, GUINT_TO_POINTER (0));
  g_assert_true (g_file_equal (final, want));
  got = sha256_of_file (final);
  g_assert_cmpstr (got, ==, expected);
  g_assert_true (exists (f->dst, "big.bin"));
  g_assert_false (exists (f->dst, "big.bin.part"));

  g_assert_cmpuint (ferry_file_sender_get_bytes_sent (sender), ==, 8 * MIB);
  g_assert_cmpuint (ferry_file_receiver_get_bytes_received (receiver), ==, 8 * MIB);
  /* Rate-limited: far fewer notifications than the 128 messages. */
  g_assert_cmpuint (notify.notifications, >=, 1);
  g_assert_cmpuint (notify.notifications, <=,
                    2 + (guint) ((notify.last - notify.first) / 100000) + 2);

  /* Eight digests, of the first 1, 2, … 8 MiB. */
  blocks = ferry_file_receiver_get_block_hashes (receiver, 0, NULL);
  expected_blocks = block_digests (contents, 8);
  g_assert_true (g_bytes_equal (blocks, expected_blocks));

  g_signal_handlers_disconnect_by_data (sender, &notify);
  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

/* 2. Three files: an empty one, one in a subfolder, one whose name is taken */

static void
test_three_files (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GBytes) a = random_bytes (1000, 2);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) c = random_bytes (300 * 1024 + 17, 3);
  g_autoptr(GBytes) other = g_bytes_new_static ("already here", 12);
  g_autoptr(GFile) fa = write_file (f->src, "a.txt", a);
  g_autoptr(GFile) fe = write_file (f->src, "empty.txt", empty);
  g_autoptr(GFile) fc = write_file (f->src, "sub/dir/c.bin", c);
  g_autoptr(GFile) taken = write_file (f->dst, "a.txt", other);
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  g_autofree char *taken_sha = sha256_of_bytes (other);
  g_autofree char *now_taken = NULL;
  FerryFileSenderItem items[3];
  /* Indexes as in an offer where the receiver accepted 0, 1 and 3. */
  FerryFileReceiverItem accepted[] = {
    { 0, "a.txt", 1000, 0 },
    { 1, "empty.txt", 0, 0 },
    { 3, "sub/dir/c.bin", 300 * 1024 + 17, 0 },
  };
  GBytes *contents[] = { a, empty, c };
  const guint indexes[] = { 0, 1, 3 };
  const char *finals[] = { "a (1).txt", "empty.txt", "sub/dir/c.bin" };
  Outcome o;

  items[0] = sender_item (fa, 0, 0);
  items[1] = sender_item (fe, 1, 0);
  items[2] = sender_item (fc, 3, 0);

  outcome_init (&o);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, accepted, G_N_ELEMENTS (accepted));
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, items, G_N_ELEMENTS (items));
  watch_sender (sender, &o);
  ferry_file_sender_start (sender);
  wait_both_done (&o, LONG_TIMEOUT_MS);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *expected = sha256_of_bytes (contents[i]);
      g_autofree char *part = g_strconcat (finals[i], ".part", NULL);
      g_autofree char *got = NULL;
      g_autoptr(GFile) want = g_file_resolve_relative_path (f->dst, finals[i]);
      GFile *final = g_hash_table_lookup (o.finals, GUINT_TO_POINTER (indexes[i]));

      g_assert_nonnull (final);
      g_assert_true (g_file_equal (final, want));
      g_assert_cmpstr (g_hash_table_lookup (o.sent, GUINT_TO_POINTER (indexes[i])), ==, expected);
      g_assert_cmpstr (g_hash_table_lookup (o.received, GUINT_TO_POINTER (indexes[i])), ==,
                       expected);
      got = sha256_of_file (final);
      g_assert_cmpstr (got, ==, expected);
      g_assert_false (exists (f->dst, part));
    }
  g_assert_false (exists (f->dst, "a.txt.part"));
  /* The file that was there is untouched. */
  now_taken = sha256_of_file (taken);
  g_assert_cmpstr (now_taken, ==, taken_sha);
  g_assert_cmpuint (ferry_file_sender_get_bytes_sent (sender), ==, 1000 + 300 * 1024 + 17);

  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

/* 3. Resuming at 3 MiB from a .part that holds them, with the receiver's block digests; and a
 * file whose .part holds all of it */

static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  const gsize size = 10 * MIB + 12345;
  const guint64 offset = 3 * MIB;
  g_autoptr(GBytes) contents = random_bytes (size, 4);
  g_autoptr(GBytes) prefix = g_bytes_new_from_bytes (contents, 0, offset);
  g_autoptr(GBytes) whole = random_bytes (2 * MIB, 9);
  g_autoptr(GFile) source = write_file (f->src, "resumed.bin", contents);
  g_autoptr(GFile) whole_source = write_file (f->src, "whole.bin", whole);
  g_autoptr(GFile) part = write_file (f->dst, "resumed.bin.part", prefix);
  g_autoptr(GFile) whole_part = write_file (f->dst, "whole.bin.part", whole);
  g_autoptr(GBytes) claimed = block_digests (contents, offset / MIB);
  g_autoptr(GBytes) expected_blocks = NULL;
  g_autoptr(GBytes) whole_claimed = block_digests (whole, 2);
  g_autofree char *expected = sha256_of_bytes (contents);
  g_autofree char *whole_expected = sha256_of_bytes (whole);
  g_autofree char *got = NULL;
  g_autofree char *whole_got = NULL;
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  g_autoptr(GBytes) blocks = NULL;
  FerryFileSenderItem items[2];
  FerryFileReceiverItem accepted[] = {
    { 0, "resumed.bin", size, offset },
    { 1, "whole.bin", 2 * MIB, 2 * MIB },
  };
  Arrivals arrivals = { 0 };
  Outcome o;

  items[0] = sender_item (source, 0, offset);
  items[0].blocks = claimed;
  items[1] = sender_item (whole_source, 1, 2 * MIB);
  items[1].blocks = whole_claimed;

  outcome_init (&o);
  g_signal_connect (f->b_channel, "message", G_CALLBACK (count_arrivals_cb), &arrivals);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, accepted, G_N_ELEMENTS (accepted));
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, items, G_N_ELEMENTS (items));
  watch_sender (sender, &o);
  ferry_file_sender_start (sender);
  wait_both_done (&o, LONG_TIMEOUT_MS);

  g_assert_cmpuint (o.restarted->len, ==, 0);
  g_assert_cmpuint (g_hash_table_size (o.refused), ==, 0);
  g_assert_cmpstr (g_hash_table_lookup (o.sent, GUINT_TO_POINTER (0)), ==, expected);
  g_assert_cmpstr (g_hash_table_lookup (o.received, GUINT_TO_POINTER (0)), ==, expected);
  got = sha256_of_file (g_hash_table_lookup (o.finals, GUINT_TO_POINTER (0)));
  g_assert_cmpstr (got, ==, expected);
  g_assert_false (exists (f->dst, "resumed.bin.part"));
  /* Nothing but a header and an end for the file the receiver held whole. */
  g_assert_cmpstr (g_hash_table_lookup (o.sent, GUINT_TO_POINTER (1)), ==, whole_expected);
  whole_got = sha256_of_file (g_hash_table_lookup (o.finals, GUINT_TO_POINTER (1)));
  g_assert_cmpstr (whole_got, ==, whole_expected);

  /* Only what was missing went over the channel: counted as it arrived, and by both ends. */
  g_assert_cmpuint (arrivals.binary_bytes, ==, size - offset);
  g_assert_cmpuint (arrivals.texts, ==, 4);
  g_assert_cmpuint (ferry_file_sender_get_bytes_sent (sender), ==, size - offset);
  g_assert_cmpuint (ferry_file_receiver_get_bytes_received (receiver), ==, size - offset);
  /* The digests cover the bytes that were already there as well. */
  blocks = ferry_file_receiver_get_block_hashes (receiver, 0, NULL);
  expected_blocks = block_digests (contents, 10);
  g_assert_true (g_bytes_equal (blocks, expected_blocks));

  g_signal_handlers_disconnect_by_data (f->b_channel, &arrivals);
  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

/* 3b. Resuming from a .part whose second block is not the sender's: the file goes again whole */

static void
test_resume_wrong_block (Fixture       *f,
                         gconstpointer  data)
{
  const gsize size = 5 * MIB + 777;
  const guint64 offset = 3 * MIB;
  g_autoptr(GBytes) contents = random_bytes (size, 10);
  g_autoptr(GFile) source = write_file (f->src, "damaged.bin", contents);
  g_autoptr(GByteArray) damaged = g_byte_array_new ();
  g_autoptr(GBytes) damaged_prefix = NULL;
  g_autoptr(GFile) part = NULL;
  g_autoptr(GBytes) claimed = NULL;
  g_autofree char *expected = sha256_of_bytes (contents);
  g_autofree char *got = NULL;
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  FerryFileSenderItem item = sender_item (source, 0, offset);
  FerryFileReceiverItem accepted = { 0, "damaged.bin", size, offset };
  Arrivals arrivals = { 0 };
  Outcome o;

  /* The receiver holds 3 MiB, one byte of the second block wrong, and (truthfully) claims the
   * digests of what it holds. */
  g_byte_array_append (damaged, g_bytes_get_data (contents, NULL), offset);
  damaged->data[MIB + 4321] ^= 0x55;
  damaged_prefix = g_bytes_new (damaged->data, damaged->len);
  part = write_file (f->dst, "damaged.bin.part", damaged_prefix);
  claimed = block_digests (damaged_prefix, offset / MIB);
  item.blocks = claimed;

  outcome_init (&o);
  g_signal_connect (f->b_channel, "message", G_CALLBACK (count_arrivals_cb), &arrivals);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, &accepted, 1);
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  watch_sender (sender, &o);
  ferry_file_sender_start (sender);
  wait_both_done (&o, LONG_TIMEOUT_MS);

  g_assert_cmpuint (o.restarted->len, ==, 1);
  g_assert_cmpuint (g_array_index (o.restarted, guint, 0), ==, 0);
  g_assert_cmpuint (g_hash_table_size (o.file_errors), ==, 0);
  g_assert_cmpstr (g_hash_table_lookup (o.sent, GUINT_TO_POINTER (0)), ==, expected);
  g_assert_cmpstr (g_hash_table_lookup (o.received, GUINT_TO_POINTER (0)), ==, expected);
  got = sha256_of_file (g_hash_table_lookup (o.finals, GUINT_TO_POINTER (0)));
  g_assert_cmpstr (got, ==, expected);
  g_assert_false (exists (f->dst, "damaged.bin.part"));
  /* Every byte went again, after a header at offset 0. */
  g_assert_cmpuint (arrivals.binary_bytes, ==, size);
  g_assert_cmpuint (arrivals.texts, ==, 2);
  g_assert_cmpuint (ferry_file_sender_get_bytes_sent (sender), ==, size);
  g_assert_cmpuint (ferry_file_receiver_get_bytes_received (receiver), ==, size);

  g_signal_handlers_disconnect_by_data (f->b_channel, &arrivals);
  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

/* 3c. Items the sender cannot honour are refused by ferry_file_sender_new () */

static void
test_invalid_items (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GBytes) contents = random_bytes (3 * MIB, 11);
  g_autoptr(GFile) source = write_file (f->src, "invalid.bin", contents);
  g_autoptr(GBytes) one = block_digests (contents, 1);
  g_autoptr(GBytes) two = block_digests (contents, 2);
  FerryFileSenderItem item;
  FerryFileSender *sender;

  /* No digests for a resumed file. */
  item = sender_item (source, 0, MIB);
  g_test_expect_message ("Ferry-Transfer", G_LOG_LEVEL_CRITICAL, "*n_blocks*");
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  g_test_assert_expected_messages ();
  g_assert_null (sender);

  /* Too many. */
  item.blocks = two;
  g_test_expect_message ("Ferry-Transfer", G_LOG_LEVEL_CRITICAL, "*n_blocks*");
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  g_test_assert_expected_messages ();
  g_assert_null (sender);

  /* Not a whole number of blocks. */
  item = sender_item (source, 0, MIB + 1);
  item.blocks = one;
  g_test_expect_message ("Ferry-Transfer", G_LOG_LEVEL_CRITICAL, "*BLOCK_SIZE*");
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  g_test_assert_expected_messages ();
  g_assert_null (sender);

  /* Right: one digest for one block.  The item's GBytes is the caller's to drop. */
  item = sender_item (source, 0, MIB);
  item.blocks = one;
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  g_assert_nonnull (sender);
  g_object_unref (sender);
}

/* 4. A sender that lies, written by hand */

static void
send_text (FerryDataChannel *channel,
           const char       *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_data_channel_send_text (channel, text, &error));
  g_assert_no_error (error);
}

static void
send_binary (FerryDataChannel *channel,
             GBytes           *bytes)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_data_channel_send_bytes (channel, bytes, &error));
  g_assert_no_error (error);
}

/* Sends @script on a new channel to a receiver of one 500-byte file "lie.bin" (held: @resume)
 * and waits for the receiver to fail, or for the file to fail when @file_fails. */
typedef enum {
  STEP_TEXT,
  STEP_BINARY,
} StepKind;

typedef struct {
  StepKind    kind;
  const char *text;
  gsize       len;
} Step;

static void
run_lie (Fixture    *f,
         const char *label,
         const Step *script,
         guint       n_steps,
         guint64     resume,
         gboolean    file_fails,
         GQuark      domain,
         int         code)
{
  g_autoptr(FerryDataChannel) mine = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  g_autoptr(GBytes) payload = random_bytes (1000, 5);
  FerryDataChannel *theirs = open_channel (f, label, &mine);
  FerryFileReceiverItem accepted = { 0, "lie.bin", 500, resume };
  Outcome o;

  outcome_init (&o);
  receiver = ferry_file_receiver_new (theirs, f->dst, &accepted, 1);
  watch_receiver (receiver, &o);
  for (guint i = 0; i < n_steps; i++)
    {
      if (script[i].kind == STEP_TEXT)
        send_text (mine, script[i].text);
      else
        {
          g_autoptr(GBytes) chunk = g_bytes_new_from_bytes (payload, 0, script[i].len);

          send_binary (mine, chunk);
        }
    }

  if (file_fails)
    {
      GError *file_error;

      FERRY_TEST_WAIT_UNTIL (g_hash_table_size (o.file_errors) > 0 || o.receiver_error != NULL,
                             TIMEOUT_MS);
      g_assert_no_error (o.receiver_error);
      file_error = g_hash_table_lookup (o.file_errors, GUINT_TO_POINTER (0));
      g_assert_error (file_error, domain, code);
      g_test_message ("%s: %s", label, file_error->message);
    }
  else
    {
      FERRY_TEST_WAIT_UNTIL (o.receiver_error != NULL, TIMEOUT_MS);
      g_assert_error (o.receiver_error, domain, code);
      g_test_message ("%s: %s", label, o.receiver_error->message);
    }
  g_assert_false (o.receiver_finished);
  g_assert_cmpuint (g_hash_table_size (o.received), ==, 0);
  g_assert_false (exists (f->dst, "lie.bin"));

  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

static void
test_lying_sender (Fixture       *f,
                   gconstpointer  data)
{
  const GQuark domain = FERRY_FILE_RECEIVER_ERROR;
  const Step too_many[] = {
    { STEP_TEXT, "{\"file\": 0, \"offset\": 0}", 0 },
    { STEP_BINARY, NULL, 400 },
    { STEP_BINARY, NULL, 101 },
  };
  const Step wrong_sha[] = {
    { STEP_TEXT, "{\"file\": 0, \"offset\": 0}", 0 },
    { STEP_BINARY, NULL, 500 },
    { STEP_TEXT, "{\"file\": 0, \"end\": 500, \"sha256\": "
                 "\"0000000000000000000000000000000000000000000000000000000000000000\"}", 0 },
  };
  const Step wrong_end[] = {
    { STEP_TEXT, "{\"file\": 0, \"offset\": 0}", 0 },
    { STEP_BINARY, NULL, 300 },
    { STEP_TEXT, "{\"file\": 0, \"end\": 300, \"sha256\": "
                 "\"0000000000000000000000000000000000000000000000000000000000000000\"}", 0 },
  };
  const Step no_header[] = {
    { STEP_BINARY, NULL, 10 },
  };
  const Step unknown[] = {
    { STEP_TEXT, "{\"file\": 7, \"offset\": 0}", 0 },
  };
  const Step malformed[] = {
    { STEP_TEXT, "{\"file\": 0, \"offset\": ", 0 },
  };
  const Step beyond[] = {
    { STEP_TEXT, "{\"file\": 0, \"offset\": 200}", 0 },
  };

  /* More bytes than accepted: the receiver stops, nothing is renamed. */
  run_lie (f, "ferry-transfer/too-many", too_many, G_N_ELEMENTS (too_many), 0, FALSE, domain,
           FERRY_FILE_RECEIVER_ERROR_PROTOCOL);

  /* A wrong checksum: the file fails, its .part stays whole. */
  run_lie (f, "ferry-transfer/wrong-sha", wrong_sha, G_N_ELEMENTS (wrong_sha), 0, TRUE, domain,
           FERRY_FILE_RECEIVER_ERROR_CHECKSUM);
  g_assert_true (exists (f->dst, "lie.bin.part"));
  g_assert_cmpuint (file_size (f->dst, "lie.bin.part"), ==, 500);

  /* An end short of the accepted size. */
  run_lie (f, "ferry-transfer/wrong-end", wrong_end, G_N_ELEMENTS (wrong_end), 0, TRUE, domain,
           FERRY_FILE_RECEIVER_ERROR_SIZE);
  g_assert_true (exists (f->dst, "lie.bin.part"));

  run_lie (f, "ferry-transfer/no-header", no_header, G_N_ELEMENTS (no_header), 0, FALSE, domain,
           FERRY_FILE_RECEIVER_ERROR_PROTOCOL);
  run_lie (f, "ferry-transfer/unknown", unknown, G_N_ELEMENTS (unknown), 0, FALSE, domain,
           FERRY_FILE_RECEIVER_ERROR_PROTOCOL);
  run_lie (f, "ferry-transfer/malformed", malformed, G_N_ELEMENTS (malformed), 0, FALSE, domain,
           FERRY_FILE_RECEIVER_ERROR_PROTOCOL);

  /* The .part holds 300 bytes, the caller vouches for 100: resuming at 200 is refused, and the
   * .part is not cut. */
  run_lie (f, "ferry-transfer/beyond", beyond, G_N_ELEMENTS (beyond), 100, FALSE, domain,
           FERRY_FILE_RECEIVER_ERROR_PROTOCOL);
  g_assert_cmpuint (file_size (f->dst, "lie.bin.part"), ==, 300);
}

/* 5. A source that changed since the offer */

static guint
count_messages (FerryDataChannel *channel)
{
  return GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (channel), "n-messages"));
}

static void
count_message_cb (FerryDataChannel *channel, GBytes *data, gboolean is_text, gpointer unused)
{
  g_object_set_data (G_OBJECT (channel), "n-messages",
                     GUINT_TO_POINTER (count_messages (channel) + 1));
}

/* A sender of @item alone refuses it, sends nothing, and finishes. */
static void
expect_refused (Fixture             *f,
                FerryFileSenderItem *item,
                GQuark               domain,
                int                  code)
{
  g_autoptr(FerryFileSender) sender = ferry_file_sender_new (f->a_channel, item, 1);
  GError *error;
  Outcome o;

  outcome_init (&o);
  watch_sender (sender, &o);
  ferry_file_sender_start (sender);
  FERRY_TEST_WAIT_UNTIL (o.sender_error != NULL || o.sender_finished, TIMEOUT_MS);
  g_assert_no_error (o.sender_error);
  g_assert_true (o.sender_finished);
  error = g_hash_table_lookup (o.refused, GUINT_TO_POINTER (item->index));
  g_assert_error (error, domain, code);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, "changing.bin"));
  g_assert_cmpuint (g_hash_table_size (o.sent), ==, 0);
  g_assert_cmpint (ferry_file_sender_get_current_index (sender), ==, -1);
  g_assert_cmpuint (ferry_file_sender_get_bytes_sent (sender), ==, 0);
  g_signal_handlers_disconnect_by_data (sender, &o);
  outcome_clear (&o);
}

static void
test_source_changed (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) contents = random_bytes (200 * 1024, 6);
  g_autoptr(GBytes) longer = random_bytes (200 * 1024 + 1, 7);
  g_autoptr(GFile) source = write_file (f->src, "changing.bin", contents);
  FerryFileSenderItem item = sender_item (source, 2, 0);
  FerryFileSenderItem changed;
  g_autoptr(GFile) rewritten = NULL;

  g_signal_connect (f->b_channel, "message", G_CALLBACK (count_message_cb), NULL);

  /* Same size, another modification time. */
  changed = item;
  changed.mtime = item.mtime - 10;
  expect_refused (f, &changed, FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED);

  /* Rewritten longer after the offer. */
  rewritten = write_file (f->src, "changing.bin", longer);
  expect_refused (f, &item, FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED);

  /* Gone. */
  g_assert_true (g_file_delete (rewritten, NULL, NULL));
  expect_refused (f, &item, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

  /* Not a byte went out for any. */
  ferry_test_run_for (200);
  g_assert_cmpuint (count_messages (f->b_channel), ==, 0);
  g_signal_handlers_disconnect_by_func (f->b_channel, count_message_cb, NULL);
}

/* 5b. Of three files, two changed before their header: the third still arrives */

static void
test_refused_then_next (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GBytes) a = random_bytes (70 * 1024, 12);
  g_autoptr(GBytes) b = random_bytes (1000, 13);
  g_autoptr(GBytes) c = random_bytes (2 * MIB + 3, 14);
  g_autoptr(GFile) fa = write_file (f->src, "a.bin", a);
  g_autoptr(GFile) fb = write_file (f->src, "b.bin", b);
  g_autoptr(GFile) fc = write_file (f->src, "c.bin", c);
  g_autofree char *expected = sha256_of_bytes (c);
  g_autofree char *got = NULL;
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  FerryFileSenderItem items[3];
  FerryFileReceiverItem accepted[] = {
    { 0, "a.bin", 70 * 1024, 0 },
    { 1, "b.bin", 1000, 0 },
    { 2, "c.bin", 2 * MIB + 3, 0 },
  };
  Arrivals arrivals = { 0 };
  GError *error;
  Outcome o;

  items[0] = sender_item (fa, 0, 0);
  items[1] = sender_item (fb, 1, 0);
  items[2] = sender_item (fc, 2, 0);
  /* a.bin shrinks and b.bin goes away after the offer. */
  {
    g_autoptr(GBytes) shorter = g_bytes_new_from_bytes (a, 0, 1000);
    g_autoptr(GFile) again = write_file (f->src, "a.bin", shorter);
  }
  g_assert_true (g_file_delete (fb, NULL, NULL));

  outcome_init (&o);
  g_signal_connect (f->b_channel, "message", G_CALLBACK (count_arrivals_cb), &arrivals);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, accepted, G_N_ELEMENTS (accepted));
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, items, G_N_ELEMENTS (items));
  watch_sender (sender, &o);
  ferry_file_sender_start (sender);

  FERRY_TEST_WAIT_UNTIL (o.sender_finished || o.sender_error != NULL, LONG_TIMEOUT_MS);
  g_assert_no_error (o.sender_error);
  FERRY_TEST_WAIT_UNTIL (g_hash_table_contains (o.received, GUINT_TO_POINTER (2)) ||
                         o.receiver_error != NULL, LONG_TIMEOUT_MS);
  g_assert_no_error (o.receiver_error);

  error = g_hash_table_lookup (o.refused, GUINT_TO_POINTER (0));
  g_assert_error (error, FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED);
  g_assert_nonnull (strstr (error->message, "a.bin"));
  error = g_hash_table_lookup (o.refused, GUINT_TO_POINTER (1));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "b.bin"));
  g_assert_cmpuint (g_hash_table_size (o.refused), ==, 2);

  g_assert_cmpuint (g_hash_table_size (o.sent), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (o.sent, GUINT_TO_POINTER (2)), ==, expected);
  g_assert_cmpstr (g_hash_table_lookup (o.received, GUINT_TO_POINTER (2)), ==, expected);
  got = sha256_of_file (g_hash_table_lookup (o.finals, GUINT_TO_POINTER (2)));
  g_assert_cmpstr (got, ==, expected);
  g_assert_cmpuint (arrivals.binary_bytes, ==, 2 * MIB + 3);
  g_assert_cmpuint (arrivals.texts, ==, 2);
  /* The receiver still waits for the others: the caller tells it, on the control channel. */
  g_assert_false (o.receiver_finished);
  g_assert_false (exists (f->dst, "a.bin.part"));
  g_assert_false (exists (f->dst, "b.bin.part"));

  ferry_file_receiver_cancel (receiver);
  g_signal_handlers_disconnect_by_data (f->b_channel, &arrivals);
  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

/* 5c. A source that grows, or shrinks in place, while it is sent fails the sender before its end
 * goes out.  Shrunk, the read jobs under way past the new end fail, and the others give up. */

static void
changed_while_sending (Fixture  *f,
                       gboolean  shrink)
{
  const gsize size = 16 * MIB;
  g_autoptr(GBytes) contents = random_bytes (size, 15);
  g_autoptr(GFile) source = write_file (f->src, "growing.bin", contents);
  g_autoptr(GFileOutputStream) append = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  FerryFileSenderItem item = sender_item (source, 0, 0);
  FerryFileReceiverItem accepted = { 0, "growing.bin", size, 0 };
  Outcome o;

  outcome_init (&o);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, &accepted, 1);
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  watch_sender (sender, &o);
  ferry_file_sender_start (sender);

  FERRY_TEST_WAIT_UNTIL (ferry_file_sender_get_bytes_sent (sender) >= MIB, TIMEOUT_MS);
  ferry_file_sender_pause (sender);
  g_assert_cmpuint (ferry_file_sender_get_bytes_sent (sender), <, size / 2);
  if (shrink)
    g_assert_no_errno (truncate (g_file_peek_path (source), size / 2));
  else
    {
      append = g_file_append_to (source, G_FILE_CREATE_NONE, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_output_stream_write_all (G_OUTPUT_STREAM (append), "more", 4, NULL, NULL,
                                                &error));
      g_assert_no_error (error);
      g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (append), NULL, &error));
    }
  ferry_file_sender_resume (sender);

  FERRY_TEST_WAIT_UNTIL (o.sender_error != NULL || o.sender_finished, LONG_TIMEOUT_MS);
  g_assert_error (o.sender_error, FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED);
  g_assert_false (o.sender_finished);
  g_assert_cmpuint (g_hash_table_size (o.sent), ==, 0);
  g_assert_cmpuint (g_hash_table_size (o.refused), ==, 0);
  g_assert_cmpint (ferry_file_sender_get_current_index (sender), ==, 0);
  /* No end, so no file for the receiver. */
  ferry_test_run_for (300);
  g_assert_no_error (o.receiver_error);
  g_assert_cmpuint (g_hash_table_size (o.received), ==, 0);
  g_assert_false (exists (f->dst, "growing.bin"));

  ferry_file_receiver_cancel (receiver);
  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

static void
test_grown_while_sending (Fixture       *f,
                          gconstpointer  data)
{
  changed_while_sending (f, FALSE);
}

static void
test_shrunk_while_sending (Fixture       *f,
                           gconstpointer  data)
{
  changed_while_sending (f, TRUE);
}

/* 6. Throughput of one 64 MiB file (a figure, no assertion on it) */

static void
test_throughput (Fixture       *f,
                 gconstpointer  data)
{
  const gsize size = 64 * MIB;
  g_autoptr(GBytes) contents = random_bytes (size, 8);
  g_autoptr(GFile) source = write_file (f->src, "large.bin", contents);
  g_autofree char *expected = sha256_of_bytes (contents);
  g_autofree char *got = NULL;
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  FerryFileSenderItem item = sender_item (source, 0, 0);
  FerryFileReceiverItem accepted = { 0, "large.bin", size, 0 };
  Outcome o;
  gint64 start, elapsed;
  struct sctpstat before, after;
  guint fragment = ferry_data_channel_get_fragment_size (f->a_channel);

  outcome_init (&o);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, &accepted, 1);
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  watch_sender (sender, &o);

  usrsctp_get_stat (&before);
  start = g_get_monotonic_time ();
  ferry_file_sender_start (sender);
  wait_both_done (&o, LONG_TIMEOUT_MS);
  elapsed = g_get_monotonic_time () - start;
  usrsctp_get_stat (&after);

  /* Data messages are whole packets: 64 KiB ones would take a fifth, nearly empty, packet each
   * (25 % more packets); a few more carry the text messages. */
  g_assert_cmpuint (fragment, >, 16000);
  g_test_message ("%u packets with data for %u fragments' worth",
                  after.sctps_recvpktwithdata - before.sctps_recvpktwithdata, (guint) (size / fragment));
  g_assert_cmpuint (after.sctps_recvpktwithdata - before.sctps_recvpktwithdata, <=, size / fragment + 16);

  got = sha256_of_file (g_hash_table_lookup (o.finals, GUINT_TO_POINTER (0)));
  g_assert_cmpstr (got, ==, expected);
  g_test_message ("64 MiB from file to file in %.2f s: %.1f MB/s", elapsed / 1e6,
                  (double) size / elapsed);

  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

/* 7. GIO's shared thread pool held by blocking jobs (as slow DNS lookups do): the transfer's
 * disk work has threads of its own and goes on. */

typedef struct {
  GMutex   lock;
  GCond    cond;
  gboolean released;
} Blockers;

static void
block_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Blockers *b = task_data;

  g_mutex_lock (&b->lock);
  while (!b->released)
    g_cond_wait (&b->cond, &b->lock);
  g_mutex_unlock (&b->lock);
  g_task_return_boolean (task, TRUE);
}

static void
blocker_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  guint *done = user_data;

  (*done)++;
}

static void
test_busy_shared_pool (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GBytes) contents = random_bytes (4 * MIB, 7);
  g_autoptr(GFile) source = write_file (f->src, "busy.bin", contents);
  g_autofree char *expected = sha256_of_bytes (contents);
  g_autoptr(FerryFileSender) sender = NULL;
  g_autoptr(FerryFileReceiver) receiver = NULL;
  FerryFileSenderItem item = sender_item (source, 0, 0);
  FerryFileReceiverItem accepted = { 0, "busy.bin", 4 * MIB, 0 };
  Blockers b = { 0 };
  guint n_blockers = 40, done = 0;
  Outcome o;

  g_mutex_init (&b.lock);
  g_cond_init (&b.cond);
  for (guint i = 0; i < n_blockers; i++)
    {
      g_autoptr(GTask) task = g_task_new (NULL, NULL, blocker_done_cb, &done);

      g_task_set_task_data (task, &b, NULL);
      g_task_run_in_thread (task, block_thread);
    }

  outcome_init (&o);
  receiver = ferry_file_receiver_new (f->b_channel, f->dst, &accepted, 1);
  watch_receiver (receiver, &o);
  sender = ferry_file_sender_new (f->a_channel, &item, 1);
  watch_sender (sender, &o);
  ferry_file_sender_start (sender);
  /* Behind 40 blocked jobs in GIO's pool, this would take many seconds (it grows slowly). */
  wait_both_done (&o, 3000);
  g_assert_true (o.sender_finished);
  g_assert_true (o.receiver_finished);
  g_assert_cmpstr (g_hash_table_lookup (o.received, GUINT_TO_POINTER (0)), ==, expected);

  g_mutex_lock (&b.lock);
  b.released = TRUE;
  g_cond_broadcast (&b.cond);
  g_mutex_unlock (&b.lock);
  FERRY_TEST_WAIT_UNTIL (done == n_blockers, TIMEOUT_MS);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  g_signal_handlers_disconnect_by_data (sender, &o);
  g_signal_handlers_disconnect_by_data (receiver, &o);
  outcome_clear (&o);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/transfer/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("one-file", test_one_file);
  ADD ("three-files", test_three_files);
  ADD ("resume", test_resume);
  ADD ("resume-wrong-block", test_resume_wrong_block);
  ADD ("invalid-items", test_invalid_items);
  ADD ("lying-sender", test_lying_sender);
  ADD ("source-changed", test_source_changed);
  ADD ("refused-then-next", test_refused_then_next);
  ADD ("grown-while-sending", test_grown_while_sending);
  ADD ("shrunk-while-sending", test_shrunk_while_sending);
  ADD ("throughput", test_throughput);
  ADD ("busy-shared-pool", test_busy_shared_pool);
#undef ADD

  return g_test_run ();
}
