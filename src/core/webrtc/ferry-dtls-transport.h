/* ferry-dtls-transport.h: DTLS 1.2 (GnuTLS) over an ICE transport
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The role follows a=setup.  As server it *requires* the client's certificate, and in both roles
 * the peer's certificate must match a fingerprint from its SDP or the handshake fails (see
 * docs/INTEROP.md, "The server must require the client certificate" and "Fingerprint check and
 * fatal alert").  Retransmission timers run on the creator's GMainContext.
 */
#pragma once

#include <glib-object.h>
#include <gnutls/gnutls.h>

#include "ferry-certificate.h"
#include "ferry-ice-transport.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_DTLS_STATE_NEW,
  FERRY_DTLS_STATE_CONNECTING,
  FERRY_DTLS_STATE_CONNECTED,
  FERRY_DTLS_STATE_FAILED,
  FERRY_DTLS_STATE_CLOSED,
} FerryDtlsState;

typedef enum {
  FERRY_DTLS_ROLE_CLIENT,
  FERRY_DTLS_ROLE_SERVER,
} FerryDtlsRole;

#define FERRY_DTLS_ERROR (ferry_dtls_error_quark ())

typedef enum {
  FERRY_DTLS_ERROR_FINGERPRINT_MISMATCH,
  FERRY_DTLS_ERROR_NO_CERTIFICATE,
  FERRY_DTLS_ERROR_HANDSHAKE,
  FERRY_DTLS_ERROR_TIMEOUT,
} FerryDtlsError;

typedef void (*FerryDtlsReceiveFunc) (const guint8 *data,
                                      gsize         len,
                                      gpointer      user_data);

#define FERRY_TYPE_DTLS_TRANSPORT (ferry_dtls_transport_get_type ())
G_DECLARE_FINAL_TYPE (FerryDtlsTransport, ferry_dtls_transport, FERRY, DTLS_TRANSPORT, GObject)

GQuark              ferry_dtls_error_quark          (void);

/* @fingerprints: (element-type FerrySdpFingerprint) the remote SDP's a=fingerprint lines; empty
 * only when the caller checks the peer's certificate itself (pairing codes: the hello's MAC). */
FerryDtlsTransport *ferry_dtls_transport_new        (FerryIceTransport  *ice,
                                                     FerryCertificate   *certificate,
                                                     FerryDtlsRole       role,
                                                     GPtrArray          *fingerprints,
                                                     GError            **error);
/* Called once ICE connects: starts the handshake and consumes datagrams queued until then. */
void                ferry_dtls_transport_start      (FerryDtlsTransport *self);
gboolean            ferry_dtls_transport_send       (FerryDtlsTransport *self,
                                                     const guint8       *data,
                                                     gsize               len);
/* The most one record carries once connected (16384 bytes at most), else 0. */
guint               ferry_dtls_transport_get_max_record (FerryDtlsTransport *self);
/* Decrypted records go here.  Set it from a ::connected handler to see the first ones. */
void                ferry_dtls_transport_set_receive_func (FerryDtlsTransport  *self,
                                                           FerryDtlsReceiveFunc func,
                                                           gpointer            user_data);
void                ferry_dtls_transport_close      (FerryDtlsTransport *self);

FerryDtlsState      ferry_dtls_transport_get_state  (FerryDtlsTransport *self);
FerryDtlsRole       ferry_dtls_transport_get_role   (FerryDtlsTransport *self);
const GError       *ferry_dtls_transport_get_error  (FerryDtlsTransport *self);
/* "AES-128-GCM", once connected. */
const char         *ferry_dtls_transport_get_cipher (FerryDtlsTransport *self);
/* SHA-256 of the peer's verified certificate, once connected. */
const guint8       *ferry_dtls_transport_get_remote_fingerprint (FerryDtlsTransport *self);

G_END_DECLS
