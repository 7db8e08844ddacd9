/* fuzz-webdrop.c: WebDrop's control messages and file signals on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same bytes go to ferry_webdrop_message_parse () (a P2PT object of WebDrop's) and to
 * ferry_webdrop_signal_parse () (the raw text of simple-peer-files).  Either fails with a clear
 * error, or what it returns is sane (one line of UTF-8 for names and texts, a known type) and
 * survives serialization: its JSON parses back to the same fields.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-json.h"
#include "ferry-webdrop.h"

static void
assert_text (const char *text,
             gboolean    one_line)
{
  if (text == NULL)
    return;
  g_assert_true (g_utf8_validate (text, -1, NULL));
  if (one_line)
    g_assert_null (strpbrk (text, "\n\r"));
}

static void
assert_error (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == FERRY_WEBDROP_ERROR);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
assert_round_trip (const FerryWebdropMessage *message)
{
  g_autofree char *json = ferry_webdrop_message_to_json (message);
  g_autoptr(FerryWebdropMessage) again = NULL;
  g_autoptr(GError) error = NULL;
  const char *p = json;

  g_assert_true (ferry_json_skip_value (&p, json + strlen (json), NULL));
  g_assert_true (p == json + strlen (json));
  again = message->type == FERRY_WEBDROP_MESSAGE_FILE_SIGNAL
            ? ferry_webdrop_signal_parse (json, strlen (json), &error)
            : ferry_webdrop_message_parse (json, strlen (json), &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->type, ==, message->type);
  g_assert_cmpstr (again->share_id, ==, message->share_id);
  g_assert_cmpstr (again->sdp, ==, message->sdp);
  g_assert_cmpstr (again->candidate, ==, message->candidate);
  g_assert_cmpuint (again->start, ==, message->start);
  g_assert_cmpuint (again->size, ==, message->size);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FerryWebdropMessage) message = NULL;
  g_autoptr(FerryWebdropMessage) signal = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) signal_error = NULL;

  fuzz_init ();

  message = ferry_webdrop_message_parse ((const char *) data, size, &error);
  if (message == NULL)
    assert_error (error);
  else
    {
      g_assert_no_error (error);
      g_assert_cmpint (message->type, <, FERRY_WEBDROP_MESSAGE_FILE_SIGNAL);
      assert_text (message->name, TRUE);
      assert_text (message->color, TRUE);
      assert_text (message->text, TRUE);
      assert_text (message->time, TRUE);
      assert_text (message->share_id, TRUE);
      if (message->name != NULL)
        g_assert_cmpuint (g_utf8_strlen (message->name, -1), <=, 1024 + 1);
      assert_round_trip (message);
    }

  signal = ferry_webdrop_signal_parse ((const char *) data, size, &signal_error);
  if (signal == NULL)
    assert_error (signal_error);
  else
    {
      g_assert_no_error (signal_error);
      g_assert_cmpint (signal->type, ==, FERRY_WEBDROP_MESSAGE_FILE_SIGNAL);
      g_assert_nonnull (signal->share_id);
      g_assert_true ((signal->sdp != NULL) != (signal->candidate != NULL));
      assert_text (signal->sdp, FALSE);
      assert_text (signal->candidate, FALSE);
      assert_round_trip (signal);
    }
  return 0;
}
