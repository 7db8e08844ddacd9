/* ferry-cli-chat.c: chat in a room from a terminal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lines on stdin become messages to everyone in the room; messages arrive on stdout as
 * "NAME: text".  Room events go to stderr as "ferry-cli: EVENT key=value…".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include "ferry-cli.h"
#include "ferry-defaults.h"
#include "ferry-room.h"
#include "ferry-room-enums.h"
#include "ferry-signalling-enums.h"
#include "ferry-text.h"
#include "ferry-tracker-client.h"

typedef struct {
  GMainLoop        *loop;
  FerryRoom        *room;
  GDataInputStream *input;
  int               status;
  gint64            join_us;
} Chat;

/* The app's settings when its schema is installed, so that both use the same trackers, STUN
 * server and name; NULL otherwise. */
static GSettings *
app_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL || !(schema = g_settings_schema_source_lookup (source, APP_ID, TRUE)))
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

/* In order: the environment variable (comma-separated, may be empty, for scripts and tests), the
 * app's setting @key, the schema's default built in. */
static char **
configured_list (const char         *variable,
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

static void
peer_joined_cb (FerryRoom *room,
                FerryPeer *peer,
                Chat      *self)
{
  g_autofree char *code = ferry_peer_get_verification_code (peer);

  g_printerr ("ferry-cli: peer-joined id=%s name=\"%s\" kind=%s verified=%s code=\"%s\" "
              "after-join-ms=%.1f\n",
              ferry_peer_get_id (peer), ferry_peer_get_display_name (peer), ferry_enum_nick (FERRY_TYPE_PEER_KIND, ferry_peer_get_kind (peer)),
              ferry_peer_get_verified (peer) ? "yes" : "no", code ? code : "",
              (g_get_monotonic_time () - self->join_us) / 1000.0);
}

static void
peer_left_cb (FerryRoom *room,
              FerryPeer *peer,
              Chat      *self)
{
  g_printerr ("ferry-cli: peer-left id=%s name=\"%s\"\n", ferry_peer_get_id (peer),
              ferry_peer_get_display_name (peer));
}

static void
peer_error_cb (FerryRoom    *room,
               FerryPeer    *peer,
               const GError *error,
               Chat         *self)
{
  g_printerr ("ferry-cli: peer-error id=%s message=\"%s\"\n", ferry_peer_get_id (peer), error->message);
}

static void
message_cb (FerryRoom  *room,
            FerryPeer  *peer,
            const char *text,
            Chat       *self)
{
  g_print ("%s: %s\n", ferry_peer_get_display_name (peer), text);
  fflush (stdout);
}

static void
tracker_state_cb (FerryTrackerClient *tracker,
                  GParamSpec         *pspec,
                  Chat               *self)
{
  FerryTrackerState state = ferry_tracker_client_get_state (tracker);
  const char *reason = ferry_tracker_client_get_failure_reason (tracker);

  g_printerr ("ferry-cli: tracker url=%s state=%s%s%s%s\n", ferry_tracker_client_get_url (tracker),
              ferry_enum_nick (FERRY_TYPE_TRACKER_STATE, state), reason && state == FERRY_TRACKER_STATE_FAILED ? " reason=\"" : "",
              reason && state == FERRY_TRACKER_STATE_FAILED ? reason : "",
              reason && state == FERRY_TRACKER_STATE_FAILED ? "\"" : "");
}

static void read_line (Chat *self);

static void
line_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      user_data)
{
  Chat *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->input, result, NULL, &error);

  if (line == NULL)
    {
      if (error != NULL)
        g_printerr ("ferry-cli: error message=\"%s\"\n", error->message);
      g_main_loop_quit (self->loop);
      return;
    }

  if (*line != '\0' && !ferry_room_send_chat (self->room, line, &error))
    g_printerr ("ferry-cli: not-sent message=\"%s\"\n", error->message);
  read_line (self);
}

static void
read_line (Chat *self)
{
  g_data_input_stream_read_line_async (self->input, G_PRIORITY_DEFAULT, NULL, line_cb, self);
}

static gboolean
signal_cb (gpointer user_data)
{
  Chat *self = user_data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
ferry_cli_chat (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(FerryIdentity) identity = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  g_autoptr(FerryRoom) room = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSettings) settings = app_settings ();
  g_auto(GStrv) trackers = NULL;
  g_auto(GStrv) stun = NULL;
  g_autofree char *name = NULL;
  g_autofree char *identity_path = NULL;
  Chat self = { 0 };
  const GOptionEntry entries[] = {
    { "tracker", 0, 0, G_OPTION_ARG_STRING_ARRAY, &trackers, N_("Tracker to use instead of the defaults (repeatable)"), N_("URL") },
    { "stun", 0, 0, G_OPTION_ARG_STRING_ARRAY, &stun, N_("STUN server instead of the default"), N_("URL") },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("Name shown to the others"), N_("NAME") },
    { "identity", 0, 0, G_OPTION_ARG_FILENAME, &identity_path, N_("Identity file (default in the user data folder)"), N_("PATH") },
    { NULL }
  };

  context = g_option_context_new (_("ROOM-OR-LINK — chat in a room"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("ferry-cli chat: %s\n", error ? error->message : _("name one room or link"));
      return 2;
    }

  if (!(link = ferry_room_link_parse_user_input (argv[1], &error)))
    {
      g_printerr ("ferry-cli chat: %s\n", error->message);
      return 2;
    }
  if (identity_path == NULL)
    identity_path = ferry_identity_get_default_path ();
  if (!(identity = ferry_identity_load_or_create (identity_path, &error)))
    {
      g_printerr ("ferry-cli chat: %s\n", error->message);
      return 1;
    }

  if (trackers == NULL)
    trackers = configured_list ("FERRY_TRACKERS", settings, "trackers",
                                (const char * const[]) FERRY_DEFAULT_TRACKERS);
  if (stun == NULL)
    stun = configured_list ("FERRY_STUN_SERVERS", settings, "stun-servers",
                            (const char * const[]) FERRY_DEFAULT_STUN_SERVERS);
  if (name == NULL && settings != NULL)
    name = g_settings_get_string (settings, "display-name");
  if (name != NULL && *name == '\0')
    g_clear_pointer (&name, g_free);
  config = ferry_rtc_config_new ();
  /* libnice takes one STUN server. */
  if (stun[0] != NULL && !ferry_rtc_config_add_ice_server (config, stun[0], NULL, NULL, &error))
    {
      g_printerr ("ferry-cli chat: %s\n", error->message);
      return 2;
    }

  room = ferry_room_new (link, identity, config, (const char * const *) trackers, name);
  if (ferry_room_get_trackers (room)->len == 0)
    {
      g_printerr ("ferry-cli chat: %s\n", _("no tracker to meet the others on"));
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  self.loop = loop;
  self.room = room;
  self.input = g_data_input_stream_new (g_unix_input_stream_new (0, FALSE));
  g_object_unref (g_filter_input_stream_get_base_stream (G_FILTER_INPUT_STREAM (self.input)));

  g_signal_connect (room, "peer-joined", G_CALLBACK (peer_joined_cb), &self);
  g_signal_connect (room, "peer-left", G_CALLBACK (peer_left_cb), &self);
  g_signal_connect (room, "peer-error", G_CALLBACK (peer_error_cb), &self);
  g_signal_connect (room, "message", G_CALLBACK (message_cb), &self);
  for (guint i = 0; i < ferry_room_get_trackers (room)->len; i++)
    g_signal_connect (g_ptr_array_index (ferry_room_get_trackers (room), i), "notify::state",
                      G_CALLBACK (tracker_state_cb), &self);
  g_unix_signal_add (SIGINT, signal_cb, &self);
  g_unix_signal_add (SIGTERM, signal_cb, &self);

  g_printerr ("ferry-cli: joining room=\"%s\" peer-id=%s\n", ferry_room_link_get_display_name (link),
              ferry_room_get_peer_id (room));
  self.join_us = g_get_monotonic_time ();
  ferry_room_join (room);
  read_line (&self);
  g_main_loop_run (loop);

  /* Let "stopped" and the closing of connections reach the others. */
  ferry_room_leave (room);
  g_timeout_add (300, quit_cb, loop);
  g_main_loop_run (loop);

  g_clear_object (&self.input);
  return self.status;
}
