/* ferry-dcep.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-dcep.h"

G_DEFINE_QUARK (ferry-dcep-error-quark, ferry_dcep_error)

#define OPEN_HEADER 12

static gboolean
malformed (GError    **error,
           const char *why)
{
  g_set_error (error, FERRY_DCEP_ERROR, FERRY_DCEP_ERROR_MALFORMED,
               _("Invalid data channel control message: %s"), why);
  return FALSE;
}

static char *
dup_text (const guint8 *data,
          gsize         len)
{
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len ((const char *) data, len, NULL))
    return NULL;
  return g_strndup ((const char *) data, len);
}

gboolean
ferry_dcep_parse (const guint8      *data,
                  gsize              len,
                  FerryDcepMessage  *message,
                  GError           **error)
{
  guint16 label_len, protocol_len;

  memset (message, 0, sizeof *message);

  if (len == 0)
    return malformed (error, _("it is empty"));

  message->message_type = data[0];
  if (data[0] == FERRY_DCEP_ACK)
    {
      if (len != 1)
        return malformed (error, _("an acknowledgement has extra bytes"));
      return TRUE;
    }
  if (data[0] != FERRY_DCEP_OPEN)
    return malformed (error, _("unknown message type"));

  if (len < OPEN_HEADER)
    return malformed (error, _("the open request is truncated"));

  message->channel_type = data[1];
  message->priority = (data[2] << 8) | data[3];
  /* 32 bits, big-endian (janus-gateway #3654 read it with ntohs). */
  message->reliability = ((guint32) data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7];
  label_len = (data[8] << 8) | data[9];
  protocol_len = (data[10] << 8) | data[11];

  switch (message->channel_type & ~FERRY_DCEP_UNORDERED)
    {
    case FERRY_DCEP_RELIABLE:
    case FERRY_DCEP_PARTIAL_RELIABLE_REXMIT:
    case FERRY_DCEP_PARTIAL_RELIABLE_TIMED:
      break;
    default:
      return malformed (error, _("unknown channel type"));
    }

  if ((gsize) OPEN_HEADER + label_len + protocol_len != len)
    return malformed (error, _("the label and protocol lengths do not match its size"));

  message->label = dup_text (data + OPEN_HEADER, label_len);
  message->protocol = dup_text (data + OPEN_HEADER + label_len, protocol_len);
  if (message->label == NULL || message->protocol == NULL)
    {
      ferry_dcep_clear (message);
      return malformed (error, _("the label or protocol is not text"));
    }

  return TRUE;
}

void
ferry_dcep_clear (FerryDcepMessage *message)
{
  g_clear_pointer (&message->label, g_free);
  g_clear_pointer (&message->protocol, g_free);
}

GBytes *
ferry_dcep_build_open (guint8      channel_type,
                       guint16     priority,
                       guint32     reliability,
                       const char *label,
                       const char *protocol)
{
  gsize label_len = strlen (label);
  gsize protocol_len = strlen (protocol);
  gsize len = OPEN_HEADER + label_len + protocol_len;
  guint8 *data;

  g_return_val_if_fail (label_len <= G_MAXUINT16 && protocol_len <= G_MAXUINT16, NULL);

  data = g_malloc (len);
  data[0] = FERRY_DCEP_OPEN;
  data[1] = channel_type;
  data[2] = priority >> 8;
  data[3] = priority & 0xff;
  data[4] = reliability >> 24;
  data[5] = (reliability >> 16) & 0xff;
  data[6] = (reliability >> 8) & 0xff;
  data[7] = reliability & 0xff;
  data[8] = label_len >> 8;
  data[9] = label_len & 0xff;
  data[10] = protocol_len >> 8;
  data[11] = protocol_len & 0xff;
  memcpy (data + OPEN_HEADER, label, label_len);
  memcpy (data + OPEN_HEADER + label_len, protocol, protocol_len);

  return g_bytes_new_take (data, len);
}

GBytes *
ferry_dcep_build_ack (void)
{
  static const guint8 ack = FERRY_DCEP_ACK;

  return g_bytes_new_static (&ack, 1);
}
