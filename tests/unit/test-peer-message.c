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
  assert_chat ("{\"type\":\"chat\",\"text\":\"hi\",\"n\":5,\"more\":{\"a\":[1,null,true]}}", -1, "hi");
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

/* Transfers and delivery marks */

#define CHAT_ID "q3MxkTz0Rr2mJ7y6o1nWeA"
#define T "Zk1hH3QwR2u8lVbq9sD2xw"
#define H0 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* What the builder writes for @message is @expected, byte for byte, and reads back as a message
 * that builds to the same text.  Takes @message. */
static FerryPeerMessage *
round_trip (FerryPeerMessage *message,
            const char       *expected)
{
  g_autoptr(FerryPeerMessage) owned = message;
  g_autofree char *json = NULL;
  g_autofree char *again_json = NULL;
  FerryPeerMessage *again;

  g_assert_nonnull (message);
  json = ferry_peer_message_to_json (message);
  g_assert_cmpstr (json, ==, expected);
  again = parse_ok (json, -1);
  g_assert_cmpint (again->type, ==, message->type);
  again_json = ferry_peer_message_to_json (again);
  g_assert_cmpstr (again_json, ==, json);
  return again;
}

static void
test_chat_marks (void)
{
  g_autoptr(FerryPeerMessage) message = NULL;

  g_assert_cmpstr (ferry_peer_message_type_to_string (FERRY_PEER_MESSAGE_CHAT_ACK), ==, "chat-ack");

  message = round_trip (ferry_peer_message_new_chat_full ("Hello!", CHAT_ID, 1733330000123),
                        "{\"type\":\"chat\",\"id\":\"" CHAT_ID "\",\"time\":1733330000123,"
                        "\"text\":\"Hello!\"}");
  g_assert_cmpstr (message->chat.id, ==, CHAT_ID);
  g_assert_cmpint (message->chat.time, ==, 1733330000123);
  g_assert_cmpstr (message->chat.text, ==, "Hello!");
  g_clear_pointer (&message, ferry_peer_message_free);

  /* Each is optional. */
  message = round_trip (ferry_peer_message_new_chat_full ("a", CHAT_ID, FERRY_PEER_MESSAGE_NO_TIME),
                        "{\"type\":\"chat\",\"id\":\"" CHAT_ID "\",\"text\":\"a\"}");
  g_assert_cmpint (message->chat.time, ==, FERRY_PEER_MESSAGE_NO_TIME);
  g_clear_pointer (&message, ferry_peer_message_free);
  message = round_trip (ferry_peer_message_new_chat_full ("a", NULL, 0),
                        "{\"type\":\"chat\",\"time\":0,\"text\":\"a\"}");
  g_assert_null (message->chat.id);
  g_assert_cmpint (message->chat.time, ==, 0);
  g_clear_pointer (&message, ferry_peer_message_free);
  message = round_trip (ferry_peer_message_new_chat_full ("a", "-_09azAZ-_09azAZ-_09az", 9007199254740992),
                        "{\"type\":\"chat\",\"id\":\"-_09azAZ-_09azAZ-_09az\","
                        "\"time\":9007199254740992,\"text\":\"a\"}");
  g_clear_pointer (&message, ferry_peer_message_free);
  /* A plain chat has neither. */
  message = parse_ok ("{\"type\":\"chat\",\"text\":\"a\"}", -1);
  g_assert_null (message->chat.id);
  g_assert_cmpint (message->chat.time, ==, FERRY_PEER_MESSAGE_NO_TIME);
  g_clear_pointer (&message, ferry_peer_message_free);

  /* The examples of the protocol description. */
  message = parse_ok ("{\"type\": \"chat\", \"id\": \"q3MxkTz0Rr2mJ7y6o1nWeA\", "
                      "\"time\": 1733330000123, \"text\": \"Hello!\"}", -1);
  g_assert_cmpstr (message->chat.id, ==, CHAT_ID);
  g_assert_cmpint (message->chat.time, ==, 1733330000123);
  g_clear_pointer (&message, ferry_peer_message_free);
  message = parse_ok ("{\"type\": \"chat-ack\", \"id\": \"q3MxkTz0Rr2mJ7y6o1nWeA\"}", -1);
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_CHAT_ACK);
  g_assert_cmpstr (message->chat_ack.id, ==, CHAT_ID);
  g_assert_null (ferry_peer_message_get_transfer (message));
  g_clear_pointer (&message, ferry_peer_message_free);

  message = round_trip (ferry_peer_message_new_chat_ack (CHAT_ID),
                        "{\"type\":\"chat-ack\",\"id\":\"" CHAT_ID "\"}");
  g_assert_cmpstr (message->chat_ack.id, ==, CHAT_ID);
  g_clear_pointer (&message, ferry_peer_message_free);

  /* An escaped id is the same id. */
  message = parse_ok ("{\"type\":\"chat-ack\",\"id\":\"\\u0071" "3MxkTz0Rr2mJ7y6o1nWeA\",\"x\":1}", -1);
  g_assert_cmpstr (message->chat_ack.id, ==, CHAT_ID);
}

/* Every JSON spelling of a whole number is that number; the builder writes plain digits. */
static void
test_numbers (void)
{
  static const struct {
    const char *number;
    gint64 value;
  } cases[] = {
    { "0", 0 }, { "-0", 0 }, { "0.0", 0 }, { "-0.0e-5", 0 }, { "0e999999999999", 0 },
    { "7", 7 }, { "7.0", 7 }, { "7.000e0", 7 }, { "70E-1", 7 }, { "700e-2", 7 },
    { "1e3", 1000 }, { "1E+3", 1000 }, { "0.5e1", 5 }, { "1.5e1", 15 }, { "0.0001e4", 1 }, { "0.00012e5", 12 },
    { "1733330000123", 1733330000123 }, { "1.733330000123e12", 1733330000123 },
    { "9007199254740992", 9007199254740992 }, { "9.007199254740992e15", 9007199254740992 },
    { "90071992547409920e-1", 9007199254740992 }, { "9007199254740992.000", 9007199254740992 },
    { "00000000000000000000000000000000000000000000000001", -1 },  /* not JSON: below */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"type\":\"chat\",\"time\":%s,\"text\":\"\"}",
                                               cases[i].number);
      g_autofree char *built = NULL;
      g_autofree char *expected = NULL;
      g_autoptr(FerryPeerMessage) message = NULL;

      if (cases[i].value < 0)
        {
          parse_error (json, -1, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
          continue;
        }
      message = parse_ok (json, -1);
      g_assert_cmpint (message->chat.time, ==, cases[i].value);
      built = ferry_peer_message_to_json (message);
      expected = g_strdup_printf ("{\"type\":\"chat\",\"time\":%" G_GINT64_FORMAT ",\"text\":\"\"}",
                                  cases[i].value);
      g_assert_cmpstr (built, ==, expected);
    }
}

static void
test_offer (void)
{
  g_autoptr(FerryPeerMessage) offer = ferry_peer_message_new_offer (T);
  g_autoptr(FerryPeerMessage) message = NULL;
  const FerryPeerMessageOfferFile *file;

  g_assert_true (ferry_peer_message_offer_add_file (offer, "Holiday/IMG_0001.jpg", 3145728, 1733000000));
  g_assert_true (ferry_peer_message_offer_add_file (offer, "Holiday/notes.txt", 120, 1733000100));
  ferry_peer_message_offer_add_folder (offer, "Holiday");
  ferry_peer_message_offer_add_folder (offer, "Holiday/empty");
  g_assert_cmpuint (offer->offer.total, ==, 3145848);
  message = round_trip (g_steal_pointer (&offer),
                        "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":["
                        "{\"path\":\"Holiday/IMG_0001.jpg\",\"size\":3145728,\"mtime\":1733000000},"
                        "{\"path\":\"Holiday/notes.txt\",\"size\":120,\"mtime\":1733000100}],"
                        "\"folders\":[\"Holiday\",\"Holiday/empty\"],\"total\":3145848}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_OFFER);
  g_assert_cmpstr (message->offer.transfer, ==, T);
  g_assert_cmpstr (ferry_peer_message_get_transfer (message), ==, T);
  g_assert_cmpuint (message->offer.files->len, ==, 2);
  file = &g_array_index (message->offer.files, FerryPeerMessageOfferFile, 1);
  g_assert_cmpstr (file->path, ==, "Holiday/notes.txt");
  g_assert_cmpuint (file->size, ==, 120);
  g_assert_cmpint (file->mtime, ==, 1733000100);
  g_assert_cmpuint (message->offer.folders->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (message->offer.folders, 1), ==, "Holiday/empty");
  g_assert_cmpuint (message->offer.total, ==, 3145848);
  g_clear_pointer (&message, ferry_peer_message_free);

  /* The example of the protocol description. */
  message = parse_ok ("{\"type\": \"offer\", \"transfer\": \"Zk1hH3QwR2u8lVbq9sD2xw\",\n"
                      " \"files\": [{\"path\": \"Holiday/IMG_0001.jpg\", \"size\": 3145728, \"mtime\": 1733000000},\n"
                      "           {\"path\": \"Holiday/notes.txt\", \"size\": 120, \"mtime\": 1733000100}],\n"
                      " \"folders\": [\"Holiday\", \"Holiday/empty\"],\n"
                      " \"total\": 3145848}", -1);
  g_assert_cmpuint (message->offer.files->len, ==, 2);
  g_assert_cmpuint (message->offer.folders->len, ==, 2);
  g_clear_pointer (&message, ferry_peer_message_free);

  /* No folders, no files: "folders" is left out, and reads as empty either way. */
  message = round_trip (ferry_peer_message_new_offer (T),
                        "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"total\":0}");
  g_assert_cmpuint (message->offer.files->len, ==, 0);
  g_assert_nonnull (message->offer.folders);
  g_assert_cmpuint (message->offer.folders->len, ==, 0);
  g_clear_pointer (&message, ferry_peer_message_free);
  message = parse_ok ("{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"folders\":[],\"total\":0}", -1);
  g_assert_cmpuint (message->offer.folders->len, ==, 0);
  g_clear_pointer (&message, ferry_peer_message_free);

  /* Paths are kept as sent, unsafe ones included: the transfer layer judges them. */
  offer = ferry_peer_message_new_offer (T);
  g_assert_true (ferry_peer_message_offer_add_file (offer, "../é\x1f\\/", 0, 0));
  g_assert_true (ferry_peer_message_offer_add_file (offer, "/abs", 9007199254740992, 9007199254740992));
  ferry_peer_message_offer_add_folder (offer, " ");
  message = round_trip (g_steal_pointer (&offer),
                        "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":["
                        "{\"path\":\"../é\\u001f\\\\/\",\"size\":0,\"mtime\":0},"
                        "{\"path\":\"/abs\",\"size\":9007199254740992,\"mtime\":9007199254740992}],"
                        "\"folders\":[\" \"],\"total\":9007199254740992}");
  g_assert_cmpstr (g_array_index (message->offer.files, FerryPeerMessageOfferFile, 0).path, ==, "../é\x1f\\/");
  g_clear_pointer (&message, ferry_peer_message_free);

  /* The constructor refuses a total past 2^53 and the 100,001st file. */
  offer = ferry_peer_message_new_offer (T);
  g_assert_true (ferry_peer_message_offer_add_file (offer, "a", 9007199254740992, 0));
  g_assert_false (ferry_peer_message_offer_add_file (offer, "b", 1, 0));
  g_assert_cmpuint (offer->offer.files->len, ==, 1);
  g_assert_cmpuint (offer->offer.total, ==, 9007199254740992);
  g_clear_pointer (&offer, ferry_peer_message_free);
}

/* 100,000 files is the limit: the largest offer is read, one file more is not. */
static void
test_offer_limit (void)
{
  g_autoptr(FerryPeerMessage) offer = ferry_peer_message_new_offer (T);
  g_autoptr(FerryPeerMessage) message = NULL;
  g_autofree char *json = NULL;
  GString *more;

  for (guint i = 0; i < FERRY_PEER_MESSAGE_MAX_FILES; i++)
    {
      char path[16];

      g_snprintf (path, sizeof path, "%u", i);
      g_assert_true (ferry_peer_message_offer_add_file (offer, path, i, i));
    }
  g_assert_false (ferry_peer_message_offer_add_file (offer, "x", 0, 0));
  json = ferry_peer_message_to_json (offer);
  message = parse_ok (json, -1);
  g_assert_cmpuint (message->offer.files->len, ==, FERRY_PEER_MESSAGE_MAX_FILES);
  g_assert_cmpuint (message->offer.total, ==, offer->offer.total);

  more = g_string_new (json);
  g_string_replace (more, "\"files\":[", "\"files\":[{\"path\":\"x\",\"size\":0,\"mtime\":0},", 1);
  parse_error (more->str, more->len, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
  g_string_free (more, TRUE);
}

static void
test_accept (void)
{
  static const guint some[] = { 3, 0, 99999 };
  g_autoptr(FerryPeerMessage) message = NULL;

  /* Without "files": every file, told apart from an empty list (a decline). */
  message = round_trip (ferry_peer_message_new_accept_all (T),
                        "{\"type\":\"accept\",\"transfer\":\"" T "\"}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_ACCEPT);
  g_assert_null (message->accept.files);
  g_clear_pointer (&message, ferry_peer_message_free);

  message = round_trip (ferry_peer_message_new_accept (T, NULL, 0),
                        "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[]}");
  g_assert_nonnull (message->accept.files);
  g_assert_cmpuint (message->accept.files->len, ==, 0);
  g_clear_pointer (&message, ferry_peer_message_free);

  /* Kept in the order sent. */
  message = round_trip (ferry_peer_message_new_accept (T, some, G_N_ELEMENTS (some)),
                        "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[3,0,99999]}");
  g_assert_cmpuint (message->accept.files->len, ==, 3);
  g_assert_cmpuint (g_array_index (message->accept.files, guint, 0), ==, 3);
  g_assert_cmpuint (g_array_index (message->accept.files, guint, 2), ==, 99999);
  g_clear_pointer (&message, ferry_peer_message_free);

  message = parse_ok ("{\"type\": \"accept\", \"transfer\": \"Zk1hH3QwR2u8lVbq9sD2xw\", \"files\": [0]}", -1);
  g_assert_cmpuint (message->accept.files->len, ==, 1);
  g_assert_cmpuint (g_array_index (message->accept.files, guint, 0), ==, 0);
}

static void
test_reasons (void)
{
  g_autoptr(FerryPeerMessage) message = NULL;
  g_autoptr(GString) reason = g_string_new (NULL);
  g_autofree char *json = NULL;

  message = round_trip (ferry_peer_message_new_decline (T, "No room left on the disk"),
                        "{\"type\":\"decline\",\"transfer\":\"" T "\",\"reason\":\"No room left on the disk\"}");
  g_assert_cmpstr (message->decline.transfer, ==, T);
  g_assert_cmpstr (message->decline.reason, ==, "No room left on the disk");
  g_clear_pointer (&message, ferry_peer_message_free);
  message = round_trip (ferry_peer_message_new_decline (T, NULL),
                        "{\"type\":\"decline\",\"transfer\":\"" T "\"}");
  g_assert_null (message->decline.reason);
  g_clear_pointer (&message, ferry_peer_message_free);

  message = round_trip (ferry_peer_message_new_cancel (T, "Cancelled by Ana"),
                        "{\"type\":\"cancel\",\"transfer\":\"" T "\",\"reason\":\"Cancelled by Ana\"}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_CANCEL);
  g_assert_cmpstr (message->cancel.reason, ==, "Cancelled by Ana");
  g_clear_pointer (&message, ferry_peer_message_free);
  message = round_trip (ferry_peer_message_new_cancel (T, ""),
                        "{\"type\":\"cancel\",\"transfer\":\"" T "\",\"reason\":\"\"}");
  g_assert_cmpstr (message->cancel.reason, ==, "");
  g_clear_pointer (&message, ferry_peer_message_free);

  message = round_trip (ferry_peer_message_new_pause (T), "{\"type\":\"pause\",\"transfer\":\"" T "\"}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_PAUSE);
  g_assert_cmpstr (message->pause.transfer, ==, T);
  g_clear_pointer (&message, ferry_peer_message_free);
  message = round_trip (ferry_peer_message_new_resume (T), "{\"type\":\"resume\",\"transfer\":\"" T "\"}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_RESUME);
  g_assert_cmpstr (message->resume.transfer, ==, T);
  g_clear_pointer (&message, ferry_peer_message_free);

  /* 500 bytes of reason are read; the constructor cuts a longer one between characters. */
  for (guint i = 0; i < 250; i++)
    g_string_append (reason, "é");
  message = ferry_peer_message_new_cancel (T, reason->str);
  g_assert_cmpstr (message->cancel.reason, ==, reason->str);
  json = ferry_peer_message_to_json (message);
  g_clear_pointer (&message, ferry_peer_message_free);
  message = parse_ok (json, -1);
  g_assert_cmpstr (message->cancel.reason, ==, reason->str);
  g_clear_pointer (&message, ferry_peer_message_free);
  g_string_prepend_c (reason, 'x');
  message = ferry_peer_message_new_restart (T, 1, reason->str);
  g_assert_cmpuint (strlen (message->restart.reason), ==, 499);
  g_assert_true (g_str_has_prefix (reason->str, message->restart.reason));
}

static void
test_file_results (void)
{
  g_autoptr(FerryPeerMessage) message = NULL;

  message = round_trip (ferry_peer_message_new_file_done (T, 0, H0),
                        "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":0,\"sha256\":\"" H0 "\"}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_FILE_DONE);
  g_assert_cmpuint (message->file_done.file, ==, 0);
  g_assert_cmpstr (message->file_done.sha256, ==, H0);
  g_clear_pointer (&message, ferry_peer_message_free);

  message = round_trip (ferry_peer_message_new_file_failed (T, 7, "The file’s checksum does not match"),
                        "{\"type\":\"file-failed\",\"transfer\":\"" T "\",\"file\":7,"
                        "\"reason\":\"The file’s checksum does not match\"}");
  g_assert_cmpuint (message->file_failed.file, ==, 7);
  g_assert_cmpstr (message->file_failed.reason, ==, "The file’s checksum does not match");
  g_clear_pointer (&message, ferry_peer_message_free);
  message = round_trip (ferry_peer_message_new_file_failed (T, 99999, NULL),
                        "{\"type\":\"file-failed\",\"transfer\":\"" T "\",\"file\":99999}");
  g_assert_null (message->file_failed.reason);
  g_clear_pointer (&message, ferry_peer_message_free);

  message = round_trip (ferry_peer_message_new_restart (T, 2, "A block differs"),
                        "{\"type\":\"restart\",\"transfer\":\"" T "\",\"file\":2,\"reason\":\"A block differs\"}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_RESTART);
  g_assert_cmpuint (message->restart.file, ==, 2);
  g_assert_cmpstr (message->restart.reason, ==, "A block differs");
  g_clear_pointer (&message, ferry_peer_message_free);
  message = round_trip (ferry_peer_message_new_restart (T, 2, NULL),
                        "{\"type\":\"restart\",\"transfer\":\"" T "\",\"file\":2}");
  g_assert_null (message->restart.reason);
}

static void
test_resume_state (void)
{
  static const char *const blocks[] = { H0, H1 };
  g_autoptr(FerryPeerMessage) state = ferry_peer_message_new_resume_state (T);
  g_autoptr(FerryPeerMessage) message = NULL;
  const FerryPeerMessageResumeFile *file;

  ferry_peer_message_resume_state_add_file (state, 0, blocks, 2);
  ferry_peer_message_resume_state_add_file (state, 4, NULL, 0);
  message = round_trip (g_steal_pointer (&state),
                        "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":["
                        "{\"file\":0,\"have\":2097152,\"blocks\":[\"" H0 "\",\"" H1 "\"]},"
                        "{\"file\":4,\"have\":0,\"blocks\":[]}]}");
  g_assert_cmpint (message->type, ==, FERRY_PEER_MESSAGE_RESUME_STATE);
  g_assert_cmpuint (message->resume_state.files->len, ==, 2);
  file = &g_array_index (message->resume_state.files, FerryPeerMessageResumeFile, 0);
  g_assert_cmpuint (file->file, ==, 0);
  g_assert_cmpuint (file->have, ==, 2097152);
  g_assert_cmpuint (file->blocks->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (file->blocks, 1), ==, H1);
  file = &g_array_index (message->resume_state.files, FerryPeerMessageResumeFile, 1);
  g_assert_cmpuint (file->file, ==, 4);
  g_assert_cmpuint (file->have, ==, 0);
  g_assert_cmpuint (file->blocks->len, ==, 0);
  g_clear_pointer (&message, ferry_peer_message_free);

  message = round_trip (ferry_peer_message_new_resume_state (T),
                        "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[]}");
  g_assert_cmpuint (message->resume_state.files->len, ==, 0);
}

/* Every rule of the new types, one case each. */
static void
test_malformed_transfers (void)
{
  static const struct {
    const char *json;
    const char *why;
  } cases[] = {
    /* chat id and time */
    { "{\"type\":\"chat\",\"id\":\"q3MxkTz0Rr2mJ7y6o1nWe\",\"text\":\"a\"}", "id of 21 characters" },
    { "{\"type\":\"chat\",\"id\":\"q3MxkTz0Rr2mJ7y6o1nWeAA\",\"text\":\"a\"}", "id of 23 characters" },
    { "{\"type\":\"chat\",\"id\":\"q3MxkTz0Rr2mJ7y6o1nWe=\",\"text\":\"a\"}", "id with padding" },
    { "{\"type\":\"chat\",\"id\":\"q3MxkTz0Rr2mJ7y6o1nW+/\",\"text\":\"a\"}", "id in plain base64" },
    { "{\"type\":\"chat\",\"id\":\"q3MxkTz0Rr2mJ7y6o1nWé\",\"text\":\"a\"}", "id not ASCII" },
    { "{\"type\":\"chat\",\"id\":\"q3MxkTz0Rr2mJ7y6o1nW\\u0000A\",\"text\":\"a\"}", "id with U+0000" },
    { "{\"type\":\"chat\",\"id\":\"\",\"text\":\"a\"}", "id empty" },
    { "{\"type\":\"chat\",\"id\":null,\"text\":\"a\"}", "id null" },
    { "{\"type\":\"chat\",\"id\":5,\"text\":\"a\"}", "id a number" },
    { "{\"type\":\"chat\",\"id\":\"" CHAT_ID "\"}", "id without text" },
    { "{\"type\":\"chat\",\"time\":1.5,\"text\":\"a\"}", "time with a fraction" },
    { "{\"type\":\"chat\",\"time\":1e-1,\"text\":\"a\"}", "time a fraction by exponent" },
    { "{\"type\":\"chat\",\"time\":10000000000000001e-1,\"text\":\"a\"}", "time a fraction, 17 digits" },
    { "{\"type\":\"chat\",\"time\":1.00000000000000000001,\"text\":\"a\"}", "time a fraction a double would round" },
    { "{\"type\":\"chat\",\"time\":-1,\"text\":\"a\"}", "time negative" },
    { "{\"type\":\"chat\",\"time\":-1e3,\"text\":\"a\"}", "time negative by exponent" },
    { "{\"type\":\"chat\",\"time\":9007199254740993,\"text\":\"a\"}", "time 2^53 + 1" },
    { "{\"type\":\"chat\",\"time\":1e16,\"text\":\"a\"}", "time 10^16" },
    { "{\"type\":\"chat\",\"time\":1e999999999999,\"text\":\"a\"}", "time with a huge exponent" },
    { "{\"type\":\"chat\",\"time\":18446744073709551617,\"text\":\"a\"}", "time past 2^64" },
    { "{\"type\":\"chat\",\"time\":\"1\",\"text\":\"a\"}", "time a string" },
    { "{\"type\":\"chat\",\"time\":null,\"text\":\"a\"}", "time null" },
    /* chat-ack */
    { "{\"type\":\"chat-ack\"}", "chat-ack without id" },
    { "{\"type\":\"chat-ack\",\"id\":\"short\"}", "chat-ack with a short id" },
    { "{\"type\":\"chat-ack\",\"id\":[\"" CHAT_ID "\"]}", "chat-ack id an array" },
    /* transfer ids, on every type */
    { "{\"type\":\"pause\"}", "pause without transfer" },
    { "{\"type\":\"resume\",\"transfer\":\"Zk1hH3QwR2u8lVbq9sD2x\"}", "resume with a short transfer" },
    { "{\"type\":\"cancel\",\"transfer\":\"Zk1hH3QwR2u8lVbq9sD2x.\"}", "cancel with a bad character" },
    { "{\"type\":\"decline\",\"transfer\":1}", "decline transfer a number" },
    { "{\"type\":\"accept\",\"transfer\":null}", "accept transfer null" },
    { "{\"type\":\"offer\",\"files\":[],\"total\":0}", "offer without transfer" },
    { "{\"type\":\"file-done\",\"file\":0,\"sha256\":\"" H0 "\"}", "file-done without transfer" },
    { "{\"type\":\"file-failed\",\"file\":0}", "file-failed without transfer" },
    { "{\"type\":\"restart\",\"transfer\":\"\",\"file\":0}", "restart with an empty transfer" },
    { "{\"type\":\"resume-state\",\"files\":[]}", "resume-state without transfer" },
    /* offer */
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"total\":0}", "offer without files" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":{},\"total\":0}", "offer files an object" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":null,\"total\":0}", "offer files null" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[]}", "offer without total" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"total\":\"0\"}", "offer total a string" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"total\":1}", "offer total too large" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":2,\"mtime\":0}],\"total\":1}", "offer total too small" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":9007199254740992,\"mtime\":0},{\"path\":\"b\",\"size\":1,\"mtime\":0}],\"total\":9007199254740992}", "offer sum past 2^53" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":9007199254740992,\"mtime\":0},{\"path\":\"b\",\"size\":9007199254740992,\"mtime\":0}],\"total\":0}", "offer sum wrapping past 2^53" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":-1,\"mtime\":0}],\"total\":0}", "offer size negative" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":0.5,\"mtime\":0}],\"total\":0}", "offer size a fraction" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":9007199254740993,\"mtime\":0}],\"total\":9007199254740993}", "offer size past 2^53" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"mtime\":0}],\"total\":0}", "offer file without size" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":0}],\"total\":0}", "offer file without mtime" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":0,\"mtime\":-5}],\"total\":0}", "offer mtime negative" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":0,\"mtime\":1.5}],\"total\":0}", "offer mtime a fraction" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\",\"size\":0,\"mtime\":1e17}],\"total\":0}", "offer mtime past 2^53" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"size\":0,\"mtime\":0}],\"total\":0}", "offer file without path" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"\",\"size\":0,\"mtime\":0}],\"total\":0}", "offer path empty" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":\"a\\u0000b\",\"size\":0,\"mtime\":0}],\"total\":0}", "offer path with U+0000" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[{\"path\":[\"a\"],\"size\":0,\"mtime\":0}],\"total\":0}", "offer path an array" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[\"a\"],\"total\":0}", "offer file a string" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[null],\"total\":0}", "offer file null" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"folders\":\"a\",\"total\":0}", "offer folders a string" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"folders\":null,\"total\":0}", "offer folders null" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"folders\":[\"\"],\"total\":0}", "offer folder empty" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"folders\":[\"a\\u0000\"],\"total\":0}", "offer folder with U+0000" },
    { "{\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":[],\"folders\":[1],\"total\":0}", "offer folder a number" },
    /* accept */
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[0,1,0]}", "accept a file twice" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[1,1e0]}", "accept a file twice, spelt differently" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[-1]}", "accept a negative index" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[0.5]}", "accept a fractional index" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[100000]}", "accept index 100,000" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[\"0\"]}", "accept an index as a string" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[null]}", "accept a null index" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":null}", "accept files null" },
    { "{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":0}", "accept files a number" },
    /* reasons */
    { "{\"type\":\"decline\",\"transfer\":\"" T "\",\"reason\":null}", "decline reason null" },
    { "{\"type\":\"cancel\",\"transfer\":\"" T "\",\"reason\":5}", "cancel reason a number" },
    { "{\"type\":\"cancel\",\"transfer\":\"" T "\",\"reason\":\"a\\u0000\"}", "cancel reason with U+0000" },
    { "{\"type\":\"file-failed\",\"transfer\":\"" T "\",\"file\":0,\"reason\":[]}", "file-failed reason an array" },
    { "{\"type\":\"restart\",\"transfer\":\"" T "\",\"file\":0,\"reason\":{}}", "restart reason an object" },
    /* file indices */
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"sha256\":\"" H0 "\"}", "file-done without file" },
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":-1,\"sha256\":\"" H0 "\"}", "file-done file negative" },
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":100000,\"sha256\":\"" H0 "\"}", "file-done file 100,000" },
    { "{\"type\":\"file-failed\",\"transfer\":\"" T "\",\"file\":1.5}", "file-failed file a fraction" },
    { "{\"type\":\"file-failed\",\"transfer\":\"" T "\"}", "file-failed without file" },
    { "{\"type\":\"restart\",\"transfer\":\"" T "\",\"file\":\"0\"}", "restart file a string" },
    { "{\"type\":\"restart\",\"transfer\":\"" T "\"}", "restart without file" },
    /* SHA-256 digests */
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":0}", "file-done without sha256" },
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":0,\"sha256\":\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"}", "sha256 in uppercase" },
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":0,\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\"}", "sha256 of 63 digits" },
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":0,\"sha256\":\"" H0 "0\"}", "sha256 of 65 digits" },
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":0,\"sha256\":\"g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}", "sha256 not hex" },
    { "{\"type\":\"file-done\",\"transfer\":\"" T "\",\"file\":0,\"sha256\":null}", "sha256 null" },
    /* resume-state */
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\"}", "resume-state without files" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":{}}", "resume-state files an object" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[0]}", "resume-state entry a number" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"have\":0,\"blocks\":[]}]}", "resume-state entry without file" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":100000,\"have\":0,\"blocks\":[]}]}", "resume-state file 100,000" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":1,\"have\":0,\"blocks\":[]},{\"file\":1,\"have\":0,\"blocks\":[]}]}", "resume-state file twice" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"blocks\":[]}]}", "resume-state entry without have" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":0}]}", "resume-state entry without blocks" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":1048575,\"blocks\":[]}]}", "have not a multiple of 1 MiB" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":1048577,\"blocks\":[\"" H0 "\"]}]}", "have one byte past a block" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":1048576,\"blocks\":[]}]}", "have more than the blocks" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":1048576,\"blocks\":[\"" H0 "\",\"" H1 "\"]}]}", "have less than the blocks" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":0,\"blocks\":[\"" H0 "\"]}]}", "have 0 with a block" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":-1048576,\"blocks\":[]}]}", "have negative" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":9007199254740992e1,\"blocks\":[]}]}", "have past 2^53" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":1048576,\"blocks\":[\"" "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"]}]}", "block in uppercase" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":1048576,\"blocks\":[\"abc\"]}]}", "block too short" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":1048576,\"blocks\":[null]}]}", "block null" },
    { "{\"type\":\"resume-state\",\"transfer\":\"" T "\",\"files\":[{\"file\":0,\"have\":0,\"blocks\":{}}]}", "blocks an object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].why);
      parse_error (cases[i].json, -1, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
    }
}

/* Unknown members are ignored in every type, nested objects included, and ids may be escaped. */
static void
test_transfer_unknown_members (void)
{
  g_autoptr(FerryPeerMessage) message = NULL;

  message = parse_ok ("{\"x\":1,\"type\":\"offer\",\"transfer\":\"" T "\",\"files\":"
                      "[{\"path\":\"a\",\"size\":1,\"mtime\":2,\"mode\":420}],\"total\":1,\"y\":[]}", -1);
  g_assert_cmpuint (message->offer.files->len, ==, 1);
  g_clear_pointer (&message, ferry_peer_message_free);
  message = parse_ok ("{\"type\":\"resume-state\",\"transfer\":\"\\u005ak1hH3QwR2u8lVbq9sD2xw\",\"files\":"
                      "[{\"file\":0,\"have\":0,\"blocks\":[],\"z\":null}]}", -1);
  g_assert_cmpstr (message->resume_state.transfer, ==, T);
  g_clear_pointer (&message, ferry_peer_message_free);
  /* The last of duplicate members counts, here too. */
  message = parse_ok ("{\"type\":\"accept\",\"transfer\":\"" T "\",\"files\":[1,1],\"files\":[2]}", -1);
  g_assert_cmpuint (message->accept.files->len, ==, 1);
  g_assert_cmpuint (g_array_index (message->accept.files, guint, 0), ==, 2);
  g_clear_pointer (&message, ferry_peer_message_free);
  /* A reason of 500 bytes after decoding (escapes do not count). */
  {
    g_autoptr(GString) json = g_string_new ("{\"type\":\"decline\",\"transfer\":\"" T "\",\"reason\":\"");

    for (guint i = 0; i < 500; i++)
      g_string_append (json, "\\u0041");
    g_string_append (json, "\"}");
    message = parse_ok (json->str, json->len);
    g_assert_cmpuint (strlen (message->decline.reason), ==, 500);
    g_clear_pointer (&message, ferry_peer_message_free);
    g_string_insert (json, json->len - 2, "A");
    parse_error (json->str, json->len, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
  }
  /* A lone surrogate counts as the three bytes of U+FFFD: 166 of them are 498 bytes, 167 too many. */
  {
    g_autoptr(GString) json = g_string_new ("{\"type\":\"cancel\",\"transfer\":\"" T "\",\"reason\":\"");

    for (guint i = 0; i < 166; i++)
      g_string_append (json, "\\ud800");
    g_string_append (json, "\"}");
    message = parse_ok (json->str, json->len);
    g_assert_cmpuint (strlen (message->cancel.reason), ==, 498);
    g_clear_pointer (&message, ferry_peer_message_free);
    g_string_insert (json, json->len - 2, "\\ud800");
    parse_error (json->str, json->len, FERRY_PEER_MESSAGE_ERROR_MALFORMED);
  }
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
  g_test_add_func ("/peer-message/chat-marks", test_chat_marks);
  g_test_add_func ("/peer-message/numbers", test_numbers);
  g_test_add_func ("/peer-message/offer", test_offer);
  g_test_add_func ("/peer-message/offer-limit", test_offer_limit);
  g_test_add_func ("/peer-message/accept", test_accept);
  g_test_add_func ("/peer-message/reasons", test_reasons);
  g_test_add_func ("/peer-message/file-results", test_file_results);
  g_test_add_func ("/peer-message/resume-state", test_resume_state);
  g_test_add_func ("/peer-message/malformed-transfers", test_malformed_transfers);
  g_test_add_func ("/peer-message/transfer-unknown-members", test_transfer_unknown_members);

  return g_test_run ();
}
