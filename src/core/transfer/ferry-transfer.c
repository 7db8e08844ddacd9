/* ferry-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A session is one data channel with one FerryFileSender or FerryFileReceiver on it.  The
 * sender starts a session when the receiver accepts, when the receiver reports what it holds
 * (resume-state: after a reconnection, a restart, or the receiver's user resuming after a disk
 * error), and once more for the files whose checksum failed at the receiver.  The receiver starts
 * one for each channel the sender opens for this transfer.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ferry-crypto.h"
#include "ferry-file-receiver.h"
#include "ferry-file-sender.h"
#include "ferry-source.h"
#include "ferry-text.h"
#include "ferry-transfer-enums.h"
#include "ferry-transfer-path.h"
#include "ferry-transfer-private.h"
#include "ferry-webdrop-file.h"

#define STATE_VERSION 1
/* A file whose checksum fails is sent once more; a second failure ends the transfer. */
#define MAX_FAILURES 2
#define SAVE_INTERVAL_US G_USEC_PER_SEC
#define NOTIFY_INTERVAL_US (G_USEC_PER_SEC / 10)
#define DIGEST_LEN 32

typedef struct {
  char                   *path;      /* offered (sending) or made safe (receiving) */
  char                   *dest;      /* receiving: under the folder, the top folder renamed */
  GFile                  *file;      /* the source, or where it landed */
  guint64                 size;
  gint64                  mtime;
  FerryTransferFileState  state;
  char                   *sha256;
  GBytes                 *blocks;    /* receiving: digests at the .part's block ends we vouch for */
  GBytes                 *hash_state;/* receiving: the running hash at the last of them */
  guint                   failures;
  gboolean                resend;    /* sending: failed once at the receiver, to send again */
  char                   *share_id;  /* WebDrop: the share this file is */
  FerryWebdropFile       *webdrop;   /* WebDrop: the attempt under way */
  guint64                 held;      /* WebDrop: bytes of it held (receiving) or sent */
  guint                   attempts;  /* WebDrop, receiving: connections tried */
} File;

struct _FerryTransfer
{
  GObject                 parent_instance;

  char                   *id;
  FerryTransferDirection  direction;
  FerryTransferState      state;
  FerryPeer              *peer;
  char                   *peer_name;
  char                   *fingerprint;
  char                   *room_link;    /* where it was offered, for the user to go back */
  GArray                 *files;        /* File */
  GPtrArray              *folders;      /* char *, NULL-terminated */
  GFile                  *folder;
  char                   *reason;
  gboolean                answered;     /* the receiver accepted */
  gboolean                paused_locally;
  gboolean                paused_remotely;
  guint64                 bytes_done;
  guint64                 session_base;
  guint64                 carried_before; /* file bytes of this process's ended sessions */
  gint64                  last_notify_us;

  FerryDataChannel       *channel;
  FerryFileSender        *sender;
  gboolean                sender_idle;  /* the session's sender has sent every file */
  FerryFileReceiver      *receiver;
  GMainContext           *context;
  GSource                *ask_again;    /* the receiver repeats its resume state */
  guint                   ask_again_s;

  FerryRtcConfig         *webdrop_config; /* with a WebDrop peer: for its file connections */
  GSource                *webdrop_idle; /* sending to WebDrop: no receiver came back in time */

  GFile                  *state_file;
  gboolean                saving;
  gboolean                save_again;
  gint64                  last_save_us;
};

G_DEFINE_FINAL_TYPE (FerryTransfer, ferry_transfer, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-transfer-error-quark, ferry_transfer_error)

enum {
  PROP_0,
  PROP_ID,
  PROP_DIRECTION,
  PROP_STATE,
  PROP_PEER,
  PROP_PEER_NAME,
  PROP_TOTAL,
  PROP_BYTES_DONE,
  PROP_REASON,
  PROP_PAUSED_LOCALLY,
  PROP_PAUSED_REMOTELY,
  PROP_FOLDER,
  N_PROPS
};

enum {
  FILE_DONE,
  FILE_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void save (FerryTransfer *self, gboolean now);
static void start_sending (FerryTransfer *self, const FerryPeerMessage *resume_state);

/* What a receiving File vouches for: the digests of @blocks, and the hash's state at their end. */
static void
set_blocks (File   *file,
            GBytes *blocks,
            GBytes *hash_state)
{
  g_clear_pointer (&file->blocks, g_bytes_unref);
  g_clear_pointer (&file->hash_state, g_bytes_unref);
  file->blocks = blocks ? g_bytes_ref (blocks) : NULL;
  file->hash_state = hash_state ? g_bytes_ref (hash_state) : NULL;
}

static void
file_clear (gpointer data)
{
  File *file = data;

  g_free (file->path);
  g_free (file->dest);
  g_clear_object (&file->file);
  g_free (file->sha256);
  g_free (file->share_id);
  g_clear_object (&file->webdrop);
  set_blocks (file, NULL, NULL);
}

static File *
file_at (FerryTransfer *self,
         guint          index)
{
  return index < self->files->len ? &g_array_index (self->files, File, index) : NULL;
}

gboolean
ferry_transfer_is_finished (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), TRUE);

  return self->state >= FERRY_TRANSFER_STATE_DONE;
}

static gboolean
sending (FerryTransfer *self)
{
  return self->direction == FERRY_TRANSFER_DIRECTION_SEND;
}

/* Sending a message to the peer; a peer that is away gets it on the next meeting's resync. */
static void
send_message (FerryTransfer    *self,
              FerryPeerMessage *message)
{
  g_autoptr(FerryPeerMessage) owned = message;
  g_autoptr(GError) error = NULL;

  if (self->webdrop_config != NULL)
    return;
  if (self->peer != NULL && !ferry_peer_send_message (self->peer, owned, &error))
    g_debug ("Transfer %s: could not send %s: %s", self->id,
             ferry_peer_message_type_to_string (owned->type), error->message);
}

/* Progress */

static guint64
session_bytes (FerryTransfer *self)
{
  if (self->sender != NULL)
    return ferry_file_sender_get_bytes_sent (self->sender);
  if (self->receiver != NULL)
    return ferry_file_receiver_get_bytes_received (self->receiver);
  return 0;
}

/* WebDrop: each file has its own connection, and its bytes are counted per file. */
static guint64
webdrop_bytes (FerryTransfer *self)
{
  guint64 bytes = 0;

  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);

      if (file->state == FERRY_TRANSFER_FILE_DONE)
        bytes += file->size;
      else if (file->state == FERRY_TRANSFER_FILE_PENDING)
        bytes += file->webdrop != NULL ? ferry_webdrop_file_get_bytes (file->webdrop) : file->held;
    }
  return bytes;
}

static void
update_bytes_done (FerryTransfer *self,
                   gboolean       force)
{
  guint64 done = MIN (self->webdrop_config != NULL ? webdrop_bytes (self)
                                                   : self->session_base + session_bytes (self),
                      ferry_transfer_get_total (self));
  gint64 now = g_get_monotonic_time ();

  if (done == self->bytes_done)
    return;
  self->bytes_done = done;
  if (force || now - self->last_notify_us >= NOTIFY_INTERVAL_US)
    {
      self->last_notify_us = now;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_DONE]);
    }
}

/* What the files finished so far and the offsets the session starts from add up to. */
static void
reset_session_base (FerryTransfer *self,
                    guint64        offsets)
{
  self->session_base = offsets;
  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->state == FERRY_TRANSFER_FILE_DONE)
      self->session_base += file_at (self, i)->size;
  update_bytes_done (self, TRUE);
}

/* Sessions */

static void
webdrop_stop (FerryTransfer *self,
              File          *file)
{
  if (file->webdrop == NULL)
    return;
  file->held = ferry_webdrop_file_get_bytes (file->webdrop);
  self->carried_before += ferry_webdrop_file_get_carried (file->webdrop);
  g_signal_handlers_disconnect_by_data (file->webdrop, self);
  ferry_webdrop_file_cancel (file->webdrop);
  g_clear_object (&file->webdrop);
}

static void
stop_session (FerryTransfer *self)
{
  guint64 bytes = session_bytes (self);

  for (guint i = 0; i < self->files->len; i++)
    webdrop_stop (self, file_at (self, i));
  g_clear_pointer (&self->webdrop_idle, g_source_destroy);

  /* The progress stays where the session left it (until the next one says what it starts
   * from), and a finished transfer shows all of it. */
  self->carried_before += bytes;
  self->session_base += bytes;
  if (self->sender != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sender, self);
      ferry_file_sender_cancel (self->sender);
      g_clear_object (&self->sender);
    }
  if (self->receiver != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->receiver, self);
      ferry_file_receiver_cancel (self->receiver);
      g_clear_object (&self->receiver);
    }
  if (self->channel != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->channel, self);
      /* The sender's channel ends with its session; the receiver leaves closing to the sender. */
      if (sending (self))
        ferry_data_channel_close (self->channel);
      g_clear_object (&self->channel);
    }
  self->sender_idle = FALSE;
  g_clear_pointer (&self->ask_again, g_source_destroy);
}

static void set_state (FerryTransfer *self, FerryTransferState state, const char *reason);
static void collect_blocks (FerryTransfer *self);
static void send_resume_state (FerryTransfer *self);

/* A receiver that told the sender what it holds waits for the sender's channel.  That message,
 * or the channel, can be lost with the connection it travelled on while the peer stays: two
 * connections made at once, the one closed as the duplicate carrying it.  Nothing else would
 * start the session again, so the receiver repeats itself, less and less often. */
#define ASK_AGAIN_FIRST_S 5
#define ASK_AGAIN_MAX_S   80

static gboolean
ask_again_cb (gpointer user_data)
{
  FerryTransfer *self = user_data;

  self->ask_again = NULL;
  if (self->peer != NULL && self->receiver == NULL && !ferry_transfer_is_finished (self))
    {
      g_debug ("Transfer %s: no channel from the sender after %u s; asking again", self->id,
               self->ask_again_s);
      self->ask_again_s = MIN (self->ask_again_s * 2, ASK_AGAIN_MAX_S);
      send_resume_state (self);
    }
  return G_SOURCE_REMOVE;
}

static void
ask_again_later (FerryTransfer *self)
{
  g_clear_pointer (&self->ask_again, g_source_destroy);
  self->ask_again = ferry_source_attach (g_timeout_source_new_seconds (self->ask_again_s), self->context,
                                         G_PRIORITY_DEFAULT, ask_again_cb, self, NULL);
}

/* The session's channel closed under it: the peer left, or the connection broke.  The sender's
 * engine may have finished already (waiting for the last results), so this is watched here. */
static void
channel_closed_cb (FerryDataChannel *channel,
                   FerryTransfer    *self)
{
  if (ferry_transfer_is_finished (self))
    return;
  g_debug ("Transfer %s: the channel closed", self->id);
  if (self->receiver != NULL)
    collect_blocks (self);
  stop_session (self);
  set_state (self, FERRY_TRANSFER_STATE_WAITING, NULL);
  if (!sending (self) && self->peer != NULL && self->answered)
    ask_again_later (self);
}

static void
watch_channel (FerryTransfer    *self,
               FerryDataChannel *channel)
{
  self->channel = channel;
  g_signal_connect (channel, "close", G_CALLBACK (channel_closed_cb), self);
}

static void
set_reason (FerryTransfer *self,
            const char    *reason)
{
  if (g_strcmp0 (self->reason, reason) == 0)
    return;
  g_free (self->reason);
  self->reason = g_strdup (reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
}

static void delete_parts (FerryTransfer *self);

static void
set_state (FerryTransfer      *self,
           FerryTransferState  state,
           const char         *reason)
{
  g_autoptr(FerryTransfer) ref = g_object_ref (self);

  if (ferry_transfer_is_finished (self))
    return;
  if (reason != NULL)
    set_reason (self, reason);
  if (state >= FERRY_TRANSFER_STATE_DONE)
    {
      stop_session (self);
      if (state == FERRY_TRANSFER_STATE_CANCELLED && !sending (self) && self->answered)
        delete_parts (self);
    }
  if (state != self->state)
    {
      g_debug ("Transfer %s: %s", self->id, ferry_enum_nick (FERRY_TYPE_TRANSFER_STATE, state));
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  update_bytes_done (self, TRUE);
  save (self, TRUE);
}

/* The state while bytes may flow. */
static FerryTransferState
active_state (FerryTransfer *self)
{
  return self->paused_locally || self->paused_remotely ? FERRY_TRANSFER_STATE_PAUSED
                                                       : FERRY_TRANSFER_STATE_RUNNING;
}

static void
set_paused (FerryTransfer *self,
            gboolean      *flag,
            gboolean       paused)
{
  if (*flag == paused)
    return;
  *flag = paused;
  g_object_notify_by_pspec (G_OBJECT (self),
                            properties[flag == &self->paused_locally ? PROP_PAUSED_LOCALLY
                                                                     : PROP_PAUSED_REMOTELY]);
  if (self->sender != NULL)
    {
      if (self->paused_locally || self->paused_remotely)
        ferry_file_sender_pause (self->sender);
      else
        ferry_file_sender_resume (self->sender);
    }
  if (self->state == FERRY_TRANSFER_STATE_RUNNING || self->state == FERRY_TRANSFER_STATE_PAUSED)
    set_state (self, active_state (self), NULL);
  else
    save (self, TRUE);
}

/* Every accepted file has its result: the end. */
static void
check_finished (FerryTransfer *self)
{
  guint failed = 0, accepted = 0;
  const char *last_reason = NULL;

  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);

      if (file->state == FERRY_TRANSFER_FILE_PENDING)
        return;
      if (file->state != FERRY_TRANSFER_FILE_SKIPPED)
        accepted++;
      if (file->state == FERRY_TRANSFER_FILE_FAILED)
        failed++;
    }

  if (failed == 0)
    {
      set_state (self, FERRY_TRANSFER_STATE_DONE, NULL);
      return;
    }
  last_reason = self->reason;
  {
    g_autofree char *reason = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%u of %u files failed",
                                                            "%u of %u files failed", accepted),
                                               failed, accepted);
    g_autofree char *full = last_reason ? g_strdup_printf ("%s: %s", reason, last_reason)
                                        : g_steal_pointer (&reason);
    set_state (self, FERRY_TRANSFER_STATE_FAILED, full);
  }
}

static void
fail_file (FerryTransfer *self,
           guint          index,
           const char    *reason)
{
  File *file = file_at (self, index);

  file->state = FERRY_TRANSFER_FILE_FAILED;
  set_reason (self, reason);
  g_signal_emit (self, signals[FILE_FAILED], 0, index, reason);
}

/* Sending */

static void
sender_progress_cb (FerryFileSender *sender,
                    GParamSpec      *pspec,
                    FerryTransfer   *self)
{
  update_bytes_done (self, FALSE);
}

/* What the receiver is told of an error of the sender: its messages name local paths, which are
 * none of the receiver's business. */
static const char *
sender_error_for_peer (const GError *error)
{
  if (g_error_matches (error, FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_SOURCE_CHANGED))
    return _("The file changed on the sender’s computer after it was offered");
  if (error->domain == G_IO_ERROR)
    return _("The sender could not read the file");
  return _("The transfer failed on the sender’s side");
}

static void
sender_file_refused_cb (FerryFileSender *sender,
                        guint            index,
                        const GError    *error,
                        FerryTransfer   *self)
{
  /* The source changed since the offer: never mixed into the receiver's old bytes. */
  send_message (self, ferry_peer_message_new_file_failed (self->id, index, sender_error_for_peer (error)));
  fail_file (self, index, error->message);
  save (self, TRUE);
}

static void
sender_file_restarted_cb (FerryFileSender *sender,
                          guint            index,
                          FerryTransfer   *self)
{
  send_message (self, ferry_peer_message_new_restart (
                        self->id, index, _("The bytes the receiver holds differ from the file; "
                                           "sending it again from the start")));
}

static void
sender_finished_cb (FerryFileSender *sender,
                    FerryTransfer   *self)
{
  self->sender_idle = TRUE;
  /* Files that failed their checksum go once more, on a channel of their own. */
  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->resend)
      {
        start_sending (self, NULL);
        return;
      }
  check_finished (self);
}

static void
sender_failed_cb (FerryFileSender *sender,
                  const GError    *error,
                  FerryTransfer   *self)
{
  g_debug ("Transfer %s: sending stopped: %s", self->id, error->message);
  stop_session (self);
  /* A channel that broke comes back with the peer: the receiver then says what it holds. */
  if (g_error_matches (error, FERRY_FILE_SENDER_ERROR, FERRY_FILE_SENDER_ERROR_CHANNEL))
    {
      set_state (self, FERRY_TRANSFER_STATE_WAITING, NULL);
      return;
    }
  send_message (self, ferry_peer_message_new_cancel (self->id, sender_error_for_peer (error)));
  set_state (self, FERRY_TRANSFER_STATE_FAILED, error->message);
}

/* Starts a session with every accepted file still to send: those the receiver reports in
 * @resume_state from the offset it holds, the others from 0; or, after a session ended, only
 * the files to send again. */
static void
start_sending (FerryTransfer          *self,
               const FerryPeerMessage *resume_state)
{
  g_autoptr(GArray) items = g_array_new (FALSE, TRUE, sizeof (FerryFileSenderItem));
  g_autoptr(GPtrArray) blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *label = NULL;
  gboolean resend_only = FALSE;
  guint64 offsets = 0;
  FerryDataChannel *channel;

  stop_session (self);
  for (guint i = 0; i < self->files->len; i++)
    resend_only |= file_at (self, i)->resend;

  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);
      FerryFileSenderItem item = { file->file, i, 0, file->size, file->mtime, NULL };

      if (file->state != FERRY_TRANSFER_FILE_PENDING || (resend_only && !file->resend))
        continue;
      file->resend = FALSE;
      for (guint j = 0; resume_state != NULL && j < resume_state->resume_state.files->len; j++)
        {
          const FerryPeerMessageResumeFile *entry =
            &g_array_index (resume_state->resume_state.files, FerryPeerMessageResumeFile, j);
          g_autoptr(GByteArray) digests = g_byte_array_new ();

          if (entry->file != i || entry->have > file->size)
            continue;
          for (guint k = 0; k < entry->blocks->len; k++)
            {
              guint8 digest[DIGEST_LEN];

              ferry_hex_decode (g_ptr_array_index (entry->blocks, k), -1, '\0', digest, sizeof digest);
              g_byte_array_append (digests, digest, sizeof digest);
            }
          item.offset = entry->have;
          item.blocks = g_byte_array_free_to_bytes (g_steal_pointer (&digests));
          g_ptr_array_add (blocks, item.blocks);
        }
      offsets += item.offset;
      g_array_append_val (items, item);
    }

  if (items->len == 0)
    {
      check_finished (self);
      return;
    }

  label = g_strconcat (FERRY_PEER_TRANSFER_CHANNEL_PREFIX, self->id, NULL);
  if (self->peer == NULL || !(channel = ferry_peer_open_data_channel (self->peer, label, &error)))
    {
      g_debug ("Transfer %s: no channel: %s", self->id, error ? error->message : "peer away");
      set_state (self, FERRY_TRANSFER_STATE_WAITING, NULL);
      return;
    }
  watch_channel (self, channel);

  self->sender = ferry_file_sender_new (self->channel, (FerryFileSenderItem *) items->data, items->len);
  g_signal_connect (self->sender, "notify::bytes-sent", G_CALLBACK (sender_progress_cb), self);
  g_signal_connect (self->sender, "file-refused", G_CALLBACK (sender_file_refused_cb), self);
  g_signal_connect (self->sender, "file-restarted", G_CALLBACK (sender_file_restarted_cb), self);
  g_signal_connect (self->sender, "finished", G_CALLBACK (sender_finished_cb), self);
  g_signal_connect (self->sender, "failed", G_CALLBACK (sender_failed_cb), self);
  if (self->paused_locally || self->paused_remotely)
    ferry_file_sender_pause (self->sender);
  reset_session_base (self, offsets);
  set_state (self, active_state (self), NULL);
  ferry_file_sender_start (self->sender);
}

static void
handle_accept (FerryTransfer          *self,
               const FerryPeerMessage *message)
{
  GArray *accepted = message->accept.files;

  if (self->state != FERRY_TRANSFER_STATE_OFFERED)
    return;
  if (accepted != NULL)
    {
      for (guint i = 0; i < self->files->len; i++)
        file_at (self, i)->state = FERRY_TRANSFER_FILE_SKIPPED;
      for (guint i = 0; i < accepted->len; i++)
        {
          File *file = file_at (self, g_array_index (accepted, guint, i));

          if (file != NULL)
            file->state = FERRY_TRANSFER_FILE_PENDING;
        }
      if (accepted->len == 0)
        {
          set_state (self, FERRY_TRANSFER_STATE_DECLINED, NULL);
          return;
        }
    }
  self->answered = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
  start_sending (self, NULL);
}

/* The receiver's account after a reconnection: unlisted files it no longer waits for. */
static void
handle_resume_state (FerryTransfer          *self,
                     const FerryPeerMessage *message)
{
  GArray *listed = message->resume_state.files;

  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);
      gboolean found = FALSE;

      for (guint j = 0; j < listed->len && !found; j++)
        found = g_array_index (listed, FerryPeerMessageResumeFile, j).file == i;
      if (found && file->state == FERRY_TRANSFER_FILE_SKIPPED)
        file->state = FERRY_TRANSFER_FILE_PENDING;
      else if (!found && file->state == FERRY_TRANSFER_FILE_PENDING && self->answered)
        file->state = FERRY_TRANSFER_FILE_DONE;
      else if (!found && !self->answered)
        file->state = FERRY_TRANSFER_FILE_SKIPPED;
    }
  if (!self->answered)
    {
      self->answered = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
    }
  start_sending (self, message);
}

static void
handle_file_result (FerryTransfer          *self,
                    const FerryPeerMessage *message)
{
  guint index = message->type == FERRY_PEER_MESSAGE_FILE_DONE ? message->file_done.file
                                                              : message->file_failed.file;
  File *file = file_at (self, index);

  if (file == NULL || file->state != FERRY_TRANSFER_FILE_PENDING)
    return;

  if (message->type == FERRY_PEER_MESSAGE_FILE_DONE)
    {
      file->state = FERRY_TRANSFER_FILE_DONE;
      g_free (file->sha256);
      file->sha256 = g_strdup (message->file_done.sha256);
      g_signal_emit (self, signals[FILE_DONE], 0, index);
    }
  else if (++file->failures < MAX_FAILURES)
    {
      g_debug ("Transfer %s: file %u failed at the receiver (%s); sending it again", self->id,
               index, message->file_failed.reason);
      file->resend = TRUE;
      if (self->sender_idle)
        start_sending (self, NULL);
    }
  else
    fail_file (self, index, message->file_failed.reason ? message->file_failed.reason
                                                        : _("The receiver could not check the file"));
  save (self, FALSE);
  if (self->sender_idle)
    check_finished (self);
}

/* Receiving */

static GFile *
part_file (FerryTransfer *self,
           File          *file)
{
  g_autofree char *part = ferry_transfer_path_part_name (file->dest);

  return g_file_resolve_relative_path (self->folder, part);
}

static void
delete_parts_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GPtrArray *parts = task_data;

  for (guint i = 0; i < parts->len; i++)
    g_file_delete (g_ptr_array_index (parts, i), NULL, NULL);
}

/* Cancelled: what arrived of the unfinished files goes (and of a WebDrop file that failed, which
 * can never resume: WebDrop peers have no lasting identity). */
static void
delete_parts_in (FerryTransfer          *self,
                 FerryTransferFileState  state)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  GPtrArray *parts = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->state == state && file_at (self, i)->dest != NULL)
      g_ptr_array_add (parts, part_file (self, file_at (self, i)));
  g_task_set_task_data (task, parts, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, delete_parts_thread);
}

static void
delete_parts (FerryTransfer *self)
{
  delete_parts_in (self, FERRY_TRANSFER_FILE_PENDING);
}

/* Keeps the block digests of the .part files, so that a later session can prove them. */
static void
collect_blocks (FerryTransfer *self)
{
  if (self->receiver == NULL)
    return;
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);
      g_autoptr(GBytes) blocks = NULL;
      g_autoptr(GBytes) hash_state = NULL;

      if (file->state != FERRY_TRANSFER_FILE_PENDING ||
          !(blocks = ferry_file_receiver_get_block_hashes (self->receiver, i, &hash_state)))
        continue;
      /* While the receiver reads a resumed prefix back, it knows fewer blocks than we do. */
      if (file->blocks == NULL || g_bytes_get_size (blocks) > g_bytes_get_size (file->blocks))
        set_blocks (file, blocks, hash_state);
    }
}

static void
receiver_progress_cb (FerryFileReceiver *receiver,
                      GParamSpec        *pspec,
                      FerryTransfer     *self)
{
  update_bytes_done (self, FALSE);
  collect_blocks (self);
  save (self, FALSE);
}

static void
receiver_file_received_cb (FerryFileReceiver *receiver,
                           guint              index,
                           GFile             *final,
                           const char        *sha256,
                           FerryTransfer     *self)
{
  File *file = file_at (self, index);

  file->state = FERRY_TRANSFER_FILE_DONE;
  g_set_object (&file->file, final);
  g_free (file->sha256);
  file->sha256 = g_strdup (sha256);
  set_blocks (file, NULL, NULL);
  send_message (self, ferry_peer_message_new_file_done (self->id, index, sha256));
  g_signal_emit (self, signals[FILE_DONE], 0, index);
  save (self, TRUE);
  check_finished (self);
}

static void
receiver_file_failed_cb (FerryFileReceiver *receiver,
                         guint              index,
                         const GError      *error,
                         FerryTransfer     *self)
{
  File *file = file_at (self, index);

  send_message (self, ferry_peer_message_new_file_failed (self->id, index, error->message));
  set_blocks (file, NULL, NULL);
  if (++file->failures >= MAX_FAILURES)
    {
      fail_file (self, index, error->message);
      check_finished (self);
    }
  save (self, TRUE);
}

static void
receiver_failed_cb (FerryFileReceiver *receiver,
                    const GError      *error,
                    FerryTransfer     *self)
{
  g_debug ("Transfer %s: receiving stopped: %s", self->id, error->message);
  collect_blocks (self);
  stop_session (self);

  if (g_error_matches (error, FERRY_FILE_RECEIVER_ERROR, FERRY_FILE_RECEIVER_ERROR_CHANNEL))
    set_state (self, FERRY_TRANSFER_STATE_WAITING, NULL);
  else if (error->domain == G_IO_ERROR)
    {
      /* Our disk (full, say): the .part files stay, and resuming goes on from them. */
      send_message (self, ferry_peer_message_new_pause (self->id));
      set_reason (self, error->message);
      set_paused (self, &self->paused_locally, TRUE);
      set_state (self, FERRY_TRANSFER_STATE_PAUSED, NULL);
    }
  else
    {
      send_message (self, ferry_peer_message_new_cancel (self->id, error->message));
      set_state (self, FERRY_TRANSFER_STATE_FAILED, error->message);
    }
}

static guint64
vouched_bytes (File *file)
{
  return file->blocks ? g_bytes_get_size (file->blocks) / DIGEST_LEN * FERRY_FILE_RECEIVER_BLOCK_SIZE : 0;
}

void
_ferry_transfer_handle_channel (FerryTransfer    *self,
                                FerryDataChannel *channel)
{
  g_autoptr(GArray) items = g_array_new (FALSE, TRUE, sizeof (FerryFileReceiverItem));
  guint64 offsets = 0;

  g_return_if_fail (FERRY_IS_TRANSFER (self));

  if (sending (self) || !self->answered || ferry_transfer_is_finished (self))
    {
      ferry_data_channel_close (channel);
      return;
    }

  collect_blocks (self);
  stop_session (self);
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);
      FerryFileReceiverItem item = { i, file->dest, file->size, vouched_bytes (file) };

      if (file->state != FERRY_TRANSFER_FILE_PENDING)
        continue;
      offsets += item.resume;
      g_array_append_val (items, item);
    }

  self->ask_again_s = ASK_AGAIN_FIRST_S;
  watch_channel (self, g_object_ref (channel));
  self->receiver = ferry_file_receiver_new (channel, self->folder,
                                            (FerryFileReceiverItem *) items->data, items->len);
  g_signal_connect (self->receiver, "notify::bytes-received", G_CALLBACK (receiver_progress_cb), self);
  g_signal_connect (self->receiver, "file-received", G_CALLBACK (receiver_file_received_cb), self);
  g_signal_connect (self->receiver, "file-failed", G_CALLBACK (receiver_file_failed_cb), self);
  g_signal_connect (self->receiver, "failed", G_CALLBACK (receiver_failed_cb), self);
  reset_session_base (self, offsets);
  set_state (self, active_state (self), NULL);
}

/* What we hold of one unfinished file, worked out in a worker thread. */
typedef struct {
  guint   index;
  GFile  *part;
  GBytes *blocks;      /* in: the digests kept in the state; out: those of every whole block held */
  GBytes *hash_state;  /* in and out: the running hash at the end of the last of them */
} Held;

static void
held_free (gpointer data)
{
  Held *held = data;

  g_object_unref (held->part);
  g_clear_pointer (&held->blocks, g_bytes_unref);
  g_clear_pointer (&held->hash_state, g_bytes_unref);
  g_free (held);
}

/* The state is saved about once a second, so the .part may hold more whole blocks than the
 * state vouches for (the program was killed just before saving).  Those few are hashed from the
 * disk here, going on from the hash's saved state, so that at most the last unfinished block
 * travels again; the long prefix the state covers is not read.  Claims beyond the .part's
 * length (a disk that lost its cache) are cut. */
static void
held_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GPtrArray *files = task_data;

  for (guint i = 0; i < files->len; i++)
    {
      Held *held = g_ptr_array_index (files, i);
      g_autoptr(GFileInfo) info = NULL;
      g_autoptr(GFileInputStream) input = NULL;
      g_autoptr(GByteArray) digests = g_byte_array_new ();
      g_autofree guint8 *buffer = NULL;
      FerryPrefixHash hash;
      guint64 n_held = 0, n_kept = 0;
      gsize len = 0, state_len = 0;
      const guint8 *kept = held->blocks ? g_bytes_get_data (held->blocks, &len) : NULL;
      const guint8 *state = held->hash_state ? g_bytes_get_data (held->hash_state, &state_len) : NULL;

      if ((info = g_file_query_info (held->part, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                     G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL)))
        n_held = g_file_info_get_size (info) / FERRY_FILE_RECEIVER_BLOCK_SIZE;
      n_kept = MIN (len / DIGEST_LEN, n_held);
      g_byte_array_append (digests, kept, n_kept * DIGEST_LEN);
      ferry_prefix_hash_init (&hash);
      /* Without the state at the last digest kept, nothing after it can be vouched for. */
      if (n_kept > 0 && (n_kept != len / DIGEST_LEN ||
                         !ferry_prefix_hash_restore (&hash, n_kept, state, state_len)))
        n_held = n_kept;

      if (n_kept < n_held && (input = g_file_read (held->part, cancellable, NULL)) &&
          g_seekable_seek (G_SEEKABLE (input), n_kept * FERRY_FILE_RECEIVER_BLOCK_SIZE, G_SEEK_SET,
                           cancellable, NULL))
        {
          buffer = g_malloc (FERRY_FILE_RECEIVER_BLOCK_SIZE);
          for (; n_kept < n_held; n_kept++)
            {
              gsize got = 0;

              if (!g_input_stream_read_all (G_INPUT_STREAM (input), buffer, FERRY_FILE_RECEIVER_BLOCK_SIZE,
                                            &got, cancellable, NULL) ||
                  got != FERRY_FILE_RECEIVER_BLOCK_SIZE)
                break;
              ferry_prefix_hash_update (&hash, buffer, got, digests);
            }
        }
      g_clear_pointer (&held->blocks, g_bytes_unref);
      held->blocks = g_byte_array_free_to_bytes (g_steal_pointer (&digests));
      g_clear_pointer (&held->hash_state, g_bytes_unref);
      if (n_kept > 0 && hash.n_blocks == n_kept)
        held->hash_state = g_bytes_new (hash.state, sizeof hash.state);
    }
  g_task_return_boolean (task, TRUE);
}

static void
held_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  FerryTransfer *self = FERRY_TRANSFER (source);
  GPtrArray *files = g_task_get_task_data (G_TASK (result));
  FerryPeer *peer = user_data;
  g_autoptr(FerryPeerMessage) message = ferry_peer_message_new_resume_state (self->id);

  /* Gone again, or over, while the disk was read: the next meeting starts over. */
  if (peer != self->peer || ferry_transfer_is_finished (self))
    {
      g_clear_object (&peer);
      return;
    }
  g_clear_object (&peer);

  for (guint i = 0; i < files->len; i++)
    {
      Held *held = g_ptr_array_index (files, i);
      File *file = file_at (self, held->index);
      g_autoptr(GPtrArray) hex = g_ptr_array_new_with_free_func (g_free);
      gsize len;
      const guint8 *digests = g_bytes_get_data (held->blocks, &len);

      if (file->state != FERRY_TRANSFER_FILE_PENDING)
        continue;
      for (gsize k = 0; k < len / DIGEST_LEN; k++)
        g_ptr_array_add (hex, ferry_hex_encode (digests + k * DIGEST_LEN, DIGEST_LEN));
      set_blocks (file, held->blocks, held->hash_state);
      ferry_peer_message_resume_state_add_file (message, held->index,
                                                (const char * const *) hex->pdata, hex->len);
    }
  send_message (self, g_steal_pointer (&message));
  if (self->paused_locally)
    send_message (self, ferry_peer_message_new_pause (self->id));
  save (self, TRUE);
  if (self->receiver == NULL)
    ask_again_later (self);
}

/* Tells the sender what we hold of each unfinished file: it goes on from there. */
static void
send_resume_state (FerryTransfer *self)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, held_done_cb, g_object_ref (self->peer));
  GPtrArray *files = g_ptr_array_new_with_free_func (held_free);

  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);
      Held *held;

      if (file->state != FERRY_TRANSFER_FILE_PENDING)
        continue;
      held = g_new0 (Held, 1);
      held->index = i;
      held->part = part_file (self, file);
      held->blocks = file->blocks ? g_bytes_ref (file->blocks) : NULL;
      held->hash_state = file->hash_state ? g_bytes_ref (file->hash_state) : NULL;
      g_ptr_array_add (files, held);
    }
  g_task_set_task_data (task, files, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, held_thread);
}

/* Messages from the peer */

void
_ferry_transfer_handle_message (FerryTransfer          *self,
                                const FerryPeerMessage *message)
{
  g_autoptr(FerryTransfer) ref = g_object_ref (self);

  g_return_if_fail (FERRY_IS_TRANSFER (self));

  if (ferry_transfer_is_finished (self))
    {
      /* A peer still working on a transfer we finished or forgot hears that it is over. */
      if (message->type == FERRY_PEER_MESSAGE_RESUME_STATE && self->state != FERRY_TRANSFER_STATE_DONE)
        send_message (self, ferry_peer_message_new_cancel (self->id, self->reason));
      return;
    }

  switch (message->type)
    {
    case FERRY_PEER_MESSAGE_CANCEL:
      set_state (self, FERRY_TRANSFER_STATE_CANCELLED,
                 message->cancel.reason ? message->cancel.reason : _("Cancelled by the other side"));
      return;
    case FERRY_PEER_MESSAGE_PAUSE:
      set_paused (self, &self->paused_remotely, TRUE);
      return;
    case FERRY_PEER_MESSAGE_RESUME:
      set_paused (self, &self->paused_remotely, FALSE);
      return;
    default:
      break;
    }

  if (sending (self))
    switch (message->type)
      {
      case FERRY_PEER_MESSAGE_ACCEPT:
        handle_accept (self, message);
        break;
      case FERRY_PEER_MESSAGE_DECLINE:
        if (self->state == FERRY_TRANSFER_STATE_OFFERED)
          set_state (self, FERRY_TRANSFER_STATE_DECLINED,
                     message->decline.reason ? message->decline.reason : _("Declined"));
        break;
      case FERRY_PEER_MESSAGE_RESUME_STATE:
        handle_resume_state (self, message);
        break;
      case FERRY_PEER_MESSAGE_FILE_DONE:
      case FERRY_PEER_MESSAGE_FILE_FAILED:
        handle_file_result (self, message);
        break;
      default:
        break;
      }
  else if (message->type == FERRY_PEER_MESSAGE_RESTART)
    {
      /* The bytes we hold of it did not match: they will be replaced from offset 0. */
      File *file = file_at (self, message->restart.file);

      g_debug ("Transfer %s: the sender restarts file %u: %s", self->id, message->restart.file,
               message->restart.reason ? message->restart.reason : "");
      if (file != NULL)
        set_blocks (file, NULL, NULL);
    }
  else if (message->type == FERRY_PEER_MESSAGE_FILE_FAILED)
    {
      /* The sender cannot send this file (it changed since the offer). */
      File *file = file_at (self, message->file_failed.file);

      if (file != NULL && file->state == FERRY_TRANSFER_FILE_PENDING)
        {
          fail_file (self, message->file_failed.file,
                     message->file_failed.reason ? message->file_failed.reason
                                                 : _("The sender could not send the file"));
          save (self, TRUE);
          check_finished (self);
        }
    }
}

void
_ferry_transfer_set_peer (FerryTransfer *self,
                          FerryPeer     *peer)
{
  g_return_if_fail (FERRY_IS_TRANSFER (self));

  if (self->peer == peer)
    return;
  /* The same friend on a newer connection: the old one's session is over. */
  if (self->peer != NULL && peer != NULL)
    _ferry_transfer_set_peer (self, NULL);
  if (peer != NULL && g_strcmp0 (ferry_peer_get_display_name (peer), self->peer_name) != 0)
    {
      g_free (self->peer_name);
      self->peer_name = g_strdup (ferry_peer_get_display_name (peer));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_NAME]);
    }
  g_set_object (&self->peer, peer);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER]);

  if (ferry_transfer_is_finished (self))
    return;
  /* A WebDrop peer that leaves is not met again: its next visit has another id. */
  if (peer == NULL && self->webdrop_config != NULL)
    {
      g_autofree char *reason = g_strdup_printf (_("%s left"), self->peer_name);

      set_state (self, FERRY_TRANSFER_STATE_FAILED, reason);
      if (!sending (self))
        delete_parts (self);
      return;
    }
  if (peer == NULL)
    {
      collect_blocks (self);
      stop_session (self);
      if (self->state != FERRY_TRANSFER_STATE_OFFERED)
        set_state (self, FERRY_TRANSFER_STATE_WAITING, NULL);
      return;
    }

  /* Met again: the sender repeats an offer not answered yet; the receiver says what it holds,
   * and the sender goes on from there. */
  if (sending (self) && self->state == FERRY_TRANSFER_STATE_OFFERED)
    _ferry_transfer_start (self);
  else if (!sending (self) && self->answered)
    send_resume_state (self);
}

/* WebDrop (docs/INTEROP.md, "WebDrop files"): each file is a share of its own, sent on its own
 * connection when the receiver asks for it with startSending.  Nothing is kept across runs. */

/* A receiving connection that breaks while the peer stays is tried again from the bytes held. */
#define WEBDROP_ATTEMPTS 4
/* A WebDrop receiver whose connection broke may ask again (with the offset it holds); a sender
 * waits this long for it before giving the file up. */
#define WEBDROP_WAIT_S 60

static void webdrop_start_file (FerryTransfer *self, guint index);

static File *
webdrop_file_of (FerryTransfer    *self,
                 FerryWebdropFile *engine,
                 guint            *index)
{
  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->webdrop == engine)
      {
        *index = i;
        return file_at (self, i);
      }
  g_return_val_if_reached (NULL);
}

static void
webdrop_bytes_cb (FerryWebdropFile *engine,
                  GParamSpec       *pspec,
                  FerryTransfer    *self)
{
  update_bytes_done (self, FALSE);
}

static void
webdrop_paused_cb (FerryWebdropFile *engine,
                   gboolean          paused,
                   FerryTransfer    *self)
{
  set_paused (self, &self->paused_remotely, paused);
}

static gboolean
webdrop_idle_cb (gpointer user_data)
{
  FerryTransfer *self = user_data;
  g_autofree char *reason = g_strdup_printf (_("%s did not come back for the file"), self->peer_name);

  self->webdrop_idle = NULL;
  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->state == FERRY_TRANSFER_FILE_PENDING && file_at (self, i)->webdrop == NULL)
      fail_file (self, i, reason);
  check_finished (self);
  return G_SOURCE_REMOVE;
}

static void
webdrop_finished_cb (FerryWebdropFile *engine,
                     const GError     *error,
                     FerryTransfer    *self)
{
  g_autoptr(FerryWebdropFile) ref = g_object_ref (engine);
  guint index;
  File *file = webdrop_file_of (self, engine, &index);

  file->held = ferry_webdrop_file_get_bytes (engine);
  self->carried_before += ferry_webdrop_file_get_carried (engine);
  g_signal_handlers_disconnect_by_data (engine, self);
  g_clear_object (&file->webdrop);
  if (file->state != FERRY_TRANSFER_FILE_PENDING)
    return;
  if (error == NULL)
    {
      file->state = FERRY_TRANSFER_FILE_DONE;
      file->sha256 = g_strdup (ferry_webdrop_file_get_sha256 (engine));
      if (!sending (self))
        g_set_object (&file->file, ferry_webdrop_file_get_result (engine));
      update_bytes_done (self, TRUE);
      g_signal_emit (self, signals[FILE_DONE], 0, index);
      check_finished (self);
      return;
    }
  g_debug ("Transfer %s: WebDrop file %u: %s", self->id, index, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_state (self, FERRY_TRANSFER_STATE_CANCELLED, error->message);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) && self->peer != NULL)
    {
      if (sending (self))
        {
          g_clear_pointer (&self->webdrop_idle, g_source_destroy);
          self->webdrop_idle = ferry_source_attach (g_timeout_source_new_seconds (WEBDROP_WAIT_S),
                                                    self->context, G_PRIORITY_DEFAULT,
                                                    webdrop_idle_cb, self, NULL);
          return;
        }
      if (file->attempts < WEBDROP_ATTEMPTS)
        {
          webdrop_start_file (self, index);
          return;
        }
    }
  fail_file (self, index, error->message);
  if (!sending (self))
    delete_parts_in (self, FERRY_TRANSFER_FILE_FAILED);
  check_finished (self);
}

/* A new connection for file @index: sending, because the receiver asked; receiving, from the
 * bytes the .part holds. */
static void
webdrop_start_file (FerryTransfer *self,
                    guint          index)
{
  File *file = file_at (self, index);

  webdrop_stop (self, file);
  if (sending (self))
    file->webdrop = ferry_webdrop_file_new_sender (self->peer, self->webdrop_config, file->share_id,
                                                   file->file, file->size);
  else
    {
      g_autoptr(GFile) part = part_file (self, file);

      file->attempts++;
      file->webdrop = ferry_webdrop_file_new_receiver (self->peer, self->webdrop_config,
                                                       file->share_id, part, file->dest,
                                                       file->size, file->held);
    }
  g_signal_connect (file->webdrop, "notify::bytes", G_CALLBACK (webdrop_bytes_cb), self);
  g_signal_connect (file->webdrop, "paused-remotely", G_CALLBACK (webdrop_paused_cb), self);
  g_signal_connect (file->webdrop, "finished", G_CALLBACK (webdrop_finished_cb), self);
  ferry_webdrop_file_start (file->webdrop);
  if (file->webdrop != NULL && self->paused_locally)
    ferry_webdrop_file_set_paused (file->webdrop, TRUE);
}

static void
webdrop_set_paused (FerryTransfer *self,
                    gboolean       paused)
{
  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->webdrop != NULL)
      ferry_webdrop_file_set_paused (file_at (self, i)->webdrop, paused);
}

/* Each file not sent yet, as a share. */
static void
webdrop_announce (FerryTransfer *self)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);
      g_autoptr(FerryWebdropMessage) share = NULL;
      g_autoptr(GError) error = NULL;

      if (file->state != FERRY_TRANSFER_FILE_PENDING)
        continue;
      share = ferry_webdrop_message_new (FERRY_WEBDROP_MESSAGE_NEW_SHARE);
      share->share_id = g_strdup (file->share_id);
      share->name = g_strdup (file->path);
      share->size = file->size;
      if (self->peer != NULL && !ferry_peer_send_webdrop (self->peer, share, &error))
        g_debug ("Transfer %s: %s", self->id, error->message);
    }
}

gboolean
_ferry_transfer_handle_webdrop (FerryTransfer             *self,
                                const FerryWebdropMessage *message)
{
  guint index;

  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);

  if (self->webdrop_config == NULL || message->share_id == NULL)
    return FALSE;
  for (index = 0; index < self->files->len; index++)
    if (g_strcmp0 (file_at (self, index)->share_id, message->share_id) == 0)
      break;
  if (index == self->files->len)
    return FALSE;
  if (ferry_transfer_is_finished (self) || file_at (self, index)->state != FERRY_TRANSFER_FILE_PENDING)
    return TRUE;

  if (message->type == FERRY_WEBDROP_MESSAGE_START_SENDING && sending (self))
    {
      File *file = file_at (self, index);

      /* A second startSending while the first connection is still being made is the same
       * request (WebDrop asks again for a share it was told about twice): one connection.
       * Once that connection is up, it asks because it lost it: a new one. */
      if (file->webdrop != NULL && !ferry_webdrop_file_is_open (file->webdrop))
        return TRUE;
      g_clear_pointer (&self->webdrop_idle, g_source_destroy);
      webdrop_start_file (self, index);
      if (self->state == FERRY_TRANSFER_STATE_OFFERED || self->state == FERRY_TRANSFER_STATE_WAITING)
        set_state (self, active_state (self), NULL);
    }
  else if (message->type == FERRY_WEBDROP_MESSAGE_FILE_SIGNAL && file_at (self, index)->webdrop != NULL)
    ferry_webdrop_file_handle_signal (file_at (self, index)->webdrop, message);
  return TRUE;
}

gboolean
_ferry_transfer_is_webdrop (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);

  return self->webdrop_config != NULL;
}

/* The state store */

static const char *
file_state_to_string (FerryTransferFileState state)
{
  return ferry_enum_nick (FERRY_TYPE_TRANSFER_FILE_STATE, state);
}

/* @bytes in base64, when there are any. */
static void
add_base64_member (JsonBuilder *builder,
                   const char  *name,
                   GBytes      *bytes)
{
  gsize n;
  const guint8 *data;
  g_autofree char *text = NULL;

  if (bytes == NULL)
    return;
  data = g_bytes_get_data (bytes, &n);
  text = g_base64_encode (data, n);
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

static char *
to_json (FerryTransfer *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STATE_VERSION);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "direction");
  json_builder_add_string_value (builder, ferry_enum_nick (FERRY_TYPE_TRANSFER_DIRECTION, self->direction));
  json_builder_set_member_name (builder, "fingerprint");
  json_builder_add_string_value (builder, self->fingerprint);
  json_builder_set_member_name (builder, "peer-name");
  json_builder_add_string_value (builder, self->peer_name);
  if (self->room_link != NULL)
    {
      json_builder_set_member_name (builder, "room");
      json_builder_add_string_value (builder, self->room_link);
    }
  json_builder_set_member_name (builder, "answered");
  json_builder_add_boolean_value (builder, self->answered);
  json_builder_set_member_name (builder, "paused");
  json_builder_add_boolean_value (builder, self->paused_locally);
  if (self->folder != NULL)
    {
      g_autofree char *uri = g_file_get_uri (self->folder);

      json_builder_set_member_name (builder, "folder");
      json_builder_add_string_value (builder, uri);
    }
  json_builder_set_member_name (builder, "folders");
  json_builder_begin_array (builder);
  for (guint i = 0; i + 1 < self->folders->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (self->folders, i));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "path");
      json_builder_add_string_value (builder, file->path);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, file->size);
      json_builder_set_member_name (builder, "mtime");
      json_builder_add_int_value (builder, file->mtime);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, file_state_to_string (file->state));
      json_builder_set_member_name (builder, "failures");
      json_builder_add_int_value (builder, file->failures);
      if (file->dest != NULL)
        {
          json_builder_set_member_name (builder, "dest");
          json_builder_add_string_value (builder, file->dest);
        }
      if (file->file != NULL)
        {
          g_autofree char *uri = g_file_get_uri (file->file);

          json_builder_set_member_name (builder, "file");
          json_builder_add_string_value (builder, uri);
        }
      if (file->sha256 != NULL)
        {
          json_builder_set_member_name (builder, "sha256");
          json_builder_add_string_value (builder, file->sha256);
        }
      add_base64_member (builder, "blocks", file->blocks);
      add_base64_member (builder, "hash-state", file->hash_state);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void write_state (FerryTransfer *self);

static void
state_written (FerryTransfer *self,
               gboolean       deleted,
               const GError  *error)
{
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    g_warning ("Could not save the state of transfer %s: %s", self->id, error->message);
  self->saving = FALSE;
  /* A transfer that ended while a write was under way still has to go. */
  if (self->save_again || (ferry_transfer_is_finished (self) && !deleted))
    write_state (self);
}

static void
replace_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GError) error = NULL;

  g_file_replace_contents_finish (G_FILE (source), result, NULL, &error);
  state_written (self, FALSE, error);
}

static void
delete_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FerryTransfer) self = user_data;
  g_autoptr(GError) error = NULL;

  g_file_delete_finish (G_FILE (source), result, &error);
  state_written (self, TRUE, error);
}

static void
write_state (FerryTransfer *self)
{
  self->saving = TRUE;
  self->save_again = FALSE;
  self->last_save_us = g_get_monotonic_time ();
  if (ferry_transfer_is_finished (self))
    g_file_delete_async (self->state_file, G_PRIORITY_DEFAULT, NULL, delete_done_cb, g_object_ref (self));
  else
    {
      char *text = to_json (self);
      g_autoptr(GBytes) json = g_bytes_new_take (text, strlen (text));

      g_file_replace_contents_bytes_async (self->state_file, json, NULL, FALSE,
                                           G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                           NULL, replace_done_cb, g_object_ref (self));
    }
}

/* Writes the state file: at once for the steps that matter, at most once a second for progress.
 * Writes never overlap; the last one wins. */
static void
save (FerryTransfer *self,
      gboolean       now)
{
  if (self->state_file == NULL)
    return;
  if (self->saving)
    {
      self->save_again = TRUE;
      return;
    }
  if (!now && g_get_monotonic_time () - self->last_save_us < SAVE_INTERVAL_US)
    return;
  write_state (self);
}

static gboolean
store_error (GError     **error,
             GFile       *state_file,
             const char  *what)
{
  g_set_error (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STORE,
               _("The saved transfer %s is damaged (%s)"), g_file_peek_path (state_file), what);
  return FALSE;
}

static GFile *
file_from_member (JsonObject *object,
                  const char *member)
{
  const char *uri = json_object_get_string_member_with_default (object, member, NULL);

  return uri != NULL ? g_file_new_for_uri (uri) : NULL;
}

/* A member written by add_base64_member (), cut to a multiple of @unit bytes; NULL without it. */
static GBytes *
base64_member (JsonObject *object,
               const char *name,
               gsize       unit)
{
  const char *text = json_object_get_string_member_with_default (object, name, NULL);
  gsize n;
  guchar *data;

  if (text == NULL)
    return NULL;
  data = g_base64_decode (text, &n);
  return g_bytes_new_take (data, n - n % unit);
}

static gboolean
load_file (FerryTransfer  *self,
           JsonNode       *node,
           GFile          *state_file,
           GError        **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *state, *sha256;
  g_autofree char *safe = NULL;
  File file = { 0 };
  int value;

  if (object == NULL ||
      !(file.path = g_strdup (json_object_get_string_member_with_default (object, "path", NULL))) ||
      !(state = json_object_get_string_member_with_default (object, "state", NULL)) ||
      !ferry_enum_from_nick (FERRY_TYPE_TRANSFER_FILE_STATE, state, &value))
    {
      file_clear (&file);
      return store_error (error, state_file, "file");
    }
  file.state = value;
  file.size = json_object_get_int_member_with_default (object, "size", 0);
  file.mtime = json_object_get_int_member_with_default (object, "mtime", 0);
  file.failures = json_object_get_int_member_with_default (object, "failures", 0);
  file.dest = g_strdup (json_object_get_string_member_with_default (object, "dest", NULL));
  file.file = file_from_member (object, "file");
  if ((sha256 = json_object_get_string_member_with_default (object, "sha256", NULL)))
    file.sha256 = g_strdup (sha256);
  file.blocks = base64_member (object, "blocks", DIGEST_LEN);
  file.hash_state = base64_member (object, "hash-state", 1);  /* its length is checked in use */
  g_array_append_val (self->files, file);

  /* Where the bytes come from, or go to, must be known, and stay in the folder. */
  if (sending (self))
    return file.file != NULL || store_error (error, state_file, "file");
  safe = file.dest ? ferry_transfer_path_sanitize (file.dest, NULL) : NULL;
  return g_strcmp0 (safe, file.dest) == 0 || store_error (error, state_file, "file");
}

FerryTransfer *
_ferry_transfer_load (GFile   *state_file,
                      GError **error)
{
  g_autoptr(FerryTransfer) self = g_object_new (FERRY_TYPE_TRANSFER, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *contents = NULL;
  JsonObject *root;
  JsonArray *array;
  const char *direction, *id, *fingerprint;
  gsize len;
  int value;

  g_return_val_if_fail (G_IS_FILE (state_file), NULL);

  if (!g_file_load_contents (state_file, NULL, &contents, &len, NULL, error))
    return NULL;
  if (!json_parser_load_from_data (parser, contents, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return (store_error (error, state_file, "JSON"), NULL);
  root = json_node_get_object (json_parser_get_root (parser));
  if (json_object_get_int_member_with_default (root, "version", 0) != STATE_VERSION ||
      !(id = json_object_get_string_member_with_default (root, "id", NULL)) ||
      !ferry_peer_message_id_is_valid (id) ||
      !(fingerprint = json_object_get_string_member_with_default (root, "fingerprint", NULL)) ||
      !(direction = json_object_get_string_member_with_default (root, "direction", NULL)) ||
      !ferry_enum_from_nick (FERRY_TYPE_TRANSFER_DIRECTION, direction, &value))
    return (store_error (error, state_file, "header"), NULL);

  self->id = g_strdup (id);
  self->direction = value;
  self->fingerprint = g_strdup (fingerprint);
  self->peer_name = g_strdup (json_object_get_string_member_with_default (root, "peer-name", ""));
  self->room_link = g_strdup (json_object_get_string_member_with_default (root, "room", NULL));
  self->answered = json_object_get_boolean_member_with_default (root, "answered", FALSE);
  self->paused_locally = json_object_get_boolean_member_with_default (root, "paused", FALSE);
  self->folder = file_from_member (root, "folder");
  self->state = self->answered ? FERRY_TRANSFER_STATE_WAITING : FERRY_TRANSFER_STATE_OFFERED;
  self->state_file = g_object_ref (state_file);

  if (!sending (self) && (self->folder == NULL || !self->answered))
    return (store_error (error, state_file, "folder"), NULL);
  if (json_object_has_member (root, "folders") &&
      (array = json_object_get_array_member (root, "folders")))
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        const char *folder = json_array_get_string_element (array, i);

        if (folder != NULL)
          g_ptr_array_add (self->folders, g_strdup (folder));
      }
  g_ptr_array_add (self->folders, NULL);
  if (!json_object_has_member (root, "files") ||
      !(array = json_object_get_array_member (root, "files")) || json_array_get_length (array) == 0)
    return (store_error (error, state_file, "files"), NULL);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!load_file (self, json_array_get_element (array, i), state_file, error))
      return NULL;

  self->bytes_done = 0;
  reset_session_base (self, 0);
  return g_steal_pointer (&self);
}

/* Creating */

static GFile *
state_file_for (GFile      *state_dir,
                const char *id,
                FerryTransferDirection direction)
{
  g_autofree char *name = NULL;

  if (state_dir == NULL)
    return NULL;
  name = g_strdup_printf ("%s-%s.json", id, ferry_enum_nick (FERRY_TYPE_TRANSFER_DIRECTION, direction));
  return g_file_get_child (state_dir, name);
}

static void
set_peer_identity (FerryTransfer *self,
                   FerryPeer     *peer)
{
  const guint8 *fingerprint = ferry_peer_get_fingerprint (peer);

  self->peer = g_object_ref (peer);
  self->peer_name = g_strdup (ferry_peer_get_display_name (peer));
  self->fingerprint = fingerprint ? ferry_hex_encode (fingerprint, FERRY_SHA256_LEN) : g_strdup ("");
}

FerryTransfer *
_ferry_transfer_new_outgoing (FerryPeer            *peer,
                              FerryTransferSources *sources,
                              GFile                *state_dir)
{
  FerryTransfer *self = g_object_new (FERRY_TYPE_TRANSFER, NULL);
  guint8 id[16];
  const char * const *folders = ferry_transfer_sources_get_folders (sources);

  g_return_val_if_fail (FERRY_IS_PEER (peer), NULL);
  g_return_val_if_fail (FERRY_IS_TRANSFER_SOURCES (sources), NULL);

  ferry_random_bytes (id, sizeof id);
  self->id = ferry_base64url_encode (id, sizeof id);
  self->direction = FERRY_TRANSFER_DIRECTION_SEND;
  set_peer_identity (self, peer);
  for (guint i = 0; i < ferry_transfer_sources_get_n_files (sources); i++)
    {
      File file = {
        .path = g_strdup (ferry_transfer_sources_get_path (sources, i)),
        .file = g_object_ref (ferry_transfer_sources_get_file (sources, i)),
        .size = ferry_transfer_sources_get_size (sources, i),
        .mtime = ferry_transfer_sources_get_mtime (sources, i),
      };

      g_array_append_val (self->files, file);
    }
  for (guint i = 0; folders[i] != NULL; i++)
    g_ptr_array_add (self->folders, g_strdup (folders[i]));
  g_ptr_array_add (self->folders, NULL);
  self->state_file = state_file_for (state_dir, self->id, self->direction);
  return self;
}

FerryTransfer *
_ferry_transfer_new_incoming (FerryPeer               *peer,
                              const FerryPeerMessage  *offer,
                              GFile                   *state_dir,
                              GError                 **error)
{
  g_autoptr(FerryTransfer) self = g_object_new (FERRY_TYPE_TRANSFER, NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new ();
  g_autoptr(GPtrArray) folders = g_ptr_array_new ();
  g_autoptr(GError) local_error = NULL;
  GArray *files = offer->offer.files;

  g_return_val_if_fail (FERRY_IS_PEER (peer), NULL);
  g_return_val_if_fail (offer->type == FERRY_PEER_MESSAGE_OFFER, NULL);

  self->id = g_strdup (offer->offer.transfer);
  self->direction = FERRY_TRANSFER_DIRECTION_RECEIVE;
  set_peer_identity (self, peer);

  if (files->len == 0)
    {
      g_set_error_literal (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_INVALID_OFFER,
                           _("The offer has no files"));
      return NULL;
    }
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (paths, g_array_index (files, FerryPeerMessageOfferFile, i).path);
  g_ptr_array_add (paths, NULL);
  for (guint i = 0; i < offer->offer.folders->len; i++)
    g_ptr_array_add (folders, g_ptr_array_index (offer->offer.folders, i));
  g_ptr_array_add (folders, NULL);
  if (!ferry_transfer_paths_check ((const char * const *) paths->pdata,
                                   (const char * const *) folders->pdata, &local_error))
    {
      g_set_error (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_INVALID_OFFER,
                   _("The offer from %s was refused: %s"), self->peer_name, local_error->message);
      return NULL;
    }

  for (guint i = 0; i < files->len; i++)
    {
      const FerryPeerMessageOfferFile *entry = &g_array_index (files, FerryPeerMessageOfferFile, i);
      File file = {
        .path = ferry_transfer_path_sanitize (entry->path, NULL),
        .size = entry->size,
        .mtime = entry->mtime,
      };

      g_array_append_val (self->files, file);
    }
  for (guint i = 0; i < offer->offer.folders->len; i++)
    g_ptr_array_add (self->folders,
                     ferry_transfer_path_sanitize (g_ptr_array_index (offer->offer.folders, i), NULL));
  g_ptr_array_add (self->folders, NULL);
  self->state_file = state_file_for (state_dir, self->id, self->direction);
  return g_steal_pointer (&self);
}

FerryTransfer *
_ferry_transfer_new_webdrop_outgoing (FerryPeer            *peer,
                                      FerryTransferSources *sources,
                                      FerryRtcConfig       *config)
{
  FerryTransfer *self = _ferry_transfer_new_outgoing (peer, sources, NULL);

  /* WebDrop has no folders: each file goes by its own name. */
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);
      char *base = g_path_get_basename (file->path);
      guint8 id[20];

      g_free (file->path);
      file->path = base;
      ferry_random_bytes (id, sizeof id);
      file->share_id = ferry_hex_encode (id, sizeof id);
    }
  g_ptr_array_set_size (self->folders, 0);
  g_ptr_array_add (self->folders, NULL);
  self->webdrop_config = ferry_rtc_config_ref (config);
  return self;
}

FerryTransfer *
_ferry_transfer_new_webdrop_incoming (FerryPeer                  *peer,
                                      const FerryWebdropMessage  *share,
                                      FerryRtcConfig             *config,
                                      GError                    **error)
{
  g_autoptr(FerryTransfer) self = g_object_new (FERRY_TYPE_TRANSFER, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *name = g_strdup (share->name);
  guint8 id[16];
  File file = { .size = share->size, .share_id = g_strdup (share->share_id) };

  g_return_val_if_fail (FERRY_IS_PEER (peer), NULL);
  g_return_val_if_fail (share->type == FERRY_WEBDROP_MESSAGE_NEW_SHARE, NULL);

  ferry_random_bytes (id, sizeof id);
  self->id = ferry_base64url_encode (id, sizeof id);
  self->direction = FERRY_TRANSFER_DIRECTION_RECEIVE;
  set_peer_identity (self, peer);
  self->webdrop_config = ferry_rtc_config_ref (config);
  g_ptr_array_add (self->folders, NULL);
  g_array_append_val (self->files, file);

  /* A share is one file, never a path: a slash in its name is part of the name. */
  g_strdelimit (name, "/", '_');
  if (!(file_at (self, 0)->path = ferry_transfer_path_sanitize (name, &local_error)))
    {
      g_set_error (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_INVALID_OFFER,
                   _("The file from %s was refused: %s"), self->peer_name, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
_ferry_transfer_start (FerryTransfer *self)
{
  g_autoptr(FerryPeerMessage) offer = NULL;

  g_return_if_fail (FERRY_IS_TRANSFER (self));
  g_return_if_fail (sending (self));

  if (self->webdrop_config != NULL)
    return webdrop_announce (self);
  offer = ferry_peer_message_new_offer (self->id);
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);

      ferry_peer_message_offer_add_file (offer, file->path, file->size, file->mtime);
    }
  for (guint i = 0; i + 1 < self->folders->len; i++)
    ferry_peer_message_offer_add_folder (offer, g_ptr_array_index (self->folders, i));
  send_message (self, g_steal_pointer (&offer));
  save (self, TRUE);
}

gboolean
_ferry_transfer_offers (FerryTransfer        *self,
                        FerryTransferSources *sources)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);

  if (!sending (self) || ferry_transfer_is_finished (self) ||
      self->files->len != ferry_transfer_sources_get_n_files (sources))
    return FALSE;
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);

      if (g_strcmp0 (file->path, ferry_transfer_sources_get_path (sources, i)) != 0 ||
          file->size != ferry_transfer_sources_get_size (sources, i) ||
          file->mtime != ferry_transfer_sources_get_mtime (sources, i) ||
          !g_file_equal (file->file, ferry_transfer_sources_get_file (sources, i)))
        return FALSE;
    }
  return TRUE;
}

/* Accepting */

typedef struct {
  GFile     *folder;
  GPtrArray *paths;     /* safe paths of the accepted files, then of the folders; owned */
  guint      n_files;
  guint64    needed;
  GPtrArray *dests;     /* result: where each entry of paths goes under folder */
} AcceptData;

static void
accept_data_free (AcceptData *data)
{
  g_object_unref (data->folder);
  g_ptr_array_unref (data->paths);
  g_clear_pointer (&data->dests, g_ptr_array_unref);
  g_free (data);
}

/* Blocking: the folder, its free space, and a place for each top-level folder of the offer,
 * renamed ("Photos (1)") when one of that name exists, so that two transfers never mix. */
static void
accept_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AcceptData *data = task_data;
  g_autoptr(GHashTable) tops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GPtrArray) dests = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  guint64 free_space;

  if (!g_file_make_directory_with_parents (data->folder, cancellable, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        return g_task_return_error (task, error);
      g_clear_error (&error);
    }
  if (!(info = g_file_query_filesystem_info (data->folder, G_FILE_ATTRIBUTE_FILESYSTEM_FREE,
                                             cancellable, &error)))
    return g_task_return_error (task, error);
  free_space = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE) && free_space < data->needed)
    {
      g_autofree char *needed = g_format_size (data->needed);
      g_autofree char *available = g_format_size (free_space);

      return g_task_return_new_error (task, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_NO_SPACE,
                                      _("Not enough free space: %s needed, %s available"),
                                      needed, available);
    }

  for (guint i = 0; i < data->paths->len; i++)
    {
      const char *path = g_ptr_array_index (data->paths, i);
      const char *slash = strchr (path, '/');
      g_autofree char *top = g_strndup (path, slash ? (gsize) (slash - path) : strlen (path));
      const char *mapped = g_hash_table_lookup (tops, top);

      /* A file at the top level finds its free name when it is complete. */
      if (mapped == NULL && slash == NULL && i < data->n_files)
        {
          g_ptr_array_add (dests, g_strdup (path));
          continue;
        }
      for (guint attempt = 0; mapped == NULL; attempt++)
        {
          g_autoptr(GFile) child = ferry_transfer_path_unique_child (data->folder, top, &error);

          if (child == NULL)
            return g_task_return_error (task, error);
          if (g_file_make_directory (child, cancellable, &error))
            {
              g_autofree char *name = g_file_get_basename (child);

              g_hash_table_insert (tops, g_strdup (top), g_steal_pointer (&name));
              mapped = g_hash_table_lookup (tops, top);
            }
          else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS) || attempt > 8)
            return g_task_return_error (task, error);
          else
            g_clear_error (&error);
        }
      g_ptr_array_add (dests, g_strconcat (mapped, slash ? slash : "", NULL));

      /* Folders of the offer, empty ones included, are made now. */
      if (i >= data->n_files)
        {
          g_autoptr(GFile) dir = ferry_transfer_path_resolve (data->folder, g_ptr_array_index (dests, i), &error);

          if (dir == NULL)
            return g_task_return_error (task, error);
          if (!g_file_make_directory_with_parents (dir, cancellable, &error))
            {
              if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
                return g_task_return_error (task, error);
              g_clear_error (&error);
            }
        }
    }
  data->dests = g_steal_pointer (&dests);
  g_task_return_boolean (task, TRUE);
}

void
ferry_transfer_accept_async (FerryTransfer       *self,
                             GFile               *folder,
                             const guint         *files,
                             guint                n_files,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  AcceptData *data;

  g_return_if_fail (FERRY_IS_TRANSFER (self));
  g_return_if_fail (G_IS_FILE (folder));
  g_task_set_source_tag (task, ferry_transfer_accept_async);

  if (sending (self) || self->state != FERRY_TRANSFER_STATE_OFFERED || self->answered)
    return g_task_return_new_error (task, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STATE,
                                    _("This transfer cannot be accepted now"));
  if (self->peer == NULL)
    return g_task_return_new_error (task, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_NOT_CONNECTED,
                                    _("%s is no longer connected"), self->peer_name);

  /* Which files: every file, or the ones listed. */
  for (guint i = 0; i < self->files->len; i++)
    file_at (self, i)->state = files ? FERRY_TRANSFER_FILE_SKIPPED : FERRY_TRANSFER_FILE_PENDING;
  for (guint i = 0; files != NULL && i < n_files; i++)
    if (files[i] < self->files->len)
      file_at (self, files[i])->state = FERRY_TRANSFER_FILE_PENDING;

  data = g_new0 (AcceptData, 1);
  data->folder = g_object_ref (folder);
  data->paths = g_ptr_array_new ();
  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->state == FERRY_TRANSFER_FILE_PENDING)
      {
        g_ptr_array_add (data->paths, file_at (self, i)->path);
        data->needed += file_at (self, i)->size;
      }
  data->n_files = data->paths->len;
  for (guint i = 0; i + 1 < self->folders->len; i++)
    g_ptr_array_add (data->paths, g_ptr_array_index (self->folders, i));
  g_task_set_task_data (task, data, (GDestroyNotify) accept_data_free);
  if (data->n_files == 0)
    return g_task_return_new_error (task, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STATE,
                                    _("No file was chosen"));
  g_task_run_in_thread (task, accept_thread);
}

gboolean
ferry_transfer_accept_finish (FerryTransfer  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  AcceptData *data;
  g_autoptr(GArray) accepted = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(FerryPeerMessage) message = NULL;
  guint n = 0;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (self->state != FERRY_TRANSFER_STATE_OFFERED)
    {
      g_set_error_literal (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STATE,
                           _("The transfer ended before it was accepted"));
      return FALSE;
    }

  data = g_task_get_task_data (G_TASK (result));
  for (guint i = 0; i < self->files->len; i++)
    {
      File *file = file_at (self, i);

      if (file->state != FERRY_TRANSFER_FILE_PENDING)
        continue;
      file->dest = g_strdup (g_ptr_array_index (data->dests, n++));
      g_array_append_val (accepted, i);
    }
  g_set_object (&self->folder, data->folder);
  self->answered = TRUE;
  for (guint i = 0; self->webdrop_config != NULL && i < accepted->len; i++)
    webdrop_start_file (self, g_array_index (accepted, guint, i));
  message = accepted->len == self->files->len
              ? ferry_peer_message_new_accept_all (self->id)
              : ferry_peer_message_new_accept (self->id, (guint *) accepted->data, accepted->len);
  send_message (self, g_steal_pointer (&message));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDER]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
  set_state (self, active_state (self), NULL);
  return TRUE;
}

/* The user's actions */

static gboolean
check_unfinished (FerryTransfer  *self,
                  GError        **error)
{
  if (!ferry_transfer_is_finished (self))
    return TRUE;
  g_set_error_literal (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STATE,
                       _("The transfer has ended"));
  return FALSE;
}

gboolean
ferry_transfer_decline (FerryTransfer  *self,
                        const char     *reason,
                        GError        **error)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);

  if (sending (self) || self->state != FERRY_TRANSFER_STATE_OFFERED || self->answered)
    {
      g_set_error_literal (error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_STATE,
                           _("Only an offer not answered yet can be declined"));
      return FALSE;
    }
  send_message (self, ferry_peer_message_new_decline (self->id, reason));
  set_state (self, FERRY_TRANSFER_STATE_DECLINED, reason);
  return TRUE;
}

gboolean
ferry_transfer_pause (FerryTransfer  *self,
                      GError        **error)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);

  if (!check_unfinished (self, error))
    return FALSE;
  send_message (self, ferry_peer_message_new_pause (self->id));
  webdrop_set_paused (self, TRUE);
  set_paused (self, &self->paused_locally, TRUE);
  return TRUE;
}

gboolean
ferry_transfer_resume (FerryTransfer  *self,
                       GError        **error)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);

  if (!check_unfinished (self, error))
    return FALSE;
  set_paused (self, &self->paused_locally, FALSE);
  webdrop_set_paused (self, FALSE);
  /* After an error of our disk the session is gone: say again what we hold. */
  if (!sending (self) && self->answered && self->receiver == NULL && self->peer != NULL)
    send_resume_state (self);
  send_message (self, ferry_peer_message_new_resume (self->id));
  if (self->state == FERRY_TRANSFER_STATE_PAUSED || self->state == FERRY_TRANSFER_STATE_RUNNING)
    set_reason (self, NULL);
  return TRUE;
}

void
ferry_transfer_cancel (FerryTransfer *self,
                       const char    *reason)
{
  g_return_if_fail (FERRY_IS_TRANSFER (self));

  if (ferry_transfer_is_finished (self))
    return;
  send_message (self, ferry_peer_message_new_cancel (self->id, reason));
  set_state (self, FERRY_TRANSFER_STATE_CANCELLED, reason ? reason : _("Cancelled"));
}

/* Getters */

const char *
ferry_transfer_get_id (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->id;
}

FerryTransferDirection
ferry_transfer_get_direction (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->direction;
}

FerryTransferState
ferry_transfer_get_state (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->state;
}

FerryPeer *
ferry_transfer_get_peer (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->peer;
}

const char *
ferry_transfer_get_peer_name (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->peer_name;
}

const char *
ferry_transfer_get_room_link (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->room_link;
}

void
_ferry_transfer_set_room_link (FerryTransfer *self,
                               const char    *link)
{
  g_return_if_fail (FERRY_IS_TRANSFER (self));

  g_free (self->room_link);
  self->room_link = g_strdup (link);
}

const char *
ferry_transfer_get_peer_fingerprint (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->fingerprint;
}

guint64
ferry_transfer_get_total (FerryTransfer *self)
{
  guint64 total = 0;

  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);

  for (guint i = 0; i < self->files->len; i++)
    if (file_at (self, i)->state != FERRY_TRANSFER_FILE_SKIPPED)
      total += file_at (self, i)->size;
  return total;
}

guint64
ferry_transfer_get_bytes_done (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->bytes_done;
}

guint64
ferry_transfer_get_bytes_carried (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->carried_before + session_bytes (self);
}

const char *
ferry_transfer_get_reason (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->reason;
}

gboolean
ferry_transfer_get_paused_locally (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);
  return self->paused_locally;
}

gboolean
ferry_transfer_get_paused_remotely (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), FALSE);
  return self->paused_remotely;
}

GFile *
ferry_transfer_get_folder (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return self->folder;
}

guint
ferry_transfer_get_n_files (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), 0);
  return self->files->len;
}

const char * const *
ferry_transfer_get_folders (FerryTransfer *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  return (const char * const *) self->folders->pdata;
}

#define FILE_GETTER(type, name, field, fallback)                          \
type                                                                      \
ferry_transfer_get_file_##name (FerryTransfer *self,                      \
                                guint          index)                     \
{                                                                         \
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), fallback);              \
  g_return_val_if_fail (index < self->files->len, fallback);              \
  return file_at (self, index)->field;                                    \
}

FILE_GETTER (const char *, path, path, NULL)
FILE_GETTER (guint64, size, size, 0)
FILE_GETTER (FerryTransferFileState, state, state, FERRY_TRANSFER_FILE_PENDING)
FILE_GETTER (const char *, sha256, sha256, NULL)

GFile *
ferry_transfer_get_file (FerryTransfer *self,
                         guint          index)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER (self), NULL);
  g_return_val_if_fail (index < self->files->len, NULL);
  return file_at (self, index)->file;
}

/* GObject */

static void
ferry_transfer_dispose (GObject *object)
{
  FerryTransfer *self = FERRY_TRANSFER (object);

  stop_session (self);
  g_clear_object (&self->peer);

  G_OBJECT_CLASS (ferry_transfer_parent_class)->dispose (object);
}

static void
ferry_transfer_finalize (GObject *object)
{
  FerryTransfer *self = FERRY_TRANSFER (object);

  g_free (self->id);
  g_free (self->peer_name);
  g_free (self->fingerprint);
  g_free (self->room_link);
  g_array_unref (self->files);
  g_ptr_array_unref (self->folders);
  g_clear_object (&self->folder);
  g_free (self->reason);
  g_clear_object (&self->state_file);
  g_clear_pointer (&self->webdrop_config, ferry_rtc_config_unref);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ferry_transfer_parent_class)->finalize (object);
}

static void
ferry_transfer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FerryTransfer *self = FERRY_TRANSFER (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PEER:
      g_value_set_object (value, self->peer);
      break;
    case PROP_PEER_NAME:
      g_value_set_string (value, self->peer_name);
      break;
    case PROP_TOTAL:
      g_value_set_uint64 (value, ferry_transfer_get_total (self));
      break;
    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, self->bytes_done);
      break;
    case PROP_REASON:
      g_value_set_string (value, self->reason);
      break;
    case PROP_PAUSED_LOCALLY:
      g_value_set_boolean (value, self->paused_locally);
      break;
    case PROP_PAUSED_REMOTELY:
      g_value_set_boolean (value, self->paused_remotely);
      break;
    case PROP_FOLDER:
      g_value_set_object (value, self->folder);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_transfer_class_init (FerryTransferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = ferry_transfer_dispose;
  object_class->finalize = ferry_transfer_finalize;
  object_class->get_property = ferry_transfer_get_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL, FERRY_TYPE_TRANSFER_DIRECTION,
                       FERRY_TRANSFER_DIRECTION_SEND, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_TRANSFER_STATE, FERRY_TRANSFER_STATE_OFFERED, flags);
  properties[PROP_PEER] = g_param_spec_object ("peer", NULL, NULL, FERRY_TYPE_PEER, flags);
  properties[PROP_PEER_NAME] = g_param_spec_string ("peer-name", NULL, NULL, NULL, flags);
  properties[PROP_TOTAL] = g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_BYTES_DONE] = g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_REASON] = g_param_spec_string ("reason", NULL, NULL, NULL, flags);
  properties[PROP_PAUSED_LOCALLY] = g_param_spec_boolean ("paused-locally", NULL, NULL, FALSE, flags);
  properties[PROP_PAUSED_REMOTELY] = g_param_spec_boolean ("paused-remotely", NULL, NULL, FALSE, flags);
  properties[PROP_FOLDER] = g_param_spec_object ("folder", NULL, NULL, G_TYPE_FILE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[FILE_DONE] =
    g_signal_new ("file-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[FILE_FAILED] =
    g_signal_new ("file-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
ferry_transfer_init (FerryTransfer *self)
{
  self->files = g_array_new (FALSE, TRUE, sizeof (File));
  g_array_set_clear_func (self->files, file_clear);
  self->folders = g_ptr_array_new_with_free_func (g_free);
  self->context = g_main_context_ref_thread_default ();
  self->ask_again_s = ASK_AGAIN_FIRST_S;
}
