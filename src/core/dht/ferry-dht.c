/* ferry-dht.c: a node of the mainline BitTorrent DHT
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One socket per family, each with its routing table and id.  Queries go out through
 * send_query (), which counts them against the rate limits and keeps a transaction until the
 * answer or a 2 s timeout.  Operations (lookups and what follows them: an announce, a put) are
 * Op structs that hold a GTask and one lookup per family; a one-second tick drives everything
 * that waits: operations held back by the rate limits, the state, table upkeep.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ferry-bencode.h"
#include "ferry-defaults.h"
#include "ferry-dht.h"
#include "ferry-dht-enums.h"
#include "ferry-dht-lookup.h"
#include "ferry-dht-node-id.h"
#include "ferry-dht-rate.h"
#include "ferry-dht-routing.h"
#include "ferry-dht-storage.h"
#include "ferry-source.h"

#define QUERY_TIMEOUT_MS 2000
/* Queries in flight per lookup and family. */
#define ALPHA 4
/* An operation ends with what it has after this long. */
#define OP_TIMEOUT_US ((gint64) 30 * G_USEC_PER_SEC)
/* Without a single answer this long after starting, the DHT is blocked from here. */
#define BLOCKED_AFTER_US ((gint64) 20 * G_USEC_PER_SEC)
/* Nodes found by lookups of our own id while the table is thin, at most this often. */
#define REFRESH_EVERY_US ((gint64) 15 * G_USEC_PER_SEC)
#define SAVE_EVERY_US ((gint64) 5 * 60 * G_USEC_PER_SEC)
/* Good nodes needed to call the DHT ready (with a finished lookup of our id: half of it). */
#define READY_GOOD 8
#define MAX_PACKET 4096
#define MAX_VOTES 16
#define MAX_PEERS 200
/* The nodes closest to a target, as a full lookup found them, are asked directly by the next
 * operations on it for this long (unless fewer than NEAR_ENOUGH of them answer): polling an item
 * costs a few packets instead of a lookup. */
#define NEAR_FOR_US ((gint64) 5 * 60 * G_USEC_PER_SEC)
#define NEAR_ENOUGH 4
#define MAX_NEAR 64

typedef struct _Op Op;
typedef struct _Transaction Transaction;

typedef struct
{
  FerryDht           *dht;
  GSocketFamily       family;
  GSocket            *socket;
  GSource            *source;
  GInetSocketAddress *local;
  guint8              id[FERRY_KRPC_ID_LEN];
  FerryDhtRouting    *routing;
  GArray             *saved;              /* of FerryKrpcNode: from the last run, to ask first */
  GInetAddress       *external;
  char               *voters[MAX_VOTES];  /* who told us our address, and what it said */
  GInetAddress       *votes[MAX_VOTES];
  guint               next_vote;
} Family;

struct _FerryDht
{
  GObject          parent_instance;

  FerryDhtMode     mode;
  FerryDhtState    state;
  char           **bootstrap;
  char            *state_dir;

  GMainContext    *context;
  Family           families[2];      /* IPv4, IPv6 */
  gboolean         started;
  gboolean         serving;
  gint64           started_us;
  gint64           clock_offset;
  gint64           refreshed_us;
  gint64           saved_us;
  gint64           bootstrapped_us;
  guint            bootstraps;
  gboolean         own_lookup_done;
  guint64          answers;          /* answers to our queries, ever */

  GHashTable      *transactions;     /* guint16 → Transaction */
  guint16          next_transaction;
  GHashTable      *contacted;        /* "address" strings we queried */
  GHashTable      *unsolicited;      /* queriers we never contacted */
  GHashTable      *near;             /* target (GBytes) → Near */
  FerryDhtRate    *rate;
  FerryDhtStorage *storage;
  GPtrArray       *ops;              /* running and waiting for the bootstrap */
  GSource         *tick;
  GSource         *pump;             /* soon, for what the rate limits held back */
  GCancellable    *resolving;

  guint64          packets_sent, bytes_sent, packets_received, bytes_received;
};

G_DEFINE_TYPE (FerryDht, ferry_dht, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-dht-error-quark, ferry_dht_error)

enum {
  PROP_0,
  PROP_MODE,
  PROP_STATE,
  PROP_BOOTSTRAP,
  PROP_STATE_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum {
  OP_FIND_NODE,     /* our own id: fills the table */
  OP_GET_PEERS,
  OP_ANNOUNCE,
  OP_GET,
  OP_PUT,
} OpKind;

struct _Op
{
  gint              ref_count;
  FerryDht         *dht;
  OpKind            kind;
  GTask            *task;            /* %NULL for OP_FIND_NODE */
  guint8            target[FERRY_KRPC_ID_LEN];
  FerryDhtLookup   *lookups[2];
  gboolean          started, storing, finished;
  gboolean          near;            /* asking the nodes a recent lookup found, not looking up */
  gint64            deadline_us;
  /* OP_GET_PEERS */
  GPtrArray        *peers;
  GHashTable       *peer_set;
  /* OP_ANNOUNCE */
  guint16           port;
  /* OP_GET, OP_PUT */
  gboolean          is_mutable;
  guint8            public_key[FERRY_DHT_KEY_LEN];
  GBytes           *salt;
  gint64            min_seq;
  FerryDhtValue    *best;
  /* OP_PUT */
  gint64            seq;
  gboolean          has_cas;
  gint64            cas;
  GBytes           *value;
  guint8            signature[FERRY_DHT_SIGNATURE_LEN];
  /* OP_ANNOUNCE, OP_PUT: the nodes to store at, and how it went */
  GPtrArray        *store_to;        /* of FerryDhtLookupNode, not owned: the lookups own them */
  GPtrArray        *store_family;
  guint             store_pending;
  guint             stored;
  gint64            refusal_code;
  char             *refusal;
};

typedef struct {
  gint64     found_us;
  GArray    *nodes[2];               /* of FerryKrpcNode, per family */
} Near;

static void
near_free (gpointer data)
{
  Near *near = data;

  for (guint f = 0; f < G_N_ELEMENTS (near->nodes); f++)
    g_clear_pointer (&near->nodes[f], g_array_unref);
  g_free (near);
}

typedef void (*ResponseFunc) (FerryDht         *self,
                              Transaction      *transaction,
                              FerryKrpcMessage *message);

struct _Transaction
{
  FerryDht           *dht;
  guint16             id;
  Family             *family;
  GInetSocketAddress *to;
  guint8              node_id[FERRY_KRPC_ID_LEN];
  gboolean            has_node_id;
  ResponseFunc        func;
  Op                 *op;
  FerryDhtLookupNode *node;
  GSource            *timeout;
};

static void op_pump (Op *op);
static void update_state (FerryDht *self);
static void start_waiting_ops (FerryDht *self);
static void bootstrap (FerryDht *self);

static gint64
now_us (FerryDht *self)
{
  return g_get_monotonic_time () + self->clock_offset;
}

static Family *
family_of (FerryDht      *self,
           GSocketFamily  family)
{
  Family *f = &self->families[family == G_SOCKET_FAMILY_IPV6];

  return f->socket != NULL ? f : NULL;
}

static char *
address_key (GInetSocketAddress *address)
{
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (address));

  return g_strdup_printf ("%s %u", ip, g_inet_socket_address_get_port (address));
}

void
ferry_dht_value_free (FerryDhtValue *value)
{
  if (value == NULL)
    return;
  g_clear_pointer (&value->value, g_bytes_unref);
  g_free (value);
}

/* Sending. */

static void
send_packet (FerryDht           *self,
             Family             *family,
             GInetSocketAddress *to,
             GBytes             *packet)
{
  g_autoptr(GError) error = NULL;
  gsize len = g_bytes_get_size (packet);

  if (g_socket_send_to (family->socket, G_SOCKET_ADDRESS (to), g_bytes_get_data (packet, NULL), len,
                        NULL, &error) < 0)
    {
      g_debug ("sending to the DHT failed: %s", error->message);
      return;
    }
  self->packets_sent++;
  self->bytes_sent += len;
}


/* Transactions. */

static void op_unref (Op *op);

static void
transaction_free (Transaction *transaction)
{
  g_clear_object (&transaction->to);
  if (transaction->timeout != NULL)
    g_source_destroy (transaction->timeout);
  g_free (transaction);
}

/* Ends @transaction with @message, or with %NULL when it timed out or the node stopped. */
static void
transaction_end (Transaction      *transaction,
                 FerryKrpcMessage *message)
{
  FerryDht *self = transaction->dht;
  Op *op = transaction->op;

  g_hash_table_steal (self->transactions, GUINT_TO_POINTER (transaction->id));
  if (message == NULL && transaction->has_node_id && self->started)
    ferry_dht_routing_failed (transaction->family->routing, transaction->node_id);
  if (transaction->func != NULL)
    transaction->func (self, transaction, message);
  transaction_free (transaction);
  if (op != NULL)
    op_unref (op);
}

static gboolean
transaction_timeout_cb (gpointer data)
{
  Transaction *transaction = data;

  transaction->timeout = NULL;
  transaction_end (transaction, NULL);
  return G_SOURCE_REMOVE;
}

static Op *
op_ref (Op *op)
{
  op->ref_count++;
  return op;
}

static gboolean
send_query (FerryDht           *self,
            Family             *family,
            GInetSocketAddress *to,
            const guint8       *node_id,
            const char         *method,
            GByteArray         *body,
            ResponseFunc        func,
            Op                 *op,
            FerryDhtLookupNode *node,
            gint64             *wait_us)
{
  g_autoptr(GBytes) packet = NULL;
  Transaction *transaction;
  guint8 tid[2];

  /* Stopping: what ends now must not start anything. */
  if (!self->started)
    {
      if (wait_us != NULL)
        *wait_us = 0;
      return FALSE;
    }
  if (!ferry_dht_rate_take (self->rate, to, now_us (self), wait_us))
    return FALSE;

  while (g_hash_table_contains (self->transactions, GUINT_TO_POINTER (self->next_transaction)))
    self->next_transaction++;
  transaction = g_new0 (Transaction, 1);
  transaction->dht = self;
  transaction->id = self->next_transaction++;
  transaction->family = family;
  transaction->to = g_object_ref (to);
  if (node_id != NULL)
    {
      memcpy (transaction->node_id, node_id, FERRY_KRPC_ID_LEN);
      transaction->has_node_id = TRUE;
    }
  transaction->func = func;
  transaction->op = op != NULL ? op_ref (op) : NULL;
  transaction->node = node;
  transaction->timeout = ferry_source_attach (g_timeout_source_new (QUERY_TIMEOUT_MS), self->context,
                                              G_PRIORITY_DEFAULT, transaction_timeout_cb, transaction, NULL);
  g_hash_table_insert (self->transactions, GUINT_TO_POINTER (transaction->id), transaction);

  tid[0] = transaction->id >> 8;
  tid[1] = transaction->id & 0xff;
  ferry_bencode_write_mark (body, 'e');
  packet = ferry_krpc_write_query (tid, sizeof tid, method, body->data, body->len, !self->serving);
  send_packet (self, family, to, packet);
  /* Only to tell unsolicited queries from answers to our contacts: a bounded memory will do. */
  if (g_hash_table_size (self->contacted) >= 4096)
    g_hash_table_remove_all (self->contacted);
  g_hash_table_add (self->contacted, address_key (to));
  return TRUE;
}

static GByteArray *
body_start (Family *family)
{
  GByteArray *body = g_byte_array_new ();

  ferry_bencode_write_mark (body, 'd');
  ferry_bencode_write_str (body, "id");
  ferry_bencode_write_bytes (body, family->id, FERRY_KRPC_ID_LEN);
  return body;
}

/* Learning about nodes. */

static gboolean send_find_node (FerryDht *self, Family *family, GInetSocketAddress *to, const guint8 *node_id);

static void
heard_from (FerryDht           *self,
            Family             *family,
            const guint8        id[FERRY_KRPC_ID_LEN],
            GInetSocketAddress *address,
            gboolean            answered)
{
  const FerryDhtNode *to_ping = NULL;

  if (ferry_dht_routing_add (family->routing, id, address, answered, now_us (self), &to_ping) ==
      FERRY_DHT_ROUTING_PING_FIRST && to_ping != NULL)
    send_find_node (self, family, to_ping->address, to_ping->id);
}

static void
find_node_answer_cb (FerryDht         *self,
                     Transaction      *transaction,
                     FerryKrpcMessage *message)
{
  const FerryBencode *nodes;
  g_autoptr(GArray) found = NULL;

  if (message == NULL || message->type != FERRY_KRPC_RESPONSE)
    return;
  nodes = ferry_bencode_lookup (message->body,
                                transaction->family->family == G_SOCKET_FAMILY_IPV6 ? "nodes6" : "nodes");
  if (nodes == NULL || !(found = ferry_krpc_nodes_parse (nodes, transaction->family->family == G_SOCKET_FAMILY_IPV6, NULL)))
    return;
  /* Strangers until they answer us themselves: the table only takes them as questionable. */
  for (guint i = 0; i < found->len && i < FERRY_DHT_K * 2; i++)
    {
      FerryKrpcNode *node = &g_array_index (found, FerryKrpcNode, i);

      if (g_socket_address_get_family (G_SOCKET_ADDRESS (node->address)) == transaction->family->family &&
          ferry_dht_routing_lookup (transaction->family->routing, node->id) == NULL)
        heard_from (self, transaction->family, node->id, node->address, FALSE);
    }
}

/* A find_node for our own id: a ping that also brings nodes near us. */
static gboolean
send_find_node (FerryDht           *self,
                Family             *family,
                GInetSocketAddress *to,
                const guint8       *node_id)
{
  g_autoptr(GByteArray) body = body_start (family);

  ferry_bencode_write_str (body, "target");
  ferry_bencode_write_bytes (body, family->id, FERRY_KRPC_ID_LEN);
  return send_query (self, family, to, node_id, "find_node", body, find_node_answer_cb, NULL, NULL, NULL);
}

/* BEP 42: the address others see us at, by majority of the last answers.  A liar can do little
 * with it: it only decides our id once we serve, and we serve only if the address is our own. */
static void
vote (FerryDht           *self,
      Family             *family,
      GInetSocketAddress *from,
      GInetSocketAddress *ip)
{
  g_autofree char *voter = address_key (from);
  GInetAddress *said = g_inet_socket_address_get_address (ip);
  GInetAddress *best = NULL;
  guint best_votes = 0;

  if (g_inet_address_get_family (said) != family->family)
    return;
  for (guint i = 0; i < MAX_VOTES; i++)
    if (g_strcmp0 (family->voters[i], voter) == 0)
      {
        g_set_object (&family->votes[i], said);
        g_clear_pointer (&voter, g_free);
        break;
      }
  if (voter != NULL)
    {
      guint i = family->next_vote++ % MAX_VOTES;

      g_free (family->voters[i]);
      family->voters[i] = g_steal_pointer (&voter);
      g_set_object (&family->votes[i], said);
    }

  for (guint i = 0; i < MAX_VOTES; i++)
    {
      guint n = 0;

      for (guint j = 0; family->votes[i] != NULL && j < MAX_VOTES; j++)
        n += family->votes[j] != NULL && g_inet_address_equal (family->votes[i], family->votes[j]);
      if (n > best_votes)
        {
          best = family->votes[i];
          best_votes = n;
        }
    }
  if (best != NULL && (family->external == NULL || !g_inet_address_equal (best, family->external)))
    {
      g_autofree char *text = g_inet_address_to_string (best);

      g_set_object (&family->external, best);
      g_debug ("the DHT sees us at %s", text);
    }
}

/* Whether @address is one of this machine's own: then nothing translates our packets. */
static gboolean
is_own_address (GInetAddress *address)
{
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (address, 0);

  return socket != NULL && g_socket_bind (socket, local, FALSE, NULL);
}

static void
start_serving (FerryDht *self)
{
  g_debug ("reachable: the DHT node answers queries now");
  self->serving = TRUE;
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    {
      Family *family = &self->families[f];
      GInetAddress *address = family->external;
      g_autoptr(FerryDhtRouting) old = NULL;
      g_autoptr(GPtrArray) nodes = NULL;
      guint8 target[FERRY_KRPC_ID_LEN] = { 0 };

      if (family->socket == NULL)
        continue;
      if (address == NULL)
        address = g_inet_socket_address_get_address (family->local);
      /* BEP 42: a serving node's id comes from its address.  The table moves to the new id. */
      ferry_dht_node_id_generate (address, family->id);
      old = g_steal_pointer (&family->routing);
      family->routing = ferry_dht_routing_new (family->id, family->family);
      nodes = ferry_dht_routing_closest (old, target, G_MAXUINT, FALSE, now_us (self));
      for (guint i = 0; i < nodes->len; i++)
        {
          FerryDhtNode *node = g_ptr_array_index (nodes, i);

          ferry_dht_routing_add (family->routing, node->id, node->address, node->last_answer_us > 0,
                                 now_us (self), NULL);
        }
    }
}

static void
check_reachable (FerryDht *self)
{
  if (self->serving || self->mode != FERRY_DHT_MODE_AUTO)
    return;
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    if (self->families[f].external != NULL && is_own_address (self->families[f].external))
      {
        start_serving (self);
        return;
      }
  /* Queries from nodes we never contacted reached us: something points at us and gets through. */
  if (g_hash_table_size (self->unsolicited) >= 2)
    start_serving (self);
}

/* Answering queries. */

static void
write_nodes (FerryDht     *self,
             GByteArray   *body,
             Family       *family,
             const guint8  target[FERRY_KRPC_ID_LEN])
{
  g_autoptr(GPtrArray) closest = NULL;
  g_autoptr(GByteArray) compact = g_byte_array_new ();

  if (family == NULL)
    return;
  closest = ferry_dht_routing_closest (family->routing, target, FERRY_DHT_K, FALSE, now_us (self));
  for (guint i = 0; i < closest->len; i++)
    {
      FerryDhtNode *node = g_ptr_array_index (closest, i);

      g_byte_array_append (compact, node->id, FERRY_KRPC_ID_LEN);
      ferry_krpc_write_address (compact, node->address);
    }
  ferry_bencode_write_str (body, family->family == G_SOCKET_FAMILY_IPV6 ? "nodes6" : "nodes");
  ferry_bencode_write_bytes (body, compact->data, compact->len);
}

/* "nodes" and/or "nodes6": the families asked for with BEP 32's "want", else the querier's. */
static void
write_wanted_nodes (FerryDht           *self,
                    GByteArray         *body,
                    Family             *family,
                    const FerryBencode *args,
                    const guint8        target[FERRY_KRPC_ID_LEN])
{
  const FerryBencode *want = ferry_bencode_lookup (args, "want");
  gboolean n4 = family->family == G_SOCKET_FAMILY_IPV4, n6 = !n4;

  if (want != NULL && ferry_bencode_get_kind (want) == FERRY_BENCODE_LIST)
    {
      n4 = n6 = FALSE;
      for (guint i = 0; i < ferry_bencode_get_length (want); i++)
        {
          n4 |= ferry_bencode_equal_str (ferry_bencode_get_item (want, i), "n4");
          n6 |= ferry_bencode_equal_str (ferry_bencode_get_item (want, i), "n6");
        }
    }
  if (n4)
    write_nodes (self, body, family_of (self, G_SOCKET_FAMILY_IPV4), target);
  if (n6)
    write_nodes (self, body, family_of (self, G_SOCKET_FAMILY_IPV6), target);
}

static const guint8 *
arg_bytes (const FerryBencode *args,
           const char         *key,
           gsize               len)
{
  const FerryBencode *value = ferry_bencode_lookup (args, key);
  const guint8 *bytes;
  gsize value_len;

  if (value == NULL || ferry_bencode_get_kind (value) != FERRY_BENCODE_BYTES)
    return NULL;
  bytes = ferry_bencode_get_bytes (value, &value_len);
  return len == 0 || value_len == len ? bytes : NULL;
}

static gboolean
arg_int (const FerryBencode *args,
         const char         *key,
         gint64             *out)
{
  const FerryBencode *value = ferry_bencode_lookup (args, key);

  if (value == NULL || ferry_bencode_get_kind (value) != FERRY_BENCODE_INT)
    return FALSE;
  *out = ferry_bencode_get_int (value);
  return TRUE;
}

static void
write_token (FerryDht           *self,
             GByteArray         *body,
             GInetSocketAddress *from)
{
  guint8 token[FERRY_DHT_TOKEN_LEN];

  ferry_dht_storage_make_token (self->storage, g_inet_socket_address_get_address (from), now_us (self), token);
  ferry_bencode_write_str (body, "token");
  ferry_bencode_write_bytes (body, token, sizeof token);
}

static gboolean
token_ok (FerryDht           *self,
          const FerryBencode *args,
          GInetSocketAddress *from)
{
  const FerryBencode *token = ferry_bencode_lookup (args, "token");
  const guint8 *bytes;
  gsize len;

  if (token == NULL || ferry_bencode_get_kind (token) != FERRY_BENCODE_BYTES)
    return FALSE;
  bytes = ferry_bencode_get_bytes (token, &len);
  return ferry_dht_storage_check_token (self->storage, g_inet_socket_address_get_address (from), bytes, len,
                                        now_us (self));
}

/* The body of the answer to @message, or an error code and text. */
static GByteArray *
answer (FerryDht           *self,
        Family             *family,
        FerryKrpcMessage   *message,
        GInetSocketAddress *from,
        gint64             *code,
        const char        **text)
{
  const FerryBencode *args = message->body;
  g_autoptr(GByteArray) body = body_start (family);
  const guint8 *target;

  if (ferry_krpc_message_is (message, "ping"))
    return g_steal_pointer (&body);

  if (ferry_krpc_message_is (message, "find_node"))
    {
      if (!(target = arg_bytes (args, "target", FERRY_KRPC_ID_LEN)))
        return (*text = "target missing", NULL);
      write_wanted_nodes (self, body, family, args, target);
      return g_steal_pointer (&body);
    }

  if (ferry_krpc_message_is (message, "get_peers"))
    {
      g_autoptr(GPtrArray) peers = NULL;

      if (!(target = arg_bytes (args, "info_hash", FERRY_KRPC_ID_LEN)))
        return (*text = "info_hash missing", NULL);
      write_wanted_nodes (self, body, family, args, target);
      write_token (self, body, from);
      peers = ferry_dht_storage_get_peers (self->storage, target, family->family, 50, now_us (self));
      if (peers->len > 0)
        {
          ferry_bencode_write_str (body, "values");
          ferry_bencode_write_mark (body, 'l');
          for (guint i = 0; i < peers->len; i++)
            {
              g_autoptr(GByteArray) compact = g_byte_array_new ();

              ferry_krpc_write_address (compact, g_ptr_array_index (peers, i));
              ferry_bencode_write_bytes (body, compact->data, compact->len);
            }
          ferry_bencode_write_mark (body, 'e');
        }
      return g_steal_pointer (&body);
    }

  if (ferry_krpc_message_is (message, "announce_peer"))
    {
      g_autoptr(GSocketAddress) peer = NULL;
      gint64 implied = 0, port = 0;

      if (!(target = arg_bytes (args, "info_hash", FERRY_KRPC_ID_LEN)))
        return (*text = "info_hash missing", NULL);
      arg_int (args, "implied_port", &implied);
      if (implied != 1 && (!arg_int (args, "port", &port) || port <= 0 || port > 65535))
        return (*text = "port missing", NULL);
      if (!token_ok (self, args, from))
        return (*text = "bad token", NULL);
      peer = implied == 1 ? g_object_ref (G_SOCKET_ADDRESS (from))
                          : g_inet_socket_address_new (g_inet_socket_address_get_address (from), port);
      ferry_dht_storage_announce (self->storage, target, G_INET_SOCKET_ADDRESS (peer), now_us (self));
      return g_steal_pointer (&body);
    }

  if (ferry_krpc_message_is (message, "get"))
    {
      const FerryDhtStoredItem *item;
      gint64 seq = -1;

      if (!(target = arg_bytes (args, "target", FERRY_KRPC_ID_LEN)))
        return (*text = "target missing", NULL);
      arg_int (args, "seq", &seq);
      item = ferry_dht_storage_get_item (self->storage, target, now_us (self));
      if (item != NULL && item->is_mutable)
        {
          ferry_bencode_write_str (body, "k");
          ferry_bencode_write_bytes (body, item->public_key, FERRY_DHT_KEY_LEN);
        }
      write_wanted_nodes (self, body, family, args, target);
      if (item != NULL && item->is_mutable)
        {
          ferry_bencode_write_str (body, "seq");
          ferry_bencode_write_int (body, item->seq);
          /* BEP 44: nothing more when the querier has this one or a newer one already. */
          if (seq < item->seq)
            {
              ferry_bencode_write_str (body, "sig");
              ferry_bencode_write_bytes (body, item->signature, FERRY_DHT_SIGNATURE_LEN);
            }
        }
      write_token (self, body, from);
      if (item != NULL && (!item->is_mutable || seq < item->seq))
        {
          ferry_bencode_write_str (body, "v");
          g_byte_array_append (body, g_bytes_get_data (item->value, NULL), g_bytes_get_size (item->value));
        }
      return g_steal_pointer (&body);
    }

  if (ferry_krpc_message_is (message, "put"))
    {
      const FerryBencode *v = ferry_bencode_lookup (args, "v");
      g_autoptr(GBytes) value = NULL;
      const guint8 *raw;
      gsize raw_len;
      int refused;

      if (v == NULL)
        return (*text = "v missing", NULL);
      if (!token_ok (self, args, from))
        return (*text = "bad token", NULL);
      raw = ferry_bencode_get_raw (v, &raw_len);
      value = g_bytes_new (raw, raw_len);
      if (ferry_bencode_lookup (args, "k") != NULL)
        {
          const guint8 *k = arg_bytes (args, "k", FERRY_DHT_KEY_LEN);
          const guint8 *sig = arg_bytes (args, "sig", FERRY_DHT_SIGNATURE_LEN);
          const FerryBencode *salt = ferry_bencode_lookup (args, "salt");
          const guint8 *salt_bytes = NULL;
          gsize salt_len = 0;
          gint64 seq, cas;
          gboolean has_cas = arg_int (args, "cas", &cas);

          if (k == NULL || sig == NULL || !arg_int (args, "seq", &seq))
            return (*text = "k, seq or sig missing", NULL);
          if (salt != NULL)
            {
              if (ferry_bencode_get_kind (salt) != FERRY_BENCODE_BYTES)
                return (*text = "salt is not a byte string", NULL);
              salt_bytes = ferry_bencode_get_bytes (salt, &salt_len);
            }
          refused = ferry_dht_storage_put_mutable (self->storage, k, salt_bytes, salt_len, seq,
                                                   has_cas ? &cas : NULL, value, sig, now_us (self));
        }
      else
        refused = ferry_dht_storage_put_immutable (self->storage, value, now_us (self));
      if (refused != 0)
        {
          *code = refused;
          *text = refused == FERRY_KRPC_VALUE_TOO_BIG ? "value too big"
                : refused == FERRY_KRPC_SALT_TOO_BIG ? "salt too big"
                : refused == FERRY_KRPC_BAD_SIGNATURE ? "invalid signature"
                : refused == FERRY_KRPC_CAS_MISMATCH ? "CAS mismatch"
                : "sequence number less than current";
          return NULL;
        }
      return g_steal_pointer (&body);
    }

  *code = FERRY_KRPC_METHOD_UNKNOWN;
  *text = "method unknown";
  return NULL;
}

static void
handle_query (FerryDht           *self,
              Family             *family,
              FerryKrpcMessage   *message,
              GInetSocketAddress *from)
{
  g_autoptr(GByteArray) body = NULL;
  g_autoptr(GBytes) packet = NULL;
  g_autofree char *key = address_key (from);
  gint64 code = FERRY_KRPC_PROTOCOL_ERROR;
  const char *text = NULL;

  if (!g_hash_table_contains (self->contacted, key) && g_hash_table_size (self->unsolicited) < 64)
    {
      g_hash_table_add (self->unsolicited, g_steal_pointer (&key));
      check_reachable (self);
    }
  if (!self->serving)
    return;  /* BEP 43: a read-only node answers nobody */
  /* BEP 43: nodes that answer nobody have no place in routing tables. */
  if (!message->read_only)
    heard_from (self, family, message->id, from, FALSE);

  body = answer (self, family, message, from, &code, &text);
  if (body != NULL)
    {
      ferry_bencode_write_mark (body, 'e');
      packet = ferry_krpc_write_response (message->transaction, message->transaction_len, body->data, body->len, from);
    }
  else
    packet = ferry_krpc_write_error (message->transaction, message->transaction_len, code, text);
  send_packet (self, family, from, packet);
}

static void
handle_reply (FerryDht           *self,
              Family             *family,
              FerryKrpcMessage   *message,
              GInetSocketAddress *from)
{
  Transaction *transaction;
  guint16 tid;

  if (message->transaction_len != 2)
    return;
  tid = message->transaction[0] << 8 | message->transaction[1];
  transaction = g_hash_table_lookup (self->transactions, GUINT_TO_POINTER (tid));
  /* Only the node we asked may answer. */
  if (transaction == NULL || transaction->family != family ||
      g_inet_socket_address_get_port (transaction->to) != g_inet_socket_address_get_port (from) ||
      !g_inet_address_equal (g_inet_socket_address_get_address (transaction->to),
                             g_inet_socket_address_get_address (from)))
    return;

  if (message->type == FERRY_KRPC_RESPONSE)
    {
      self->answers++;
      if (memcmp (message->id, family->id, FERRY_KRPC_ID_LEN) != 0)
        heard_from (self, family, message->id, from, TRUE);
      if (message->ip != NULL)
        {
          vote (self, family, from, message->ip);
          check_reachable (self);
        }
    }
  transaction_end (transaction, message);
}

static gboolean
receive_cb (GSocket      *socket,
            GIOCondition  condition,
            gpointer      data)
{
  Family *family = data;
  FerryDht *self = family->dht;
  guint8 buffer[MAX_PACKET];

  for (guint i = 0; i < 64; i++)
    {
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(FerryKrpcMessage) message = NULL;
      g_autoptr(GError) error = NULL;
      gssize len = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, &error);

      if (len < 0)
        break;
      self->packets_received++;
      self->bytes_received += len;
      /* Only KRPC: crawlers' uTP and other probes are dropped quietly. */
      if (len == 0 || buffer[0] != 'd' || !G_IS_INET_SOCKET_ADDRESS (from))
        continue;
      if (!(message = ferry_krpc_message_parse (buffer, len, &error)))
        {
          g_debug ("a DHT packet refused: %s", error->message);
          continue;
        }
      if (message->type == FERRY_KRPC_QUERY)
        handle_query (self, family, message, G_INET_SOCKET_ADDRESS (from));
      else
        handle_reply (self, family, message, G_INET_SOCKET_ADDRESS (from));
      if (!self->started)
        break;
    }
  update_state (self);
  return G_SOURCE_CONTINUE;
}

/* Operations. */

static void
op_unref (Op *op)
{
  if (--op->ref_count > 0)
    return;
  for (guint f = 0; f < G_N_ELEMENTS (op->lookups); f++)
    g_clear_pointer (&op->lookups[f], ferry_dht_lookup_free);
  g_clear_pointer (&op->peers, g_ptr_array_unref);
  g_clear_pointer (&op->peer_set, g_hash_table_unref);
  g_clear_pointer (&op->salt, g_bytes_unref);
  g_clear_pointer (&op->best, ferry_dht_value_free);
  g_clear_pointer (&op->value, g_bytes_unref);
  g_clear_pointer (&op->store_to, g_ptr_array_unref);
  g_clear_pointer (&op->store_family, g_ptr_array_unref);
  g_clear_pointer (&op->refusal, g_free);
  g_clear_object (&op->task);
  g_free (op);
}

static void
op_finish (Op     *op,
           GError *error)
{
  FerryDht *self = op->dht;

  if (op->finished)
    {
      g_clear_error (&error);
      return;
    }
  op->finished = TRUE;
  op_ref (op);
  g_ptr_array_remove (self->ops, op);
  if (op->kind == OP_FIND_NODE)
    {
      if (error == NULL)
        self->own_lookup_done = TRUE;
      g_clear_error (&error);
      update_state (self);
    }
  else if (error != NULL)
    g_task_return_error (op->task, error);
  else if (op->kind == OP_GET_PEERS)
    g_task_return_pointer (op->task, g_steal_pointer (&op->peers), (GDestroyNotify) g_ptr_array_unref);
  else if (op->kind == OP_GET)
    g_task_return_pointer (op->task, g_steal_pointer (&op->best), (GDestroyNotify) ferry_dht_value_free);
  else
    g_task_return_int (op->task, op->stored);
  op_unref (op);
}

static guint
op_answers (Op *op)
{
  guint answers = 0;

  for (guint f = 0; f < G_N_ELEMENTS (op->lookups); f++)
    if (op->lookups[f] != NULL)
      answers += ferry_dht_lookup_answers (op->lookups[f]);
  return answers;
}

static GError *
unreachable_error (void)
{
  return g_error_new_literal (FERRY_DHT_ERROR, FERRY_DHT_ERROR_UNREACHABLE,
                              _("No DHT node answered: the DHT cannot be reached from this network"));
}

static void
pump_ops (FerryDht *self)
{
  g_autoptr(GPtrArray) ops = g_ptr_array_copy (self->ops, (GCopyFunc) op_ref, NULL);

  g_ptr_array_set_free_func (ops, (GDestroyNotify) op_unref);
  for (guint i = 0; i < ops->len; i++)
    op_pump (g_ptr_array_index (ops, i));
}

static gboolean
pump_cb (gpointer data)
{
  FerryDht *self = data;

  self->pump = NULL;
  pump_ops (self);
  return G_SOURCE_REMOVE;
}

/* Pumps the operations again in @wait_us, for what the rate limits held back. */
static void
schedule_pump (FerryDht *self,
               gint64    wait_us)
{
  if (self->pump != NULL)
    return;
  self->pump = ferry_source_attach (g_timeout_source_new (MAX (1, (wait_us + 999) / 1000)), self->context,
                                    G_PRIORITY_DEFAULT, pump_cb, self, NULL);
}

static Family *
lookup_family (Op                 *op,
               FerryDhtLookup     *lookup)
{
  return &op->dht->families[op->lookups[1] == lookup];
}

static void
found_value (Op                 *op,
             const FerryBencode *body)
{
  const FerryBencode *v = ferry_bencode_lookup (body, "v");
  const guint8 *raw;
  gsize raw_len;
  gint64 seq = 0;

  if (v == NULL)
    return;
  raw = ferry_bencode_get_raw (v, &raw_len);
  if (op->is_mutable)
    {
      const guint8 *k = arg_bytes (body, "k", FERRY_DHT_KEY_LEN);
      const guint8 *sig = arg_bytes (body, "sig", FERRY_DHT_SIGNATURE_LEN);
      gsize salt_len = op->salt != NULL ? g_bytes_get_size (op->salt) : 0;

      /* Nodes may send the salt back (some do, against BEP 44): ours is the one that counts. */
      if (k == NULL || sig == NULL || !arg_int (body, "seq", &seq) ||
          memcmp (k, op->public_key, FERRY_DHT_KEY_LEN) != 0 ||
          !ferry_dht_item_verify (k, op->salt != NULL ? g_bytes_get_data (op->salt, NULL) : NULL, salt_len,
                                  seq, raw, raw_len, sig))
        {
          g_debug ("a DHT node sent an item that does not verify");
          return;
        }
    }
  else
    {
      guint8 target[FERRY_DHT_TARGET_LEN];

      ferry_dht_item_immutable_target (raw, raw_len, target);
      if (memcmp (target, op->target, FERRY_DHT_TARGET_LEN) != 0)
        return;
    }

  /* Asked for something newer than @min_seq: some nodes send what they have anyway. */
  if (op->is_mutable && op->min_seq >= 0 && seq <= op->min_seq)
    return;
  if (op->best != NULL && op->best->seq == seq && g_bytes_get_size (op->best->value) == raw_len &&
      memcmp (g_bytes_get_data (op->best->value, NULL), raw, raw_len) == 0)
    op->best->nodes++;
  else if (op->best == NULL || seq > op->best->seq)
    {
      g_clear_pointer (&op->best, ferry_dht_value_free);
      op->best = g_new0 (FerryDhtValue, 1);
      op->best->is_mutable = op->is_mutable;
      memcpy (op->best->public_key, op->public_key, FERRY_DHT_KEY_LEN);
      op->best->seq = seq;
      op->best->value = g_bytes_new (raw, raw_len);
      op->best->nodes = 1;
    }
}

static void
found_peers (Op                 *op,
             const FerryBencode *body)
{
  const FerryBencode *values = ferry_bencode_lookup (body, "values");

  if (values == NULL || ferry_bencode_get_kind (values) != FERRY_BENCODE_LIST)
    return;
  for (guint i = 0; i < ferry_bencode_get_length (values) && op->peers->len < MAX_PEERS; i++)
    {
      const FerryBencode *value = ferry_bencode_get_item (values, i);
      g_autoptr(GInetSocketAddress) peer = NULL;
      const guint8 *bytes;
      gsize len;

      if (ferry_bencode_get_kind (value) != FERRY_BENCODE_BYTES)
        continue;
      bytes = ferry_bencode_get_bytes (value, &len);
      if ((peer = ferry_krpc_address_parse (bytes, len)) == NULL)
        continue;
      if (g_hash_table_add (op->peer_set, address_key (peer)))
        g_ptr_array_add (op->peers, g_steal_pointer (&peer));
    }
}

static void
lookup_answer_cb (FerryDht         *self,
                  Transaction      *transaction,
                  FerryKrpcMessage *message)
{
  Op *op = transaction->op;
  FerryDhtLookup *lookup = op->lookups[transaction->family->family == G_SOCKET_FAMILY_IPV6];
  const FerryBencode *nodes, *token;
  g_autoptr(GArray) found = NULL;
  g_autoptr(GBytes) token_bytes = NULL;
  gboolean ipv6 = transaction->family->family == G_SOCKET_FAMILY_IPV6;

  if (op->finished || lookup == NULL)
    return;
  if (message == NULL || message->type != FERRY_KRPC_RESPONSE)
    {
      ferry_dht_lookup_failed (lookup, transaction->node);
      op_pump (op);
      return;
    }

  token = ferry_bencode_lookup (message->body, "token");
  if (token != NULL && ferry_bencode_get_kind (token) == FERRY_BENCODE_BYTES)
    {
      gsize len;
      const guint8 *bytes = ferry_bencode_get_bytes (token, &len);

      if (len > 0 && len <= 64)
        token_bytes = g_bytes_new (bytes, len);
    }
  ferry_dht_lookup_answered (lookup, transaction->node, token_bytes);

  nodes = op->near ? NULL : ferry_bencode_lookup (message->body, ipv6 ? "nodes6" : "nodes");
  if (nodes != NULL && (found = ferry_krpc_nodes_parse (nodes, ipv6, NULL)) != NULL)
    for (guint i = 0; i < found->len; i++)
      {
        FerryKrpcNode *node = &g_array_index (found, FerryKrpcNode, i);

        if (memcmp (node->id, transaction->family->id, FERRY_KRPC_ID_LEN) != 0 &&
            g_inet_socket_address_get_port (node->address) != 0)
          ferry_dht_lookup_add (lookup, node->id, node->address);
      }

  if (op->kind == OP_GET_PEERS)
    found_peers (op, message->body);
  else if (op->kind == OP_GET || (op->kind == OP_PUT && op->is_mutable))
    found_value (op, message->body);
  op_pump (op);
}

static gboolean
send_lookup_query (Op                 *op,
                   Family             *family,
                   FerryDhtLookupNode *node,
                   gint64             *wait_us)
{
  g_autoptr(GByteArray) body = body_start (family);
  const char *method;

  switch (op->kind)
    {
    case OP_FIND_NODE:
      method = "find_node";
      ferry_bencode_write_str (body, "target");
      break;
    case OP_GET_PEERS:
    case OP_ANNOUNCE:
      method = "get_peers";
      ferry_bencode_write_str (body, "info_hash");
      break;
    case OP_GET:
    case OP_PUT:
    default:
      method = "get";
      if (op->kind == OP_GET && op->min_seq >= 0)
        {
          ferry_bencode_write_str (body, "seq");
          ferry_bencode_write_int (body, op->min_seq);
        }
      ferry_bencode_write_str (body, "target");
      break;
    }
  ferry_bencode_write_bytes (body, op->target, FERRY_KRPC_ID_LEN);
  return send_query (op->dht, family, node->address, node->id, method, body, lookup_answer_cb, op, node, wait_us);
}

static void
store_answer_cb (FerryDht         *self,
                 Transaction      *transaction,
                 FerryKrpcMessage *message)
{
  Op *op = transaction->op;

  op->store_pending--;
  if (message != NULL && message->type == FERRY_KRPC_RESPONSE)
    op->stored++;
  else if (message != NULL)
    {
      op->refusal_code = message->error_code;
      g_free (op->refusal);
      op->refusal = g_strdup (message->error_message);
    }
  op_pump (op);
}

static gboolean
send_store (Op                 *op,
            Family             *family,
            FerryDhtLookupNode *node,
            gint64             *wait_us)
{
  g_autoptr(GByteArray) body = NULL;
  gsize token_len;
  const guint8 *token = g_bytes_get_data (node->token, &token_len);

  if (op->kind == OP_ANNOUNCE)
    {
      body = body_start (family);
      if (op->port == 0)
        {
          ferry_bencode_write_str (body, "implied_port");
          ferry_bencode_write_int (body, 1);
        }
      ferry_bencode_write_str (body, "info_hash");
      ferry_bencode_write_bytes (body, op->target, FERRY_KRPC_ID_LEN);
      ferry_bencode_write_str (body, "port");
      ferry_bencode_write_int (body, op->port != 0 ? op->port
                                                   : g_inet_socket_address_get_port (family->local));
      ferry_bencode_write_str (body, "token");
      ferry_bencode_write_bytes (body, token, token_len);
      return send_query (op->dht, family, node->address, node->id, "announce_peer", body, store_answer_cb, op, NULL,
                         wait_us);
    }

  body = g_byte_array_new ();
  ferry_bencode_write_mark (body, 'd');
  if (op->has_cas)
    {
      ferry_bencode_write_str (body, "cas");
      ferry_bencode_write_int (body, op->cas);
    }
  ferry_bencode_write_str (body, "id");
  ferry_bencode_write_bytes (body, family->id, FERRY_KRPC_ID_LEN);
  if (op->is_mutable)
    {
      ferry_bencode_write_str (body, "k");
      ferry_bencode_write_bytes (body, op->public_key, FERRY_DHT_KEY_LEN);
      if (op->salt != NULL)
        {
          ferry_bencode_write_str (body, "salt");
          ferry_bencode_write_bytes (body, g_bytes_get_data (op->salt, NULL), g_bytes_get_size (op->salt));
        }
      ferry_bencode_write_str (body, "seq");
      ferry_bencode_write_int (body, op->seq);
      ferry_bencode_write_str (body, "sig");
      ferry_bencode_write_bytes (body, op->signature, FERRY_DHT_SIGNATURE_LEN);
    }
  ferry_bencode_write_str (body, "token");
  ferry_bencode_write_bytes (body, token, token_len);
  ferry_bencode_write_str (body, "v");
  g_byte_array_append (body, g_bytes_get_data (op->value, NULL), g_bytes_get_size (op->value));
  return send_query (op->dht, family, node->address, node->id, "put", body, store_answer_cb, op, NULL, wait_us);
}

static GError *
refusal_error (Op *op)
{
  int code = op->refusal_code == FERRY_KRPC_CAS_MISMATCH ? FERRY_DHT_ERROR_CAS_MISMATCH
           : op->refusal_code == FERRY_KRPC_SEQ_TOO_LOW ? FERRY_DHT_ERROR_SEQ_TOO_LOW
           : op->refusal_code == FERRY_KRPC_VALUE_TOO_BIG ||
             op->refusal_code == FERRY_KRPC_SALT_TOO_BIG ? FERRY_DHT_ERROR_INVALID
           : FERRY_DHT_ERROR_REFUSED;

  if (op->refusal == NULL)
    return g_error_new_literal (FERRY_DHT_ERROR, FERRY_DHT_ERROR_UNREACHABLE,
                                _("No DHT node took the value: none answered"));
  return g_error_new (FERRY_DHT_ERROR, code, _("DHT nodes refused the value: %s (error %" G_GINT64_FORMAT ")"),
                      op->refusal, op->refusal_code);
}

static void op_start (Op *op);

/* Keeps the nodes closest to the target that answered a full lookup. */
static void
remember_near (Op *op)
{
  FerryDht *self = op->dht;
  Near *near = g_new0 (Near, 1);

  near->found_us = now_us (self);
  for (guint f = 0; f < G_N_ELEMENTS (op->lookups); f++)
    {
      g_autoptr(GPtrArray) closest = NULL;

      if (op->lookups[f] == NULL)
        continue;
      closest = ferry_dht_lookup_closest (op->lookups[f], FERRY_DHT_K, FALSE);
      near->nodes[f] = g_array_new (FALSE, FALSE, sizeof (FerryKrpcNode));
      g_array_set_clear_func (near->nodes[f], ferry_krpc_node_clear);
      for (guint i = 0; i < closest->len; i++)
        {
          FerryDhtLookupNode *node = g_ptr_array_index (closest, i);
          FerryKrpcNode copy;

          memcpy (copy.id, node->id, FERRY_KRPC_ID_LEN);
          copy.address = g_object_ref (node->address);
          g_array_append_val (near->nodes[f], copy);
        }
    }
  if (g_hash_table_size (self->near) >= MAX_NEAR)
    g_hash_table_remove_all (self->near);
  g_hash_table_insert (self->near, g_bytes_new (op->target, FERRY_KRPC_ID_LEN), near);
}

/* The lookups are over: return, start again as a full lookup, or store at the closest nodes
 * that gave a token. */
static void
lookups_done (Op *op)
{
  if (op->kind == OP_FIND_NODE)
    {
      op_finish (op, op_answers (op) > 0 ? NULL : unreachable_error ());
      return;
    }
  if (op->near && op_answers (op) < NEAR_ENOUGH)
    {
      /* The nodes found last time are gone: a full lookup. */
      g_autoptr(GBytes) target = g_bytes_new (op->target, FERRY_KRPC_ID_LEN);

      g_hash_table_remove (op->dht->near, target);
      for (guint f = 0; f < G_N_ELEMENTS (op->lookups); f++)
        g_clear_pointer (&op->lookups[f], ferry_dht_lookup_free);
      op->near = FALSE;
      op_start (op);
      return;
    }
  if (!op->near && op_answers (op) >= NEAR_ENOUGH)
    remember_near (op);
  if (op_answers (op) == 0)
    {
      op_finish (op, unreachable_error ());
      return;
    }
  if (op->kind == OP_GET_PEERS)
    {
      op_finish (op, NULL);
      return;
    }
  if (op->kind == OP_GET)
    {
      op_finish (op, op->best != NULL ? NULL
                 : g_error_new_literal (FERRY_DHT_ERROR, FERRY_DHT_ERROR_NOT_FOUND,
                                        _("No DHT node has this item")));
      return;
    }

  /* What the closest nodes hold decides, as they would: a node outside them would take a put
   * it should refuse (it never had the item). */
  if (op->kind == OP_PUT && op->best != NULL)
    {
      if (op->has_cas && op->best->seq != op->cas)
        {
          op_finish (op, g_error_new (FERRY_DHT_ERROR, FERRY_DHT_ERROR_CAS_MISMATCH,
                                      _("The item changed: its sequence number is %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT " (error %d)"),
                                      op->best->seq, op->cas, FERRY_KRPC_CAS_MISMATCH));
          return;
        }
      if (op->seq < op->best->seq || (op->seq == op->best->seq && !g_bytes_equal (op->best->value, op->value)))
        {
          op_finish (op, g_error_new (FERRY_DHT_ERROR, FERRY_DHT_ERROR_SEQ_TOO_LOW,
                                      _("A newer item is stored: sequence number %" G_GINT64_FORMAT " (error %d)"),
                                      op->best->seq, FERRY_KRPC_SEQ_TOO_LOW));
          return;
        }
    }

  op->storing = TRUE;
  op->deadline_us = now_us (op->dht) + OP_TIMEOUT_US / 3;
  op->store_to = g_ptr_array_new ();
  op->store_family = g_ptr_array_new ();
  for (guint f = 0; f < G_N_ELEMENTS (op->lookups); f++)
    {
      g_autoptr(GPtrArray) closest = NULL;

      if (op->lookups[f] == NULL)
        continue;
      closest = ferry_dht_lookup_closest (op->lookups[f], FERRY_DHT_K, TRUE);
      for (guint i = 0; i < closest->len; i++)
        {
          g_ptr_array_add (op->store_to, g_ptr_array_index (closest, i));
          g_ptr_array_add (op->store_family, &op->dht->families[f]);
        }
    }
}

static void
op_pump (Op *op)
{
  FerryDht *self = op->dht;
  gboolean done = TRUE;

  if (op->finished || !op->started || !self->started)
    return;
  if (op->task != NULL && g_task_return_error_if_cancelled (op->task))
    {
      op->finished = TRUE;
      g_ptr_array_remove (self->ops, op);
      return;
    }

  if (!op->storing)
    {
      for (guint f = 0; f < G_N_ELEMENTS (op->lookups); f++)
        {
          FerryDhtLookup *lookup = op->lookups[f];
          FerryDhtLookupNode *node;

          if (lookup == NULL)
            continue;
          while (ferry_dht_lookup_in_flight (lookup) < ALPHA && (node = ferry_dht_lookup_next (lookup)) != NULL)
            {
              gint64 wait_us = 0;

              if (!send_lookup_query (op, lookup_family (op, lookup), node, &wait_us))
                {
                  ferry_dht_lookup_unask (lookup, node);
                  schedule_pump (self, wait_us);
                  break;
                }
            }
          done &= ferry_dht_lookup_is_done (lookup);
        }
      if (!done && now_us (self) < op->deadline_us)
        return;
      lookups_done (op);
      /* Over, or started again as a full lookup. */
      if (op->finished || !op->storing)
        return;
    }

  while (op->store_to->len > 0)
    {
      gint64 wait_us = 0;

      if (!send_store (op, g_ptr_array_index (op->store_family, 0), g_ptr_array_index (op->store_to, 0), &wait_us))
        {
          if (now_us (self) < op->deadline_us)
            {
              schedule_pump (self, wait_us);
              return;
            }
          break;
        }
      op->store_pending++;
      g_ptr_array_remove_index (op->store_to, 0);
      g_ptr_array_remove_index (op->store_family, 0);
    }
  if (op->store_pending == 0)
    op_finish (op, op->stored > 0 ? NULL : refusal_error (op));
}

static void
op_start (Op *op)
{
  FerryDht *self = op->dht;
  g_autoptr(GBytes) target = g_bytes_new (op->target, FERRY_KRPC_ID_LEN);
  Near *near = op->kind != OP_FIND_NODE ? g_hash_table_lookup (self->near, target) : NULL;
  gboolean any = FALSE;

  if (near != NULL && now_us (self) - near->found_us >= NEAR_FOR_US)
    {
      g_hash_table_remove (self->near, target);
      near = NULL;
    }
  op->near = near != NULL;
  op->started = TRUE;
  op->deadline_us = now_us (self) + OP_TIMEOUT_US;
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    {
      Family *family = &self->families[f];
      g_autoptr(GPtrArray) closest = NULL;

      if (family->socket == NULL)
        continue;
      op->lookups[f] = ferry_dht_lookup_new (op->target);
      if (near != NULL)
        {
          for (guint i = 0; near->nodes[f] != NULL && i < near->nodes[f]->len; i++)
            {
              FerryKrpcNode *node = &g_array_index (near->nodes[f], FerryKrpcNode, i);

              any |= ferry_dht_lookup_add (op->lookups[f], node->id, node->address);
            }
          continue;
        }
      closest = ferry_dht_routing_closest (family->routing, op->target, FERRY_DHT_K * 4, TRUE, now_us (self));
      for (guint i = 0; i < closest->len; i++)
        {
          FerryDhtNode *node = g_ptr_array_index (closest, i);

          any |= ferry_dht_lookup_add (op->lookups[f], node->id, node->address);
        }
    }
  if (!any)
    {
      op_finish (op, unreachable_error ());
      return;
    }
  op_pump (op);
}

static Op *
op_new (FerryDht            *self,
        OpKind               kind,
        const guint8        *target,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data,
        gpointer             source_tag)
{
  Op *op = g_new0 (Op, 1);

  op->ref_count = 1;
  op->dht = self;
  op->kind = kind;
  if (target != NULL)
    memcpy (op->target, target, FERRY_KRPC_ID_LEN);
  if (kind != OP_FIND_NODE)
    {
      op->task = g_task_new (self, cancellable, callback, user_data);
      g_task_set_source_tag (op->task, source_tag);
    }
  return op;
}

/* Runs @op now, or once the node is ready; it is the node's from now on. */
static void
op_submit (FerryDht *self,
           Op       *op)
{
  if (!self->started)
    {
      g_task_return_new_error (op->task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("The DHT node is not running"));
      op_unref (op);
      return;
    }
  g_ptr_array_add (self->ops, op);
  start_waiting_ops (self);
}

static gboolean
finding_own_id (FerryDht *self)
{
  for (guint i = 0; i < self->ops->len; i++)
    if (((Op *) g_ptr_array_index (self->ops, i))->kind == OP_FIND_NODE)
      return TRUE;
  return FALSE;
}

static void
find_own_id (FerryDht *self)
{
  Op *op;

  if (finding_own_id (self))
    return;
  self->refreshed_us = now_us (self);
  op = op_new (self, OP_FIND_NODE, self->families[self->families[0].socket == NULL].id, NULL, NULL, NULL, NULL);
  g_ptr_array_add (self->ops, op);
  op_start (op);
}

/* State and upkeep. */

static guint
count_good (FerryDht *self)
{
  guint good = 0;

  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    if (self->families[f].socket != NULL)
      good += ferry_dht_routing_count_good (self->families[f].routing, now_us (self));
  return good;
}

static guint
count_nodes (FerryDht *self)
{
  guint nodes = 0;

  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    if (self->families[f].socket != NULL)
      nodes += ferry_dht_routing_get_size (self->families[f].routing);
  return nodes;
}

/* Whether a family is still waiting for its first node (its bootstrap queries are out, for
 * QUERY_TIMEOUT_MS at most).  Operations wait for it too: a dual-stack node ready on one family
 * before the other has answered would look up and store on that one only. */
static gboolean
joining (FerryDht *self)
{
  GHashTableIter iter;
  gpointer value;
  gboolean empty = FALSE;

  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    empty |= self->families[f].socket != NULL && ferry_dht_routing_get_size (self->families[f].routing) == 0;
  if (!empty)
    return FALSE;
  g_hash_table_iter_init (&iter, self->transactions);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (ferry_dht_routing_get_size (((Transaction *) value)->family->routing) == 0)
      return TRUE;
  return FALSE;
}

/* Starts the operations that waited for the node to join, or fails them when it cannot. */
static void
start_waiting_ops (FerryDht *self)
{
  gboolean blocked = self->state == FERRY_DHT_STATE_BLOCKED || self->state == FERRY_DHT_STATE_STOPPED;
  gboolean waiting = FALSE;
  g_autoptr(GPtrArray) ops = NULL;

  /* Called after every batch of packets: most of the time, nothing waits. */
  for (guint i = 0; i < self->ops->len && !waiting; i++)
    waiting = !((Op *) g_ptr_array_index (self->ops, i))->started;
  if (!waiting || self->state == FERRY_DHT_STATE_BOOTSTRAPPING || (!blocked && joining (self)))
    return;
  ops = g_ptr_array_copy (self->ops, (GCopyFunc) op_ref, NULL);
  g_ptr_array_set_free_func (ops, (GDestroyNotify) op_unref);
  for (guint i = 0; i < ops->len; i++)
    {
      Op *op = g_ptr_array_index (ops, i);

      if (op->started || op->finished)
        continue;
      if (blocked)
        op_finish (op, unreachable_error ());
      else
        op_start (op);
    }
}

static void
update_state (FerryDht *self)
{
  FerryDhtState state;
  gboolean changed;
  guint good = count_good (self);
  gboolean waited = now_us (self) - self->started_us >= BLOCKED_AFTER_US;

  if (!self->started)
    state = FERRY_DHT_STATE_STOPPED;
  else if (good >= READY_GOOD || (self->own_lookup_done && good >= READY_GOOD / 2))
    state = FERRY_DHT_STATE_READY;
  else if (self->answers == 0)
    /* Nobody answered what we tried, or there is nothing to try at all. */
    state = waited || (count_nodes (self) == 0 && g_hash_table_size (self->contacted) == 0 &&
                       (self->bootstrap == NULL || self->bootstrap[0] == NULL))
            ? FERRY_DHT_STATE_BLOCKED : FERRY_DHT_STATE_BOOTSTRAPPING;
  else
    state = waited || self->own_lookup_done ? FERRY_DHT_STATE_DEGRADED : FERRY_DHT_STATE_BOOTSTRAPPING;

  if (self->started && !self->own_lookup_done && count_nodes (self) > 0)
    find_own_id (self);

  changed = state != self->state;
  if (changed)
    {
      g_debug ("DHT state: %d, %u good nodes", state, good);
      self->state = state;
    }
  start_waiting_ops (self);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static char *
table_path (FerryDht *self,
            Family   *family)
{
  return g_build_filename (self->state_dir, family->family == G_SOCKET_FAMILY_IPV6 ? "dht-ipv6.dat" : "dht-ipv4.dat",
                           NULL);
}

/* Keeps the tables for the next run, only when they are healthy: a bad run (offline, say)
 * should not replace a good list. */
static void
save_tables (FerryDht *self)
{
  self->saved_us = now_us (self);
  if (self->state_dir == NULL)
    return;
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    {
      Family *family = &self->families[f];
      g_autoptr(GBytes) saved = NULL;
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;

      if (family->socket == NULL || ferry_dht_routing_count_good (family->routing, now_us (self)) < READY_GOOD)
        continue;
      saved = ferry_dht_routing_save (family->routing);
      path = table_path (self, family);
      if (g_mkdir_with_parents (self->state_dir, 0700) != 0 ||
          !g_file_set_contents_full (path, g_bytes_get_data (saved, NULL), g_bytes_get_size (saved),
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
        g_warning ("Could not keep the DHT's nodes in %s: %s", path, error != NULL ? error->message : g_strerror (errno));
    }
}

/* Pings nodes silent for a while (or heard of only), at most two a tick and family. */
static void
ping_questionable (FerryDht *self)
{
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    {
      Family *family = &self->families[f];
      g_autoptr(GPtrArray) nodes = NULL;
      guint pinged = 0;

      if (family->socket == NULL)
        continue;
      nodes = ferry_dht_routing_closest (family->routing, family->id, G_MAXUINT, FALSE, now_us (self));
      for (guint i = 0; i < nodes->len && pinged < 2; i++)
        {
          FerryDhtNode *node = g_ptr_array_index (nodes, i);

          if (ferry_dht_routing_node_state (node, now_us (self)) == FERRY_DHT_NODE_QUESTIONABLE)
            pinged += send_find_node (self, family, node->address, node->id);
        }
    }
}

static gboolean
tick_cb (gpointer data)
{
  FerryDht *self = data;
  gint64 now = now_us (self);

  pump_ops (self);
  if (!self->started)
    return G_SOURCE_CONTINUE;
  /* Nobody known: the bootstrap nodes again, after 2, 4, 8… up to 64 s. */
  if (count_nodes (self) == 0 && now - self->bootstrapped_us >= (G_USEC_PER_SEC << MIN (self->bootstraps, 6)))
    bootstrap (self);
  if (count_good (self) < READY_GOOD && now - self->refreshed_us >= REFRESH_EVERY_US && count_nodes (self) > 0)
    find_own_id (self);
  ping_questionable (self);
  if (now - self->saved_us >= SAVE_EVERY_US)
    save_tables (self);
  update_state (self);
  return G_SOURCE_CONTINUE;
}

/* Starting and stopping. */

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  FerryDht *self;

  address = g_socket_address_enumerator_next_finish (G_SOCKET_ADDRESS_ENUMERATOR (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = data;
  if (address == NULL)
    {
      if (error != NULL)
        g_debug ("a DHT bootstrap node: %s", error->message);
      update_state (self);
      return;
    }
  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      Family *family = family_of (self, g_socket_address_get_family (address));

      if (family != NULL)
        send_find_node (self, family, G_INET_SOCKET_ADDRESS (address), NULL);
    }
  g_socket_address_enumerator_next_async (G_SOCKET_ADDRESS_ENUMERATOR (source), self->resolving, resolved_cb, self);
}

/* The saved tables: their ids are kept, their nodes asked first (they are trusted once they
 * answer). */
static void
load_tables (FerryDht *self)
{
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    {
      Family *family = &self->families[f];
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_autoptr(GBytes) saved = NULL;
      g_autoptr(GError) error = NULL;
      gsize len;

      if (family->socket == NULL || self->state_dir == NULL)
        continue;
      path = table_path (self, family);
      if (!g_file_get_contents (path, &contents, &len, NULL))
        continue;
      saved = g_bytes_new_take (g_steal_pointer (&contents), len);
      if (!(family->saved = ferry_dht_routing_load (saved, family->family, family->id, &error)))
        {
          g_warning ("The DHT's saved nodes in %s cannot be read: %s", path, error->message);
          continue;
        }
      g_clear_pointer (&family->routing, ferry_dht_routing_free);
      family->routing = ferry_dht_routing_new (family->id, family->family);
    }
}

static void
bootstrap (FerryDht *self)
{
  self->bootstrapped_us = now_us (self);
  self->bootstraps++;
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    {
      Family *family = &self->families[f];

      for (guint i = 0; family->saved != NULL && i < family->saved->len && i < 32; i++)
        send_find_node (self, family, g_array_index (family->saved, FerryKrpcNode, i).address,
                        g_array_index (family->saved, FerryKrpcNode, i).id);
      g_clear_pointer (&family->saved, g_array_unref);
    }

  for (guint i = 0; self->bootstrap != NULL && self->bootstrap[i] != NULL; i++)
    {
      g_autoptr(GSocketConnectable) connectable = NULL;
      g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
      g_autoptr(GError) error = NULL;

      if (!(connectable = g_network_address_parse (self->bootstrap[i], 6881, &error)))
        {
          g_warning ("The DHT bootstrap node “%s” is not HOST:PORT: %s", self->bootstrap[i], error->message);
          continue;
        }
      enumerator = g_socket_connectable_enumerate (connectable);
      g_socket_address_enumerator_next_async (enumerator, self->resolving, resolved_cb, self);
    }
}

static gboolean
open_family (FerryDht            *self,
             Family              *family,
             GInetSocketAddress  *address,
             GError             **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  if (!(socket = g_socket_new (family->family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error)))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  if (!g_socket_bind (socket, G_SOCKET_ADDRESS (address), FALSE, error) ||
      !(local = g_socket_get_local_address (socket, error)))
    return FALSE;

  family->dht = self;
  family->socket = g_steal_pointer (&socket);
  family->local = G_INET_SOCKET_ADDRESS (g_steal_pointer (&local));
  /* A read-only node may have any id (BEP 42 binds only those that answer). */
  for (guint i = 0; i < FERRY_KRPC_ID_LEN; i++)
    family->id[i] = g_random_int_range (0, 256);
  family->routing = ferry_dht_routing_new (family->id, family->family);
  family->source = g_socket_create_source (family->socket, G_IO_IN, NULL);
  g_source_set_callback (family->source, (GSourceFunc) (void (*) (void)) receive_cb, family, NULL);
  g_source_attach (family->source, self->context);
  return TRUE;
}

static void
close_family (Family *family)
{
  if (family->source != NULL)
    {
      g_source_destroy (family->source);
      g_clear_pointer (&family->source, g_source_unref);
    }
  if (family->socket != NULL)
    g_socket_close (family->socket, NULL);
  g_clear_object (&family->socket);
  g_clear_object (&family->local);
  g_clear_object (&family->external);
  g_clear_pointer (&family->routing, ferry_dht_routing_free);
  g_clear_pointer (&family->saved, g_array_unref);
  for (guint i = 0; i < MAX_VOTES; i++)
    {
      g_clear_pointer (&family->voters[i], g_free);
      g_clear_object (&family->votes[i]);
    }
  family->next_vote = 0;
}

gboolean
ferry_dht_start (FerryDht            *self,
                 GInetSocketAddress  *ipv4,
                 GInetSocketAddress  *ipv6,
                 GError             **error)
{
  g_return_val_if_fail (FERRY_IS_DHT (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);
  g_return_val_if_fail (ipv4 != NULL || ipv6 != NULL, FALSE);

  self->context = g_main_context_ref_thread_default ();
  if ((ipv4 != NULL && !open_family (self, &self->families[0], ipv4, error)) ||
      (ipv6 != NULL && !open_family (self, &self->families[1], ipv6, error)))
    {
      close_family (&self->families[0]);
      close_family (&self->families[1]);
      g_clear_pointer (&self->context, g_main_context_unref);
      return FALSE;
    }

  self->started = TRUE;
  self->started_us = self->saved_us = now_us (self);
  self->refreshed_us = 0;
  self->bootstraps = 0;
  self->own_lookup_done = FALSE;
  self->answers = 0;
  self->serving = self->mode == FERRY_DHT_MODE_SERVER;
  self->resolving = g_cancellable_new ();
  load_tables (self);
  if (self->serving)
    start_serving (self);
  bootstrap (self);
  self->tick = ferry_source_attach (g_timeout_source_new_seconds (1), self->context, G_PRIORITY_DEFAULT,
                                    tick_cb, self, NULL);
  update_state (self);
  return TRUE;
}

void
ferry_dht_stop (FerryDht *self)
{
  g_autoptr(GPtrArray) ops = NULL;
  GHashTableIter iter;
  gpointer transaction;

  g_return_if_fail (FERRY_IS_DHT (self));

  if (!self->started)
    return;
  save_tables (self);
  self->started = FALSE;
  g_cancellable_cancel (self->resolving);
  g_clear_object (&self->resolving);

  /* Operations fail first, so that the queries ending next start nothing. */
  ops = g_ptr_array_copy (self->ops, (GCopyFunc) op_ref, NULL);
  g_ptr_array_set_free_func (ops, (GDestroyNotify) op_unref);
  for (guint i = 0; i < ops->len; i++)
    op_finish (g_ptr_array_index (ops, i),
               g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The DHT node stopped")));
  while (g_hash_table_size (self->transactions) > 0)
    {
      g_hash_table_iter_init (&iter, self->transactions);
      g_hash_table_iter_next (&iter, NULL, &transaction);
      transaction_end (transaction, NULL);
    }

  g_clear_pointer (&self->tick, g_source_destroy);
  g_clear_pointer (&self->pump, g_source_destroy);
  for (guint f = 0; f < G_N_ELEMENTS (self->families); f++)
    close_family (&self->families[f]);
  g_hash_table_remove_all (self->contacted);
  g_hash_table_remove_all (self->unsolicited);
  g_hash_table_remove_all (self->near);
  g_clear_pointer (&self->context, g_main_context_unref);
  self->serving = FALSE;
  update_state (self);
}

/* The public operations. */

void
ferry_dht_get_peers_async (FerryDht            *self,
                           const guint8         info_hash[FERRY_KRPC_ID_LEN],
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Op *op;

  g_return_if_fail (FERRY_IS_DHT (self));

  op = op_new (self, OP_GET_PEERS, info_hash, cancellable, callback, user_data, ferry_dht_get_peers_async);
  op->peers = g_ptr_array_new_with_free_func (g_object_unref);
  op->peer_set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  op_submit (self, op);
}

GPtrArray *
ferry_dht_get_peers_finish (FerryDht      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ferry_dht_announce_async (FerryDht            *self,
                          const guint8         info_hash[FERRY_KRPC_ID_LEN],
                          guint16              port,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Op *op;

  g_return_if_fail (FERRY_IS_DHT (self));

  op = op_new (self, OP_ANNOUNCE, info_hash, cancellable, callback, user_data, ferry_dht_announce_async);
  op->port = port;
  op_submit (self, op);
}

guint
ferry_dht_announce_finish (FerryDht      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

void
ferry_dht_get_async (FerryDht            *self,
                     const guint8        *public_key,
                     const guint8        *salt,
                     gsize                salt_len,
                     const guint8        *target,
                     gint64               min_seq,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  guint8 mutable_target[FERRY_DHT_TARGET_LEN];
  Op *op;

  g_return_if_fail (FERRY_IS_DHT (self));
  g_return_if_fail (public_key != NULL || target != NULL);

  if (public_key != NULL)
    {
      ferry_dht_item_mutable_target (public_key, salt, salt_len, mutable_target);
      target = mutable_target;
    }
  op = op_new (self, OP_GET, target, cancellable, callback, user_data, ferry_dht_get_async);
  op->is_mutable = public_key != NULL;
  if (public_key != NULL)
    memcpy (op->public_key, public_key, FERRY_DHT_KEY_LEN);
  if (salt_len > 0)
    op->salt = g_bytes_new (salt, salt_len);
  op->min_seq = min_seq;
  op_submit (self, op);
}

FerryDhtValue *
ferry_dht_get_finish (FerryDht      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
ferry_dht_put_async (FerryDht            *self,
                     const guint8        *seed,
                     const guint8        *salt,
                     gsize                salt_len,
                     gint64               seq,
                     const gint64        *cas,
                     GBytes              *value,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  guint8 target[FERRY_DHT_TARGET_LEN];
  guint8 public_key[FERRY_DHT_KEY_LEN];
  gsize value_len;
  const guint8 *value_data = g_bytes_get_data (value, &value_len);
  g_autoptr(FerryBencode) parsed = NULL;
  Op *op;

  g_return_if_fail (FERRY_IS_DHT (self));
  g_return_if_fail (value != NULL);

  /* Nodes drop what is not bencode without a word. */
  parsed = ferry_bencode_parse (value_data, value_len, NULL);
  if (parsed == NULL)
    {
      g_task_report_new_error (self, callback, user_data, ferry_dht_put_async, FERRY_DHT_ERROR,
                               FERRY_DHT_ERROR_INVALID, _("The value to store is not bencoded"));
      return;
    }
  if (seed != NULL)
    {
      ferry_dht_item_public_key (seed, public_key);
      ferry_dht_item_mutable_target (public_key, salt, salt_len, target);
    }
  else
    ferry_dht_item_immutable_target (value_data, value_len, target);
  op = op_new (self, OP_PUT, target, cancellable, callback, user_data, ferry_dht_put_async);
  op->is_mutable = seed != NULL;
  op->min_seq = -1;
  op->value = g_bytes_ref (value);
  op->seq = seq;
  op->has_cas = cas != NULL;
  op->cas = cas != NULL ? *cas : 0;
  if (salt_len > 0)
    op->salt = g_bytes_new (salt, salt_len);
  if (seed != NULL)
    {
      memcpy (op->public_key, public_key, FERRY_DHT_KEY_LEN);
      ferry_dht_item_sign (seed, salt, salt_len, seq, value_data, value_len, op->signature);
    }
  op_submit (self, op);
}

guint
ferry_dht_put_finish (FerryDht      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return g_task_propagate_int (G_TASK (result), error);
}

void
ferry_dht_add_node (FerryDht           *self,
                    GInetSocketAddress *address)
{
  Family *family;

  g_return_if_fail (FERRY_IS_DHT (self));

  if (self->started && (family = family_of (self, g_socket_address_get_family (G_SOCKET_ADDRESS (address)))))
    send_find_node (self, family, address, NULL);
}

/* Getters. */

FerryDhtState
ferry_dht_get_state (FerryDht *self)
{
  g_return_val_if_fail (FERRY_IS_DHT (self), FERRY_DHT_STATE_STOPPED);
  return self->state;
}

FerryDhtMode
ferry_dht_get_mode (FerryDht *self)
{
  g_return_val_if_fail (FERRY_IS_DHT (self), FERRY_DHT_MODE_AUTO);
  return self->mode;
}

void
ferry_dht_set_mode (FerryDht     *self,
                    FerryDhtMode  mode)
{
  g_return_if_fail (FERRY_IS_DHT (self));
  g_return_if_fail (!self->started);

  if (self->mode == mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

void
ferry_dht_set_bootstrap (FerryDht           *self,
                         const char * const *nodes)
{
  g_return_if_fail (FERRY_IS_DHT (self));

  g_strfreev (self->bootstrap);
  self->bootstrap = g_strdupv ((char **) nodes);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOOTSTRAP]);
}

gboolean
ferry_dht_is_serving (FerryDht *self)
{
  g_return_val_if_fail (FERRY_IS_DHT (self), FALSE);
  return self->serving;
}

GInetSocketAddress *
ferry_dht_get_local_address (FerryDht      *self,
                             GSocketFamily  family)
{
  Family *f;

  g_return_val_if_fail (FERRY_IS_DHT (self), NULL);
  f = family_of (self, family);
  return f != NULL ? g_object_ref (f->local) : NULL;
}

GInetAddress *
ferry_dht_get_external_address (FerryDht      *self,
                                GSocketFamily  family)
{
  Family *f;

  g_return_val_if_fail (FERRY_IS_DHT (self), NULL);
  f = family_of (self, family);
  return f != NULL && f->external != NULL ? g_object_ref (f->external) : NULL;
}

void
ferry_dht_get_id (FerryDht *self,
                  guint8    id[FERRY_KRPC_ID_LEN])
{
  g_return_if_fail (FERRY_IS_DHT (self));
  memcpy (id, self->families[self->families[0].socket == NULL].id, FERRY_KRPC_ID_LEN);
}

guint
ferry_dht_get_node_count (FerryDht      *self,
                          GSocketFamily  family)
{
  Family *f;

  g_return_val_if_fail (FERRY_IS_DHT (self), 0);
  if (family == G_SOCKET_FAMILY_INVALID)
    return count_nodes (self);
  f = family_of (self, family);
  return f != NULL ? ferry_dht_routing_get_size (f->routing) : 0;
}

guint
ferry_dht_get_good_count (FerryDht      *self,
                          GSocketFamily  family)
{
  Family *f;

  g_return_val_if_fail (FERRY_IS_DHT (self), 0);
  if (family == G_SOCKET_FAMILY_INVALID)
    return count_good (self);
  f = family_of (self, family);
  return f != NULL ? ferry_dht_routing_count_good (f->routing, now_us (self)) : 0;
}

void
ferry_dht_get_traffic (FerryDht *self,
                       guint64  *packets_sent,
                       guint64  *bytes_sent,
                       guint64  *packets_received,
                       guint64  *bytes_received)
{
  g_return_if_fail (FERRY_IS_DHT (self));
  if (packets_sent != NULL)
    *packets_sent = self->packets_sent;
  if (bytes_sent != NULL)
    *bytes_sent = self->bytes_sent;
  if (packets_received != NULL)
    *packets_received = self->packets_received;
  if (bytes_received != NULL)
    *bytes_received = self->bytes_received;
}

void
ferry_dht_advance_clock (FerryDht *self,
                         gint64    us)
{
  g_return_if_fail (FERRY_IS_DHT (self));
  self->clock_offset += us;
}

/* GObject. */

FerryDht *
ferry_dht_new (void)
{
  return g_object_new (FERRY_TYPE_DHT, NULL);
}

static void
ferry_dht_dispose (GObject *object)
{
  ferry_dht_stop (FERRY_DHT (object));
  G_OBJECT_CLASS (ferry_dht_parent_class)->dispose (object);
}

static void
ferry_dht_finalize (GObject *object)
{
  FerryDht *self = FERRY_DHT (object);

  g_strfreev (self->bootstrap);
  g_free (self->state_dir);
  g_hash_table_unref (self->transactions);
  g_hash_table_unref (self->contacted);
  g_hash_table_unref (self->unsolicited);
  g_hash_table_unref (self->near);
  g_ptr_array_unref (self->ops);
  ferry_dht_rate_free (self->rate);
  ferry_dht_storage_free (self->storage);
  G_OBJECT_CLASS (ferry_dht_parent_class)->finalize (object);
}

static void
ferry_dht_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FerryDht *self = FERRY_DHT (object);

  switch (prop_id)
    {
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_BOOTSTRAP:
      g_value_set_boxed (value, self->bootstrap);
      break;
    case PROP_STATE_DIR:
      g_value_set_string (value, self->state_dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_dht_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  FerryDht *self = FERRY_DHT (object);

  switch (prop_id)
    {
    case PROP_MODE:
      ferry_dht_set_mode (self, g_value_get_enum (value));
      break;
    case PROP_BOOTSTRAP:
      ferry_dht_set_bootstrap (self, g_value_get_boxed (value));
      break;
    case PROP_STATE_DIR:
      g_free (self->state_dir);
      self->state_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_dht_class_init (FerryDhtClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_dht_dispose;
  object_class->finalize = ferry_dht_finalize;
  object_class->get_property = ferry_dht_get_property;
  object_class->set_property = ferry_dht_set_property;

  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, FERRY_TYPE_DHT_MODE, FERRY_DHT_MODE_AUTO,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_DHT_STATE, FERRY_DHT_STATE_STOPPED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BOOTSTRAP] =
    g_param_spec_boxed ("bootstrap", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE_DIR] =
    g_param_spec_string ("state-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ferry_dht_init (FerryDht *self)
{
  static const char * const defaults[] = FERRY_DEFAULT_DHT_BOOTSTRAP;

  self->bootstrap = g_strdupv ((char **) defaults);
  self->families[0].family = G_SOCKET_FAMILY_IPV4;
  self->families[1].family = G_SOCKET_FAMILY_IPV6;
  self->transactions = g_hash_table_new (NULL, NULL);
  self->contacted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->unsolicited = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->near = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, near_free);
  self->ops = g_ptr_array_new_with_free_func ((GDestroyNotify) op_unref);
  self->rate = ferry_dht_rate_new ();
  self->storage = ferry_dht_storage_new ();
}
