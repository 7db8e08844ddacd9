/* ferry-peer-connection.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-peer-connection.h"
#include "ferry-webrtc-enums.h"
#include "ferry-text.h"
#include "ferry-data-channel-private.h"
#include "ferry-dcep.h"
#include "ferry-dtls-transport.h"
#include "ferry-ice-transport.h"
#include "ferry-sctp-transport.h"
#include "ferry-source.h"

#define MAX_EARLY_CANDIDATES 64

struct _FerryPeerConnection
{
  GObject                   parent_instance;

  GMainContext             *context;
  FerryRtcConfig           *config;
  FerryCertificate         *certificate;
  FerryPeerConnectionState  state;
  GError                   *error;
  guint64                   session_id;
  guint64                   session_version;

  gboolean                  offered;       /* we made the offer */
  gboolean                  paired;        /* started from a pairing code: no descriptions */
  FerrySdp                 *remote;
  GPtrArray                *early_candidates;
  GList                    *waiting_tasks; /* create_offer/answer waiting for gathering */

  FerryIceTransport        *ice;
  FerryDtlsTransport       *dtls;
  FerrySctpTransport       *sctp;
  guint                     max_packet;    /* SCTP's, in bytes */
  FerryDtlsRole             dtls_role;

  GSource                  *silence_check; /* while connected */

  GHashTable               *channels;      /* sid → FerryDataChannel */
  GPtrArray                *unassigned;    /* channels waiting for the DTLS role */
};

G_DEFINE_FINAL_TYPE (FerryPeerConnection, ferry_peer_connection, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-peer-connection-error-quark, ferry_peer_connection_error)

enum {
  PROP_0,
  PROP_STATE,
  PROP_ICE_STATE,
  PROP_DTLS_STATE,
  PROP_SCTP_STATE,
  PROP_SELECTED_PAIR,
  N_PROPS
};

enum {
  DATA_CHANNEL,
  LOCAL_CANDIDATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void teardown (FerryPeerConnection *self);

static void
set_state (FerryPeerConnection      *self,
           FerryPeerConnectionState  state)
{
  if (self->state == state || self->state >= FERRY_PEER_CONNECTION_FAILED)
    return;

  g_debug ("Peer connection %p: state %s -> %s", self, ferry_enum_nick (FERRY_TYPE_PEER_CONNECTION_STATE, self->state),
           ferry_enum_nick (FERRY_TYPE_PEER_CONNECTION_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
close_channels (FerryPeerConnection *self)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer channel;

  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, &channel))
    g_ptr_array_add (all, g_object_ref (channel));
  for (guint i = 0; i < self->unassigned->len; i++)
    g_ptr_array_add (all, g_object_ref (g_ptr_array_index (self->unassigned, i)));
  g_hash_table_remove_all (self->channels);
  g_ptr_array_set_size (self->unassigned, 0);

  for (guint i = 0; i < all->len; i++)
    {
      g_signal_handlers_disconnect_by_data (g_ptr_array_index (all, i), self);
      _ferry_data_channel_closed (g_ptr_array_index (all, i), NULL);
    }
}

/* Ends the connection: FAILED with @error, or CLOSED without one. */
static void
finish (FerryPeerConnection *self,
        GError              *error)
{
  if (self->state >= FERRY_PEER_CONNECTION_FAILED)
    {
      g_clear_error (&error);
      return;
    }

  g_object_ref (self);
  if (error != NULL)
    g_debug ("Peer connection %p failed: %s", self, error->message);
  self->error = error;
  set_state (self, error ? FERRY_PEER_CONNECTION_FAILED : FERRY_PEER_CONNECTION_CLOSED);
  teardown (self);
  close_channels (self);

  for (GList *l = self->waiting_tasks; l != NULL; l = l->next)
    {
      g_task_return_new_error (l->data, FERRY_PEER_CONNECTION_ERROR,
                               FERRY_PEER_CONNECTION_ERROR_INVALID_STATE,
                               _("The connection was closed"));
      g_object_unref (l->data);
    }
  g_clear_pointer (&self->waiting_tasks, g_list_free);
  g_object_unref (self);
}

static gboolean
close_ice_cb (gpointer user_data)
{
  ferry_ice_transport_close (user_data);
  return G_SOURCE_REMOVE;
}

static void
teardown (FerryPeerConnection *self)
{
  g_clear_pointer (&self->silence_check, g_source_destroy);
  /* SCTP aborts and DTLS sends close_notify at once, so the peer learns now; the ICE agent is
   * closed from the main loop, since we may be inside one of its callbacks. */
  if (self->sctp != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sctp, self);
      ferry_sctp_transport_close (self->sctp);
      g_clear_object (&self->sctp);
    }
  if (self->dtls != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dtls, self);
      ferry_dtls_transport_close (self->dtls);
      g_clear_object (&self->dtls);
    }
  if (self->ice != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ice, self);
      ferry_source_attach (g_idle_source_new (), self->context, G_PRIORITY_DEFAULT, close_ice_cb,
                           g_steal_pointer (&self->ice), g_object_unref);
    }
}

static void
fail (FerryPeerConnection *self,
      int                  code,
      const char          *message)
{
  finish (self, g_error_new_literal (FERRY_PEER_CONNECTION_ERROR, code, message));
}

/* Local descriptions */

static char *
build_local_description (FerryPeerConnection *self)
{
  g_autoptr(FerrySdp) sdp = ferry_sdp_new ();
  GPtrArray *candidates = ferry_ice_transport_get_local_candidates (self->ice);

  sdp->session_id = self->session_id;
  sdp->session_version = ++self->session_version;
  ferry_ice_transport_get_local_credentials (self->ice, &sdp->ice_ufrag, &sdp->ice_pwd);
  sdp->ice_trickle = self->config->trickle;
  ferry_sdp_add_fingerprint (sdp, "sha-256", ferry_certificate_get_fingerprint (self->certificate));
  sdp->sctp_port = FERRY_SDP_DEFAULT_SCTP_PORT;
  sdp->has_max_message_size = TRUE;
  sdp->max_message_size = self->config->max_message_size;
  sdp->large_packets = TRUE;

  if (self->offered)
    {
      sdp->setup = FERRY_SDP_SETUP_ACTPASS;
      sdp->mid = g_strdup ("0");
      sdp->bundle = TRUE;
    }
  else
    {
      /* Answer in the offer's own terms: its mid, its BUNDLE choice, its SCTP form, and the
       * other media it offered rejected with port 0. */
      g_autoptr(FerrySdp) offer = ferry_sdp_copy (self->remote);

      sdp->setup = self->dtls_role == FERRY_DTLS_ROLE_CLIENT ? FERRY_SDP_SETUP_ACTIVE
                                                             : FERRY_SDP_SETUP_PASSIVE;
      sdp->mid = g_strdup (offer->mid);
      sdp->bundle = offer->bundle;
      sdp->legacy = offer->legacy;
      sdp->data_index = offer->data_index;
      g_ptr_array_extend_and_steal (sdp->rejected_media, g_steal_pointer (&offer->rejected_media));
      offer->rejected_media = g_ptr_array_new ();
    }

  for (guint i = 0; i < candidates->len; i++)
    g_ptr_array_add (sdp->candidates, g_strdup (g_ptr_array_index (candidates, i)));
  sdp->end_of_candidates = !self->config->trickle && ferry_ice_transport_get_gathering_done (self->ice);

  return ferry_sdp_to_string (sdp);
}

static void
complete_waiting_tasks (FerryPeerConnection *self)
{
  GList *tasks = g_steal_pointer (&self->waiting_tasks);

  for (GList *l = tasks; l != NULL; l = l->next)
    {
      g_task_return_pointer (l->data, build_local_description (self), g_free);
      g_object_unref (l->data);
    }
  g_list_free (tasks);
}

static void
ice_local_candidate_cb (FerryIceTransport   *ice,
                        const char          *candidate,
                        FerryPeerConnection *self)
{
  if (self->config->trickle)
    g_signal_emit (self, signals[LOCAL_CANDIDATE], 0, candidate);
}

static void
ice_gathering_done_cb (FerryIceTransport   *ice,
                       FerryPeerConnection *self)
{
  if (self->config->trickle)
    g_signal_emit (self, signals[LOCAL_CANDIDATE], 0, NULL);
  complete_waiting_tasks (self);
}

/* Transport state */

static void
start_dtls_if_ready (FerryPeerConnection *self)
{
  FerryIceState ice;

  if (self->ice == NULL || self->dtls == NULL)
    return;
  ice = ferry_ice_transport_get_state (self->ice);
  if (ice == FERRY_ICE_STATE_CONNECTED || ice == FERRY_ICE_STATE_COMPLETED)
    ferry_dtls_transport_start (self->dtls);
}

static void
ice_state_cb (FerryIceTransport   *ice,
              GParamSpec          *pspec,
              FerryPeerConnection *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICE_STATE]);

  if (ferry_ice_transport_get_state (ice) == FERRY_ICE_STATE_FAILED)
    {
      if (self->state == FERRY_PEER_CONNECTION_CONNECTED)
        fail (self, FERRY_PEER_CONNECTION_ERROR_PEER_GONE, _("The peer stopped responding"));
      else
        fail (self, FERRY_PEER_CONNECTION_ERROR_ICE_FAILED,
              _("No network path to the peer was found; a TURN server may help"));
      return;
    }
  start_dtls_if_ready (self);
}

/* SCTP packets as large as the link allows, up to a DTLS record, when the peer takes them (its
 * description says so; a paired peer is Ferry) and the pair is within one link, where no router
 * can have a smaller MTU.  Otherwise what fits any IPv6 path. */
static guint
max_packet (FerryPeerConnection *self)
{
  const guint headers = 40 + 8 + FERRY_SCTP_DTLS_OVERHEAD;
  guint link = ferry_ice_transport_get_link_mtu (self->ice);
  guint record = self->dtls != NULL ? ferry_dtls_transport_get_max_record (self->dtls) : 0;

  if (self->remote == NULL || !self->remote->large_packets || link < headers + FERRY_SCTP_DEFAULT_PACKET ||
      record < FERRY_SCTP_DEFAULT_PACKET)
    return FERRY_SCTP_DEFAULT_PACKET;
  return MIN (MIN (link - headers, record), FERRY_SCTP_MAX_PACKET);
}

static void
ice_selected_pair_cb (FerryIceTransport   *ice,
                      FerryPeerConnection *self)
{
  guint packet = max_packet (self);

  /* A new pair may be on a smaller link (the size can only come down). */
  if (self->sctp != NULL && packet < self->max_packet)
    {
      g_autoptr(GError) error = NULL;

      if (ferry_sctp_transport_set_max_packet (self->sctp, packet, &error))
        self->max_packet = packet;
      else
        g_debug ("PC %p: SCTP packets stay at %u bytes: %s", self, self->max_packet, error->message);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_PAIR]);
}

static FerryDataChannel *
lookup_channel (FerryPeerConnection *self,
                guint                sid)
{
  return g_hash_table_lookup (self->channels, GUINT_TO_POINTER (sid));
}

static void
channel_close_cb (FerryDataChannel    *channel,
                  FerryPeerConnection *self)
{
  int id = ferry_data_channel_get_id (channel);

  g_signal_handlers_disconnect_by_data (channel, self);
  if (id >= 0 && lookup_channel (self, id) == channel)
    g_hash_table_remove (self->channels, GUINT_TO_POINTER (id));
  g_ptr_array_remove (self->unassigned, channel);
}

static void
track_channel (FerryPeerConnection *self,
               FerryDataChannel    *channel)
{
  g_signal_connect (channel, "close", G_CALLBACK (channel_close_cb), self);
}

/* The lowest free id of our parity: even for the DTLS client, odd for the server (RFC 8832
 * section 6). */
static int
allocate_id (FerryPeerConnection *self)
{
  guint limit = self->sctp ? ferry_sctp_transport_get_streams (self->sctp) : FERRY_SCTP_MAX_STREAMS;

  for (guint id = self->dtls_role == FERRY_DTLS_ROLE_CLIENT ? 0 : 1; id < limit; id += 2)
    if (lookup_channel (self, id) == NULL)
      return id;
  return -1;
}

static void
assign_ids (FerryPeerConnection *self)
{
  g_autoptr(GPtrArray) channels = g_steal_pointer (&self->unassigned);

  self->unassigned = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < channels->len; i++)
    {
      FerryDataChannel *channel = g_ptr_array_index (channels, i);
      int id = allocate_id (self);

      if (id < 0)
        {
          g_autoptr(GError) error = g_error_new_literal (FERRY_PEER_CONNECTION_ERROR,
                                                         FERRY_PEER_CONNECTION_ERROR_TOO_MANY_CHANNELS,
                                                         _("Too many data channels are open"));
          g_signal_handlers_disconnect_by_data (channel, self);
          _ferry_data_channel_closed (channel, error);
          continue;
        }
      _ferry_data_channel_set_id (channel, id);
      g_hash_table_insert (self->channels, GUINT_TO_POINTER (id), g_object_ref (channel));
    }
}

static void
open_channels (FerryPeerConnection *self)
{
  g_autoptr(GPtrArray) channels = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer channel;

  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, &channel))
    g_ptr_array_add (channels, g_object_ref (channel));

  for (guint i = 0; i < channels->len && self->sctp != NULL; i++)
    _ferry_data_channel_open (g_ptr_array_index (channels, i), self->sctp);
}

static void
reset_stream (FerryPeerConnection *self,
              guint16              sid)
{
  if (self->sctp != NULL)
    ferry_sctp_transport_reset_stream (self->sctp, sid);
}

static void
handle_dcep (FerryPeerConnection *self,
             guint16              sid,
             GBytes              *data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDataChannel) channel = NULL;
  g_autoptr(GBytes) ack = NULL;
  FerryDcepMessage message;
  gsize len;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  gboolean remote_parity_even;

  if (!ferry_dcep_parse (bytes, len, &message, &error))
    {
      g_debug ("Stream %u: %s", sid, error->message);
      return;
    }

  if (message.message_type == FERRY_DCEP_ACK)
    {
      if (lookup_channel (self, sid) != NULL)
        _ferry_data_channel_acked (lookup_channel (self, sid));
      return;
    }

  /* The peer opens ids of its own parity on streams that are free; anything else is refused by
   * resetting the stream (libdatachannel does the same). */
  remote_parity_even = self->dtls_role == FERRY_DTLS_ROLE_SERVER;
  if ((sid % 2 == 0) != remote_parity_even || lookup_channel (self, sid) != NULL)
    {
      g_debug ("Refused a channel open on stream %u", sid);
      reset_stream (self, sid);
      ferry_dcep_clear (&message);
      return;
    }

  channel = _ferry_data_channel_new_remote (&message, sid);
  ferry_dcep_clear (&message);
  g_hash_table_insert (self->channels, GUINT_TO_POINTER (sid), g_object_ref (channel));
  track_channel (self, channel);

  ack = ferry_dcep_build_ack ();
  if (!ferry_sctp_transport_send (self->sctp, sid, FERRY_PPID_DCEP, ack, NULL, &error))
    {
      g_debug ("Could not acknowledge channel %u: %s", sid, error->message);
      return;
    }

  g_signal_emit (self, signals[DATA_CHANNEL], 0, channel);
  if (self->sctp != NULL)
    _ferry_data_channel_open (channel, self->sctp);
}

static void
sctp_message_cb (FerrySctpTransport  *sctp,
                 guint                sid,
                 guint                ppid,
                 GBytes              *data,
                 FerryPeerConnection *self)
{
  FerryDataChannel *channel;

  if (ppid == FERRY_PPID_DCEP)
    {
      handle_dcep (self, sid, data);
      return;
    }

  channel = lookup_channel (self, sid);
  if (channel != NULL)
    _ferry_data_channel_receive (channel, ppid, data);
  else
    g_debug ("Dropped a message on stream %u, which has no channel", sid);
}

static void
sctp_stream_closing_cb (FerrySctpTransport  *sctp,
                        guint                sid,
                        FerryPeerConnection *self)
{
  FerryDataChannel *channel = lookup_channel (self, sid);

  if (channel != NULL)
    _ferry_data_channel_closing (channel);
}

static void
sctp_stream_reset_cb (FerrySctpTransport  *sctp,
                      guint                sid,
                      FerryPeerConnection *self)
{
  FerryDataChannel *channel = lookup_channel (self, sid);

  if (channel != NULL)
    _ferry_data_channel_closed (channel, NULL);
}

static void
sctp_buffered_amount_cb (FerrySctpTransport  *sctp,
                         guint                sid,
                         guint64              amount,
                         FerryPeerConnection *self)
{
  FerryDataChannel *channel = lookup_channel (self, sid);

  if (channel != NULL)
    _ferry_data_channel_buffered_amount_changed (channel, amount);
}

/* A connected peer is never silent for long: SCTP heartbeats go both ways every sixth of the
 * liveness timeout (ferry-sctp-transport.c) and are answered.  Silence for the whole timeout
 * means the peer or the path is gone.  SCTP's own limits lie well beyond the timeout, so that a
 * path back within it keeps the association: this check is what ends the connection, on a side
 * with data in flight and on one that only receives alike.  (A side waiting for SCTP would
 * meanwhile refuse the peer's new connection as a duplicate of this dead one.) */
static gboolean
silence_check_cb (gpointer user_data)
{
  FerryPeerConnection *self = user_data;
  gint64 silence_us = g_get_monotonic_time () - ferry_ice_transport_get_last_receive_time (self->ice);

  if (silence_us < (gint64) self->config->liveness_timeout_ms * 1000)
    return G_SOURCE_CONTINUE;
  self->silence_check = NULL;
  g_debug ("Peer connection %p: nothing received for %.1f s", self, silence_us / 1e6);
  fail (self, FERRY_PEER_CONNECTION_ERROR_PEER_GONE, _("The peer stopped responding"));
  return G_SOURCE_REMOVE;
}

static void
watch_silence (FerryPeerConnection *self)
{
  guint period_ms = CLAMP (self->config->liveness_timeout_ms / 6, 100, 1000);

  if (self->silence_check != NULL || self->ice == NULL || self->config->liveness_timeout_ms == 0)
    return;
  self->silence_check = ferry_source_attach (g_timeout_source_new (period_ms), self->context,
                                             G_PRIORITY_DEFAULT, silence_check_cb, self, NULL);
}

static void
sctp_state_cb (FerrySctpTransport  *sctp,
               GParamSpec          *pspec,
               FerryPeerConnection *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCTP_STATE]);

  switch (ferry_sctp_transport_get_state (sctp))
    {
    case FERRY_SCTP_STATE_CONNECTED:
      set_state (self, FERRY_PEER_CONNECTION_CONNECTED);
      watch_silence (self);
      open_channels (self);
      break;
    case FERRY_SCTP_STATE_CLOSED:
      finish (self, NULL);
      break;
    case FERRY_SCTP_STATE_FAILED:
      if (self->state == FERRY_PEER_CONNECTION_CONNECTED)
        fail (self, FERRY_PEER_CONNECTION_ERROR_PEER_GONE, _("The peer stopped responding"));
      else
        fail (self, FERRY_PEER_CONNECTION_ERROR_SCTP_FAILED,
              _("The data connection to the peer could not be set up"));
      break;
    default:
      break;
    }
}

static void
dtls_connected_cb (FerryDtlsTransport  *dtls,
                   FerryPeerConnection *self)
{
  g_autoptr(GError) error = NULL;

  self->sctp = ferry_sctp_transport_new (dtls, self->remote->sctp_port,
                                         self->config->max_message_size,
                                         ferry_sdp_get_remote_max_message_size (self->remote),
                                         self->config->liveness_timeout_ms, &error);
  self->max_packet = max_packet (self);
  if (self->sctp == NULL || !ferry_sctp_transport_set_max_packet (self->sctp, self->max_packet, &error))
    {
      finish (self, g_steal_pointer (&error));
      return;
    }
  g_debug ("PC %p: SCTP packets up to %u bytes", self, self->max_packet);

  g_signal_connect (self->sctp, "notify::state", G_CALLBACK (sctp_state_cb), self);
  g_signal_connect (self->sctp, "message", G_CALLBACK (sctp_message_cb), self);
  g_signal_connect (self->sctp, "stream-closing", G_CALLBACK (sctp_stream_closing_cb), self);
  g_signal_connect (self->sctp, "stream-reset", G_CALLBACK (sctp_stream_reset_cb), self);
  g_signal_connect (self->sctp, "buffered-amount-changed", G_CALLBACK (sctp_buffered_amount_cb), self);
  /* Before DTLS reads any record: the peer's INIT may already be waiting. */
  ferry_sctp_transport_start (self->sctp);
}

static void
dtls_state_cb (FerryDtlsTransport  *dtls,
               GParamSpec          *pspec,
               FerryPeerConnection *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DTLS_STATE]);

  switch (ferry_dtls_transport_get_state (dtls))
    {
    case FERRY_DTLS_STATE_FAILED:
      finish (self, g_error_copy (ferry_dtls_transport_get_error (dtls)));
      break;
    case FERRY_DTLS_STATE_CLOSED:
      finish (self, NULL);
      break;
    default:
      break;
    }
}

/* Setting up */

static void
ensure_ice (FerryPeerConnection *self,
            gboolean             controlling)
{
  if (self->ice != NULL)
    return;

  self->ice = ferry_ice_transport_new (self->config, controlling);
  g_signal_connect (self->ice, "notify::state", G_CALLBACK (ice_state_cb), self);
  g_signal_connect (self->ice, "local-candidate", G_CALLBACK (ice_local_candidate_cb), self);
  g_signal_connect (self->ice, "gathering-done", G_CALLBACK (ice_gathering_done_cb), self);
  g_signal_connect (self->ice, "selected-pair-changed", G_CALLBACK (ice_selected_pair_cb), self);
}

static void
create_description (FerryPeerConnection *self,
                    gboolean             offer,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, offer ? (gpointer) ferry_peer_connection_create_offer
                                     : (gpointer) ferry_peer_connection_create_answer);

  if (self->state >= FERRY_PEER_CONNECTION_FAILED)
    {
      g_task_return_new_error (task, FERRY_PEER_CONNECTION_ERROR,
                               FERRY_PEER_CONNECTION_ERROR_INVALID_STATE,
                               _("The connection is closed"));
      return;
    }
  if (offer ? self->remote != NULL : (self->remote == NULL || self->offered))
    {
      g_task_return_new_error (task, FERRY_PEER_CONNECTION_ERROR,
                               FERRY_PEER_CONNECTION_ERROR_INVALID_STATE,
                               offer ? _("Cannot make an offer after receiving one")
                                     : _("Cannot answer before receiving an offer"));
      return;
    }

  if (offer)
    {
      self->offered = TRUE;
      ensure_ice (self, TRUE);
    }
  ferry_ice_transport_gather (self->ice);

  if (self->config->trickle || ferry_ice_transport_get_gathering_done (self->ice))
    g_task_return_pointer (task, build_local_description (self), g_free);
  else
    self->waiting_tasks = g_list_append (self->waiting_tasks, g_steal_pointer (&task));
}

void
ferry_peer_connection_create_offer (FerryPeerConnection *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_PEER_CONNECTION (self));

  create_description (self, TRUE, cancellable, callback, user_data);
}

char *
ferry_peer_connection_create_offer_finish (FerryPeerConnection  *self,
                                           GAsyncResult         *result,
                                           GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ferry_peer_connection_create_answer (FerryPeerConnection *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_PEER_CONNECTION (self));

  create_description (self, FALSE, cancellable, callback, user_data);
}

char *
ferry_peer_connection_create_answer_finish (FerryPeerConnection  *self,
                                            GAsyncResult         *result,
                                            GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
invalid_state (GError    **error,
               const char *message)
{
  g_set_error_literal (error, FERRY_PEER_CONNECTION_ERROR,
                       FERRY_PEER_CONNECTION_ERROR_INVALID_STATE, message);
  return FALSE;
}

static gboolean
invalid_argument (GError    **error,
                  const char *message)
{
  g_set_error_literal (error, FERRY_PEER_CONNECTION_ERROR,
                       FERRY_PEER_CONNECTION_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

static gboolean apply_remote (FerryPeerConnection *self, FerrySdp *sdp_owned, GError **error);

gboolean
ferry_peer_connection_set_remote_description (FerryPeerConnection  *self,
                                              FerrySdpType          type,
                                              const char           *text,
                                              GError              **error)
{
  g_autoptr(FerrySdp) sdp = NULL;

  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (self->state >= FERRY_PEER_CONNECTION_FAILED)
    return invalid_state (error, _("The connection is closed"));
  if (self->remote != NULL)
    return invalid_state (error, _("The remote description is already set"));
  if (type == FERRY_SDP_TYPE_OFFER && self->offered)
    return invalid_state (error, _("Received an offer after making one"));
  if (type == FERRY_SDP_TYPE_ANSWER && !self->offered)
    return invalid_state (error, _("Received an answer without having made an offer"));

  if (!(sdp = ferry_sdp_parse (text, -1, error)))
    return FALSE;

  if (type == FERRY_SDP_TYPE_OFFER)
    {
      /* We answer "active" (DTLS client, RFC 5763) unless the offerer insists on being active.
       * A full-ICE answerer controls only against an ice-lite offerer. */
      self->dtls_role = sdp->setup == FERRY_SDP_SETUP_ACTIVE ? FERRY_DTLS_ROLE_SERVER
                                                             : FERRY_DTLS_ROLE_CLIENT;
      ensure_ice (self, sdp->ice_lite);
    }
  else
    {
      if (sdp->setup == FERRY_SDP_SETUP_ACTPASS)
        {
          g_set_error_literal (error, FERRY_SDP_ERROR, FERRY_SDP_ERROR_MALFORMED,
                               _("Invalid answer: a=setup:actpass is only allowed in offers"));
          return FALSE;
        }
      /* RFC 4145: an answer without a=setup is "active". */
      self->dtls_role = sdp->setup == FERRY_SDP_SETUP_PASSIVE ? FERRY_DTLS_ROLE_CLIENT
                                                              : FERRY_DTLS_ROLE_SERVER;
      if (sdp->ice_lite)
        ferry_ice_transport_set_controlling (self->ice, TRUE);
    }

  return apply_remote (self, g_steal_pointer (&sdp), error);
}

/* Sets up DTLS for the remote description @sdp (taken) and starts connecting. */
static gboolean
apply_remote (FerryPeerConnection  *self,
              FerrySdp             *sdp_owned,
              GError              **error)
{
  g_autoptr(FerrySdp) sdp = sdp_owned;
  g_autoptr(GPtrArray) early = NULL;

  self->dtls = ferry_dtls_transport_new (self->ice, self->certificate, self->dtls_role,
                                         sdp->fingerprints, error);
  if (self->dtls == NULL)
    return FALSE;
  g_signal_connect (self->dtls, "notify::state", G_CALLBACK (dtls_state_cb), self);
  g_signal_connect (self->dtls, "connected", G_CALLBACK (dtls_connected_cb), self);

  self->remote = g_steal_pointer (&sdp);
  ferry_ice_transport_set_remote_credentials (self->ice, self->remote->ice_ufrag, self->remote->ice_pwd);
  for (guint i = 0; i < self->remote->candidates->len; i++)
    ferry_ice_transport_add_remote_candidate (self->ice, g_ptr_array_index (self->remote->candidates, i), NULL);
  early = g_steal_pointer (&self->early_candidates);
  for (guint i = 0; early != NULL && i < early->len; i++)
    ferry_peer_connection_add_remote_candidate (self, g_ptr_array_index (early, i), NULL);
  /* Without trickle the description holds every candidate; with it, wait for the end. */
  if ((!self->config->trickle && !self->paired) || self->remote->end_of_candidates)
    ferry_ice_transport_remote_gathering_done (self->ice);

  assign_ids (self);
  set_state (self, FERRY_PEER_CONNECTION_CONNECTING);
  start_dtls_if_ready (self);
  return TRUE;
}

/* Pairing */

static void
paired_gathering_done_cb (FerryIceTransport *ice,
                          GTask             *task)
{
  FerryPeerConnection *self = g_task_get_source_object (task);

  g_signal_handlers_disconnect_by_data (ice, task);
  g_task_return_pointer (task, g_ptr_array_ref (ferry_ice_transport_get_local_candidates (self->ice)),
                         (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

void
ferry_peer_connection_gather_paired (FerryPeerConnection *self,
                                     const char          *ufrag,
                                     const char          *pwd,
                                     gboolean             controlling,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FERRY_IS_PEER_CONNECTION (self));
  g_return_if_fail (self->ice == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ferry_peer_connection_gather_paired);
  ensure_ice (self, controlling);
  ferry_ice_transport_set_local_credentials (self->ice, ufrag, pwd);
  ferry_ice_transport_gather (self->ice);
  if (ferry_ice_transport_get_gathering_done (self->ice))
    paired_gathering_done_cb (self->ice, task);
  else
    g_signal_connect (self->ice, "gathering-done", G_CALLBACK (paired_gathering_done_cb), task);
}

GPtrArray *
ferry_peer_connection_gather_paired_finish (FerryPeerConnection  *self,
                                            GAsyncResult         *result,
                                            GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
ferry_peer_connection_start_paired (FerryPeerConnection  *self,
                                    const char           *remote_ufrag,
                                    const char           *remote_pwd,
                                    const char * const   *candidates,
                                    gboolean              dtls_client,
                                    GError              **error)
{
  g_autoptr(FerrySdp) sdp = ferry_sdp_new ();

  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FALSE);

  if (self->state >= FERRY_PEER_CONNECTION_FAILED)
    return invalid_state (error, _("The connection is closed"));
  if (self->ice == NULL || self->remote != NULL)
    return invalid_state (error, _("A paired connection starts once, after gathering"));

  /* What a description would say, known to both sides beforehand; no fingerprint: the hello's
   * MAC proves the certificate. */
  sdp->ice_ufrag = g_strdup (remote_ufrag);
  sdp->ice_pwd = g_strdup (remote_pwd);
  sdp->mid = g_strdup ("0");
  sdp->has_max_message_size = TRUE;
  sdp->max_message_size = self->config->max_message_size;
  sdp->large_packets = TRUE;
  for (guint i = 0; candidates != NULL && candidates[i] != NULL; i++)
    g_ptr_array_add (sdp->candidates, g_strdup (candidates[i]));
  /* More may come on either side, so the checks never run out: the reader's checks (the
   * owner learns its address from them), the owner's in answer to a reply code. */
  sdp->end_of_candidates = FALSE;
  self->dtls_role = dtls_client ? FERRY_DTLS_ROLE_CLIENT : FERRY_DTLS_ROLE_SERVER;
  self->offered = TRUE;
  self->paired = TRUE;
  return apply_remote (self, g_steal_pointer (&sdp), error);
}

gboolean
ferry_peer_connection_add_remote_candidate (FerryPeerConnection  *self,
                                            const char           *candidate,
                                            GError              **error)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FALSE);

  if (self->state >= FERRY_PEER_CONNECTION_FAILED)
    return TRUE;

  if (self->remote == NULL)
    {
      /* Trickled candidates may overtake the description (simple-peer queues them too). */
      if (self->early_candidates == NULL)
        self->early_candidates = g_ptr_array_new_with_free_func (g_free);
      if (self->early_candidates->len < MAX_EARLY_CANDIDATES)
        g_ptr_array_add (self->early_candidates, g_strdup (candidate ? candidate : ""));
      return TRUE;
    }

  if (candidate == NULL || *candidate == '\0')
    {
      ferry_ice_transport_remote_gathering_done (self->ice);
      return TRUE;
    }

  return ferry_ice_transport_add_remote_candidate (self->ice, candidate, error);
}

FerryDataChannel *
ferry_peer_connection_create_data_channel (FerryPeerConnection         *self,
                                           const char                  *label,
                                           const FerryDataChannelInit  *init,
                                           GError                     **error)
{
  static const FerryDataChannelInit defaults = FERRY_DATA_CHANNEL_INIT_DEFAULT;
  g_autoptr(FerryDataChannel) channel = NULL;

  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);
  g_return_val_if_fail (label != NULL, NULL);

  if (init == NULL)
    init = &defaults;

  if (self->state >= FERRY_PEER_CONNECTION_FAILED)
    return (invalid_state (error, _("The connection is closed")), NULL);
  if (strlen (label) > G_MAXUINT16 || (init->protocol && strlen (init->protocol) > G_MAXUINT16))
    return (invalid_argument (error, _("The channel label or protocol is too long")), NULL);
  if (init->negotiated && init->id < 0)
    return (invalid_argument (error, _("A negotiated channel needs an id")), NULL);
  if (init->id >= FERRY_SCTP_MAX_STREAMS)
    return (invalid_argument (error, _("The channel id is invalid")), NULL);
  if (init->max_retransmits >= 0 && init->max_packet_lifetime >= 0)
    return (invalid_argument (error, _("A channel limits retransmissions or lifetime, not both")), NULL);
  /* Not an argument error: the same id is fine once the channel using it has closed. */
  if (init->id >= 0 && lookup_channel (self, init->id) != NULL)
    return (invalid_state (error, _("The channel id is in use")), NULL);

  channel = _ferry_data_channel_new (label, init);
  track_channel (self, channel);

  if (init->id >= 0)
    g_hash_table_insert (self->channels, GUINT_TO_POINTER (init->id), g_object_ref (channel));
  else
    {
      g_ptr_array_add (self->unassigned, g_object_ref (channel));
      if (self->dtls != NULL)
        assign_ids (self);
    }

  /* Open from the main loop, as browsers do, so callers can connect to ::open first. */
  if (self->sctp != NULL && ferry_sctp_transport_get_state (self->sctp) == FERRY_SCTP_STATE_CONNECTED)
    ferry_source_attach (g_idle_source_new (), self->context, G_PRIORITY_DEFAULT,
                         G_SOURCE_FUNC (open_channels), g_object_ref (self), g_object_unref);

  return g_steal_pointer (&channel);
}

void
ferry_peer_connection_close (FerryPeerConnection *self)
{
  g_return_if_fail (FERRY_IS_PEER_CONNECTION (self));

  finish (self, NULL);
}

/* GObject */

static void
ferry_peer_connection_dispose (GObject *object)
{
  FerryPeerConnection *self = FERRY_PEER_CONNECTION (object);

  finish (self, NULL);

  G_OBJECT_CLASS (ferry_peer_connection_parent_class)->dispose (object);
}

static void
ferry_peer_connection_finalize (GObject *object)
{
  FerryPeerConnection *self = FERRY_PEER_CONNECTION (object);

  g_hash_table_unref (self->channels);
  g_ptr_array_unref (self->unassigned);
  g_clear_pointer (&self->early_candidates, g_ptr_array_unref);
  g_clear_pointer (&self->remote, ferry_sdp_free);
  g_clear_error (&self->error);
  g_clear_object (&self->certificate);
  ferry_rtc_config_unref (self->config);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ferry_peer_connection_parent_class)->finalize (object);
}

static void
ferry_peer_connection_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  FerryPeerConnection *self = FERRY_PEER_CONNECTION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ICE_STATE:
      g_value_set_enum (value, ferry_peer_connection_get_ice_state (self));
      break;
    case PROP_DTLS_STATE:
      g_value_set_enum (value, ferry_peer_connection_get_dtls_state (self));
      break;
    case PROP_SCTP_STATE:
      g_value_set_enum (value, ferry_peer_connection_get_sctp_state (self));
      break;
    case PROP_SELECTED_PAIR:
      g_value_take_string (value, ferry_peer_connection_describe_selected_pair (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_peer_connection_class_init (FerryPeerConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_peer_connection_dispose;
  object_class->finalize = ferry_peer_connection_finalize;
  object_class->get_property = ferry_peer_connection_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_PEER_CONNECTION_STATE,
                       FERRY_PEER_CONNECTION_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICE_STATE] =
    g_param_spec_enum ("ice-state", NULL, NULL, FERRY_TYPE_ICE_STATE,
                       FERRY_ICE_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DTLS_STATE] =
    g_param_spec_enum ("dtls-state", NULL, NULL, FERRY_TYPE_DTLS_STATE,
                       FERRY_DTLS_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCTP_STATE] =
    g_param_spec_enum ("sctp-state", NULL, NULL, FERRY_TYPE_SCTP_STATE,
                       FERRY_SCTP_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTED_PAIR] =
    g_param_spec_string ("selected-pair", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[DATA_CHANNEL] =
    g_signal_new ("data-channel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, FERRY_TYPE_DATA_CHANNEL);
  /**
   * FerryPeerConnection::local-candidate:
   * @candidate: (nullable): "candidate:…", or %NULL once gathering is done
   *
   * Only with the configuration's trickle flag.
   */
  signals[LOCAL_CANDIDATE] =
    g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ferry_peer_connection_init (FerryPeerConnection *self)
{
  self->channels = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->unassigned = g_ptr_array_new_with_free_func (g_object_unref);
}

FerryPeerConnection *
ferry_peer_connection_new (FerryRtcConfig  *config,
                           GError         **error)
{
  g_autoptr(FerryPeerConnection) self = NULL;
  gboolean have_turn = FALSE;

  g_return_val_if_fail (config != NULL, NULL);

  for (guint i = 0; i < config->ice_servers->len; i++)
    if (((FerryIceServer *) g_ptr_array_index (config->ice_servers, i))->kind == FERRY_ICE_SERVER_TURN)
      have_turn = TRUE;
  if (config->policy == FERRY_ICE_POLICY_RELAY && !have_turn)
    {
      g_set_error_literal (error, FERRY_PEER_CONNECTION_ERROR,
                           FERRY_PEER_CONNECTION_ERROR_CONFIGURATION,
                           _("Relay-only mode needs a TURN server"));
      return NULL;
    }

  self = g_object_new (FERRY_TYPE_PEER_CONNECTION, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->config = ferry_rtc_config_ref (config);
  if (config->certificate != NULL)
    self->certificate = g_object_ref (config->certificate);
  else if (!(self->certificate = ferry_certificate_generate (error)))
    return NULL;
  /* RFC 4566 wants a number that fits in 63 bits. */
  self->session_id = g_random_int () | ((guint64) (g_random_int () & 0x3fffffff) << 32);

  return g_steal_pointer (&self);
}

FerryPeerConnectionState
ferry_peer_connection_get_state (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FERRY_PEER_CONNECTION_CLOSED);

  return self->state;
}

const GError *
ferry_peer_connection_get_error (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);

  return self->error;
}

FerryIceState
ferry_peer_connection_get_ice_state (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FERRY_ICE_STATE_CLOSED);

  return self->ice ? ferry_ice_transport_get_state (self->ice) : FERRY_ICE_STATE_CLOSED;
}

FerryDtlsState
ferry_peer_connection_get_dtls_state (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FERRY_DTLS_STATE_CLOSED);

  return self->dtls ? ferry_dtls_transport_get_state (self->dtls) : FERRY_DTLS_STATE_CLOSED;
}

FerrySctpState
ferry_peer_connection_get_sctp_state (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FERRY_SCTP_STATE_CLOSED);

  return self->sctp ? ferry_sctp_transport_get_state (self->sctp) : FERRY_SCTP_STATE_CLOSED;
}

char *
ferry_peer_connection_describe_selected_pair (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);

  return self->ice ? ferry_ice_transport_describe_selected_pair (self->ice) : NULL;
}

const char *
ferry_peer_connection_get_local_candidate_type (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);

  return self->ice ? ferry_ice_transport_get_local_candidate_type (self->ice) : NULL;
}

const char *
ferry_peer_connection_get_remote_candidate_type (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);

  return self->ice ? ferry_ice_transport_get_remote_candidate_type (self->ice) : NULL;
}

const char *
ferry_peer_connection_get_dtls_cipher (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);

  return self->dtls ? ferry_dtls_transport_get_cipher (self->dtls) : NULL;
}

gboolean
ferry_peer_connection_is_dtls_client (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FALSE);

  return self->dtls_role == FERRY_DTLS_ROLE_CLIENT;
}

const guint8 *
ferry_peer_connection_get_local_fingerprint (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);

  return ferry_certificate_get_fingerprint_raw (self->certificate);
}

const guint8 *
ferry_peer_connection_get_remote_fingerprint (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), NULL);

  return self->dtls ? ferry_dtls_transport_get_remote_fingerprint (self->dtls) : NULL;
}

int
ferry_peer_connection_get_rtt_ms (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), -1);

  return self->sctp ? ferry_sctp_transport_get_rtt_ms (self->sctp) : -1;
}

guint
ferry_peer_connection_get_max_packet (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), 0);

  return self->sctp ? ferry_sctp_transport_get_max_packet (self->sctp) : 0;
}

gboolean
ferry_peer_connection_get_receive_offload (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), FALSE);

  return self->ice != NULL && ferry_ice_transport_get_receive_offload (self->ice);
}

guint64
ferry_peer_connection_get_max_message_size (FerryPeerConnection *self)
{
  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (self), 0);

  return self->sctp ? ferry_sctp_transport_get_max_send_size (self->sctp) : 0;
}
