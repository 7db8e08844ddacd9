/* ferry-certificate.h: a self-signed ECDSA P-256 certificate for DTLS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * WebRTC peers authenticate each other by the SHA-256 fingerprint of this certificate, carried
 * in the SDP (RFC 8827 section 6.5).  One credentials object is shared by every DTLS session
 * using it.
 */
#pragma once

#include <glib-object.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

#define FERRY_FINGERPRINT_LEN 32

#define FERRY_TYPE_CERTIFICATE (ferry_certificate_get_type ())
G_DECLARE_FINAL_TYPE (FerryCertificate, ferry_certificate, FERRY, CERTIFICATE, GObject)

FerryCertificate *ferry_certificate_generate          (GError          **error);
FerryCertificate *ferry_certificate_new_from_pem      (const char       *pem,
                                                       GError          **error);
/* Certificate and private key in one PEM text; it holds the private key, so store it 0600. */
char             *ferry_certificate_to_pem            (FerryCertificate *self,
                                                       GError          **error);

/* "AB:CD:…" upper-case SHA-256 fingerprint, as in a=fingerprint:sha-256. */
const char       *ferry_certificate_get_fingerprint   (FerryCertificate *self);
const guint8     *ferry_certificate_get_fingerprint_raw (FerryCertificate *self);

gnutls_certificate_credentials_t
                  ferry_certificate_get_credentials   (FerryCertificate *self);

/* Computes "AB:CD:…" for a DER certificate with @algorithm ("sha-256", "sha-1", …). */
char             *ferry_certificate_fingerprint_der   (const gnutls_datum_t *der,
                                                       const char       *algorithm);
/* "AB:CD:…" → raw bytes; %FALSE if malformed or not @len bytes. */
gboolean          ferry_fingerprint_parse             (const char       *text,
                                                       guint8           *out,
                                                       gsize             len);

G_END_DECLS
