/* ferry-session-pairing.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-pairing-code.h"
#include "ferry-session-private.h"

struct _FerrySessionPairing
{
  GObject       parent_instance;

  FerrySession *session;    /* %NULL once finished; the session outlives its pairings */
  guint         handle;
  gboolean      reader;
  gboolean      finished;
  char         *link;
  char         *reply_link;
  GError       *error;
};

G_DEFINE_FINAL_TYPE (FerrySessionPairing, ferry_session_pairing, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LINK,
  PROP_REPLY_LINK,
  PROP_READER,
  PROP_ERROR,
  PROP_FINISHED,
  N_PROPS
};

enum {
  FAILED,
  REPLY_REFUSED,
  CONNECTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
ferry_session_pairing_finalize (GObject *object)
{
  FerrySessionPairing *self = FERRY_SESSION_PAIRING (object);

  g_free (self->link);
  g_free (self->reply_link);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (ferry_session_pairing_parent_class)->finalize (object);
}

static void
ferry_session_pairing_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  FerrySessionPairing *self = FERRY_SESSION_PAIRING (object);

  switch (prop_id)
    {
    case PROP_LINK:
      g_value_set_string (value, self->link);
      break;
    case PROP_REPLY_LINK:
      g_value_set_string (value, self->reply_link);
      break;
    case PROP_READER:
      g_value_set_boolean (value, self->reader);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_FINISHED:
      g_value_set_boolean (value, self->finished);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_pairing_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  FerrySessionPairing *self = FERRY_SESSION_PAIRING (object);

  switch (prop_id)
    {
    case PROP_READER:
      self->reader = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_session_pairing_class_init (FerrySessionPairingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = ferry_session_pairing_finalize;
  object_class->get_property = ferry_session_pairing_get_property;
  object_class->set_property = ferry_session_pairing_set_property;

  properties[PROP_LINK] = g_param_spec_string ("link", NULL, NULL, NULL, flags);
  properties[PROP_REPLY_LINK] = g_param_spec_string ("reply-link", NULL, NULL, NULL, flags);
  properties[PROP_READER] = g_param_spec_boolean ("reader", NULL, NULL, FALSE,
                                                  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                  G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, flags);
  properties[PROP_FINISHED] = g_param_spec_boolean ("finished", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[REPLY_REFUSED] =
    g_signal_new ("reply-refused", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FERRY_TYPE_SESSION_ROOM);
}

static void
ferry_session_pairing_init (FerrySessionPairing *self)
{
}

/* Private: what the session drives */

FerrySessionPairing *
_ferry_session_pairing_new (FerrySession *session,
                            guint         handle,
                            gboolean      reader)
{
  FerrySessionPairing *self = g_object_new (FERRY_TYPE_SESSION_PAIRING, "reader", reader, NULL);

  self->session = session;
  self->handle = handle;
  return self;
}

guint
_ferry_session_pairing_get_handle (FerrySessionPairing *self)
{
  return self->handle;
}

static void
set_string (FerrySessionPairing  *self,
            char                **field,
            const char           *value,
            GParamSpec           *pspec)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
_ferry_session_pairing_set_link (FerrySessionPairing *self,
                                 const char          *link)
{
  set_string (self, &self->link, link, properties[PROP_LINK]);
}

void
_ferry_session_pairing_set_reply_link (FerrySessionPairing *self,
                                       const char          *link)
{
  set_string (self, &self->reply_link, link, properties[PROP_REPLY_LINK]);
}

static void
set_error (FerrySessionPairing *self,
           const GError        *error)
{
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

void
_ferry_session_pairing_refuse_reply (FerrySessionPairing *self,
                                     const GError        *error)
{
  set_error (self, error);
  g_signal_emit (self, signals[REPLY_REFUSED], 0, error);
}

/* Nothing more goes to the session nor comes from it. */
void
_ferry_session_pairing_detach (FerrySessionPairing *self)
{
  if (self->finished)
    return;
  self->session = NULL;
  self->finished = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED]);
}

void
_ferry_session_pairing_fail (FerrySessionPairing *self,
                             const GError        *error)
{
  g_autoptr(FerrySessionPairing) ref = g_object_ref (self);

  set_error (self, error);
  _ferry_session_pairing_detach (self);
  g_signal_emit (self, signals[FAILED], 0, error);
}

void
_ferry_session_pairing_connect (FerrySessionPairing *self,
                                FerrySessionRoom    *room)
{
  g_autoptr(FerrySessionPairing) ref = g_object_ref (self);

  _ferry_session_pairing_detach (self);
  g_signal_emit (self, signals[CONNECTED], 0, room);
}

/* Public */

const char *
ferry_session_pairing_get_link (FerrySessionPairing *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PAIRING (self), NULL);

  return self->link;
}

const char *
ferry_session_pairing_get_reply_link (FerrySessionPairing *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PAIRING (self), NULL);

  return self->reply_link;
}

gboolean
ferry_session_pairing_get_reader (FerrySessionPairing *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PAIRING (self), FALSE);

  return self->reader;
}

const GError *
ferry_session_pairing_get_error (FerrySessionPairing *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PAIRING (self), NULL);

  return self->error;
}

gboolean
ferry_session_pairing_get_finished (FerrySessionPairing *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION_PAIRING (self), TRUE);

  return self->finished;
}

gboolean
ferry_session_pairing_add_reply (FerrySessionPairing  *self,
                                 const char           *text,
                                 GError              **error)
{
  g_autoptr(FerryPairingCode) reply = NULL;

  g_return_val_if_fail (FERRY_IS_SESSION_PAIRING (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->reader)
    {
      g_set_error_literal (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_NOT_FOR_US,
                           _("Only the computer that made the pairing code takes a reply code"));
      return FALSE;
    }
  if (!(reply = ferry_pairing_code_parse (text, g_get_real_time () / G_USEC_PER_SEC, error)))
    return FALSE;
  if (!reply->reply)
    {
      g_set_error_literal (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_NOT_FOR_US,
                           _("This is a pairing code, not a reply code"));
      return FALSE;
    }
  if (self->session == NULL)
    {
      g_set_error_literal (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_EXPIRED,
                           _("This pairing is over; make a new code"));
      return FALSE;
    }
  _ferry_session_add_pairing_reply (self->session, self, text);
  return TRUE;
}

void
ferry_session_pairing_cancel (FerrySessionPairing *self)
{
  g_return_if_fail (FERRY_IS_SESSION_PAIRING (self));

  if (self->session != NULL)
    _ferry_session_cancel_pairing (self->session, self);
}
