/* fuzz-p2pt-codec.c: a peer's data-channel messages through one FerryP2ptCodec
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a sequence of messages separated by 0xFF, a byte that never occurs in UTF-8, so
 * that every message can still be any text.  Whatever completes must be valid UTF-8 (valid JSON
 * for objects) and must survive a round trip: encoded again, with its id as the reply id, and
 * decoded by a fresh codec, it gives the same message.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-json.h"
#include "ferry-p2pt-codec.h"

#define SEPARATOR 0xFF

static void
check_round_trip (FerryP2ptCodec         *sender,
                  FerryP2ptCodec         *receiver,
                  const FerryP2ptMessage *message)
{
  g_autoptr(FerryP2ptMessage) again = NULL;
  g_autoptr(GPtrArray) chunks = NULL;

  /* encode () takes a C string: a payload with U+0000 cannot go through it. */
  if (memchr (message->payload, '\0', message->payload_len) != NULL)
    return;

  chunks = ferry_p2pt_codec_encode (sender, message->id, message->payload, message->is_object);
  g_assert_nonnull (chunks);
  if (message->payload_len == 0)
    {
      g_assert_cmpuint (chunks->len, ==, 0);
      return;
    }
  g_assert_cmpuint (chunks->len, >, 0);

  for (guint i = 0; i < chunks->len; i++)
    {
      const char *chunk = g_ptr_array_index (chunks, i);
      g_autoptr(GError) error = NULL;
      gboolean done;

      g_assert_true (g_utf8_validate (chunk, -1, NULL));
      g_assert_cmpint (chunk[0], ==, '^');
      done = ferry_p2pt_codec_decode (receiver, chunk, strlen (chunk), &again, &error);
      g_assert_no_error (error);
      g_assert_cmpint (done, ==, i + 1 == chunks->len);
    }

  g_assert_nonnull (again);
  g_assert_true (again->enveloped);
  g_assert_cmpint (again->is_object, ==, message->is_object);
  if (message->id != NULL)
    g_assert_cmpstr (again->id, ==, message->id);
  g_assert_cmpmem (again->payload, again->payload_len, message->payload, message->payload_len);
}

static void
check_message (FerryP2ptCodec         *sender,
               FerryP2ptCodec         *receiver,
               const FerryP2ptMessage *message)
{
  g_assert_nonnull (message->payload);
  g_assert_cmpint (message->payload[message->payload_len], ==, '\0');
  /* Valid UTF-8, U+0000 included. */
  for (const char *p = message->payload, *end = p + message->payload_len; p < end; )
    {
      const char *stop;

      if (g_utf8_validate_len (p, end - p, &stop))
        break;
      g_assert_cmpint (*stop, ==, '\0');
      p = stop + 1;
    }
  g_assert_cmpint (message->id != NULL, ==, message->enveloped);
  if (!message->enveloped)
    g_assert_false (message->is_object);
  if (message->is_object)
    {
      const char *p = message->payload;

      g_assert_true (ferry_json_skip_value (&p, p + message->payload_len, NULL));
    }

  check_round_trip (sender, receiver, message);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* Small limits, so that the fuzzer reaches them. */
  g_autoptr(FerryP2ptCodec) codec = g_object_new (FERRY_TYPE_P2PT_CODEC,
                                                  "max-message-units", (guint64) 4096,
                                                  "max-pending", 4,
                                                  NULL);
  /* The round trips go through a second pair of codecs, which never hold partial messages
   * between them: each round trip completes. */
  g_autoptr(FerryP2ptCodec) sender = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptCodec) receiver = ferry_p2pt_codec_new ();
  const uint8_t *end = data + size;
  const uint8_t *start = data;

  fuzz_init ();

  for (;;)
    {
      const uint8_t *stop = memchr (start, SEPARATOR, end - start);
      g_autoptr(FerryP2ptMessage) message = NULL;
      g_autoptr(GError) error = NULL;
      gsize len = (stop != NULL ? stop : end) - start;
      /* An exact copy, so that AddressSanitizer catches reads past the message. */
      g_autofree char *copy = g_memdup2 (len > 0 ? (const void *) start : "", MAX (len, 1));

      if (ferry_p2pt_codec_decode (codec, copy, len, &message, &error))
        {
          g_assert_no_error (error);
          g_assert_nonnull (message);
          check_message (sender, receiver, message);
        }
      else
        {
          g_assert_null (message);
          if (error != NULL)
            {
              g_assert_true (error->domain == FERRY_P2PT_ERROR);
              g_assert_true (g_utf8_validate (error->message, -1, NULL));
            }
        }

      if (stop == NULL)
        break;
      start = stop + 1;
    }

  return 0;
}
