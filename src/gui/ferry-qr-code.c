/* ferry-qr-code.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <qrencode.h>

#include "ferry-qr-code.h"

#define QUIET_ZONE_MODULES 4

G_DEFINE_AUTOPTR_CLEANUP_FUNC (QRcode, QRcode_free)

GdkTexture *
ferry_qr_code_render (const char  *text,
                      int          max_size,
                      GError     **error)
{
  g_autoptr(QRcode) code = NULL;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *pixels;
  gsize stride;
  int modules;
  int scale;
  int size;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  errno = 0;
  code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == NULL)
    {
      int saved_errno = errno;

      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           saved_errno == ERANGE ? _("The text is too long for a QR code.")
                                                 : _("Could not make a QR code."));
      return NULL;
    }

  modules = code->width + 2 * QUIET_ZONE_MODULES;
  scale = MAX (1, max_size / modules);
  size = modules * scale;
  stride = (gsize) size * 3;
  pixels = g_malloc (stride * size);
  memset (pixels, 0xff, stride * size);

  for (int y = 0; y < code->width; y++)
    for (int x = 0; x < code->width; x++)
      {
        /* Bit 0 of each libqrencode module is "dark"; the other bits describe its role. */
        if ((code->data[y * code->width + x] & 1) == 0)
          continue;

        for (int dy = 0; dy < scale; dy++)
          {
            guint8 *row = pixels + (gsize) ((y + QUIET_ZONE_MODULES) * scale + dy) * stride;

            memset (row + (gsize) (x + QUIET_ZONE_MODULES) * scale * 3, 0, (gsize) scale * 3);
          }
      }

  bytes = g_bytes_new_take (pixels, stride * size);

  return gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, stride);
}
