/* ferry-crc32c.h: CRC32C (Castagnoli), for SCTP packets and the DHT's node ids
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The CRC32C of @data (RFC 4960 appendix B; BEP 42), as usrsctp_crc32c () computes it. */
guint32 ferry_crc32c (const void *data,
                      gsize       len);

G_END_DECLS
