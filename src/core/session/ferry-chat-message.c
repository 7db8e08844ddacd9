/* ferry-chat-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ferry-session-private.h"

struct _FerryChatMessage
{
  GObject    parent_instance;

  char      *peer_name;
  char      *text;
  GDateTime *time;
  gboolean   outgoing;
  gboolean   delivered;
  char      *id;
};

G_DEFINE_FINAL_TYPE (FerryChatMessage, ferry_chat_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PEER_NAME,
  PROP_TEXT,
  PROP_TIME,
  PROP_OUTGOING,
  PROP_DELIVERED,
  PROP_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ferry_chat_message_finalize (GObject *object)
{
  FerryChatMessage *self = FERRY_CHAT_MESSAGE (object);

  g_free (self->peer_name);
  g_free (self->text);
  g_date_time_unref (self->time);
  g_free (self->id);

  G_OBJECT_CLASS (ferry_chat_message_parent_class)->finalize (object);
}

static void
ferry_chat_message_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  FerryChatMessage *self = FERRY_CHAT_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_PEER_NAME:
      g_value_set_string (value, self->peer_name);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_TIME:
      g_value_set_boxed (value, self->time);
      break;
    case PROP_OUTGOING:
      g_value_set_boolean (value, self->outgoing);
      break;
    case PROP_DELIVERED:
      g_value_set_boolean (value, self->delivered);
      break;
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_chat_message_class_init (FerryChatMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ferry_chat_message_finalize;
  object_class->get_property = ferry_chat_message_get_property;

  properties[PROP_PEER_NAME] = g_param_spec_string ("peer-name", NULL, NULL, NULL, flags);
  properties[PROP_TEXT] = g_param_spec_string ("text", NULL, NULL, NULL, flags);
  properties[PROP_TIME] = g_param_spec_boxed ("time", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_OUTGOING] = g_param_spec_boolean ("outgoing", NULL, NULL, FALSE, flags);
  properties[PROP_DELIVERED] = g_param_spec_boolean ("delivered", NULL, NULL, FALSE, flags);
  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_chat_message_init (FerryChatMessage *self)
{
}

FerryChatMessage *
_ferry_chat_message_new (const char *peer_name,
                         const char *text,
                         const char *id,
                         gint64      time,
                         gboolean    outgoing)
{
  FerryChatMessage *self = g_object_new (FERRY_TYPE_CHAT_MESSAGE, NULL);
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_local (time / 1000);

  self->peer_name = g_strdup (peer_name);
  self->text = g_strdup (text);
  self->id = g_strdup (id);
  self->outgoing = outgoing;
  /* The author's clock can say anything, even a year GDateTime cannot hold: then the message
   * shows when it arrived. */
  if (seconds != NULL)
    self->time = g_date_time_add (seconds, (time % 1000) * 1000);
  if (self->time == NULL)
    self->time = g_date_time_new_now_local ();
  return self;
}

void
_ferry_chat_message_set_delivered (FerryChatMessage *self)
{
  g_return_if_fail (FERRY_IS_CHAT_MESSAGE (self));

  if (self->delivered)
    return;
  self->delivered = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELIVERED]);
}

const char *
ferry_chat_message_get_peer_name (FerryChatMessage *self)
{
  g_return_val_if_fail (FERRY_IS_CHAT_MESSAGE (self), NULL);

  return self->peer_name;
}

const char *
ferry_chat_message_get_text (FerryChatMessage *self)
{
  g_return_val_if_fail (FERRY_IS_CHAT_MESSAGE (self), NULL);

  return self->text;
}

GDateTime *
ferry_chat_message_get_time (FerryChatMessage *self)
{
  g_return_val_if_fail (FERRY_IS_CHAT_MESSAGE (self), NULL);

  return self->time;
}

gboolean
ferry_chat_message_get_outgoing (FerryChatMessage *self)
{
  g_return_val_if_fail (FERRY_IS_CHAT_MESSAGE (self), FALSE);

  return self->outgoing;
}

gboolean
ferry_chat_message_get_delivered (FerryChatMessage *self)
{
  g_return_val_if_fail (FERRY_IS_CHAT_MESSAGE (self), FALSE);

  return self->delivered;
}

const char *
ferry_chat_message_get_id (FerryChatMessage *self)
{
  g_return_val_if_fail (FERRY_IS_CHAT_MESSAGE (self), NULL);

  return self->id;
}
