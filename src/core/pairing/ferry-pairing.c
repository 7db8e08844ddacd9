/* ferry-pairing.c: connecting with a pairing code, from either side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-crypto.h"
#include "ferry-pairing.h"
#include "ferry-peer-connection.h"
#include "ferry-source.h"

struct _FerryPairing
{
  GObject              parent_instance;

  GMainContext        *context;
  FerryIdentity       *identity;
  FerryRtcConfig      *config;
  char                *local_name;
  FerryPairingCode    *code;
  FerryPairingKeys     keys;
  char                *link;
  FerryPeerConnection *pc;
  FerryPeer           *peer;
  GSource             *expiry;
  GSource             *reply_timer;
  GSource             *proof_timer;       /* the reader's, from ICE connected to the hello */
  guint                proof_within_s;
  GPtrArray           *local_candidates;  /* the reader's, for a reply */
  gboolean             open;              /* the code is public (nearby): no MAC, nothing proven */
  guint8               owner_fingerprint[32];  /* an open reader's: the announced certificate */
  gboolean             reached;           /* ICE connected: the other side answered */
  gboolean             over;              /* failed (or expired): said once */
};

G_DEFINE_FINAL_TYPE (FerryPairing, ferry_pairing, G_TYPE_OBJECT)

enum {
  FAILED,
  REPLY,
  N_SIGNALS
};

/* A reader not connected by then shows a reply code. */
#define REPLY_AFTER_MS 3000
/* Once the owner answered its checks, the reader expects the encrypted connection and the hello
 * within this long (a few round trips; seconds even through a relay on a bad path). */
#define PROOF_WITHIN_S 10
/* … unless the owner reads our reply from somewhere slow (the DHT): as long as our checks last. */
#define SLOW_PROOF_WITHIN_S 60

static guint signals[N_SIGNALS];

static FerryPairing *
pairing_new (FerryIdentity  *identity,
             FerryRtcConfig *config,
             const char     *local_name,
             gboolean        owner,
             GError        **error)
{
  g_autoptr(FerryPairing) self = g_object_new (FERRY_TYPE_PAIRING, NULL);

  self->identity = g_object_ref (identity);
  self->config = ferry_rtc_config_copy (config);
  g_set_object (&self->config->certificate, ferry_identity_get_certificate (identity));
  /* Candidates travel in the code, complete; both sides wait for each other until the code
   * expires (the owner for a reader, the reader for a reply code to be entered), not for the
   * usual ICE timeout. */
  self->config->trickle = FALSE;
  self->config->ice_timeout_ms = 0;
  /* The other side may act on the code long after our checks began (a reply code typed in,
   * mailboxes in the DHT read every few seconds): a check is kept up for a minute (0.5 s, then
   * doubling, six times), not the usual 7.5 s after which libnice calls the pairing failed. */
  self->config->check_retransmissions = MAX (self->config->check_retransmissions, 6);
  self->local_name = g_strdup (local_name);
  if (!(self->pc = ferry_peer_connection_new (self->config, error)))
    return NULL;
  return g_steal_pointer (&self);
}

static gboolean reply_cb (gpointer user_data);

/* The pairing is over without a connection: said once, whatever came first. */
static void
fail (FerryPairing *self,
      GError       *error)
{
  g_autoptr(GError) owned = error;

  if (self->over)
    return;
  self->over = TRUE;
  g_clear_pointer (&self->expiry, g_source_destroy);
  g_clear_pointer (&self->reply_timer, g_source_destroy);
  g_clear_pointer (&self->proof_timer, g_source_destroy);
  ferry_peer_connection_close (self->pc);
  g_signal_emit (self, signals[FAILED], 0, error);
}

static gboolean
expired_cb (gpointer user_data)
{
  FerryPairing *self = user_data;

  self->expiry = NULL;
  if (!ferry_pairing_is_connected (self))
    fail (self, g_error_new_literal (FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_EXPIRED,
                                     _("The pairing code expired before the connection was made")));
  return G_SOURCE_REMOVE;
}

/* The owner answered the reader's checks but the encrypted connection or the hello did not
 * follow: it is busy with whoever used the code first (it answers the checks of everyone who
 * holds the code's credentials, and takes one). */
static void
fail_used (FerryPairing *self)
{
  fail (self, g_error_new_literal (FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_USED,
                                   _("The other computer answered but did not take the connection: "
                                     "this code was probably used already. Ask for a new one.")));
}

static gboolean
proof_timeout_cb (gpointer user_data)
{
  FerryPairing *self = user_data;

  self->proof_timer = NULL;
  if (!ferry_pairing_is_connected (self))
    fail_used (self);
  return G_SOURCE_REMOVE;
}

static void
ice_state_cb (FerryPeerConnection *pc,
              GParamSpec          *pspec,
              FerryPairing        *self)
{
  FerryIceState state = ferry_peer_connection_get_ice_state (pc);

  if (self->reached || (state != FERRY_ICE_STATE_CONNECTED && state != FERRY_ICE_STATE_COMPLETED))
    return;
  self->reached = TRUE;
  if (self->link == NULL)
    self->proof_timer = ferry_source_attach (g_timeout_source_new_seconds (self->proof_within_s), self->context,
                                             G_PRIORITY_DEFAULT, proof_timeout_cb, self, NULL);
}

/* The peer went before it proved the code. */
static void
peer_closed_cb (FerryPeer    *peer,
                FerryPairing *self)
{
  if (ferry_pairing_is_connected (self))
    return;
  if (self->reached && self->link == NULL)
    fail_used (self);
  else
    fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                     _("Could not connect with the pairing code")));
}

/* An open reader connects to the certificate that was announced, or not at all. */
static void
open_peer_connected_cb (FerryPeer    *peer,
                        GParamSpec   *pspec,
                        FerryPairing *self)
{
  const guint8 *remote = ferry_peer_connection_get_remote_fingerprint (self->pc);

  if (!ferry_peer_get_connected (peer) || self->over)
    return;
  if (remote == NULL || memcmp (remote, self->owner_fingerprint, sizeof self->owner_fingerprint) != 0)
    fail (self, g_error_new_literal (FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_FORGED,
                                     _("The device that answered is not the one that was announced: "
                                       "its certificate differs")));
}

static void
watch_peer (FerryPairing *self)
{
  if (self->open && self->link == NULL)
    g_signal_connect_object (self->peer, "notify::connected", G_CALLBACK (open_peer_connected_cb), self, 0);
  g_signal_connect_object (self->pc, "notify::ice-state", G_CALLBACK (ice_state_cb), self, 0);
  g_signal_connect_object (self->peer, "closed", G_CALLBACK (peer_closed_cb), self, 0);
}

static void
watch_expiry (FerryPairing *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  self->expiry = ferry_source_attach (g_timeout_source_new_seconds (MAX (self->code->expires - now, 1)),
                                      self->context, G_PRIORITY_DEFAULT, expired_cb, self, NULL);
}

static void
owner_gathered_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryPairing *self = g_task_get_task_data (task);
  g_autoptr(GPtrArray) candidates = NULL;
  GError *error = NULL;

  if (!(candidates = ferry_peer_connection_gather_paired_finish (self->pc, result, &error)))
    return g_task_return_error (task, error);
  /* What fits (UDP, an IP address, eight at most) goes into the code, in the agent's order. */
  for (guint i = 0; i < candidates->len; i++)
    {
      g_autoptr(GError) unfit = NULL;

      if (!ferry_pairing_code_add_candidate (self->code, g_ptr_array_index (candidates, i), &unfit))
        g_debug ("Pairing: %s", unfit->message);
    }
  if (self->code->candidates->len == 0)
    return g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
                                    _("This computer has no network address to put in a pairing code"));
  /* The owner answers the reader's checks (ICE-controlled) and is the DTLS server. */
  if (!ferry_peer_connection_start_paired (self->pc, self->keys.reader_ufrag, self->keys.reader_pwd,
                                           NULL, FALSE, &error))
    return g_task_return_error (task, error);
  self->peer = ferry_peer_new_direct (self->pc, NULL, FALSE, self->identity,
                                      self->open ? NULL : self->keys.auth_key, self->local_name);
  self->link = ferry_pairing_code_to_link (self->code);
  watch_peer (self);
  watch_expiry (self);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
new_code (FerryIdentity       *identity,
          FerryRtcConfig      *config,
          const char          *local_name,
          guint                lifetime_s,
          gboolean             open,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(FerryPairing) self = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, new_code);
  if (!(self = pairing_new (identity, config, local_name, TRUE, &error)))
    return g_task_return_error (task, error);
  self->open = open;
  self->code = ferry_pairing_code_new (FALSE, lifetime_s);
  ferry_pairing_derive_keys (self->code->secret, &self->keys);
  g_task_set_task_data (task, g_object_ref (self), g_object_unref);
  ferry_peer_connection_gather_paired (self->pc, self->keys.owner_ufrag, self->keys.owner_pwd, FALSE,
                                       cancellable, owner_gathered_cb, g_steal_pointer (&task));
}

void
ferry_pairing_new_code_async (FerryIdentity       *identity,
                              FerryRtcConfig      *config,
                              const char          *local_name,
                              guint                lifetime_s,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  new_code (identity, config, local_name, lifetime_s, FALSE, cancellable, callback, user_data);
}

void
ferry_pairing_new_open_code_async (FerryIdentity       *identity,
                                   FerryRtcConfig      *config,
                                   const char          *local_name,
                                   guint                lifetime_s,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  new_code (identity, config, local_name, lifetime_s, TRUE, cancellable, callback, user_data);
}

void
ferry_pairing_set_slow_signalling (FerryPairing *self)
{
  g_return_if_fail (FERRY_IS_PAIRING (self));

  self->proof_within_s = SLOW_PROOF_WITHIN_S;
}

char *
ferry_pairing_make_reply (FerryPairing *self)
{
  g_autoptr(FerryPairingCode) reply = NULL;

  g_return_val_if_fail (FERRY_IS_PAIRING (self), NULL);
  g_return_val_if_fail (self->local_candidates != NULL, NULL);

  reply = ferry_pairing_code_new (TRUE, 0);
  reply->expires = self->code->expires;
  reply->dtls_client = !self->code->dtls_client;
  for (guint i = 0; i < self->local_candidates->len; i++)
    ferry_pairing_code_add_candidate (reply, g_ptr_array_index (self->local_candidates, i), NULL);
  ferry_pairing_code_sign_reply (reply, self->code->secret);
  return ferry_pairing_code_to_link (reply);
}

/* Nothing got through: the owner cannot be reached from here (its NAT filters our checks).
 * The reply code tells it our candidates, server-reflexive and relayed ones included, so that
 * its own checks open the way. */
static gboolean
reply_cb (gpointer user_data)
{
  FerryPairing *self = user_data;
  g_autofree char *link = NULL;

  self->reply_timer = NULL;
  /* An owner that answered our checks needs no reply. */
  if (self->reached || ferry_peer_get_connected (self->peer))
    return G_SOURCE_REMOVE;
  link = ferry_pairing_make_reply (self);
  g_signal_emit (self, signals[REPLY], 0, link);
  return G_SOURCE_REMOVE;
}

gboolean
ferry_pairing_add_reply (FerryPairing  *self,
                         const char    *text,
                         GError       **error)
{
  g_autoptr(FerryPairingCode) reply = NULL;

  g_return_val_if_fail (FERRY_IS_PAIRING (self), FALSE);

  /* A code connects one computer: the reply code of a second reader is refused. */
  if (ferry_pairing_is_connected (self))
    {
      g_set_error (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_USED,
                   _("This pairing code was used already, by %s; make a new code to connect "
                     "another computer"), ferry_peer_get_display_name (self->peer));
      return FALSE;
    }
  if (!(reply = ferry_pairing_code_parse (text, g_get_real_time () / G_USEC_PER_SEC, error)) ||
      !ferry_pairing_code_verify_reply (reply, self->code->secret, error))
    return FALSE;
  for (guint i = 0; i < reply->candidates->len; i++)
    {
      g_autofree char *candidate = ferry_pairing_code_get_candidate_sdp (reply, i);

      if (!ferry_peer_connection_add_remote_candidate (self->pc, candidate, error))
        return FALSE;
    }
  return TRUE;
}

static void
reader_gathered_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FerryPairing *self = g_task_get_task_data (task);
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GPtrArray) remote = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autofree char *label = NULL;
  guint8 random[20];
  GError *error = NULL;

  if (!(candidates = ferry_peer_connection_gather_paired_finish (self->pc, result, &error)))
    return g_task_return_error (task, error);
  for (guint i = 0; i < self->code->candidates->len; i++)
    g_ptr_array_add (remote, ferry_pairing_code_get_candidate_sdp (self->code, i));
  g_ptr_array_add (remote, NULL);

  /* The reader opens the channel, labelled as P2PT labels its own. */
  ferry_random_bytes (random, sizeof random);
  label = ferry_hex_encode (random, sizeof random);
  if (!(channel = ferry_peer_connection_create_data_channel (self->pc, label, NULL, &error)) ||
      !ferry_peer_connection_start_paired (self->pc, self->keys.owner_ufrag, self->keys.owner_pwd,
                                           (const char * const *) remote->pdata,
                                           !self->code->dtls_client, &error))
    return g_task_return_error (task, error);
  self->peer = ferry_peer_new_direct (self->pc, channel, TRUE, self->identity,
                                      self->open ? NULL : self->keys.auth_key, self->local_name);
  self->local_candidates = g_steal_pointer (&candidates);
  watch_peer (self);
  self->reply_timer = ferry_source_attach (g_timeout_source_new (REPLY_AFTER_MS), self->context,
                                           G_PRIORITY_DEFAULT, reply_cb, self, NULL);
  watch_expiry (self);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

static void
new_reader (FerryIdentity          *identity,
            FerryRtcConfig         *config,
            const char             *local_name,
            const FerryPairingCode *code,
            const guint8           *owner_fingerprint,
            GCancellable           *cancellable,
            GAsyncReadyCallback     callback,
            gpointer                user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(FerryPairing) self = NULL;
  g_autofree char *text = NULL;
  GError *error = NULL;

  g_return_if_fail (code != NULL);
  g_task_set_source_tag (task, new_reader);

  if (code->reply)
    return g_task_return_new_error (task, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_NOT_FOR_US,
                                    _("This is a reply code: enter it on the computer that showed "
                                      "the pairing code"));
  if (!(self = pairing_new (identity, config, local_name, FALSE, &error)))
    return g_task_return_error (task, error);
  if (owner_fingerprint != NULL)
    {
      self->open = TRUE;
      memcpy (self->owner_fingerprint, owner_fingerprint, sizeof self->owner_fingerprint);
    }
  /* A copy of the code, through its text, which the parser has checked already. */
  text = ferry_pairing_code_to_string (code);
  self->code = ferry_pairing_code_parse (text, 0, NULL);
  ferry_pairing_derive_keys (self->code->secret, &self->keys);
  g_task_set_task_data (task, g_object_ref (self), g_object_unref);
  ferry_peer_connection_gather_paired (self->pc, self->keys.reader_ufrag, self->keys.reader_pwd, TRUE,
                                       cancellable, reader_gathered_cb, g_steal_pointer (&task));
}

void
ferry_pairing_new_reader_async (FerryIdentity          *identity,
                                FerryRtcConfig         *config,
                                const char             *local_name,
                                const FerryPairingCode *code,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  new_reader (identity, config, local_name, code, NULL, cancellable, callback, user_data);
}

void
ferry_pairing_new_open_reader_async (FerryIdentity          *identity,
                                     FerryRtcConfig         *config,
                                     const char             *local_name,
                                     const FerryPairingCode *code,
                                     const guint8           *owner_fingerprint,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  g_return_if_fail (owner_fingerprint != NULL);

  new_reader (identity, config, local_name, code, owner_fingerprint, cancellable, callback, user_data);
}

FerryPairing *
ferry_pairing_new_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
ferry_pairing_is_connected (FerryPairing *self)
{
  g_return_val_if_fail (FERRY_IS_PAIRING (self), FALSE);

  return self->peer != NULL && !self->over &&
         (self->open ? ferry_peer_get_connected (self->peer) : ferry_peer_get_verified (self->peer));
}

const char *
ferry_pairing_get_link (FerryPairing *self)
{
  g_return_val_if_fail (FERRY_IS_PAIRING (self), NULL);

  return self->link;
}

FerryPeer *
ferry_pairing_get_peer (FerryPairing *self)
{
  g_return_val_if_fail (FERRY_IS_PAIRING (self), NULL);

  return self->peer;
}

static void
ferry_pairing_dispose (GObject *object)
{
  FerryPairing *self = FERRY_PAIRING (object);

  g_clear_pointer (&self->expiry, g_source_destroy);
  g_clear_pointer (&self->reply_timer, g_source_destroy);
  g_clear_pointer (&self->proof_timer, g_source_destroy);
  g_clear_pointer (&self->local_candidates, g_ptr_array_unref);
  g_clear_object (&self->peer);
  g_clear_object (&self->pc);
  G_OBJECT_CLASS (ferry_pairing_parent_class)->dispose (object);
}

static void
ferry_pairing_finalize (GObject *object)
{
  FerryPairing *self = FERRY_PAIRING (object);

  ferry_memzero (&self->keys, sizeof self->keys);
  g_clear_pointer (&self->code, ferry_pairing_code_free);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->config, ferry_rtc_config_unref);
  g_free (self->local_name);
  g_free (self->link);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (ferry_pairing_parent_class)->finalize (object);
}

static void
ferry_pairing_class_init (FerryPairingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_pairing_dispose;
  object_class->finalize = ferry_pairing_finalize;

  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[REPLY] =
    g_signal_new ("reply", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ferry_pairing_init (FerryPairing *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->proof_within_s = PROOF_WITHIN_S;
}
