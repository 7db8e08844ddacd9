/* ferry-json.h: the JSON string cases json-glib 1.6 gets wrong
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json-glib 1.6 cuts strings at \u0000, rejects or mangles lone surrogates and writes 0x7F as
 * \u007f.  The tracker's 20-byte ids (bin20) and P2PT chunks (which may split a surrogate pair)
 * need exact JavaScript semantics, so this small scanner works on JSON text directly: it decodes
 * string literals to UTF-16 code units as JavaScript does, encodes them as JSON.stringify does,
 * and finds members of a top-level object.  Everything else goes through json-glib.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_JSON_ERROR (ferry_json_error_quark ())

typedef enum {
  FERRY_JSON_ERROR_SYNTAX,
  FERRY_JSON_ERROR_TYPE,
  FERRY_JSON_ERROR_TOO_DEEP,
} FerryJsonError;

#define FERRY_JSON_MAX_DEPTH 64

GQuark      ferry_json_error_quark         (void);

/* Decodes the string literal that starts at *@p (which must point at '"') into UTF-16 code units,
 * keeping lone surrogates.  On success *@p points just after the closing quote. */
GArray     *ferry_json_string_decode       (const char      **p,
                                            const char       *end,
                                            GError          **error);

/* Advances *@p over JSON white space. */
void        ferry_json_skip_ws             (const char      **p,
                                            const char       *end);

/* Skips one JSON value of any type starting at *@p (after optional white space). */
gboolean    ferry_json_skip_value          (const char      **p,
                                            const char       *end,
                                            GError          **error);

/* Looks up member @name of the object in @json.  Returns %TRUE and the value's extent when found;
 * %FALSE without an error when the member is absent; %FALSE with an error when @json is not a
 * well-formed object. */
gboolean    ferry_json_object_find_member  (const char       *json,
                                            gsize             len,
                                            const char       *name,
                                            const char      **value,
                                            const char      **value_end,
                                            GError          **error);

typedef enum {
  FERRY_JSON_ESCAPE_LONE_SURROGATE = 1 << 0,
  FERRY_JSON_ESCAPE_NUL            = 1 << 1,
} FerryJsonEscapes;

/* The escapes in @json that json-glib 1.6 reads differently from JavaScript: a lone UTF-16
 * surrogate (json-glib fails, or writes invalid UTF-8 and swallows the character after it, even
 * a closing quote) and \u0000 (json-glib cuts the string there).  @json must be well-formed JSON
 * (ferry_json_skip_value ()), where every backslash starts an escape inside a string.  A caller
 * refuses text with an escape it cannot afford rather than let json-glib misread it. */
FerryJsonEscapes ferry_json_find_misread_escapes (const char *json,
                                                  gsize       len);

/* Appends a JSON string literal for @units exactly as JavaScript's JSON.stringify writes it. */
void        ferry_json_append_utf16        (GString          *out,
                                            const gunichar2  *units,
                                            gsize             n_units);
/* Same for UTF-8 text (which has no lone surrogates). */
void        ferry_json_append_utf8         (GString          *out,
                                            const char       *text,
                                            gssize            len);

/* json-glib 1.6 escapes control characters below U+001F but writes U+001F itself as a raw byte,
 * which is not JSON (RFC 8259 section 7): a receiver's JSON.parse () would drop the whole
 * message.  Such bytes only occur inside strings, and no byte of a multi-byte UTF-8 sequence is
 * below 0x80, so this escapes every one.  Takes @json (from json_generator_to_data ()); returns
 * it unchanged when json-glib got it right. */
char       *ferry_json_escape_raw_controls (char             *json);

/* UTF-8 → UTF-16 code units; @text must be valid UTF-8. */
GArray     *ferry_utf8_to_utf16            (const char       *text,
                                            gssize            len);
/* UTF-16 code units → UTF-8, lone surrogates becoming U+FFFD as TextEncoder does. */
char       *ferry_utf16_to_utf8            (const gunichar2  *units,
                                            gsize             n_units,
                                            gsize            *out_len);

G_END_DECLS
