/* fuzz-bencode.c: ferry_bencode_parse () on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Any bytes a DHT node may send.  They are refused with a clear error, or every value's raw
 * bytes lie inside the input, and writing the tree out again gives the input back exactly
 * (strict bencode has one encoding per value).
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-bencode.h"

static void
write_value (GByteArray         *out,
             const FerryBencode *value)
{
  const guint8 *bytes;
  gsize len;

  switch (ferry_bencode_get_kind (value))
    {
    case FERRY_BENCODE_INT:
      ferry_bencode_write_int (out, ferry_bencode_get_int (value));
      break;
    case FERRY_BENCODE_BYTES:
      bytes = ferry_bencode_get_bytes (value, &len);
      ferry_bencode_write_bytes (out, bytes, len);
      break;
    case FERRY_BENCODE_LIST:
      ferry_bencode_write_mark (out, 'l');
      for (guint i = 0; i < ferry_bencode_get_length (value); i++)
        write_value (out, ferry_bencode_get_item (value, i));
      ferry_bencode_write_mark (out, 'e');
      break;
    case FERRY_BENCODE_DICT:
      ferry_bencode_write_mark (out, 'd');
      for (guint i = 0; i < ferry_bencode_get_length (value); i++)
        {
          write_value (out, ferry_bencode_get_key (value, i));
          write_value (out, ferry_bencode_get_item (value, i));
        }
      ferry_bencode_write_mark (out, 'e');
      break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FerryBencode) root = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  const guint8 *raw;
  gsize len;

  fuzz_init ();

  root = ferry_bencode_parse (data, size, &error);
  if (root == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_BENCODE_ERROR);
      return 0;
    }
  g_assert_no_error (error);
  raw = ferry_bencode_get_raw (root, &len);
  g_assert_cmpmem (raw, len, data, size);
  write_value (out, root);
  g_assert_cmpmem (out->data, out->len, data, size);
  return 0;
}
