/* ferry-nearby.c: Ferry devices on the local network, with no server and no internet
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-crypto.h"
#include "ferry-nearby.h"
#include "ferry-source.h"

/* A visible device announces itself this often; one not heard for EXPIRE_S is gone. */
#define ANNOUNCE_S 3
#define EXPIRE_S 10
/* Answers to "ask" at most this often: a flood of asks gets one answer a second. */
#define ANSWER_GAP_US G_USEC_PER_SEC
#define MAX_DEVICES 64
/* An announced code is good for an hour, and replaced after use or expiry. */
#define CODE_LIFETIME_S 3600

struct _FerryNearby
{
  GObject         parent_instance;

  GMainContext   *context;
  FerryIdentity  *identity;
  FerryRtcConfig *config;
  char           *display_name;
  guint8          id[FERRY_NEARBY_ID_LEN];

  GSocket        *socket;
  GSocketAddress *group;
  GSource        *receive_source;
  GSource        *expire_timer;
  GListStore     *devices;

  gboolean        visible;
  GCancellable   *making;     /* our next open code is being made */
  FerryPairing   *pairing;    /* the owner's side of the code we announce */
  GSource        *announce_timer;
  GSource        *answer_timer;
  gint64          last_answer_us;
};

G_DEFINE_FINAL_TYPE (FerryNearby, ferry_nearby, G_TYPE_OBJECT)

enum {
  INCOMING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void make_code (FerryNearby *self);

/* Announcing */

static void
send_announcement (FerryNearby     *self,
                   FerryNearbyType  type,
                   gboolean         ask)
{
  FerryNearbyAnnouncement announcement = { .type = type, .ask = ask };
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  if (self->socket == NULL)
    return;
  memcpy (announcement.id, self->id, sizeof self->id);
  if (type == FERRY_NEARBY_HERE)
    {
      if (self->pairing == NULL)
        return;
      code = ferry_pairing_code_parse (ferry_pairing_get_link (self->pairing), 0, NULL);
      announcement.code = code;
      announcement.name = self->display_name;
      memcpy (announcement.fingerprint, ferry_identity_get_fingerprint (self->identity),
              sizeof announcement.fingerprint);
    }
  bytes = ferry_nearby_announcement_to_bytes (&announcement);
  if (g_socket_send_to (self->socket, self->group, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                        NULL, &error) < 0)
    g_debug ("Nearby: could not announce: %s", error->message);
}

static gboolean
announce_cb (gpointer user_data)
{
  send_announcement (user_data, FERRY_NEARBY_HERE, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
pairing_failed_cb (FerryPairing *pairing,
                   const GError *error,
                   FerryNearby  *self)
{
  g_debug ("Nearby: our code is done with: %s", error->message);
  g_signal_handlers_disconnect_by_data (pairing, self);
  g_signal_handlers_disconnect_by_data (ferry_pairing_get_peer (pairing), self);
  g_clear_object (&self->pairing);
  make_code (self);
}

/* Somebody read our code and connected: theirs now; the next one gets a new code. */
static void
pairing_connected_cb (FerryPeer   *peer,
                      GParamSpec  *pspec,
                      FerryNearby *self)
{
  g_autoptr(FerryPairing) pairing = NULL;

  if (self->pairing == NULL || !ferry_pairing_is_connected (self->pairing))
    return;
  pairing = g_steal_pointer (&self->pairing);
  g_signal_handlers_disconnect_by_data (pairing, self);
  g_signal_handlers_disconnect_by_data (peer, self);
  g_signal_emit (self, signals[INCOMING], 0, pairing);
  make_code (self);
}

static void
code_made_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  FerryPairing *pairing = ferry_pairing_new_finish (result, &error);
  FerryNearby *self;

  /* Cancelled: by stop () or dispose, and @user_data may be gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  g_clear_object (&self->making);
  if (pairing == NULL)
    {
      g_warning ("Nearby: no code to announce: %s", error->message);
      return;
    }
  self->pairing = pairing;
  g_signal_connect (pairing, "failed", G_CALLBACK (pairing_failed_cb), self);
  g_signal_connect (ferry_pairing_get_peer (pairing), "notify::connected", G_CALLBACK (pairing_connected_cb), self);
  /* The first announcement asks the others to show themselves at once. */
  send_announcement (self, FERRY_NEARBY_HERE, self->announce_timer == NULL);
  if (self->announce_timer == NULL)
    self->announce_timer = ferry_source_attach (g_timeout_source_new_seconds (ANNOUNCE_S), self->context,
                                                G_PRIORITY_DEFAULT, announce_cb, self, NULL);
}

static void
make_code (FerryNearby *self)
{
  if (!self->visible || self->socket == NULL || self->making != NULL)
    return;
  self->making = g_cancellable_new ();
  ferry_pairing_new_open_code_async (self->identity, self->config, self->display_name, CODE_LIFETIME_S,
                                     self->making, code_made_cb, self);
}

static void
stop_announcing (FerryNearby *self)
{
  if (self->making != NULL)
    {
      g_cancellable_cancel (self->making);
      g_clear_object (&self->making);
    }
  /* The timer runs from the first announcement on. */
  if (self->announce_timer != NULL)
    send_announcement (self, FERRY_NEARBY_BYE, FALSE);
  g_clear_pointer (&self->announce_timer, g_source_destroy);
  g_clear_pointer (&self->answer_timer, g_source_destroy);
  if (self->pairing != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->pairing, self);
      g_signal_handlers_disconnect_by_data (ferry_pairing_get_peer (self->pairing), self);
      g_clear_object (&self->pairing);
    }
}

/* Listening */

static gboolean
find_device (FerryNearby   *self,
             const guint8  *id,
             guint         *position)
{
  g_autofree char *hex = ferry_hex_encode (id, FERRY_NEARBY_ID_LEN);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->devices));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerryNearbyDevice) device = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (g_str_equal (ferry_nearby_device_get_id (device), hex))
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
answer_cb (gpointer user_data)
{
  FerryNearby *self = user_data;

  self->answer_timer = NULL;
  self->last_answer_us = g_get_monotonic_time ();
  send_announcement (self, FERRY_NEARBY_HERE, FALSE);
  return G_SOURCE_REMOVE;
}

static void
handle_announcement (FerryNearby                   *self,
                     const FerryNearbyAnnouncement *announcement)
{
  gint64 now = g_get_monotonic_time ();
  guint position;

  if (memcmp (announcement->id, self->id, sizeof self->id) == 0)
    return;
  if (announcement->type == FERRY_NEARBY_BYE)
    {
      if (find_device (self, announcement->id, &position))
        g_list_store_remove (self->devices, position);
      return;
    }

  if (find_device (self, announcement->id, &position))
    {
      g_autoptr(FerryNearbyDevice) device = g_list_model_get_item (G_LIST_MODEL (self->devices), position);

      _ferry_nearby_device_update (device, announcement, now);
    }
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->devices)) < MAX_DEVICES)
    {
      g_autoptr(FerryNearbyDevice) device = _ferry_nearby_device_new (announcement);

      g_list_store_append (self->devices, device);
    }

  if (announcement->ask && self->pairing != NULL && self->answer_timer == NULL)
    {
      /* Asks within a second of our last answer get one more answer when the second is over. */
      gint64 wait_us = self->last_answer_us + ANSWER_GAP_US - now;

      if (wait_us <= 0)
        answer_cb (self);
      else
        self->answer_timer = ferry_source_attach (g_timeout_source_new (wait_us / 1000 + 1), self->context,
                                                  G_PRIORITY_DEFAULT, answer_cb, self, NULL);
    }
}

static gboolean
receive_cb (GSocket      *socket,
            GIOCondition  condition,
            gpointer      user_data)
{
  FerryNearby *self = user_data;
  guint8 buffer[FERRY_NEARBY_MAX_PACKET + 1];

  /* Whatever is waiting, at most a few dozen packets a turn, so a flood cannot starve the rest
   * of the main loop. */
  for (guint i = 0; i < 32; i++)
    {
      g_autoptr(FerryNearbyAnnouncement) announcement = NULL;
      g_autoptr(GError) error = NULL;
      gssize len = g_socket_receive_from (socket, NULL, (char *) buffer, sizeof buffer, NULL, &error);

      if (len < 0)
        break;
      if (!(announcement = ferry_nearby_announcement_parse (buffer, len, g_get_real_time () / G_USEC_PER_SEC,
                                                             &error)))
        {
          g_debug ("Nearby: %s", error->message);
          continue;
        }
      handle_announcement (self, announcement);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
expire_cb (gpointer user_data)
{
  FerryNearby *self = user_data;
  gint64 now = g_get_monotonic_time ();

  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->devices)); i-- > 0;)
    {
      g_autoptr(FerryNearbyDevice) device = g_list_model_get_item (G_LIST_MODEL (self->devices), i);

      if (now - _ferry_nearby_device_get_last_seen (device) > EXPIRE_S * G_USEC_PER_SEC)
        g_list_store_remove (self->devices, i);
    }
  return G_SOURCE_CONTINUE;
}

gboolean
ferry_nearby_start (FerryNearby  *self,
                    GError      **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) any = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GInetAddress) group = g_inet_address_new_from_string (FERRY_NEARBY_GROUP);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (any, FERRY_NEARBY_PORT);

  g_return_val_if_fail (FERRY_IS_NEARBY (self), FALSE);

  if (self->socket != NULL)
    return TRUE;
  if (!(socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error)))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  /* Other Ferry programs on this computer listen on the same port: each gets every packet. */
  if (!g_socket_bind (socket, local, TRUE, error) ||
      !g_socket_join_multicast_group (socket, group, FALSE, NULL, error))
    return FALSE;
  g_socket_set_multicast_ttl (socket, 1);
  g_socket_set_multicast_loopback (socket, TRUE);

  self->socket = g_steal_pointer (&socket);
  self->group = g_inet_socket_address_new (group, FERRY_NEARBY_PORT);
  self->receive_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->receive_source, (GSourceFunc) receive_cb, self, NULL);
  g_source_attach (self->receive_source, self->context);
  self->expire_timer = ferry_source_attach (g_timeout_source_new_seconds (2), self->context,
                                            G_PRIORITY_DEFAULT, expire_cb, self, NULL);
  make_code (self);
  return TRUE;
}

void
ferry_nearby_stop (FerryNearby *self)
{
  g_return_if_fail (FERRY_IS_NEARBY (self));

  stop_announcing (self);
  if (self->receive_source != NULL)
    {
      g_source_destroy (self->receive_source);
      g_clear_pointer (&self->receive_source, g_source_unref);
    }
  g_clear_pointer (&self->expire_timer, g_source_destroy);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  g_clear_object (&self->group);
  g_list_store_remove_all (self->devices);
}

void
ferry_nearby_set_visible (FerryNearby *self,
                          gboolean     visible)
{
  g_return_if_fail (FERRY_IS_NEARBY (self));

  if (self->visible == !!visible)
    return;
  self->visible = !!visible;
  if (visible)
    make_code (self);
  else
    stop_announcing (self);
}

GListModel *
ferry_nearby_get_devices (FerryNearby *self)
{
  g_return_val_if_fail (FERRY_IS_NEARBY (self), NULL);

  return G_LIST_MODEL (self->devices);
}

void
ferry_nearby_connect_async (FerryNearby         *self,
                            FerryNearbyDevice   *device,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (FERRY_IS_NEARBY (self));
  g_return_if_fail (FERRY_IS_NEARBY_DEVICE (device));

  ferry_pairing_new_open_reader_async (self->identity, self->config, self->display_name,
                                       ferry_nearby_device_get_code (device),
                                       ferry_nearby_device_get_fingerprint_raw (device),
                                       cancellable, callback, user_data);
}

FerryNearby *
ferry_nearby_new (FerryIdentity  *identity,
                  FerryRtcConfig *config,
                  const char     *display_name)
{
  FerryNearby *self;

  g_return_val_if_fail (FERRY_IS_IDENTITY (identity), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (FERRY_TYPE_NEARBY, NULL);
  self->identity = g_object_ref (identity);
  self->config = ferry_rtc_config_copy (config);
  self->display_name = g_strdup (display_name != NULL && *display_name != '\0' ? display_name : g_get_real_name ());
  return self;
}

static void
ferry_nearby_dispose (GObject *object)
{
  FerryNearby *self = FERRY_NEARBY (object);

  ferry_nearby_stop (self);
  G_OBJECT_CLASS (ferry_nearby_parent_class)->dispose (object);
}

static void
ferry_nearby_finalize (GObject *object)
{
  FerryNearby *self = FERRY_NEARBY (object);

  g_clear_object (&self->identity);
  g_clear_pointer (&self->config, ferry_rtc_config_unref);
  g_free (self->display_name);
  g_clear_object (&self->devices);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (ferry_nearby_parent_class)->finalize (object);
}

static void
ferry_nearby_class_init (FerryNearbyClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_nearby_dispose;
  object_class->finalize = ferry_nearby_finalize;

  signals[INCOMING] =
    g_signal_new ("incoming", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FERRY_TYPE_PAIRING);
}

static void
ferry_nearby_init (FerryNearby *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->devices = g_list_store_new (FERRY_TYPE_NEARBY_DEVICE);
  ferry_random_bytes (self->id, sizeof self->id);
}
