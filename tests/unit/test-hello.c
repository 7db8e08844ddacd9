/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ferry-hello.h"

static FerryHello *
parse_ok (const char *json)
{
  g_autoptr(GError) error = NULL;
  FerryHello *hello = ferry_hello_parse (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_nonnull (hello);
  return hello;
}

static void
parse_error (const char *json,
             gssize      len,
             int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryHello) hello = NULL;

  if (len < 0)
    len = strlen (json);
  hello = ferry_hello_parse (json, len, &error);
  g_assert_error (error, FERRY_HELLO_ERROR, code);
  g_assert_null (hello);
  {
    /* Escaped: TAP output must stay valid UTF-8. */
    g_autofree char *head = g_strndup (json, MIN ((gsize) len, 60));
    g_autofree char *shown = g_strescape (head, NULL);

    g_test_message ("%s → %s", shown, error->message);
  }
}

static void
test_new (void)
{
  g_autoptr(FerryHello) hello = ferry_hello_new ("Ana");
  g_autofree char *json = ferry_hello_to_json (hello);

  g_assert_cmpuint (hello->version, ==, FERRY_PROTOCOL_VERSION);
  g_assert_cmpstr (hello->app, ==, "ferry");
  g_assert_cmpstr (hello->app_version, ==, PACKAGE_VERSION);
  g_assert_cmpstr (hello->name, ==, "Ana");
  g_assert_cmpuint (g_strv_length (hello->caps), ==, 4);
  g_assert_true (ferry_hello_has_cap (hello, "chat"));
  g_assert_true (ferry_hello_has_cap (hello, "chat-ack"));
  g_assert_true (ferry_hello_has_cap (hello, "files"));
  g_assert_true (ferry_hello_has_cap (hello, "relay"));
  g_assert_false (ferry_hello_has_cap (hello, "ferry-future"));
  g_assert_false (hello->has_mac);

  /* The example of docs/PROTOCOL.md, without the MAC. */
  g_assert_cmpstr (json, ==, "{\"type\":\"ferry-hello\",\"v\":1,\"app\":\"ferry\",\"version\":\""
                   PACKAGE_VERSION "\",\"name\":\"Ana\",\"caps\":[\"chat\",\"chat-ack\",\"files\",\"relay\"]}");
}

static void
test_round_trip (void)
{
  for (guint with_mac = 0; with_mac < 2; with_mac++)
    {
      g_autoptr(FerryHello) hello = ferry_hello_new ("Zoë 😀 \"quoted\" \\");
      g_autoptr(FerryHello) parsed = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *json = NULL;

      if (with_mac)
        {
          for (guint i = 0; i < FERRY_SHA256_LEN; i++)
            hello->mac[i] = 0xff - i;
          hello->has_mac = TRUE;
        }
      json = ferry_hello_to_json (hello);
      g_assert_true (ferry_hello_is_hello (json, strlen (json)));
      g_assert_cmpint (strstr (json, "\"mac\":") != NULL, ==, with_mac);

      parsed = ferry_hello_parse (json, strlen (json), &error);
      g_assert_no_error (error);
      g_assert_cmpuint (parsed->version, ==, hello->version);
      g_assert_cmpstr (parsed->app, ==, hello->app);
      g_assert_cmpstr (parsed->app_version, ==, hello->app_version);
      g_assert_cmpstr (parsed->name, ==, hello->name);
      g_assert_cmpstrv (parsed->caps, hello->caps);
      g_assert_cmpint (parsed->has_mac, ==, hello->has_mac);
      if (with_mac)
        g_assert_cmpmem (parsed->mac, FERRY_SHA256_LEN, hello->mac, FERRY_SHA256_LEN);
    }
}

static void
test_future_version (void)
{
  g_autoptr(FerryHello) hello =
    parse_ok ("{\"caps\":[\"chat\",\"files\",7,null,{\"x\":1},\"resume\","
              "\"a-capability-name-longer-than-sixty-four-bytes-is-skipped-not-cut\"],\"v\":3,"
              "\"type\":\"ferry-hello\",\"name\":\"Bo\",\"app\":\"ferry-next\","
              "\"version\":\"9.0\",\"avatar\":{\"png\":\"...\"},\"flags\":[1,2,3],"
              "\"mac\":\"Niuzbq7LO7XbeV2JA-2CqAbb-A2O9Hft-hR07Lo2XWk\",\"extra\":null}");
  const char *expected_caps[] = { "chat", "files", "resume", NULL };

  g_assert_cmpuint (hello->version, ==, 3);
  g_assert_cmpstr (hello->app, ==, "ferry-next");
  g_assert_cmpstr (hello->app_version, ==, "9.0");
  g_assert_cmpstr (hello->name, ==, "Bo");
  g_assert_cmpstrv (hello->caps, expected_caps);
  g_assert_true (ferry_hello_has_cap (hello, "files"));
  g_assert_true (hello->has_mac);
  g_assert_cmpuint (hello->mac[0], ==, 0x36);
  g_assert_cmpuint (hello->mac[31], ==, 0x69);
}

static void
test_minimal (void)
{
  /* Only type and v are required. */
  g_autoptr(FerryHello) hello = parse_ok ("{\"type\":\"ferry-hello\",\"v\":1}");

  g_assert_cmpuint (hello->version, ==, 1);
  g_assert_cmpstr (hello->app, ==, "");
  g_assert_cmpstr (hello->app_version, ==, "");
  g_assert_cmpstr (hello->name, ==, "");
  g_assert_nonnull (hello->caps);
  g_assert_cmpuint (g_strv_length (hello->caps), ==, 0);
  g_assert_false (ferry_hello_has_cap (hello, "chat"));
  g_assert_false (hello->has_mac);

  {
    g_autoptr(FerryHello) huge = parse_ok ("{\"type\":\"ferry-hello\",\"v\":99999999999}");

    g_assert_cmpuint (huge->version, ==, G_MAXUINT);
  }
}

static void
test_unsupported (void)
{
  parse_error ("{\"type\":\"ferry-hello\",\"v\":0,\"name\":\"Ana\"}", -1,
               FERRY_HELLO_ERROR_UNSUPPORTED);
  parse_error ("{\"type\":\"ferry-hello\",\"v\":-3}", -1, FERRY_HELLO_ERROR_UNSUPPORTED);
}

static void
test_malformed (void)
{
  g_autofree char *deep = NULL;
  g_autofree char *huge = NULL;
  const char *bad[] = {
    "",
    " ",
    "null",
    "[]",
    "\"ferry-hello\"",
    "{",
    "{\"type\":\"ferry-hello\",\"v\":1",
    "{\"type\":\"ferry-hello\",\"v\":1}x",
    "{\"type\":\"ferry-hello\",\"v\":1,}",
    "{\"v\":1}",
    "{\"type\":\"ferry-hullo\",\"v\":1}",
    "{\"type\":1,\"v\":1}",
    "{\"type\":\"ferry-hello\"}",
    "{\"type\":\"ferry-hello\",\"v\":\"1\"}",
    "{\"type\":\"ferry-hello\",\"v\":1.0}",
    "{\"type\":\"ferry-hello\",\"v\":1.5}",
    "{\"type\":\"ferry-hello\",\"v\":null}",
    "{\"type\":\"ferry-hello\",\"v\":true}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":5}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":null}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":[\"Ana\"]}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"app\":{}}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"version\":1}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"caps\":\"chat\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"caps\":{\"chat\":true}}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"mac\":5}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"mac\":\"\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"mac\":\"Niuzbq7LO7XbeV2JA-2CqAbb-A2O9Hft-hR07Lo2XW\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"mac\":\"Niuzbq7LO7XbeV2JA-2CqAbb-A2O9Hft-hR07Lo2XWkAA\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"mac\":\"Niuzbq7LO7XbeV2JA+2CqAbb/A2O9Hft-hR07Lo2XWk\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"mac\":\"Niuzbq7LO7XbeV2JA-2CqAbb-A2O9Hft-hR07Lo2XWk=\"}",
    "{'type':'ferry-hello','v':1}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"\xc3\x28\"}",
    /* Lone surrogates, after which json-glib swallows a character (the closing quote here). */
    "{\"type\":\"ferry-hello\",\"name\":\"a\\ud800\",\"v\":1}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"\\udc00\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"\\ud83d\\u0041\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"\\ud83d\\ud83d\\ude00\"}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"caps\":[\"\\ud800\"]}",
    /* \u0000, where json-glib would cut the string. */
    "{\"type\":\"ferry-hello\\u0000!\",\"v\":1}",
    "{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"A\\u0000B\"}",
  };
  GString *s;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    parse_error (bad[i], -1, FERRY_HELLO_ERROR_MALFORMED);
  {
    /* A raw NUL is not JSON (an escaped one is, see hostile-name). */
    static const char nul[] = "{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"a\0b\"}";

    parse_error (nul, sizeof nul - 1, FERRY_HELLO_ERROR_MALFORMED);
  }

  /* Nesting that would exhaust json-glib's recursion. */
  s = g_string_new ("{\"type\":\"ferry-hello\",\"v\":1,\"x\":");
  for (guint i = 0; i < 30000; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < 30000; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  deep = g_string_free (s, FALSE);
  parse_error (deep, -1, FERRY_HELLO_ERROR_MALFORMED);

  s = g_string_new ("{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"");
  for (guint i = 0; i < 70000; i++)
    g_string_append_c (s, 'a');
  g_string_append (s, "\"}");
  huge = g_string_free (s, FALSE);
  parse_error (huge, -1, FERRY_HELLO_ERROR_MALFORMED);
}

static void
test_hostile_name (void)
{
  g_autoptr(FerryHello) hello = NULL;
  g_autoptr(FerryHello) truncated = NULL;
  g_autoptr(FerryHello) own = NULL;
  g_autofree char *json = NULL;
  GString *s;

  /* Control characters, line breaks and bidi overrides go; the rest stays. */
  hello = parse_ok ("{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"A\\n\\r\\t\\u001b[31m"
                    "\\u007f\\u0085\\u2028\\u202eB\\u2066C\\u200dé\"}");
  g_assert_true (g_utf8_validate (hello->name, -1, NULL));
  for (const char *p = hello->name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (g_unichar_iscntrl (c));
      g_assert_cmpuint (c, !=, 0x2028);
      g_assert_cmpuint (c, !=, 0x202e);
      g_assert_cmpuint (c, !=, 0x2066);
    }
  g_assert_true (g_str_has_prefix (hello->name, "A"));
  g_assert_cmpstr (hello->name, ==, "A[31mBC\xe2\x80\x8d\xc3\xa9");
  {
    /* Pairs, escaped or not, and escaped backslashes before a "u" are fine. */
    g_autoptr(FerryHello) pairs = parse_ok ("{\"type\":\"ferry-hello\",\"v\":1,"
                                            "\"name\":\"\\ud83d\\ude00😀\\\\ud800\"}");

    g_assert_cmpstr (pairs->name, ==, "😀😀\\ud800");
  }

  /* 10 KiB of three-byte characters: cut at a character boundary, at most 100 bytes. */
  s = g_string_new ("{\"type\":\"ferry-hello\",\"v\":1,\"name\":\"a");
  while (s->len < 10 * 1024)
    g_string_append (s, "€");
  g_string_append (s, "\"}");
  json = g_string_free (s, FALSE);
  truncated = parse_ok (json);
  g_assert_cmpuint (strlen (truncated->name), ==, 100);  /* "a" + 33 × 3 bytes */
  g_assert_true (g_utf8_validate (truncated->name, -1, NULL));
  g_assert_true (g_str_has_suffix (truncated->name, "€"));

  /* Our own name is held to the same rules, invalid UTF-8 included. */
  own = ferry_hello_new ("Bad\xff\xfe\x01name\n");
  g_assert_true (g_utf8_validate (own->name, -1, NULL));
  g_assert_true (g_str_has_prefix (own->name, "Bad"));
  g_assert_true (g_str_has_suffix (own->name, "name"));
  g_assert_null (strchr (own->name, '\x01'));
}

static void
test_is_hello (void)
{
  const char *yes[] = {
    "{\"type\":\"ferry-hello\"}",
    "{\"v\":1,\"type\":\"ferry\\u002dhello\",\"whatever\":[]}",
    " {\"type\":\"x\",\"type\":\"ferry-hello\"} ",
  };
  const char *no[] = {
    "",
    "{}",
    "{\"type\":\"init\",\"name\":\"ferry-hello\"}",
    "{\"type\":\"ferry-hello\"",
    "{\"type\":[\"ferry-hello\"]}",
    "[\"ferry-hello\"]",
    "{\"type\":\"ferry-hello \"}",
    "\"ferry-hello\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (yes); i++)
    g_assert_true (ferry_hello_is_hello (yes[i], strlen (yes[i])));
  for (guint i = 0; i < G_N_ELEMENTS (no); i++)
    g_assert_false (ferry_hello_is_hello (no[i], strlen (no[i])));
}

static void
test_mac (void)
{
  guint8 key[FERRY_AUTH_KEY_LEN], sender[FERRY_SHA256_LEN], receiver[FERRY_SHA256_LEN];
  guint8 mac[FERRY_SHA256_LEN], swapped[FERRY_SHA256_LEN];
  /* Computed independently with Python:
   *   hmac.new (bytes (range (32)), b"ferry-auth-v1" + bytes (range (0x20, 0x40))
   *             + bytes (range (0x40, 0x60)), hashlib.sha256).digest () */
  static const guint8 expected[FERRY_SHA256_LEN] = {
    0x36, 0x2b, 0xb3, 0x6e, 0xae, 0xcb, 0x3b, 0xb5, 0xdb, 0x79, 0x5d, 0x89, 0x03, 0xed, 0x82, 0xa8,
    0x06, 0xdb, 0xf8, 0x0d, 0x8e, 0xf4, 0x77, 0xed, 0xfa, 0x14, 0x74, 0xec, 0xba, 0x36, 0x5d, 0x69,
  };
  static const guint8 expected_swapped[FERRY_SHA256_LEN] = {
    0x58, 0x74, 0xc8, 0xe8, 0x59, 0xd7, 0xfb, 0x9d, 0x96, 0x0a, 0x3f, 0x30, 0xc2, 0x68, 0x77, 0x85,
    0xd0, 0xca, 0x59, 0xa6, 0xfc, 0xaa, 0x6e, 0x51, 0xab, 0xdd, 0x31, 0x1e, 0x94, 0xb8, 0x61, 0x43,
  };
  g_autoptr(FerryHello) hello = ferry_hello_new ("Ana");
  g_autofree char *json = NULL;

  for (guint i = 0; i < 32; i++)
    {
      key[i] = i;
      sender[i] = 0x20 + i;
      receiver[i] = 0x40 + i;
    }

  ferry_hello_compute_mac (key, sender, receiver, mac);
  g_assert_cmpmem (mac, sizeof mac, expected, sizeof expected);

  /* Each side MACs the fingerprints in its own order, so a MAC cannot be reflected back. */
  ferry_hello_compute_mac (key, receiver, sender, swapped);
  g_assert_cmpmem (swapped, sizeof swapped, expected_swapped, sizeof expected_swapped);
  g_assert_cmpint (memcmp (mac, swapped, sizeof mac), !=, 0);

  /* On the wire as base64url without padding. */
  memcpy (hello->mac, mac, sizeof mac);
  hello->has_mac = TRUE;
  json = ferry_hello_to_json (hello);
  g_assert_nonnull (strstr (json, ",\"mac\":\"Niuzbq7LO7XbeV2JA-2CqAbb-A2O9Hft-hR07Lo2XWk\"}"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hello/new", test_new);
  g_test_add_func ("/hello/round-trip", test_round_trip);
  g_test_add_func ("/hello/future-version", test_future_version);
  g_test_add_func ("/hello/minimal", test_minimal);
  g_test_add_func ("/hello/unsupported", test_unsupported);
  g_test_add_func ("/hello/malformed", test_malformed);
  g_test_add_func ("/hello/hostile-name", test_hostile_name);
  g_test_add_func ("/hello/is-hello", test_is_hello);
  g_test_add_func ("/hello/mac", test_mac);

  return g_test_run ();
}
