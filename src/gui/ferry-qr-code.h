/* ferry-qr-code.h: QR codes of room links, as textures
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Dark modules on white with the standard four-module quiet zone, error correction level M, byte
 * mode.  Each module is a whole number of pixels, as many as fit in @max_size (at least one), so
 * the code stays sharp when shown at its natural size.  Colours are fixed rather than themed:
 * scanners expect dark on light. */
GdkTexture *ferry_qr_code_render (const char  *text,
                                  int          max_size,
                                  GError     **error);

G_END_DECLS
