/* test-pairing-code.c: pairing codes (docs/PAIRING.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "ferry-crypto.h"
#include "ferry-pairing-code.h"

/* An SDP offer of the size Ferry makes (three host candidates), for the length comparison. */
static const char sdp_offer[] =
  "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
  "a=msid-semantic: WMS\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:x7Sg\r\na=ice-pwd:NLy0GSRsj3rEbB7EhTr7jcMw\r\na=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 10:99:50:8D:98:14:14:6E:2A:2E:5F:61:1A:70:56:BE:01:89:1B:DA:84:77:4B:9D:18:72:0C:91:7E:17:88:BD\r\n"
  "a=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n"
  "a=candidate:1 1 UDP 2122252543 192.168.1.20 54321 typ host\r\n"
  "a=candidate:2 1 UDP 2122262783 2001:db8::20 54322 typ host\r\n"
  "a=candidate:3 1 UDP 1686052607 203.0.113.7 61000 typ srflx raddr 192.168.1.20 rport 54321\r\n"
  "a=end-of-candidates\r\n";

static FerryPairingCode *
example_code (void)
{
  FerryPairingCode *code = ferry_pairing_code_new (FALSE, FERRY_PAIRING_DEFAULT_LIFETIME_S);
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_pairing_code_add_candidate (code, "candidate:1 1 UDP 2122252543 192.168.1.20 54321 typ host", &error));
  g_assert_true (ferry_pairing_code_add_candidate (code, "a=candidate:2 1 udp 2122262783 2001:db8::20 54322 typ host generation 0", &error));
  g_assert_true (ferry_pairing_code_add_candidate (code, "candidate:3 1 udp 1686052607 203.0.113.7 61000 typ srflx raddr 192.168.1.20 rport 54321", &error));
  g_assert_no_error (error);
  return code;
}

static void
test_round_trip (void)
{
  g_autoptr(FerryPairingCode) code = example_code ();
  g_autoptr(FerryPairingCode) parsed = NULL;
  g_autoptr(FerryPairingCode) from_link = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = ferry_pairing_code_to_string (code);
  g_autofree char *link = ferry_pairing_code_to_link (code);
  g_autofree char *spaced = NULL;
  g_autofree char *sdp = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_test_message ("code: %zu characters, the JSON SDP offer: %zu", strlen (text),
                  strlen (sdp_offer) + strlen ("{\"type\":\"offer\",\"sdp\":\"\"}") + 2 * 14);
  /* 1+1+4+16+1 + 7+19+7 + 4 bytes = 60, so 80 characters: about a tenth of the offer. */
  g_assert_cmpuint (strlen (text), ==, 80);
  g_assert_cmpuint (strlen (text) * 8, <, strlen (sdp_offer));
  g_assert_true (g_str_has_prefix (link, "ferry://pair?v=1#"));
  g_assert_true (ferry_pairing_code_is_link (link));
  g_assert_false (ferry_pairing_code_is_link (text));

  parsed = ferry_pairing_code_parse (text, now, &error);
  g_assert_no_error (error);
  g_assert_false (parsed->reply);
  g_assert_cmpmem (parsed->secret, sizeof parsed->secret, code->secret, sizeof code->secret);
  g_assert_cmpint (parsed->expires, ==, code->expires);
  g_assert_cmpuint (parsed->candidates->len, ==, 3);
  sdp = ferry_pairing_code_get_candidate_sdp (parsed, 1);
  g_assert_cmpstr (sdp, ==, "candidate:2 1 udp 2130706175 2001:db8::20 54322 typ host");
  g_clear_pointer (&sdp, g_free);
  sdp = ferry_pairing_code_get_candidate_sdp (parsed, 2);
  g_assert_cmpstr (sdp, ==, "candidate:3 1 udp 1694498303 203.0.113.7 61000 typ srflx");

  /* As a link (any case in the prefix), and typed with spaces and line breaks. */
  link[0] = 'F';
  from_link = ferry_pairing_code_parse (link, now, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (from_link->secret, 16, code->secret, 16);
  spaced = g_strdup_printf ("  %.30s \n%.30s %s\n", text, text + 30, text + 60);
  g_clear_pointer (&parsed, ferry_pairing_code_free);
  parsed = ferry_pairing_code_parse (spaced, now, &error);
  g_assert_no_error (error);
}

static void
assert_refused (const char *text,
                gint64      now,
                int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPairingCode) parsed = ferry_pairing_code_parse (text, now, &error);

  g_assert_null (parsed);
  g_assert_error (error, FERRY_PAIRING_CODE_ERROR, code);
  g_test_message ("%s", error->message);
}

static void
test_refused (void)
{
  g_autoptr(FerryPairingCode) code = example_code ();
  g_autofree char *text = ferry_pairing_code_to_string (code);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gsize len = strlen (text);

  /* Every single changed character is caught by the checksum (or breaks the base64url). */
  for (gsize i = 0; i < len; i++)
    {
      g_autofree char *typo = g_strdup (text);
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryPairingCode) parsed = NULL;

      typo[i] = typo[i] == 'A' ? 'B' : 'A';
      parsed = ferry_pairing_code_parse (typo, now, &error);
      g_assert_null (parsed);
      g_assert_true (g_error_matches (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_CHECKSUM) ||
                     g_error_matches (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_INVALID));
    }
  {
    g_autofree char *typo = g_strdup (text);

    typo[50] = typo[50] == 'x' ? 'y' : 'x';
    assert_refused (typo, now, FERRY_PAIRING_CODE_ERROR_CHECKSUM);
  }
  /* Cut: at the end, by a character or by half. */
  {
    g_autofree char *cut = g_strndup (text, len - 1);

    assert_refused (cut, now, FERRY_PAIRING_CODE_ERROR_CHECKSUM);
    cut[len / 2] = '\0';
    assert_refused (cut, now, FERRY_PAIRING_CODE_ERROR_CHECKSUM);
    cut[20] = '\0';
    assert_refused (cut, now, FERRY_PAIRING_CODE_ERROR_INVALID);
  }
  assert_refused ("", now, FERRY_PAIRING_CODE_ERROR_INVALID);
  assert_refused ("ferry://pair?v=1#", now, FERRY_PAIRING_CODE_ERROR_INVALID);
  assert_refused ("not a code!", now, FERRY_PAIRING_CODE_ERROR_INVALID);
  /* Expired: ten minutes and a second later. */
  assert_refused (text, now + FERRY_PAIRING_DEFAULT_LIFETIME_S + 1, FERRY_PAIRING_CODE_ERROR_EXPIRED);
}

static void
test_reply (void)
{
  g_autoptr(FerryPairingCode) code = example_code ();
  g_autoptr(FerryPairingCode) reply = ferry_pairing_code_new (TRUE, FERRY_PAIRING_DEFAULT_LIFETIME_S);
  g_autoptr(FerryPairingCode) forged = ferry_pairing_code_new (TRUE, FERRY_PAIRING_DEFAULT_LIFETIME_S);
  g_autoptr(FerryPairingCode) parsed = NULL;
  g_autoptr(FerryPairingCode) parsed_forged = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *forged_text = NULL;
  guint8 other_secret[FERRY_PAIRING_SECRET_LEN] = { 1 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  reply->dtls_client = TRUE;
  g_assert_true (ferry_pairing_code_add_candidate (reply, "candidate:1 1 udp 1 198.51.100.9 40000 typ srflx", &error));
  ferry_pairing_code_sign_reply (reply, code->secret);
  text = ferry_pairing_code_to_string (reply);
  parsed = ferry_pairing_code_parse (text, now, &error);
  g_assert_no_error (error);
  g_assert_true (parsed->reply);
  g_assert_true (parsed->dtls_client);
  g_assert_true (ferry_pairing_code_verify_reply (parsed, code->secret, &error));
  g_assert_no_error (error);

  /* Another secret (a third party who never saw the code) makes another tag. */
  ferry_pairing_code_sign_reply (forged, other_secret);
  forged_text = ferry_pairing_code_to_string (forged);
  parsed_forged = ferry_pairing_code_parse (forged_text, now, &error);
  g_assert_no_error (error);
  g_assert_false (ferry_pairing_code_verify_reply (parsed_forged, code->secret, &error));
  g_assert_error (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_FORGED);
  g_clear_error (&error);

  /* A code where a reply is expected. */
  g_assert_false (ferry_pairing_code_verify_reply (code, code->secret, &error));
  g_assert_error (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_NOT_FOR_US);
}

static void
test_candidates_refused (void)
{
  g_autoptr(FerryPairingCode) code = ferry_pairing_code_new (FALSE, 60);
  const char *bad[] = {
    "candidate:1 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active",
    "candidate:1 1 udp 2113937151 3f1c2b6e-1c7a-4f43-9a3e-5c0d6a7b8e9f.local 54400 typ host",
    "candidate:1 2 udp 1 192.168.1.20 5000 typ host",
    "candidate:1 1 udp 1 192.168.1.20 0 typ host",
    "candidate:1 1 udp 1 192.168.1.20 70000 typ host",
    "candidate:1 1 udp 1 192.168.1.20 5000 typ wormhole",
    "candidate:1 1 udp 1 192.168.1.20 5000",
    "a=ice-ufrag:abcd",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (ferry_pairing_code_add_candidate (code, bad[i], &error));
      g_assert_error (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_INVALID);
    }
  for (guint i = 0; i < FERRY_PAIRING_MAX_CANDIDATES; i++)
    g_assert_true (ferry_pairing_code_add_candidate (code, "candidate:1 1 udp 1 10.0.0.1 5000 typ host", NULL));
  g_assert_false (ferry_pairing_code_add_candidate (code, "candidate:1 1 udp 1 10.0.0.1 5000 typ host", NULL));
}

static void
test_keys (void)
{
  guint8 secret[FERRY_PAIRING_SECRET_LEN];
  FerryPairingKeys keys, again;

  for (guint i = 0; i < sizeof secret; i++)
    secret[i] = i;
  ferry_pairing_derive_keys (secret, &keys);
  ferry_pairing_derive_keys (secret, &again);
  g_assert_cmpmem (&keys, sizeof keys, &again, sizeof again);
  g_assert_cmpuint (strlen (keys.owner_ufrag), ==, 8);
  g_assert_cmpuint (strlen (keys.owner_pwd), ==, 24);
  g_assert_cmpstr (keys.owner_ufrag, !=, keys.reader_ufrag);
  g_assert_cmpstr (keys.owner_pwd, !=, keys.reader_pwd);
  for (const char *p = keys.owner_ufrag; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '+' || *p == '/');
  for (const char *p = keys.reader_pwd; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '+' || *p == '/');
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pairing-code/round-trip", test_round_trip);
  g_test_add_func ("/pairing-code/refused", test_refused);
  g_test_add_func ("/pairing-code/reply", test_reply);
  g_test_add_func ("/pairing-code/candidates-refused", test_candidates_refused);
  g_test_add_func ("/pairing-code/keys", test_keys);
  return g_test_run ();
}
