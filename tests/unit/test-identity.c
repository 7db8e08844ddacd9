/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ferry-crypto.h"
#include "ferry-identity.h"

/* Each test works in a temporary directory of its own. */
typedef struct {
  char *dir;
  char *path;   /* dir/ferry/identity.pem, not created */
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("ferry-identity-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "ferry", "identity.pem", NULL);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_dir_close (dir);
    }
  g_assert_cmpint (g_remove (path), ==, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static FerryIdentity *
load_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  FerryIdentity *identity = ferry_identity_load_or_create (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (identity);
  return identity;
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, len);
}

static void
write_file (const char   *path,
            const void   *data,
            gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

static void
test_default_path (void)
{
  g_autofree char *path = ferry_identity_get_default_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "ferry", "identity.pem", NULL);

  g_assert_cmpstr (path, ==, expected);
}

static void
test_create (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FerryIdentity) identity = NULL;
  g_autofree char *folder = g_path_get_dirname (f->path);
  g_autoptr(GBytes) contents = NULL;
  FerryCertificate *certificate;
  guint8 parsed[FERRY_SHA256_LEN];

  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  identity = load_ok (f->path);

  /* The folder is made as needed; the file holds the private key, for the user's eyes only. */
  g_assert_true (g_file_test (f->path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (file_mode (f->path), ==, 0600);
  g_assert_cmpuint (file_mode (folder) & 0077, ==, 0);
  contents = read_file (f->path);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (contents, NULL), g_bytes_get_size (contents),
                                  "-----BEGIN CERTIFICATE-----"));
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (contents, NULL), g_bytes_get_size (contents),
                                  "PRIVATE KEY-----"));

  /* The fingerprint is the certificate's, in both forms. */
  certificate = ferry_identity_get_certificate (identity);
  g_assert_true (FERRY_IS_CERTIFICATE (certificate));
  g_assert_true (ferry_fingerprint_parse (ferry_certificate_get_fingerprint (certificate), parsed,
                                          sizeof parsed));
  g_assert_cmpmem (ferry_identity_get_fingerprint (identity), FERRY_SHA256_LEN, parsed, sizeof parsed);
  g_assert_cmpmem (ferry_identity_get_fingerprint (identity), FERRY_SHA256_LEN,
                   ferry_certificate_get_fingerprint_raw (certificate), FERRY_FINGERPRINT_LEN);
}

static void
test_stable (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FerryIdentity) first = load_ok (f->path);
  g_autoptr(GBytes) stored = read_file (f->path);
  g_autofree char *other_path = g_build_filename (f->dir, "other", "identity.pem", NULL);
  g_autoptr(FerryIdentity) other = load_ok (other_path);

  /* Loading again, as at every start, gives the same identity and leaves the file alone. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(FerryIdentity) again = load_ok (f->path);
      g_autoptr(GBytes) now = read_file (f->path);

      g_assert_true (again != first);
      g_assert_cmpmem (ferry_identity_get_fingerprint (again), FERRY_SHA256_LEN,
                       ferry_identity_get_fingerprint (first), FERRY_SHA256_LEN);
      g_assert_cmpstr (ferry_certificate_get_fingerprint (ferry_identity_get_certificate (again)), ==,
                       ferry_certificate_get_fingerprint (ferry_identity_get_certificate (first)));
      g_assert_true (g_bytes_equal (now, stored));
      g_assert_cmpuint (file_mode (f->path), ==, 0600);
    }

  /* Another file is another identity. */
  g_assert_true (memcmp (ferry_identity_get_fingerprint (other), ferry_identity_get_fingerprint (first),
                         FERRY_SHA256_LEN) != 0);
}

/* @contents at the identity's place must be refused with a clear error, and left as it is. */
static void
assert_refused (Fixture    *f,
                const char *what,
                const void *contents,
                gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryIdentity) identity = NULL;
  g_autoptr(GBytes) before = g_bytes_new (contents, len);
  g_autoptr(GBytes) after = NULL;

  g_test_message ("%s (%" G_GSIZE_FORMAT " bytes)", what, len);
  write_file (f->path, contents, len);

  identity = ferry_identity_load_or_create (f->path, &error);
  g_assert_null (identity);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  /* It names the file, so that the user can find it. */
  g_assert_nonnull (strstr (error->message, f->path));
  g_test_message ("→ %s", error->message);

  after = read_file (f->path);
  g_assert_true (g_bytes_equal (after, before));
  g_assert_cmpuint (file_mode (f->path), ==, 0600);

  /* Asking again changes nothing either. */
  g_clear_error (&error);
  g_assert_null (ferry_identity_load_or_create (f->path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_pointer (&after, g_bytes_unref);
  after = read_file (f->path);
  g_assert_true (g_bytes_equal (after, before));
}

/* The first PEM block of @pem labelled @label, as its own PEM text. */
static char *
pem_block (const char *pem,
           const char *label)
{
  g_autofree char *begin = g_strdup_printf ("-----BEGIN %s-----", label);
  g_autofree char *end = g_strdup_printf ("-----END %s-----\n", label);
  const char *start = strstr (pem, begin);
  const char *stop;

  g_assert_nonnull (start);
  stop = strstr (start, end);
  g_assert_nonnull (stop);
  return g_strndup (start, stop + strlen (end) - start);
}

static void
test_refuses_damaged (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryCertificate) a = ferry_certificate_generate (&error);
  g_autoptr(FerryCertificate) b = ferry_certificate_generate (&error);
  g_autofree char *pem_a = ferry_certificate_to_pem (a, &error);
  g_autofree char *pem_b = ferry_certificate_to_pem (b, &error);
  g_autofree char *cert_a = NULL;
  g_autofree char *key_a = NULL;
  g_autofree char *key_b = NULL;
  g_autofree char *mismatched = NULL;
  g_autofree char *truncated = NULL;
  g_autofree char *garbled = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);
  guint8 random_bytes[1024];
  const char *key_label;

  g_assert_no_error (error);
  key_label = strstr (pem_a, "-----BEGIN EC PRIVATE KEY-----") ? "EC PRIVATE KEY" : "PRIVATE KEY";
  cert_a = pem_block (pem_a, "CERTIFICATE");
  key_a = pem_block (pem_a, key_label);
  key_b = pem_block (pem_b, key_label);

  for (guint i = 0; i < sizeof random_bytes; i++)
    random_bytes[i] = g_rand_int_range (rand, 0, 256);

  assert_refused (f, "an empty file", "", 0);
  assert_refused (f, "random bytes", random_bytes, sizeof random_bytes);
  assert_refused (f, "text", "my notes\n", strlen ("my notes\n"));
  assert_refused (f, "NUL bytes", "\0\0\0\0", 4);

  /* Somebody else's PEM files. */
  assert_refused (f, "a certificate without its key", cert_a, strlen (cert_a));
  assert_refused (f, "a key without its certificate", key_a, strlen (key_a));
  {
    static const char foreign[] =
      "-----BEGIN PUBLIC KEY-----\n"
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpvIcdQRGlxpwS+bLr3QfMsc4bH+W\n"
      "jJ4tzGWRX55v60rjrVzR0aCikRNTz1BASfeetUZxKgIi848qG3FEoZmZiQ==\n"
      "-----END PUBLIC KEY-----\n";

    assert_refused (f, "a public key", foreign, strlen (foreign));
  }
  {
    static const char fake[] =
      "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";

    assert_refused (f, "a PEM block that is not a certificate", fake, strlen (fake));
  }

  /* Damaged copies of a real identity. */
  mismatched = g_strconcat (cert_a, key_b, NULL);
  assert_refused (f, "a certificate with another certificate's key", mismatched, strlen (mismatched));
  truncated = g_strndup (pem_a, strlen (pem_a) / 2);
  assert_refused (f, "the first half of an identity", truncated, strlen (truncated));
  g_free (truncated);
  /* Its header, most of its base64, no end line; then its key. */
  truncated = g_strdup_printf ("%.*s\n%s", (int) strlen (cert_a) - 40, cert_a, key_a);
  assert_refused (f, "a cut certificate followed by its key", truncated, strlen (truncated));
  garbled = g_strdup (pem_a);
  /* Inside the base64 of the certificate, after its header: not base64 any more. */
  garbled[strlen ("-----BEGIN CERTIFICATE-----\n") + 20] = '!';
  assert_refused (f, "a certificate with a stray character", garbled, strlen (garbled));
}

static void
test_not_a_file (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryIdentity) identity = NULL;

  /* A folder where the file should be: an error, and the folder stays. */
  g_assert_cmpint (g_mkdir_with_parents (f->path, 0700), ==, 0);
  identity = ferry_identity_load_or_create (f->path, &error);
  g_assert_null (identity);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (g_file_test (f->path, G_FILE_TEST_IS_DIR));
}

static void
test_verification_code (void)
{
  guint8 zero[FERRY_SHA256_LEN] = { 0 };
  guint8 ones[FERRY_SHA256_LEN];
  guint8 low[FERRY_SHA256_LEN];
  guint8 high[FERRY_SHA256_LEN];
  g_autofree char *code = NULL;
  g_autofree char *swapped = NULL;

  memset (ones, 0xFF, sizeof ones);
  for (guint i = 0; i < FERRY_SHA256_LEN; i++)
    {
      low[i] = i;
      high[i] = 32 + i;
    }

  /* First four bytes of SHA-256 ("ferry-verify-v1" ‖ smaller ‖ larger), big-endian, mod 10⁹
   * (docs/PROTOCOL.md); the expected values were computed independently. */
  code = ferry_identity_verification_code (zero, ones);
  g_assert_cmpstr (code, ==, "367 629 700");
  swapped = ferry_identity_verification_code (ones, zero);
  g_assert_cmpstr (swapped, ==, code);

  g_clear_pointer (&code, g_free);
  g_clear_pointer (&swapped, g_free);
  code = ferry_identity_verification_code (low, high);
  swapped = ferry_identity_verification_code (high, low);
  g_assert_cmpstr (code, ==, "256 378 344");
  g_assert_cmpstr (swapped, ==, code);
}

static void
test_verification_code_of_identities (Fixture       *f,
                                      gconstpointer  data)
{
  g_autofree char *path_b = g_build_filename (f->dir, "b", "identity.pem", NULL);
  g_autoptr(FerryIdentity) a = load_ok (f->path);
  g_autoptr(FerryIdentity) b = load_ok (path_b);
  g_autofree char *code_a = ferry_identity_verification_code (ferry_identity_get_fingerprint (a),
                                                              ferry_identity_get_fingerprint (b));
  g_autofree char *code_b = ferry_identity_verification_code (ferry_identity_get_fingerprint (b),
                                                              ferry_identity_get_fingerprint (a));
  g_autoptr(GRegex) format = g_regex_new ("^[0-9]{3} [0-9]{3} [0-9]{3}$", 0, 0, NULL);

  /* Both people see the same nine digits. */
  g_assert_cmpstr (code_a, ==, code_b);
  g_assert_true (g_regex_match (format, code_a, 0, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/identity/default-path", test_default_path);
  g_test_add ("/identity/create", Fixture, NULL, fixture_set_up, test_create, fixture_tear_down);
  g_test_add ("/identity/stable", Fixture, NULL, fixture_set_up, test_stable, fixture_tear_down);
  g_test_add ("/identity/refuses-damaged", Fixture, NULL, fixture_set_up, test_refuses_damaged,
              fixture_tear_down);
  g_test_add ("/identity/not-a-file", Fixture, NULL, fixture_set_up, test_not_a_file,
              fixture_tear_down);
  g_test_add_func ("/identity/verification-code", test_verification_code);
  g_test_add ("/identity/verification-code-of-identities", Fixture, NULL, fixture_set_up,
              test_verification_code_of_identities, fixture_tear_down);

  return g_test_run ();
}
