/* ferry-dcep.h: the Data Channel Establishment Protocol (RFC 8832)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_DCEP_ERROR (ferry_dcep_error_quark ())

typedef enum {
  FERRY_DCEP_ERROR_MALFORMED,
} FerryDcepError;

enum {
  FERRY_DCEP_ACK = 0x02,
  FERRY_DCEP_OPEN = 0x03,
};

/* Channel types; the 0x80 bit means unordered. */
enum {
  FERRY_DCEP_RELIABLE = 0x00,
  FERRY_DCEP_PARTIAL_RELIABLE_REXMIT = 0x01,
  FERRY_DCEP_PARTIAL_RELIABLE_TIMED = 0x02,
  FERRY_DCEP_UNORDERED = 0x80,
};

typedef struct {
  guint8   message_type;   /* FERRY_DCEP_OPEN or FERRY_DCEP_ACK */
  guint8   channel_type;
  guint16  priority;
  guint32  reliability;
  char    *label;
  char    *protocol;
} FerryDcepMessage;

GQuark   ferry_dcep_error_quark (void);

/* Parses an OPEN or an ACK.  Labels and protocols must be UTF-8 without NUL. */
gboolean ferry_dcep_parse       (const guint8      *data,
                                 gsize              len,
                                 FerryDcepMessage  *message,
                                 GError           **error);
void     ferry_dcep_clear       (FerryDcepMessage  *message);

GBytes  *ferry_dcep_build_open  (guint8             channel_type,
                                 guint16            priority,
                                 guint32            reliability,
                                 const char        *label,
                                 const char        *protocol);
GBytes  *ferry_dcep_build_ack   (void);

G_END_DECLS
