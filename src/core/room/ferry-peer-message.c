/* ferry-peer-message.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-json.h"
#include "ferry-peer-message.h"

G_DEFINE_QUARK (ferry-peer-message-error-quark, ferry_peer_message_error)

/* Indexed by FerryPeerMessageType. */
static const char *const type_names[] = {
  [FERRY_PEER_MESSAGE_CHAT] = "chat",
  [FERRY_PEER_MESSAGE_CHAT_ACK] = "chat-ack",
  [FERRY_PEER_MESSAGE_OFFER] = "offer",
  [FERRY_PEER_MESSAGE_ACCEPT] = "accept",
  [FERRY_PEER_MESSAGE_DECLINE] = "decline",
  [FERRY_PEER_MESSAGE_CANCEL] = "cancel",
  [FERRY_PEER_MESSAGE_PAUSE] = "pause",
  [FERRY_PEER_MESSAGE_RESUME] = "resume",
  [FERRY_PEER_MESSAGE_FILE_DONE] = "file-done",
  [FERRY_PEER_MESSAGE_FILE_FAILED] = "file-failed",
  [FERRY_PEER_MESSAGE_RESTART] = "restart",
  [FERRY_PEER_MESSAGE_RESUME_STATE] = "resume-state",
  [FERRY_PEER_MESSAGE_RELAY] = "relay",
};

static gboolean G_GNUC_PRINTF (2, 3)
malformed (GError    **error,
           const char *format,
           ...)
{
  g_autofree char *why = NULL;
  va_list args;

  va_start (args, format);
  why = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, FERRY_PEER_MESSAGE_ERROR, FERRY_PEER_MESSAGE_ERROR_MALFORMED,
               _("Invalid peer message: %s"), why);
  return FALSE;
}

/* Checks on single values, shared by the parser and the constructors */

static inline gboolean
is_base64url (gunichar2 c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

static inline gboolean
is_lower_hex (gunichar2 c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

gboolean
ferry_peer_message_id_is_valid (const char *id)
{
  if (id == NULL || strlen (id) != FERRY_PEER_MESSAGE_ID_LENGTH)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!is_base64url ((guchar) *p))
      return FALSE;
  return TRUE;
}

static gboolean
sha256_is_valid (const char *sha256)
{
  if (sha256 == NULL || strlen (sha256) != FERRY_PEER_MESSAGE_SHA256_LENGTH)
    return FALSE;
  for (const char *p = sha256; *p != '\0'; p++)
    if (!is_lower_hex ((guchar) *p))
      return FALSE;
  return TRUE;
}

static gboolean
path_is_valid (const char *path)
{
  return path != NULL && *path != '\0' && g_utf8_validate (path, -1, NULL);
}

/* A copy of @reason cut to the longest prefix of whole characters that fits the limit. */
static char *
dup_reason (const char *reason)
{
  const char *end;

  if (reason == NULL)
    return NULL;
  if (strlen (reason) <= FERRY_PEER_MESSAGE_MAX_REASON_BYTES)
    return g_strdup (reason);
  end = reason + FERRY_PEER_MESSAGE_MAX_REASON_BYTES;
  /* Back to the start of the character that straddles the limit (or starts right at it). */
  while (end > reason && ((guchar) *end & 0xC0) == 0x80)
    end--;
  return g_strndup (reason, end - reason);
}

/* Construction */

/* Which file indices an array has listed, to refuse repeats. */
typedef struct {
  guint8 seen[(FERRY_PEER_MESSAGE_MAX_FILES + 7) / 8];
} FileSet;

/* Adds @file (< FERRY_PEER_MESSAGE_MAX_FILES); FALSE when it was there already. */
static gboolean
file_set_add (FileSet *set,
              guint    file)
{
  guint8 bit = 1u << (file % 8);

  if (set->seen[file / 8] & bit)
    return FALSE;
  set->seen[file / 8] |= bit;
  return TRUE;
}

static FerryPeerMessage *
message_new (FerryPeerMessageType type)
{
  FerryPeerMessage *message = g_new0 (FerryPeerMessage, 1);

  message->type = type;
  return message;
}

void
ferry_peer_message_offer_file_clear (gpointer entry)
{
  FerryPeerMessageOfferFile *file = entry;

  g_clear_pointer (&file->path, g_free);
}

void
ferry_peer_message_resume_file_clear (gpointer entry)
{
  FerryPeerMessageResumeFile *file = entry;

  g_clear_pointer (&file->blocks, g_ptr_array_unref);
}

static GArray *
offer_files_new (void)
{
  GArray *files = g_array_new (FALSE, TRUE, sizeof (FerryPeerMessageOfferFile));

  g_array_set_clear_func (files, ferry_peer_message_offer_file_clear);
  return files;
}

static GArray *
resume_files_new (void)
{
  GArray *files = g_array_new (FALSE, TRUE, sizeof (FerryPeerMessageResumeFile));

  g_array_set_clear_func (files, ferry_peer_message_resume_file_clear);
  return files;
}

FerryPeerMessage *
ferry_peer_message_new_chat (const char *text)
{
  return ferry_peer_message_new_chat_full (text, NULL, FERRY_PEER_MESSAGE_NO_TIME);
}

FerryPeerMessage *
ferry_peer_message_new_chat_full (const char *text,
                                  const char *id,
                                  gint64      time)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (g_utf8_validate (text, -1, NULL), NULL);
  g_return_val_if_fail (id == NULL || ferry_peer_message_id_is_valid (id), NULL);
  g_return_val_if_fail (time == FERRY_PEER_MESSAGE_NO_TIME ||
                        (time >= 0 && (guint64) time <= FERRY_PEER_MESSAGE_MAX_INTEGER), NULL);

  message = message_new (FERRY_PEER_MESSAGE_CHAT);
  message->chat.text = g_strdup (text);
  message->chat.id = g_strdup (id);
  message->chat.time = time;
  return message;
}

FerryPeerMessage *
ferry_peer_message_new_chat_ack (const char *id)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (id), NULL);

  message = message_new (FERRY_PEER_MESSAGE_CHAT_ACK);
  message->chat_ack.id = g_strdup (id);
  return message;
}

static gboolean
member_is_valid (const char *member)
{
  if (member == NULL || strlen (member) != FERRY_PEER_MESSAGE_MEMBER_LENGTH)
    return FALSE;
  for (const char *c = member; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c) || g_ascii_isupper (*c))
      return FALSE;
  return TRUE;
}

FerryPeerMessage *
ferry_peer_message_new_relay (const char *from,
                              const char *to,
                              const char *code)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (member_is_valid (from) && member_is_valid (to), NULL);
  g_return_val_if_fail (code != NULL && g_utf8_validate (code, -1, NULL), NULL);
  g_return_val_if_fail (strlen (code) <= FERRY_PEER_MESSAGE_MAX_CODE_BYTES, NULL);

  message = message_new (FERRY_PEER_MESSAGE_RELAY);
  message->relay.from = g_strdup (from);
  message->relay.to = g_strdup (to);
  message->relay.code = g_strdup (code);
  return message;
}

FerryPeerMessage *
ferry_peer_message_new_offer (const char *transfer)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);

  message = message_new (FERRY_PEER_MESSAGE_OFFER);
  message->offer.transfer = g_strdup (transfer);
  message->offer.files = offer_files_new ();
  message->offer.folders = g_ptr_array_new_with_free_func (g_free);
  return message;
}

gboolean
ferry_peer_message_offer_add_file (FerryPeerMessage *offer,
                                   const char       *path,
                                   guint64           size,
                                   gint64            mtime)
{
  FerryPeerMessageOfferFile file;

  g_return_val_if_fail (offer != NULL && offer->type == FERRY_PEER_MESSAGE_OFFER, FALSE);
  g_return_val_if_fail (path_is_valid (path), FALSE);
  g_return_val_if_fail (size <= FERRY_PEER_MESSAGE_MAX_INTEGER, FALSE);
  g_return_val_if_fail (mtime >= 0 && (guint64) mtime <= FERRY_PEER_MESSAGE_MAX_INTEGER, FALSE);

  /* Both operands are at most 2^53: the sum cannot wrap. */
  if (offer->offer.files->len >= FERRY_PEER_MESSAGE_MAX_FILES ||
      offer->offer.total + size > FERRY_PEER_MESSAGE_MAX_INTEGER)
    return FALSE;
  file.path = g_strdup (path);
  file.size = size;
  file.mtime = mtime;
  g_array_append_val (offer->offer.files, file);
  offer->offer.total += size;
  return TRUE;
}

void
ferry_peer_message_offer_add_folder (FerryPeerMessage *offer,
                                     const char       *path)
{
  g_return_if_fail (offer != NULL && offer->type == FERRY_PEER_MESSAGE_OFFER);
  g_return_if_fail (path_is_valid (path));

  g_ptr_array_add (offer->offer.folders, g_strdup (path));
}

FerryPeerMessage *
ferry_peer_message_new_accept_all (const char *transfer)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);

  message = message_new (FERRY_PEER_MESSAGE_ACCEPT);
  message->accept.transfer = g_strdup (transfer);
  return message;
}

FerryPeerMessage *
ferry_peer_message_new_accept (const char  *transfer,
                               const guint *files,
                               gsize        n_files)
{
  g_autofree FileSet *seen = NULL;
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);
  g_return_val_if_fail (files != NULL || n_files == 0, NULL);
  g_return_val_if_fail (n_files <= FERRY_PEER_MESSAGE_MAX_FILES, NULL);
  seen = g_new0 (FileSet, 1);
  for (gsize i = 0; i < n_files; i++)
    {
      g_return_val_if_fail (files[i] < FERRY_PEER_MESSAGE_MAX_FILES, NULL);
      g_return_val_if_fail (file_set_add (seen, files[i]), NULL);
    }

  message = message_new (FERRY_PEER_MESSAGE_ACCEPT);
  message->accept.transfer = g_strdup (transfer);
  message->accept.files = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_files);
  if (n_files > 0)
    g_array_append_vals (message->accept.files, files, n_files);
  return message;
}

static FerryPeerMessage *
new_transfer_reason (FerryPeerMessageType type,
                     const char          *transfer,
                     const char          *reason)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);
  g_return_val_if_fail (reason == NULL || g_utf8_validate (reason, -1, NULL), NULL);

  message = message_new (type);
  /* decline and cancel have the same layout. */
  if (type == FERRY_PEER_MESSAGE_DECLINE)
    {
      message->decline.transfer = g_strdup (transfer);
      message->decline.reason = dup_reason (reason);
    }
  else
    {
      message->cancel.transfer = g_strdup (transfer);
      message->cancel.reason = dup_reason (reason);
    }
  return message;
}

FerryPeerMessage *
ferry_peer_message_new_decline (const char *transfer,
                                const char *reason)
{
  return new_transfer_reason (FERRY_PEER_MESSAGE_DECLINE, transfer, reason);
}

FerryPeerMessage *
ferry_peer_message_new_cancel (const char *transfer,
                               const char *reason)
{
  return new_transfer_reason (FERRY_PEER_MESSAGE_CANCEL, transfer, reason);
}

FerryPeerMessage *
ferry_peer_message_new_pause (const char *transfer)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);

  message = message_new (FERRY_PEER_MESSAGE_PAUSE);
  message->pause.transfer = g_strdup (transfer);
  return message;
}

FerryPeerMessage *
ferry_peer_message_new_resume (const char *transfer)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);

  message = message_new (FERRY_PEER_MESSAGE_RESUME);
  message->resume.transfer = g_strdup (transfer);
  return message;
}

FerryPeerMessage *
ferry_peer_message_new_file_done (const char *transfer,
                                  guint       file,
                                  const char *sha256)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);
  g_return_val_if_fail (file < FERRY_PEER_MESSAGE_MAX_FILES, NULL);
  g_return_val_if_fail (sha256_is_valid (sha256), NULL);

  message = message_new (FERRY_PEER_MESSAGE_FILE_DONE);
  message->file_done.transfer = g_strdup (transfer);
  message->file_done.file = file;
  message->file_done.sha256 = g_strdup (sha256);
  return message;
}

static FerryPeerMessage *
new_transfer_file_reason (FerryPeerMessageType type,
                          const char          *transfer,
                          guint                file,
                          const char          *reason)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);
  g_return_val_if_fail (file < FERRY_PEER_MESSAGE_MAX_FILES, NULL);
  g_return_val_if_fail (reason == NULL || g_utf8_validate (reason, -1, NULL), NULL);

  message = message_new (type);
  if (type == FERRY_PEER_MESSAGE_FILE_FAILED)
    {
      message->file_failed.transfer = g_strdup (transfer);
      message->file_failed.file = file;
      message->file_failed.reason = dup_reason (reason);
    }
  else
    {
      message->restart.transfer = g_strdup (transfer);
      message->restart.file = file;
      message->restart.reason = dup_reason (reason);
    }
  return message;
}

FerryPeerMessage *
ferry_peer_message_new_file_failed (const char *transfer,
                                    guint       file,
                                    const char *reason)
{
  return new_transfer_file_reason (FERRY_PEER_MESSAGE_FILE_FAILED, transfer, file, reason);
}

FerryPeerMessage *
ferry_peer_message_new_restart (const char *transfer,
                                guint       file,
                                const char *reason)
{
  return new_transfer_file_reason (FERRY_PEER_MESSAGE_RESTART, transfer, file, reason);
}

FerryPeerMessage *
ferry_peer_message_new_resume_state (const char *transfer)
{
  FerryPeerMessage *message;

  g_return_val_if_fail (ferry_peer_message_id_is_valid (transfer), NULL);

  message = message_new (FERRY_PEER_MESSAGE_RESUME_STATE);
  message->resume_state.transfer = g_strdup (transfer);
  message->resume_state.files = resume_files_new ();
  return message;
}

void
ferry_peer_message_resume_state_add_file (FerryPeerMessage   *resume_state,
                                          guint               file,
                                          const char * const *blocks,
                                          gsize               n_blocks)
{
  FerryPeerMessageResumeFile entry;

  g_return_if_fail (resume_state != NULL &&
                    resume_state->type == FERRY_PEER_MESSAGE_RESUME_STATE);
  g_return_if_fail (file < FERRY_PEER_MESSAGE_MAX_FILES);
  g_return_if_fail (blocks != NULL || n_blocks == 0);
  g_return_if_fail (n_blocks <= FERRY_PEER_MESSAGE_MAX_INTEGER / FERRY_PEER_MESSAGE_BLOCK_SIZE);
  for (gsize i = 0; i < n_blocks; i++)
    g_return_if_fail (sha256_is_valid (blocks[i]));

  entry.file = file;
  entry.have = (guint64) n_blocks * FERRY_PEER_MESSAGE_BLOCK_SIZE;
  entry.blocks = g_ptr_array_new_full (n_blocks, g_free);
  for (gsize i = 0; i < n_blocks; i++)
    g_ptr_array_add (entry.blocks, g_strdup (blocks[i]));
  g_array_append_val (resume_state->resume_state.files, entry);
}

void
ferry_peer_message_free (FerryPeerMessage *message)
{
  if (message == NULL)
    return;
  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      g_free (message->chat.text);
      g_free (message->chat.id);
      break;
    case FERRY_PEER_MESSAGE_CHAT_ACK:
      g_free (message->chat_ack.id);
      break;
    case FERRY_PEER_MESSAGE_OFFER:
      g_free (message->offer.transfer);
      g_clear_pointer (&message->offer.files, g_array_unref);
      g_clear_pointer (&message->offer.folders, g_ptr_array_unref);
      break;
    case FERRY_PEER_MESSAGE_ACCEPT:
      g_free (message->accept.transfer);
      g_clear_pointer (&message->accept.files, g_array_unref);
      break;
    case FERRY_PEER_MESSAGE_DECLINE:
      g_free (message->decline.transfer);
      g_free (message->decline.reason);
      break;
    case FERRY_PEER_MESSAGE_CANCEL:
      g_free (message->cancel.transfer);
      g_free (message->cancel.reason);
      break;
    case FERRY_PEER_MESSAGE_PAUSE:
      g_free (message->pause.transfer);
      break;
    case FERRY_PEER_MESSAGE_RESUME:
      g_free (message->resume.transfer);
      break;
    case FERRY_PEER_MESSAGE_FILE_DONE:
      g_free (message->file_done.transfer);
      g_free (message->file_done.sha256);
      break;
    case FERRY_PEER_MESSAGE_FILE_FAILED:
      g_free (message->file_failed.transfer);
      g_free (message->file_failed.reason);
      break;
    case FERRY_PEER_MESSAGE_RESTART:
      g_free (message->restart.transfer);
      g_free (message->restart.reason);
      break;
    case FERRY_PEER_MESSAGE_RESUME_STATE:
      g_free (message->resume_state.transfer);
      g_clear_pointer (&message->resume_state.files, g_array_unref);
      break;
    case FERRY_PEER_MESSAGE_RELAY:
      g_free (message->relay.from);
      g_free (message->relay.to);
      g_free (message->relay.code);
      break;
    }
  g_free (message);
}

const char *
ferry_peer_message_type_to_string (FerryPeerMessageType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);

  return type_names[type];
}

const char *
ferry_peer_message_get_transfer (const FerryPeerMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);

  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
    case FERRY_PEER_MESSAGE_CHAT_ACK:
    case FERRY_PEER_MESSAGE_RELAY:
      return NULL;
    case FERRY_PEER_MESSAGE_OFFER:
      return message->offer.transfer;
    case FERRY_PEER_MESSAGE_ACCEPT:
      return message->accept.transfer;
    case FERRY_PEER_MESSAGE_DECLINE:
      return message->decline.transfer;
    case FERRY_PEER_MESSAGE_CANCEL:
      return message->cancel.transfer;
    case FERRY_PEER_MESSAGE_PAUSE:
      return message->pause.transfer;
    case FERRY_PEER_MESSAGE_RESUME:
      return message->resume.transfer;
    case FERRY_PEER_MESSAGE_FILE_DONE:
      return message->file_done.transfer;
    case FERRY_PEER_MESSAGE_FILE_FAILED:
      return message->file_failed.transfer;
    case FERRY_PEER_MESSAGE_RESTART:
      return message->restart.transfer;
    case FERRY_PEER_MESSAGE_RESUME_STATE:
      return message->resume_state.transfer;
    }
  g_return_val_if_reached (NULL);
}

/* Building */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value != NULL ? value : "");
}

/* Optional strings are left out when NULL. */
static void
add_optional_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  if (value != NULL)
    add_string (builder, name, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         guint64      value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, (gint64) value);
}

static void
add_offer (JsonBuilder            *builder,
           const FerryPeerMessage *message)
{
  guint n_files = message->offer.files != NULL ? message->offer.files->len : 0;
  guint n_folders = message->offer.folders != NULL ? message->offer.folders->len : 0;

  add_string (builder, "transfer", message->offer.transfer);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_files; i++)
    {
      const FerryPeerMessageOfferFile *file =
        &g_array_index (message->offer.files, FerryPeerMessageOfferFile, i);

      json_builder_begin_object (builder);
      add_string (builder, "path", file->path);
      add_int (builder, "size", file->size);
      add_int (builder, "mtime", (guint64) file->mtime);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  /* No folders is written as no member, which is how the parser reads it back. */
  if (n_folders > 0)
    {
      json_builder_set_member_name (builder, "folders");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n_folders; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (message->offer.folders, i));
      json_builder_end_array (builder);
    }
  add_int (builder, "total", message->offer.total);
}

static void
add_resume_state (JsonBuilder            *builder,
                  const FerryPeerMessage *message)
{
  guint n_files = message->resume_state.files != NULL ? message->resume_state.files->len : 0;

  add_string (builder, "transfer", message->resume_state.transfer);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_files; i++)
    {
      const FerryPeerMessageResumeFile *file =
        &g_array_index (message->resume_state.files, FerryPeerMessageResumeFile, i);

      json_builder_begin_object (builder);
      add_int (builder, "file", file->file);
      add_int (builder, "have", file->have);
      json_builder_set_member_name (builder, "blocks");
      json_builder_begin_array (builder);
      for (guint j = 0; file->blocks != NULL && j < file->blocks->len; j++)
        json_builder_add_string_value (builder, g_ptr_array_index (file->blocks, j));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

char *
ferry_peer_message_to_json (const FerryPeerMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail ((guint) message->type < G_N_ELEMENTS (type_names), NULL);

  /* "type" first, then the members of that type in a fixed order (that of the examples in the
   * protocol description): the same message always gives the same text. */
  json_builder_begin_object (builder);
  add_string (builder, "type", type_names[message->type]);
  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CHAT:
      add_optional_string (builder, "id", message->chat.id);
      if (message->chat.time != FERRY_PEER_MESSAGE_NO_TIME)
        add_int (builder, "time", (guint64) message->chat.time);
      add_string (builder, "text", message->chat.text);
      break;
    case FERRY_PEER_MESSAGE_CHAT_ACK:
      add_string (builder, "id", message->chat_ack.id);
      break;
    case FERRY_PEER_MESSAGE_RELAY:
      add_string (builder, "from", message->relay.from);
      add_string (builder, "to", message->relay.to);
      add_string (builder, "code", message->relay.code);
      break;
    case FERRY_PEER_MESSAGE_OFFER:
      add_offer (builder, message);
      break;
    case FERRY_PEER_MESSAGE_ACCEPT:
      add_string (builder, "transfer", message->accept.transfer);
      if (message->accept.files != NULL)
        {
          json_builder_set_member_name (builder, "files");
          json_builder_begin_array (builder);
          for (guint i = 0; i < message->accept.files->len; i++)
            json_builder_add_int_value (builder, g_array_index (message->accept.files, guint, i));
          json_builder_end_array (builder);
        }
      break;
    case FERRY_PEER_MESSAGE_DECLINE:
      add_string (builder, "transfer", message->decline.transfer);
      add_optional_string (builder, "reason", message->decline.reason);
      break;
    case FERRY_PEER_MESSAGE_CANCEL:
      add_string (builder, "transfer", message->cancel.transfer);
      add_optional_string (builder, "reason", message->cancel.reason);
      break;
    case FERRY_PEER_MESSAGE_PAUSE:
      add_string (builder, "transfer", message->pause.transfer);
      break;
    case FERRY_PEER_MESSAGE_RESUME:
      add_string (builder, "transfer", message->resume.transfer);
      break;
    case FERRY_PEER_MESSAGE_FILE_DONE:
      add_string (builder, "transfer", message->file_done.transfer);
      add_int (builder, "file", message->file_done.file);
      add_string (builder, "sha256", message->file_done.sha256);
      break;
    case FERRY_PEER_MESSAGE_FILE_FAILED:
      add_string (builder, "transfer", message->file_failed.transfer);
      add_int (builder, "file", message->file_failed.file);
      add_optional_string (builder, "reason", message->file_failed.reason);
      break;
    case FERRY_PEER_MESSAGE_RESTART:
      add_string (builder, "transfer", message->restart.transfer);
      add_int (builder, "file", message->restart.file);
      add_optional_string (builder, "reason", message->restart.reason);
      break;
    case FERRY_PEER_MESSAGE_RESUME_STATE:
      add_resume_state (builder, message);
      break;
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return ferry_json_escape_raw_controls (json_generator_to_data (generator, NULL));
}

/* Parsing
 *
 * The whole text is checked once by ferry_json_skip_value (); members are then looked up with
 * ferry_json_object_find_member (), on the message or on an object inside one of its arrays,
 * and each value is read from its extent.  A missing required member, a value of the wrong JSON
 * type or one that breaks a rule makes the whole message MALFORMED. */

/* Compared as UTF-16 code units, so that any escaping of the same name matches. */
static gboolean
units_equal (GArray     *units,
             const char *ascii)
{
  gsize n = strlen (ascii);

  if (units->len != n)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (g_array_index (units, gunichar2, i) != (guchar) ascii[i])
      return FALSE;
  return TRUE;
}

typedef enum {
  LOOKUP_FAILED,
  LOOKUP_ABSENT,
  LOOKUP_FOUND,
} Lookup;

/* Finds member @name of the object [@json, @json + @len), already known to be well-formed JSON.
 * When @required, a missing member is an error (LOOKUP_FAILED). */
static Lookup
lookup (const char  *json,
        gsize        len,
        const char  *name,
        gboolean     required,
        const char **value,
        const char **value_end,
        GError     **error)
{
  g_autoptr(GError) local = NULL;

  if (ferry_json_object_find_member (json, len, name, value, value_end, &local))
    return LOOKUP_FOUND;
  if (local != NULL)
    return (malformed (error, "%s", local->message), LOOKUP_FAILED);
  if (required)
    return (malformed (error, _("“%s” is missing"), name), LOOKUP_FAILED);
  return LOOKUP_ABSENT;
}

/* The string value [@value, @value_end) as UTF-16 code units. */
static GArray *
read_units (const char  *value,
            const char  *value_end,
            const char  *name,
            GError     **error)
{
  g_autoptr(GError) local = NULL;
  GArray *units;

  if (*value != '"')
    return (malformed (error, _("“%s” is not a string"), name), NULL);
  if (!(units = ferry_json_string_decode (&value, value_end, &local)))
    malformed (error, "%s", local->message);
  return units;
}

/* A string value as UTF-8 text, as JavaScript would show it: lone surrogates become U+FFFD. */
static char *
read_text (const char  *value,
           const char  *value_end,
           const char  *name,
           GError     **error)
{
  g_autoptr(GArray) units = read_units (value, value_end, name, error);
  g_autofree char *text = NULL;
  gsize text_len;

  if (units == NULL)
    return NULL;
  text = ferry_utf16_to_utf8 ((const gunichar2 *) units->data, units->len, &text_len);
  if (memchr (text, '\0', text_len) != NULL)
    return (malformed (error, _("“%s” contains the character U+0000"), name), NULL);
  return g_steal_pointer (&text);
}

/* An id (base64url) or, when @hex, a SHA-256 digest (lowercase hex). */
static char *
read_token (const char  *value,
            const char  *value_end,
            const char  *name,
            gboolean     hex,
            GError     **error)
{
  g_autoptr(GArray) units = read_units (value, value_end, name, error);
  gsize length = hex ? FERRY_PEER_MESSAGE_SHA256_LENGTH : FERRY_PEER_MESSAGE_ID_LENGTH;
  g_autofree char *token = NULL;

  if (units == NULL)
    return NULL;
  if (units->len == length)
    {
      token = g_malloc (length + 1);
      for (gsize i = 0; i < length && token != NULL; i++)
        {
          gunichar2 c = g_array_index (units, gunichar2, i);

          if (hex ? is_lower_hex (c) : is_base64url (c))
            token[i] = (char) c;
          else
            g_clear_pointer (&token, g_free);
        }
    }
  if (token == NULL)
    {
      if (hex)
        malformed (error, _("“%s” is not 64 lowercase hexadecimal digits"), name);
      else
        malformed (error, _("“%s” is not an id of 22 base64url characters"), name);
      return NULL;
    }
  token[length] = '\0';
  return g_steal_pointer (&token);
}

static char *
read_id (const char  *value,
         const char  *value_end,
         const char  *name,
         GError     **error)
{
  return read_token (value, value_end, name, FALSE, error);
}

static char *
read_sha256 (const char  *value,
             const char  *value_end,
             const char  *name,
             GError     **error)
{
  return read_token (value, value_end, name, TRUE, error);
}

/* A number value that is a whole number from 0 to @max (at most 2^53), in any JSON spelling:
 * what JavaScript's Number.isInteger () accepts, except that the value is taken exactly rather
 * than rounded to a double.  @value is well-formed JSON, so a number follows the grammar
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. */
static gboolean
read_integer (const char  *value,
              const char  *value_end,
              const char  *name,
              guint64      max,
              guint64     *out,
              GError     **error)
{
  const char *p = value;
  gboolean negative = FALSE;
  guint64 significand = 0;   /* the digits from the first non-zero one to the last one */
  gint64 n_significant = 0;  /* how many digits that is */
  gint64 zeros = 0;          /* zeros read after the last non-zero digit, not yet in it */
  gint64 n_fraction = 0;     /* digits after the point */
  gint64 exponent = 0;
  gboolean in_fraction = FALSE;

  if (p < value_end && *p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p >= value_end || !g_ascii_isdigit (*p))
    return malformed (error, _("“%s” is not a number"), name);

  for (; p < value_end && (g_ascii_isdigit (*p) || (*p == '.' && !in_fraction)); p++)
    {
      if (*p == '.')
        {
          in_fraction = TRUE;
          continue;
        }
      if (in_fraction)
        n_fraction++;
      if (*p == '0')
        {
          if (n_significant > 0)
            zeros++;
          continue;
        }
      /* Only up to 17 digits are kept: more is too large or not whole, told apart below. */
      for (gint64 i = 0; i <= zeros; i++)
        {
          if (++n_significant <= 17)
            significand = significand * 10 + (i == zeros ? (guint64) (*p - '0') : 0);
        }
      zeros = 0;
    }
  if (p < value_end && (*p == 'e' || *p == 'E'))
    {
      gboolean exponent_negative = FALSE;

      p++;
      if (*p == '+' || *p == '-')
        exponent_negative = *p++ == '-';
      /* Saturated far beyond anything that matters: the digit counts are below 2^26. */
      for (; p < value_end && g_ascii_isdigit (*p); p++)
        exponent = MIN (exponent * 10 + (*p - '0'), (gint64) 1000000000);
      if (exponent_negative)
        exponent = -exponent;
    }

  if (n_significant == 0)
    {
      /* Zero, however written ("-0", "0.0e5"). */
      *out = 0;
      return TRUE;
    }
  /* The value is significand × 10^exponent, the significand ending in a non-zero digit. */
  exponent += zeros - n_fraction;
  if (exponent < 0)
    return malformed (error, _("“%s” is not a whole number"), name);
  if (negative)
    return malformed (error, _("“%s” is negative"), name);
  /* 2^53 has 16 digits. */
  if (n_significant + exponent > 16)
    return malformed (error, _("“%s” is too large"), name);
  for (gint64 i = 0; i < exponent; i++)
    significand *= 10;
  if (significand > max)
    return malformed (error, _("“%s” is too large"), name);
  *out = significand;
  return TRUE;
}

/* Member readers: look @name up in the object [@json, @json + @len) and read it. */

static char *
get_text (const char  *json,
          gsize        len,
          const char  *name,
          GError     **error)
{
  const char *value, *value_end;

  if (lookup (json, len, name, TRUE, &value, &value_end, error) != LOOKUP_FOUND)
    return NULL;
  return read_text (value, value_end, name, error);
}

/* Paths and folders: non-empty text. */
static char *
read_path (const char  *value,
           const char  *value_end,
           const char  *name,
           GError     **error)
{
  char *path = read_text (value, value_end, name, error);

  if (path != NULL && *path == '\0')
    {
      g_free (path);
      return (malformed (error, _("“%s” is empty"), name), NULL);
    }
  return path;
}

static char *
get_id (const char  *json,
        gsize        len,
        const char  *name,
        GError     **error)
{
  const char *value, *value_end;

  if (lookup (json, len, name, TRUE, &value, &value_end, error) != LOOKUP_FOUND)
    return NULL;
  return read_id (value, value_end, name, error);
}

static gboolean
get_integer (const char  *json,
             gsize        len,
             const char  *name,
             guint64      max,
             guint64     *out,
             GError     **error)
{
  const char *value, *value_end;

  if (lookup (json, len, name, TRUE, &value, &value_end, error) != LOOKUP_FOUND)
    return FALSE;
  return read_integer (value, value_end, name, max, out, error);
}

static gboolean
get_file_index (const char  *json,
                gsize        len,
                guint       *out,
                GError     **error)
{
  guint64 file;

  if (!get_integer (json, len, "file", FERRY_PEER_MESSAGE_MAX_FILES - 1, &file, error))
    return FALSE;
  *out = (guint) file;
  return TRUE;
}

/* The optional "reason": *@out stays NULL when it is absent. */
static gboolean
get_reason (const char  *json,
            gsize        len,
            char       **out,
            GError     **error)
{
  const char *value, *value_end;
  g_autofree char *reason = NULL;

  switch (lookup (json, len, "reason", FALSE, &value, &value_end, error))
    {
    case LOOKUP_FAILED:
      return FALSE;
    case LOOKUP_ABSENT:
      return TRUE;
    case LOOKUP_FOUND:
      break;
    }
  if (!(reason = read_text (value, value_end, "reason", error)))
    return FALSE;
  if (strlen (reason) > FERRY_PEER_MESSAGE_MAX_REASON_BYTES)
    return malformed (error, _("“%s” is longer than %d bytes"), "reason",
                      FERRY_PEER_MESSAGE_MAX_REASON_BYTES);
  *out = g_steal_pointer (&reason);
  return TRUE;
}

typedef gboolean (*ElementFunc) (const char  *value,
                                 const char  *value_end,
                                 gpointer     data,
                                 GError     **error);

/* Calls @func on each element of the array value [@value, @value_end), refusing more than @max
 * elements before reading the one too many. */
static gboolean
for_each_element (const char  *value,
                  const char  *value_end,
                  const char  *name,
                  guint        max,
                  ElementFunc  func,
                  gpointer     data,
                  GError     **error)
{
  const char *p = value;
  guint n = 0;

  if (*p != '[')
    return malformed (error, _("“%s” is not an array"), name);
  p++;
  ferry_json_skip_ws (&p, value_end);
  if (p < value_end && *p == ']')
    return TRUE;
  for (;;)
    {
      g_autoptr(GError) local = NULL;
      const char *start;

      ferry_json_skip_ws (&p, value_end);
      start = p;
      if (!ferry_json_skip_value (&p, value_end, &local))
        return malformed (error, "%s", local->message);
      if (n++ == max)
        return malformed (error, _("“%s” has too many entries"), name);
      if (!func (start, p, data, error))
        return FALSE;
      ferry_json_skip_ws (&p, value_end);
      if (p < value_end && *p == ',')
        p++;
      else if (p < value_end && *p == ']')
        return TRUE;
      else
        return malformed (error, _("“%s” is not an array"), name);
    }
}

static gboolean
parse_chat (FerryPeerMessage  *message,
            const char        *json,
            gsize              len,
            GError           **error)
{
  const char *value, *value_end;
  guint64 time;

  message->chat.time = FERRY_PEER_MESSAGE_NO_TIME;
  if (!(message->chat.text = get_text (json, len, "text", error)))
    return FALSE;
  switch (lookup (json, len, "id", FALSE, &value, &value_end, error))
    {
    case LOOKUP_FAILED:
      return FALSE;
    case LOOKUP_ABSENT:
      break;
    case LOOKUP_FOUND:
      if (!(message->chat.id = read_id (value, value_end, "id", error)))
        return FALSE;
      break;
    }
  switch (lookup (json, len, "time", FALSE, &value, &value_end, error))
    {
    case LOOKUP_FAILED:
      return FALSE;
    case LOOKUP_ABSENT:
      break;
    case LOOKUP_FOUND:
      if (!read_integer (value, value_end, "time", FERRY_PEER_MESSAGE_MAX_INTEGER, &time, error))
        return FALSE;
      message->chat.time = (gint64) time;
      break;
    }
  return TRUE;
}

static gboolean
parse_chat_ack (FerryPeerMessage  *message,
                const char        *json,
                gsize              len,
                GError           **error)
{
  message->chat_ack.id = get_id (json, len, "id", error);
  return message->chat_ack.id != NULL;
}

typedef struct {
  FerryPeerMessage *message;
  guint64           sum;        /* of the sizes read so far, while at most 2^53 */
  gboolean          too_large;  /* the sum passed 2^53, so no total can match it */
} OfferFiles;

static gboolean
offer_file_cb (const char  *value,
               const char  *value_end,
               gpointer     data,
               GError     **error)
{
  OfferFiles *offer = data;
  gsize len = value_end - value;
  FerryPeerMessageOfferFile file = { NULL, 0, 0 };
  guint64 mtime;

  if (*value != '{')
    return malformed (error, _("an entry of “%s” is not an object"), "files");
  if (!(file.path = get_text (value, len, "path", error)))
    return FALSE;
  if (*file.path == '\0' ||
      !get_integer (value, len, "size", FERRY_PEER_MESSAGE_MAX_INTEGER, &file.size, error) ||
      !get_integer (value, len, "mtime", FERRY_PEER_MESSAGE_MAX_INTEGER, &mtime, error))
    {
      if (*file.path == '\0')
        malformed (error, _("“%s” is empty"), "path");
      g_free (file.path);
      return FALSE;
    }
  file.mtime = (gint64) mtime;
  g_array_append_val (offer->message->offer.files, file);

  /* Both at most 2^53: the addition cannot wrap. */
  if (!offer->too_large)
    {
      offer->sum += file.size;
      offer->too_large = offer->sum > FERRY_PEER_MESSAGE_MAX_INTEGER;
    }
  return TRUE;
}

static gboolean
folder_cb (const char  *value,
           const char  *value_end,
           gpointer     data,
           GError     **error)
{
  GPtrArray *folders = data;
  char *folder = read_path (value, value_end, "folders", error);

  if (folder == NULL)
    return FALSE;
  g_ptr_array_add (folders, folder);
  return TRUE;
}

static gboolean
parse_offer (FerryPeerMessage  *message,
             const char        *json,
             gsize              len,
             GError           **error)
{
  OfferFiles offer = { message, 0, FALSE };
  const char *value, *value_end;

  message->offer.files = offer_files_new ();
  message->offer.folders = g_ptr_array_new_with_free_func (g_free);
  if (!(message->offer.transfer = get_id (json, len, "transfer", error)))
    return FALSE;

  if (lookup (json, len, "files", TRUE, &value, &value_end, error) != LOOKUP_FOUND ||
      !for_each_element (value, value_end, "files", FERRY_PEER_MESSAGE_MAX_FILES,
                         offer_file_cb, &offer, error))
    return FALSE;

  switch (lookup (json, len, "folders", FALSE, &value, &value_end, error))
    {
    case LOOKUP_FAILED:
      return FALSE;
    case LOOKUP_ABSENT:
      break;
    case LOOKUP_FOUND:
      if (!for_each_element (value, value_end, "folders", G_MAXUINT,
                             folder_cb, message->offer.folders, error))
        return FALSE;
      break;
    }

  if (!get_integer (json, len, "total", FERRY_PEER_MESSAGE_MAX_INTEGER, &message->offer.total,
                    error))
    return FALSE;
  if (offer.too_large || message->offer.total != offer.sum)
    return malformed (error, _("“%s” is not the sum of the file sizes"), "total");
  return TRUE;
}

typedef struct {
  GArray  *files;
  FileSet  set;
} AcceptFiles;

static gboolean
accept_file_cb (const char  *value,
                const char  *value_end,
                gpointer     data,
                GError     **error)
{
  AcceptFiles *accept = data;
  guint64 file;
  guint index;

  if (!read_integer (value, value_end, "files", FERRY_PEER_MESSAGE_MAX_FILES - 1, &file, error))
    return FALSE;
  index = (guint) file;
  if (!file_set_add (&accept->set, index))
    return malformed (error, _("“%s” lists file %u twice"), "files", index);
  g_array_append_val (accept->files, index);
  return TRUE;
}

static gboolean
parse_accept (FerryPeerMessage  *message,
              const char        *json,
              gsize              len,
              GError           **error)
{
  g_autofree AcceptFiles *accept = NULL;
  const char *value, *value_end;

  if (!(message->accept.transfer = get_id (json, len, "transfer", error)))
    return FALSE;
  switch (lookup (json, len, "files", FALSE, &value, &value_end, error))
    {
    case LOOKUP_FAILED:
      return FALSE;
    case LOOKUP_ABSENT:
      /* Every file. */
      return TRUE;
    case LOOKUP_FOUND:
      break;
    }
  message->accept.files = g_array_new (FALSE, FALSE, sizeof (guint));
  accept = g_new0 (AcceptFiles, 1);
  accept->files = message->accept.files;
  return for_each_element (value, value_end, "files", FERRY_PEER_MESSAGE_MAX_FILES,
                           accept_file_cb, accept, error);
}

static gboolean
parse_decline (FerryPeerMessage  *message,
               const char        *json,
               gsize              len,
               GError           **error)
{
  return (message->decline.transfer = get_id (json, len, "transfer", error)) != NULL &&
         get_reason (json, len, &message->decline.reason, error);
}

static gboolean
parse_cancel (FerryPeerMessage  *message,
              const char        *json,
              gsize              len,
              GError           **error)
{
  return (message->cancel.transfer = get_id (json, len, "transfer", error)) != NULL &&
         get_reason (json, len, &message->cancel.reason, error);
}

static gboolean
parse_pause (FerryPeerMessage  *message,
             const char        *json,
             gsize              len,
             GError           **error)
{
  return (message->pause.transfer = get_id (json, len, "transfer", error)) != NULL;
}

static gboolean
parse_resume (FerryPeerMessage  *message,
              const char        *json,
              gsize              len,
              GError           **error)
{
  return (message->resume.transfer = get_id (json, len, "transfer", error)) != NULL;
}

static gboolean
parse_file_done (FerryPeerMessage  *message,
                 const char        *json,
                 gsize              len,
                 GError           **error)
{
  const char *value, *value_end;

  if (!(message->file_done.transfer = get_id (json, len, "transfer", error)) ||
      !get_file_index (json, len, &message->file_done.file, error) ||
      lookup (json, len, "sha256", TRUE, &value, &value_end, error) != LOOKUP_FOUND)
    return FALSE;
  message->file_done.sha256 = read_sha256 (value, value_end, "sha256", error);
  return message->file_done.sha256 != NULL;
}

static gboolean
parse_file_failed (FerryPeerMessage  *message,
                   const char        *json,
                   gsize              len,
                   GError           **error)
{
  return (message->file_failed.transfer = get_id (json, len, "transfer", error)) != NULL &&
         get_file_index (json, len, &message->file_failed.file, error) &&
         get_reason (json, len, &message->file_failed.reason, error);
}

static gboolean
parse_restart (FerryPeerMessage  *message,
               const char        *json,
               gsize              len,
               GError           **error)
{
  return (message->restart.transfer = get_id (json, len, "transfer", error)) != NULL &&
         get_file_index (json, len, &message->restart.file, error) &&
         get_reason (json, len, &message->restart.reason, error);
}

typedef struct {
  GArray  *files;
  FileSet  set;
} ResumeFiles;

static gboolean
block_cb (const char  *value,
          const char  *value_end,
          gpointer     data,
          GError     **error)
{
  GPtrArray *blocks = data;
  char *block = read_sha256 (value, value_end, "blocks", error);

  if (block == NULL)
    return FALSE;
  g_ptr_array_add (blocks, block);
  return TRUE;
}

static gboolean
resume_file_cb (const char  *value,
                const char  *value_end,
                gpointer     data,
                GError     **error)
{
  ResumeFiles *resume = data;
  gsize len = value_end - value;
  g_autoptr(GPtrArray) blocks = NULL;
  const char *blocks_value, *blocks_end;
  FerryPeerMessageResumeFile entry;

  if (*value != '{')
    return malformed (error, _("an entry of “%s” is not an object"), "files");
  if (!get_file_index (value, len, &entry.file, error))
    return FALSE;
  if (!file_set_add (&resume->set, entry.file))
    return malformed (error, _("“%s” lists file %u twice"), "files", entry.file);
  if (!get_integer (value, len, "have", FERRY_PEER_MESSAGE_MAX_INTEGER, &entry.have, error))
    return FALSE;
  if (entry.have % FERRY_PEER_MESSAGE_BLOCK_SIZE != 0)
    return malformed (error, _("“%s” is not a whole number of blocks"), "have");
  blocks = g_ptr_array_new_with_free_func (g_free);
  if (lookup (value, len, "blocks", TRUE, &blocks_value, &blocks_end, error) != LOOKUP_FOUND ||
      !for_each_element (blocks_value, blocks_end, "blocks",
                         entry.have / FERRY_PEER_MESSAGE_BLOCK_SIZE + 1, block_cb, blocks, error))
    return FALSE;
  if (entry.have != (guint64) blocks->len * FERRY_PEER_MESSAGE_BLOCK_SIZE)
    return malformed (error, _("“%s” does not match the number of blocks"), "have");
  entry.blocks = g_steal_pointer (&blocks);
  g_array_append_val (resume->files, entry);
  return TRUE;
}

static gboolean
parse_resume_state (FerryPeerMessage  *message,
                    const char        *json,
                    gsize              len,
                    GError           **error)
{
  g_autofree ResumeFiles *resume = NULL;
  const char *value, *value_end;

  message->resume_state.files = resume_files_new ();
  if (!(message->resume_state.transfer = get_id (json, len, "transfer", error)) ||
      lookup (json, len, "files", TRUE, &value, &value_end, error) != LOOKUP_FOUND)
    return FALSE;
  resume = g_new0 (ResumeFiles, 1);
  resume->files = message->resume_state.files;
  return for_each_element (value, value_end, "files", FERRY_PEER_MESSAGE_MAX_FILES,
                           resume_file_cb, resume, error);
}

static char *
get_member (const char  *json,
            gsize        len,
            const char  *name,
            GError     **error)
{
  g_autofree char *member = get_text (json, len, name, error);

  if (member != NULL && !member_is_valid (member))
    {
      malformed (error, _("“%s” is not a member id"), name);
      return NULL;
    }
  return g_steal_pointer (&member);
}

static gboolean
parse_relay (FerryPeerMessage  *message,
             const char        *json,
             gsize              len,
             GError           **error)
{
  if (!(message->relay.from = get_member (json, len, "from", error)) ||
      !(message->relay.to = get_member (json, len, "to", error)) ||
      !(message->relay.code = get_text (json, len, "code", error)))
    return FALSE;
  if (strlen (message->relay.code) > FERRY_PEER_MESSAGE_MAX_CODE_BYTES)
    return malformed (error, _("“%s” is too long"), "code");
  return TRUE;
}

typedef gboolean (*ParseFunc) (FerryPeerMessage  *message,
                               const char        *json,
                               gsize              len,
                               GError           **error);

/* Indexed by FerryPeerMessageType. */
static const ParseFunc parsers[] = {
  [FERRY_PEER_MESSAGE_CHAT] = parse_chat,
  [FERRY_PEER_MESSAGE_CHAT_ACK] = parse_chat_ack,
  [FERRY_PEER_MESSAGE_OFFER] = parse_offer,
  [FERRY_PEER_MESSAGE_ACCEPT] = parse_accept,
  [FERRY_PEER_MESSAGE_DECLINE] = parse_decline,
  [FERRY_PEER_MESSAGE_CANCEL] = parse_cancel,
  [FERRY_PEER_MESSAGE_PAUSE] = parse_pause,
  [FERRY_PEER_MESSAGE_RESUME] = parse_resume,
  [FERRY_PEER_MESSAGE_FILE_DONE] = parse_file_done,
  [FERRY_PEER_MESSAGE_FILE_FAILED] = parse_file_failed,
  [FERRY_PEER_MESSAGE_RESTART] = parse_restart,
  [FERRY_PEER_MESSAGE_RESUME_STATE] = parse_resume_state,
  [FERRY_PEER_MESSAGE_RELAY] = parse_relay,
};
G_STATIC_ASSERT (G_N_ELEMENTS (parsers) == G_N_ELEMENTS (type_names));

FerryPeerMessage *
ferry_peer_message_parse (const char  *json,
                          gsize        len,
                          GError     **error)
{
  g_autoptr(FerryPeerMessage) message = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GArray) type = NULL;
  const char *p = json;
  const char *end = json + len;
  const char *value, *value_end;
  gboolean known = FALSE;

  g_return_val_if_fail (json != NULL || len == 0, NULL);

  if (len > FERRY_PEER_MESSAGE_MAX_BYTES)
    return (malformed (error, _("it is too large")), NULL);
  if (len == 0 || !g_utf8_validate_len (json, len, NULL))
    return (malformed (error, _("it is not UTF-8 text")), NULL);
  /* Checks the whole text once, with a bound on nesting, before looking up members in it. */
  if (!ferry_json_skip_value (&p, end, &local))
    return (malformed (error, "%s", local->message), NULL);
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  if (p != end)
    return (malformed (error, _("it has trailing characters")), NULL);
  for (p = json; p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
    ;
  if (*p != '{')
    return (malformed (error, _("it is not a JSON object")), NULL);

  if (lookup (json, len, "type", TRUE, &value, &value_end, error) != LOOKUP_FOUND ||
      !(type = read_units (value, value_end, "type", error)))
    return NULL;

  message = g_new0 (FerryPeerMessage, 1);
  for (guint i = 0; i < G_N_ELEMENTS (type_names) && !known; i++)
    if (units_equal (type, type_names[i]))
      {
        message->type = i;
        known = TRUE;
      }
  if (!known)
    {
      g_set_error_literal (error, FERRY_PEER_MESSAGE_ERROR, FERRY_PEER_MESSAGE_ERROR_UNKNOWN_TYPE,
                           _("The peer sent a message of a type this version does not know"));
      return NULL;
    }

  if (!parsers[message->type] (message, json, len, error))
    return NULL;

  return g_steal_pointer (&message);
}
