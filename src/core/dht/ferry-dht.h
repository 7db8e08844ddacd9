/* ferry-dht.h: a node of the mainline BitTorrent DHT (docs/DHT.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A FerryDht runs one node, on the main context it was started on, with a UDP socket for IPv4,
 * one for IPv6, or both (the two families are separate DHTs; every lookup runs on each).  It
 * keeps no global state, so a process may run many (the tests run thirty).
 *
 * It starts read-only (BEP 43): it asks, and answers nobody, so that a node behind a NAT never
 * becomes a hole in other nodes' tables.  In FERRY_DHT_MODE_AUTO it starts answering queries once
 * it knows it is reachable: when the address other nodes see it at (BEP 42's "ip", by majority)
 * is one of its own, or when nodes it never contacted query it.  It then takes a BEP 42 id for
 * that address.
 *
 * Every query respects ferry-dht-rate.h (one a second to any node, 10 a second overall after a
 * burst of 50); lookups query up to four nodes at once and end when the eight closest nodes that
 * answered have all been asked.
 *
 * Properties:
 *   mode         (FerryDhtMode)   when to answer queries
 *   state        (FerryDhtState)  read-only; notified on change
 *   bootstrap    (GStrv)          "HOST:PORT" of nodes to start from; the default is the
 *                                 public routers of the settings' schema, tests give their own
 *   state-dir    (char*)          where the routing tables are kept between runs (%NULL: nowhere)
 */
#pragma once

#include <gio/gio.h>

#include "ferry-dht-item.h"
#include "ferry-krpc.h"

G_BEGIN_DECLS

#define FERRY_DHT_ERROR (ferry_dht_error_quark ())

typedef enum {
  FERRY_DHT_ERROR_UNREACHABLE,   /* no node answered: the DHT cannot be reached from here */
  FERRY_DHT_ERROR_NOT_FOUND,     /* the lookup ended without a value */
  FERRY_DHT_ERROR_REFUSED,       /* every node refused a put (KRPC error; see the message) */
  FERRY_DHT_ERROR_CAS_MISMATCH,  /* BEP 44's 301: the item changed since it was read */
  FERRY_DHT_ERROR_SEQ_TOO_LOW,   /* BEP 44's 302: a newer item is stored */
  FERRY_DHT_ERROR_INVALID,       /* an argument no node would take (value or salt too big) */
} FerryDhtError;

typedef enum {
  FERRY_DHT_MODE_AUTO,
  FERRY_DHT_MODE_READ_ONLY,
  FERRY_DHT_MODE_SERVER,
} FerryDhtMode;

typedef enum {
  FERRY_DHT_STATE_STOPPED,
  FERRY_DHT_STATE_BOOTSTRAPPING, /* looking for nodes */
  FERRY_DHT_STATE_READY,         /* enough nodes answer */
  FERRY_DHT_STATE_DEGRADED,      /* some nodes answer, too few for lookups to be reliable */
  FERRY_DHT_STATE_BLOCKED,       /* nobody answers: UDP blocked, offline, or no bootstrap node */
} FerryDhtState;

/* A BEP 44 item as read from the DHT: checked against its target and signature. */
typedef struct {
  gboolean is_mutable;
  guint8   public_key[FERRY_DHT_KEY_LEN];  /* mutable items */
  gint64   seq;                            /* mutable items */
  GBytes  *value;                          /* the bencoded value */
  guint    nodes;                          /* how many nodes returned it */
} FerryDhtValue;

void           ferry_dht_value_free         (FerryDhtValue       *value);

#define FERRY_TYPE_DHT (ferry_dht_get_type ())
G_DECLARE_FINAL_TYPE (FerryDht, ferry_dht, FERRY, DHT, GObject)

GQuark         ferry_dht_error_quark        (void);

FerryDht      *ferry_dht_new                (void);
/* Binds the sockets (@ipv4 and/or @ipv6, either %NULL to go without that family; port 0 for any)
 * and starts from the saved tables and the bootstrap nodes. */
gboolean       ferry_dht_start              (FerryDht            *self,
                                             GInetSocketAddress  *ipv4,
                                             GInetSocketAddress  *ipv6,
                                             GError             **error);
/* Saves the tables (when healthy) and closes the sockets; pending operations fail. */
void           ferry_dht_stop               (FerryDht            *self);

FerryDhtState  ferry_dht_get_state          (FerryDht            *self);
FerryDhtMode   ferry_dht_get_mode           (FerryDht            *self);
void           ferry_dht_set_mode           (FerryDht            *self,
                                             FerryDhtMode         mode);
void           ferry_dht_set_bootstrap      (FerryDht            *self,
                                             const char * const  *nodes);
/* Whether the node answers queries now. */
gboolean       ferry_dht_is_serving         (FerryDht            *self);
/* (transfer full) (nullable): the socket's address, and the address other nodes see. */
GInetSocketAddress *ferry_dht_get_local_address    (FerryDht     *self,
                                                    GSocketFamily family);
GInetAddress       *ferry_dht_get_external_address (FerryDht     *self,
                                                    GSocketFamily family);
void           ferry_dht_get_id             (FerryDht            *self,
                                             guint8               id[FERRY_KRPC_ID_LEN]);
/* Nodes in the routing table of @family (G_SOCKET_FAMILY_INVALID: both), and the good ones. */
guint          ferry_dht_get_node_count     (FerryDht            *self,
                                             GSocketFamily        family);
guint          ferry_dht_get_good_count     (FerryDht            *self,
                                             GSocketFamily        family);
/* Counters for diagnostics and benchmarks. */
void           ferry_dht_get_traffic        (FerryDht            *self,
                                             guint64             *packets_sent,
                                             guint64             *bytes_sent,
                                             guint64             *packets_received,
                                             guint64             *bytes_received);
/* Pings @address, which joins the table when it answers. */
void           ferry_dht_add_node           (FerryDht            *self,
                                             GInetSocketAddress  *address);

/* The peers announced for @info_hash (BEP 5).  (element-type GInetSocketAddress) */
void           ferry_dht_get_peers_async    (FerryDht            *self,
                                             const guint8         info_hash[FERRY_KRPC_ID_LEN],
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GPtrArray     *ferry_dht_get_peers_finish   (FerryDht            *self,
                                             GAsyncResult        *result,
                                             GError             **error);
/* Announces this node's socket (@port 0: the port the storing nodes see, BEP 5's implied_port)
 * for @info_hash; the result is the number of nodes that took it. */
void           ferry_dht_announce_async     (FerryDht            *self,
                                             const guint8         info_hash[FERRY_KRPC_ID_LEN],
                                             guint16              port,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
guint          ferry_dht_announce_finish    (FerryDht            *self,
                                             GAsyncResult        *result,
                                             GError             **error);
/* The item under @target with the highest sequence number (BEP 44); a mutable item is asked for
 * by its public key and salt (@public_key %NULL: an immutable item, @target its SHA-1).  With
 * @min_seq ≥ 0, nodes leave out values not newer than that (FERRY_DHT_ERROR_NOT_FOUND). */
void           ferry_dht_get_async          (FerryDht            *self,
                                             const guint8        *public_key,
                                             const guint8        *salt,
                                             gsize                salt_len,
                                             const guint8        *target,
                                             gint64               min_seq,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
FerryDhtValue *ferry_dht_get_finish         (FerryDht            *self,
                                             GAsyncResult        *result,
                                             GError             **error);
/* Stores @value (bencoded) as a mutable item signed with @seed (@seed %NULL: an immutable item),
 * under @salt with @seq, and with @cas (nullable) the sequence number it replaces; the result is
 * the number of nodes that took it. */
void           ferry_dht_put_async          (FerryDht            *self,
                                             const guint8        *seed,
                                             const guint8        *salt,
                                             gsize                salt_len,
                                             gint64               seq,
                                             const gint64        *cas,
                                             GBytes              *value,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
guint          ferry_dht_put_finish         (FerryDht            *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* For tests: moves this node's clock ahead (token lifetimes, timeouts of stored values). */
void           ferry_dht_advance_clock      (FerryDht            *self,
                                             gint64               us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDhtValue, ferry_dht_value_free)

G_END_DECLS
