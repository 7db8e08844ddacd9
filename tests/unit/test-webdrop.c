/* test-webdrop.c: WebDrop's room codes, invite links, "same network" room and control messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "ferry-crypto.h"
#include "ferry-room-link.h"
#include "ferry-webdrop.h"

static void
test_invite_links (void)
{
  static const struct {
    const char *text;
    const char *code;
  } good[] = {
    { "https://webdrop.space/#/?room=65d5", "65d5" },
    { "https://WebDrop.Space/#/?room=Ab12", "Ab12" },
    { "HTTPS://WEBDROP.SPACE/#/?room=zzzz", "zzzz" },
    { "http://www.webdrop.space/#/?room=a1b2", "a1b2" },
    { "https://webdrop.space/#/?x=1&room=a1b2", "a1b2" },
    { "webdrop:65d5", "65d5" },
    { "WebDrop:Ab12", "Ab12" },
  };
  static const char *const bad[] = {
    "https://webdrop.space/",
    "https://webdrop.space/#/",
    "https://webdrop.space/#/?room=",
    "https://webdrop.space/#/?room=abc",
    "https://webdrop.space/#/?room=abcde",
    "https://webdrop.space/#/?room=ab%2Fc",
    "https://webdrop.space/#/?room=ab c",
    "webdrop:",
    "webdrop:../a",
    "webdrop:é123",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(FerryRoomLink) link = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *code = NULL;
      g_autofree char *identifier = g_strconcat ("webdrop", good[i].code, NULL);
      guint8 expected[FERRY_INFO_HASH_LEN], info_hash[FERRY_INFO_HASH_LEN];

      g_assert_true (ferry_webdrop_parse_room (good[i].text, &code, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (code, ==, good[i].code);

      /* The join entry and the command line take it: the plain room "webdrop" + CODE. */
      link = ferry_room_link_parse_user_input (good[i].text, &error);
      g_assert_no_error (error);
      g_assert_cmpint (ferry_room_link_get_kind (link), ==, FERRY_ROOM_KIND_PLAIN);
      g_assert_cmpstr (ferry_room_link_get_identifier (link), ==, identifier);
      ferry_room_link_get_info_hash (link, info_hash);
      ferry_info_hash_from_identifier (identifier, expected);
      g_assert_cmpmem (info_hash, sizeof info_hash, expected, sizeof expected);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *code = NULL;

      g_test_message ("%s", bad[i]);
      g_assert_false (ferry_webdrop_parse_room (bad[i], &code, &error));
      g_assert_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_INVALID);
      g_assert_null (code);
      g_clear_error (&error);
      g_assert_null (ferry_room_link_parse_user_input (bad[i], &error));
      g_assert_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_INVALID);
    }

  /* Other text is not WebDrop's: no error, and a plain room name stays one. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *code = NULL;

    g_assert_false (ferry_webdrop_parse_room ("https://example.org/#/?room=65d5", &code, &error));
    g_assert_no_error (error);
    g_assert_false (ferry_webdrop_parse_room ("my room", &code, &error));
    g_assert_no_error (error);
    g_assert_false (ferry_webdrop_parse_room ("ferry://join?v=1&room=a", &code, &error));
    g_assert_no_error (error);
  }
}

static void
test_codes (void)
{
  g_autofree char *code = ferry_webdrop_code_from_identifier ("webdrop65d5");
  g_autofree char *link = ferry_webdrop_invite_link ("65d5");

  g_assert_cmpstr (code, ==, "65d5");
  g_assert_null (ferry_webdrop_code_from_identifier ("webdrop65d"));
  g_assert_null (ferry_webdrop_code_from_identifier ("webdrop65d5x"));
  g_assert_null (ferry_webdrop_code_from_identifier ("webdro65d5"));
  g_assert_null (ferry_webdrop_code_from_identifier ("my room"));
  g_assert_cmpstr (link, ==, "https://webdrop.space/#/?room=65d5");
}

/* WebDrop's hash of the public address, against values computed by its JavaScript. */
static void
test_network_room (void)
{
  static const struct {
    const char *address;
    const char *code;
  } known[] = {
    { "203.0.113.5", "65d5" },
    { "192.168.1.1", "7d6f" },
    { "8.8.8.8", "1142" },
    { "2001:db8::1", "9075" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    {
      g_autofree char *code = ferry_webdrop_network_room_code (known[i].address);

      g_assert_cmpstr (code, ==, known[i].code);
    }
}

static FerryWebdropMessage *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  FerryWebdropMessage *message = ferry_webdrop_message_parse (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
assert_malformed (const char *json)
{
  g_autoptr(GError) error = NULL;

  g_test_message ("%s", json);
  g_assert_null (ferry_webdrop_message_parse (json, strlen (json), &error));
  g_assert_error (error, FERRY_WEBDROP_ERROR, FERRY_WEBDROP_ERROR_MALFORMED);
}

static void
test_messages (void)
{
  g_autoptr(FerryWebdropMessage) init = NULL;
  g_autoptr(FerryWebdropMessage) msg = NULL;
  g_autoptr(FerryWebdropMessage) restored = NULL;
  g_autoptr(FerryWebdropMessage) share = NULL;
  g_autoptr(FerryWebdropMessage) start = NULL;
  g_autoptr(FerryWebdropMessage) built = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *long_name = NULL;
  g_autofree char *json = NULL;

  init = parse ("{\"type\":\"init\",\"name\":\"Linux Chrome120\",\"color\":\"hsla(12,60%,60%,1)\","
                "\"sharesCount\":2,\"msgsCount\":3}");
  g_assert_cmpint (init->type, ==, FERRY_WEBDROP_MESSAGE_INIT);
  g_assert_cmpstr (init->name, ==, "Linux Chrome120");
  g_assert_cmpstr (init->color, ==, "hsla(12,60%,60%,1)");
  g_assert_cmpuint (init->shares_count, ==, 2);
  g_assert_cmpuint (init->msgs_count, ==, 3);

  msg = parse ("{\"type\":\"msg\",\"msg\":\"h\\u00e9llo \\ud83d\\ude00\",\"time\":\"10:15:30 PM\"}");
  g_assert_cmpint (msg->type, ==, FERRY_WEBDROP_MESSAGE_MSG);
  g_assert_cmpstr (msg->text, ==, "héllo 😀");
  g_assert_cmpstr (msg->time, ==, "10:15:30 PM");
  g_assert_null (msg->id);

  restored = parse ("{\"msg\":\"hi\",\"time\":\"1:00:00 AM\",\"name\":\"Ann\",\"color\":\"red\","
                    "\"type\":\"msg\",\"id\":\"0\"}");
  g_assert_cmpstr (restored->name, ==, "Ann");
  g_assert_cmpstr (restored->id, ==, "0");

  share = parse ("{\"shareID\":\"0123456789abcdef0123456789abcdef01234567\",\"name\":\"a.pdf\","
                 "\"size\":12345,\"paused\":false,\"type\":\"newShare\",\"file\":{},\"transfers\":[]}");
  g_assert_cmpint (share->type, ==, FERRY_WEBDROP_MESSAGE_NEW_SHARE);
  g_assert_cmpstr (share->share_id, ==, "0123456789abcdef0123456789abcdef01234567");
  g_assert_cmpstr (share->name, ==, "a.pdf");
  g_assert_cmpuint (share->size, ==, 12345);
  g_assert_false (share->paused);

  start = parse ("{\"type\":\"startSending\",\"shareID\":\"x\"}");
  g_assert_cmpint (start->type, ==, FERRY_WEBDROP_MESSAGE_START_SENDING);
  g_assert_cmpstr (start->share_id, ==, "x");

  {
    g_autoptr(FerryWebdropMessage) m = parse ("{\"type\":\"getMsgs\"}");
    g_assert_cmpint (m->type, ==, FERRY_WEBDROP_MESSAGE_GET_MSGS);
  }

  /* Names are cut, control characters and bidirectional overrides go. */
  long_name = g_strdup_printf ("{\"type\":\"init\",\"name\":\"%0*d\"}", 10000, 0);
  {
    g_autoptr(FerryWebdropMessage) m = parse (long_name);
    g_assert_cmpuint (g_utf8_strlen (m->name, -1), <=, FERRY_WEBDROP_NAME_MAX_CHARS + 1);
  }
  {
    g_autoptr(FerryWebdropMessage) m = parse ("{\"type\":\"init\",\"name\":\"a\\nb\\u202ec\"}");
    g_assert_null (strchr (m->name, '\n'));
    g_assert_null (strstr (m->name, "\u202e"));
  }

  g_assert_null (ferry_webdrop_message_parse ("{\"type\":\"dance\"}", 16, &error));
  g_assert_error (error, FERRY_WEBDROP_ERROR, FERRY_WEBDROP_ERROR_UNKNOWN_TYPE);

  assert_malformed ("null");
  assert_malformed ("[]");
  assert_malformed ("\"init\"");
  assert_malformed ("{");
  assert_malformed ("{}");
  assert_malformed ("{\"type\":1}");
  assert_malformed ("{\"type\":\"init\"}");
  assert_malformed ("{\"type\":\"init\",\"name\":7}");
  assert_malformed ("{\"type\":\"init\",\"name\":\"a\",\"msgsCount\":-1}");
  assert_malformed ("{\"type\":\"init\",\"name\":\"a\",\"msgsCount\":1.5}");
  assert_malformed ("{\"type\":\"init\",\"name\":\"a\",\"msgsCount\":\"3\"}");
  assert_malformed ("{\"type\":\"init\",\"name\":\"a\",\"msgsCount\":1e300}");
  assert_malformed ("{\"type\":\"msg\"}");
  assert_malformed ("{\"type\":\"msg\",\"msg\":{\"a\":1}}");
  assert_malformed ("{\"type\":\"newShare\",\"shareID\":\"x\",\"name\":\"a\"}");
  assert_malformed ("{\"type\":\"newShare\",\"shareID\":\"x\",\"name\":\"a\",\"size\":-5}");
  assert_malformed ("{\"type\":\"startSending\"}");

  /* What we send: the fields WebDrop reads, and JSON that JSON.parse () takes. */
  built = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_INIT);
  built->name = g_strdup ("Sam\x1f");
  built->color = g_strdup ("hsla(1,60%,60%,1)");
  built->msgs_count = 2;
  json = ferry_webdrop_message_to_json (built);
  g_assert_cmpstr (json, ==, "{\"type\":\"init\",\"name\":\"Sam\\u001f\",\"color\":\"hsla(1,60%,60%,1)\","
                             "\"sharesCount\":0,\"msgsCount\":2}");
}

static FerryWebdropMessage *
parse_signal (const char *json)
{
  g_autoptr(GError) error = NULL;
  FerryWebdropMessage *message = ferry_webdrop_signal_parse (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_assert_cmpint (message->type, ==, FERRY_WEBDROP_MESSAGE_FILE_SIGNAL);
  return message;
}

/* The raw JSON of simple-peer-files: {fileID, start?, signal}, descriptions and candidates in
 * simple-peer 9's form and in later ones'. */
static void
test_file_signals (void)
{
  g_autoptr(FerryWebdropMessage) offer = NULL;
  g_autoptr(FerryWebdropMessage) candidate = NULL;
  g_autoptr(FerryWebdropMessage) typed = NULL;
  g_autoptr(FerryWebdropMessage) built = NULL;
  g_autofree char *json = NULL;
  const char *bad[] = {
    "null", "[]", "{}", "{\"fileID\":\"x\"}", "{\"fileID\":7,\"signal\":{}}",
    "{\"fileID\":\"x\",\"signal\":\"offer\"}", "{\"fileID\":\"x\",\"signal\":{}}",
    "{\"fileID\":\"x\",\"signal\":{\"type\":\"pranswer\",\"sdp\":\"v=0\"}}",
    "{\"fileID\":\"x\",\"signal\":{\"sdp\":\"v=0\"}}",
    "{\"fileID\":\"x\",\"start\":-1,\"signal\":{\"type\":\"answer\",\"sdp\":\"v=0\"}}",
    "{\"fileID\":\"x\",\"signal\":{\"candidate\":{\"sdpMid\":\"0\"}}}",
    "{\"fileID\":\"x\",\"signal\":{\"candidate\":\"candidate:1\"}}",
  };

  offer = parse_signal ("{\"fileID\":\"ab\",\"signal\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\ns=-\\r\\n\"}}");
  g_assert_cmpstr (offer->share_id, ==, "ab");
  g_assert_false (offer->has_start);
  g_assert_cmpstr (offer->sdp_type, ==, "offer");
  g_assert_cmpstr (offer->sdp, ==, "v=0\r\ns=-\r\n");
  g_assert_null (offer->candidate);

  candidate = parse_signal ("{\"fileID\":\"ab\",\"start\":65536,\"signal\":{\"candidate\":"
                            "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5000 typ host\","
                            "\"sdpMLineIndex\":0,\"sdpMid\":\"0\"}}}");
  g_assert_true (candidate->has_start);
  g_assert_cmpuint (candidate->start, ==, 65536);
  g_assert_cmpstr (candidate->candidate, ==, "candidate:1 1 udp 1 10.0.0.1 5000 typ host");
  g_assert_null (candidate->sdp);

  typed = parse_signal ("{\"fileID\":\"ab\",\"signal\":{\"type\":\"candidate\",\"candidate\":"
                        "{\"candidate\":\"\",\"sdpMid\":\"0\"}}}");
  g_assert_cmpstr (typed->candidate, ==, "");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (ferry_webdrop_signal_parse (bad[i], strlen (bad[i]), &error));
      g_assert_error (error, FERRY_WEBDROP_ERROR, FERRY_WEBDROP_ERROR_MALFORMED);
    }

  /* What we send: the receiver says where to start; candidates as simple-peer 9 sends them. */
  built = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_FILE_SIGNAL);
  built->share_id = g_strdup ("ab");
  built->has_start = TRUE;
  built->start = 7;
  built->candidate = g_strdup ("candidate:1 1 udp 1 10.0.0.1 5000 typ host");
  json = ferry_webdrop_message_to_json (built);
  g_assert_cmpstr (json, ==, "{\"fileID\":\"ab\",\"start\":7,\"signal\":{\"candidate\":"
                             "{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 5000 typ host\","
                             "\"sdpMLineIndex\":0,\"sdpMid\":\"0\"}}}");
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&built->candidate, g_free);
  built->has_start = FALSE;
  built->sdp_type = g_strdup ("offer");
  built->sdp = g_strdup ("v=0\r\n");
  json = ferry_webdrop_message_to_json (built);
  g_assert_cmpstr (json, ==, "{\"fileID\":\"ab\",\"signal\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\"}}");
}

static void
test_time (void)
{
  g_autofree char *text = ferry_webdrop_format_time (1700000000000);
  g_autoptr(GRegex) shape = g_regex_new ("^[0-9]{1,2}:[0-9]{2}:[0-9]{2} (AM|PM)$", 0, 0, NULL);
  g_autofree char *color = ferry_webdrop_color_for ("Sam");

  g_assert_true (g_regex_match (shape, text, 0, NULL));
  g_assert_true (g_str_has_prefix (color, "hsla("));
  g_assert_true (g_str_has_suffix (color, ",60%,60%,1)"));
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LC_ALL", "C", TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/webdrop/invite-links", test_invite_links);
  g_test_add_func ("/webdrop/codes", test_codes);
  g_test_add_func ("/webdrop/network-room", test_network_room);
  g_test_add_func ("/webdrop/messages", test_messages);
  g_test_add_func ("/webdrop/file-signals", test_file_signals);
  g_test_add_func ("/webdrop/time", test_time);

  return g_test_run ();
}
