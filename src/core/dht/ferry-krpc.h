/* ferry-krpc.h: KRPC, the DHT's messages (BEP 5, with BEP 42's "ip" and BEP 43's "ro")
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KRPC message is one bencoded dictionary in one UDP datagram: a query ("y":"q", the method in
 * "q", its arguments in "a"), a response ("y":"r", the values in "r") or an error ("y":"e",
 * "e": [code, message]), with the transaction id "t" the response repeats.  Queries and
 * responses carry the sender's 20-byte node id in "id"; a response may tell the querier its
 * public address ("ip", compact: 4 or 16 address bytes and a 2-byte port, BEP 42); a query from
 * a node that does not answer queries says "ro": 1 (BEP 43).  Everything read is hostile input.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-bencode.h"

G_BEGIN_DECLS

#define FERRY_KRPC_ERROR (ferry_krpc_error_quark ())

typedef enum {
  FERRY_KRPC_ERROR_INVALID,   /* bencode, but not a KRPC message */
} FerryKrpcError;

typedef enum {
  FERRY_KRPC_QUERY,
  FERRY_KRPC_RESPONSE,
  FERRY_KRPC_ERROR_MESSAGE,
} FerryKrpcType;

/* KRPC error codes (BEP 5, BEP 44). */
#define FERRY_KRPC_GENERIC_ERROR 201
#define FERRY_KRPC_SERVER_ERROR 202
#define FERRY_KRPC_PROTOCOL_ERROR 203
#define FERRY_KRPC_METHOD_UNKNOWN 204

#define FERRY_KRPC_ID_LEN 20
/* Transaction ids longer than this are refused: nobody needs them, and they are echoed. */
#define FERRY_KRPC_MAX_TRANSACTION 16

typedef struct {
  FerryBencode       *root;
  FerryKrpcType       type;
  const guint8       *transaction;
  gsize               transaction_len;
  const FerryBencode *method;        /* a query's method name, a byte string */
  const FerryBencode *body;          /* a query's "a" or a response's "r": a dictionary */
  guint8              id[FERRY_KRPC_ID_LEN];  /* queries and responses */
  gboolean            read_only;     /* a query with "ro": 1 */
  GInetSocketAddress *ip;            /* a response's "ip", or %NULL */
  gint64              error_code;    /* errors */
  char               *error_message; /* errors: valid UTF-8, one line */
} FerryKrpcMessage;

GQuark            ferry_krpc_error_quark     (void);
FerryKrpcMessage *ferry_krpc_message_parse   (const guint8        *data,
                                              gsize                len,
                                              GError             **error);
void              ferry_krpc_message_free    (FerryKrpcMessage    *message);
/* Whether a query's method is @name. */
gboolean          ferry_krpc_message_is      (const FerryKrpcMessage *message,
                                              const char          *name);

/* Writers.  @body is a complete bencoded dictionary (with "id" among its keys, in order). */
GBytes           *ferry_krpc_write_query     (const guint8        *transaction,
                                              gsize                transaction_len,
                                              const char          *method,
                                              const guint8        *body,
                                              gsize                body_len,
                                              gboolean             read_only);
/* @ip (nullable): the querier's address as we see it. */
GBytes           *ferry_krpc_write_response  (const guint8        *transaction,
                                              gsize                transaction_len,
                                              const guint8        *body,
                                              gsize                body_len,
                                              GInetSocketAddress  *ip);
GBytes           *ferry_krpc_write_error     (const guint8        *transaction,
                                              gsize                transaction_len,
                                              gint64               code,
                                              const char          *message);

/* Compact addresses: 6 bytes (IPv4) or 18 (IPv6), address then port, network byte order. */
GInetSocketAddress *ferry_krpc_address_parse (const guint8        *data,
                                              gsize                len);
void              ferry_krpc_write_address   (GByteArray          *out,
                                              GInetSocketAddress  *address);

/* A node from "nodes" (26 bytes each: id and IPv4 address) or "nodes6" (38: id and IPv6). */
typedef struct {
  guint8              id[FERRY_KRPC_ID_LEN];
  GInetSocketAddress *address;
} FerryKrpcNode;

/* Frees what a FerryKrpcNode holds (a GArray clear function). */
void              ferry_krpc_node_clear      (gpointer             node);

/* The nodes of a "nodes" or "nodes6" byte string (@ipv6 for the latter): refused unless its
 * length is a whole number of entries.  (element-type FerryKrpcNode) */
GArray           *ferry_krpc_nodes_parse     (const FerryBencode  *value,
                                              gboolean             ipv6,
                                              GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryKrpcMessage, ferry_krpc_message_free)

G_END_DECLS
