/* ferry-dht-rendezvous.c: the members of a secret room meet through the DHT
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-bencode.h"
#include "ferry-crypto.h"
#include "ferry-dht-rendezvous.h"
#include "ferry-dht-seal.h"
#include "ferry-pairing.h"
#include "ferry-pairing-code.h"
#include "ferry-peer-message.h"
#include "ferry-room-link.h"
#include "ferry-source.h"

/* The lobby is read every LOBBY_FAST_S seconds for the first two minutes, then less often. */
#define LOBBY_FAST_S 5
#define LOBBY_SLOW_S 15
#define LOBBY_SLOWEST_S 30
#define LOBBY_CHECK_S 2
/* Our entry in the lobby is rewritten this often; entries older than MEMBER_GONE_S are dropped. */
#define REFRESH_S 60
#define MEMBER_GONE_S 180
#define MAX_MEMBERS 32
#define ENTRY_LEN (FERRY_DHT_MEMBER_ID_LEN + 4)
/* A mailbox we expect something in is read every second for 30 s, then every 3 s; an attempt
 * that has not connected after ATTEMPT_S starts again with a fresh code. */
#define MAILBOX_FAST_MS 1000
#define MAILBOX_SLOW_MS 3000
#define ATTEMPT_S 120
/* A member connected to others introduces itself through them (the mesh) first: its code is
 * sent again every RELAY_EVERY_MS, and goes into the DHT only after RELAY_FALLBACK_S. */
#define RELAY_EVERY_MS 3000
#define RELAY_FALLBACK_S 10

typedef enum {
  MEMBER_IDLE,
  MEMBER_OFFERING,    /* our code is in our mailbox to it: waiting for its reply */
  MEMBER_ANSWERING,   /* waiting for its code */
  MEMBER_CONNECTING,  /* code and reply exchanged: ICE, DTLS, hello */
  MEMBER_CONNECTED,
} MemberState;

typedef struct {
  FerryDhtRendezvous *rendezvous;
  guint8              id[FERRY_DHT_MEMBER_ID_LEN];
  gint64              seen_s;           /* its entry's time in the lobby */
  MemberState         state;
  FerryPairing       *pairing;
  gint64              attempt_us;       /* when this attempt started */
  gint64              read_not_before;  /* the time of the last value taken from its mailbox */
  gint64              written_seq;      /* the last seq of our mailbox to it */
  char               *written;          /* what we last wrote into it, while we expect an answer */
  guint64             written_epoch;    /* and in which hour */
  GSource            *poll;
  gboolean            reading;
  char               *code;             /* ours while offering, its while answering */
  GSource            *resend;
  gboolean            in_mailbox;       /* our code is in the DHT too */
  gboolean            relayed;          /* its code came through the mesh: so goes our reply */
} Member;

struct _FerryDhtRendezvous
{
  GObject         parent_instance;

  FerryDht       *dht;
  FerryRoom      *room;
  FerryIdentity  *identity;
  FerryRtcConfig *config;
  char           *local_name;
  guint8          secret[FERRY_ROOM_SECRET_LEN];
  guint8          member_id[FERRY_DHT_MEMBER_ID_LEN];

  GMainContext   *context;
  GCancellable   *cancellable;
  gint64          started_us;
  GSource        *lobby_timer;
  gboolean        lobby_busy;
  guint64         lobby_epoch;
  gint64          lobby_seq;        /* of the lobby as last read or written; -1: none */
  gint64          lobby_not_before;
  gint64          written_us;       /* when we last wrote our entry */
  guint           conflicts;
  guint           read_delay_ms;
  gint64          clock_offset_s;
  GHashTable     *members;          /* member id (hex) → Member */
};

G_DEFINE_FINAL_TYPE (FerryDhtRendezvous, ferry_dht_rendezvous, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MEMBERS,
  PROP_READ_DELAY,
  PROP_CLOCK_OFFSET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void schedule_lobby (FerryDhtRendezvous *self, guint seconds);
static void schedule_mailbox (Member *member, guint ms);
static void meet_members (FerryDhtRendezvous *self);

/* The time that picks the hour, in unix milliseconds (moved by clock-offset in tests). */
static gint64
now_ms (FerryDhtRendezvous *self)
{
  return g_get_real_time () / 1000 + self->clock_offset_s * 1000;
}

static gint64
unix_s (FerryDhtRendezvous *self)
{
  return now_ms (self) / 1000;
}

static void
epoch_keys (FerryDhtRendezvous *self,
            FerryDhtEpochKeys  *keys)
{
  ferry_dht_epoch_keys (self->secret, sizeof self->secret, ferry_dht_epoch_at (unix_s (self)), keys);
}

/* Sequence numbers: milliseconds since the epoch began, above the last one used. */
static gint64
next_seq (FerryDhtRendezvous      *self,
          const FerryDhtEpochKeys *keys,
          gint64                   last)
{
  return MAX (last + 1, now_ms (self) - (gint64) keys->epoch * 3600 * 1000);
}

static void
mailbox_salt (const FerryDhtEpochKeys *keys,
              const guint8             from[FERRY_DHT_MEMBER_ID_LEN],
              const guint8             to[FERRY_DHT_MEMBER_ID_LEN],
              guint8                   salt[FERRY_DHT_SALT_LEN])
{
  guint8 pair[2 * FERRY_DHT_MEMBER_ID_LEN];

  memcpy (pair, from, FERRY_DHT_MEMBER_ID_LEN);
  memcpy (pair + FERRY_DHT_MEMBER_ID_LEN, to, FERRY_DHT_MEMBER_ID_LEN);
  ferry_dht_slot_salt (keys, "mbox", pair, sizeof pair, salt);
}

/* A sealed value as an item's value (a bencoded byte string), and back. */
static GBytes *
item_value (GBytes *sealed)
{
  GByteArray *value = g_byte_array_new ();

  ferry_bencode_write_bytes (value, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
  return g_byte_array_free_to_bytes (value);
}

static gboolean
open_item (const FerryDhtEpochKeys *keys,
           const guint8             salt[FERRY_DHT_SALT_LEN],
           FerryDhtValue           *value,
           const guint8             recipient[FERRY_DHT_MEMBER_ID_LEN],
           gint64                   not_before_ms,
           FerryDhtOpened          *opened,
           GError                 **error)
{
  g_autoptr(FerryBencode) parsed = ferry_bencode_parse (g_bytes_get_data (value->value, NULL),
                                                        g_bytes_get_size (value->value), error);
  const guint8 *sealed;
  gsize len;

  if (parsed == NULL)
    return FALSE;
  if (ferry_bencode_get_kind (parsed) != FERRY_BENCODE_BYTES)
    {
      g_set_error_literal (error, FERRY_DHT_SEAL_ERROR, FERRY_DHT_SEAL_ERROR_INVALID, _("not a sealed value"));
      return FALSE;
    }
  sealed = ferry_bencode_get_bytes (parsed, &len);
  return ferry_dht_open (keys, salt, value->seq, sealed, len, recipient, not_before_ms, opened, error);
}

/* Members */

typedef struct {
  FerryDhtRendezvous *self;
  guint8              id[FERRY_DHT_MEMBER_ID_LEN];
} MemberOp;

static MemberOp *
member_op_new (Member *member)
{
  MemberOp *op = g_new (MemberOp, 1);

  op->self = g_object_ref (member->rendezvous);
  memcpy (op->id, member->id, sizeof op->id);
  return op;
}

static void
member_op_free (MemberOp *op)
{
  g_object_unref (op->self);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MemberOp, member_op_free)

/* The member an operation was for, unless the operation was cancelled or the member is gone. */
static Member *
member_op_get (MemberOp     *op,
               const GError *error)
{
  g_autofree char *key = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || op->self->cancellable == NULL)
    return NULL;
  key = ferry_hex_encode (op->id, sizeof op->id);
  return g_hash_table_lookup (op->self->members, key);
}

static void
member_reset (Member *member)
{
  if (member->poll != NULL)
    g_source_destroy (g_steal_pointer (&member->poll));
  if (member->resend != NULL)
    g_source_destroy (g_steal_pointer (&member->resend));
  g_clear_pointer (&member->code, g_free);
  g_clear_pointer (&member->written, g_free);
  member->in_mailbox = FALSE;
  member->relayed = FALSE;
  if (member->pairing != NULL)
    {
      g_signal_handlers_disconnect_by_data (member->pairing, member);
      g_signal_handlers_disconnect_by_data (ferry_pairing_get_peer (member->pairing), member);
      g_clear_object (&member->pairing);
    }
  member->state = MEMBER_IDLE;
}

static void
member_free (gpointer data)
{
  Member *member = data;

  member_reset (member);
  g_free (member);
}

static void
member_failed_cb (FerryPairing *pairing,
                  const GError *error,
                  Member       *member)
{
  g_autofree char *id = ferry_hex_encode (member->id, sizeof member->id);

  g_debug ("DHT rendezvous with %s failed: %s", id, error->message);
  member_reset (member);
}

static void
member_peer_cb (FerryPeer  *peer,
                GParamSpec *pspec,
                Member     *member)
{
  FerryDhtRendezvous *self = member->rendezvous;

  if (member->state == MEMBER_CONNECTED)
    {
      /* It left: the next lobby read may find it again. */
      if (!ferry_peer_get_connected (peer))
        member_reset (member);
      return;
    }
  if (!ferry_pairing_is_connected (member->pairing) || ferry_peer_get_kind (peer) != FERRY_PEER_KIND_FERRY)
    return;
  member->state = MEMBER_CONNECTED;
  if (member->poll != NULL)
    g_source_destroy (g_steal_pointer (&member->poll));
  if (member->resend != NULL)
    g_source_destroy (g_steal_pointer (&member->resend));
  g_clear_pointer (&member->code, g_free);
  g_clear_pointer (&member->written, g_free);
  /* The peer keeps its pairing (and so its connection) for as long as the room keeps it. */
  g_object_set_data_full (G_OBJECT (peer), "ferry-dht-pairing", g_object_ref (member->pairing), g_object_unref);
  ferry_room_add_peer (self->room, peer);
  /* Those we could not meet alone are met through it now. */
  meet_members (self);
}

static void
member_follow (Member       *member,
               FerryPairing *pairing)
{
  FerryPeer *peer = ferry_pairing_get_peer (pairing);

  member->pairing = pairing;
  g_signal_connect (pairing, "failed", G_CALLBACK (member_failed_cb), member);
  g_signal_connect (peer, "notify::verified", G_CALLBACK (member_peer_cb), member);
  g_signal_connect (peer, "notify::connected", G_CALLBACK (member_peer_cb), member);
  g_signal_connect (peer, "notify::kind", G_CALLBACK (member_peer_cb), member);
}

/* The mesh */

/* The room's connected peers that pass relays on. */
static GPtrArray *
relay_peers (FerryDhtRendezvous *self)
{
  GListModel *peers = ferry_room_get_peers (self->room);
  GPtrArray *relays = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (peers, i);

      if (ferry_peer_get_connected (peer) && ferry_peer_has_capability (peer, "relay"))
        g_ptr_array_add (relays, g_steal_pointer (&peer));
    }
  return relays;
}

/* The connected peer of member @id: met through the DHT or the mesh (its pairing's), or through a
 * tracker (its peer id starts with the member id). */
static FerryPeer *
peer_of_member (FerryDhtRendezvous *self,
                const char         *id)
{
  Member *member = g_hash_table_lookup (self->members, id);
  GListModel *peers = ferry_room_get_peers (self->room);

  if (member != NULL && member->state == MEMBER_CONNECTED)
    return ferry_pairing_get_peer (member->pairing);
  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (peers, i);

      if (g_str_has_prefix (ferry_peer_get_id (peer), id) && ferry_peer_get_connected (peer))
        return peer;
    }
  return NULL;
}

/* Sends @text for @member to every member we are connected to; those connected to it pass it
 * on.  Returns whether anybody could take it. */
static gboolean
send_relay (Member     *member,
            const char *text)
{
  FerryDhtRendezvous *self = member->rendezvous;
  g_autofree char *from = ferry_hex_encode (self->member_id, sizeof self->member_id);
  g_autofree char *to = ferry_hex_encode (member->id, sizeof member->id);
  g_autoptr(FerryPeerMessage) message = NULL;
  g_autoptr(GPtrArray) peers = relay_peers (self);
  guint sent = 0;

  if (peers->len == 0 || strlen (text) > FERRY_PEER_MESSAGE_MAX_CODE_BYTES)
    return FALSE;
  message = ferry_peer_message_new_relay (from, to, text);
  for (guint i = 0; i < peers->len; i++)
    sent += ferry_peer_send_message (g_ptr_array_index (peers, i), message, NULL);
  return sent > 0;
}

static void mailbox_text (Member *member, const char *text, gboolean relayed);
static void write_mailbox (Member *member, const char *text);

static void
relay_cb (FerryPeer              *peer,
          const FerryPeerMessage *message,
          FerryDhtRendezvous     *self)
{
  g_autofree char *own = NULL;
  Member *member;
  FerryPeer *target;

  if (message->type != FERRY_PEER_MESSAGE_RELAY || self->cancellable == NULL)
    return;
  own = ferry_hex_encode (self->member_id, sizeof self->member_id);
  if (!g_str_equal (message->relay.to, own))
    {
      /* One hop, from the sender itself, to a member we are connected to. */
      if (peer_of_member (self, message->relay.from) == peer &&
          (target = peer_of_member (self, message->relay.to)) != NULL && target != peer &&
          ferry_peer_has_capability (target, "relay"))
        ferry_peer_send_message (target, message, NULL);
      return;
    }

  if (!(member = g_hash_table_lookup (self->members, message->relay.from)))
    {
      member = g_new0 (Member, 1);
      member->rendezvous = self;
      if (!ferry_hex_decode (message->relay.from, -1, '\0', member->id, sizeof member->id))
        {
          g_free (member);
          return;
        }
      member->seen_s = unix_s (self);
      g_hash_table_insert (self->members, g_strdup (message->relay.from), member);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERS]);
    }
  if (member->state == MEMBER_CONNECTED)
    return;
  g_debug ("DHT rendezvous: a code through the mesh");
  mailbox_text (member, message->relay.code, TRUE);
}

static void
peer_joined_cb (FerryRoom          *room,
                FerryPeer          *peer,
                FerryDhtRendezvous *self)
{
  g_signal_connect_object (peer, "peer-message", G_CALLBACK (relay_cb), self, 0);
}

static gboolean resend_cb (gpointer data);

/* Our code to @member: through the mesh when we can (again every few seconds, as the way may
 * open later), into the DHT when we cannot or after a while. */
static void
send_code (Member *member)
{
  gboolean relayed = send_relay (member, member->code);

  if (!member->in_mailbox &&
      (!relayed || g_get_monotonic_time () - member->attempt_us >= (gint64) RELAY_FALLBACK_S * G_USEC_PER_SEC))
    {
      member->in_mailbox = TRUE;
      write_mailbox (member, member->code);
    }
  if (relayed)
    member->resend = ferry_source_attach (g_timeout_source_new (RELAY_EVERY_MS), member->rendezvous->context,
                                          G_PRIORITY_DEFAULT, resend_cb, member, NULL);
}

static gboolean
resend_cb (gpointer data)
{
  Member *member = data;

  member->resend = NULL;
  if (g_get_monotonic_time () - member->attempt_us >= (gint64) ATTEMPT_S * G_USEC_PER_SEC)
    member_reset (member);
  else if (member->state == MEMBER_OFFERING)
    send_code (member);
  return G_SOURCE_REMOVE;
}

static void
mailbox_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  g_autoptr(MemberOp) op = data;
  g_autoptr(GError) error = NULL;
  Member *member;

  ferry_dht_put_finish (FERRY_DHT (source), result, &error);
  if (!(member = member_op_get (op, error)))
    return;
  if (error != NULL)
    {
      g_debug ("writing to a DHT mailbox failed: %s", error->message);
      member_reset (member);
      return;
    }
  g_debug ("DHT rendezvous: wrote into our mailbox to a member");
  /* The offerer waits for the reply; the answerer watches for a newer code. */
  schedule_mailbox (member, member->state == MEMBER_OFFERING ? MAILBOX_FAST_MS : MAILBOX_SLOW_MS);
}

/* Seals @text for @member into our mailbox to it. */
static void
write_mailbox (Member     *member,
               const char *text)
{
  FerryDhtRendezvous *self = member->rendezvous;
  FerryDhtEpochKeys keys;
  guint8 salt[FERRY_DHT_SALT_LEN];
  g_autoptr(GBytes) payload = g_bytes_new (text, strlen (text));
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) value = NULL;

  epoch_keys (self, &keys);
  mailbox_salt (&keys, self->member_id, member->id, salt);
  member->written_seq = next_seq (self, &keys, member->written_seq);
  if (member->written != text)
    {
      g_free (member->written);
      member->written = g_strdup (text);
    }
  member->written_epoch = keys.epoch;
  sealed = ferry_dht_seal (&keys, salt, member->written_seq, self->member_id, member->id, now_ms (self), payload);
  value = item_value (sealed);
  ferry_dht_put_async (self->dht, keys.sign_seed, salt, sizeof salt, member->written_seq, NULL, value,
                       self->cancellable, mailbox_written_cb, member_op_new (member));
  ferry_memzero (&keys, sizeof keys);
}

static void
offer_made_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(MemberOp) op = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPairing) pairing = ferry_pairing_new_finish (result, &error);
  Member *member = member_op_get (op, error);

  if (member == NULL || member->state != MEMBER_OFFERING)
    return;
  if (pairing == NULL)
    {
      g_debug ("no pairing code for the DHT: %s", error->message);
      member_reset (member);
      return;
    }
  member_follow (member, g_steal_pointer (&pairing));
  member->code = g_strdup (ferry_pairing_get_link (member->pairing));
  send_code (member);
}

static void
reader_made_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(MemberOp) op = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPairing) pairing = ferry_pairing_new_finish (result, &error);
  Member *member = member_op_get (op, error);
  g_autofree char *reply = NULL;

  if (member == NULL || member->state != MEMBER_CONNECTING)
    return;
  if (pairing == NULL)
    {
      g_debug ("the DHT mailbox's code does not connect: %s", error->message);
      member_reset (member);
      return;
    }
  member_follow (member, g_steal_pointer (&pairing));
  ferry_pairing_set_slow_signalling (member->pairing);
  /* The offerer's checks open the way through our NAT once it has our candidates; the reply
   * goes the way the code came. */
  reply = ferry_pairing_make_reply (member->pairing);
  if (!member->relayed || !send_relay (member, reply))
    write_mailbox (member, reply);
}

/* What came in the member's mailbox to us (or through the mesh: @relayed): its code, or its
 * reply to ours. */
static void
mailbox_text (Member     *member,
              const char *text,
              gboolean    relayed)
{
  FerryDhtRendezvous *self = member->rendezvous;
  g_autoptr(GError) error = NULL;

  g_debug ("DHT rendezvous: %s from a member", member->state == MEMBER_OFFERING ? "a reply" : "a code or reply");
  if (member->state == MEMBER_OFFERING)
    {
      if (!ferry_pairing_add_reply (member->pairing, text, &error))
        {
          g_debug ("a DHT mailbox's reply is refused: %s", error->message);
          return;
        }
      member->state = MEMBER_CONNECTING;
      g_clear_pointer (&member->written, g_free);
      if (member->poll != NULL)
        g_source_destroy (g_steal_pointer (&member->poll));
      if (member->resend != NULL)
        g_source_destroy (g_steal_pointer (&member->resend));
      return;
    }

  /* A code: the first one, or a fresh one after the other side started again. */
  {
    g_autoptr(FerryPairingCode) code = ferry_pairing_code_parse (text, g_get_real_time () / G_USEC_PER_SEC, &error);

    if (code == NULL)
      {
        g_debug ("a DHT mailbox's code is refused: %s", error->message);
        return;
      }
    /* A reply that came twice, or the same code again (resent, or through two members). */
    if (code->reply || (member->state == MEMBER_CONNECTING && g_strcmp0 (member->code, text) == 0))
      return;
    member_reset (member);
    member->state = MEMBER_CONNECTING;
    member->code = g_strdup (text);
    member->relayed = relayed;
    member->attempt_us = g_get_monotonic_time ();
    ferry_pairing_new_reader_async (self->identity, self->config, self->local_name, code, self->cancellable,
                                    reader_made_cb, member_op_new (member));
  }
}

/* Slow signalling, for tests: what a mailbox brought is taken read_delay_ms later. */
typedef struct {
  MemberOp *op;
  char     *text;
} Delayed;

static void
delayed_free (Delayed *delayed)
{
  member_op_free (delayed->op);
  g_free (delayed->text);
  g_free (delayed);
}

static gboolean
delayed_cb (gpointer data)
{
  Delayed *delayed = data;
  Member *member = member_op_get (delayed->op, NULL);

  if (member != NULL)
    mailbox_text (member, delayed->text, FALSE);
  return G_SOURCE_REMOVE;
}

static void
mailbox_read_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(MemberOp) op = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDhtValue) value = ferry_dht_get_finish (FERRY_DHT (source), result, &error);
  Member *member = member_op_get (op, error);
  FerryDhtRendezvous *self;
  FerryDhtEpochKeys keys;
  FerryDhtOpened opened = { 0 };
  guint8 salt[FERRY_DHT_SALT_LEN];

  if (member == NULL)
    return;
  self = member->rendezvous;
  member->reading = FALSE;
  if (value != NULL)
    {
      epoch_keys (self, &keys);
      mailbox_salt (&keys, member->id, self->member_id, salt);
      if (open_item (&keys, salt, value, self->member_id, member->read_not_before, &opened, &error))
        {
          g_autofree char *text = g_strndup (g_bytes_get_data (opened.payload, NULL),
                                             g_bytes_get_size (opened.payload));

          member->read_not_before = opened.created_ms + 1;
          g_bytes_unref (opened.payload);
          if (self->read_delay_ms > 0)
            {
              Delayed *delayed = g_new0 (Delayed, 1);

              delayed->op = member_op_new (member);
              delayed->text = g_steal_pointer (&text);
              ferry_source_attach (g_timeout_source_new (self->read_delay_ms), self->context, G_PRIORITY_DEFAULT,
                                   delayed_cb, delayed, (GDestroyNotify) delayed_free);
            }
          else
            mailbox_text (member, text, FALSE);
        }
      else
        g_debug ("a DHT mailbox's value is refused: %s", error->message);
      ferry_memzero (&keys, sizeof keys);
    }

  if (member->state == MEMBER_OFFERING || member->state == MEMBER_ANSWERING ||
      (member->state == MEMBER_CONNECTING && member->pairing != NULL && !ferry_pairing_is_connected (member->pairing)))
    {
      gint64 waited_ms = (g_get_monotonic_time () - member->attempt_us) / 1000;

      if (waited_ms >= ATTEMPT_S * 1000)
        member_reset (member);
      else if (member->poll == NULL)
        schedule_mailbox (member, waited_ms < 30000 && member->state != MEMBER_CONNECTING ? MAILBOX_FAST_MS : MAILBOX_SLOW_MS);
    }
}

static gboolean
mailbox_cb (gpointer data)
{
  Member *member = data;
  FerryDhtRendezvous *self = member->rendezvous;
  FerryDhtEpochKeys keys;
  guint8 salt[FERRY_DHT_SALT_LEN];
  guint8 public_key[FERRY_DHT_KEY_LEN];

  member->poll = NULL;
  if (member->reading)
    return G_SOURCE_REMOVE;
  member->reading = TRUE;
  epoch_keys (self, &keys);
  /* The hour turned since we wrote: the member now reads the new hour's mailbox, so what it has
   * not answered yet goes there too.  (One whose clock is behind ours gets it when its hour
   * turns; both mailboxes stay readable until then.) */
  if (member->written != NULL && member->written_epoch != keys.epoch)
    {
      g_debug ("DHT rendezvous: the hour turned; writing into the new hour's mailbox");
      write_mailbox (member, member->written);
    }
  mailbox_salt (&keys, member->id, self->member_id, salt);
  ferry_dht_item_public_key (keys.sign_seed, public_key);
  ferry_dht_get_async (self->dht, public_key, salt, sizeof salt, NULL, -1, self->cancellable, mailbox_read_cb,
                       member_op_new (member));
  ferry_memzero (&keys, sizeof keys);
  return G_SOURCE_REMOVE;
}

static void
schedule_mailbox (Member *member,
                  guint   ms)
{
  if (member->poll != NULL)
    g_source_destroy (member->poll);
  member->poll = ferry_source_attach (g_timeout_source_new (ms), member->rendezvous->context, G_PRIORITY_DEFAULT,
                                      mailbox_cb, member, NULL);
}

/* A member in the lobby: the greater member id offers, the other waits for its code. */
static void
meet (FerryDhtRendezvous *self,
      Member             *member)
{
  g_autofree char *id = ferry_hex_encode (member->id, sizeof member->id);

  /* Already in the room, through a tracker. */
  if (member->state != MEMBER_IDLE || peer_of_member (self, id) != NULL)
    return;
  member->attempt_us = g_get_monotonic_time ();
  if (memcmp (self->member_id, member->id, sizeof self->member_id) > 0)
    {
      member->state = MEMBER_OFFERING;
      ferry_pairing_new_code_async (self->identity, self->config, self->local_name, ATTEMPT_S, self->cancellable,
                                    offer_made_cb, member_op_new (member));
    }
  else
    {
      g_autoptr(GPtrArray) relays = relay_peers (self);

      /* Connected to others, we expect its code through them first. */
      member->state = MEMBER_ANSWERING;
      schedule_mailbox (member, relays->len > 0 ? RELAY_FALLBACK_S * 1000 : 0);
    }
}

static gboolean
attempting (Member *member)
{
  return member->state == MEMBER_OFFERING || member->state == MEMBER_ANSWERING ||
         member->state == MEMBER_CONNECTING;
}

/* Meets the members of the lobby.  Alone, one at a time, the freshest first: once connected to
 * one, we meet the others through it rather than through the DHT. */
static void
meet_members (FerryDhtRendezvous *self)
{
  g_autoptr(GPtrArray) relays = relay_peers (self);
  Member *freshest = NULL;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Member *member = value;

      if (relays->len > 0)
        meet (self, member);
      else if (attempting (member))
        return;
      else if (member->state == MEMBER_IDLE && unix_s (self) - member->seen_s < MEMBER_GONE_S &&
               (freshest == NULL || member->seen_s > freshest->seen_s))
        freshest = member;
    }
  if (freshest != NULL)
    meet (self, freshest);
}

/* The lobby */

/* The roster: entries of a member id and the unix time of its last write (32 bits). */
static GBytes *
write_roster (FerryDhtRendezvous *self)
{
  GByteArray *roster = g_byte_array_new ();
  GHashTableIter iter;
  gpointer value;
  gint64 now = unix_s (self);
  guint8 time[4];
  guint n = 1;

  time[0] = now >> 24, time[1] = now >> 16, time[2] = now >> 8, time[3] = now;
  g_byte_array_append (roster, self->member_id, sizeof self->member_id);
  g_byte_array_append (roster, time, sizeof time);
  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, &value) && n < MAX_MEMBERS)
    {
      Member *member = value;

      if (now - member->seen_s >= MEMBER_GONE_S)
        continue;
      time[0] = member->seen_s >> 24, time[1] = member->seen_s >> 16, time[2] = member->seen_s >> 8;
      time[3] = member->seen_s;
      g_byte_array_append (roster, member->id, sizeof member->id);
      g_byte_array_append (roster, time, sizeof time);
      n++;
    }
  return g_byte_array_free_to_bytes (roster);
}

/* Takes in the members of a roster; returns whether we are in it. */
static gboolean
read_roster (FerryDhtRendezvous *self,
             GBytes             *roster)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (roster, &len);
  gboolean found = FALSE;
  gint64 now = unix_s (self);

  for (gsize at = 0; at + ENTRY_LEN <= len && at < MAX_MEMBERS * ENTRY_LEN; at += ENTRY_LEN)
    {
      const guint8 *id = data + at;
      gint64 seen = (gint64) data[at + 8] << 24 | data[at + 9] << 16 | data[at + 10] << 8 | data[at + 11];
      g_autofree char *key = ferry_hex_encode (id, FERRY_DHT_MEMBER_ID_LEN);
      Member *member;

      if (memcmp (id, self->member_id, sizeof self->member_id) == 0)
        {
          found = TRUE;
          continue;
        }
      if (now - seen >= MEMBER_GONE_S || seen > now + 300)
        continue;
      if (!(member = g_hash_table_lookup (self->members, key)))
        {
          member = g_new0 (Member, 1);
          member->rendezvous = self;
          memcpy (member->id, id, sizeof member->id);
          g_hash_table_insert (self->members, g_steal_pointer (&key), member);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBERS]);
        }
      member->seen_s = MAX (member->seen_s, seen);
    }
  meet_members (self);
  return found;
}

static guint
lobby_interval (FerryDhtRendezvous *self)
{
  gint64 running_s = (g_get_monotonic_time () - self->started_us) / G_USEC_PER_SEC;

  return running_s < 120 ? LOBBY_FAST_S : running_s < 600 ? LOBBY_SLOW_S : LOBBY_SLOWEST_S;
}

static void read_lobby (FerryDhtRendezvous *self);

static void
lobby_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(FerryDhtRendezvous) self = data;
  g_autoptr(GError) error = NULL;

  ferry_dht_put_finish (FERRY_DHT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->cancellable == NULL)
    return;
  self->lobby_busy = FALSE;
  /* Somebody wrote in between: read again, merge, write again. */
  if (g_error_matches (error, FERRY_DHT_ERROR, FERRY_DHT_ERROR_CAS_MISMATCH) ||
      g_error_matches (error, FERRY_DHT_ERROR, FERRY_DHT_ERROR_SEQ_TOO_LOW))
    {
      self->conflicts++;
      schedule_lobby (self, 1);
      return;
    }
  if (error != NULL)
    {
      g_debug ("writing the DHT lobby failed: %s", error->message);
      schedule_lobby (self, lobby_interval (self));
      return;
    }
  /* Two members who found the lobby empty at once both wrote it without cas: the first write is
   * checked soon, so that the one overwritten writes itself in again. */
  schedule_lobby (self, self->written_us == 0 ? LOBBY_CHECK_S : lobby_interval (self));
  self->written_us = g_get_monotonic_time ();
}

static void
write_lobby (FerryDhtRendezvous      *self,
             const FerryDhtEpochKeys *keys,
             const guint8             salt[FERRY_DHT_SALT_LEN])
{
  static const guint8 everyone[FERRY_DHT_MEMBER_ID_LEN] = { 0 };
  g_autoptr(GBytes) roster = write_roster (self);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) value = NULL;
  gint64 cas = self->lobby_seq;
  gint64 seq = next_seq (self, keys, self->lobby_seq);

  sealed = ferry_dht_seal (keys, salt, seq, self->member_id, everyone, now_ms (self), roster);
  value = item_value (sealed);
  self->lobby_seq = seq;
  ferry_dht_put_async (self->dht, keys->sign_seed, salt, FERRY_DHT_SALT_LEN, seq, cas >= 0 ? &cas : NULL, value,
                       self->cancellable, lobby_written_cb, g_object_ref (self));
}

static void
lobby_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(FerryDhtRendezvous) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDhtValue) value = ferry_dht_get_finish (FERRY_DHT (source), result, &error);
  FerryDhtEpochKeys keys;
  FerryDhtOpened opened = { 0 };
  guint8 salt[FERRY_DHT_SALT_LEN];
  gboolean listed = FALSE;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->cancellable == NULL)
    return;
  epoch_keys (self, &keys);
  ferry_dht_slot_salt (&keys, "lobby", NULL, 0, salt);
  if (keys.epoch != self->lobby_epoch)
    {
      /* The hour turned while reading: start over in the new lobby. */
      self->lobby_busy = FALSE;
      schedule_lobby (self, 0);
      ferry_memzero (&keys, sizeof keys);
      return;
    }
  if (value != NULL && value->seq >= self->lobby_seq)
    {
      g_autoptr(GError) open_error = NULL;

      if (open_item (&keys, salt, value, self->member_id, 0, &opened, &open_error))
        {
          self->lobby_seq = value->seq;
          listed = read_roster (self, opened.payload);
          g_bytes_unref (opened.payload);
        }
      else
        g_debug ("the DHT lobby's value is refused: %s", open_error->message);
    }
  else if (error != NULL && !g_error_matches (error, FERRY_DHT_ERROR, FERRY_DHT_ERROR_NOT_FOUND))
    {
      g_debug ("reading the DHT lobby failed: %s", error->message);
      self->lobby_busy = FALSE;
      schedule_lobby (self, lobby_interval (self));
      ferry_memzero (&keys, sizeof keys);
      return;
    }

  g_debug ("DHT rendezvous: the lobby has %u other members", g_hash_table_size (self->members));
  if (!listed || self->written_us == 0 ||
      g_get_monotonic_time () - self->written_us >= (gint64) REFRESH_S * G_USEC_PER_SEC)
    write_lobby (self, &keys, salt);
  else
    {
      self->lobby_busy = FALSE;
      schedule_lobby (self, lobby_interval (self));
    }
  ferry_memzero (&keys, sizeof keys);
}

static void
read_lobby (FerryDhtRendezvous *self)
{
  FerryDhtEpochKeys keys;
  guint8 salt[FERRY_DHT_SALT_LEN];
  guint8 public_key[FERRY_DHT_KEY_LEN];

  self->lobby_busy = TRUE;
  epoch_keys (self, &keys);
  if (keys.epoch != self->lobby_epoch)
    {
      self->lobby_epoch = keys.epoch;
      self->lobby_seq = -1;
      self->written_us = 0;
    }
  ferry_dht_slot_salt (&keys, "lobby", NULL, 0, salt);
  ferry_dht_item_public_key (keys.sign_seed, public_key);
  ferry_dht_get_async (self->dht, public_key, salt, sizeof salt, NULL, -1, self->cancellable, lobby_read_cb,
                       g_object_ref (self));
  ferry_memzero (&keys, sizeof keys);
}

static gboolean
lobby_cb (gpointer data)
{
  FerryDhtRendezvous *self = data;

  self->lobby_timer = NULL;
  if (!self->lobby_busy)
    read_lobby (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_lobby (FerryDhtRendezvous *self,
                guint               seconds)
{
  if (self->lobby_timer != NULL)
    g_source_destroy (self->lobby_timer);
  /* A little jitter, so that members who started together do not write together. */
  self->lobby_timer = ferry_source_attach (g_timeout_source_new (seconds * 1000 + g_random_int_range (0, 500)),
                                           self->context, G_PRIORITY_DEFAULT, lobby_cb, self, NULL);
}

/* Public */

FerryDhtRendezvous *
ferry_dht_rendezvous_new (FerryDht       *dht,
                          FerryRoom      *room,
                          FerryIdentity  *identity,
                          FerryRtcConfig *config,
                          const char     *local_name)
{
  FerryDhtRendezvous *self;
  const guint8 *secret;

  g_return_val_if_fail (FERRY_IS_DHT (dht), NULL);
  g_return_val_if_fail (FERRY_IS_ROOM (room), NULL);
  secret = ferry_room_link_get_secret (ferry_room_get_link (room));
  g_return_val_if_fail (secret != NULL, NULL);

  self = g_object_new (FERRY_TYPE_DHT_RENDEZVOUS, NULL);
  self->dht = g_object_ref (dht);
  self->room = g_object_ref (room);
  self->identity = g_object_ref (identity);
  self->config = ferry_rtc_config_ref (config);
  self->local_name = g_strdup (local_name);
  memcpy (self->secret, secret, sizeof self->secret);
  /* Our member id is the start of our tracker peer id, so that a member met through a tracker
   * is known as such. */
  if (!ferry_hex_decode (ferry_room_get_peer_id (room), 2 * sizeof self->member_id, '\0', self->member_id,
                         sizeof self->member_id))
    ferry_random_bytes (self->member_id, sizeof self->member_id);
  return self;
}

void
ferry_dht_rendezvous_start (FerryDhtRendezvous *self)
{
  g_return_if_fail (FERRY_IS_DHT_RENDEZVOUS (self));

  if (self->cancellable != NULL)
    return;
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->started_us = g_get_monotonic_time ();
  self->lobby_epoch = 0;
  g_signal_connect_object (self->room, "peer-joined", G_CALLBACK (peer_joined_cb), self, 0);
  for (guint i = 0; i < g_list_model_get_n_items (ferry_room_get_peers (self->room)); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (ferry_room_get_peers (self->room), i);

      peer_joined_cb (self->room, peer, self);
    }
  schedule_lobby (self, 0);
}

void
ferry_dht_rendezvous_stop (FerryDhtRendezvous *self)
{
  g_return_if_fail (FERRY_IS_DHT_RENDEZVOUS (self));

  if (self->cancellable == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_signal_handlers_disconnect_by_data (self->room, self);
  for (guint i = 0; i < g_list_model_get_n_items (ferry_room_get_peers (self->room)); i++)
    {
      g_autoptr(FerryPeer) peer = g_list_model_get_item (ferry_room_get_peers (self->room), i);

      g_signal_handlers_disconnect_by_data (peer, self);
    }
  if (self->lobby_timer != NULL)
    g_source_destroy (g_steal_pointer (&self->lobby_timer));
  self->lobby_busy = FALSE;
  g_hash_table_remove_all (self->members);
  g_clear_pointer (&self->context, g_main_context_unref);
}

guint
ferry_dht_rendezvous_get_members (FerryDhtRendezvous *self)
{
  g_return_val_if_fail (FERRY_IS_DHT_RENDEZVOUS (self), 0);

  return g_hash_table_size (self->members);
}

static void
ferry_dht_rendezvous_dispose (GObject *object)
{
  FerryDhtRendezvous *self = FERRY_DHT_RENDEZVOUS (object);

  ferry_dht_rendezvous_stop (self);
  g_clear_object (&self->dht);
  g_clear_object (&self->room);
  g_clear_object (&self->identity);
  g_clear_pointer (&self->config, ferry_rtc_config_unref);
  G_OBJECT_CLASS (ferry_dht_rendezvous_parent_class)->dispose (object);
}

static void
ferry_dht_rendezvous_finalize (GObject *object)
{
  FerryDhtRendezvous *self = FERRY_DHT_RENDEZVOUS (object);

  ferry_memzero (self->secret, sizeof self->secret);
  g_free (self->local_name);
  g_hash_table_unref (self->members);
  G_OBJECT_CLASS (ferry_dht_rendezvous_parent_class)->finalize (object);
}

static void
ferry_dht_rendezvous_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FerryDhtRendezvous *self = FERRY_DHT_RENDEZVOUS (object);

  switch (prop_id)
    {
    case PROP_MEMBERS:
      g_value_set_uint (value, g_hash_table_size (self->members));
      break;
    case PROP_READ_DELAY:
      g_value_set_uint (value, self->read_delay_ms);
      break;
    case PROP_CLOCK_OFFSET:
      g_value_set_int64 (value, self->clock_offset_s);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_dht_rendezvous_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  FerryDhtRendezvous *self = FERRY_DHT_RENDEZVOUS (object);

  switch (prop_id)
    {
    case PROP_READ_DELAY:
      self->read_delay_ms = g_value_get_uint (value);
      break;
    case PROP_CLOCK_OFFSET:
      self->clock_offset_s = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_dht_rendezvous_class_init (FerryDhtRendezvousClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_dht_rendezvous_dispose;
  object_class->finalize = ferry_dht_rendezvous_finalize;
  object_class->get_property = ferry_dht_rendezvous_get_property;
  object_class->set_property = ferry_dht_rendezvous_set_property;

  properties[PROP_MEMBERS] =
    g_param_spec_uint ("members", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_READ_DELAY] =
    g_param_spec_uint ("read-delay", NULL, NULL, 0, 60000, 0,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLOCK_OFFSET] =
    g_param_spec_int64 ("clock-offset", NULL, NULL, -86400, 86400, 0,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_dht_rendezvous_init (FerryDhtRendezvous *self)
{
  self->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, member_free);
  self->lobby_seq = -1;
}
