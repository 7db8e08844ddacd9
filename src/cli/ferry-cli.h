/* ferry-cli.h: the commands of ferry-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ferry-cli-room.h"

/* {"type":"offer","sdp":"…"}, as a browser's RTCSessionDescription serializes. */
char *ferry_cli_description_to_json   (const char  *type,
                                       const char  *sdp);
char *ferry_cli_description_from_json (const char  *line,
                                       const char  *expected_type,
                                       GError     **error);

/* Runs @loop for 300 ms and then until what every connection sent has been acknowledged, for at
 * most 3 s: the last messages (a cancel, "stopped") and the closing of connections reach the
 * others even when a packet was lost on the way and has to be sent again. */
void ferry_cli_drain (GMainLoop *loop);

/* @text as a QR code drawn with block characters, for a terminal. */
void ferry_cli_print_qr (const char *text);

int ferry_cli_bench   (int    argc,
                       char **argv);
int ferry_cli_chat    (int    argc,
                       char **argv);
int ferry_cli_connect (int    argc,
                       char **argv);
int ferry_cli_dht     (int    argc,
                       char **argv);
int ferry_cli_nearby  (int    argc,
                       char **argv);
int ferry_cli_pair    (int    argc,
                       char **argv);
/* Parses @text (a pairing code or link; %NULL or "" to make a code good for @lifetime_s
 * seconds), loads the identity and configuration, and starts the pairing; @callback gets its
 * result (ferry_pairing_new_finish ()).  On failure prints "ferry-cli COMMAND: …" and sets
 * @status. */
gboolean ferry_cli_pair_start (const char          *command,
                               FerryCliRoomOptions *options,
                               const char          *text,
                               guint                lifetime_s,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data,
                               int                 *status);
/* `pair` with parsed options: reads @text (a code or link), or makes a code when %NULL. */
int ferry_cli_pair_run (FerryCliRoomOptions *options,
                        const char          *text,
                        guint                lifetime_s);
int ferry_cli_receive (int    argc,
                       char **argv);
int ferry_cli_send    (int    argc,
                       char **argv);
