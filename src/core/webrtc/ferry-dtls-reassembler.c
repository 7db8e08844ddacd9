/* ferry-dtls-reassembler.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ferry-dtls-reassembler.h"

/* RFC 6347 section 4.1: type, version, epoch, sequence number, length. */
#define RECORD_HEADER       13
/* RFC 6347 section 4.2.2: type, length, message_seq, fragment_offset, fragment_length. */
#define HANDSHAKE_HEADER    12
#define CONTENT_HANDSHAKE   22
/* The largest plaintext record (RFC 6347 section 4.1 via RFC 5246 section 6.2.1). */
#define MAX_RECORD_PAYLOAD  16384
/* WebRTC handshake messages are well under 2 KiB (one self-signed certificate); larger ones are
 * left to GnuTLS, which only mishandles a tiny first fragment. */
#define MAX_MESSAGE_LEN     4096
/* Messages of one flight being collected at once; a peer never has more in flight. */
#define MAX_MESSAGES        8

typedef struct {
  guint8   type;
  guint16  seq;
  guint32  length;
  guint32  missing;   /* bytes not received yet */
  guint8  *body;
  guint8  *have;      /* one flag per byte of body */
} Message;

struct _FerryDtlsReassembler
{
  GPtrArray *messages;   /* Message*, oldest first */
};

static guint32
read_u24 (const guint8 *p)
{
  return (guint32) p[0] << 16 | (guint32) p[1] << 8 | p[2];
}

static guint16
read_u16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static void
write_u24 (guint8  *p,
           guint32  v)
{
  p[0] = v >> 16;
  p[1] = v >> 8;
  p[2] = v;
}

static void
message_free (gpointer data)
{
  Message *m = data;

  g_free (m->body);
  g_free (m->have);
  g_free (m);
}

FerryDtlsReassembler *
ferry_dtls_reassembler_new (void)
{
  FerryDtlsReassembler *self = g_new0 (FerryDtlsReassembler, 1);

  self->messages = g_ptr_array_new_with_free_func (message_free);
  return self;
}

void
ferry_dtls_reassembler_free (FerryDtlsReassembler *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->messages);
  g_free (self);
}

static gboolean
is_plaintext_handshake (const guint8 *record)
{
  return record[0] == CONTENT_HANDSHAKE && read_u16 (record + 3) == 0;
}

static gboolean
is_whole (const guint8 *fragment)
{
  return read_u24 (fragment + 6) == 0 && read_u24 (fragment + 9) == read_u24 (fragment + 1);
}

/* Whether some plaintext handshake record of the datagram holds a fragment of a message. */
static gboolean
any_fragmented (const guint8 *data,
                gsize         len)
{
  gsize pos = 0;

  while (pos + RECORD_HEADER <= len)
    {
      const guint8 *record = data + pos;
      gsize payload_len = read_u16 (record + 11);
      gsize off = 0;

      if (pos + RECORD_HEADER + payload_len > len)
        return FALSE;
      if (is_plaintext_handshake (record))
        {
          const guint8 *payload = record + RECORD_HEADER;

          while (off + HANDSHAKE_HEADER <= payload_len)
            {
              gsize fragment_len = read_u24 (payload + off + 9);

              if (off + HANDSHAKE_HEADER + fragment_len > payload_len)
                break;
              if (!is_whole (payload + off))
                return TRUE;
              off += HANDSHAKE_HEADER + fragment_len;
            }
        }
      pos += RECORD_HEADER + payload_len;
    }
  return FALSE;
}

static Message *
find_message (FerryDtlsReassembler *self,
              guint8                type,
              guint16               seq,
              guint32               length)
{
  Message *m;

  for (guint i = 0; i < self->messages->len; i++)
    {
      m = g_ptr_array_index (self->messages, i);
      if (m->seq != seq)
        continue;
      if (m->type == type && m->length == length)
        return m;
      /* The same sequence number with another shape: the peer started over. */
      g_ptr_array_remove_index (self->messages, i);
      break;
    }

  if (self->messages->len == MAX_MESSAGES)
    g_ptr_array_remove_index (self->messages, 0);

  m = g_new0 (Message, 1);
  m->type = type;
  m->seq = seq;
  m->length = length;
  m->missing = length;
  m->body = g_malloc0 (length);
  m->have = g_malloc0 (length);
  g_ptr_array_add (self->messages, m);
  return m;
}

static void
append_whole (GByteArray    *out,
              const Message *m)
{
  guint8 header[HANDSHAKE_HEADER];

  header[0] = m->type;
  write_u24 (header + 1, m->length);
  header[4] = m->seq >> 8;
  header[5] = m->seq;
  write_u24 (header + 6, 0);
  write_u24 (header + 9, m->length);
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, m->body, m->length);
}

/* Adds one fragment to @payload: itself when it is whole or cannot be reassembled here, the
 * whole message when it completes one, nothing otherwise. */
static void
add_fragment (FerryDtlsReassembler *self,
              GByteArray           *payload,
              const guint8         *fragment)
{
  guint32 length = read_u24 (fragment + 1);
  guint32 offset = read_u24 (fragment + 6);
  guint32 fragment_len = read_u24 (fragment + 9);
  Message *m;

  if (is_whole (fragment) || length > MAX_MESSAGE_LEN)
    {
      g_byte_array_append (payload, fragment, HANDSHAKE_HEADER + fragment_len);
      return;
    }
  /* Empty fragments of a non-empty message carry nothing; fragments reaching past the end are
   * invalid (RFC 6347 section 4.2.3) and dropped like a damaged datagram. */
  if (fragment_len == 0 || offset + fragment_len > length)
    return;

  m = find_message (self, fragment[0], read_u16 (fragment + 4), length);
  for (guint32 i = 0; i < fragment_len; i++)
    {
      /* Overlapping retransmissions carry the same bytes; the first copy stays. */
      if (m->have[offset + i])
        continue;
      m->have[offset + i] = 1;
      m->body[offset + i] = fragment[HANDSHAKE_HEADER + i];
      m->missing--;
    }
  if (m->missing > 0)
    return;

  if (payload->len + HANDSHAKE_HEADER + m->length <= MAX_RECORD_PAYLOAD)
    append_whole (payload, m);
  else
    /* Cannot happen with WebRTC's small flights; GnuTLS then sees the fragment and the peer's
     * retransmission tries again. */
    g_byte_array_append (payload, fragment, HANDSHAKE_HEADER + fragment_len);
  g_ptr_array_remove (self->messages, m);
}

static void
add_record (FerryDtlsReassembler *self,
            GByteArray           *out,
            const guint8         *record,
            gsize                 payload_len)
{
  const guint8 *payload = record + RECORD_HEADER;
  g_autoptr(GByteArray) rebuilt = g_byte_array_sized_new (payload_len);
  gsize off = 0;

  while (off + HANDSHAKE_HEADER <= payload_len)
    {
      gsize fragment_len = read_u24 (payload + off + 9);

      if (off + HANDSHAKE_HEADER + fragment_len > payload_len)
        break;
      add_fragment (self, rebuilt, payload + off);
      off += HANDSHAKE_HEADER + fragment_len;
    }
  /* A truncated tail goes on as it came, for GnuTLS to judge. */
  g_byte_array_append (rebuilt, payload + off, payload_len - off);

  /* A record left empty is dropped: its sequence number is simply never seen. */
  if (rebuilt->len == 0)
    return;

  g_byte_array_append (out, record, RECORD_HEADER - 2);
  g_byte_array_append (out, (const guint8[]) { rebuilt->len >> 8, rebuilt->len & 0xff }, 2);
  g_byte_array_append (out, rebuilt->data, rebuilt->len);
}

GByteArray *
ferry_dtls_reassembler_feed (FerryDtlsReassembler *self,
                             const guint8         *data,
                             gsize                 len)
{
  GByteArray *out;
  gsize pos = 0;

  g_return_val_if_fail (self != NULL, NULL);

  if (!any_fragmented (data, len))
    return NULL;

  out = g_byte_array_sized_new (len);
  while (pos + RECORD_HEADER <= len)
    {
      const guint8 *record = data + pos;
      gsize payload_len = read_u16 (record + 11);

      if (pos + RECORD_HEADER + payload_len > len)
        break;
      if (is_plaintext_handshake (record))
        add_record (self, out, record, payload_len);
      else
        g_byte_array_append (out, record, RECORD_HEADER + payload_len);
      pos += RECORD_HEADER + payload_len;
    }
  g_byte_array_append (out, data + pos, len - pos);
  return out;
}
