/* ferry-cli-room.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ferry-cli-room.h"
#include "ferry-defaults.h"
#include "ferry-dht-enums.h"
#include "ferry-room-link.h"
#include "ferry-room-enums.h"
#include "ferry-session.h"
#include "ferry-signalling-enums.h"
#include "ferry-text.h"
#include "ferry-tracker-client.h"

GSettings *
ferry_cli_app_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL || !(schema = g_settings_schema_source_lookup (source, APP_ID, TRUE)))
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

/* The environment variable may be empty (for scripts and tests: nothing at all). */
char **
ferry_cli_configured_list (const char         *variable,
                           GSettings          *settings,
                           const char         *key,
                           const char * const *defaults)
{
  const char *value = g_getenv (variable);
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (value == NULL && settings != NULL)
    return g_settings_get_strv (settings, key);
  if (value == NULL)
    return g_strdupv ((char **) defaults);
  parts = g_strsplit (value, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

void
ferry_cli_room_add_options (GOptionContext      *context,
                            FerryCliRoomOptions *options)
{
  const GOptionEntry entries[] = {
    { "tracker", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->trackers, N_("Tracker to use instead of the defaults (repeatable)"), N_("URL") },
    { "stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->stun, N_("STUN server instead of the default"), N_("URL") },
    { "turn", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->turn, N_("TURN server (turn:host:port[?transport=udp|tcp], repeatable)"), N_("URL") },
    { "turn-user", 0, 0, G_OPTION_ARG_STRING, &options->turn_user, N_("TURN user name"), N_("USER") },
    { "turn-password", 0, 0, G_OPTION_ARG_STRING, &options->turn_password, N_("TURN password"), N_("PASSWORD") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &options->name, N_("Name shown to the others"), N_("NAME") },
    { "identity", 0, 0, G_OPTION_ARG_FILENAME, &options->identity_path, N_("Identity file (default in the user data folder)"), N_("PATH") },
    { "no-trackers", 0, 0, G_OPTION_ARG_NONE, &options->no_trackers, N_("Meet the others over the DHT only (secret rooms)"), NULL },
    { "no-dht", 0, 0, G_OPTION_ARG_NONE, &options->no_dht, N_("Do not use the DHT, even if the link asks for it"), NULL },
    { "dht-bootstrap", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->dht_bootstrap, N_("DHT node to start from instead of the configured ones (repeatable)"), N_("HOST:PORT") },
    /* For tests: signalling through the DHT made slower. */
    { "dht-read-delay", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &options->dht_read_delay_ms, NULL, NULL },
    /* For tests: the hour of the DHT's keys taken from a clock this many seconds ahead. */
    { "dht-clock-offset", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &options->dht_clock_offset_s, NULL, NULL },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

void
ferry_cli_room_options_clear (FerryCliRoomOptions *options)
{
  g_clear_pointer (&options->trackers, g_strfreev);
  g_clear_pointer (&options->stun, g_strfreev);
  g_clear_pointer (&options->turn, g_strfreev);
  g_clear_pointer (&options->turn_user, g_free);
  g_clear_pointer (&options->turn_password, g_free);
  g_clear_pointer (&options->name, g_free);
  g_clear_pointer (&options->identity_path, g_free);
  g_clear_pointer (&options->dht_bootstrap, g_strfreev);
  if (options->rendezvous != NULL)
    ferry_dht_rendezvous_stop (options->rendezvous);
  g_clear_object (&options->rendezvous);
  if (options->dht != NULL)
    ferry_dht_stop (options->dht);
  g_clear_object (&options->dht);
}

/* A WebDrop peer says its name and what it is after it joined. */
static void
peer_updated_cb (FerryPeer           *peer,
                 GParamSpec          *pspec,
                 FerryCliRoomOptions *options)
{
  g_printerr ("ferry-cli: peer-updated id=%s name=\"%s\" kind=%s\n", ferry_peer_get_id (peer),
              ferry_peer_get_display_name (peer),
              ferry_enum_nick (FERRY_TYPE_PEER_KIND, ferry_peer_get_kind (peer)));
}

static void
peer_joined_cb (FerryRoom           *room,
                FerryPeer           *peer,
                FerryCliRoomOptions *options)
{
  g_autofree char *code = ferry_peer_get_verification_code (peer);

  if (g_signal_handler_find (peer, G_SIGNAL_MATCH_FUNC | G_SIGNAL_MATCH_DATA, 0, 0, NULL,
                             peer_updated_cb, options) == 0)
    {
      g_signal_connect (peer, "notify::display-name", G_CALLBACK (peer_updated_cb), options);
      g_signal_connect (peer, "notify::kind", G_CALLBACK (peer_updated_cb), options);
    }

  g_printerr ("ferry-cli: peer-joined id=%s name=\"%s\" kind=%s verified=%s code=\"%s\" "
              "after-join-ms=%.1f\n",
              ferry_peer_get_id (peer), ferry_peer_get_display_name (peer),
              ferry_enum_nick (FERRY_TYPE_PEER_KIND, ferry_peer_get_kind (peer)),
              ferry_peer_get_verified (peer) ? "yes" : "no", code ? code : "",
              (g_get_monotonic_time () - options->join_us) / 1000.0);
}

static void
peer_left_cb (FerryRoom           *room,
              FerryPeer           *peer,
              FerryCliRoomOptions *options)
{
  g_printerr ("ferry-cli: peer-left id=%s name=\"%s\"\n", ferry_peer_get_id (peer),
              ferry_peer_get_display_name (peer));
}

static void
peer_error_cb (FerryRoom           *room,
               FerryPeer           *peer,
               const GError        *error,
               FerryCliRoomOptions *options)
{
  g_printerr ("ferry-cli: peer-error id=%s message=\"%s\"\n", ferry_peer_get_id (peer), error->message);
}

static void
tracker_state_cb (FerryTrackerClient  *tracker,
                  GParamSpec          *pspec,
                  FerryCliRoomOptions *options)
{
  FerryTrackerState state = ferry_tracker_client_get_state (tracker);
  const char *reason = ferry_tracker_client_get_failure_reason (tracker);
  gboolean failed = reason != NULL && state == FERRY_TRACKER_STATE_FAILED;

  g_printerr ("ferry-cli: tracker url=%s state=%s%s%s%s\n", ferry_tracker_client_get_url (tracker),
              ferry_enum_nick (FERRY_TYPE_TRACKER_STATE, state), failed ? " reason=\"" : "",
              failed ? reason : "", failed ? "\"" : "");
}

/* Fills in what the options leave out, then the configuration of peer connections (the app
 * builds it the same way). */
static FerryRtcConfig *
rtc_config_new (FerryCliRoomOptions  *options,
                GSettings            *settings,
                GError              **error)
{
  g_autoptr(GVariantBuilder) turn = g_variant_builder_new (G_VARIANT_TYPE ("a(sss)"));
  g_autoptr(GVariant) turn_servers = NULL;

  if (options->trackers == NULL)
    options->trackers = ferry_cli_configured_list ("FERRY_TRACKERS", settings, "trackers",
                                         (const char * const[]) FERRY_DEFAULT_TRACKERS);
  if (options->stun == NULL)
    options->stun = ferry_cli_configured_list ("FERRY_STUN_SERVERS", settings, "stun-servers",
                                     (const char * const[]) FERRY_DEFAULT_STUN_SERVERS);
  if (options->name == NULL && settings != NULL)
    options->name = g_settings_get_string (settings, "display-name");
  if (options->name != NULL && *options->name == '\0')
    g_clear_pointer (&options->name, g_free);
  for (guint i = 0; options->turn != NULL && options->turn[i] != NULL; i++)
    g_variant_builder_add (turn, "(sss)", options->turn[i], options->turn_user ? options->turn_user : "",
                           options->turn_password ? options->turn_password : "");
  turn_servers = g_variant_ref_sink (g_variant_builder_end (turn));
  return ferry_session_rtc_config_new ((const char * const *) options->stun, turn_servers, FALSE, error);
}

static void
nearby_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *code = ferry_webdrop_find_nearby_finish (result, &address, &error);

  if (code == NULL)
    g_task_return_error (task, error);
  else
    {
      g_printerr ("ferry-cli: nearby address=%s room=%s\n", address, code);
      g_task_return_pointer (task, g_steal_pointer (&code), g_free);
    }
}

FerryRoomLink *
ferry_cli_room_parse_link (const char          *command,
                           FerryCliRoomOptions *options,
                           const char          *text,
                           int                 *status)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  g_autofree char *code = NULL;
  g_autofree char *room = NULL;
  FerryRoomLink *link;

  if (!ferry_webdrop_is_nearby (text))
    {
      if (!(link = ferry_room_link_parse_user_input (text, &error)))
        {
          g_printerr ("ferry-cli %s: %s\n", command, error->message);
          *status = 2;
        }
      return link;
    }

  /* WebDrop's same-network room: its name comes from our public address, which the STUN
   * server tells. */
  settings = ferry_cli_app_settings ();
  if (!(config = rtc_config_new (options, settings, &error)))
    {
      g_printerr ("ferry-cli %s: %s\n", command, error->message);
      *status = 2;
      return NULL;
    }
  task = g_task_new (NULL, NULL, NULL, NULL);
  ferry_webdrop_find_nearby_async (config, NULL, nearby_cb, task);
  while (!g_task_get_completed (task))
    g_main_context_iteration (NULL, TRUE);
  if (!(code = g_task_propagate_pointer (task, &error)))
    {
      g_printerr ("ferry-cli %s: %s\n", command, error->message);
      *status = 1;
      return NULL;
    }
  room = g_strconcat ("webdrop:", code, NULL);
  return ferry_room_link_parse_user_input (room, NULL);
}

gboolean
ferry_cli_room_prepare (const char           *command,
                        FerryCliRoomOptions  *options,
                        FerryIdentity       **identity,
                        FerryRtcConfig      **config,
                        int                  *status)
{
  g_autoptr(GSettings) settings = ferry_cli_app_settings ();
  g_autoptr(GError) error = NULL;

  if (options->identity_path == NULL)
    options->identity_path = ferry_identity_get_default_path ();
  if (!(*identity = ferry_identity_load_or_create (options->identity_path, &error)))
    {
      g_printerr ("ferry-cli %s: %s\n", command, error->message);
      *status = 1;
      return FALSE;
    }
  if (!(*config = rtc_config_new (options, settings, &error)))
    {
      g_printerr ("ferry-cli %s: %s\n", command, error->message);
      g_clear_object (identity);
      *status = 2;
      return FALSE;
    }
  return TRUE;
}

void
ferry_cli_print_peer_joined (FerryPeer           *peer,
                             FerryCliRoomOptions *options)
{
  peer_joined_cb (NULL, peer, options);
}

static void
dht_state_cb (FerryDht            *dht,
              GParamSpec          *pspec,
              FerryCliRoomOptions *options)
{
  g_printerr ("ferry-cli: dht state=%s nodes=%u\n", ferry_enum_nick (FERRY_TYPE_DHT_STATE, ferry_dht_get_state (dht)),
              ferry_dht_get_node_count (dht, G_SOCKET_FAMILY_INVALID));
}

/* A secret room meets over the DHT when its link says so (or with --no-trackers), unless
 * --no-dht or the app's preference says otherwise; then its node is started. */
static gboolean
use_dht (const char          *command,
         FerryCliRoomOptions *options,
         FerryRoomLink       *link,
         int                 *status)
{
  g_autoptr(GSettings) settings = ferry_cli_app_settings ();
  g_autoptr(GInetSocketAddress) ipv4 = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("0.0.0.0", 0));
  g_autoptr(GInetSocketAddress) ipv6 = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("::", 0));
  g_autoptr(GError) error = NULL;

  if (options->no_trackers && ferry_room_link_get_kind (link) != FERRY_ROOM_KIND_SECRET)
    {
      g_printerr ("ferry-cli %s: %s\n", command, _("only secret rooms can meet over the DHT, and this is a public room"));
      *status = 2;
      return FALSE;
    }
  if (options->no_dht || ferry_room_link_get_kind (link) != FERRY_ROOM_KIND_SECRET ||
      !(options->no_trackers || ferry_room_link_get_dht (link)) ||
      (!options->no_trackers && settings != NULL && !g_settings_get_boolean (settings, "dht-enabled")))
    return TRUE;

  if (options->dht_bootstrap == NULL)
    options->dht_bootstrap = ferry_cli_configured_list ("FERRY_DHT_BOOTSTRAP", settings, "dht-bootstrap",
                                                        (const char * const[]) FERRY_DEFAULT_DHT_BOOTSTRAP);
  options->dht = g_object_new (FERRY_TYPE_DHT, "bootstrap", options->dht_bootstrap, NULL);
  g_signal_connect (options->dht, "notify::state", G_CALLBACK (dht_state_cb), options);
  /* Without IPv6 on this machine, IPv4 alone. */
  if (!ferry_dht_start (options->dht, ipv4, ipv6, NULL) && !ferry_dht_start (options->dht, ipv4, NULL, &error))
    {
      g_printerr ("ferry-cli %s: %s\n", command, error->message);
      g_clear_object (&options->dht);
      *status = 1;
      return FALSE;
    }
  return TRUE;
}

FerryRoom *
ferry_cli_room_new (const char          *command,
                    FerryCliRoomOptions *options,
                    FerryRoomLink       *link,
                    int                 *status)
{
  g_autoptr(FerryIdentity) identity = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  FerryRoom *room;

  if (!ferry_cli_room_prepare (command, options, &identity, &config, status))
    return NULL;

  if (options->no_trackers)
    {
      g_strfreev (options->trackers);
      options->trackers = g_new0 (char *, 1);
    }
  room = ferry_room_new (link, identity, config, (const char * const *) options->trackers, options->name);
  if (!use_dht (command, options, link, status))
    {
      g_object_unref (room);
      return NULL;
    }
  if (ferry_room_get_trackers (room)->len == 0 && options->dht == NULL)
    {
      g_printerr ("ferry-cli %s: %s\n", command, _("no tracker to meet the others on"));
      g_object_unref (room);
      *status = 2;
      return NULL;
    }
  if (options->dht != NULL)
    {
      options->rendezvous = ferry_dht_rendezvous_new (options->dht, room, identity, config, options->name);
      g_object_set (options->rendezvous,
                    "read-delay", (guint) CLAMP (options->dht_read_delay_ms, 0, 60000),
                    "clock-offset", (gint64) CLAMP (options->dht_clock_offset_s, -86400, 86400),
                    NULL);
    }

  g_signal_connect (room, "peer-joined", G_CALLBACK (peer_joined_cb), options);
  g_signal_connect (room, "peer-left", G_CALLBACK (peer_left_cb), options);
  g_signal_connect (room, "peer-error", G_CALLBACK (peer_error_cb), options);
  for (guint i = 0; i < ferry_room_get_trackers (room)->len; i++)
    g_signal_connect (g_ptr_array_index (ferry_room_get_trackers (room), i), "notify::state",
                      G_CALLBACK (tracker_state_cb), options);
  return room;
}

void
ferry_cli_room_join (FerryRoom           *room,
                     FerryCliRoomOptions *options)
{
  g_printerr ("ferry-cli: joining room=\"%s\" peer-id=%s\n",
              ferry_room_link_get_display_name (ferry_room_get_link (room)), ferry_room_get_peer_id (room));
  options->join_us = g_get_monotonic_time ();
  ferry_room_join (room);
  if (options->rendezvous != NULL)
    ferry_dht_rendezvous_start (options->rendezvous);
}
