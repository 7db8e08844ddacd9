/* ferry-data-channel.h: a WebRTC data channel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Messages are text (UTF-8), binary, or empty of either kind, as in browsers.  A channel opened
 * by either side becomes open once SCTP is up; its "id" is the SCTP stream (even for the DTLS
 * client, odd for the server).  Closing resets the stream after everything queued is sent, and
 * the peer sees onclose.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  FERRY_DATA_CHANNEL_CONNECTING,
  FERRY_DATA_CHANNEL_OPEN,
  FERRY_DATA_CHANNEL_CLOSING,
  FERRY_DATA_CHANNEL_CLOSED,
} FerryDataChannelState;

typedef struct {
  gboolean    ordered;             /* default TRUE */
  int         max_retransmits;     /* -1: unlimited (default) */
  int         max_packet_lifetime; /* ms; -1: unlimited (default) */
  const char *protocol;            /* default "" */
  gboolean    negotiated;          /* no DCEP: both sides create it with the same id */
  int         id;                  /* -1: chosen automatically (required when negotiated) */
} FerryDataChannelInit;

#define FERRY_DATA_CHANNEL_INIT_DEFAULT { TRUE, -1, -1, NULL, FALSE, -1 }

#define FERRY_TYPE_DATA_CHANNEL (ferry_data_channel_get_type ())
G_DECLARE_FINAL_TYPE (FerryDataChannel, ferry_data_channel, FERRY, DATA_CHANNEL, GObject)

const char           *ferry_data_channel_get_label       (FerryDataChannel  *self);
const char           *ferry_data_channel_get_protocol    (FerryDataChannel  *self);
/* The SCTP stream id, or -1 until the DTLS role is known. */
int                   ferry_data_channel_get_id          (FerryDataChannel  *self);
gboolean              ferry_data_channel_get_ordered     (FerryDataChannel  *self);
gboolean              ferry_data_channel_get_negotiated  (FerryDataChannel  *self);
int                   ferry_data_channel_get_max_retransmits (FerryDataChannel *self);
int                   ferry_data_channel_get_max_packet_lifetime (FerryDataChannel *self);
FerryDataChannelState ferry_data_channel_get_state       (FerryDataChannel  *self);

gboolean              ferry_data_channel_send_text       (FerryDataChannel  *self,
                                                          const char        *text,
                                                          GError           **error);
gboolean              ferry_data_channel_send_bytes      (FerryDataChannel  *self,
                                                          GBytes            *bytes,
                                                          GError           **error);

/* Bytes accepted by send but not yet handed to SCTP. */
guint64               ferry_data_channel_get_buffered_amount (FerryDataChannel *self);
guint64               ferry_data_channel_get_buffered_amount_low_threshold (FerryDataChannel *self);
void                  ferry_data_channel_set_buffered_amount_low_threshold (FerryDataChannel *self,
                                                                            guint64           threshold);
/* The largest message the peer accepts. */
guint64               ferry_data_channel_get_max_message_size (FerryDataChannel *self);
/* The bytes of a message each packet carries (0 while not connected): messages of a multiple of
 * it fill every packet they take. */
guint                 ferry_data_channel_get_fragment_size (FerryDataChannel *self);

void                  ferry_data_channel_close           (FerryDataChannel  *self);

/* Back-pressure for a receiver that cannot keep up: while held, nothing more is read from the
 * connection — on any of its channels, since SCTP has one receive window — and the peer's
 * sending stalls once that window is full.  A channel that closes releases its hold. */
void                  ferry_data_channel_set_receive_held (FerryDataChannel *self,
                                                           gboolean          held);

G_END_DECLS
