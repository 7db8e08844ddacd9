/* ferry-sctp-transport.h: SCTP (usrsctp, AF_CONN) over a DTLS transport
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * usrsctp runs without threads (usrsctp_init_nothreads); its timers are driven from the GLib main
 * context of the transports, which must all share one context per process (docs/ARCHITECTURE.md,
 * "Threads").
 * Messages are reassembled on end-of-record; sends beyond what usrsctp accepts wait in one FIFO
 * per association so that bufferedAmount and back-pressure work as in browsers.
 */
#pragma once

#include <glib-object.h>

#include "ferry-dtls-transport.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_SCTP_STATE_NEW,
  FERRY_SCTP_STATE_CONNECTING,
  FERRY_SCTP_STATE_CONNECTED,
  FERRY_SCTP_STATE_FAILED,    /* could not connect, or the peer stopped answering */
  FERRY_SCTP_STATE_CLOSED,    /* shut down or aborted by the peer */
} FerrySctpState;

/* RFC 8831 section 8 */
enum {
  FERRY_PPID_DCEP = 50,
  FERRY_PPID_STRING = 51,
  FERRY_PPID_BINARY_PARTIAL = 52,
  FERRY_PPID_BINARY = 53,
  FERRY_PPID_STRING_PARTIAL = 54,
  FERRY_PPID_STRING_EMPTY = 56,
  FERRY_PPID_BINARY_EMPTY = 57,
};

/* Streams we offer in SCTP_INITMSG; usrsctp's default of 10 breaks channel ids ≥ 10. */
#define FERRY_SCTP_MAX_STREAMS 1024
/* SCTP packet sizes.  By default what fits IPv6's minimum MTU after DTLS (37 bytes with
 * AES-GCM), UDP and IPv6 headers (RFC 8261); at most what fits a DTLS record (16347 bytes) and
 * four times, with DTLS, one UDP GSO send on loopback (65472 bytes): 16331. */
#define FERRY_SCTP_DTLS_OVERHEAD 37
#define FERRY_SCTP_DEFAULT_PACKET (1280 - 40 - 8 - FERRY_SCTP_DTLS_OVERHEAD)
#define FERRY_SCTP_MAX_PACKET (65472 / 4 - FERRY_SCTP_DTLS_OVERHEAD)

typedef struct {
  gboolean unordered;
  int      max_retransmits;     /* -1: unlimited */
  int      max_packet_lifetime; /* ms; -1: unlimited */
} FerrySctpReliability;

#define FERRY_TYPE_SCTP_TRANSPORT (ferry_sctp_transport_get_type ())
G_DECLARE_FINAL_TYPE (FerrySctpTransport, ferry_sctp_transport, FERRY, SCTP_TRANSPORT, GObject)

FerrySctpTransport *ferry_sctp_transport_new        (FerryDtlsTransport  *dtls,
                                                     guint16              remote_port,
                                                     guint64              local_max_message_size,
                                                     guint64              remote_max_message_size,
                                                     guint                liveness_timeout_ms,
                                                     GError             **error);
/* Connects; call as soon as DTLS is up, before any record is read. */
void                ferry_sctp_transport_start      (FerrySctpTransport  *self);
FerrySctpState      ferry_sctp_transport_get_state  (FerrySctpTransport  *self);
/* Streams usable in each direction once connected. */
guint               ferry_sctp_transport_get_streams (FerrySctpTransport *self);
/* The largest message we may send: the remote's a=max-message-size, capped by our buffers. */
guint64             ferry_sctp_transport_get_max_send_size (FerrySctpTransport *self);
/* The association's smoothed round-trip time in whole milliseconds (SCTP's own measurement,
 * from its acknowledgements and heartbeats; 0 on a loopback), or -1 while not connected. */
int                 ferry_sctp_transport_get_rtt_ms (FerrySctpTransport *self);
/* The largest SCTP packet, FERRY_SCTP_DEFAULT_PACKET to FERRY_SCTP_MAX_PACKET bytes.  Set
 * before start, it is the association's; after, it can only be lowered (usrsctp sizes message
 * fragments once, from the size the association starts with). */
gboolean            ferry_sctp_transport_set_max_packet (FerrySctpTransport  *self,
                                                         guint                bytes,
                                                         GError             **error);
/* The association's largest packet (0 before it is up). */
guint               ferry_sctp_transport_get_max_packet (FerrySctpTransport  *self);
/* How many bytes of a message each of its packets carries when it needs several (0 before the
 * association is up): a message of a multiple of this has no nearly empty last packet. */
guint               ferry_sctp_transport_get_fragment_size (FerrySctpTransport *self);
/* Whether every connected association of the process has had all it sent acknowledged (nothing
 * queued, nothing in flight): a program about to exit waits for it, or a message lost on the way
 * (retransmitted after an RTO of a second or more) would never arrive. */
gboolean            ferry_sctp_transports_delivered (void);

/* Queues one message (empty messages use their PPID with a single zero byte).  Fails only for a
 * message that is too large or a transport that is not connected. */
gboolean            ferry_sctp_transport_send       (FerrySctpTransport          *self,
                                                     guint16                      sid,
                                                     guint32                      ppid,
                                                     GBytes                      *data,
                                                     const FerrySctpReliability  *reliability,
                                                     GError                     **error);
/* Bytes queued on @sid that usrsctp has not taken yet. */
guint64             ferry_sctp_transport_get_buffered_amount (FerrySctpTransport *self,
                                                              guint16             sid);
/* Resets the outgoing direction of @sid once the data queued before it has been sent, asking
 * again while the peer does not perform it.  ::stream-reset follows once the peer has reset its
 * direction too, or ::stream-reset-failed when it never performs ours. */
void                ferry_sctp_transport_reset_stream (FerrySctpTransport *self,
                                                       guint16             sid);
/* How many reset requests were repeated after the peer did not perform them (for tests and
 * debugging). */
guint               ferry_sctp_transport_get_reset_retries (FerrySctpTransport *self);
/* For tests: whether to perform the peer's requests to reset its streams, or answer them
 * "Denied" (RFC 6525 section 4.4).  Returns FALSE if usrsctp refused the option. */
gboolean            ferry_sctp_transport_set_accept_resets (FerrySctpTransport *self,
                                                            gboolean            accept);

/* Holds (or releases a hold on) reading: while any hold is taken, nothing is read from the
 * association, on any stream; its receive window closes and the peer stops sending until the
 * last hold is released.  For a receiver that cannot keep up. */
void                ferry_sctp_transport_hold_receive (FerrySctpTransport *self,
                                                       gboolean            hold);

/* Aborts the association (no more sends after DTLS is gone). */
void                ferry_sctp_transport_close      (FerrySctpTransport  *self);

G_END_DECLS
