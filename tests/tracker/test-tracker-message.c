/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-bin20.h"
#include "ferry-text.h"
#include "ferry-tracker-client.h"
#include "ferry-tracker-message.h"

/* SHA-1 ("webdrop65d5"), WebDrop's room for code 65d5, as captured from bittorrent-tracker
 * 11.2.3 (docs/INTEROP.md, "Reference captures"). */
static const guint8 webdrop_hash[20] = {
  0x83, 0xfa, 0x57, 0x17, 0xce, 0xa9, 0x5e, 0x55, 0x18, 0x97,
  0x4b, 0x4c, 0x34, 0x4f, 0x1c, 0x76, 0xae, 0x8f, 0x1e, 0x38,
};
static const char webdrop_wire[] =
  "\"\xc2\x83\xc3\xba" "W\\u0017\xc3\x8e\xc2\xa9^U\\u0018\xc2\x97KL4O\\u001cv\xc2\xae\xc2\x8f"
  "\\u001e8\"";

/* Ids with the bytes that need care: 0x00 (json-glib cuts there), 0x7F (raw, not \u007f), the
 * JSON escapes and both halves of Latin-1. */
static const guint8 peer_a[20] = {
  0x00, 0x7f, 0x22, 0x5c, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f,
  0x2f, 0x80, 0xff, 'A', 'B', 0x00, 0x01, 0x7e, 0xc3, 0xa9,
};
static const guint8 peer_b[20] = {
  'B', 0x00, 0x00, 0x7f, 0x7f, 0x10, 0x20, 0x30, 0x40, 0x50,
  0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x00,
};
static const guint8 offer_x[20] = {
  0x7f, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
  0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x7f, 0x01,
};

/* Captured from libwebrtc M106 via node @roamhq/wrtc (an offer made by P2PT 1.6.2); see
 * docs/INTEROP.md, "Reference captures". */
static const char offer_sdp[] =
  "v=0\r\n"
  "o=- 3703429459490841177 2 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0\r\n"
  "a=extmap-allow-mixed\r\n"
  "a=msid-semantic: WMS\r\n"
  "m=application 54946 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 192.0.2.2\r\n"
  "a=candidate:3077952869 1 udp 2122265343 fd00::2 52549 typ host generation 0 network-id 2\r\n"
  "a=candidate:3229573512 1 udp 2122194687 192.0.2.2 54946 typ host generation 0 network-id 1\r\n"
  "a=candidate:559267639 1 udp 2122136831 ::1 47343 typ host generation 0 network-id 4\r\n"
  "a=candidate:1510613869 1 udp 2122063615 127.0.0.1 37049 typ host generation 0 network-id 3\r\n"
  "a=candidate:4193659285 1 tcp 1518285567 fd00::2 38051 typ host tcptype passive generation 0 network-id 2\r\n"
  "a=candidate:2398920056 1 tcp 1518214911 192.0.2.2 50661 typ host tcptype passive generation 0 network-id 1\r\n"
  "a=candidate:1876313031 1 tcp 1518157055 ::1 45043 typ host tcptype passive generation 0 network-id 4\r\n"
  "a=candidate:344579997 1 tcp 1518083839 127.0.0.1 41745 typ host tcptype passive generation 0 network-id 3\r\n"
  "a=ice-ufrag:j81P\r\n"
  "a=ice-pwd:kfr+h/PXO10QpFvz7ltRuUrF\r\n"
  "a=fingerprint:sha-256 10:99:50:8D:98:14:14:6E:2A:2E:5F:61:1A:70:56:BE:01:89:1B:DA:84:77:4B:9D:18:72:0C:91:7E:17:88:BD\r\n"
  "a=setup:actpass\r\n"
  "a=mid:0\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:262144\r\n";

static FerryTrackerMessage *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  FerryTrackerMessage *message = ferry_tracker_message_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
assert_parse_error (const char *text,
                    gsize       len,
                    int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryTrackerMessage) message = ferry_tracker_message_parse (text, len, &error);

  if (message != NULL)
    g_error ("accepted: %.200s", text);
  g_assert_error (error, FERRY_TRACKER_MESSAGE_ERROR, code);
}

static char *
json_id (const guint8 id[20])
{
  return ferry_bin20_to_json (id);
}

static void
test_captured_response (void)
{
  g_autofree char *text = g_strconcat ("{\"complete\":0,\"incomplete\":1,\"action\":\"announce\","
                                       "\"interval\":120,\"info_hash\":", webdrop_wire, "}", NULL);
  g_autoptr(FerryTrackerMessage) message = parse_ok (text);

  g_assert_cmpuint (strlen (text), ==, 126);
  g_assert_cmpint (message->action, ==, FERRY_TRACKER_ACTION_ANNOUNCE);
  g_assert_true (message->has_info_hash);
  g_assert_cmpmem (message->info_hash, 20, webdrop_hash, 20);
  g_assert_false (message->has_peer_id);
  g_assert_cmpint (message->complete, ==, 0);
  g_assert_cmpint (message->incomplete, ==, 1);
  g_assert_cmpint (message->interval, ==, 120);
  g_assert_cmpint (message->min_interval, ==, -1);
  g_assert_null (message->offer_sdp);
  g_assert_null (message->failure_reason);
}

static void
test_relayed_offer_and_answer (void)
{
  g_autofree char *a = json_id (peer_a);
  g_autofree char *x = json_id (offer_x);
  GString *sdp_json = g_string_new (NULL);
  g_autofree char *offer = NULL;
  g_autofree char *answer = NULL;
  g_autoptr(FerryTrackerMessage) m1 = NULL;
  g_autoptr(FerryTrackerMessage) m2 = NULL;

  /* bittorrent-tracker's relay shapes (docs/INTEROP.md, "Reference captures"). */
  g_string_append (sdp_json, "\"");
  for (const char *p = offer_sdp; *p; p++)
    if (*p == '\r')
      g_string_append (sdp_json, "\\r");
    else if (*p == '\n')
      g_string_append (sdp_json, "\\n");
    else
      g_string_append_c (sdp_json, *p);
  g_string_append (sdp_json, "\"");

  offer = g_strdup_printf ("{\"action\":\"announce\",\"offer\":{\"type\":\"offer\",\"sdp\":%s},"
                           "\"offer_id\":%s,\"peer_id\":%s,\"info_hash\":%s}",
                           sdp_json->str, x, a, webdrop_wire);
  m1 = parse_ok (offer);
  g_assert_cmpstr (m1->offer_sdp, ==, offer_sdp);
  g_assert_true (m1->has_offer_id && m1->has_peer_id && m1->has_info_hash);
  g_assert_cmpmem (m1->offer_id, 20, offer_x, 20);
  g_assert_cmpmem (m1->peer_id, 20, peer_a, 20);
  g_assert_null (m1->answer_sdp);
  g_assert_null (m1->offers);

  answer = g_strdup_printf ("{\"action\":\"announce\",\"answer\":{\"type\":\"answer\",\"sdp\":%s},"
                            "\"offer_id\":%s,\"peer_id\":%s,\"info_hash\":%s}",
                            sdp_json->str, x, a, webdrop_wire);
  m2 = parse_ok (answer);
  g_assert_cmpstr (m2->answer_sdp, ==, offer_sdp);
  g_assert_null (m2->offer_sdp);
  g_assert_cmpmem (m2->offer_id, 20, offer_x, 20);
  g_string_free (sdp_json, TRUE);
}

static void
test_failures (void)
{
  g_autoptr(FerryTrackerMessage) bare = parse_ok ("{\"failure reason\":\"invalid info_hash\"}");
  g_autofree char *logical_text = g_strconcat ("{\"action\":\"announce\",\"failure reason\":"
                                               "\"Could not find the offer\",\"info_hash\":",
                                               webdrop_wire, "}", NULL);
  g_autoptr(FerryTrackerMessage) logical = parse_ok (logical_text);
  g_autoptr(FerryTrackerMessage) warning = parse_ok ("{\"action\":\"announce\",\"warning message\":"
                                                     "\"slow down\",\"tracker id\":\"t1\"}");

  /* bittorrent-tracker and aquatic send bare failures without action or info_hash
   * (docs/INTEROP.md, "Failures and warnings"). */
  g_assert_cmpint (bare->action, ==, FERRY_TRACKER_ACTION_NONE);
  g_assert_false (bare->has_info_hash);
  g_assert_cmpstr (bare->failure_reason, ==, "invalid info_hash");

  g_assert_cmpint (logical->action, ==, FERRY_TRACKER_ACTION_ANNOUNCE);
  g_assert_true (logical->has_info_hash);
  g_assert_cmpstr (logical->failure_reason, ==, "Could not find the offer");

  g_assert_cmpstr (warning->warning_message, ==, "slow down");
  g_assert_cmpstr (warning->tracker_id, ==, "t1");
}

static void
test_nulls_and_empty_ids (void)
{
  /* JSON null is absent; "" is falsy in JavaScript (openwebtorrent relays it; docs/INTEROP.md,
   * "What we read and drop"). */
  g_autoptr(FerryTrackerMessage) m = parse_ok ("{\"action\":\"announce\",\"info_hash\":null,"
                                               "\"peer_id\":\"\",\"complete\":null,"
                                               "\"offer\":null,\"failure reason\":null,"
                                               "\"interval\":1.9e1,\"min interval\":1e999}");

  g_assert_false (m->has_info_hash);
  g_assert_false (m->has_peer_id);
  g_assert_cmpint (m->complete, ==, -1);
  g_assert_null (m->offer_sdp);
  g_assert_null (m->failure_reason);
  g_assert_cmpint (m->interval, ==, 19);
  g_assert_cmpint (m->min_interval, ==, G_MAXINT32);
}

static void
test_id_escapes (void)
{
  /* Every escaping of the same id decodes to the same bytes; 0x7F raw or escaped. */
  g_autoptr(FerryTrackerMessage) m =
    parse_ok ("{\"action\":\"announce\",\"peer_id\":"
              "\"\\u0000\\u007F\\\"\\\\\\b\\t\\n\\f\\r\\u001f\\/\xc2\x80\xc3\xbf" "AB\\u0000\\u0001~\xc3\x83\xc2\xa9\"}");

  g_assert_true (m->has_peer_id);
  g_assert_cmpmem (m->peer_id, 20, peer_a, 20);
}

static void
test_malformed (void)
{
  g_autofree char *big_sdp = g_strnfill (FERRY_TRACKER_MESSAGE_MAX_SDP + 1, 'a');
  g_autofree char *too_big_sdp = g_strdup_printf ("{\"action\":\"announce\",\"offer\":"
                                                  "{\"type\":\"offer\",\"sdp\":\"%s\"}}", big_sdp);
  g_autofree char *huge = g_strnfill (FERRY_TRACKER_MESSAGE_MAX_INCOMING + 1, ' ');
  g_autofree char *deep = NULL;
  GString *nest = g_string_new (NULL);
  const char *syntax[] = {
    "", "not json", "{", "{\"action\":\"announce\"", "{\"a\":1,}", "{'a':1}", "{\"a\":01}",
    "{\"a\":1} x", "{\"a\":\"\\x\"}", "{\"a\":tru}", "{\"a\":\"\n\"}", "NaN",
  };
  const char *invalid[] = {
    "[1,2,3]", "\"announce\"", "42", "null", "true",
    "{\"action\":5}",
    "{\"action\":[\"announce\"]}",
    "{\"action\":\"announce\",\"info_hash\":5}",
    "{\"action\":\"announce\",\"info_hash\":\"0123456789012345678\"}",    /* 19 */
    "{\"action\":\"announce\",\"info_hash\":\"012345678901234567890\"}",  /* 21 */
    "{\"action\":\"announce\",\"info_hash\":\"0123456789012345678\xc4\x80\"}",  /* U+0100 */
    "{\"action\":\"announce\",\"peer_id\":\"0123456789012345678\\u0100\"}",
    "{\"action\":\"announce\",\"offer_id\":\"0123456789abcdef0123456789abcdef01234567\"}", /* hex */
    "{\"action\":\"announce\",\"to_peer_id\":{}}",
    "{\"action\":\"announce\",\"peer_id\":\"\\ud83d\\ude00012345678901234567\"}",
    "{\"action\":\"announce\",\"interval\":\"120\"}",
    "{\"action\":\"announce\",\"interval\":-1}",
    "{\"action\":\"announce\",\"complete\":true}",
    "{\"action\":\"announce\",\"incomplete\":[]}",
    "{\"action\":\"announce\",\"numwant\":-0.5}",
    "{\"action\":\"announce\",\"offer\":\"v=0\"}",
    "{\"action\":\"announce\",\"offer\":{\"sdp\":\"v=0\"}}",
    "{\"action\":\"announce\",\"offer\":{\"type\":\"answer\",\"sdp\":\"v=0\"}}",
    "{\"action\":\"announce\",\"offer\":{\"type\":\"offer\",\"sdp\":5}}",
    "{\"action\":\"announce\",\"answer\":{\"type\":\"answer\"}}",
    "{\"action\":\"announce\",\"offers\":{}}",
    "{\"action\":\"announce\",\"offers\":[5]}",
    "{\"action\":\"announce\",\"offers\":[{\"offer\":{\"type\":\"offer\",\"sdp\":\"x\"}}]}",
    "{\"action\":\"announce\",\"offers\":[{\"offer_id\":\"01234567890123456789\"}]}",
    "{\"action\":\"announce\",\"failure reason\":{\"x\":1}}",
    "{\"action\":\"announce\",\"warning message\":7}",
    "{\"action\":\"announce\",\"tracker id\":7}",
    "{\"action\":\"announce\",\"event\":false}",
    /* Lone surrogates: valid JSON, but json-glib 1.6 refuses them or makes invalid UTF-8. */
    "{\"a\":\"\\ud800\"}",
    "{\"a\":\"\\ud800\\u0041\"}",
    "{\"a\\udc00\":1}",
    "{\"action\":\"announce\",\"failure reason\":\"x\\udc00y\"}",
    "{\"action\":\"announce\",\"offer\":{\"type\":\"offer\",\"sdp\":\"v\\udfffw\"}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (syntax); i++)
    assert_parse_error (syntax[i], strlen (syntax[i]), FERRY_TRACKER_MESSAGE_ERROR_SYNTAX);
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    assert_parse_error (invalid[i], strlen (invalid[i]), FERRY_TRACKER_MESSAGE_ERROR_INVALID);

  /* Bytes that are not UTF-8, and a NUL byte outside any string. */
  assert_parse_error ("{\"a\":\"\xff\"}", 9, FERRY_TRACKER_MESSAGE_ERROR_SYNTAX);
  assert_parse_error ("{\"a\":1}\0", 8, FERRY_TRACKER_MESSAGE_ERROR_SYNTAX);

  /* json-glib 1.6 would recurse 60 000 deep; our scanner refuses first. */
  for (guint i = 0; i < 60000; i++)
    g_string_append_c (nest, '[');
  for (guint i = 0; i < 60000; i++)
    g_string_append_c (nest, ']');
  deep = g_string_free (nest, FALSE);
  assert_parse_error (deep, strlen (deep), FERRY_TRACKER_MESSAGE_ERROR_SYNTAX);

  assert_parse_error (too_big_sdp, strlen (too_big_sdp), FERRY_TRACKER_MESSAGE_ERROR_TOO_LARGE);
  assert_parse_error (huge, strlen (huge), FERRY_TRACKER_MESSAGE_ERROR_TOO_LARGE);
}

static void
test_other_actions (void)
{
  g_autoptr(FerryTrackerMessage) scrape =
    parse_ok ("{\"action\":\"scrape\",\"info_hash\":[\"a\",\"b\"],\"files\":{}}");
  g_autoptr(FerryTrackerMessage) other = parse_ok ("{\"action\":\"Announce\"}");

  g_assert_cmpint (scrape->action, ==, FERRY_TRACKER_ACTION_SCRAPE);
  g_assert_false (scrape->has_info_hash);
  g_assert_cmpint (other->action, ==, FERRY_TRACKER_ACTION_OTHER);
}

static void
test_build_announce (void)
{
  FerryTrackerMessageOffer offers[2] = {
    { .sdp = (char *) "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" },
    { .sdp = (char *) "a \"quoted\" \\ \x7f é 😀" },
  };
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *h = json_id (webdrop_hash);
  g_autofree char *a = json_id (peer_a);
  g_autofree char *x = json_id (offer_x);
  g_autofree char *b = json_id (peer_b);
  g_autoptr(FerryTrackerMessage) m = NULL;

  memcpy (offers[0].offer_id, offer_x, 20);
  memcpy (offers[1].offer_id, peer_b, 20);
  text = ferry_tracker_message_build_announce (webdrop_hash, peer_a, NULL, offers, 2);
  expected = g_strdup_printf ("{\"numwant\":2,\"uploaded\":0,\"downloaded\":0,\"action\":\"announce\","
                              "\"info_hash\":%s,\"peer_id\":%s,\"offers\":["
                              "{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n\"},"
                              "\"offer_id\":%s},"
                              "{\"offer\":{\"type\":\"offer\",\"sdp\":\"a \\\"quoted\\\" \\\\ \x7f é 😀\"},"
                              "\"offer_id\":%s}]}", h, a, x, b);
  g_assert_cmpstr (text, ==, expected);
  /* The wire form of peer_a, as JSON.stringify writes it (checked against node in the client
   * tests): 0x7F raw, the short escapes, \u00xx in lower case, Latin-1 as UTF-8. */
  g_assert_cmpstr (a, ==, "\"\\u0000\x7f\\\"\\\\\\b\\t\\n\\f\\r\\u001f/\xc2\x80\xc3\xbf"
                          "AB\\u0000\\u0001~\xc3\x83\xc2\xa9\"");

  m = parse_ok (text);
  g_assert_cmpint (m->numwant, ==, 2);
  g_assert_null (m->event);
  g_assert_nonnull (m->offers);
  g_assert_cmpuint (m->offers->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      FerryTrackerMessageOffer *o = g_ptr_array_index (m->offers, i);

      g_assert_cmpstr (o->sdp, ==, offers[i].sdp);
      g_assert_cmpmem (o->offer_id, 20, offers[i].offer_id, 20);
    }
  g_assert_cmpmem (m->peer_id, 20, peer_a, 20);
  g_assert_cmpmem (m->info_hash, 20, webdrop_hash, 20);

  /* No offers: still a valid announce, numwant 0; a tracker id is echoed as "trackerid". */
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&expected, g_free);
  text = ferry_tracker_message_build_announce (webdrop_hash, peer_a, "t-1", NULL, 0);
  expected = g_strdup_printf ("{\"numwant\":0,\"uploaded\":0,\"downloaded\":0,\"action\":\"announce\","
                              "\"info_hash\":%s,\"peer_id\":%s,\"trackerid\":\"t-1\",\"offers\":[]}",
                              h, a);
  g_assert_cmpstr (text, ==, expected);
}

static void
test_build_answer_and_stopped (void)
{
  g_autofree char *h = json_id (webdrop_hash);
  g_autofree char *a = json_id (peer_a);
  g_autofree char *b = json_id (peer_b);
  g_autofree char *x = json_id (offer_x);
  g_autofree char *answer = ferry_tracker_message_build_answer (webdrop_hash, peer_a, peer_b,
                                                                offer_x, "v=0\r\n", NULL);
  g_autofree char *answer_tid = ferry_tracker_message_build_answer (webdrop_hash, peer_a, peer_b,
                                                                    offer_x, "v=0\r\n", "T");
  g_autofree char *stopped = ferry_tracker_message_build_stopped (webdrop_hash, peer_a, NULL);
  g_autofree char *expected = NULL;
  g_autoptr(FerryTrackerMessage) m = NULL;
  g_autoptr(FerryTrackerMessage) s = NULL;

  expected = g_strdup_printf ("{\"action\":\"announce\",\"info_hash\":%s,\"peer_id\":%s,"
                              "\"to_peer_id\":%s,\"answer\":{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"},"
                              "\"offer_id\":%s}", h, a, b, x);
  g_assert_cmpstr (answer, ==, expected);
  g_assert_true (g_str_has_suffix (answer_tid, ",\"trackerid\":\"T\"}"));

  m = parse_ok (answer);
  g_assert_true (m->has_to_peer_id);
  g_assert_cmpmem (m->to_peer_id, 20, peer_b, 20);
  g_assert_cmpmem (m->offer_id, 20, offer_x, 20);
  g_assert_cmpstr (m->answer_sdp, ==, "v=0\r\n");
  g_assert_cmpint (m->numwant, ==, -1);
  g_assert_null (m->offers);

  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("{\"numwant\":0,\"uploaded\":0,\"downloaded\":0,\"event\":\"stopped\","
                              "\"action\":\"announce\",\"info_hash\":%s,\"peer_id\":%s}", h, a);
  g_assert_cmpstr (stopped, ==, expected);
  s = parse_ok (stopped);
  g_assert_cmpstr (s->event, ==, "stopped");
  g_assert_null (s->offers);
}

/* Five typical offers stay well under 16 KiB (the capture had 11,280 bytes); longer SDPs make the
 * client send fewer (ferry_tracker_client_announce () drops from the end). */
static void
test_sizes (void)
{
  FerryTrackerMessageOffer offers[5];
  g_autofree char *text = NULL;
  g_autofree char *big = NULL;

  for (guint i = 0; i < 5; i++)
    {
      memset (offers[i].offer_id, i, 20);
      offers[i].sdp = (char *) offer_sdp;
    }
  text = ferry_tracker_message_build_announce (webdrop_hash, peer_a, NULL, offers, 5);
  g_test_message ("5 offers of %" G_GSIZE_FORMAT " bytes: announce of %" G_GSIZE_FORMAT " bytes",
                  strlen (offer_sdp), strlen (text));
  g_assert_cmpuint (strlen (text), <, FERRY_TRACKER_MAX_MESSAGE);

  /* 2914-byte SDPs (the capture's largest): 5 still fit, barely. */
  big = g_strnfill (2914, 'x');
  for (guint i = 0; i < 5; i++)
    offers[i].sdp = big;
  g_clear_pointer (&text, g_free);
  text = ferry_tracker_message_build_announce (webdrop_hash, peer_a, NULL, offers, 5);
  g_test_message ("5 offers of 2914 bytes: announce of %" G_GSIZE_FORMAT " bytes", strlen (text));
  g_assert_cmpuint (strlen (text), <=, FERRY_TRACKER_MAX_MESSAGE);
}

static void
test_offer_struct (void)
{
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
  FerryTrackerOffer *a = ferry_tracker_offer_new ("v=0", object);
  FerryTrackerOffer *b = ferry_tracker_offer_new (NULL, NULL);

  g_assert_cmpstr (a->sdp, ==, "v=0");
  g_assert_true (a->object == object);
  g_assert_null (b->sdp);
  g_assert_null (b->object);
  /* Random ids. */
  g_assert_false (memcmp (a->offer_id, b->offer_id, 20) == 0);
  ferry_tracker_offer_free (a);
  ferry_tracker_offer_free (b);
  ferry_tracker_offer_free (NULL);
}

/* ferry_text_sanitize_line () as the tracker client shows tracker text (control characters
 * become spaces, a cut ends in "…") and as hellos keep names (dropped, cut silently). */
static void
test_shown_text (void)
{
  const FerryTextLineFlags shown = FERRY_TEXT_LINE_SPACES | FERRY_TEXT_LINE_ELLIPSIS;
  g_autofree char *long_text = g_strnfill (300, 'r');
  const struct {
    const char         *text;
    gsize               max;
    FerryTextLineFlags  flags;
    const char         *expected;
  } cases[] = {
    { "be\nnice", 200, shown, "be nice" },
    { "be\nnice", 200, FERRY_TEXT_LINE_DEFAULT, "benice" },
    { "\x07tab\there", 200, shown, " tab here" },
    { "a\xe2\x80\xa8" "b\xe2\x80\xae" "c\xe2\x81\xa6" "d", 200, shown, "a b c d" },
    { "a\xe2\x80\xa8" "b\xe2\x80\xae" "c\xe2\x81\xa6" "d", 200, FERRY_TEXT_LINE_DEFAULT, "abcd" },
    { "caf\xc3\xa9 \xff!", 200, FERRY_TEXT_LINE_DEFAULT, "caf\xc3\xa9 \xef\xbf\xbd!" },
    { "ab\xc3\xa9", 3, shown, "ab…" },
    { "ab\xc3\xa9", 3, FERRY_TEXT_LINE_DEFAULT, "ab" },
    { "ab\xc3\xa9", 4, shown, "ab\xc3\xa9" },
    { "abc\n", 3, FERRY_TEXT_LINE_ELLIPSIS, "abc" },
    { "", 0, shown, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = ferry_text_sanitize_line (cases[i].text, cases[i].max, cases[i].flags);

      g_assert_cmpstr (out, ==, cases[i].expected);
    }

  {
    g_autofree char *out = ferry_text_sanitize_line (long_text, 200, shown);

    g_assert_cmpuint (strlen (out), ==, 200 + strlen ("…"));
    g_assert_true (g_str_has_suffix (out, "r…"));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tracker-message/captured-response", test_captured_response);
  g_test_add_func ("/tracker-message/relayed-offer-and-answer", test_relayed_offer_and_answer);
  g_test_add_func ("/tracker-message/failures", test_failures);
  g_test_add_func ("/tracker-message/nulls-and-empty-ids", test_nulls_and_empty_ids);
  g_test_add_func ("/tracker-message/id-escapes", test_id_escapes);
  g_test_add_func ("/tracker-message/malformed", test_malformed);
  g_test_add_func ("/tracker-message/other-actions", test_other_actions);
  g_test_add_func ("/tracker-message/build-announce", test_build_announce);
  g_test_add_func ("/tracker-message/build-answer-and-stopped", test_build_answer_and_stopped);
  g_test_add_func ("/tracker-message/sizes", test_sizes);
  g_test_add_func ("/tracker-message/offer-struct", test_offer_struct);
  g_test_add_func ("/tracker-message/shown-text", test_shown_text);

  return g_test_run ();
}
