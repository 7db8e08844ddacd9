/* ferry-bin20.h: the WebTorrent tracker's 20-byte ids as JSON strings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * info_hash, peer_id, offer_id and to_peer_id travel as 20-code-point strings, one code point
 * U+0000..U+00FF per byte (docs/INTEROP.md, "bin20 ids").  Encoding matches JSON.stringify byte
 * for byte; decoding accepts any valid JSON escaping.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_BIN20_LEN 20

/* Appends the JSON string literal (with quotes) for @bytes. */
void      ferry_bin20_append_json     (GString      *out,
                                       const guint8  bytes[FERRY_BIN20_LEN]);
char     *ferry_bin20_to_json         (const guint8  bytes[FERRY_BIN20_LEN]);

/* Decodes the string literal at *@p; on success *@p points after it. */
gboolean  ferry_bin20_decode          (const char  **p,
                                       const char   *end,
                                       guint8        bytes[FERRY_BIN20_LEN],
                                       GError      **error);
/* Decodes a complete literal spanning exactly @json .. @json+@len. */
gboolean  ferry_bin20_from_json       (const char   *json,
                                       gsize         len,
                                       guint8        bytes[FERRY_BIN20_LEN],
                                       GError      **error);
/* Reads member @name of the JSON object @json as bin20.  Returns %FALSE with an error when it is
 * absent or not a valid bin20 string. */
gboolean  ferry_bin20_from_member     (const char   *json,
                                       gsize         len,
                                       const char   *name,
                                       guint8        bytes[FERRY_BIN20_LEN],
                                       GError      **error);

G_END_DECLS
