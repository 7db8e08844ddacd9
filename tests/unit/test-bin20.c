/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-bin20.h"
#include "ferry-crypto.h"
#include "ferry-json.h"

/* SHA-1 ("webdrop65d5"), WebDrop's room for code 65d5, as captured from bittorrent-tracker
 * 11.2.3 (docs/INTEROP.md, "Reference captures"). */
static const guint8 webdrop_hash[20] = {
  0x83, 0xfa, 0x57, 0x17, 0xce, 0xa9, 0x5e, 0x55, 0x18, 0x97,
  0x4b, 0x4c, 0x34, 0x4f, 0x1c, 0x76, 0xae, 0x8f, 0x1e, 0x38,
};
static const char webdrop_wire[] =
  "\"\xc2\x83\xc3\xba" "W\\u0017\xc3\x8e\xc2\xa9^U\\u0018\xc2\x97KL4O\\u001cv\xc2\xae\xc2\x8f"
  "\\u001e8\"";

static void
test_worked_example (void)
{
  g_autofree char *json = ferry_bin20_to_json (webdrop_hash);
  g_autoptr(GError) error = NULL;
  guint8 decoded[20];

  g_assert_cmpstr (json, ==, webdrop_wire);
  g_assert_true (ferry_bin20_from_json (webdrop_wire, strlen (webdrop_wire), decoded, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, 20, webdrop_hash, 20);
}

static void
test_captured_response (void)
{
  /* The whole 126-byte announce response of the capture. */
  g_autofree char *response = g_strconcat ("{\"complete\":0,\"incomplete\":1,\"action\":\"announce\","
                                           "\"interval\":120,\"info_hash\":", webdrop_wire, "}",
                                           NULL);
  g_autoptr(GError) error = NULL;
  guint8 decoded[20];

  g_assert_cmpuint (strlen (response), ==, 126);
  g_assert_true (ferry_bin20_from_member (response, strlen (response), "info_hash", decoded,
                                          &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, 20, webdrop_hash, 20);
}

static void
test_every_byte (void)
{
  /* Each byte value once, including 0x00, 0x7F (raw, not \u007f) and the JSON escapes. */
  for (guint start = 0; start < 256; start += 20)
    {
      guint8 bytes[20], decoded[20];
      g_autofree char *json = NULL;
      g_autoptr(GError) error = NULL;

      for (guint i = 0; i < 20; i++)
        bytes[i] = (start + i) & 0xff;
      json = ferry_bin20_to_json (bytes);
      g_assert_null (strstr (json, "\\u007f"));
      g_assert_true (ferry_bin20_from_json (json, strlen (json), decoded, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (decoded, 20, bytes, 20);
    }
}

static void
test_random_with_zero_bytes (void)
{
  guint with_zero = 0;

  for (guint n = 0; n < 2000; n++)
    {
      guint8 bytes[20], decoded[20];
      g_autofree char *json = NULL;
      g_autofree char *object = NULL;
      g_autoptr(GError) error = NULL;

      ferry_peer_id_generate (bytes);
      if (n % 3 == 0)
        bytes[n % 20] = 0;
      if (memchr (bytes, 0, 20) != NULL)
        with_zero++;

      json = ferry_bin20_to_json (bytes);
      object = g_strdup_printf ("{\"action\":\"announce\",\"peer_id\":%s,\"numwant\":5}", json);
      g_assert_true (ferry_bin20_from_member (object, strlen (object), "peer_id", decoded, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (decoded, 20, bytes, 20);
    }
  g_assert_cmpuint (with_zero, >, 600);
}

static void
test_other_escapings (void)
{
  /* What a server that re-serialises may send: every byte as \u00XX in upper case, and \/. */
  g_autoptr(GString) json = g_string_new ("\"");
  g_autoptr(GError) error = NULL;
  const char *slashes;
  guint8 decoded[20];

  for (guint i = 0; i < 19; i++)
    g_string_append_printf (json, "\\u00%02X", webdrop_hash[i]);
  g_string_append (json, "\\u0038\"");
  g_assert_true (ferry_bin20_from_json (json->str, json->len, decoded, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (decoded, 20, webdrop_hash, 20);

  slashes = "\"\\/\\/\\/\\/\\/aaaaaaaaaaaaaaa\"";
  g_assert_true (ferry_bin20_from_json (slashes, strlen (slashes), decoded, &error));
  g_assert_no_error (error);
  g_assert_cmpint (decoded[0], ==, '/');
}

static void
test_malformed (void)
{
  const char *bad[] = {
    "\"0123456789012345678\"",            /* 19 */
    "\"012345678901234567890\"",          /* 21 */
    "\"0123456789012345678€\"",           /* above U+00FF */
    "\"012345678901234567😀\"",           /* a surrogate pair is not a byte */
    "\"0123456789012345678\\ud800\"",     /* lone surrogate */
    "\"0123456789012345678\xff\"",        /* invalid UTF-8 */
    "\"0123456789012345678",              /* unterminated */
    "\"0123456789012345678\\q\"",         /* bad escape */
    "\"01234567890123456789\" ",          /* trailing */
    "83fa5717cea95e5518974b4c344f1c76ae8f1e38",
    "\"83fa5717cea95e5518974b4c344f1c76ae8f1e38\"", /* hex is 40 characters */
    "12", "null", "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint8 decoded[20];

      g_assert_false (ferry_bin20_from_json (bad[i], strlen (bad[i]), decoded, &error));
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_member_errors (void)
{
  const char *json = "{\"info_hash\":5}";
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  guint8 decoded[20];

  g_assert_false (ferry_bin20_from_member (json, strlen (json), "info_hash", decoded, &error));
  g_assert_error (error, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE);
  g_assert_false (ferry_bin20_from_member (json, strlen (json), "peer_id", decoded, &error2));
  g_assert_error (error2, FERRY_JSON_ERROR, FERRY_JSON_ERROR_TYPE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bin20/worked-example", test_worked_example);
  g_test_add_func ("/bin20/captured-response", test_captured_response);
  g_test_add_func ("/bin20/every-byte", test_every_byte);
  g_test_add_func ("/bin20/random-with-zero-bytes", test_random_with_zero_bytes);
  g_test_add_func ("/bin20/other-escapings", test_other_escapings);
  g_test_add_func ("/bin20/malformed", test_malformed);
  g_test_add_func ("/bin20/member-errors", test_member_errors);

  return g_test_run ();
}
