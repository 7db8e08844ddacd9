/* fuzz-peer-message.c: ferry_peer_message_parse() on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A message that parses must be sane (a known type; text valid UTF-8), must not be a hello, and
 * must survive serialization: ferry_peer_message_to_json() of it is strict JSON (what P2PT's
 * JSON.parse () accepts), parses back to the same message, and is canonical (building that again
 * gives the same text).
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-hello.h"
#include "ferry-json.h"
#include "ferry-peer-message.h"

static void
assert_same (const FerryPeerMessage *a,
             const FerryPeerMessage *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  switch (a->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      g_assert_cmpstr (a->chat.text, ==, b->chat.text);
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
  g_assert_nonnull (ferry_peer_message_type_to_string (message->type));
  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      g_assert_nonnull (message->chat.text);
      g_assert_true (g_utf8_validate (message->chat.text, -1, NULL));
      break;
    }

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
