/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <gnutls/gnutls.h>

#include "ferry-certificate.h"

/* "AB:CD:…" with @n_bytes groups of two upper-case hex digits. */
static void
assert_fingerprint_format (const char *fingerprint,
                           gsize       n_bytes)
{
  g_assert_nonnull (fingerprint);
  g_assert_cmpuint (strlen (fingerprint), ==, n_bytes * 3 - 1);
  for (gsize i = 0; i < n_bytes; i++)
    {
      for (gsize j = 0; j < 2; j++)
        {
          char c = fingerprint[3 * i + j];
          g_assert_true (g_ascii_isdigit (c) || (c >= 'A' && c <= 'F'));
        }
      if (i + 1 < n_bytes)
        g_assert_cmpint (fingerprint[3 * i + 2], ==, ':');
    }
}

static FerryCertificate *
generate (void)
{
  g_autoptr(GError) error = NULL;
  FerryCertificate *certificate = ferry_certificate_generate (&error);

  g_assert_no_error (error);
  g_assert_true (FERRY_IS_CERTIFICATE (certificate));
  return certificate;
}

/* The DER of the certificate in @pem. */
static gnutls_datum_t
der_of (const char *pem)
{
  gnutls_datum_t in = { (unsigned char *) pem, strlen (pem) };
  gnutls_datum_t der = { NULL, 0 };

  g_assert_cmpint (gnutls_pem_base64_decode2 ("CERTIFICATE", &in, &der), ==, 0);
  return der;
}

static void
test_generate (void)
{
  g_autoptr(FerryCertificate) a = generate ();
  g_autoptr(FerryCertificate) b = generate ();
  guint8 parsed[FERRY_FINGERPRINT_LEN];

  /* SHA-256 as in a=fingerprint:sha-256 (RFC 8122 section 5): 32 bytes, upper-case hex. */
  assert_fingerprint_format (ferry_certificate_get_fingerprint (a), FERRY_FINGERPRINT_LEN);
  g_assert_true (ferry_fingerprint_parse (ferry_certificate_get_fingerprint (a), parsed, sizeof parsed));
  g_assert_cmpmem (parsed, sizeof parsed, ferry_certificate_get_fingerprint_raw (a), FERRY_FINGERPRINT_LEN);
  g_assert_nonnull (ferry_certificate_get_credentials (a));

  /* A new key each time. */
  g_assert_cmpstr (ferry_certificate_get_fingerprint (a), !=, ferry_certificate_get_fingerprint (b));
  g_assert_true (memcmp (ferry_certificate_get_fingerprint_raw (a), ferry_certificate_get_fingerprint_raw (b),
                         FERRY_FINGERPRINT_LEN) != 0);
}

static void
test_pem_round_trip (void)
{
  g_autoptr(FerryCertificate) original = generate ();
  g_autoptr(FerryCertificate) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = ferry_certificate_to_pem (original, &error);
  g_autofree char *pem_again = NULL;

  g_assert_no_error (error);
  /* Certificate and private key in one text. */
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN CERTIFICATE-----\n"));
  g_assert_nonnull (strstr (pem, "-----END CERTIFICATE-----\n"));
  g_assert_nonnull (strstr (pem, "PRIVATE KEY-----\n"));

  loaded = ferry_certificate_new_from_pem (pem, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ferry_certificate_get_fingerprint (loaded), ==, ferry_certificate_get_fingerprint (original));
  g_assert_cmpmem (ferry_certificate_get_fingerprint_raw (loaded), FERRY_FINGERPRINT_LEN,
                   ferry_certificate_get_fingerprint_raw (original), FERRY_FINGERPRINT_LEN);
  g_assert_nonnull (ferry_certificate_get_credentials (loaded));

  /* Storing what was loaded gives the same text. */
  pem_again = ferry_certificate_to_pem (loaded, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pem_again, ==, pem);
}

static void
assert_pem_refused (const char *what,
                    const char *pem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryCertificate) certificate = ferry_certificate_new_from_pem (pem, &error);

  g_assert_null (certificate);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_test_message ("%s → %s", what, error->message);
}

static void
test_pem_refused (void)
{
  g_autoptr(FerryCertificate) a = generate ();
  g_autoptr(FerryCertificate) b = generate ();
  g_autoptr(GError) error = NULL;
  g_autofree char *pem_a = ferry_certificate_to_pem (a, &error);
  g_autofree char *pem_b = ferry_certificate_to_pem (b, &error);
  g_autofree char *cert_a = NULL;
  g_autofree char *mismatched = NULL;
  const char *key_b;

  g_assert_no_error (error);
  cert_a = g_strndup (pem_a, strstr (pem_a, "-----END CERTIFICATE-----\n") - pem_a +
                             strlen ("-----END CERTIFICATE-----\n"));
  key_b = strstr (pem_b, "-----END CERTIFICATE-----\n") + strlen ("-----END CERTIFICATE-----\n");
  mismatched = g_strconcat (cert_a, key_b, NULL);

  assert_pem_refused ("empty", "");
  assert_pem_refused ("not PEM", "certificate");
  assert_pem_refused ("the certificate without its key", cert_a);
  assert_pem_refused ("the key without its certificate", key_b);
  assert_pem_refused ("a certificate with another one's key", mismatched);
  assert_pem_refused ("not DER inside",
                      "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
}

static void
test_fingerprint_der (void)
{
  g_autoptr(FerryCertificate) certificate = generate ();
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = ferry_certificate_to_pem (certificate, &error);
  g_autofree char *sha256 = NULL;
  g_autofree char *upper = NULL;
  g_autofree char *sha1 = NULL;
  g_autofree char *sha512 = NULL;
  g_autofree char *abc = NULL;
  gnutls_datum_t der;
  gnutls_datum_t text = { (unsigned char *) "abc", 3 };

  g_assert_no_error (error);
  der = der_of (pem);

  /* The certificate's fingerprint is the SHA-256 of its DER. */
  sha256 = ferry_certificate_fingerprint_der (&der, "sha-256");
  g_assert_cmpstr (sha256, ==, ferry_certificate_get_fingerprint (certificate));
  /* Algorithm names as in SDP, in any case. */
  upper = ferry_certificate_fingerprint_der (&der, "SHA-256");
  g_assert_cmpstr (upper, ==, sha256);

  sha1 = ferry_certificate_fingerprint_der (&der, "sha-1");
  assert_fingerprint_format (sha1, 20);
  sha512 = ferry_certificate_fingerprint_der (&der, "sha-512");
  assert_fingerprint_format (sha512, 64);

  g_assert_null (ferry_certificate_fingerprint_der (&der, "md5"));
  g_assert_null (ferry_certificate_fingerprint_der (&der, "sha256"));
  g_assert_null (ferry_certificate_fingerprint_der (&der, ""));

  /* It hashes whatever it is given: the SHA-256 test vector of FIPS 180-2. */
  abc = ferry_certificate_fingerprint_der (&text, "sha-256");
  g_assert_cmpstr (abc, ==, "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:"
                            "B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD");

  gnutls_free (der.data);
}

static void
test_fingerprint_parse (void)
{
  static const guint8 expected[4] = { 0x01, 0xAB, 0xCD, 0xEF };
  static const char *const malformed[] = {
    "",
    "01:AB:CD",             /* too short */
    "01:AB:CD:EF:00",       /* too long */
    "01:AB:CD:EF:",         /* trailing colon */
    ":01:AB:CD:EF",         /* leading colon */
    "01ABCDEF",             /* no colons */
    "01-AB-CD-EF",          /* other separators */
    "01 AB CD EF",
    "01:AB:CD:E",           /* a digit short */
    "1:AB:CD:EF ",
    "01:AB:CD:EG",          /* not hex */
    "01:AB:CD:-F",
    "0x:AB:CD:EF",
    "01:AB:CD:\xc3\xa9",    /* non-ASCII */
    "01::AB:CD:E",
    "01:AB:CD:EF\n",
  };
  guint8 out[4];
  guint8 out32[32];

  memset (out, 0, sizeof out);
  g_assert_true (ferry_fingerprint_parse ("01:AB:CD:EF", out, sizeof out));
  g_assert_cmpmem (out, sizeof out, expected, sizeof expected);
  /* Lower case is accepted as well, although RFC 8122 section 5 writes upper case. */
  memset (out, 0, sizeof out);
  g_assert_true (ferry_fingerprint_parse ("01:ab:Cd:eF", out, sizeof out));
  g_assert_cmpmem (out, sizeof out, expected, sizeof expected);

  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_test_message ("“%s”", malformed[i]);
      g_assert_false (ferry_fingerprint_parse (malformed[i], out, sizeof out));
    }

  /* The length asked for counts: a SHA-1 fingerprint is not a SHA-256 one. */
  g_assert_false (ferry_fingerprint_parse ("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33",
                                           out32, sizeof out32));
  g_assert_true (ferry_fingerprint_parse ("00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                                          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
                                          out32, sizeof out32));
  g_assert_cmpuint (out32[0], ==, 0x00);
  g_assert_cmpuint (out32[10], ==, 0xAA);
  g_assert_cmpuint (out32[31], ==, 0xFF);
  g_assert_true (ferry_fingerprint_parse ("7F", out, 1));
  g_assert_cmpuint (out[0], ==, 0x7F);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/certificate/generate", test_generate);
  g_test_add_func ("/certificate/pem-round-trip", test_pem_round_trip);
  g_test_add_func ("/certificate/pem-refused", test_pem_refused);
  g_test_add_func ("/certificate/fingerprint-der", test_fingerprint_der);
  g_test_add_func ("/certificate/fingerprint-parse", test_fingerprint_parse);

  return g_test_run ();
}
