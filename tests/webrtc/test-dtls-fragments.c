/* Two Ferry peers whose DTLS handshake messages are re-fragmented on the way.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DTLS 1.2 lets a sender split a handshake message into fragments at any byte boundary, send them
 * in any order, repeat them, and make retransmitted fragments overlap (RFC 6347 section 4.2.3);
 * the receiver must put the message back together.  OpenSSL-based stacks do split messages, and
 * GnuTLS 3.7 alone gets some splits wrong (docs/INTEROP.md, "DTLS handshake fragmentation").
 *
 * A relay between the peers (tests/common/ferry-test-relay.h) rewrites every plaintext handshake
 * record in both directions by a pattern: tiny fragments, a fragment of just the 12-byte header,
 * reversed, shuffled, duplicated and overlapping fragments, one record per datagram or many.
 * Both directions at once means that each run hands fragmented messages to Ferry as DTLS client
 * (B answers "active") and as DTLS server.  Then a message goes each way through the connection.
 */
#include <string.h>

#include "ferry-peer-connection.h"
#include "ferry-test-pair.h"
#include "ferry-test-relay.h"
#include "ferry-test-util.h"

#define RECORD_HEADER    13
#define HANDSHAKE_HEADER 12
#define DATAGRAM_MAX     1200

typedef enum {
  ORDER_AS_SENT,
  ORDER_REVERSED,
  ORDER_SHUFFLED,
} Order;

typedef struct {
  const char *name;
  guint       first;     /* length of the first fragment; 0: a fragment of only the header */
  guint       size;      /* length of the others */
  guint       overlap;   /* bytes each fragment repeats of the one before */
  Order       order;
  gboolean    twice;     /* every fragment sent twice */
  gboolean    packed;    /* records packed into datagrams of up to 1200 bytes */
} Pattern;

static const Pattern patterns[] = {
  /* What an OpenSSL server did to its ServerKeyExchange. */
  { "first-1",      1,  65536, 0,  ORDER_AS_SENT,  FALSE, FALSE },
  { "size-1",       1,  1,     0,  ORDER_AS_SENT,  FALSE, TRUE },
  { "size-2",       2,  2,     0,  ORDER_AS_SENT,  FALSE, TRUE },
  { "size-13",      13, 13,    0,  ORDER_AS_SENT,  FALSE, TRUE },
  { "header-only",  0,  65536, 0,  ORDER_AS_SENT,  FALSE, FALSE },
  { "reversed",     1,  64,    0,  ORDER_REVERSED, FALSE, FALSE },
  { "shuffled",     13, 50,    0,  ORDER_SHUFFLED, FALSE, TRUE },
  { "duplicated",   13, 13,    0,  ORDER_AS_SENT,  TRUE,  TRUE },
  { "overlapping",  40, 40,    20, ORDER_AS_SENT,  FALSE, FALSE },
};

typedef struct {
  guint offset;
  guint len;
} Fragment;

typedef struct {
  const Pattern *pattern;
  GRand         *rand;
  guint64        next_seq[2];     /* epoch 0 record numbers the relay hands out, per direction */
  guint          fragmented[2];   /* messages split, per direction */
} Refragmenter;

static guint32
read_u24 (const guint8 *p)
{
  return (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
}

static void
write_u24 (guint8 *p, guint32 v)
{
  p[0] = v >> 16;
  p[1] = v >> 8;
  p[2] = v;
}

static GArray *
split (const Pattern *pattern,
       GRand         *rand,
       guint          length)
{
  GArray *fragments = g_array_new (FALSE, FALSE, sizeof (Fragment));
  guint pos = MIN (pattern->first, length);

  g_array_append_val (fragments, ((Fragment) { 0, pos }));
  while (pos < length)
    {
      guint start = pos > pattern->overlap ? pos - pattern->overlap : 0;
      Fragment f = { start, MIN (pattern->size, length - start) };

      g_array_append_val (fragments, f);
      pos = f.offset + f.len;
    }

  if (pattern->order == ORDER_REVERSED)
    for (guint i = 0; i < fragments->len / 2; i++)
      {
        Fragment t = g_array_index (fragments, Fragment, i);
        g_array_index (fragments, Fragment, i) = g_array_index (fragments, Fragment, fragments->len - 1 - i);
        g_array_index (fragments, Fragment, fragments->len - 1 - i) = t;
      }
  else if (pattern->order == ORDER_SHUFFLED)
    for (guint i = fragments->len - 1; i > 0; i--)
      {
        guint j = g_rand_int_range (rand, 0, i + 1);
        Fragment t = g_array_index (fragments, Fragment, i);
        g_array_index (fragments, Fragment, i) = g_array_index (fragments, Fragment, j);
        g_array_index (fragments, Fragment, j) = t;
      }
  return fragments;
}

/* Appends to @records one epoch 0 record with the next sequence number of @direction. */
static void
add_record (Refragmenter  *self,
            GPtrArray     *records,
            guint          direction,
            const guint8  *header,
            const guint8  *payload,
            gsize          payload_len,
            const guint8  *prefix,
            gsize          prefix_len)
{
  GByteArray *record = g_byte_array_new ();
  guint64 seq = self->next_seq[direction]++;
  guint8 h[RECORD_HEADER];
  gsize len = prefix_len + payload_len;

  memcpy (h, header, 5);   /* type, version, epoch */
  for (guint i = 0; i < 6; i++)
    h[5 + i] = seq >> (8 * (5 - i));
  h[11] = len >> 8;
  h[12] = len;
  g_byte_array_append (record, h, sizeof h);
  g_byte_array_append (record, prefix, prefix_len);
  g_byte_array_append (record, payload, payload_len);
  g_ptr_array_add (records, g_byte_array_free_to_bytes (record));
}

static void
refragment_handshake (Refragmenter *self,
                      GPtrArray    *records,
                      guint         direction,
                      const guint8 *record,
                      gsize         payload_len)
{
  const guint8 *payload = record + RECORD_HEADER;
  gsize off = 0;

  while (off + HANDSHAKE_HEADER <= payload_len)
    {
      const guint8 *message = payload + off;
      guint32 length = read_u24 (message + 1);
      guint32 fragment_len = read_u24 (message + 9);
      g_autoptr(GArray) fragments = NULL;

      g_assert_cmpuint (off + HANDSHAKE_HEADER + fragment_len, <=, payload_len);
      /* GnuTLS sends each message whole when it fits the MTU. */
      g_assert_cmpuint (read_u24 (message + 6), ==, 0);
      g_assert_cmpuint (fragment_len, ==, length);

      fragments = split (self->pattern, self->rand, length);
      if (length == 0 || fragments->len == 1)
        add_record (self, records, direction, record, message, HANDSHAKE_HEADER + length, NULL, 0);
      else
        {
          self->fragmented[direction]++;
          for (guint copy = 0; copy < (self->pattern->twice ? 2 : 1); copy++)
            for (guint i = 0; i < fragments->len; i++)
              {
                Fragment *f = &g_array_index (fragments, Fragment, i);
                guint8 header[HANDSHAKE_HEADER];

                memcpy (header, message, 6);   /* type, length, message_seq */
                write_u24 (header + 6, f->offset);
                write_u24 (header + 9, f->len);
                add_record (self, records, direction, record,
                            message + HANDSHAKE_HEADER + f->offset, f->len, header, sizeof header);
              }
        }
      off += HANDSHAKE_HEADER + fragment_len;
    }
}

static GPtrArray *
refragment_cb (FerryTestRelayDirection  direction,
               const guint8            *data,
               gsize                    len,
               gpointer                 user_data)
{
  Refragmenter *self = user_data;
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GPtrArray *datagrams = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  GByteArray *datagram = NULL;
  gsize pos = 0;

  /* RFC 7983: DTLS starts with 20..63; STUN goes on as it is. */
  if (len == 0 || data[0] < 20 || data[0] > 63)
    {
      g_ptr_array_unref (datagrams);
      return NULL;
    }

  while (pos + RECORD_HEADER <= len)
    {
      const guint8 *record = data + pos;
      gsize payload_len = (gsize) record[11] << 8 | record[12];
      gboolean epoch0 = record[3] == 0 && record[4] == 0;

      g_assert_cmpuint (pos + RECORD_HEADER + payload_len, <=, len);
      if (epoch0 && record[0] == 22)
        refragment_handshake (self, records, direction, record, payload_len);
      else if (epoch0)
        /* ChangeCipherSpec or an alert: renumbered along with the handshake records. */
        add_record (self, records, direction, record, record + RECORD_HEADER, payload_len, NULL, 0);
      else
        g_ptr_array_add (records, g_bytes_new (record, RECORD_HEADER + payload_len));
      pos += RECORD_HEADER + payload_len;
    }
  g_assert_cmpuint (pos, ==, len);

  for (guint i = 0; i < records->len; i++)
    {
      gsize record_len = g_bytes_get_size (records->pdata[i]);

      if (datagram != NULL && (!self->pattern->packed || datagram->len + record_len > DATAGRAM_MAX))
        g_ptr_array_add (datagrams, g_byte_array_free_to_bytes (g_steal_pointer (&datagram)));
      if (datagram == NULL)
        datagram = g_byte_array_new ();
      g_byte_array_append (datagram, g_bytes_get_data (records->pdata[i], NULL), record_len);
    }
  if (datagram != NULL)
    g_ptr_array_add (datagrams, g_byte_array_free_to_bytes (datagram));
  return datagrams;
}

static void
message_cb (FerryDataChannel *channel,
            GBytes           *data,
            gboolean          is_text,
            GBytes          **into)
{
  g_clear_pointer (into, g_bytes_unref);
  *into = g_bytes_ref (data);
}

static void
assert_message (FerryDataChannel *from,
                FerryDataChannel *to,
                const char       *text)
{
  g_autoptr(GBytes) got = NULL;
  g_autoptr(GError) error = NULL;
  gulong id = g_signal_connect (to, "message", G_CALLBACK (message_cb), &got);

  g_assert_true (ferry_data_channel_send_text (from, text, &error));
  g_assert_no_error (error);
  FERRY_TEST_WAIT_UNTIL (got != NULL, FERRY_TEST_PAIR_TIMEOUT_MS);
  g_signal_handler_disconnect (to, id);
  g_assert_cmpmem (g_bytes_get_data (got, NULL), g_bytes_get_size (got), text, strlen (text));
}

static void
test_pattern (gconstpointer data)
{
  const Pattern *pattern = data;
  g_autoptr(FerryRtcConfig) config = ferry_test_pair_config ();
  Refragmenter refragmenter = { pattern, g_rand_new_with_seed (6347) };
  g_autoptr(FerryTestRelay) relay = ferry_test_relay_new (refragment_cb, &refragmenter);
  FerryTestPair pair = { 0 };
  FerryDataChannel *at_a, *at_b;

  ferry_test_pair_init (&pair, config, (const char *[]) { "fragments", NULL },
                        ferry_test_relay_rewrite_sdp, ferry_test_relay_rewrite_sdp, relay);
  ferry_test_pair_wait_connected (&pair);
  g_assert_true (ferry_peer_connection_is_dtls_client (pair.b));

  /* Both flights of both sides went through the pattern. */
  g_test_message ("%s: %u messages split A->B, %u B->A", pattern->name,
                  refragmenter.fragmented[FERRY_TEST_RELAY_A_TO_B],
                  refragmenter.fragmented[FERRY_TEST_RELAY_B_TO_A]);
  g_assert_cmpuint (refragmenter.fragmented[FERRY_TEST_RELAY_A_TO_B], >=, 3);
  g_assert_cmpuint (refragmenter.fragmented[FERRY_TEST_RELAY_B_TO_A], >=, 3);

  at_a = g_ptr_array_index (pair.a_created, 0);
  FERRY_TEST_WAIT_UNTIL (pair.b_channels->len == 1, FERRY_TEST_PAIR_TIMEOUT_MS);
  at_b = g_ptr_array_index (pair.b_channels, 0);
  FERRY_TEST_WAIT_UNTIL (ferry_data_channel_get_state (at_a) == FERRY_DATA_CHANNEL_OPEN,
                         FERRY_TEST_PAIR_TIMEOUT_MS);
  assert_message (at_a, at_b, "through the relay");
  assert_message (at_b, at_a, "and back");

  ferry_test_pair_clear (&pair);
  g_rand_free (refragmenter.rand);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autofree char *path = g_strdup_printf ("/dtls-fragments/%s", patterns[i].name);

      g_test_add_data_func (path, &patterns[i], test_pattern);
    }
  return g_test_run ();
}
