/* fuzz-peer-message.c: ferry_peer_message_parse() on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A message that parses must be sane (a known type; every field within the rules of its type),
 * must not be a hello, and must survive serialization: ferry_peer_message_to_json() of it is
 * strict JSON (what P2PT's JSON.parse () accepts), parses back to the same message, and is
 * canonical (building that again gives the same text).
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-hello.h"
#include "ferry-json.h"
#include "ferry-peer-message.h"

static void
assert_id (const char *id)
{
  g_assert_true (ferry_peer_message_id_is_valid (id));
}

static void
assert_sha256 (const char *sha256)
{
  g_assert_nonnull (sha256);
  g_assert_cmpuint (strlen (sha256), ==, FERRY_PEER_MESSAGE_SHA256_LENGTH);
  for (const char *p = sha256; *p != '\0'; p++)
    g_assert_true (g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'f'));
}

static void
assert_reason (const char *reason)
{
  if (reason == NULL)
    return;
  g_assert_true (g_utf8_validate (reason, -1, NULL));
  g_assert_cmpuint (strlen (reason), <=, FERRY_PEER_MESSAGE_MAX_REASON_BYTES);
}

static void
assert_path (const char *path)
{
  g_assert_nonnull (path);
  g_assert_cmpstr (path, !=, "");
  g_assert_true (g_utf8_validate (path, -1, NULL));
}

/* The rules the parser enforces, checked on what it returned. */
static void
assert_sane (const FerryPeerMessage *m)
{
  g_assert_nonnull (ferry_peer_message_type_to_string (m->type));
  switch (m->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      g_assert_nonnull (m->chat.text);
      g_assert_true (g_utf8_validate (m->chat.text, -1, NULL));
      if (m->chat.id != NULL)
        assert_id (m->chat.id);
      g_assert_true (m->chat.time == FERRY_PEER_MESSAGE_NO_TIME ||
                     (m->chat.time >= 0 &&
                      (guint64) m->chat.time <= FERRY_PEER_MESSAGE_MAX_INTEGER));
      g_assert_null (ferry_peer_message_get_transfer (m));
      return;
    case FERRY_PEER_MESSAGE_CHAT_ACK:
      assert_id (m->chat_ack.id);
      g_assert_null (ferry_peer_message_get_transfer (m));
      return;
    case FERRY_PEER_MESSAGE_RELAY:
      g_assert_cmpuint (strlen (m->relay.from), ==, FERRY_PEER_MESSAGE_MEMBER_LENGTH);
      g_assert_cmpuint (strlen (m->relay.to), ==, FERRY_PEER_MESSAGE_MEMBER_LENGTH);
      g_assert_true (g_utf8_validate (m->relay.code, -1, NULL));
      g_assert_cmpuint (strlen (m->relay.code), <=, FERRY_PEER_MESSAGE_MAX_CODE_BYTES);
      g_assert_null (ferry_peer_message_get_transfer (m));
      return;
    case FERRY_PEER_MESSAGE_OFFER:
      {
        guint64 sum = 0;

        g_assert_cmpuint (m->offer.files->len, <=, FERRY_PEER_MESSAGE_MAX_FILES);
        for (guint i = 0; i < m->offer.files->len; i++)
          {
            const FerryPeerMessageOfferFile *file =
              &g_array_index (m->offer.files, FerryPeerMessageOfferFile, i);

            assert_path (file->path);
            g_assert_cmpuint (file->size, <=, FERRY_PEER_MESSAGE_MAX_INTEGER);
            g_assert_cmpint (file->mtime, >=, 0);
            g_assert_cmpuint ((guint64) file->mtime, <=, FERRY_PEER_MESSAGE_MAX_INTEGER);
            sum += file->size;
            g_assert_cmpuint (sum, <=, FERRY_PEER_MESSAGE_MAX_INTEGER);
          }
        g_assert_cmpuint (sum, ==, m->offer.total);
        g_assert_nonnull (m->offer.folders);
        for (guint i = 0; i < m->offer.folders->len; i++)
          assert_path (g_ptr_array_index (m->offer.folders, i));
      }
      break;
    case FERRY_PEER_MESSAGE_ACCEPT:
      if (m->accept.files != NULL)
        {
          g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

          for (guint i = 0; i < m->accept.files->len; i++)
            {
              guint file = g_array_index (m->accept.files, guint, i);

              g_assert_cmpuint (file, <, FERRY_PEER_MESSAGE_MAX_FILES);
              g_assert_true (g_hash_table_add (seen, GUINT_TO_POINTER (file + 1)));
            }
        }
      break;
    case FERRY_PEER_MESSAGE_DECLINE:
      assert_reason (m->decline.reason);
      break;
    case FERRY_PEER_MESSAGE_CANCEL:
      assert_reason (m->cancel.reason);
      break;
    case FERRY_PEER_MESSAGE_PAUSE:
    case FERRY_PEER_MESSAGE_RESUME:
      break;
    case FERRY_PEER_MESSAGE_FILE_DONE:
      g_assert_cmpuint (m->file_done.file, <, FERRY_PEER_MESSAGE_MAX_FILES);
      assert_sha256 (m->file_done.sha256);
      break;
    case FERRY_PEER_MESSAGE_FILE_FAILED:
      g_assert_cmpuint (m->file_failed.file, <, FERRY_PEER_MESSAGE_MAX_FILES);
      assert_reason (m->file_failed.reason);
      break;
    case FERRY_PEER_MESSAGE_RESTART:
      g_assert_cmpuint (m->restart.file, <, FERRY_PEER_MESSAGE_MAX_FILES);
      assert_reason (m->restart.reason);
      break;
    case FERRY_PEER_MESSAGE_RESUME_STATE:
      {
        g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

        for (guint i = 0; i < m->resume_state.files->len; i++)
          {
            const FerryPeerMessageResumeFile *file =
              &g_array_index (m->resume_state.files, FerryPeerMessageResumeFile, i);

            g_assert_cmpuint (file->file, <, FERRY_PEER_MESSAGE_MAX_FILES);
            g_assert_true (g_hash_table_add (seen, GUINT_TO_POINTER (file->file + 1)));
            g_assert_cmpuint (file->have, ==,
                              (guint64) file->blocks->len * FERRY_PEER_MESSAGE_BLOCK_SIZE);
            for (guint j = 0; j < file->blocks->len; j++)
              assert_sha256 (g_ptr_array_index (file->blocks, j));
          }
      }
      break;
    }
  /* Every type but the chat ones names a transfer. */
  assert_id (ferry_peer_message_get_transfer (m));
}

static void
assert_same_strings (GPtrArray *a,
                     GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a, i), ==, g_ptr_array_index (b, i));
}

static void
assert_same (const FerryPeerMessage *a,
             const FerryPeerMessage *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpstr (ferry_peer_message_get_transfer (a), ==, ferry_peer_message_get_transfer (b));
  switch (a->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      g_assert_cmpstr (a->chat.text, ==, b->chat.text);
      g_assert_cmpstr (a->chat.id, ==, b->chat.id);
      g_assert_cmpint (a->chat.time, ==, b->chat.time);
      break;
    case FERRY_PEER_MESSAGE_CHAT_ACK:
      g_assert_cmpstr (a->chat_ack.id, ==, b->chat_ack.id);
      break;
    case FERRY_PEER_MESSAGE_RELAY:
      g_assert_cmpstr (a->relay.from, ==, b->relay.from);
      g_assert_cmpstr (a->relay.to, ==, b->relay.to);
      g_assert_cmpstr (a->relay.code, ==, b->relay.code);
      break;
    case FERRY_PEER_MESSAGE_OFFER:
      g_assert_cmpuint (a->offer.files->len, ==, b->offer.files->len);
      for (guint i = 0; i < a->offer.files->len; i++)
        {
          const FerryPeerMessageOfferFile *fa =
            &g_array_index (a->offer.files, FerryPeerMessageOfferFile, i);
          const FerryPeerMessageOfferFile *fb =
            &g_array_index (b->offer.files, FerryPeerMessageOfferFile, i);

          g_assert_cmpstr (fa->path, ==, fb->path);
          g_assert_cmpuint (fa->size, ==, fb->size);
          g_assert_cmpint (fa->mtime, ==, fb->mtime);
        }
      assert_same_strings (a->offer.folders, b->offer.folders);
      g_assert_cmpuint (a->offer.total, ==, b->offer.total);
      break;
    case FERRY_PEER_MESSAGE_ACCEPT:
      g_assert_true ((a->accept.files == NULL) == (b->accept.files == NULL));
      if (a->accept.files != NULL)
        {
          g_assert_cmpuint (a->accept.files->len, ==, b->accept.files->len);
          for (guint i = 0; i < a->accept.files->len; i++)
            g_assert_cmpuint (g_array_index (a->accept.files, guint, i), ==,
                              g_array_index (b->accept.files, guint, i));
        }
      break;
    case FERRY_PEER_MESSAGE_DECLINE:
      g_assert_cmpstr (a->decline.reason, ==, b->decline.reason);
      break;
    case FERRY_PEER_MESSAGE_CANCEL:
      g_assert_cmpstr (a->cancel.reason, ==, b->cancel.reason);
      break;
    case FERRY_PEER_MESSAGE_PAUSE:
    case FERRY_PEER_MESSAGE_RESUME:
      break;
    case FERRY_PEER_MESSAGE_FILE_DONE:
      g_assert_cmpuint (a->file_done.file, ==, b->file_done.file);
      g_assert_cmpstr (a->file_done.sha256, ==, b->file_done.sha256);
      break;
    case FERRY_PEER_MESSAGE_FILE_FAILED:
      g_assert_cmpuint (a->file_failed.file, ==, b->file_failed.file);
      g_assert_cmpstr (a->file_failed.reason, ==, b->file_failed.reason);
      break;
    case FERRY_PEER_MESSAGE_RESTART:
      g_assert_cmpuint (a->restart.file, ==, b->restart.file);
      g_assert_cmpstr (a->restart.reason, ==, b->restart.reason);
      break;
    case FERRY_PEER_MESSAGE_RESUME_STATE:
      g_assert_cmpuint (a->resume_state.files->len, ==, b->resume_state.files->len);
      for (guint i = 0; i < a->resume_state.files->len; i++)
        {
          const FerryPeerMessageResumeFile *fa =
            &g_array_index (a->resume_state.files, FerryPeerMessageResumeFile, i);
          const FerryPeerMessageResumeFile *fb =
            &g_array_index (b->resume_state.files, FerryPeerMessageResumeFile, i);

          g_assert_cmpuint (fa->file, ==, fb->file);
          g_assert_cmpuint (fa->have, ==, fb->have);
          assert_same_strings (fa->blocks, fb->blocks);
        }
      break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FerryPeerMessage) message = NULL;
  g_autoptr(FerryPeerMessage) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_again = NULL;
  const char *p;

  fuzz_init ();

  message = ferry_peer_message_parse ((const char *) data, size, &error);
  if (message == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_PEER_MESSAGE_ERROR);
      g_assert_true (error->code == FERRY_PEER_MESSAGE_ERROR_MALFORMED ||
                     error->code == FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);

  g_assert_false (ferry_hello_is_hello ((const char *) data, size));
  assert_sane (message);

  json = ferry_peer_message_to_json (message);
  p = json;
  g_assert_true (ferry_json_skip_value (&p, json + strlen (json), NULL));
  g_assert_true (p == json + strlen (json));
  again = ferry_peer_message_parse (json, strlen (json), &error);
  g_assert_no_error (error);
  assert_same (again, message);
  json_again = ferry_peer_message_to_json (again);
  g_assert_cmpstr (json_again, ==, json);

  return 0;
}
