/* ferry-session-peer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ferry-room-enums.h"
#include "ferry-session-enums.h"
#include "ferry-session-private.h"

struct _FerrySessionPeer
{
  GObject               parent_instance;

  FerrySessionPeerInfo  info;
  FerryFriendTrust      trust;
};

G_DEFINE_FINAL_TYPE (FerrySessionPeer, ferry_session_peer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_DISPLAY_NAME,
  PROP_KIND,
  PROP_STATE,
  PROP_VERIFIED,
  PROP_VERIFICATION_CODE,
  PROP_FINGERPRINT,
  PROP_CAN_RECEIVE_FILES,
  PROP_LOCAL_CANDIDATE_TYPE,
  PROP_REMOTE_CANDIDATE_TYPE,
  PROP_RELAYED,
  PROP_TRUST,
  PROP_RTT_MS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
info_relayed (const FerrySessionPeerInfo *info)
{
  return info->local_candidate_type == FERRY_ICE_CANDIDATE_TYPE_RELAY ||
         info->remote_candidate_type == FERRY_ICE_CANDIDATE_TYPE_RELAY;
}

static void
clear_info (FerrySessionPeerInfo *info)
{
  g_clear_pointer (&info->id, g_free);
  g_clear_pointer (&info->display_name, g_free);
  g_clear_pointer (&info->verification_code, g_free);
  g_clear_pointer (&info->fingerprint, g_free);
}

void
_ferry_session_peer_info_free (FerrySessionPeerInfo *info)
{
  clear_info (info);
  g_free (info);
}

static void
ferry_session_peer_finalize (GObject *object)
{
  FerrySessionPeer *self = FERRY_SESSION_PEER (object);

  clear_info (&self->info);

  G_OBJECT_CLASS (ferry_session_peer_parent_class)->finalize (object);
}

static void
ferry_session_peer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerrySessionPeer *self = FERRY_SESSION_PEER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->info.id);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->info.display_name);
      break;
    case PROP_KIND:
      g_value_set_enum (value, self->info.kind);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->info.state);
      break;
    case PROP_VERIFIED:
      g_value_set_boolean (value, self->info.verified);
      break;
    case PROP_VERIFICATION_CODE:
      g_value_set_string (value, self->info.verification_code);
      break;
    case PROP_FINGERPRINT:
      g_value_set_string (value, self->info.fingerprint);
      break;
    case PROP_CAN_RECEIVE_FILES:
      g_value_set_boolean (value, self->info.can_receive_files);
      break;
    case PROP_LOCAL_CANDIDATE_TYPE:
      g_value_set_enum (value, self->info.local_candidate_type);
      break;
    case PROP_REMOTE_CANDIDATE_TYPE:
      g_value_set_enum (value, self->info.remote_candidate_type);
      break;
    case PROP_RELAYED:
      g_value_set_boolean (value, info_relayed (&self->info));
      break;
    case PROP_TRUST:
      g_value_set_enum (value, self->trust);
      break;
    case PROP_RTT_MS:
      g_value_set_int (value, self->info.rtt_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_peer_class_init (FerrySessionPeerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ferry_session_peer_finalize;
  object_class->get_property = ferry_session_peer_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, FERRY_TYPE_PEER_KIND,
                                             FERRY_PEER_KIND_UNKNOWN, flags);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_SESSION_PEER_STATE,
                                              FERRY_SESSION_PEER_CONNECTING, flags);
  properties[PROP_VERIFIED] = g_param_spec_boolean ("verified", NULL, NULL, FALSE, flags);
  properties[PROP_VERIFICATION_CODE] = g_param_spec_string ("verification-code", NULL, NULL, NULL,
                                                            flags);
  properties[PROP_FINGERPRINT] = g_param_spec_string ("fingerprint", NULL, NULL, NULL, flags);
  properties[PROP_CAN_RECEIVE_FILES] = g_param_spec_boolean ("can-receive-files", NULL, NULL,
                                                             FALSE, flags);
  properties[PROP_LOCAL_CANDIDATE_TYPE] =
    g_param_spec_enum ("local-candidate-type", NULL, NULL, FERRY_TYPE_ICE_CANDIDATE_TYPE,
                       FERRY_ICE_CANDIDATE_TYPE_NONE, flags);
  properties[PROP_REMOTE_CANDIDATE_TYPE] =
    g_param_spec_enum ("remote-candidate-type", NULL, NULL, FERRY_TYPE_ICE_CANDIDATE_TYPE,
                       FERRY_ICE_CANDIDATE_TYPE_NONE, flags);
  properties[PROP_RELAYED] = g_param_spec_boolean ("relayed", NULL, NULL, FALSE, flags);
  properties[PROP_RTT_MS] = g_param_spec_int ("rtt-ms", NULL, NULL, -1, G_MAXINT, -1, flags);
  properties[PROP_TRUST] = g_param_spec_enum ("trust", NULL, NULL, FERRY_TYPE_FRIEND_TRUST,
                                              FERRY_FRIEND_TRUST_UNKNOWN, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_session_peer_init (FerrySessionPeer *self)
{
  self->info.rtt_ms = -1;
}

FerrySessionPeer *
_ferry_session_peer_new (const FerrySessionPeerInfo *info)
{
  FerrySessionPeer *self = g_object_new (FERRY_TYPE_SESSION_PEER, NULL);

  self->info.id = g_strdup (info->id);
  _ferry_session_peer_update (self, info);
  return self;
}

static void
update_string (FerrySessionPeer *self,
               char            **field,
               const char       *value,
               guint             prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
update_candidate_type (FerrySessionPeer      *self,
                       FerryIceCandidateType *field,
                       FerryIceCandidateType  value,
                       guint                  prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
update_boolean (FerrySessionPeer *self,
                gboolean         *field,
                gboolean          value,
                guint             prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_ferry_session_peer_update (FerrySessionPeer           *self,
                            const FerrySessionPeerInfo *info)
{
  gboolean relayed;

  g_return_if_fail (FERRY_IS_SESSION_PEER (self));
  g_return_if_fail (g_strcmp0 (self->info.id, info->id) == 0);

  /* One burst of notifications for one change seen on the network thread. */
  g_object_freeze_notify (G_OBJECT (self));
  update_string (self, &self->info.display_name, info->display_name, PROP_DISPLAY_NAME);
  if (self->info.kind != info->kind)
    {
      self->info.kind = info->kind;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
    }
  if (self->info.state != info->state)
    {
      self->info.state = info->state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  update_boolean (self, &self->info.verified, info->verified, PROP_VERIFIED);
  update_string (self, &self->info.verification_code, info->verification_code,
                 PROP_VERIFICATION_CODE);
  update_string (self, &self->info.fingerprint, info->fingerprint, PROP_FINGERPRINT);
  update_boolean (self, &self->info.can_receive_files, info->can_receive_files,
                  PROP_CAN_RECEIVE_FILES);
  relayed = info_relayed (&self->info);
  update_candidate_type (self, &self->info.local_candidate_type, info->local_candidate_type,
                         PROP_LOCAL_CANDIDATE_TYPE);
  update_candidate_type (self, &self->info.remote_candidate_type, info->remote_candidate_type,
                         PROP_REMOTE_CANDIDATE_TYPE);
  if (info_relayed (&self->info) != relayed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELAYED]);
  if (self->info.rtt_ms != info->rtt_ms)
    {
      self->info.rtt_ms = info->rtt_ms;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RTT_MS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
_ferry_session_peer_set_state (FerrySessionPeer      *self,
                               FerrySessionPeerState  state)
{
  g_return_if_fail (FERRY_IS_SESSION_PEER (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->info.state != state)
    {
      self->info.state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  /* A peer that is gone cannot receive anything, and has no connection. */
  if (state >= FERRY_SESSION_PEER_FAILED)
    {
      gboolean relayed = info_relayed (&self->info);

      update_boolean (self, &self->info.can_receive_files, FALSE, PROP_CAN_RECEIVE_FILES);
      update_candidate_type (self, &self->info.local_candidate_type,
                             FERRY_ICE_CANDIDATE_TYPE_NONE, PROP_LOCAL_CANDIDATE_TYPE);
      update_candidate_type (self, &self->info.remote_candidate_type,
                             FERRY_ICE_CANDIDATE_TYPE_NONE, PROP_REMOTE_CANDIDATE_TYPE);
      if (self->info.rtt_ms != -1)
        {
          self->info.rtt_ms = -1;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RTT_MS]);
        }
      if (relayed)
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELAYED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
ferry_session_peer_get_id (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), NULL);

  return self->info.id;
}

const char *
ferry_session_peer_get_display_name (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), NULL);

  return self->info.display_name;
}

FerryPeerKind
ferry_session_peer_get_kind (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FERRY_PEER_KIND_UNKNOWN);

  return self->info.kind;
}

FerrySessionPeerState
ferry_session_peer_get_state (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FERRY_SESSION_PEER_LEFT);

  return self->info.state;
}

gboolean
ferry_session_peer_get_verified (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FALSE);

  return self->info.verified;
}

const char *
ferry_session_peer_get_verification_code (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), NULL);

  return self->info.verification_code;
}

const char *
ferry_session_peer_get_fingerprint (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), NULL);

  return self->info.fingerprint;
}

gboolean
ferry_session_peer_get_can_receive_files (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FALSE);

  return self->info.can_receive_files;
}

FerryIceCandidateType
ferry_session_peer_get_local_candidate_type (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FERRY_ICE_CANDIDATE_TYPE_NONE);

  return self->info.local_candidate_type;
}

FerryIceCandidateType
ferry_session_peer_get_remote_candidate_type (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FERRY_ICE_CANDIDATE_TYPE_NONE);

  return self->info.remote_candidate_type;
}

gboolean
ferry_session_peer_get_relayed (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FALSE);

  return info_relayed (&self->info);
}

int
ferry_session_peer_get_rtt_ms (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), -1);

  return self->info.rtt_ms;
}

FerryFriendTrust
ferry_session_peer_get_trust (FerrySessionPeer *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PEER (self), FERRY_FRIEND_TRUST_UNKNOWN);

  return self->trust;
}

void
_ferry_session_peer_set_trust (FerrySessionPeer *self,
                               FerryFriendTrust  trust)
{
  g_return_if_fail (FERRY_IS_SESSION_PEER (self));

  if (self->trust == trust)
    return;
  self->trust = trust;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRUST]);
}
