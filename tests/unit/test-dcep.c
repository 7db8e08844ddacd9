/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-dcep.h"

/* simple-peer's channel label: 40 random hex characters (docs/INTEROP.md, "DCEP open
 * messages"). */
#define SIMPLE_PEER_LABEL "a8818cbd0d6cba6e925d8ce34a5d8df61902cdf9"

/* DATA_CHANNEL_OPEN as Chromium sends it for simple-peer's channel: reliable, ordered, priority
 * 256, label 40 bytes, empty protocol (docs/INTEROP.md, "Reference captures"). */
static const guint8 chromium_open[] = {
  0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00,
  'a', '8', '8', '1', '8', 'c', 'b', 'd', '0', 'd', '6', 'c', 'b', 'a', '6', 'e', '9', '2', '5', 'd',
  '8', 'c', 'e', '3', '4', 'a', '5', 'd', '8', 'd', 'f', '6', '1', '9', '0', '2', 'c', 'd', 'f', '9',
};

/* The same from Firefox or libwebrtc M106: priority 0. */
static const guint8 firefox_open[] = {
  0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00,
  'a', '8', '8', '1', '8', 'c', 'b', 'd', '0', 'd', '6', 'c', 'b', 'a', '6', 'e', '9', '2', '5', 'd',
  '8', 'c', 'e', '3', '4', 'a', '5', 'd', '8', 'd', 'f', '6', '1', '9', '0', '2', 'c', 'd', 'f', '9',
};

/* Parses from a heap copy of exactly @len bytes, so that AddressSanitizer sees any over-read. */
static gboolean
parse_exact (const guint8      *data,
             gsize              len,
             FerryDcepMessage  *message,
             GError           **error)
{
  g_autofree guint8 *copy = len > 0 ? g_memdup2 (data, len) : NULL;

  return ferry_dcep_parse (copy, len, message, error);
}

static void
test_chromium_open (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rebuilt = NULL;
  FerryDcepMessage message;

  g_assert_true (parse_exact (chromium_open, sizeof chromium_open, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (message.message_type, ==, FERRY_DCEP_OPEN);
  g_assert_cmpuint (message.channel_type, ==, FERRY_DCEP_RELIABLE);
  g_assert_cmpuint (message.priority, ==, 256);
  g_assert_cmpuint (message.reliability, ==, 0);
  g_assert_cmpstr (message.label, ==, SIMPLE_PEER_LABEL);
  g_assert_cmpstr (message.protocol, ==, "");

  /* What FerryDataChannel sends is the same bytes. */
  rebuilt = ferry_dcep_build_open (message.channel_type, message.priority, message.reliability,
                                   message.label, message.protocol);
  g_assert_cmpmem (g_bytes_get_data (rebuilt, NULL), g_bytes_get_size (rebuilt),
                   chromium_open, sizeof chromium_open);
  ferry_dcep_clear (&message);
  g_assert_null (message.label);
  g_assert_null (message.protocol);
  /* Clearing twice is harmless. */
  ferry_dcep_clear (&message);
}

static void
test_firefox_open (void)
{
  g_autoptr(GError) error = NULL;
  FerryDcepMessage message;

  g_assert_true (parse_exact (firefox_open, sizeof firefox_open, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (message.message_type, ==, FERRY_DCEP_OPEN);
  g_assert_cmpuint (message.channel_type, ==, FERRY_DCEP_RELIABLE);
  g_assert_cmpuint (message.priority, ==, 0);
  g_assert_cmpuint (message.reliability, ==, 0);
  g_assert_cmpstr (message.label, ==, SIMPLE_PEER_LABEL);
  g_assert_cmpstr (message.protocol, ==, "");
  ferry_dcep_clear (&message);
}

static void
test_ack (void)
{
  g_autoptr(GBytes) ack = ferry_dcep_build_ack ();
  g_autoptr(GError) error = NULL;
  FerryDcepMessage message;
  gsize len;
  const guint8 *data = g_bytes_get_data (ack, &len);

  g_assert_cmpuint (len, ==, 1);
  g_assert_cmpuint (data[0], ==, 0x02);
  g_assert_true (parse_exact (data, len, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (message.message_type, ==, FERRY_DCEP_ACK);
  g_assert_null (message.label);
  g_assert_null (message.protocol);
  ferry_dcep_clear (&message);
}

static void
test_round_trip (void)
{
  static const struct {
    const char *label;
    const char *protocol;
  } texts[] = {
    { "", "" },
    { SIMPLE_PEER_LABEL, "" },
    { "chat", "json" },
    { "", "x-ferry" },
    { "f\xc3\xa9rry \xf0\x9f\x9a\xa2", "\xe2\x82\xac" },  /* multi-byte UTF-8 */
  };
  static const guint16 priorities[] = { 0, 128, 256, 512, 1024, 0xffff };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    for (guint j = 0; j < G_N_ELEMENTS (priorities); j++)
      {
        g_autoptr(GBytes) open = ferry_dcep_build_open (FERRY_DCEP_RELIABLE, priorities[j], 0,
                                                        texts[i].label, texts[i].protocol);
        g_autoptr(GError) error = NULL;
        FerryDcepMessage message;
        gsize len;
        const guint8 *data = g_bytes_get_data (open, &len);

        g_assert_cmpuint (len, ==, 12 + strlen (texts[i].label) + strlen (texts[i].protocol));
        g_assert_true (parse_exact (data, len, &message, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (message.priority, ==, priorities[j]);
        g_assert_cmpstr (message.label, ==, texts[i].label);
        g_assert_cmpstr (message.protocol, ==, texts[i].protocol);
        ferry_dcep_clear (&message);
      }
}

static void
test_longest_label (void)
{
  /* Label and protocol of 65535 bytes each: the 16-bit lengths at their maximum. */
  g_autofree char *label = g_strnfill (G_MAXUINT16, 'l');
  g_autofree char *protocol = g_strnfill (G_MAXUINT16, 'p');
  g_autoptr(GBytes) open = ferry_dcep_build_open (FERRY_DCEP_RELIABLE, 256, 0, label, protocol);
  g_autoptr(GError) error = NULL;
  FerryDcepMessage message;
  gsize len;
  const guint8 *data = g_bytes_get_data (open, &len);

  g_assert_cmpuint (len, ==, 12 + 2 * G_MAXUINT16);
  g_assert_cmpuint (data[8], ==, 0xff);
  g_assert_cmpuint (data[9], ==, 0xff);
  g_assert_true (parse_exact (data, len, &message, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (message.label, ==, label);
  g_assert_cmpstr (message.protocol, ==, protocol);
  ferry_dcep_clear (&message);
}

static void
test_channel_types (void)
{
  static const guint8 types[] = { 0x00, 0x80, 0x01, 0x81, 0x02, 0x82 };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      /* Distinct bytes, so that a 16-bit read (janus-gateway #3654) or a byte swap shows. */
      g_autoptr(GBytes) open = ferry_dcep_build_open (types[i], 512, 0x01020304, "l", "p");
      g_autoptr(GError) error = NULL;
      FerryDcepMessage message;
      gsize len;
      const guint8 *data = g_bytes_get_data (open, &len);
      static const guint8 header[] = { 0x03, 0x00, 0x02, 0x00, 0x01, 0x02, 0x03, 0x04, 0x00, 0x01, 0x00, 0x01 };

      g_assert_cmpuint (len, ==, 14);
      g_assert_cmpuint (data[1], ==, types[i]);
      g_assert_cmpmem (data + 2, 10, header + 2, 10);
      g_assert_cmpuint (data[12], ==, 'l');
      g_assert_cmpuint (data[13], ==, 'p');

      g_assert_true (parse_exact (data, len, &message, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (message.channel_type, ==, types[i]);
      g_assert_cmpuint (message.priority, ==, 512);
      g_assert_cmpuint (message.reliability, ==, 0x01020304);
      g_assert_cmpstr (message.label, ==, "l");
      g_assert_cmpstr (message.protocol, ==, "p");
      ferry_dcep_clear (&message);
    }

  /* The top bit of the parameter survives too. */
  {
    static const guint8 timed[] = { 0x03, 0x82, 0x00, 0x00, 0xfe, 0xdc, 0xba, 0x98, 0x00, 0x00, 0x00, 0x00 };
    g_autoptr(GError) error = NULL;
    FerryDcepMessage message;

    g_assert_true (parse_exact (timed, sizeof timed, &message, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (message.reliability, ==, 0xfedcba98);
    g_assert_cmpstr (message.label, ==, "");
    ferry_dcep_clear (&message);
  }
}

static void
assert_malformed (const guint8 *data,
                  gsize         len)
{
  g_autoptr(GError) error = NULL;
  FerryDcepMessage message;

  g_assert_false (parse_exact (data, len, &message, &error));
  g_assert_error (error, FERRY_DCEP_ERROR, FERRY_DCEP_ERROR_MALFORMED);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  /* Nothing is left allocated on failure. */
  g_assert_null (message.label);
  g_assert_null (message.protocol);
}

static void
test_malformed (void)
{
  static const guint8 ack_extra[] = { 0x02, 0x00 };
  static const guint8 open_then_ack[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x02 };
  /* Label length 5, but only 4 bytes follow. */
  static const guint8 label_too_long[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x05, 0x00, 0x00, 'a', 'b', 'c', 'd' };
  /* Protocol length larger than what is left after the label. */
  static const guint8 protocol_too_long[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x02, 0x00, 0x03, 'a', 'b', 'c', 'd' };
  /* Lengths smaller than the message: trailing bytes. */
  static const guint8 too_short_lengths[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x01, 'a', 'b', 'c' };
  /* Lengths whose sum overflows 16 bits. */
  static const guint8 huge_lengths[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 'a' };
  static const guint8 label_nul[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0x00, 0x00, 'a', '\0', 'b' };
  static const guint8 protocol_nul[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x01, 'a', '\0' };
  static const guint8 label_bad_utf8[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x02, 0x00, 0x00, 0xc3, 0x28 };
  static const guint8 label_overlong[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x02, 0x00, 0x00, 0xc0, 0xaf };
  /* A multi-byte character split between label and protocol. */
  static const guint8 split_char[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x01, 0x00, 0x01, 0xc3, 0xa9 };
  static const guint8 protocol_bad_utf8[] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x01, 0xff };
  static const guint8 unknown_types[] = { 0x00, 0x01, 0x04, 0x32, 0x82, 0xff };
  static const guint8 unknown_channel_types[] = { 0x03, 0x04, 0x40, 0x7f, 0x83, 0xc0, 0xff };
  guint8 header[12] = { 0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0 };

  /* Empty, with and without a buffer. */
  {
    g_autoptr(GError) error = NULL;
    FerryDcepMessage message;

    g_assert_false (ferry_dcep_parse (NULL, 0, &message, &error));
    g_assert_error (error, FERRY_DCEP_ERROR, FERRY_DCEP_ERROR_MALFORMED);
    g_clear_error (&error);
    g_assert_false (ferry_dcep_parse (header, 0, &message, &error));
    g_assert_error (error, FERRY_DCEP_ERROR, FERRY_DCEP_ERROR_MALFORMED);
  }

  /* Unknown message types, including the old drafts' OPEN_REQUEST/RESPONSE (0x00/0x01). */
  for (guint i = 0; i < G_N_ELEMENTS (unknown_types); i++)
    {
      guint8 message[12];

      memcpy (message, header, sizeof message);
      message[0] = unknown_types[i];
      assert_malformed (message, 1);
      assert_malformed (message, sizeof message);
    }

  /* Every truncation of the header. */
  for (gsize len = 1; len < sizeof header; len++)
    assert_malformed (header, len);
  /* The chromium OPEN cut anywhere inside its label. */
  for (gsize len = 12; len < sizeof chromium_open; len++)
    assert_malformed (chromium_open, len);

  assert_malformed (ack_extra, sizeof ack_extra);
  assert_malformed (open_then_ack, sizeof open_then_ack);
  assert_malformed (label_too_long, sizeof label_too_long);
  assert_malformed (protocol_too_long, sizeof protocol_too_long);
  assert_malformed (too_short_lengths, sizeof too_short_lengths);
  assert_malformed (huge_lengths, sizeof huge_lengths);
  assert_malformed (label_nul, sizeof label_nul);
  assert_malformed (protocol_nul, sizeof protocol_nul);
  assert_malformed (label_bad_utf8, sizeof label_bad_utf8);
  assert_malformed (label_overlong, sizeof label_overlong);
  assert_malformed (split_char, sizeof split_char);
  assert_malformed (protocol_bad_utf8, sizeof protocol_bad_utf8);

  for (guint i = 0; i < G_N_ELEMENTS (unknown_channel_types); i++)
    {
      header[1] = unknown_channel_types[i];
      assert_malformed (header, sizeof header);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dcep/chromium-open", test_chromium_open);
  g_test_add_func ("/dcep/firefox-open", test_firefox_open);
  g_test_add_func ("/dcep/ack", test_ack);
  g_test_add_func ("/dcep/round-trip", test_round_trip);
  g_test_add_func ("/dcep/longest-label", test_longest_label);
  g_test_add_func ("/dcep/channel-types", test_channel_types);
  g_test_add_func ("/dcep/malformed", test_malformed);

  return g_test_run ();
}
