/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-dtls-reassembler.h"

/* A plaintext record: type, version DTLS 1.2, epoch 0, sequence number @seq. */
static void
append_record (GByteArray   *datagram,
               guint8        type,
               guint16       epoch,
               guint8        seq,
               const guint8 *payload,
               gsize         len)
{
  const guint8 header[] = { type, 0xfe, 0xfd, epoch >> 8, epoch & 0xff, 0, 0, 0, 0, 0, seq,
                            len >> 8, len & 0xff };

  g_byte_array_append (datagram, header, sizeof header);
  g_byte_array_append (datagram, payload, len);
}

/* A handshake fragment of message @seq (type 11, Certificate) of @length bytes whose byte i is
 * i % 251, covering [@offset, @offset + @len). */
static GByteArray *
fragment (guint16 seq,
          guint32 length,
          guint32 offset,
          guint32 len)
{
  GByteArray *f = g_byte_array_new ();
  const guint8 header[] = { 11, length >> 16, length >> 8, length, seq >> 8, seq & 0xff,
                            offset >> 16, offset >> 8, offset, len >> 16, len >> 8, len };

  g_byte_array_append (f, header, sizeof header);
  for (guint32 i = offset; i < offset + len; i++)
    g_byte_array_append (f, (const guint8[]) { i % 251 }, 1);
  return f;
}

static GByteArray *
handshake_datagram (guint8      seq,
                    GByteArray *f)
{
  GByteArray *datagram = g_byte_array_new ();

  append_record (datagram, 22, 0, seq, f->data, f->len);
  return datagram;
}

static void
assert_whole (const GByteArray *datagram,
              guint8            record_seq,
              guint32           length)
{
  g_autoptr(GByteArray) expected = g_byte_array_new ();
  g_autoptr(GByteArray) whole = fragment (2, length, 0, length);

  append_record (expected, 22, 0, record_seq, whole->data, whole->len);
  g_assert_cmpmem (datagram->data, datagram->len, expected->data, expected->len);
}

static void
test_whole_passes (void)
{
  g_autoptr(FerryDtlsReassembler) r = ferry_dtls_reassembler_new ();
  g_autoptr(GByteArray) f = fragment (2, 300, 0, 300);
  g_autoptr(GByteArray) datagram = handshake_datagram (1, f);

  g_assert_null (ferry_dtls_reassembler_feed (r, datagram->data, datagram->len));
  /* Encrypted records and anything too short for a record header are not looked at. */
  append_record (datagram, 23, 1, 2, (const guint8 *) "sealed", 6);
  g_byte_array_append (datagram, (const guint8 *) "\x16\xfe", 2);
  g_assert_null (ferry_dtls_reassembler_feed (r, datagram->data, datagram->len));
}

/* What GnuTLS 3.7 alone gets wrong: a first fragment of one byte at offset 0. */
static void
test_first_byte_alone (void)
{
  g_autoptr(FerryDtlsReassembler) r = ferry_dtls_reassembler_new ();
  g_autoptr(GByteArray) head = fragment (2, 300, 0, 1);
  g_autoptr(GByteArray) rest = fragment (2, 300, 1, 299);
  g_autoptr(GByteArray) d1 = handshake_datagram (1, head);
  g_autoptr(GByteArray) d2 = handshake_datagram (2, rest);
  g_autoptr(GByteArray) out1 = ferry_dtls_reassembler_feed (r, d1->data, d1->len);
  g_autoptr(GByteArray) out2 = ferry_dtls_reassembler_feed (r, d2->data, d2->len);

  g_assert_nonnull (out1);
  g_assert_cmpuint (out1->len, ==, 0);
  g_assert_nonnull (out2);
  assert_whole (out2, 2, 300);
}

/* Reversed, overlapping and repeated fragments, with other records around them in one datagram. */
static void
test_any_order (void)
{
  g_autoptr(FerryDtlsReassembler) r = ferry_dtls_reassembler_new ();
  g_autoptr(GByteArray) datagram = g_byte_array_new ();
  g_autoptr(GByteArray) expected = g_byte_array_new ();
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(GByteArray) whole = fragment (2, 100, 0, 100);
  const guint32 pieces[][2] = { { 60, 40 }, { 30, 40 }, { 30, 40 }, { 0, 31 } };

  append_record (datagram, 20, 0, 1, (const guint8 *) "\x01", 1);
  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      g_autoptr(GByteArray) f = fragment (2, 100, pieces[i][0], pieces[i][1]);

      append_record (datagram, 22, 0, 2 + i, f->data, f->len);
    }
  out = ferry_dtls_reassembler_feed (r, datagram->data, datagram->len);
  g_assert_nonnull (out);

  /* The ChangeCipherSpec stays; the records that only held fragments go; the last one carries
   * the whole message. */
  append_record (expected, 20, 0, 1, (const guint8 *) "\x01", 1);
  append_record (expected, 22, 0, 5, whole->data, whole->len);
  g_assert_cmpmem (out->data, out->len, expected->data, expected->len);
}

/* Hostile fragments: past the end, empty, or contradicting the length already seen. */
static void
test_hostile (void)
{
  g_autoptr(FerryDtlsReassembler) r = ferry_dtls_reassembler_new ();
  g_autoptr(GByteArray) past_end = fragment (2, 100, 90, 20);
  g_autoptr(GByteArray) empty = fragment (2, 100, 0, 0);
  g_autoptr(GByteArray) other_length = fragment (2, 200, 0, 150);
  g_autoptr(GByteArray) start = fragment (2, 100, 0, 50);
  g_autoptr(GByteArray) end = fragment (2, 100, 50, 50);
  GByteArray *fragments[] = { past_end, empty, other_length, start, end };

  for (guint i = 0; i < G_N_ELEMENTS (fragments); i++)
    {
      g_autoptr(GByteArray) d = handshake_datagram (i, fragments[i]);
      g_autoptr(GByteArray) out = ferry_dtls_reassembler_feed (r, d->data, d->len);

      g_assert_nonnull (out);
      if (i + 1 < G_N_ELEMENTS (fragments))
        g_assert_cmpuint (out->len, ==, 0);
      else
        /* The 150 bytes of a 200-byte message were forgotten when the length changed. */
        assert_whole (out, i, 100);
    }
}

/* Messages too large to rebuild in one record are left to GnuTLS as they came. */
static void
test_large_passes (void)
{
  g_autoptr(FerryDtlsReassembler) r = ferry_dtls_reassembler_new ();
  g_autoptr(GByteArray) f = fragment (2, 10000, 0, 1000);
  g_autoptr(GByteArray) datagram = handshake_datagram (1, f);
  g_autoptr(GByteArray) out = ferry_dtls_reassembler_feed (r, datagram->data, datagram->len);

  g_assert_nonnull (out);
  g_assert_cmpmem (out->data, out->len, datagram->data, datagram->len);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dtls-reassembler/whole-passes", test_whole_passes);
  g_test_add_func ("/dtls-reassembler/first-byte-alone", test_first_byte_alone);
  g_test_add_func ("/dtls-reassembler/any-order", test_any_order);
  g_test_add_func ("/dtls-reassembler/hostile", test_hostile);
  g_test_add_func ("/dtls-reassembler/large-passes", test_large_passes);
  return g_test_run ();
}
