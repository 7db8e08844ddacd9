/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "ferry-json.h"
#include "ferry-peer-message.h"

static FerryPeerMessage *
parse_ok (const char *json,
          gssize      len)
{
  g_autoptr(GError) error = NULL;
  FerryPeerMessage *message;

  if (len < 0)
    len = strlen (json);
  message = ferry_peer_message_parse (json, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
parse_error (const char *json,
             gssize      len,
             int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPeerMessage) message = NULL;

  if (len < 0)
    len = strlen (json);
  message = ferry_peer_message_parse (json, len, &error);
  g_assert_error (error, FERRY_PEER_MESSAGE_ERROR, code);
  g_assert_null (message);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  {
    /* Escaped: TAP output must stay valid UTF-8. */
    g_autofree char *head = g_strndup (json, MIN ((gsize) len, 60));
    g_autofree char *shown = g_strescape (head, NULL);

    g_test_message ("%s → %s", shown, error->message);
  }
}

static void
assert_chat (const char *json,
             gssize      len,
             const char *text)
{
  g_autoptr(FerryPeerMessage) message = parse_ok (json, len);

  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_CHAT);
  g_assert_cmpstr (message->chat.text, ==, text);
}

/* What ferry-peer.c wrote before the codec existed, for comparison. */
static char *
old_chat_json (const char *text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "chat");
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static char *
chat_json (const char *text)
{
  g_autoptr(FerryPeerMessage) message = ferry_peer_message_new_chat (text);

  return ferry_peer_message_to_json (message);
}

static void
test_chat (void)
{
  g_autoptr(FerryPeerMessage) message = ferry_peer_message_new_chat ("Hello!");
  g_autofree char *json = ferry_peer_message_to_json (message);

  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_CHAT);
  g_assert_cmpstr (message->chat.text, ==, "Hello!");
  g_assert_cmpstr (ferry_peer_message_type_to_string (FERRY_PEER_MESSAGE_CHAT), ==, "chat");

  /* The example of docs/PROTOCOL.md, without its spaces. */
  g_assert_cmpstr (json, ==, "{\"type\":\"chat\",\"text\":\"Hello!\"}");
  assert_chat (json, -1, "Hello!");
  /* The example itself. */
  assert_chat ("{\"type\": \"chat\", \"text\": \"Hello!\"}", -1, "Hello!");
}

static void
check_wire (const char *text)
{
  g_autofree char *old = old_chat_json (text);
  g_autofree char *json = chat_json (text);
  g_autoptr(FerryPeerMessage) again = NULL;
  const char *p = json;

  g_assert_cmpstr (json, ==, old);
  /* Strict JSON, as P2PT's JSON.parse () and our envelope want it. */
  g_assert_true (ferry_json_skip_value (&p, json + strlen (json), NULL));
  g_assert_true (p == json + strlen (json));
  again = parse_ok (json, -1);
  g_assert_cmpstr (again->chat.text, ==, text);
}

/* The text on the wire is what ferry-peer.c sent before, byte for byte, except for U+001F: json-glib
 * writes it raw, which is not JSON, so receivers dropped such messages. */
static void
test_wire (void)
{
  static const char *const texts[] = {
    "", "Hello!", "\"quoted\" and \\back\\slashed/", "two\nlines\r\n\ttabbed",
    "\x7f", "é € ☃ 😀", "\xe2\x80\xa8\xe2\x80\xa9", "\xef\xbb\xbf", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf",
    "<script>&amp;</script>", "{\"type\":\"chat\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    check_wire (texts[i]);

  /* Every character up to U+0800, then a sample of the rest. */
  for (gunichar c = 1; c <= 0x10FFFF; c = c < 0x800 ? c + 1 : c + 0x1F1)
    {
      char text[8] = { 0 };

      if (c == 0x1F || (c >= 0xD800 && c <= 0xDFFF))
        continue;
      g_unichar_to_utf8 (c, text);
      check_wire (text);
    }

  {
    g_autofree char *old = old_chat_json ("a\x1f" "b");
    g_autofree char *json = chat_json ("a\x1f" "b");

    g_assert_cmpstr (old, ==, "{\"type\":\"chat\",\"text\":\"a\x1f" "b\"}");
    g_assert_cmpstr (json, ==, "{\"type\":\"chat\",\"text\":\"a\\u001fb\"}");
    assert_chat (json, -1, "a\x1f" "b");
  }
}

static void
test_parse (void)
{
  /* Members in any order, unknown ones of any kind ignored (later versions add them). */
  assert_chat ("{\"text\":\"hi\",\"type\":\"chat\"}", -1, "hi");
  assert_chat ("{\"type\":\"chat\",\"text\":\"hi\",\"id\":5,\"more\":{\"a\":[1,null,true]}}", -1, "hi");
  assert_chat (" \t\r\n{ \"type\" : \"chat\" , \"text\" : \"hi\" } \n", -1, "hi");
  /* Any escaping of the same text. */
  assert_chat ("{\"\\u0074ype\":\"\\u0063hat\",\"text\":\"\\u00e9\\n\\/\\\"\"}", -1, "é\n/\"");
  assert_chat ("{\"type\":\"chat\",\"text\":\"\\ud83d\\ude00\"}", -1, "😀");
  assert_chat ("{\"type\":\"chat\",\"text\":\"😀\"}", -1, "😀");
  /* Like JSON.parse, the last of duplicate members counts. */
  assert_chat ("{\"type\":\"chat\",\"text\":\"first\",\"text\":\"last\"}", -1, "last");
  assert_chat ("{\"type\":\"nope\",\"text\":\"hi\",\"type\":\"chat\"}", -1, "hi");
  /* An empty chat message is still one. */
  assert_chat ("{\"type\":\"chat\",\"text\":\"\"}", -1, "");
  /* Lone surrogates (a JavaScript string cut in the middle of a pair) read as U+FFFD, as
   * everywhere else in the P2PT envelope; the character after one is kept. */
  assert_chat ("{\"type\":\"chat\",\"text\":\"a\\ud83dz\"}", -1, "a\xef\xbf\xbdz");
  assert_chat ("{\"type\":\"chat\",\"text\":\"\\ude00\"}", -1, "\xef\xbf\xbd");
  assert_chat ("{\"type\":\"chat\",\"text\":\"\\ud83d\"}", -1, "\xef\xbf\xbd");
  /* The length counts, not a NUL terminator. */
  assert_chat ("{\"type\":\"chat\",\"text\":\"hi\"}garbage", 27, "hi");
}

static void
test_unknown_type (void)
{
  /* Later versions' messages, and the hello, which has a codec of its own. */
  parse_error ("{\"type\":\"file-offer\",\"files\":[]}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
  parse_error ("{\"type\":\"ferry-hello\",\"v\":1}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
  parse_error ("{\"type\":\"\",\"text\":\"hi\"}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
  parse_error ("{\"type\":\"Chat\",\"text\":\"hi\"}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
  parse_error ("{\"type\":\"chat \",\"text\":\"hi\"}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
  /* json-glib 1.6 would have cut these at \u0000 and read "chat". */
  parse_error ("{\"type\":\"chat\\u0000x\",\"text\":\"hi\"}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
  parse_error ("{\"type\":\"chat\\ud800\",\"text\":\"hi\"}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
  /* The type is decided before the members of a known type are looked at. */
  parse_error ("{\"type\":\"later\",\"text\":5}", -1, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE);
}

static void
test_malformed (void)
{
  static const struct {
    const char *json;
    const char *why;
  } cases[] = {
    /* Not JSON, or not one whole JSON value. */
    { "", "empty" },
    { " ", "only white space" },
    { "chat", "not JSON" },
    { "{\"type\":\"chat\",\"text\":\"hi\"", "truncated" },
    { "{\"type\":\"chat\",\"text\":\"hi}", "unterminated string" },
    { "{\"type\":\"chat\",\"text\":\"hi\"} x", "trailing characters" },
    { "{\"type\":\"chat\",\"text\":\"hi\"}{}", "two values" },
    { "{\"type\":\"chat\",\"text\":\"hi\",}", "trailing comma" },
    { "{'type':'chat','text':'hi'}", "single quotes" },
    { "{\"type\":\"chat\",\"text\":\"a\\x41\"}", "unknown escape" },
    { "{\"type\":\"chat\",\"text\":\"a\\u12\"}", "truncated \\u escape" },
    { "{\"type\":\"chat\",\"text\":\"a\tb\"}", "raw control character in a string" },
    { "{\"type\":\"chat\",\"text\":\"a\x1f" "b\"}", "raw U+001F, as json-glib 1.6 writes it" },
    { "{\"type\":\"chat\",\"text\":\"hi\",\"n\":01}", "bad number" },
    { "{\"type\":\"chat\",\"text\":\"hi\",\"n\":nul}", "bad literal" },
    /* JSON, but not an object. */
    { "[\"chat\",\"hi\"]", "an array" },
    { "\"chat\"", "a string" },
    { "null", "null" },
    { "42", "a number" },
    /* No usable type. */
    { "{}", "empty object" },
    { "{\"text\":\"hi\"}", "no type" },
    { "{\"type\":null,\"text\":\"hi\"}", "type null" },
    { "{\"type\":1,\"text\":\"hi\"}", "type a number" },
    { "{\"type\":true,\"text\":\"hi\"}", "type a boolean" },
    { "{\"type\":[\"chat\"],\"text\":\"hi\"}", "type an array" },
    { "{\"type\":{\"chat\":1},\"text\":\"hi\"}", "type an object" },
    /* A chat message without a usable text. */
    { "{\"type\":\"chat\"}", "no text" },
    { "{\"type\":\"chat\",\"text\":null}", "text null" },
    { "{\"type\":\"chat\",\"text\":5}", "text a number" },
    { "{\"type\":\"chat\",\"text\":false}", "text a boolean" },
    { "{\"type\":\"chat\",\"text\":[\"hi\"]}", "text an array" },
    { "{\"type\":\"chat\",\"text\":{}}", "text an object" },
    { "{\"type\":\"chat\",\"text\":\"a\\u0000b\"}", "text with U+0000" },
    { "{\"type\":\"chat\",\"text\":\"\\u0000\"}", "text only U+0000" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].why);
      parse_error (cases[i].json, -1, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
    }

  /* Bytes that are not UTF-8 text. */
  parse_error ("{\"type\":\"chat\",\"text\":\"\xff\"}", -1, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
  parse_error ("{\"type\":\"chat\",\"text\":\"\xed\xa0\x80\"}", -1, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
  parse_error ("{\"type\":\"chat\",\"text\":\"a\0b\"}", 27, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
  parse_error ("{\"type\":\"chat\",\"text\":\"hi\"}\0", 28, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
}

static void
test_too_deep (void)
{
  g_autoptr(GString) json = g_string_new ("{\"type\":\"chat\",\"text\":\"hi\",\"x\":");
  g_autoptr(FerryPeerMessage) message = NULL;

  /* Nesting within the scanner's bound is fine... */
  for (guint i = 0; i < FERRY_JSON_MAX_DEPTH - 1; i++)
    g_string_append_c (json, '[');
  for (guint i = 0; i < FERRY_JSON_MAX_DEPTH - 1; i++)
    g_string_append_c (json, ']');
  g_string_append_c (json, '}');
  message = parse_ok (json->str, json->len);
  g_assert_cmpstr (message->chat.text, ==, "hi");

  /* ...deeper is refused before anything recursive sees it. */
  g_string_truncate (json, 0);
  g_string_append (json, "{\"type\":\"chat\",\"text\":\"hi\",\"x\":");
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (json, '[');
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (json, ']');
  g_string_append_c (json, '}');
  parse_error (json->str, json->len, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
}

static void
test_size_limit (void)
{
  static const char chat[] = "{\"type\":\"chat\",\"text\":\"hi\"}";
  gsize len = FERRY_PEER_MESSAGE_MAX_BYTES;
  g_autofree char *json = g_malloc (len + 1);
  g_autoptr(FerryPeerMessage) message = NULL;

  /* The largest message is read (white space after the object is allowed)... */
  memcpy (json, chat, sizeof chat - 1);
  memset (json + sizeof chat - 1, ' ', len + 1 - (sizeof chat - 1));
  message = parse_ok (json, len);
  g_assert_cmpstr (message->chat.text, ==, "hi");

  /* ...one byte more is not. */
  parse_error (json, len + 1, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/peer-message/chat", test_chat);
  g_test_add_func ("/peer-message/wire", test_wire);
  g_test_add_func ("/peer-message/parse", test_parse);
  g_test_add_func ("/peer-message/unknown-type", test_unknown_type);
  g_test_add_func ("/peer-message/malformed", test_malformed);
  g_test_add_func ("/peer-message/too-deep", test_too_deep);
  g_test_add_func ("/peer-message/size-limit", test_size_limit);

  return g_test_run ();
}
