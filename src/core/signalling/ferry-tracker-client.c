/* ferry-tracker-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "ferry-crypto.h"
#include "ferry-source.h"
#include "ferry-tracker-client.h"
#include "ferry-signalling-enums.h"
#include "ferry-text.h"
#include "ferry-tracker-message.h"

/* wt-tracker can refuse upgrades without an Origin; browsers always send one (docs/INTEROP.md,
 * "Origin and WebSocket extensions"). */
#define TRACKER_ORIGIN "https://ferryapp.github.io"
#define USER_AGENT "Ferry/" PACKAGE_VERSION
/* We echo the tracker's "tracker id" in every announce, which must stay under 16 KiB. */
#define MAX_TRACKER_ID 256
/* Tracker-supplied text shown to the user (failure reason, warning message). */
#define MAX_SHOWN_TEXT 200
/* The WebSocket handshake gets at least this long, even with short test ping periods. */
#define MIN_CONNECT_TIMEOUT_MS 10000
/* libsoup schedules keepalive pings with a seconds timer, which GLib may fire up to a second
 * late to group wake-ups: allow for it before declaring a connection dead. */
#define LIVENESS_SLACK_MS 1000

typedef struct {
  FerryTrackerClient *self;
  GBytes             *offer_id;
  GObject            *object;
  GSource            *timeout;
} PendingOffer;

struct _FerryTrackerClient
{
  GObject                  parent_instance;

  GMainContext            *context;
  SoupSession             *session;
  char                    *url;
  guint8                   info_hash[FERRY_BIN20_LEN];
  guint8                   peer_id[FERRY_BIN20_LEN];

  gboolean                 started;
  FerryTrackerState        state;
  char                    *failure_reason;
  guint                    interval;
  guint                    swarm_size;
  char                    *tracker_id;

  guint                    offer_timeout_ms;
  guint                    reconnect_min_ms;
  guint                    reconnect_max_ms;
  guint                    ping_interval_ms;
  guint                    max_interval_ms;
  guint                    min_interval_ms;

  GCancellable            *connect_cancellable;
  GSource                 *connect_timeout;
  SoupWebsocketConnection *conn;
  char                    *conn_error;      /* from the connection's ::error, for ::closed */
  gboolean                 heard;           /* the tracker sent something on this connection */
  guint                    liveness_ms;     /* silence that means the connection is dead */
  GSource                 *liveness;
  GSource                 *announce_timer;
  GSource                 *announce_idle;

  guint                    retries;
  GSource                 *reconnect_timer;

  GHashTable              *pending;         /* GBytes offer_id → PendingOffer */
};

G_DEFINE_FINAL_TYPE (FerryTrackerClient, ferry_tracker_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URL,
  PROP_STATE,
  PROP_FAILURE_REASON,
  PROP_INTERVAL,
  PROP_SWARM_SIZE,
  PROP_OFFER_TIMEOUT,
  PROP_RECONNECT_MIN,
  PROP_RECONNECT_MAX,
  PROP_PING_INTERVAL,
  PROP_MAX_INTERVAL,
  PROP_MIN_INTERVAL,
  N_PROPS
};

enum {
  ANNOUNCE_NEEDED,
  OFFER,
  ANSWER,
  OFFER_EXPIRED,
  WARNING,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void connect_now (FerryTrackerClient *self);

/* Offers */

FerryTrackerOffer *
ferry_tracker_offer_new (const char *sdp,
                         GObject    *object)
{
  FerryTrackerOffer *offer;

  g_return_val_if_fail (object == NULL || G_IS_OBJECT (object), NULL);

  offer = g_new0 (FerryTrackerOffer, 1);
  /* websocket-tracker.js: hex2bin (arr2hex (randomBytes (20))). */
  ferry_random_bytes (offer->offer_id, sizeof offer->offer_id);
  offer->sdp = g_strdup (sdp);
  offer->object = object != NULL ? g_object_ref (object) : NULL;
  return offer;
}

void
ferry_tracker_offer_free (FerryTrackerOffer *offer)
{
  if (offer == NULL)
    return;

  g_free (offer->sdp);
  g_clear_object (&offer->object);
  g_free (offer);
}

static void
pending_offer_free (gpointer data)
{
  PendingOffer *pending = data;

  if (pending->timeout != NULL)
    g_source_destroy (pending->timeout);
  g_bytes_unref (pending->offer_id);
  g_clear_object (&pending->object);
  g_free (pending);
}

/* Helpers */

static GSource *
attach_timeout (FerryTrackerClient *self,
                guint               ms,
                GSourceFunc         func,
                gpointer            data)
{
  return ferry_source_attach (g_timeout_source_new (ms), self->context, G_PRIORITY_DEFAULT, func,
                              data, NULL);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      *source = NULL;
    }
}

static void
set_state (FerryTrackerClient *self,
           FerryTrackerState   state)
{
  if (self->state == state)
    return;

  g_debug ("Tracker %s: state %s -> %s", self->url, ferry_enum_nick (FERRY_TYPE_TRACKER_STATE, self->state),
           ferry_enum_nick (FERRY_TYPE_TRACKER_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_failure_reason (FerryTrackerClient *self,
                    const char         *reason)
{
  if (g_strcmp0 (self->failure_reason, reason) == 0)
    return;

  g_free (self->failure_reason);
  self->failure_reason = g_strdup (reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURE_REASON]);
}

/* Tracker text is shown to the user: one line, bounded, no control characters; a control
 * character becomes a space so that "be\nnice" stays two words, and a cut shows. */
static char *
sanitize (const char *text)
{
  return ferry_text_sanitize_line (text, MAX_SHOWN_TEXT,
                                   FERRY_TEXT_LINE_SPACES | FERRY_TEXT_LINE_ELLIPSIS);
}

static void
emit_warning (FerryTrackerClient *self,
              const char         *format,
              ...) G_GNUC_PRINTF (2, 3);

static void
emit_warning (FerryTrackerClient *self,
              const char         *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_debug ("Tracker %s: %s", self->url, message);
  g_signal_emit (self, signals[WARNING], 0, message);
}

static guint
effective_interval_ms (FerryTrackerClient *self)
{
  guint64 ms = (guint64) self->interval * 1000;

  /* The ceiling wins over the floor when a test sets them the wrong way round. */
  ms = MAX (ms, self->min_interval_ms);
  ms = MIN (ms, self->max_interval_ms);
  return MAX (ms, 1);
}

/* Pending offers */

static void
expire_offer (FerryTrackerClient *self,
              GBytes             *offer_id)
{
  g_autoptr(GObject) object = NULL;
  PendingOffer *pending;

  if (!g_hash_table_steal_extended (self->pending, offer_id, NULL, (gpointer *) &pending))
    return;
  object = g_steal_pointer (&pending->object);
  pending_offer_free (pending);
  g_signal_emit (self, signals[OFFER_EXPIRED], 0, object);
}

static gboolean
offer_timeout_cb (gpointer user_data)
{
  PendingOffer *pending = user_data;
  g_autoptr(FerryTrackerClient) self = g_object_ref (pending->self);
  g_autoptr(GBytes) offer_id = g_bytes_ref (pending->offer_id);

  pending->timeout = NULL;
  expire_offer (self, offer_id);
  return G_SOURCE_REMOVE;
}

static void
unref_object (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

/* Offers are only good on the connection they were announced on (docs/INTEROP.md, "Offers and
 * answers"). */
static void
expire_all_offers (FerryTrackerClient *self)
{
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func (unref_object);
  GHashTableIter iter;
  PendingOffer *pending;

  /* Take them all out first: a handler may announce again or stop the client. */
  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &pending))
    {
      if (pending->object != NULL)
        g_ptr_array_add (objects, g_steal_pointer (&pending->object));
      else
        g_ptr_array_add (objects, NULL);
      g_hash_table_iter_steal (&iter);
      pending_offer_free (pending);
    }

  for (guint i = 0; i < objects->len; i++)
    g_signal_emit (self, signals[OFFER_EXPIRED], 0, g_ptr_array_index (objects, i));
}

/* Connection */

static void
closed_unref_cb (SoupWebsocketConnection *conn,
                 gpointer                 user_data)
{
  g_object_unref (conn);
}

/* Detaches the connection from us.  An open one is closed politely and kept alive until libsoup
 * has flushed what we queued (the "stopped" announce) and finished the close handshake:
 * disposing it earlier would cut the TCP connection at once. */
static void
release_connection (FerryTrackerClient *self,
                    gushort             code)
{
  SoupWebsocketConnection *conn = g_steal_pointer (&self->conn);

  g_clear_pointer (&self->conn_error, g_free);
  if (conn == NULL)
    return;

  g_signal_handlers_disconnect_by_data (conn, self);
  switch (soup_websocket_connection_get_state (conn))
    {
    case SOUP_WEBSOCKET_STATE_OPEN:
      g_signal_connect (conn, "closed", G_CALLBACK (closed_unref_cb), NULL);
      soup_websocket_connection_close (conn, code, NULL);
      break;
    case SOUP_WEBSOCKET_STATE_CLOSING:
      g_signal_connect (conn, "closed", G_CALLBACK (closed_unref_cb), NULL);
      break;
    case SOUP_WEBSOCKET_STATE_CLOSED:
    default:
      g_object_unref (conn);
      break;
    }
}

static void
clear_connection_timers (FerryTrackerClient *self)
{
  clear_source (&self->connect_timeout);
  clear_source (&self->liveness);
  clear_source (&self->announce_timer);
  clear_source (&self->announce_idle);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  FerryTrackerClient *self = user_data;

  self->reconnect_timer = NULL;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (FerryTrackerClient *self)
{
  guint64 base = MAX (self->reconnect_min_ms, 1);
  double delay;

  if (!self->started || self->state != FERRY_TRACKER_STATE_FAILED || self->reconnect_timer != NULL)
    return;

  for (guint i = 0; i < self->retries && base < self->reconnect_max_ms; i++)
    base *= 2;
  base = MIN (base, MAX (self->reconnect_max_ms, 1));
  /* ±50 %: clients that lost the same tracker at the same moment must not all come back at once. */
  delay = CLAMP (base * g_random_double_range (0.5, 1.5), 1, G_MAXUINT);
  self->retries = MIN (self->retries + 1, 63);

  g_debug ("Tracker %s: reconnecting in %.0f ms (attempt %u)", self->url, delay, self->retries);
  self->reconnect_timer = attach_timeout (self, (guint) delay, reconnect_cb, self);
}

/* The connection failed, closed or went silent: offers die with it, and we try again later. */
static void
connection_lost (FerryTrackerClient *self,
                 const char         *reason)
{
  /* Handlers of the signals below may drop the last reference. */
  g_object_ref (self);

  g_debug ("Tracker %s: connection lost: %s", self->url, reason);
  g_clear_object (&self->connect_cancellable);
  clear_connection_timers (self);
  release_connection (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  if (self->heard)
    self->retries = 0;
  self->heard = FALSE;

  set_failure_reason (self, reason);
  set_state (self, FERRY_TRACKER_STATE_FAILED);
  schedule_reconnect (self);
  expire_all_offers (self);
  g_object_unref (self);
}

static gboolean
liveness_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs liveness_funcs = {
  .dispatch = liveness_dispatch,
};

static gboolean
liveness_cb (gpointer user_data)
{
  FerryTrackerClient *self = user_data;
  guint seconds = (self->liveness_ms + 999) / 1000;
  g_autofree char *reason = NULL;

  self->liveness = NULL;
  reason = g_strdup_printf (ngettext ("The tracker did not answer for %u second",
                                      "The tracker did not answer for %u seconds", seconds),
                            seconds);
  connection_lost (self, reason);
  return G_SOURCE_REMOVE;
}

/* libsoup 3.2 pings but never gives up on a missing pong: any message or pong pushes the
 * deadline back, and reaching it means the connection is dead. */
static void
heard_from_tracker (FerryTrackerClient *self)
{
  self->heard = TRUE;
  if (self->liveness != NULL)
    g_source_set_ready_time (self->liveness,
                             g_get_monotonic_time () + (gint64) self->liveness_ms * 1000);
}

static void
start_liveness (FerryTrackerClient *self)
{
  guint keepalive_s;

  clear_source (&self->liveness);
  if (self->ping_interval_ms == 0)
    return;

  /* libsoup counts whole seconds; a shorter period (tests) is rounded up, and so is the
   * deadline, so that a pong cannot arrive just after it. */
  keepalive_s = (self->ping_interval_ms + 999) / 1000;
  soup_websocket_connection_set_keepalive_interval (self->conn, keepalive_s);
  self->liveness_ms = 2 * keepalive_s * 1000 + LIVENESS_SLACK_MS;

  self->liveness = g_source_new (&liveness_funcs, sizeof (GSource));
  g_source_set_callback (self->liveness, liveness_cb, self, NULL);
  g_source_set_ready_time (self->liveness,
                           g_get_monotonic_time () + (gint64) self->liveness_ms * 1000);
  g_source_attach (self->liveness, self->context);
  g_source_unref (self->liveness);
}

static gboolean
announce_timer_cb (gpointer user_data)
{
  FerryTrackerClient *self = user_data;

  g_signal_emit (self, signals[ANNOUNCE_NEEDED], 0);
  return G_SOURCE_CONTINUE;
}

static void
restart_announce_timer (FerryTrackerClient *self)
{
  clear_source (&self->announce_timer);
  self->announce_timer = attach_timeout (self, effective_interval_ms (self), announce_timer_cb,
                                         self);
}

static gboolean
announce_idle_cb (gpointer user_data)
{
  FerryTrackerClient *self = user_data;

  self->announce_idle = NULL;
  if (self->state == FERRY_TRACKER_STATE_CONNECTED)
    g_signal_emit (self, signals[ANNOUNCE_NEEDED], 0);
  return G_SOURCE_REMOVE;
}

static gboolean
send_text (FerryTrackerClient *self,
           const char         *text)
{
  if (self->conn == NULL ||
      soup_websocket_connection_get_state (self->conn) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  soup_websocket_connection_send_text (self->conn, text);
  return TRUE;
}

/* Incoming messages */

static void
tracker_failure (FerryTrackerClient *self,
                 const char         *failure)
{
  g_autofree char *shown = sanitize (failure);

  set_failure_reason (self, shown);
  emit_warning (self, _("The tracker refused the request: %s"), shown);
}

static void
handle_announce (FerryTrackerClient  *self,
                 FerryTrackerMessage *message)
{
  SoupWebsocketConnection *conn = self->conn;
  gint64 interval;

  /* As the browser client does (docs/INTEROP.md, "What we read and drop"): a message for another
   * swarm belongs to another user of a shared socket, and one with our own peer id is our own
   * offer coming back. */
  if (!message->has_info_hash ||
      memcmp (message->info_hash, self->info_hash, FERRY_BIN20_LEN) != 0)
    {
      g_debug ("Tracker %s: dropping a message for another info_hash", self->url);
      return;
    }
  if (message->has_peer_id && memcmp (message->peer_id, self->peer_id, FERRY_BIN20_LEN) == 0)
    return;

  /* As websocket-tracker.js: a failure stops there, a warning does not (docs/INTEROP.md,
   * "Failures and warnings").  Empty strings are falsy there, so they count as absent. */
  if (message->failure_reason != NULL && *message->failure_reason != '\0')
    {
      tracker_failure (self, message->failure_reason);
      return;
    }
  if (message->warning_message != NULL && *message->warning_message != '\0')
    {
      g_autofree char *shown = sanitize (message->warning_message);

      emit_warning (self, _("Tracker warning: %s"), shown);
      if (self->conn != conn)
        return;
    }

  interval = message->interval > 0 ? message->interval : message->min_interval;
  if (interval > 0)
    {
      if (self->interval != interval)
        {
          self->interval = interval;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL]);
          if (self->conn != conn)
            return;
        }
      /* Like setInterval() in the browser client: every response restarts the period. */
      restart_announce_timer (self);
    }

  if (message->tracker_id != NULL && *message->tracker_id != '\0')
    {
      if (strlen (message->tracker_id) <= MAX_TRACKER_ID)
        {
          g_free (self->tracker_id);
          self->tracker_id = g_strdup (message->tracker_id);
        }
      else
        g_debug ("Tracker %s: ignoring an oversized tracker id", self->url);
    }

  if (message->complete >= 0)
    {
      guint swarm = MIN (message->complete + MAX (message->incomplete, 0), G_MAXINT32);

      if (self->swarm_size != swarm)
        {
          self->swarm_size = swarm;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SWARM_SIZE]);
          if (self->conn != conn)
            return;
        }
    }

  if (message->offer_sdp != NULL && message->has_peer_id)
    {
      if (!message->has_offer_id)
        {
          emit_warning (self, _("The tracker relayed an offer without an offer id"));
        }
      else
        {
          g_autofree char *peer_hex = ferry_hex_encode (message->peer_id, FERRY_BIN20_LEN);
          g_autoptr(GBytes) offer_id = g_bytes_new (message->offer_id, FERRY_BIN20_LEN);

          g_signal_emit (self, signals[OFFER], 0, peer_hex, offer_id, message->offer_sdp);
        }
      if (self->conn != conn)
        return;
    }

  if (message->answer_sdp != NULL && message->has_peer_id && message->has_offer_id)
    {
      g_autoptr(GBytes) offer_id = g_bytes_new (message->offer_id, FERRY_BIN20_LEN);
      g_autoptr(GObject) object = NULL;
      PendingOffer *pending;

      if (g_hash_table_steal_extended (self->pending, offer_id, NULL, (gpointer *) &pending))
        {
          g_autofree char *peer_hex = ferry_hex_encode (message->peer_id, FERRY_BIN20_LEN);

          object = g_steal_pointer (&pending->object);
          pending_offer_free (pending);
          g_signal_emit (self, signals[ANSWER], 0, peer_hex, object, message->answer_sdp);
        }
      else
        {
          /* Expired, or announced on an earlier connection: the browser ignores it too. */
          g_debug ("Tracker %s: answer to an unknown offer", self->url);
        }
    }
}

static void
handle_message (FerryTrackerClient  *self,
                FerryTrackerMessage *message)
{
  switch (message->action)
    {
    case FERRY_TRACKER_ACTION_ANNOUNCE:
      handle_announce (self, message);
      break;

    case FERRY_TRACKER_ACTION_NONE:
      /* bittorrent-tracker and aquatic answer a request they cannot parse with a bare
       * {"failure reason": …} (docs/INTEROP.md, "Failures and warnings").  The browser client
       * resets its socket on it; we keep the connection, which a reconnect would not fix, and
       * report it. */
      if (message->failure_reason != NULL && *message->failure_reason != '\0')
        tracker_failure (self, message->failure_reason);
      else if (message->warning_message != NULL && *message->warning_message != '\0')
        {
          g_autofree char *shown = sanitize (message->warning_message);

          emit_warning (self, _("Tracker warning: %s"), shown);
        }
      else
        emit_warning (self, _("The tracker sent a message without an action"));
      break;

    case FERRY_TRACKER_ACTION_SCRAPE:
      /* We never scrape. */
      g_debug ("Tracker %s: ignoring a scrape response", self->url);
      break;

    case FERRY_TRACKER_ACTION_OTHER:
    default:
      emit_warning (self, _("The tracker sent a message with an unknown action"));
      break;
    }
}

static void
message_cb (SoupWebsocketConnection *conn,
            gint                     type,
            GBytes                  *bytes,
            FerryTrackerClient      *self)
{
  g_autoptr(FerryTrackerMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  heard_from_tracker (self);

  /* Text and binary frames alike: the browser client JSON.parses both (docs/INTEROP.md, "What
   * we read and drop"). */
  message = ferry_tracker_message_parse (data != NULL ? data : "", len, &error);

  /* Handlers may drop the last reference to us. */
  g_object_ref (self);
  if (message == NULL)
    emit_warning (self, _("The tracker sent an invalid message: %s"), error->message);
  else
    handle_message (self, message);
  g_object_unref (self);
}

static void
pong_cb (SoupWebsocketConnection *conn,
         GBytes                  *message,
         FerryTrackerClient      *self)
{
  heard_from_tracker (self);
}

static void
error_cb (SoupWebsocketConnection *conn,
          GError                  *error,
          FerryTrackerClient      *self)
{
  /* ::closed follows; keep the first cause. */
  if (self->conn_error == NULL)
    self->conn_error = g_strdup (error->message);
}

static void
closed_cb (SoupWebsocketConnection *conn,
           FerryTrackerClient      *self)
{
  g_autofree char *reason = NULL;
  gushort code = soup_websocket_connection_get_close_code (conn);
  const char *data = soup_websocket_connection_get_close_data (conn);

  if (self->conn_error != NULL)
    reason = g_strdup_printf (_("Connection to the tracker failed: %s"), self->conn_error);
  else if (code != 0 && data != NULL && *data != '\0')
    {
      g_autofree char *shown = sanitize (data);

      reason = g_strdup_printf (_("The tracker closed the connection (%u: %s)"), code, shown);
    }
  else if (code != 0)
    reason = g_strdup_printf (_("The tracker closed the connection (%u)"), code);
  else
    reason = g_strdup (_("The tracker closed the connection"));

  connection_lost (self, reason);
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn;
  FerryTrackerClient *self;
  GObjectClass *conn_class;

  conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  /* Cancelled by stop (), dispose or the handshake timeout: @user_data may be gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  g_clear_object (&self->connect_cancellable);
  clear_source (&self->connect_timeout);

  if (conn == NULL)
    {
      g_autofree char *reason = g_strdup_printf (_("Could not connect to the tracker: %s"),
                                                 error->message);
      connection_lost (self, reason);
      return;
    }

  self->conn = conn;
  self->heard = FALSE;
  soup_websocket_connection_set_max_incoming_payload_size (conn,
                                                           FERRY_TRACKER_MESSAGE_MAX_INCOMING);
  /* libsoup 3.2 bounds each frame but not a message made of many fragments; newer versions
   * (GNOME runtime) have a property for the whole message. */
  conn_class = G_OBJECT_GET_CLASS (conn);
  if (g_object_class_find_property (conn_class, "max-total-message-size") != NULL)
    g_object_set (conn, "max-total-message-size", (guint64) FERRY_TRACKER_MESSAGE_MAX_INCOMING,
                  NULL);

  g_signal_connect (conn, "message", G_CALLBACK (message_cb), self);
  g_signal_connect (conn, "pong", G_CALLBACK (pong_cb), self);
  g_signal_connect (conn, "error", G_CALLBACK (error_cb), self);
  g_signal_connect (conn, "closed", G_CALLBACK (closed_cb), self);

  start_liveness (self);
  restart_announce_timer (self);
  set_state (self, FERRY_TRACKER_STATE_CONNECTED);
  if (self->state == FERRY_TRACKER_STATE_CONNECTED)
    g_signal_emit (self, signals[ANNOUNCE_NEEDED], 0);
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  FerryTrackerClient *self = user_data;
  g_autofree char *reason = NULL;

  self->connect_timeout = NULL;
  g_cancellable_cancel (self->connect_cancellable);
  reason = g_strdup_printf (_("Could not connect to the tracker: %s"), _("timed out"));
  connection_lost (self, reason);
  return G_SOURCE_REMOVE;
}

static void
connect_now (FerryTrackerClient *self)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, self->url);
  GMainContext *current = g_main_context_ref_thread_default ();
  gboolean push = current != self->context;

  g_main_context_unref (current);
  g_return_if_fail (msg != NULL);

  clear_source (&self->reconnect_timer);
  self->connect_cancellable = g_cancellable_new ();
  self->connect_timeout = attach_timeout (self,
                                          MAX (2 * self->ping_interval_ms, MIN_CONNECT_TIMEOUT_MS),
                                          connect_timeout_cb, self);
  set_state (self, FERRY_TRACKER_STATE_CONNECTING);

  /* libsoup runs the handshake on the thread-default context of the call; make that ours even
   * when a timer of ours fires while another context is pushed. */
  if (push)
    g_main_context_push_thread_default (self->context);
  soup_session_websocket_connect_async (self->session, msg, TRACKER_ORIGIN, NULL,
                                        G_PRIORITY_DEFAULT, self->connect_cancellable,
                                        connect_cb, self);
  if (push)
    g_main_context_pop_thread_default (self->context);
}

static gboolean
url_is_valid (const char  *url,
              char       **reason)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  const char *scheme;

  if (url == NULL || !(uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &error)))
    {
      *reason = g_strdup_printf (_("Invalid tracker address: %s"),
                                 error != NULL ? error->message : _("none given"));
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  if ((g_ascii_strcasecmp (scheme, "ws") != 0 && g_ascii_strcasecmp (scheme, "wss") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      *reason = g_strdup_printf (_("Invalid tracker address: %s"),
                                 _("a WebSocket tracker address starts with ws:// or wss://"));
      return FALSE;
    }
  return TRUE;
}

/* Public API */

void
ferry_tracker_client_start (FerryTrackerClient *self)
{
  g_autofree char *reason = NULL;

  g_return_if_fail (FERRY_IS_TRACKER_CLIENT (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->retries = 0;

  if (!url_is_valid (self->url, &reason))
    {
      set_failure_reason (self, reason);
      set_state (self, FERRY_TRACKER_STATE_FAILED);
      emit_warning (self, "%s", reason);
      return;
    }
  connect_now (self);
}

/* Everything stop () does.  Dispose calls it @quietly: without signals and notifications, as
 * nobody is listening any more. */
static void
shut_down (FerryTrackerClient *self,
           gboolean            quietly)
{
  self->started = FALSE;
  if (self->connect_cancellable != NULL)
    {
      g_cancellable_cancel (self->connect_cancellable);
      g_clear_object (&self->connect_cancellable);
    }
  clear_connection_timers (self);
  clear_source (&self->reconnect_timer);

  if (self->state == FERRY_TRACKER_STATE_CONNECTED)
    {
      g_autofree char *stopped = ferry_tracker_message_build_stopped (self->info_hash,
                                                                      self->peer_id,
                                                                      self->tracker_id);
      /* Queued ahead of the close frame, so the tracker gets it. */
      send_text (self, stopped);
    }
  release_connection (self, SOUP_WEBSOCKET_CLOSE_NORMAL);
  self->heard = FALSE;
  self->retries = 0;

  if (quietly)
    {
      self->state = FERRY_TRACKER_STATE_DISCONNECTED;
      g_hash_table_remove_all (self->pending);
    }
  else
    {
      set_state (self, FERRY_TRACKER_STATE_DISCONNECTED);
      expire_all_offers (self);
    }
}

void
ferry_tracker_client_stop (FerryTrackerClient *self)
{
  g_autoptr(FerryTrackerClient) hold = NULL;

  g_return_if_fail (FERRY_IS_TRACKER_CLIENT (self));

  /* Handlers of ::offer-expired may drop the last reference. */
  hold = g_object_ref (self);
  shut_down (self, FALSE);
}

void
ferry_tracker_client_request_announce (FerryTrackerClient *self)
{
  g_return_if_fail (FERRY_IS_TRACKER_CLIENT (self));

  /* Not connected: connecting emits ::announce-needed anyway.  From an idle, so that a caller's
   * own signal handler is never re-entered, and several requests make one announce. */
  if (self->state != FERRY_TRACKER_STATE_CONNECTED || self->announce_idle != NULL)
    return;

  self->announce_idle = ferry_source_attach (g_idle_source_new (), self->context, G_PRIORITY_DEFAULT,
                                             announce_idle_cb, self, NULL);
}

guint
ferry_tracker_client_announce (FerryTrackerClient *self,
                               GPtrArray          *offers)
{
  FerryTrackerMessageOffer wire[FERRY_TRACKER_MAX_OFFERS];
  g_autofree char *text = NULL;
  gsize text_len;
  guint n;

  g_return_val_if_fail (FERRY_IS_TRACKER_CLIENT (self), 0);

  if (self->state != FERRY_TRACKER_STATE_CONNECTED || self->conn == NULL)
    return 0;

  n = offers != NULL ? MIN (offers->len, FERRY_TRACKER_MAX_OFFERS) : 0;
  for (guint i = 0; i < n; i++)
    {
      FerryTrackerOffer *offer = g_ptr_array_index (offers, i);

      g_return_val_if_fail (offer != NULL && offer->sdp != NULL, 0);
      g_return_val_if_fail (g_utf8_validate (offer->sdp, -1, NULL), 0);
      memcpy (wire[i].offer_id, offer->offer_id, FERRY_BIN20_LEN);
      wire[i].sdp = offer->sdp;
    }

  /* One frame of at most 16 KiB (aquatic; libsoup 3.2 does not fragment): drop offers from the
   * end until it fits.  Five typical offers take about 11 KiB (docs/INTEROP.md, "Size limits and
   * libsoup 3.2"). */
  for (;;)
    {
      text = ferry_tracker_message_build_announce (self->info_hash, self->peer_id,
                                                   self->tracker_id, wire, n);
      text_len = strlen (text);
      if (text_len <= FERRY_TRACKER_MAX_MESSAGE || n == 0)
        break;
      g_clear_pointer (&text, g_free);
      n--;
    }
  if (text_len > FERRY_TRACKER_MAX_MESSAGE)
    {
      /* Only a huge tracker id could do this, and MAX_TRACKER_ID prevents it. */
      g_warn_if_reached ();
      return 0;
    }

  g_debug ("Tracker %s: announcing %u offers in %" G_GSIZE_FORMAT " bytes", self->url, n, text_len);
  if (!send_text (self, text))
    return 0;

  for (guint i = 0; i < n; i++)
    {
      FerryTrackerOffer *offer = g_ptr_array_index (offers, i);
      g_autoptr(GBytes) offer_id = g_bytes_new (offer->offer_id, FERRY_BIN20_LEN);
      PendingOffer *pending;

      /* The same id twice (a caller's bug, or 2⁻¹⁶⁰ bad luck): the older offer is lost. */
      if (g_hash_table_contains (self->pending, offer_id))
        expire_offer (self, offer_id);

      pending = g_new0 (PendingOffer, 1);
      pending->self = self;
      pending->offer_id = g_bytes_ref (offer_id);
      pending->object = offer->object != NULL ? g_object_ref (offer->object) : NULL;
      pending->timeout = attach_timeout (self, MAX (self->offer_timeout_ms, 1), offer_timeout_cb,
                                         pending);
      g_hash_table_insert (self->pending, pending->offer_id, pending);
    }
  return n;
}

gboolean
ferry_tracker_client_send_answer (FerryTrackerClient *self,
                                  const guint8        to_peer_id[FERRY_BIN20_LEN],
                                  GBytes             *offer_id,
                                  const char         *sdp)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (FERRY_IS_TRACKER_CLIENT (self), FALSE);
  g_return_val_if_fail (to_peer_id != NULL, FALSE);
  g_return_val_if_fail (offer_id != NULL && g_bytes_get_size (offer_id) == FERRY_BIN20_LEN, FALSE);
  g_return_val_if_fail (sdp != NULL && g_utf8_validate (sdp, -1, NULL), FALSE);

  if (self->state != FERRY_TRACKER_STATE_CONNECTED)
    return FALSE;

  text = ferry_tracker_message_build_answer (self->info_hash, self->peer_id, to_peer_id,
                                             g_bytes_get_data (offer_id, NULL), sdp,
                                             self->tracker_id);
  if (strlen (text) > FERRY_TRACKER_MAX_MESSAGE)
    {
      emit_warning (self, _("An answer is too large to send through the tracker"));
      return FALSE;
    }
  return send_text (self, text);
}

FerryTrackerState
ferry_tracker_client_get_state (FerryTrackerClient *self)
{
  g_return_val_if_fail (FERRY_IS_TRACKER_CLIENT (self), FERRY_TRACKER_STATE_DISCONNECTED);

  return self->state;
}

const char *
ferry_tracker_client_get_url (FerryTrackerClient *self)
{
  g_return_val_if_fail (FERRY_IS_TRACKER_CLIENT (self), NULL);

  return self->url;
}

const char *
ferry_tracker_client_get_failure_reason (FerryTrackerClient *self)
{
  g_return_val_if_fail (FERRY_IS_TRACKER_CLIENT (self), NULL);

  return self->failure_reason;
}

FerryTrackerClient *
ferry_tracker_client_new (const char   *url,
                          const guint8  info_hash[FERRY_BIN20_LEN],
                          const guint8  peer_id[FERRY_BIN20_LEN])
{
  FerryTrackerClient *self;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (info_hash != NULL && peer_id != NULL, NULL);

  self = g_object_new (FERRY_TYPE_TRACKER_CLIENT, "url", url, NULL);
  memcpy (self->info_hash, info_hash, FERRY_BIN20_LEN);
  memcpy (self->peer_id, peer_id, FERRY_BIN20_LEN);
  return self;
}

/* GObject */

static void
ferry_tracker_client_dispose (GObject *object)
{
  FerryTrackerClient *self = FERRY_TRACKER_CLIENT (object);

  shut_down (self, TRUE);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_tracker_client_parent_class)->dispose (object);
}

static void
ferry_tracker_client_finalize (GObject *object)
{
  FerryTrackerClient *self = FERRY_TRACKER_CLIENT (object);

  g_hash_table_unref (self->pending);
  g_free (self->url);
  g_free (self->failure_reason);
  g_free (self->tracker_id);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ferry_tracker_client_parent_class)->finalize (object);
}

static guint *
timer_field (FerryTrackerClient *self,
             guint               prop_id)
{
  switch (prop_id)
    {
    case PROP_OFFER_TIMEOUT: return &self->offer_timeout_ms;
    case PROP_RECONNECT_MIN: return &self->reconnect_min_ms;
    case PROP_RECONNECT_MAX: return &self->reconnect_max_ms;
    case PROP_PING_INTERVAL: return &self->ping_interval_ms;
    case PROP_MAX_INTERVAL: return &self->max_interval_ms;
    case PROP_MIN_INTERVAL: return &self->min_interval_ms;
    default: return NULL;
    }
}

static void
ferry_tracker_client_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FerryTrackerClient *self = FERRY_TRACKER_CLIENT (object);
  guint *timer = timer_field (self, prop_id);

  if (timer != NULL)
    {
      g_value_set_uint (value, *timer);
      return;
    }

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_FAILURE_REASON:
      g_value_set_string (value, self->failure_reason);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_SWARM_SIZE:
      g_value_set_uint (value, self->swarm_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_tracker_client_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FerryTrackerClient *self = FERRY_TRACKER_CLIENT (object);
  guint *timer = timer_field (self, prop_id);

  if (timer != NULL)
    {
      if (*timer != g_value_get_uint (value))
        {
          *timer = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
          /* A new interval bound applies from now on, not after the current period. */
          if ((prop_id == PROP_MAX_INTERVAL || prop_id == PROP_MIN_INTERVAL) &&
              self->announce_timer != NULL)
            restart_announce_timer (self);
        }
      return;
    }

  switch (prop_id)
    {
    case PROP_URL:
      self->url = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_tracker_client_class_init (FerryTrackerClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags timer_flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                                  G_PARAM_STATIC_STRINGS;

  object_class->dispose = ferry_tracker_client_dispose;
  object_class->finalize = ferry_tracker_client_finalize;
  object_class->get_property = ferry_tracker_client_get_property;
  object_class->set_property = ferry_tracker_client_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_TRACKER_STATE,
                       FERRY_TRACKER_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FAILURE_REASON] =
    g_param_spec_string ("failure-reason", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 0, G_MAXUINT, 120,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SWARM_SIZE] =
    g_param_spec_uint ("swarm-size", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OFFER_TIMEOUT] =
    g_param_spec_uint ("offer-timeout", NULL, NULL, 1, G_MAXUINT, 50000, timer_flags);
  properties[PROP_RECONNECT_MIN] =
    g_param_spec_uint ("reconnect-min", NULL, NULL, 1, G_MAXUINT, 2000, timer_flags);
  properties[PROP_RECONNECT_MAX] =
    g_param_spec_uint ("reconnect-max", NULL, NULL, 1, G_MAXUINT, 300000, timer_flags);
  properties[PROP_PING_INTERVAL] =
    g_param_spec_uint ("ping-interval", NULL, NULL, 0, G_MAXUINT / 4, 30000, timer_flags);
  properties[PROP_MAX_INTERVAL] =
    g_param_spec_uint ("max-interval", NULL, NULL, 1, G_MAXUINT, 170000, timer_flags);
  properties[PROP_MIN_INTERVAL] =
    g_param_spec_uint ("min-interval", NULL, NULL, 0, G_MAXUINT, 10000, timer_flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ANNOUNCE_NEEDED] =
    g_signal_new ("announce-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[OFFER] =
    g_signal_new ("offer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_BYTES, G_TYPE_STRING);
  signals[ANSWER] =
    g_signal_new ("answer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_OBJECT, G_TYPE_STRING);
  signals[OFFER_EXPIRED] =
    g_signal_new ("offer-expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_OBJECT);
  signals[WARNING] =
    g_signal_new ("warning", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ferry_tracker_client_init (FerryTrackerClient *self)
{
  SoupSession *session;

  self->context = g_main_context_ref_thread_default ();
  /* The defaults are the property specs'. */
  self->interval = G_PARAM_SPEC_UINT (properties[PROP_INTERVAL])->default_value;
  self->offer_timeout_ms = G_PARAM_SPEC_UINT (properties[PROP_OFFER_TIMEOUT])->default_value;
  self->reconnect_min_ms = G_PARAM_SPEC_UINT (properties[PROP_RECONNECT_MIN])->default_value;
  self->reconnect_max_ms = G_PARAM_SPEC_UINT (properties[PROP_RECONNECT_MAX])->default_value;
  self->ping_interval_ms = G_PARAM_SPEC_UINT (properties[PROP_PING_INTERVAL])->default_value;
  self->max_interval_ms = G_PARAM_SPEC_UINT (properties[PROP_MAX_INTERVAL])->default_value;
  self->min_interval_ms = G_PARAM_SPEC_UINT (properties[PROP_MIN_INTERVAL])->default_value;
  self->pending = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, NULL, pending_offer_free);

  /* A session of our own: no WebSocket extension manager (so no permessage-deflate offered, which
   * bittorrent-tracker's server disables anyway; see docs/INTEROP.md, "Origin and WebSocket
   * extensions"), bound to the context we run on. */
  session = soup_session_new_with_options ("user-agent", USER_AGENT, NULL);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  self->session = session;
}
