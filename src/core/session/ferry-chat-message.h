/* ferry-chat-message.h: one chat message of a room, as the GUI shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A plain value object on the GUI's main context: FerrySession creates it from what the network
 * thread reported and only ever changes "delivered" afterwards.
 *
 * Properties (read-only, notified on the GUI's main context):
 *   peer-name   string     the author's name when it arrived; %NULL for our own messages
 *   text        string
 *   time        GDateTime  when the author wrote it (local time zone); the arrival time for
 *                          messages that carry none (plain P2PT peers)
 *   outgoing    gboolean   we wrote it
 *   delivered   gboolean   ours, and at least one peer acknowledged it (docs/PROTOCOL.md, "chat
 *                          with delivery marks")
 *   id          string     the message id, or %NULL when the author's app sends none
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_TYPE_CHAT_MESSAGE (ferry_chat_message_get_type ())
G_DECLARE_FINAL_TYPE (FerryChatMessage, ferry_chat_message, FERRY, CHAT_MESSAGE, GObject)

const char *ferry_chat_message_get_peer_name (FerryChatMessage *self);
const char *ferry_chat_message_get_text      (FerryChatMessage *self);
GDateTime  *ferry_chat_message_get_time      (FerryChatMessage *self);
gboolean    ferry_chat_message_get_outgoing  (FerryChatMessage *self);
gboolean    ferry_chat_message_get_delivered (FerryChatMessage *self);
const char *ferry_chat_message_get_id        (FerryChatMessage *self);

G_END_DECLS
