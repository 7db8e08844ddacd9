/* ferry-peer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-hello.h"
#include "ferry-p2pt-codec.h"
#include "ferry-webdrop.h"
#include "ferry-peer-message.h"
#include "ferry-peer-private.h"
#include "ferry-room-enums.h"

typedef struct {
  FerryPeer           *peer;
  FerryPeerConnection *pc;
  FerryDataChannel    *channel;
  gboolean             we_offered;
  gboolean             accepted;     /* open, and verified in a secret room */
  gboolean             hello;        /* the peer's hello arrived on it */
  gboolean             spoke;        /* the peer sent something on it */
} Connection;

struct _FerryPeer
{
  GObject        parent_instance;

  char          *id;
  char          *local_id;
  FerryIdentity *identity;
  guint8         auth_key[FERRY_AUTH_KEY_LEN];
  gboolean       secret;
  char          *local_name;

  char          *display_name;
  FerryPeerKind  kind;
  GStrv          caps;          /* from the latest hello */
  /* One for all connections: P2PT reassembles, and waits for replies, per peer. */
  FerryP2ptCodec *codec;
  gboolean       verified;
  gboolean       connected;
  /* Of the selected pair of usable_connection (), as last notified. */
  FerryIceCandidateType local_candidate_type;
  FerryIceCandidateType remote_candidate_type;
  GPtrArray     *connections;   /* Connection */
  gboolean       closed;

  /* In a WebDrop room (docs/INTEROP.md, "WebDrop"). */
  gboolean       webdrop;
  guint          webdrop_messages;  /* how many chat messages we wrote in the room */
  gboolean       webdrop_asked;     /* getMsgs sent: the history is asked for once */
};

G_DEFINE_FINAL_TYPE (FerryPeer, ferry_peer, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-peer-error-quark, ferry_peer_error)

enum {
  PROP_0,
  PROP_ID,
  PROP_DISPLAY_NAME,
  PROP_KIND,
  PROP_VERIFIED,
  PROP_CONNECTED,
  PROP_LOCAL_CANDIDATE_TYPE,
  PROP_REMOTE_CANDIDATE_TYPE,
  N_PROPS
};

enum {
  MESSAGE,
  CHAT_MESSAGE,
  PEER_MESSAGE,
  HISTORY_MESSAGE,
  WEBDROP_MESSAGE,
  DATA_CHANNEL,
  ERROR,
  CLOSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void remove_connection (FerryPeer *self, Connection *c);
static void emit_chat (FerryPeer *self, const char *text, const char *id, gint64 time);
static void close_duplicates (FerryPeer *self, Connection *c);
static Connection *usable_connection (FerryPeer *self);

static void
emit_error (FerryPeer  *self,
            int         code,
            const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (FERRY_PEER_ERROR, code, message);

  g_debug ("Peer %.8s: %s", self->id, message);
  g_signal_emit (self, signals[ERROR], 0, error);
}

static void
update_connected (FerryPeer *self)
{
  gboolean connected = FALSE;

  for (guint i = 0; i < self->connections->len; i++)
    connected |= ((Connection *) g_ptr_array_index (self->connections, i))->accepted;

  if (connected != self->connected)
    {
      self->connected = connected;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
    }
}

static FerryIceCandidateType
candidate_type_from_name (const char *name)
{
  if (g_strcmp0 (name, "host") == 0)
    return FERRY_ICE_CANDIDATE_TYPE_HOST;
  if (g_strcmp0 (name, "srflx") == 0)
    return FERRY_ICE_CANDIDATE_TYPE_SRFLX;
  if (g_strcmp0 (name, "prflx") == 0)
    return FERRY_ICE_CANDIDATE_TYPE_PRFLX;
  if (g_strcmp0 (name, "relay") == 0)
    return FERRY_ICE_CANDIDATE_TYPE_RELAY;
  return FERRY_ICE_CANDIDATE_TYPE_NONE;
}

/* After the selected pair, or the connection the peer is reached by, may have changed. */
static void
update_candidate_types (FerryPeer *self)
{
  Connection *c = usable_connection (self);
  FerryIceCandidateType local = FERRY_ICE_CANDIDATE_TYPE_NONE;
  FerryIceCandidateType remote = FERRY_ICE_CANDIDATE_TYPE_NONE;

  if (c != NULL)
    {
      local = candidate_type_from_name (ferry_peer_connection_get_local_candidate_type (c->pc));
      remote = candidate_type_from_name (ferry_peer_connection_get_remote_candidate_type (c->pc));
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (local != self->local_candidate_type)
    {
      self->local_candidate_type = local;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_CANDIDATE_TYPE]);
    }
  if (remote != self->remote_candidate_type)
    {
      self->remote_candidate_type = remote;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_CANDIDATE_TYPE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_kind (FerryPeer     *self,
          FerryPeerKind  kind)
{
  if (self->kind == kind)
    return;
  self->kind = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

static gboolean
send_envelope (FerryPeer   *self,
               Connection  *c,
               const char  *payload,
               gboolean     is_object,
               GError     **error)
{
  g_autoptr(GPtrArray) chunks = ferry_p2pt_codec_encode (self->codec, NULL, payload, is_object);

  for (guint i = 0; i < chunks->len; i++)
    if (!ferry_data_channel_send_text (c->channel, g_ptr_array_index (chunks, i), error))
      return FALSE;
  return TRUE;
}

/* WebDrop */

static gboolean
send_webdrop (FerryPeer                  *self,
              Connection                 *c,
              const FerryWebdropMessage  *message,
              GError                    **error)
{
  g_autofree char *json = ferry_webdrop_message_to_json (message);

  /* simple-peer-files writes its signals on the channel as they are, without P2PT's envelope. */
  if (message->type == FERRY_WEBDROP_MESSAGE_FILE_SIGNAL)
    return ferry_data_channel_send_text (c->channel, json, error);
  return send_envelope (self, c, json, TRUE, error);
}

/* WebDrop shows nothing a peer sends before its "init" has arrived, so it goes first. */
static void
send_webdrop_init (FerryPeer  *self,
                   Connection *c)
{
  g_autoptr(FerryWebdropMessage) init = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_INIT);
  g_autoptr(GError) error = NULL;

  init->name = g_strdup (self->local_name != NULL ? self->local_name : FERRY_WEBDROP_DEFAULT_NAME);
  init->color = ferry_webdrop_color_for (self->local_id);
  init->msgs_count = self->webdrop_messages;
  if (!send_webdrop (self, c, init, &error))
    g_debug ("Peer %.8s: could not send init: %s", self->id, error->message);
}

static void
handle_webdrop_object (FerryPeer  *self,
                       Connection *c,
                       const char *json,
                       gsize       len)
{
  g_autoptr(FerryWebdropMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  if (!(message = ferry_webdrop_message_parse (json, len, &error)))
    {
      g_debug ("Peer %.8s: %s", self->id, error->message);
      return;
    }

  switch (message->type)
    {
    case FERRY_WEBDROP_MESSAGE_INIT:
      /* Notified together: whoever reacts to one sees both. */
      g_object_freeze_notify (G_OBJECT (self));
      if (*message->name != '\0' && g_strcmp0 (message->name, self->display_name) != 0)
        {
          g_free (self->display_name);
          self->display_name = g_strdup (message->name);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
        }
      set_kind (self, FERRY_PEER_KIND_WEBDROP);
      g_object_thaw_notify (G_OBJECT (self));
      if (message->msgs_count > 0 && !self->webdrop_asked)
        {
          g_autoptr(FerryWebdropMessage) get = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_GET_MSGS);

          self->webdrop_asked = TRUE;
          if (!send_webdrop (self, c, get, &error))
            g_debug ("Peer %.8s: could not ask for the history: %s", self->id, error->message);
        }
      break;
    case FERRY_WEBDROP_MESSAGE_MSG:
      /* A message of the history it keeps carries its author and its place in that history. */
      if (message->id != NULL)
        {
          g_autoptr(FerryPeer) ref = g_object_ref (self);

          g_signal_emit (self, signals[HISTORY_MESSAGE], 0,
                         message->name != NULL && *message->name != '\0' ? message->name : self->display_name,
                         message->text, message->time);
        }
      else
        emit_chat (self, message->text, NULL, FERRY_PEER_MESSAGE_NO_TIME);
      break;
    default:
      g_signal_emit (self, signals[WEBDROP_MESSAGE], 0, message);
      break;
    }
}

/* Hello and authentication */

static void
send_hello (FerryPeer  *self,
            Connection *c)
{
  g_autoptr(FerryHello) hello = ferry_hello_new (self->local_name);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  if (self->secret)
    {
      const guint8 *remote = ferry_peer_connection_get_remote_fingerprint (c->pc);

      /* Over the fingerprints as we see them, never sorted: a man in the middle can neither
       * forge it nor reflect a peer's own MAC back to it (docs/PROTOCOL.md). */
      hello->has_mac = TRUE;
      ferry_hello_compute_mac (self->auth_key, ferry_identity_get_fingerprint (self->identity),
                               remote, hello->mac);
    }

  json = ferry_hello_to_json (hello);
  if (!send_envelope (self, c, json, TRUE, &error))
    g_debug ("Peer %.8s: could not send the hello: %s", self->id, error->message);
}

static void
accept_connection (FerryPeer  *self,
                   Connection *c)
{
  c->accepted = TRUE;
  /* Notified together, so that whoever reacts to "connected" already sees the pair. */
  g_object_freeze_notify (G_OBJECT (self));
  update_connected (self);
  update_candidate_types (self);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
refuse_connection (FerryPeer  *self,
                   Connection *c,
                   int         code,
                   const char *message)
{
  emit_error (self, code, message);
  ferry_peer_connection_close (c->pc);
}

static void
handle_hello (FerryPeer  *self,
              Connection *c,
              const char *json,
              gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryHello) hello = ferry_hello_parse (json, len, &error);

  if (hello == NULL)
    {
      if (self->secret)
        refuse_connection (self, c, FERRY_PEER_ERROR_PROTOCOL, error->message);
      return;
    }

  if (self->secret)
    {
      const guint8 *remote = ferry_peer_connection_get_remote_fingerprint (c->pc);
      guint8 expected[FERRY_SHA256_LEN];

      if (!hello->has_mac || remote == NULL)
        {
          refuse_connection (self, c, FERRY_PEER_ERROR_AUTHENTICATION,
                             _("A peer did not prove that it has the room link; the connection "
                               "may be intercepted"));
          return;
        }
      ferry_hello_compute_mac (self->auth_key, remote, ferry_identity_get_fingerprint (self->identity),
                               expected);
      if (!ferry_memequal_constant_time (expected, hello->mac, sizeof expected))
        {
          refuse_connection (self, c, FERRY_PEER_ERROR_AUTHENTICATION,
                             _("The connection to a peer failed authentication and may be "
                               "intercepted; it was closed"));
          return;
        }
      if (!self->verified)
        {
          self->verified = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERIFIED]);
        }
      accept_connection (self, c);
    }

  c->hello = TRUE;
  g_strfreev (self->caps);
  self->caps = g_steal_pointer (&hello->caps);
  /* The name first: whoever reacts to the peer becoming a Ferry peer (an offer of files, say)
   * already shows it by its name. */
  if (hello->name != NULL && *hello->name != '\0' && g_strcmp0 (hello->name, self->display_name) != 0)
    {
      g_free (self->display_name);
      self->display_name = g_strdup (hello->name);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
    }
  set_kind (self, FERRY_PEER_KIND_FERRY);
  close_duplicates (self, c);
}

/* Receiving */

static void
emit_chat (FerryPeer  *self,
           const char *text,
           const char *id,
           gint64      time)
{
  /* A handler may close the peer (the room leaving, say). */
  g_autoptr(FerryPeer) ref = g_object_ref (self);

  g_signal_emit (self, signals[CHAT_MESSAGE], 0, text, id, time);
  g_signal_emit (self, signals[MESSAGE], 0, text);
}

static void
handle_object (FerryPeer  *self,
               Connection *c,
               const char *json,
               gsize       len)
{
  g_autoptr(FerryPeerMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  if (ferry_hello_is_hello (json, len))
    {
      handle_hello (self, c, json, len);
      return;
    }

  /* Objects from plain P2PT apps are not for us, except WebDrop's in a WebDrop room. */
  if (self->kind != FERRY_PEER_KIND_FERRY)
    {
      if (self->webdrop)
        handle_webdrop_object (self, c, json, len);
      return;
    }

  if (!(message = ferry_peer_message_parse (json, len, &error)))
    {
      /* Unknown types come from newer Ferry versions: ignored. */
      if (!g_error_matches (error, FERRY_PEER_MESSAGE_ERROR, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE))
        g_debug ("Peer %.8s: %s", self->id, error->message);
      return;
    }

  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      emit_chat (self, message->chat.text, message->chat.id, message->chat.time);
      break;
    default:
      g_signal_emit (self, signals[PEER_MESSAGE], 0, message);
      break;
    }
}

static void
channel_message_cb (FerryDataChannel *channel,
                    GBytes           *data,
                    gboolean          is_text,
                    Connection       *c)
{
  FerryPeer *self = c->peer;
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  gboolean first = !c->spoke;
  gsize len;
  const char *bytes = g_bytes_get_data (data, &len);

  c->spoke = TRUE;
  if (!ferry_p2pt_codec_decode (self->codec, bytes ? bytes : "", len, &message, &error))
    {
      if (error != NULL)
        g_debug ("Peer %.8s: %s", self->id, error->message);
      return;
    }

  /* In a secret room nothing counts before the peer's MAC has verified, and the very first
   * message must be its hello. */
  if (self->secret && !c->accepted)
    {
      if (message->is_object && ferry_hello_is_hello (message->payload, message->payload_len))
        handle_hello (self, c, message->payload, message->payload_len);
      else
        refuse_connection (self, c, FERRY_PEER_ERROR_AUTHENTICATION,
                           _("A peer sent messages without proving that it has the room link"));
      return;
    }

  /* A peer that starts with anything but a hello is a plain P2PT peer; in a WebDrop room, one
   * that starts with an object is WebDrop, which says so with its init. */
  if (first && self->kind == FERRY_PEER_KIND_UNKNOWN && !(self->webdrop && message->is_object) &&
      !(message->is_object && ferry_hello_is_hello (message->payload, message->payload_len)))
    set_kind (self, FERRY_PEER_KIND_P2PT);

  if (message->is_object)
    {
      handle_object (self, c, message->payload, message->payload_len);
      return;
    }

  /* In a WebDrop room, what comes without P2PT's envelope is the signalling of a file's own
   * connection, never chat. */
  if (self->webdrop && !message->enveloped)
    {
      g_autoptr(FerryWebdropMessage) signal = ferry_webdrop_signal_parse (message->payload,
                                                                          message->payload_len, &error);

      if (signal != NULL)
        g_signal_emit (self, signals[WEBDROP_MESSAGE], 0, signal);
      else
        g_debug ("Peer %.8s: %s", self->id, error->message);
      return;
    }
  if (g_utf8_validate (message->payload, message->payload_len, NULL))
    emit_chat (self, message->payload, NULL, FERRY_PEER_MESSAGE_NO_TIME);
}

/* Connections */

static const char *
offerer_id (FerryPeer  *self,
            Connection *c)
{
  return c->we_offered ? self->local_id : self->id;
}

/* Of two connections between Ferry peers (both offered at once, or through two trackers), both
 * sides keep the same one: the one offered by the smaller peer id, then the smaller channel
 * label.  Only connections on which the hello arrived count, so that both sides decide with the
 * same facts.  A plain P2PT peer keeps all its connections, as P2PT itself does: closing the one
 * it uses before it has registered the new one makes it drop the peer. */
static gboolean
connection_wins (FerryPeer  *self,
                 Connection *a,
                 Connection *b)
{
  int order = strcmp (offerer_id (self, a), offerer_id (self, b));

  if (order == 0)
    order = strcmp (ferry_data_channel_get_label (a->channel), ferry_data_channel_get_label (b->channel));
  return order < 0;
}

static void
close_duplicates (FerryPeer  *self,
                  Connection *c)
{
  for (guint i = 0; i < self->connections->len; i++)
    {
      Connection *other = g_ptr_array_index (self->connections, i);

      if (other == c || !other->hello)
        continue;
      g_debug ("Peer %.8s: closing a duplicate connection", self->id);
      if (connection_wins (self, other, c))
        {
          ferry_peer_connection_close (c->pc);
          return;
        }
      ferry_peer_connection_close (other->pc);
      /* remove_connection () ran: the list changed. */
      i = -1;
    }
}

static void
channel_open_cb (FerryDataChannel *channel,
                 Connection       *c)
{
  send_hello (c->peer, c);
  if (c->peer->webdrop)
    send_webdrop_init (c->peer, c);
  if (!c->peer->secret)
    accept_connection (c->peer, c);
}

static void
channel_close_cb (FerryDataChannel *channel,
                  Connection       *c)
{
  /* A closed channel ends the connection: P2PT uses one channel per connection. */
  ferry_peer_connection_close (c->pc);
}

static void
attach_channel (Connection       *c,
                FerryDataChannel *channel)
{
  if (c->channel != NULL)
    {
      /* P2PT opens one channel; a Ferry peer opens one more per transfer, once it is accepted. */
      if (c->accepted && c->hello &&
          g_str_has_prefix (ferry_data_channel_get_label (channel), FERRY_PEER_TRANSFER_CHANNEL_PREFIX))
        g_signal_emit (c->peer, signals[DATA_CHANNEL], 0, channel);
      else
        ferry_data_channel_close (channel);
      return;
    }
  c->channel = g_object_ref (channel);
  g_signal_connect (channel, "open", G_CALLBACK (channel_open_cb), c);
  g_signal_connect (channel, "message", G_CALLBACK (channel_message_cb), c);
  g_signal_connect (channel, "close", G_CALLBACK (channel_close_cb), c);
  if (ferry_data_channel_get_state (channel) == FERRY_DATA_CHANNEL_OPEN)
    channel_open_cb (channel, c);
}

static void
data_channel_cb (FerryPeerConnection *pc,
                 FerryDataChannel    *channel,
                 Connection          *c)
{
  attach_channel (c, channel);
}

static void
pc_selected_pair_cb (FerryPeerConnection *pc,
                     GParamSpec          *pspec,
                     Connection          *c)
{
  update_candidate_types (c->peer);
}

static void
pc_state_cb (FerryPeerConnection *pc,
             GParamSpec          *pspec,
             Connection          *c)
{
  FerryPeer *self = c->peer;
  FerryPeerConnectionState state = ferry_peer_connection_get_state (pc);

  if (state == FERRY_PEER_CONNECTION_FAILED)
    {
      const GError *error = ferry_peer_connection_get_error (pc);
      g_signal_emit (self, signals[ERROR], 0, error);
    }
  if (state >= FERRY_PEER_CONNECTION_FAILED)
    remove_connection (self, c);
}

static void
connection_free (Connection *c)
{
  g_signal_handlers_disconnect_by_data (c->pc, c);
  if (c->channel != NULL)
    {
      g_signal_handlers_disconnect_by_data (c->channel, c);
      g_object_unref (c->channel);
    }
  ferry_peer_connection_close (c->pc);
  g_object_unref (c->pc);
  g_free (c);
}

static void
remove_connection (FerryPeer  *self,
                   Connection *c)
{
  g_object_ref (self);
  g_ptr_array_remove (self->connections, c);
  g_object_freeze_notify (G_OBJECT (self));
  update_connected (self);
  update_candidate_types (self);
  g_object_thaw_notify (G_OBJECT (self));
  if (self->connections->len == 0 && !self->closed)
    {
      self->closed = TRUE;
      g_signal_emit (self, signals[CLOSED], 0);
    }
  g_object_unref (self);
}

void
_ferry_peer_add_connection (FerryPeer           *self,
                            FerryPeerConnection *pc,
                            FerryDataChannel    *channel,
                            gboolean             we_offered)
{
  Connection *c;

  g_return_if_fail (FERRY_IS_PEER (self));
  g_return_if_fail (FERRY_IS_PEER_CONNECTION (pc));

  if (self->closed)
    {
      ferry_peer_connection_close (pc);
      return;
    }

  c = g_new0 (Connection, 1);
  c->peer = self;
  c->pc = g_object_ref (pc);
  c->we_offered = we_offered;
  g_ptr_array_add (self->connections, c);

  g_signal_connect (pc, "notify::state", G_CALLBACK (pc_state_cb), c);
  g_signal_connect (pc, "data-channel", G_CALLBACK (data_channel_cb), c);
  g_signal_connect (pc, "notify::selected-pair", G_CALLBACK (pc_selected_pair_cb), c);
  if (channel != NULL)
    attach_channel (c, channel);
}

void
_ferry_peer_close (FerryPeer *self)
{
  g_return_if_fail (FERRY_IS_PEER (self));

  g_object_ref (self);
  while (self->connections->len > 0)
    remove_connection (self, g_ptr_array_index (self->connections, self->connections->len - 1));
  g_object_unref (self);
}

/* GObject */

static void
ferry_peer_dispose (GObject *object)
{
  FerryPeer *self = FERRY_PEER (object);

  g_ptr_array_set_size (self->connections, 0);

  G_OBJECT_CLASS (ferry_peer_parent_class)->dispose (object);
}

static void
ferry_peer_finalize (GObject *object)
{
  FerryPeer *self = FERRY_PEER (object);

  ferry_memzero (self->auth_key, sizeof self->auth_key);
  g_ptr_array_unref (self->connections);
  g_clear_object (&self->codec);
  g_clear_object (&self->identity);
  g_free (self->id);
  g_free (self->local_id);
  g_free (self->local_name);
  g_free (self->display_name);
  g_strfreev (self->caps);

  G_OBJECT_CLASS (ferry_peer_parent_class)->finalize (object);
}

static void
ferry_peer_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  FerryPeer *self = FERRY_PEER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_VERIFIED:
      g_value_set_boolean (value, self->verified);
      break;
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    case PROP_LOCAL_CANDIDATE_TYPE:
      g_value_set_enum (value, self->local_candidate_type);
      break;
    case PROP_REMOTE_CANDIDATE_TYPE:
      g_value_set_enum (value, self->remote_candidate_type);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_peer_class_init (FerryPeerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_peer_dispose;
  object_class->finalize = ferry_peer_finalize;
  object_class->get_property = ferry_peer_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, FERRY_TYPE_PEER_KIND,
                       FERRY_PEER_KIND_UNKNOWN,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERIFIED] =
    g_param_spec_boolean ("verified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCAL_CANDIDATE_TYPE] =
    g_param_spec_enum ("local-candidate-type", NULL, NULL, FERRY_TYPE_ICE_CANDIDATE_TYPE,
                       FERRY_ICE_CANDIDATE_TYPE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE_CANDIDATE_TYPE] =
    g_param_spec_enum ("remote-candidate-type", NULL, NULL, FERRY_TYPE_ICE_CANDIDATE_TYPE,
                       FERRY_ICE_CANDIDATE_TYPE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[CHAT_MESSAGE] =
    g_signal_new ("chat-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64);
  signals[PEER_MESSAGE] =
    g_signal_new ("peer-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[HISTORY_MESSAGE] =
    g_signal_new ("history-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[WEBDROP_MESSAGE] =
    g_signal_new ("webdrop-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[DATA_CHANNEL] =
    g_signal_new ("data-channel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FERRY_TYPE_DATA_CHANNEL);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
ferry_peer_init (FerryPeer *self)
{
  self->connections = g_ptr_array_new_with_free_func ((GDestroyNotify) connection_free);
  self->codec = ferry_p2pt_codec_new ();
}

FerryPeer *
_ferry_peer_new (const char    *id,
                 const char    *local_id,
                 FerryIdentity *identity,
                 const guint8  *auth_key,
                 const char    *local_name)
{
  FerryPeer *self = g_object_new (FERRY_TYPE_PEER, NULL);

  self->id = g_strdup (id);
  self->local_id = g_strdup (local_id);
  self->identity = g_object_ref (identity);
  self->secret = auth_key != NULL;
  if (auth_key != NULL)
    memcpy (self->auth_key, auth_key, FERRY_AUTH_KEY_LEN);
  self->local_name = g_strdup (local_name);
  /* Until the peer says its name. */
  self->display_name = g_strdup_printf (_("Peer %.6s"), id);

  return self;
}

FerryPeer *
ferry_peer_new_direct (FerryPeerConnection *pc,
                       FerryDataChannel    *channel,
                       gboolean             we_offered,
                       FerryIdentity       *identity,
                       const guint8        *auth_key,
                       const char          *local_name)
{
  guint8 id[FERRY_PEER_ID_LEN], local_id[FERRY_PEER_ID_LEN];
  g_autofree char *id_hex = NULL;
  g_autofree char *local_id_hex = NULL;
  FerryPeer *self;

  g_return_val_if_fail (FERRY_IS_PEER_CONNECTION (pc), NULL);

  /* No tracker names either side: ids of our own, used only in logs and events. */
  ferry_peer_id_generate (id);
  ferry_peer_id_generate (local_id);
  id_hex = ferry_hex_encode (id, sizeof id);
  local_id_hex = ferry_hex_encode (local_id, sizeof local_id);
  self = _ferry_peer_new (id_hex, local_id_hex, identity, auth_key, local_name);
  _ferry_peer_add_connection (self, pc, channel, we_offered);
  return self;
}

const char *
ferry_peer_get_id (FerryPeer *self)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), NULL);

  return self->id;
}

const char *
ferry_peer_get_display_name (FerryPeer *self)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), NULL);

  return self->display_name;
}

FerryPeerKind
ferry_peer_get_kind (FerryPeer *self)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), FERRY_PEER_KIND_UNKNOWN);

  return self->kind;
}

gboolean
ferry_peer_get_verified (FerryPeer *self)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), FALSE);

  return self->verified;
}

gboolean
ferry_peer_get_connected (FerryPeer *self)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), FALSE);

  return self->connected;
}

guint
ferry_peer_get_n_connections (FerryPeer *self)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), 0);

  return self->connections->len;
}

gboolean
ferry_peer_get_selected_candidate_types (FerryPeer             *self,
                                         FerryIceCandidateType *local,
                                         FerryIceCandidateType *remote)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), FALSE);

  if (local != NULL)
    *local = self->local_candidate_type;
  if (remote != NULL)
    *remote = self->remote_candidate_type;
  return self->local_candidate_type != FERRY_ICE_CANDIDATE_TYPE_NONE &&
         self->remote_candidate_type != FERRY_ICE_CANDIDATE_TYPE_NONE;
}

static Connection *
usable_connection (FerryPeer *self)
{
  for (guint i = 0; i < self->connections->len; i++)
    {
      Connection *c = g_ptr_array_index (self->connections, i);

      if (c->accepted && c->channel != NULL &&
          ferry_data_channel_get_state (c->channel) == FERRY_DATA_CHANNEL_OPEN)
        return c;
    }
  return NULL;
}

int
ferry_peer_get_rtt_ms (FerryPeer *self)
{
  Connection *c;

  g_return_val_if_fail (FERRY_IS_PEER (self), -1);

  c = usable_connection (self);
  return c != NULL ? ferry_peer_connection_get_rtt_ms (c->pc) : -1;
}

char *
ferry_peer_get_verification_code (FerryPeer *self)
{
  Connection *c;
  const guint8 *remote;

  g_return_val_if_fail (FERRY_IS_PEER (self), NULL);

  if ((c = usable_connection (self)) == NULL ||
      (remote = ferry_peer_connection_get_remote_fingerprint (c->pc)) == NULL)
    return NULL;
  return ferry_identity_verification_code (ferry_identity_get_fingerprint (self->identity), remote);
}

gboolean
ferry_peer_send_chat (FerryPeer   *self,
                      const char  *text,
                      GError     **error)
{
  return ferry_peer_send_chat_full (self, text, NULL, FERRY_PEER_MESSAGE_NO_TIME, error);
}

gboolean
ferry_peer_send_chat_full (FerryPeer   *self,
                           const char  *text,
                           const char  *id,
                           gint64       time,
                           GError     **error)
{
  Connection *c;

  g_return_val_if_fail (FERRY_IS_PEER (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (id == NULL || ferry_peer_message_id_is_valid (id), FALSE);

  /* Both kinds of peer get text; FerryRoom reports a failure by its error, so set one. */
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error_literal (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_PROTOCOL,
                           _("The message is not valid UTF-8 text"));
      return FALSE;
    }
  if ((c = usable_connection (self)) == NULL)
    {
      g_set_error_literal (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_NOT_CONNECTED,
                           _("The peer is not connected"));
      return FALSE;
    }
  if (*text == '\0')
    return TRUE;

  /* Ferry peers get a typed object, with the id and time only if they acknowledge; plain P2PT
   * peers, and peers whose hello has not arrived yet, understand strings only. */
  if (self->kind == FERRY_PEER_KIND_FERRY)
    {
      gboolean marks = ferry_peer_has_capability (self, "chat-ack");
      g_autoptr(FerryPeerMessage) message =
        ferry_peer_message_new_chat_full (text, marks ? id : NULL,
                                          marks ? time : FERRY_PEER_MESSAGE_NO_TIME);
      g_autofree char *json = ferry_peer_message_to_json (message);

      return send_envelope (self, c, json, TRUE, error);
    }
  if (self->webdrop)
    {
      g_autoptr(FerryWebdropMessage) msg = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_MSG);

      msg->text = g_strdup (text);
      msg->time = ferry_webdrop_format_time (time != FERRY_PEER_MESSAGE_NO_TIME ? time
                                                                             : g_get_real_time () / 1000);
      return send_webdrop (self, c, msg, error);
    }

  return send_envelope (self, c, text, FALSE, error);
}

gboolean
ferry_peer_has_capability (FerryPeer  *self,
                           const char *capability)
{
  g_return_val_if_fail (FERRY_IS_PEER (self), FALSE);
  g_return_val_if_fail (capability != NULL, FALSE);

  return self->kind == FERRY_PEER_KIND_FERRY && self->caps != NULL &&
         g_strv_contains ((const char * const *) self->caps, capability);
}

const guint8 *
ferry_peer_get_fingerprint (FerryPeer *self)
{
  Connection *c;

  g_return_val_if_fail (FERRY_IS_PEER (self), NULL);

  if ((c = usable_connection (self)) == NULL)
    return NULL;
  return ferry_peer_connection_get_remote_fingerprint (c->pc);
}

gboolean
ferry_peer_send_message (FerryPeer               *self,
                         const FerryPeerMessage  *message,
                         GError                 **error)
{
  g_autofree char *json = NULL;
  Connection *c;

  g_return_val_if_fail (FERRY_IS_PEER (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if ((c = usable_connection (self)) == NULL || self->kind != FERRY_PEER_KIND_FERRY)
    {
      g_set_error_literal (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_NOT_CONNECTED,
                           _("The peer is not connected"));
      return FALSE;
    }
  json = ferry_peer_message_to_json (message);
  return send_envelope (self, c, json, TRUE, error);
}

FerryDataChannel *
ferry_peer_open_data_channel (FerryPeer   *self,
                              const char  *label,
                              GError     **error)
{
  Connection *c;

  g_return_val_if_fail (FERRY_IS_PEER (self), NULL);
  g_return_val_if_fail (g_str_has_prefix (label, FERRY_PEER_TRANSFER_CHANNEL_PREFIX), NULL);

  if ((c = usable_connection (self)) == NULL || self->kind != FERRY_PEER_KIND_FERRY)
    {
      g_set_error_literal (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_NOT_CONNECTED,
                           _("The peer is not connected"));
      return NULL;
    }
  return ferry_peer_connection_create_data_channel (c->pc, label, NULL, error);
}

void
_ferry_peer_set_webdrop (FerryPeer *self,
                         guint      own_messages)
{
  g_return_if_fail (FERRY_IS_PEER (self));

  self->webdrop = TRUE;
  self->webdrop_messages = own_messages;
}

gboolean
ferry_peer_send_webdrop (FerryPeer                  *self,
                         const FerryWebdropMessage  *message,
                         GError                    **error)
{
  Connection *c;

  g_return_val_if_fail (FERRY_IS_PEER (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (!self->webdrop || self->kind == FERRY_PEER_KIND_FERRY || (c = usable_connection (self)) == NULL)
    {
      g_set_error_literal (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_NOT_CONNECTED,
                           _("The peer is not connected"));
      return FALSE;
    }
  return send_webdrop (self, c, message, error);
}
