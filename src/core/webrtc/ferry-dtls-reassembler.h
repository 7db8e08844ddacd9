/* ferry-dtls-reassembler.h: whole DTLS handshake messages for GnuTLS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DTLS 1.2 lets a sender split any handshake message into fragments at any byte boundary
 * (RFC 6347 section 4.2.3), and OpenSSL-based stacks do.  GnuTLS 3.7 reassembles badly: when
 * the first fragment it sees of a message is zero or one byte long and starts at offset 0, it
 * never grows its buffer to the message's length, so the finished message is one byte long
 * and fails to decode ("Error decoding the received TLS packet"); fragments that leave a gap
 * are dropped until the peer retransmits.  See docs/INTEROP.md, "DTLS handshake fragmentation".
 *
 * A reassembler sits in front of GnuTLS while the handshake runs: it takes each received
 * datagram, collects the fragments of plaintext (epoch 0) handshake messages, and hands on a
 * datagram in which each such message is whole, in one fragment.  Every other record passes
 * unchanged.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FerryDtlsReassembler FerryDtlsReassembler;

FerryDtlsReassembler *ferry_dtls_reassembler_new  (void);
void                  ferry_dtls_reassembler_free (FerryDtlsReassembler *self);

/* Returns NULL when @data needs no change (no fragmented handshake message in it), otherwise the
 * datagram to hand to GnuTLS instead, possibly empty when it only held fragments of messages
 * that are still incomplete.  Malformed records are passed on for GnuTLS to reject. */
GByteArray *ferry_dtls_reassembler_feed (FerryDtlsReassembler *self,
                                         const guint8         *data,
                                         gsize                 len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDtlsReassembler, ferry_dtls_reassembler_free)

G_END_DECLS
