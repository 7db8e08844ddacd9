/* test-bencode.c: strict bencode (src/core/dht/ferry-bencode.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "ferry-bencode.h"

static FerryBencode *
parse (const char  *text,
       GError     **error)
{
  return ferry_bencode_parse ((const guint8 *) text, strlen (text), error);
}

static void
test_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryBencode) root = parse ("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", &error);
  const FerryBencode *a, *id;
  const guint8 *bytes;
  gsize len;

  /* BEP 5's ping query. */
  g_assert_no_error (error);
  g_assert_cmpint (ferry_bencode_get_kind (root), ==, FERRY_BENCODE_DICT);
  g_assert_cmpuint (ferry_bencode_get_length (root), ==, 4);
  g_assert_true (ferry_bencode_equal_str (ferry_bencode_lookup (root, "q"), "ping"));
  g_assert_true (ferry_bencode_equal_str (ferry_bencode_lookup (root, "y"), "q"));
  g_assert_true (ferry_bencode_equal_str (ferry_bencode_get_key (root, 2), "t"));
  g_assert_null (ferry_bencode_lookup (root, "r"));
  a = ferry_bencode_lookup (root, "a");
  id = ferry_bencode_lookup (a, "id");
  bytes = ferry_bencode_get_bytes (id, &len);
  g_assert_cmpmem (bytes, len, "abcdefghij0123456789", 20);
  bytes = ferry_bencode_get_raw (a, &len);
  g_assert_cmpmem (bytes, len, "d2:id20:abcdefghij0123456789e", 29);

  g_clear_pointer (&root, ferry_bencode_free);
  root = parse ("li0ei-42ei9223372036854775807ei-9223372036854775808e0:le3:\0\1\2e", &error);
  g_assert_null (root);   /* strlen stops at the NUL: cut short */
  g_clear_error (&error);
  {
    static const guint8 data[] = "li0ei-42ei9223372036854775807ei-9223372036854775808e0:le3:\0\1\2e";

    root = ferry_bencode_parse (data, sizeof data - 1, &error);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (ferry_bencode_get_length (root), ==, 7);
  g_assert_cmpint (ferry_bencode_get_int (ferry_bencode_get_item (root, 0)), ==, 0);
  g_assert_cmpint (ferry_bencode_get_int (ferry_bencode_get_item (root, 1)), ==, -42);
  g_assert_cmpint (ferry_bencode_get_int (ferry_bencode_get_item (root, 2)), ==, G_MAXINT64);
  g_assert_cmpint (ferry_bencode_get_int (ferry_bencode_get_item (root, 3)), ==, G_MININT64);
  g_assert_cmpuint (ferry_bencode_get_length (ferry_bencode_get_item (root, 5)), ==, 0);
  bytes = ferry_bencode_get_bytes (ferry_bencode_get_item (root, 6), &len);
  g_assert_cmpmem (bytes, len, "\0\1\2", 3);
}

/* BEP 44 signs "3:seqi1e1:v" followed by the value's exact encoding. */
static void
test_raw_value (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryBencode) root = parse ("d1:ad3:seqi1e1:v12:Hello World!ee", &error);
  const FerryBencode *v = ferry_bencode_lookup (ferry_bencode_lookup (root, "a"), "v");
  g_autoptr(GByteArray) signed_buffer = g_byte_array_new ();
  const guint8 *raw;
  gsize len;

  g_assert_no_error (error);
  raw = ferry_bencode_get_raw (v, &len);
  g_byte_array_append (signed_buffer, (const guint8 *) "3:seqi1e1:v", 11);
  g_byte_array_append (signed_buffer, raw, len);
  g_assert_cmpmem (signed_buffer->data, signed_buffer->len, "3:seqi1e1:v12:Hello World!", 26);
}

static void
test_refused (void)
{
  struct {
    const char *text;
    int         code;
  } cases[] = {
    { "", FERRY_BENCODE_ERROR_SYNTAX },
    { "x", FERRY_BENCODE_ERROR_SYNTAX },
    { "i42", FERRY_BENCODE_ERROR_SYNTAX },
    { "ie", FERRY_BENCODE_ERROR_SYNTAX },
    { "i-e", FERRY_BENCODE_ERROR_SYNTAX },
    { "i+1e", FERRY_BENCODE_ERROR_SYNTAX },
    { "i1.5e", FERRY_BENCODE_ERROR_SYNTAX },
    { "i042e", FERRY_BENCODE_ERROR_NOT_CANONICAL },
    { "i-0e", FERRY_BENCODE_ERROR_NOT_CANONICAL },
    { "i-01e", FERRY_BENCODE_ERROR_NOT_CANONICAL },
    { "i9223372036854775808e", FERRY_BENCODE_ERROR_TOO_LARGE },
    { "i-9223372036854775809e", FERRY_BENCODE_ERROR_TOO_LARGE },
    { "04:spam", FERRY_BENCODE_ERROR_NOT_CANONICAL },
    { "5:spam", FERRY_BENCODE_ERROR_SYNTAX },
    { "99999999999999999999999:x", FERRY_BENCODE_ERROR_TOO_LARGE },
    { "4spam", FERRY_BENCODE_ERROR_SYNTAX },
    { "l", FERRY_BENCODE_ERROR_SYNTAX },
    { "li1e", FERRY_BENCODE_ERROR_SYNTAX },
    { "d1:a", FERRY_BENCODE_ERROR_SYNTAX },
    { "d1:ai1e", FERRY_BENCODE_ERROR_SYNTAX },
    { "di1ei2ee", FERRY_BENCODE_ERROR_SYNTAX },
    { "d1:bi1e1:ai2ee", FERRY_BENCODE_ERROR_NOT_CANONICAL },
    { "d1:ai1e1:ai2ee", FERRY_BENCODE_ERROR_NOT_CANONICAL },
    { "d2:abi1e1:ai2ee", FERRY_BENCODE_ERROR_NOT_CANONICAL },
    { "i1ei2e", FERRY_BENCODE_ERROR_SYNTAX },
    { "4:spamx", FERRY_BENCODE_ERROR_SYNTAX },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryBencode) root = parse (cases[i].text, &error);

      if (root != NULL || !g_error_matches (error, FERRY_BENCODE_ERROR, cases[i].code))
        g_error ("%s: %s", cases[i].text, error ? error->message : "accepted");
    }
}

static void
test_limits (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GString) many = g_string_new ("l");
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryBencode) root = NULL;

  for (int i = 0; i <= FERRY_BENCODE_MAX_DEPTH; i++)
    g_string_append_c (deep, 'l');
  for (int i = 0; i <= FERRY_BENCODE_MAX_DEPTH; i++)
    g_string_append_c (deep, 'e');
  root = parse (deep->str, &error);
  g_assert_no_error (error);
  g_clear_pointer (&root, ferry_bencode_free);
  g_string_prepend_c (deep, 'l');
  g_string_append_c (deep, 'e');
  root = parse (deep->str, &error);
  g_assert_error (error, FERRY_BENCODE_ERROR, FERRY_BENCODE_ERROR_TOO_LARGE);
  g_clear_error (&error);

  for (int i = 0; i < FERRY_BENCODE_MAX_VALUES; i++)
    g_string_append (many, "i0e");
  g_string_append_c (many, 'e');
  root = parse (many->str, &error);
  g_assert_error (error, FERRY_BENCODE_ERROR, FERRY_BENCODE_ERROR_TOO_LARGE);
}

static void
test_write (void)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryBencode) root = NULL;

  ferry_bencode_write_mark (out, 'd');
  ferry_bencode_write_str (out, "a");
  ferry_bencode_write_mark (out, 'l');
  ferry_bencode_write_int (out, G_MININT64);
  ferry_bencode_write_int (out, 0);
  ferry_bencode_write_bytes (out, (const guint8 *) "\0x", 2);
  ferry_bencode_write_mark (out, 'e');
  ferry_bencode_write_str (out, "b");
  ferry_bencode_write_str (out, "");
  ferry_bencode_write_mark (out, 'e');
  g_assert_cmpmem (out->data, out->len, "d1:ali-9223372036854775808ei0e2:\0xe1:b0:e", 41);
  root = ferry_bencode_parse (out->data, out->len, &error);
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bencode/values", test_values);
  g_test_add_func ("/bencode/raw-value", test_raw_value);
  g_test_add_func ("/bencode/refused", test_refused);
  g_test_add_func ("/bencode/limits", test_limits);
  g_test_add_func ("/bencode/write", test_write);
  return g_test_run ();
}
