/* ferry-certificate.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <gnutls/x509.h>
#include <gnutls/crypto.h>

#include "ferry-certificate.h"
#include "ferry-crypto.h"

struct _FerryCertificate
{
  GObject                           parent_instance;

  gnutls_x509_crt_t                 crt;
  gnutls_x509_privkey_t             key;
  gnutls_certificate_credentials_t  credentials;
  char                             *fingerprint;
  guint8                            fingerprint_raw[FERRY_FINGERPRINT_LEN];
};

G_DEFINE_FINAL_TYPE (FerryCertificate, ferry_certificate, G_TYPE_OBJECT)

static void
ferry_certificate_finalize (GObject *object)
{
  FerryCertificate *self = FERRY_CERTIFICATE (object);

  if (self->credentials)
    gnutls_certificate_free_credentials (self->credentials);
  if (self->crt)
    gnutls_x509_crt_deinit (self->crt);
  if (self->key)
    gnutls_x509_privkey_deinit (self->key);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (ferry_certificate_parent_class)->finalize (object);
}

static void
ferry_certificate_class_init (FerryCertificateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_certificate_finalize;
}

static void
ferry_certificate_init (FerryCertificate *self)
{
}

static gboolean
tls_failed (GError    **error,
            const char *what,
            int         code)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not set up the certificate (%s: %s)"),
               what, gnutls_strerror (code));
  return FALSE;
}

static gboolean
finish_setup (FerryCertificate  *self,
              GError           **error)
{
  guint8 der_buf[4096];
  size_t der_len = sizeof der_buf;
  size_t fp_len = sizeof self->fingerprint_raw;
  gnutls_datum_t der;
  int r;

  if ((r = gnutls_x509_crt_export (self->crt, GNUTLS_X509_FMT_DER, der_buf, &der_len)) < 0)
    return tls_failed (error, "export", r);
  der.data = der_buf;
  der.size = der_len;

  if ((r = gnutls_fingerprint (GNUTLS_DIG_SHA256, &der, self->fingerprint_raw, &fp_len)) < 0)
    return tls_failed (error, "fingerprint", r);
  self->fingerprint = ferry_certificate_fingerprint_der (&der, "sha-256");

  if ((r = gnutls_certificate_allocate_credentials (&self->credentials)) < 0 ||
      (r = gnutls_certificate_set_x509_key (self->credentials, &self->crt, 1, self->key)) < 0)
    return tls_failed (error, "credentials", r);

  return TRUE;
}

FerryCertificate *
ferry_certificate_generate (GError **error)
{
  g_autoptr(FerryCertificate) self = g_object_new (FERRY_TYPE_CERTIFICATE, NULL);
  time_t now = time (NULL);
  guint8 serial[16];
  int r;

  if ((r = gnutls_x509_privkey_init (&self->key)) < 0 ||
      (r = gnutls_x509_privkey_generate (self->key, GNUTLS_PK_ECDSA,
                                         GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0)
    return (tls_failed (error, "key", r), NULL);

  if (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial) < 0)
    return (tls_failed (error, "serial", GNUTLS_E_RANDOM_FAILED), NULL);
  serial[0] &= 0x7f;

  /* Long-lived on purpose: the fingerprint is the user's identity (docs/ARCHITECTURE.md,
   * "Identity"). Peers never check validity dates on WebRTC certificates. */
  if ((r = gnutls_x509_crt_init (&self->crt)) < 0 ||
      (r = gnutls_x509_crt_set_version (self->crt, 3)) < 0 ||
      (r = gnutls_x509_crt_set_serial (self->crt, serial, sizeof serial)) < 0 ||
      (r = gnutls_x509_crt_set_activation_time (self->crt, now - 24 * 3600)) < 0 ||
      (r = gnutls_x509_crt_set_expiration_time (self->crt, now + 20 * 365 * 24 * 3600LL)) < 0 ||
      (r = gnutls_x509_crt_set_dn_by_oid (self->crt, GNUTLS_OID_X520_COMMON_NAME, 0, "ferry", 5)) < 0 ||
      (r = gnutls_x509_crt_set_key (self->crt, self->key)) < 0 ||
      (r = gnutls_x509_crt_sign2 (self->crt, self->crt, self->key, GNUTLS_DIG_SHA256, 0)) < 0)
    return (tls_failed (error, "certificate", r), NULL);

  if (!finish_setup (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

FerryCertificate *
ferry_certificate_new_from_pem (const char  *pem,
                                GError     **error)
{
  g_autoptr(FerryCertificate) self = g_object_new (FERRY_TYPE_CERTIFICATE, NULL);
  gnutls_datum_t data = { (unsigned char *) pem, strlen (pem) };
  int r;

  if ((r = gnutls_x509_crt_init (&self->crt)) < 0 ||
      (r = gnutls_x509_crt_import (self->crt, &data, GNUTLS_X509_FMT_PEM)) < 0)
    return (tls_failed (error, "certificate", r), NULL);

  if ((r = gnutls_x509_privkey_init (&self->key)) < 0 ||
      (r = gnutls_x509_privkey_import (self->key, &data, GNUTLS_X509_FMT_PEM)) < 0)
    return (tls_failed (error, "key", r), NULL);

  if (!finish_setup (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

char *
ferry_certificate_to_pem (FerryCertificate  *self,
                          GError           **error)
{
  gnutls_datum_t crt = { NULL, 0 };
  gnutls_datum_t key = { NULL, 0 };
  char *pem;
  int r;

  g_return_val_if_fail (FERRY_IS_CERTIFICATE (self), NULL);

  if ((r = gnutls_x509_crt_export2 (self->crt, GNUTLS_X509_FMT_PEM, &crt)) < 0 ||
      (r = gnutls_x509_privkey_export2 (self->key, GNUTLS_X509_FMT_PEM, &key)) < 0)
    {
      gnutls_free (crt.data);
      tls_failed (error, "export", r);
      return NULL;
    }

  pem = g_strdup_printf ("%.*s%.*s", (int) crt.size, crt.data, (int) key.size, key.data);
  gnutls_memset (key.data, 0, key.size);
  gnutls_free (crt.data);
  gnutls_free (key.data);

  return pem;
}

const char *
ferry_certificate_get_fingerprint (FerryCertificate *self)
{
  g_return_val_if_fail (FERRY_IS_CERTIFICATE (self), NULL);

  return self->fingerprint;
}

const guint8 *
ferry_certificate_get_fingerprint_raw (FerryCertificate *self)
{
  g_return_val_if_fail (FERRY_IS_CERTIFICATE (self), NULL);

  return self->fingerprint_raw;
}

gnutls_certificate_credentials_t
ferry_certificate_get_credentials (FerryCertificate *self)
{
  g_return_val_if_fail (FERRY_IS_CERTIFICATE (self), NULL);

  return self->credentials;
}

static gnutls_digest_algorithm_t
digest_from_name (const char *algorithm)
{
  static const struct {
    const char               *name;
    gnutls_digest_algorithm_t digest;
  } digests[] = {
    { "sha-1", GNUTLS_DIG_SHA1 },
    { "sha-224", GNUTLS_DIG_SHA224 },
    { "sha-256", GNUTLS_DIG_SHA256 },
    { "sha-384", GNUTLS_DIG_SHA384 },
    { "sha-512", GNUTLS_DIG_SHA512 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (digests); i++)
    if (g_ascii_strcasecmp (algorithm, digests[i].name) == 0)
      return digests[i].digest;
  return GNUTLS_DIG_UNKNOWN;
}

char *
ferry_certificate_fingerprint_der (const gnutls_datum_t *der,
                                   const char           *algorithm)
{
  gnutls_digest_algorithm_t digest = digest_from_name (algorithm);
  guint8 buf[64];
  size_t len = sizeof buf;
  GString *out;

  if (digest == GNUTLS_DIG_UNKNOWN || gnutls_fingerprint (digest, der, buf, &len) < 0)
    return NULL;

  out = g_string_sized_new (len * 3);
  for (size_t i = 0; i < len; i++)
    g_string_append_printf (out, i ? ":%02X" : "%02X", buf[i]);
  return g_string_free (out, FALSE);
}

gboolean
ferry_fingerprint_parse (const char *text,
                         guint8     *out,
                         gsize       len)
{
  return ferry_hex_decode (text, -1, ':', out, len);
}
