/* ferry-cli-room.h: joining a room from the command line (chat, send, receive)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-dht-rendezvous.h"
#include "ferry-room.h"

G_BEGIN_DECLS

typedef struct {
  char   **trackers;
  char   **stun;
  char   **turn;
  char    *turn_user;
  char    *turn_password;
  char    *name;
  char    *identity_path;
  gint64   join_us;   /* when the room was joined, for the event lines */
  gboolean no_trackers;
  gboolean no_dht;
  char   **dht_bootstrap;
  int      dht_read_delay_ms;
  int      dht_clock_offset_s;
  FerryDht           *dht;          /* a secret room's DHT node, once joined */
  FerryDhtRendezvous *rendezvous;
} FerryCliRoomOptions;

/* --tracker, --stun, --turn (with --turn-user and --turn-password), --name and --identity,
 * filling @options. */
void       ferry_cli_room_add_options   (GOptionContext       *context,
                                         FerryCliRoomOptions  *options);
void       ferry_cli_room_options_clear (FerryCliRoomOptions  *options);

/* The app's settings when its schema is installed, so that the app and ferry-cli use the same
 * trackers, STUN server, name and download folder; %NULL otherwise. */
GSettings *ferry_cli_app_settings       (void);
/* A list setting: the environment @variable (comma-separated) first, then @settings' @key (when
 * @settings is not %NULL), then @defaults. */
char     **ferry_cli_configured_list    (const char         *variable,
                                         GSettings          *settings,
                                         const char         *key,
                                         const char * const *defaults);

/* The room @text names, as the user typed it, with WebDrop's same-network room ("webdrop:nearby")
 * found through the STUN server of the options (which it fills in like ferry_cli_room_new ()).
 * On failure prints "ferry-cli COMMAND: …" and sets @status (2 for a usage error, 1 when the
 * STUN server does not answer). */
FerryRoomLink *ferry_cli_room_parse_link (const char           *command,
                                          FerryCliRoomOptions  *options,
                                          const char           *text,
                                          int                  *status);
/* The identity and the configuration of peer connections from the options, the environment
 * and the app's settings.  On failure prints "ferry-cli COMMAND: …" and sets @status. */
gboolean   ferry_cli_room_prepare       (const char           *command,
                                         FerryCliRoomOptions  *options,
                                         FerryIdentity       **identity,
                                         FerryRtcConfig      **config,
                                         int                  *status);
/* The "ferry-cli: peer-joined …" line. */
void       ferry_cli_print_peer_joined  (FerryPeer            *peer,
                                         FerryCliRoomOptions  *options);
/* A room for @link with the options, the environment (FERRY_TRACKERS, FERRY_STUN_SERVERS) and
 * the app's settings, in that order.  On failure prints "ferry-cli COMMAND: …" and sets @status
 * (2 for a usage error, 1 otherwise).  Room events are written to stderr as
 * "ferry-cli: EVENT key=value…" lines. */
FerryRoom *ferry_cli_room_new           (const char           *command,
                                         FerryCliRoomOptions  *options,
                                         FerryRoomLink        *link,
                                         int                  *status);
/* Joins and records the time for the event lines. */
void       ferry_cli_room_join          (FerryRoom            *room,
                                         FerryCliRoomOptions  *options);

G_END_DECLS
