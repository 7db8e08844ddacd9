/* ferry-bencode.h: strict bencode, for the BitTorrent DHT
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Bencode (BEP 3) has integers (i42e), byte strings (4:spam), lists (l…e) and dictionaries
 * (d…e, keys are byte strings).  The decoder is strict, because what it reads comes from
 * anybody on the internet and some of it is signed (BEP 44 signs the exact bytes of a value):
 * every input has one encoding only — integers without leading zeros or "-0", lengths without
 * leading zeros, dictionary keys unique and in ascending byte order, nothing after the value —
 * and nesting, lengths and the number of values are capped.  Each value remembers the exact
 * bytes it was read from.  No C library for bencode is packaged in Debian.
 *
 * The encoder appends to a GByteArray; a caller writes dictionary keys in ascending order.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FERRY_BENCODE_ERROR (ferry_bencode_error_quark ())

typedef enum {
  FERRY_BENCODE_ERROR_SYNTAX,       /* not bencode, cut short, or something after the value */
  FERRY_BENCODE_ERROR_NOT_CANONICAL,/* a second encoding of a value: leading zeros, -0, keys out of order or twice */
  FERRY_BENCODE_ERROR_TOO_LARGE,    /* nested too deep, or too many values */
} FerryBencodeError;

typedef enum {
  FERRY_BENCODE_INT,
  FERRY_BENCODE_BYTES,
  FERRY_BENCODE_LIST,
  FERRY_BENCODE_DICT,
} FerryBencodeKind;

/* Limits of the decoder: far beyond what the DHT's messages need. */
#define FERRY_BENCODE_MAX_DEPTH 16
#define FERRY_BENCODE_MAX_VALUES 4096

typedef struct _FerryBencode FerryBencode;

GQuark            ferry_bencode_error_quark (void);

/* Reads the one value that is all of @data (@len bytes).  The result holds no reference to
 * @data: the raw bytes of each value are copied into the tree's own buffer. */
FerryBencode     *ferry_bencode_parse       (const guint8        *data,
                                             gsize                len,
                                             GError             **error);
/* Frees a tree returned by ferry_bencode_parse () (not a value inside one). */
void              ferry_bencode_free        (FerryBencode        *root);

FerryBencodeKind  ferry_bencode_get_kind    (const FerryBencode  *value);
gint64            ferry_bencode_get_int     (const FerryBencode  *value);
/* A byte string's bytes (not NUL-terminated) and length. */
const guint8     *ferry_bencode_get_bytes   (const FerryBencode  *value,
                                             gsize               *len);
/* Whether @value is a byte string equal to @text. */
gboolean          ferry_bencode_equal_str   (const FerryBencode  *value,
                                             const char          *text);
/* Items of a list, or entries of a dictionary. */
guint             ferry_bencode_get_length  (const FerryBencode  *value);
const FerryBencode *ferry_bencode_get_item  (const FerryBencode  *list,
                                             guint                index);
/* A dictionary's entry @index: its key (a byte string) and value. */
const FerryBencode *ferry_bencode_get_key   (const FerryBencode  *dict,
                                             guint                index);
/* The value under @key, or %NULL (also when @dict is not a dictionary). */
const FerryBencode *ferry_bencode_lookup    (const FerryBencode  *dict,
                                             const char          *key);
/* The exact bytes @value was read from. */
const guint8     *ferry_bencode_get_raw     (const FerryBencode  *value,
                                             gsize               *len);

void              ferry_bencode_write_int   (GByteArray          *out,
                                             gint64               value);
void              ferry_bencode_write_bytes (GByteArray          *out,
                                             const guint8        *data,
                                             gsize                len);
void              ferry_bencode_write_str   (GByteArray          *out,
                                             const char          *text);
/* 'l' or 'd' to open, 'e' to close. */
void              ferry_bencode_write_mark  (GByteArray          *out,
                                             char                 mark);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryBencode, ferry_bencode_free)

G_END_DECLS
