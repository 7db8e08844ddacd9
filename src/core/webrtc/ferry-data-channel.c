/* ferry-data-channel.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "ferry-data-channel-private.h"
#include "ferry-webrtc-enums.h"

struct _FerryDataChannel
{
  GObject               parent_instance;

  FerrySctpTransport   *sctp;
  char                 *label;
  char                 *protocol;
  int                   id;
  gboolean              ordered;
  gboolean              negotiated;
  gboolean              remote;
  int                   max_retransmits;
  int                   max_packet_lifetime;
  FerryDataChannelState state;
  /* Until the peer acknowledges the channel, everything goes ordered (RFC 8832 section 6). */
  gboolean              acked;
  guint64               low_threshold;
  guint64               buffered;
  gboolean              receive_held;
};

G_DEFINE_FINAL_TYPE (FerryDataChannel, ferry_data_channel, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LABEL,
  PROP_ID,
  PROP_STATE,
  PROP_BUFFERED_AMOUNT_LOW_THRESHOLD,
  N_PROPS
};

enum {
  OPEN,
  MESSAGE,
  CLOSE,
  ERROR,
  BUFFERED_AMOUNT_LOW,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_state (FerryDataChannel      *self,
           FerryDataChannelState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
stream_reset_failed_cb (FerrySctpTransport *sctp,
                        guint               sid,
                        const GError       *error,
                        FerryDataChannel   *self)
{
  if ((int) sid == self->id)
    _ferry_data_channel_closed (self, error);
}

/* The transport tells every channel when it gives up resetting a stream: FerryPeerConnection
 * only hears of resets that succeed. */
static void
set_transport (FerryDataChannel   *self,
               FerrySctpTransport *sctp)
{
  if (self->sctp == sctp)
    return;
  if (self->sctp != NULL && self->receive_held)
    {
      self->receive_held = FALSE;
      ferry_sctp_transport_hold_receive (self->sctp, FALSE);
    }
  if (self->sctp != NULL)
    g_signal_handlers_disconnect_by_func (self->sctp, stream_reset_failed_cb, self);
  g_set_object (&self->sctp, sctp);
  if (sctp != NULL)
    g_signal_connect (sctp, "stream-reset-failed", G_CALLBACK (stream_reset_failed_cb), self);
}

static void
ferry_data_channel_dispose (GObject *object)
{
  FerryDataChannel *self = FERRY_DATA_CHANNEL (object);

  set_transport (self, NULL);

  G_OBJECT_CLASS (ferry_data_channel_parent_class)->dispose (object);
}

static void
ferry_data_channel_finalize (GObject *object)
{
  FerryDataChannel *self = FERRY_DATA_CHANNEL (object);

  g_free (self->label);
  g_free (self->protocol);

  G_OBJECT_CLASS (ferry_data_channel_parent_class)->finalize (object);
}

static void
ferry_data_channel_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerryDataChannel *self = FERRY_DATA_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    case PROP_ID:
      g_value_set_int (value, self->id);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      g_value_set_uint64 (value, self->low_threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_data_channel_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  FerryDataChannel *self = FERRY_DATA_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_BUFFERED_AMOUNT_LOW_THRESHOLD:
      ferry_data_channel_set_buffered_amount_low_threshold (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_data_channel_class_init (FerryDataChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_data_channel_dispose;
  object_class->finalize = ferry_data_channel_finalize;
  object_class->get_property = ferry_data_channel_get_property;
  object_class->set_property = ferry_data_channel_set_property;

  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ID] =
    g_param_spec_int ("id", NULL, NULL, -1, G_MAXUINT16, -1,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_DATA_CHANNEL_STATE,
                       FERRY_DATA_CHANNEL_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUFFERED_AMOUNT_LOW_THRESHOLD] =
    g_param_spec_uint64 ("buffered-amount-low-threshold", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OPEN] =
    g_signal_new ("open", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /**
   * FerryDataChannel::message:
   * @data: the payload (empty for empty messages)
   * @is_text: whether the peer sent it as text (UTF-8, not validated here)
   */
  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_BYTES, G_TYPE_BOOLEAN);
  signals[CLOSE] =
    g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[BUFFERED_AMOUNT_LOW] =
    g_signal_new ("buffered-amount-low", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
}

static void
ferry_data_channel_init (FerryDataChannel *self)
{
  self->id = G_PARAM_SPEC_INT (properties[PROP_ID])->default_value;
}

FerryDataChannel *
_ferry_data_channel_new (const char                 *label,
                         const FerryDataChannelInit *init)
{
  FerryDataChannel *self = g_object_new (FERRY_TYPE_DATA_CHANNEL, NULL);

  self->label = g_strdup (label);
  self->protocol = g_strdup (init->protocol ? init->protocol : "");
  self->ordered = init->ordered;
  self->negotiated = init->negotiated;
  self->max_retransmits = init->max_retransmits;
  self->max_packet_lifetime = init->max_packet_lifetime;
  self->id = init->id;
  /* A negotiated channel has no DCEP exchange to wait for. */
  self->acked = init->negotiated;

  return self;
}

FerryDataChannel *
_ferry_data_channel_new_remote (const FerryDcepMessage *open,
                                guint16                 sid)
{
  FerryDataChannel *self = g_object_new (FERRY_TYPE_DATA_CHANNEL, NULL);
  guint8 kind = open->channel_type & ~FERRY_DCEP_UNORDERED;

  self->label = g_strdup (open->label);
  self->protocol = g_strdup (open->protocol);
  self->ordered = !(open->channel_type & FERRY_DCEP_UNORDERED);
  self->max_retransmits = kind == FERRY_DCEP_PARTIAL_RELIABLE_REXMIT ? (int) MIN (open->reliability, G_MAXINT) : -1;
  self->max_packet_lifetime = kind == FERRY_DCEP_PARTIAL_RELIABLE_TIMED ? (int) MIN (open->reliability, G_MAXINT) : -1;
  self->id = sid;
  self->remote = TRUE;
  self->acked = TRUE;

  return self;
}

void
_ferry_data_channel_set_id (FerryDataChannel *self,
                            int               id)
{
  self->id = id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
}

void
_ferry_data_channel_open (FerryDataChannel   *self,
                          FerrySctpTransport *sctp)
{
  g_autoptr(GError) error = NULL;

  if (self->state != FERRY_DATA_CHANNEL_CONNECTING)
    return;

  set_transport (self, sctp);

  if (!self->negotiated && !self->remote)
    {
      g_autoptr(GBytes) open = NULL;
      guint8 type = FERRY_DCEP_RELIABLE;
      guint32 reliability = 0;

      if (self->max_retransmits >= 0)
        {
          type = FERRY_DCEP_PARTIAL_RELIABLE_REXMIT;
          reliability = self->max_retransmits;
        }
      else if (self->max_packet_lifetime >= 0)
        {
          type = FERRY_DCEP_PARTIAL_RELIABLE_TIMED;
          reliability = self->max_packet_lifetime;
        }
      if (!self->ordered)
        type |= FERRY_DCEP_UNORDERED;

      /* Priority 256 is "normal", what Chromium sends. */
      open = ferry_dcep_build_open (type, 256, reliability, self->label, self->protocol);
      if (!ferry_sctp_transport_send (sctp, self->id, FERRY_PPID_DCEP, open, NULL, &error))
        {
          _ferry_data_channel_closed (self, error);
          return;
        }
    }

  /* Like browsers, the opener may send at once; messages stay ordered until the ACK. */
  set_state (self, FERRY_DATA_CHANNEL_OPEN);
  g_signal_emit (self, signals[OPEN], 0);
}

void
_ferry_data_channel_acked (FerryDataChannel *self)
{
  self->acked = TRUE;
}

void
_ferry_data_channel_receive (FerryDataChannel *self,
                             guint32           ppid,
                             GBytes           *data)
{
  gboolean is_text;

  if (self->state != FERRY_DATA_CHANNEL_OPEN && self->state != FERRY_DATA_CHANNEL_CLOSING)
    return;

  /* Any message from the peer proves it has the channel (RFC 8832 section 6). */
  self->acked = TRUE;

  switch (ppid)
    {
    case FERRY_PPID_STRING:
    case FERRY_PPID_STRING_EMPTY:
      is_text = TRUE;
      break;
    case FERRY_PPID_BINARY:
    case FERRY_PPID_BINARY_EMPTY:
      is_text = FALSE;
      break;
    default:
      g_debug ("Channel %d: ignored a message with PPID %u", self->id, ppid);
      return;
    }

  g_signal_emit (self, signals[MESSAGE], 0, data, is_text);
}

void
_ferry_data_channel_buffered_amount_changed (FerryDataChannel *self,
                                             guint64           amount)
{
  guint64 before = self->buffered;

  self->buffered = amount;
  if (before > self->low_threshold && amount <= self->low_threshold)
    g_signal_emit (self, signals[BUFFERED_AMOUNT_LOW], 0);
}

void
_ferry_data_channel_closing (FerryDataChannel *self)
{
  if (self->state == FERRY_DATA_CHANNEL_OPEN)
    set_state (self, FERRY_DATA_CHANNEL_CLOSING);
}

void
_ferry_data_channel_closed (FerryDataChannel *self,
                            const GError     *error)
{
  if (self->state == FERRY_DATA_CHANNEL_CLOSED)
    return;

  g_object_ref (self);
  if (error != NULL)
    g_signal_emit (self, signals[ERROR], 0, error);
  set_state (self, FERRY_DATA_CHANNEL_CLOSED);
  set_transport (self, NULL);
  g_signal_emit (self, signals[CLOSE], 0);
  g_object_unref (self);
}

FerrySctpTransport *
_ferry_data_channel_get_transport (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), NULL);

  return self->sctp;
}

const char *
ferry_data_channel_get_label (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), NULL);

  return self->label;
}

const char *
ferry_data_channel_get_protocol (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), NULL);

  return self->protocol;
}

int
ferry_data_channel_get_id (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), -1);

  return self->id;
}

gboolean
ferry_data_channel_get_ordered (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), TRUE);

  return self->ordered;
}

gboolean
ferry_data_channel_get_negotiated (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), FALSE);

  return self->negotiated;
}

int
ferry_data_channel_get_max_retransmits (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), -1);

  return self->max_retransmits;
}

int
ferry_data_channel_get_max_packet_lifetime (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), -1);

  return self->max_packet_lifetime;
}

FerryDataChannelState
ferry_data_channel_get_state (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), FERRY_DATA_CHANNEL_CLOSED);

  return self->state;
}

static gboolean
send_message (FerryDataChannel  *self,
              guint32            ppid,
              GBytes            *bytes,
              GError           **error)
{
  FerrySctpReliability reliability;

  if (self->state != FERRY_DATA_CHANNEL_OPEN || self->sctp == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           _("The data channel is not open"));
      return FALSE;
    }

  reliability.unordered = !self->ordered && self->acked;
  reliability.max_retransmits = self->max_retransmits;
  reliability.max_packet_lifetime = self->max_packet_lifetime;

  if (!ferry_sctp_transport_send (self->sctp, self->id, ppid, bytes, &reliability, error))
    return FALSE;

  /* The transport reports only what drains; what waits counts at once, as in browsers, or a
   * sender filling up to a high-water mark would never stop. */
  self->buffered = ferry_sctp_transport_get_buffered_amount (self->sctp, self->id);
  return TRUE;
}

gboolean
ferry_data_channel_send_text (FerryDataChannel  *self,
                              const char        *text,
                              GError           **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  len = strlen (text);
  if (!g_utf8_validate_len (text, len, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("A text message must be valid UTF-8"));
      return FALSE;
    }

  bytes = g_bytes_new (text, len);
  return send_message (self, len ? FERRY_PPID_STRING : FERRY_PPID_STRING_EMPTY, bytes, error);
}

gboolean
ferry_data_channel_send_bytes (FerryDataChannel  *self,
                               GBytes            *bytes,
                               GError           **error)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);

  return send_message (self, g_bytes_get_size (bytes) ? FERRY_PPID_BINARY : FERRY_PPID_BINARY_EMPTY,
                       bytes, error);
}

guint64
ferry_data_channel_get_buffered_amount (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), 0);

  return self->buffered;
}

guint64
ferry_data_channel_get_buffered_amount_low_threshold (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), 0);

  return self->low_threshold;
}

void
ferry_data_channel_set_buffered_amount_low_threshold (FerryDataChannel *self,
                                                      guint64           threshold)
{
  g_return_if_fail (FERRY_IS_DATA_CHANNEL (self));

  if (self->low_threshold == threshold)
    return;
  self->low_threshold = threshold;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUFFERED_AMOUNT_LOW_THRESHOLD]);
}

guint64
ferry_data_channel_get_max_message_size (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), 0);

  return self->sctp ? ferry_sctp_transport_get_max_send_size (self->sctp) : 0;
}

guint
ferry_data_channel_get_fragment_size (FerryDataChannel *self)
{
  g_return_val_if_fail (FERRY_IS_DATA_CHANNEL (self), 0);

  return self->sctp ? ferry_sctp_transport_get_fragment_size (self->sctp) : 0;
}

void
ferry_data_channel_close (FerryDataChannel *self)
{
  g_return_if_fail (FERRY_IS_DATA_CHANNEL (self));

  if (self->state == FERRY_DATA_CHANNEL_CLOSING || self->state == FERRY_DATA_CHANNEL_CLOSED)
    return;

  if (self->sctp == NULL || self->id < 0)
    {
      _ferry_data_channel_closed (self, NULL);
      return;
    }

  set_state (self, FERRY_DATA_CHANNEL_CLOSING);
  /* The stream resets once the messages queued before are sent, again if the peer refuses;
   * the peer mirrors the reset and FerryPeerConnection reports the channel closed.  A peer that
   * never performs the reset gets the channel closed with an error. */
  ferry_sctp_transport_reset_stream (self->sctp, self->id);
}

void
ferry_data_channel_set_receive_held (FerryDataChannel *self,
                                     gboolean          held)
{
  g_return_if_fail (FERRY_IS_DATA_CHANNEL (self));

  held = !!held;
  if (self->sctp == NULL || self->receive_held == held)
    return;
  self->receive_held = held;
  ferry_sctp_transport_hold_receive (self->sctp, held);
}
