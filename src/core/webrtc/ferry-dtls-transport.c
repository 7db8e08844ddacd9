/* ferry-dtls-transport.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <gnutls/dtls.h>
#include <gnutls/x509.h>

#include "ferry-dtls-transport.h"
#include "ferry-webrtc-enums.h"
#include "ferry-text.h"
#include "ferry-dtls-reassembler.h"
#include "ferry-sdp.h"
#include "ferry-source.h"

/* AES-128-GCM first: with GnuTLS as client, BoringSSL peers honour our order and would otherwise
 * pick CHACHA20 (docs/INTEROP.md, "DTLS cipher order").  DTLS 1.2 only. */
#define PRIORITY "NORMAL:%SERVER_PRECEDENCE:-VERS-ALL:+VERS-DTLS1.2:-CIPHER-ALL:+AES-128-GCM:" \
                 "+AES-256-GCM:+CHACHA20-POLY1305:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:" \
                 "+GROUP-SECP384R1"
/* IPv6 minimum MTU minus the UDP/IPv6 headers. */
#define HANDSHAKE_MTU (1280 - 8 - 40)
/* After the handshake SCTP decides packet sizes (up to a whole record between Ferry peers on one
 * link); never fail a record for being large.  GnuTLS takes its worst-case overhead off this
 * (ferry_dtls_transport_get_max_record () says what a record then carries: 16347 bytes). */
#define RECORD_BUFFER 16384
/* RFC 6347 section 4.1: type, version, epoch, sequence number, length. */
#define RECORD_HEADER 13
#define DATA_MTU (RECORD_BUFFER + 256)

struct _FerryDtlsTransport
{
  GObject               parent_instance;

  GMainContext         *context;
  FerryIceTransport    *ice;
  FerryCertificate     *certificate;
  FerryDtlsRole         role;
  GPtrArray            *fingerprints;
  gnutls_session_t      session;

  FerryDtlsState        state;
  GError               *error;
  GSource              *timer;
  char                 *cipher;
  guint8                remote_fingerprint[FERRY_FINGERPRINT_LEN];
  /* While the handshake runs: GnuTLS only ever sees whole handshake messages. */
  FerryDtlsReassembler *reassembler;

  /* The datagram being handed to GnuTLS by pull_cb. */
  const guint8         *incoming;
  gsize                 incoming_len;

  FerryDtlsReceiveFunc  receive_func;
  gpointer              receive_data;
};

G_DEFINE_FINAL_TYPE (FerryDtlsTransport, ferry_dtls_transport, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-dtls-error-quark, ferry_dtls_error)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  CONNECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void step (FerryDtlsTransport *self);

static void
set_state (FerryDtlsTransport *self,
           FerryDtlsState      state)
{
  if (self->state == state || self->state >= FERRY_DTLS_STATE_FAILED)
    return;

  g_debug ("DTLS %p: state %s -> %s", self, ferry_enum_nick (FERRY_TYPE_DTLS_STATE, self->state),
           ferry_enum_nick (FERRY_TYPE_DTLS_STATE, state));
  self->state = state;
  if (state >= FERRY_DTLS_STATE_FAILED)
    {
      g_clear_pointer (&self->timer, g_source_destroy);
      self->receive_func = NULL;
      if (self->ice != NULL)
        ferry_ice_transport_set_receive_func (self->ice, NULL, NULL);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
fail (FerryDtlsTransport *self,
      GError             *error)
{
  if (self->state >= FERRY_DTLS_STATE_FAILED)
    {
      g_error_free (error);
      return;
    }

  g_debug ("DTLS %p: %s", self, error->message);
  g_clear_error (&self->error);
  self->error = error;
  set_state (self, FERRY_DTLS_STATE_FAILED);
}

static ssize_t
push_cb (gnutls_transport_ptr_t  ptr,
         const void             *data,
         size_t                  len)
{
  FerryDtlsTransport *self = ptr;

  /* A datagram lost here is like one lost on the path: DTLS retransmits handshake flights and
   * SCTP retransmits data, so report success either way. */
  if (self->ice != NULL)
    ferry_ice_transport_send (self->ice, data, len);
  return len;
}

static ssize_t
pull_cb (gnutls_transport_ptr_t  ptr,
         void                   *data,
         size_t                  len)
{
  FerryDtlsTransport *self = ptr;
  size_t n;

  if (self->incoming == NULL)
    {
      gnutls_transport_set_errno (self->session, EAGAIN);
      return -1;
    }

  /* One record at a time: a buffer may hold several datagrams (UDP GRO, ferry-ice-transport.c),
   * more than GnuTLS reads at once.  Records carry their length (RFC 6347 section 4.1), and a
   * datagram may hold several of them, so each is as good as a datagram of its own. */
  n = self->incoming_len;
  if (n >= RECORD_HEADER)
    n = MIN (n, RECORD_HEADER + ((gsize) self->incoming[11] << 8 | self->incoming[12]));
  memcpy (data, self->incoming, MIN (n, len));
  self->incoming += n;
  self->incoming_len -= n;
  if (self->incoming_len == 0)
    self->incoming = NULL;
  return MIN (n, len);
}

static int
pull_timeout_cb (gnutls_transport_ptr_t ptr,
                 unsigned int           ms)
{
  FerryDtlsTransport *self = ptr;

  /* Never wait: the session is non-blocking and datagrams arrive through the main loop. */
  return self->incoming != NULL ? 1 : 0;
}

static gboolean
timer_cb (gpointer user_data)
{
  FerryDtlsTransport *self = user_data;

  self->timer = NULL;
  step (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retransmit (FerryDtlsTransport *self)
{
  guint ms = gnutls_dtls_get_timeout (self->session);

  g_clear_pointer (&self->timer, g_source_destroy);
  self->timer = ferry_source_attach (g_timeout_source_new (MAX (ms, 1)), self->context,
                                     G_PRIORITY_DEFAULT, timer_cb, self, NULL);
}

static void
handshake_failed (FerryDtlsTransport *self,
                  int                 code)
{
  /* A fatal alert lets the peer fail at once instead of timing out. */
  if (code != GNUTLS_E_TIMEDOUT && code != GNUTLS_E_FATAL_ALERT_RECEIVED)
    gnutls_alert_send_appropriate (self->session, code);

  if (self->error != NULL)
    {
      /* The verify callback already said why. */
      set_state (self, FERRY_DTLS_STATE_FAILED);
      return;
    }

  if (code == GNUTLS_E_TIMEDOUT)
    fail (self, g_error_new_literal (FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_TIMEOUT,
                                     _("The encrypted connection could not be set up in time")));
  else if (code == GNUTLS_E_NO_CERTIFICATE_FOUND || code == GNUTLS_E_CERTIFICATE_REQUIRED)
    fail (self, g_error_new_literal (FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_NO_CERTIFICATE,
                                     _("The peer did not present a certificate")));
  else
    fail (self, g_error_new (FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_HANDSHAKE,
                             _("The encrypted connection could not be set up: %s"),
                             gnutls_strerror (code)));
}

static void
handshake_done (FerryDtlsTransport *self)
{
  g_clear_pointer (&self->timer, g_source_destroy);
  g_clear_pointer (&self->reassembler, ferry_dtls_reassembler_free);
  gnutls_dtls_set_mtu (self->session, DATA_MTU);
  self->cipher = g_strdup (gnutls_cipher_get_name (gnutls_cipher_get (self->session)));
  g_debug ("DTLS %p: connected as %s with %s", self,
           self->role == FERRY_DTLS_ROLE_CLIENT ? "client" : "server", self->cipher);
  set_state (self, FERRY_DTLS_STATE_CONNECTED);
  /* Handlers set up SCTP here, before any record is read: the peer's INIT may already be queued
   * and must not reach usrsctp before our own connect (docs/INTEROP.md, "Connecting before the
   * peer's INIT"). */
  g_signal_emit (self, signals[CONNECTED], 0);
}

static void
step (FerryDtlsTransport *self)
{
  guint8 buf[RECORD_BUFFER];

  if (self->state == FERRY_DTLS_STATE_CONNECTING)
    {
      int r = gnutls_handshake (self->session);

      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        {
          schedule_retransmit (self);
          return;
        }
      if (r < 0 && gnutls_error_is_fatal (r))
        {
          handshake_failed (self, r);
          return;
        }
      if (r < 0)
        {
          /* A warning alert: keep going on the next datagram. */
          schedule_retransmit (self);
          return;
        }
      handshake_done (self);
    }

  while (self->state == FERRY_DTLS_STATE_CONNECTED)
    {
      ssize_t n = gnutls_record_recv (self->session, buf, sizeof buf);

      if (n > 0)
        {
          if (self->receive_func != NULL)
            self->receive_func (buf, n, self->receive_data);
        }
      else if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION)
        {
          g_debug ("DTLS %p: closed by the peer", self);
          set_state (self, FERRY_DTLS_STATE_CLOSED);
        }
      else if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        break;
      else if (n == GNUTLS_E_REHANDSHAKE)
        /* Renegotiation is forbidden in WebRTC. */
        gnutls_alert_send (self->session, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
      else if (gnutls_error_is_fatal (n))
        fail (self, g_error_new (FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_HANDSHAKE,
                                 _("The encrypted connection broke: %s"), gnutls_strerror (n)));
      /* Non-fatal errors (a replayed or corrupt record) are dropped. */
    }
}

static void
ice_receive_cb (const guint8 *data,
                gsize         len,
                gpointer      user_data)
{
  FerryDtlsTransport *self = user_data;
  g_autoptr(GByteArray) whole = NULL;

  /* RFC 7983: DTLS records start with 20..63; libnice has already taken STUN and TURN. */
  if (len == 0 || data[0] < 20 || data[0] > 63)
    return;

  if (self->reassembler != NULL &&
      (whole = ferry_dtls_reassembler_feed (self->reassembler, data, len)) != NULL)
    {
      if (whole->len == 0)
        return;
      data = whole->data;
      len = whole->len;
    }

  g_object_ref (self);
  self->incoming = data;
  self->incoming_len = len;
  step (self);
  self->incoming = NULL;
  g_object_unref (self);
}

/* Peers are authenticated by fingerprint, never by a chain: the certificate must match one of
 * the fingerprints of the peer's session description.  Without any (a pairing code carries
 * none), the certificate is recorded and the caller proves it otherwise: the hello's MAC. */
static int
verify_peer_cb (gnutls_session_t session)
{
  FerryDtlsTransport *self = gnutls_session_get_ptr (session);
  const gnutls_datum_t *certs;
  unsigned int n_certs = 0;

  certs = gnutls_certificate_get_peers (session, &n_certs);
  if (certs == NULL || n_certs == 0)
    {
      fail (self, g_error_new_literal (FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_NO_CERTIFICATE,
                                       _("The peer did not present a certificate")));
      return GNUTLS_E_CERTIFICATE_ERROR;
    }

  if (self->fingerprints->len == 0)
    {
      g_autofree char *sha256 = ferry_certificate_fingerprint_der (&certs[0], "sha-256");

      ferry_fingerprint_parse (sha256, self->remote_fingerprint, FERRY_FINGERPRINT_LEN);
      return 0;
    }
  for (guint i = 0; i < self->fingerprints->len; i++)
    {
      FerrySdpFingerprint *expected = g_ptr_array_index (self->fingerprints, i);
      g_autofree char *actual = ferry_certificate_fingerprint_der (&certs[0], expected->algorithm);

      if (actual != NULL && g_ascii_strcasecmp (actual, expected->value) == 0)
        {
          g_autofree char *sha256 = ferry_certificate_fingerprint_der (&certs[0], "sha-256");

          ferry_fingerprint_parse (sha256, self->remote_fingerprint, FERRY_FINGERPRINT_LEN);
          return 0;
        }
    }

  fail (self, g_error_new_literal (FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_FINGERPRINT_MISMATCH,
                                   _("The peer’s certificate does not match the fingerprint in "
                                     "its session description; the connection may be "
                                     "intercepted")));
  return GNUTLS_E_CERTIFICATE_ERROR;
}

static void
ferry_dtls_transport_dispose (GObject *object)
{
  FerryDtlsTransport *self = FERRY_DTLS_TRANSPORT (object);

  ferry_dtls_transport_close (self);
  g_clear_object (&self->ice);

  G_OBJECT_CLASS (ferry_dtls_transport_parent_class)->dispose (object);
}

static void
ferry_dtls_transport_finalize (GObject *object)
{
  FerryDtlsTransport *self = FERRY_DTLS_TRANSPORT (object);

  if (self->session != NULL)
    gnutls_deinit (self->session);
  ferry_dtls_reassembler_free (self->reassembler);
  g_clear_object (&self->certificate);
  g_ptr_array_unref (self->fingerprints);
  g_clear_error (&self->error);
  g_free (self->cipher);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ferry_dtls_transport_parent_class)->finalize (object);
}

static void
ferry_dtls_transport_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FerryDtlsTransport *self = FERRY_DTLS_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_dtls_transport_class_init (FerryDtlsTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_dtls_transport_dispose;
  object_class->finalize = ferry_dtls_transport_finalize;
  object_class->get_property = ferry_dtls_transport_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_DTLS_STATE,
                       FERRY_DTLS_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
ferry_dtls_transport_init (FerryDtlsTransport *self)
{
}

FerryDtlsTransport *
ferry_dtls_transport_new (FerryIceTransport  *ice,
                          FerryCertificate   *certificate,
                          FerryDtlsRole       role,
                          GPtrArray          *fingerprints,
                          GError            **error)
{
  g_autoptr(FerryDtlsTransport) self = NULL;
  const char *error_pos = NULL;
  int r;

  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (ice), NULL);
  g_return_val_if_fail (FERRY_IS_CERTIFICATE (certificate), NULL);
  g_return_val_if_fail (fingerprints != NULL, NULL);

  self = g_object_new (FERRY_TYPE_DTLS_TRANSPORT, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->ice = g_object_ref (ice);
  self->certificate = g_object_ref (certificate);
  self->role = role;
  self->fingerprints = g_ptr_array_ref (fingerprints);
  self->reassembler = ferry_dtls_reassembler_new ();

  if ((r = gnutls_init (&self->session, (role == FERRY_DTLS_ROLE_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER) |
                                        GNUTLS_DATAGRAM | GNUTLS_NONBLOCK)) < 0 ||
      (r = gnutls_priority_set_direct (self->session, PRIORITY, &error_pos)) < 0 ||
      (r = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE,
                                   ferry_certificate_get_credentials (certificate))) < 0)
    {
      g_set_error (error, FERRY_DTLS_ERROR, FERRY_DTLS_ERROR_HANDSHAKE,
                   _("Could not set up DTLS: %s"), gnutls_strerror (r));
      return NULL;
    }

  /* Without this a GnuTLS server never asks for the client's certificate, the handshake still
   * succeeds, and the fingerprint is never checked (docs/INTEROP.md, "The server must require
   * the client certificate"). */
  if (role == FERRY_DTLS_ROLE_SERVER)
    gnutls_certificate_server_set_request (self->session, GNUTLS_CERT_REQUIRE);

  gnutls_session_set_ptr (self->session, self);
  gnutls_session_set_verify_function (self->session, verify_peer_cb);
  gnutls_transport_set_ptr (self->session, self);
  gnutls_transport_set_push_function (self->session, push_cb);
  gnutls_transport_set_pull_function (self->session, pull_cb);
  gnutls_transport_set_pull_timeout_function (self->session, pull_timeout_cb);
  gnutls_dtls_set_mtu (self->session, HANDSHAKE_MTU);
  gnutls_dtls_set_timeouts (self->session, 1000, 30000);

  return g_steal_pointer (&self);
}

void
ferry_dtls_transport_start (FerryDtlsTransport *self)
{
  g_return_if_fail (FERRY_IS_DTLS_TRANSPORT (self));

  if (self->state != FERRY_DTLS_STATE_NEW)
    return;

  set_state (self, FERRY_DTLS_STATE_CONNECTING);
  g_object_ref (self);
  step (self);
  /* Datagrams that arrived before ICE reported the connection. */
  if (self->state < FERRY_DTLS_STATE_FAILED)
    ferry_ice_transport_set_receive_func (self->ice, ice_receive_cb, self);
  g_object_unref (self);
}

guint
ferry_dtls_transport_get_max_record (FerryDtlsTransport *self)
{
  g_return_val_if_fail (FERRY_IS_DTLS_TRANSPORT (self), 0);

  return self->state == FERRY_DTLS_STATE_CONNECTED ? MIN (gnutls_dtls_get_data_mtu (self->session), RECORD_BUFFER) : 0;
}

gboolean
ferry_dtls_transport_send (FerryDtlsTransport *self,
                           const guint8       *data,
                           gsize               len)
{
  if (self->state != FERRY_DTLS_STATE_CONNECTED)
    return FALSE;
  return gnutls_record_send (self->session, data, len) == (ssize_t) len;
}

void
ferry_dtls_transport_set_receive_func (FerryDtlsTransport   *self,
                                       FerryDtlsReceiveFunc  func,
                                       gpointer              user_data)
{
  g_return_if_fail (FERRY_IS_DTLS_TRANSPORT (self));

  self->receive_func = func;
  self->receive_data = user_data;
}

void
ferry_dtls_transport_close (FerryDtlsTransport *self)
{
  g_return_if_fail (FERRY_IS_DTLS_TRANSPORT (self));

  if (self->state == FERRY_DTLS_STATE_CONNECTED)
    /* SHUT_WR sends close_notify without waiting for the peer's. */
    gnutls_bye (self->session, GNUTLS_SHUT_WR);
  set_state (self, FERRY_DTLS_STATE_CLOSED);
}

FerryDtlsState
ferry_dtls_transport_get_state (FerryDtlsTransport *self)
{
  g_return_val_if_fail (FERRY_IS_DTLS_TRANSPORT (self), FERRY_DTLS_STATE_CLOSED);

  return self->state;
}

FerryDtlsRole
ferry_dtls_transport_get_role (FerryDtlsTransport *self)
{
  g_return_val_if_fail (FERRY_IS_DTLS_TRANSPORT (self), FERRY_DTLS_ROLE_CLIENT);

  return self->role;
}

const GError *
ferry_dtls_transport_get_error (FerryDtlsTransport *self)
{
  g_return_val_if_fail (FERRY_IS_DTLS_TRANSPORT (self), NULL);

  return self->error;
}

const char *
ferry_dtls_transport_get_cipher (FerryDtlsTransport *self)
{
  g_return_val_if_fail (FERRY_IS_DTLS_TRANSPORT (self), NULL);

  return self->cipher;
}

const guint8 *
ferry_dtls_transport_get_remote_fingerprint (FerryDtlsTransport *self)
{
  g_return_val_if_fail (FERRY_IS_DTLS_TRANSPORT (self), NULL);

  return self->state == FERRY_DTLS_STATE_CONNECTED ? self->remote_fingerprint : NULL;
}
