/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-json.h"

static GArray *
decode (const char *text,
        GError    **error)
{
  const char *p = text;
  return ferry_json_string_decode (&p, text + strlen (text), error);
}

static void
test_decode_escapes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) units = decode ("\"a\\u00E9\\/\\n\\ud83d\\ude00\\ud83d\"", &error);
  const gunichar2 expected[] = { 'a', 0xe9, '/', '\n', 0xd83d, 0xde00, 0xd83d };

  g_assert_no_error (error);
  g_assert_cmpmem (units->data, units->len * 2, expected, sizeof expected);
}

static void
test_decode_raw_utf8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) units = decode ("\"é€😀\x7f\"", &error);
  const gunichar2 expected[] = { 0xe9, 0x20ac, 0xd83d, 0xde00, 0x7f };

  g_assert_no_error (error);
  g_assert_cmpmem (units->data, units->len * 2, expected, sizeof expected);
}

static void
test_decode_malformed (void)
{
  const char *bad[] = {
    "abc", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"a\nb\"", "\"\xff\"",
    "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\\", "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) units = decode (bad[i], &error);

      g_assert_null (units);
      g_assert_error (error, FERRY_JSON_ERROR, error->code);
    }
}

static void
test_encode_like_javascript (void)
{
  /* JSON.stringify(String.fromCharCode(0,8,9,10,12,13,0x1f,0x22,0x2f,0x5c,0x7f,0x80,0xff)),
   * verified with node 20 (docs/INTEROP.md, "What JSON.stringify writes"). */
  const gunichar2 units[] = { 0, 8, 9, 10, 12, 13, 0x1f, 0x22, 0x2f, 0x5c, 0x7f, 0x80, 0xff };
  const char expected[] = "\"\\u0000\\b\\t\\n\\f\\r\\u001f\\\"/\\\\\x7f\xc2\x80\xc3\xbf\"";
  g_autoptr(GString) out = g_string_new (NULL);

  ferry_json_append_utf16 (out, units, G_N_ELEMENTS (units));
  g_assert_cmpstr (out->str, ==, expected);
}

static void
test_encode_surrogates (void)
{
  const gunichar2 units[] = { 'a', 0xd83d, 0xde00, 0xd83d, '!', 0xde00 };
  g_autoptr(GString) out = g_string_new (NULL);

  ferry_json_append_utf16 (out, units, G_N_ELEMENTS (units));
  g_assert_cmpstr (out->str, ==, "\"a😀\\ud83d!\\ude00\"");
}

static void
test_utf16_roundtrip (void)
{
  const char *text = "héllo 😀 wörld\x01";
  g_autoptr(GArray) units = ferry_utf8_to_utf16 (text, -1);
  gsize len;
  g_autofree char *back = ferry_utf16_to_utf8 ((gunichar2 *) units->data, units->len, &len);
  const gunichar2 lone[] = { 'x', 0xd83d };
  g_autofree char *replaced = ferry_utf16_to_utf8 (lone, 2, NULL);

  g_assert_cmpuint (units->len, ==, 15);
  g_assert_cmpstr (back, ==, text);
  g_assert_cmpuint (len, ==, strlen (text));
  g_assert_cmpstr (replaced, ==, "x\xef\xbf\xbd");
}

static void
test_find_member (void)
{
  const char *json = " { \"a\" : [1, {\"info_hash\": 2}, \"x\"], \"n\": -1.5e+3, \"t\": true,"
                     " \"info_hash\" : \"\\u0000z\" , \"o\": {}, \"e\": []} ";
  g_autoptr(GError) error = NULL;
  const char *value, *value_end;

  g_assert_true (ferry_json_object_find_member (json, strlen (json), "info_hash", &value,
                                                &value_end, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value_end - value, ==, 9);
  g_assert_cmpmem (value, 9, "\"\\u0000z\"", 9);

  g_assert_false (ferry_json_object_find_member (json, strlen (json), "missing", &value,
                                                 &value_end, &error));
  g_assert_no_error (error);
}

static void
test_find_member_malformed (void)
{
  const char *bad[] = {
    "", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":01}",
    "{\"a\":tru}", "{\"a\":[1 2]}", "{a:1}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      const char *value, *value_end;

      g_assert_false (ferry_json_object_find_member (bad[i], strlen (bad[i]), "a", &value,
                                                     &value_end, &error));
      g_assert_nonnull (error);
    }
}

static void
test_depth_limit (void)
{
  g_autoptr(GString) deep = g_string_new ("{\"a\":");
  g_autoptr(GError) error = NULL;
  const char *value, *value_end;

  for (int i = 0; i < 10000; i++)
    g_string_append_c (deep, '[');
  g_assert_false (ferry_json_object_find_member (deep->str, deep->len, "a", &value, &value_end,
                                                 &error));
  g_assert_error (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TOO_DEEP);
}

static void
test_misread_escapes (void)
{
  const struct {
    const char       *json;
    FerryJsonEscapes  found;
  } cases[] = {
    { "\"plain \\n text\"", 0 },
    { "\"\\u0041\\u00e9\"", 0 },
    { "\"\\ud83d\\ude00\"", 0 },
    { "\"\\uD83D\\uDE00\"", 0 },
    { "\"\\u0000\"", FERRY_JSON_ESCAPE_NUL },
    { "\"\\ud83d\"", FERRY_JSON_ESCAPE_LONE_SURROGATE },
    { "\"\\uDE00\"", FERRY_JSON_ESCAPE_LONE_SURROGATE },
    { "\"\\ud83d\\u0041\"", FERRY_JSON_ESCAPE_LONE_SURROGATE },
    { "[\"\\ud83d\", \"\\ude00\"]", FERRY_JSON_ESCAPE_LONE_SURROGATE },
    { "\"\\ud83d\\ud83d\\ude00\"", FERRY_JSON_ESCAPE_LONE_SURROGATE },
    { "\"\\u0000\\udc00\"", FERRY_JSON_ESCAPE_NUL | FERRY_JSON_ESCAPE_LONE_SURROGATE },
    /* An escaped backslash followed by text that only looks like an escape. */
    { "\"\\\\ud800 \\\\u0000\"", 0 },
    { "{\"a\\\\\":\"\\ud800\"}", FERRY_JSON_ESCAPE_LONE_SURROGATE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *p = cases[i].json;

      /* Well-formed JSON, as the function requires. */
      g_assert_true (ferry_json_skip_value (&p, p + strlen (p), NULL));
      g_assert_cmpint (ferry_json_find_misread_escapes (cases[i].json, strlen (cases[i].json)), ==,
                       cases[i].found);
    }
}

static void
test_skip_ws (void)
{
  const char text[] = " \t\r\n x ";
  const char *p = text;

  ferry_json_skip_ws (&p, text + sizeof text - 1);
  g_assert_cmpint (*p, ==, 'x');
  p++;
  ferry_json_skip_ws (&p, text + sizeof text - 1);
  g_assert_true (p == text + sizeof text - 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/decode/escapes", test_decode_escapes);
  g_test_add_func ("/json/decode/raw-utf8", test_decode_raw_utf8);
  g_test_add_func ("/json/decode/malformed", test_decode_malformed);
  g_test_add_func ("/json/encode/like-javascript", test_encode_like_javascript);
  g_test_add_func ("/json/encode/surrogates", test_encode_surrogates);
  g_test_add_func ("/json/utf16/roundtrip", test_utf16_roundtrip);
  g_test_add_func ("/json/object/find-member", test_find_member);
  g_test_add_func ("/json/object/malformed", test_find_member_malformed);
  g_test_add_func ("/json/object/depth-limit", test_depth_limit);
  g_test_add_func ("/json/misread-escapes", test_misread_escapes);
  g_test_add_func ("/json/skip-ws", test_skip_ws);

  return g_test_run ();
}
