/* ferry-text.h: untrusted text made fit to show on one line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  FERRY_TEXT_LINE_DEFAULT  = 0,
  FERRY_TEXT_LINE_SPACES   = 1 << 0,  /* unwanted characters become spaces instead of vanishing */
  FERRY_TEXT_LINE_ELLIPSIS = 1 << 1,  /* a text that was cut ends with "…" */
} FerryTextLineFlags;

/* Returns @text as valid UTF-8 without control characters, line or paragraph separators and
 * bidirectional overrides or isolates (which would let the text reorder what is shown around
 * it), cut at a character boundary to at most @max_bytes (plus the "…" of
 * FERRY_TEXT_LINE_ELLIPSIS). */
char *ferry_text_sanitize_line (const char         *text,
                                gsize               max_bytes,
                                FerryTextLineFlags  flags);

/* The nick of @value in the registered enum @type, for logs and command-line output ("?" for a
 * value the enum does not have). */
const char *ferry_enum_nick (GType type,
                             int   value);
/* The value of @nick in the registered enum @type; %FALSE when it has no such nick. */
gboolean    ferry_enum_from_nick (GType       type,
                                  const char *nick,
                                  int        *value);

G_END_DECLS
