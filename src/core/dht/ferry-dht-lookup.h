/* ferry-dht-lookup.h: an iterative lookup's bookkeeping (Kademlia, BEP 5)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A lookup walks towards a target: it asks the closest nodes it knows, learns closer ones from
 * their answers, and ends when the FERRY_DHT_K closest nodes that have not failed have all
 * answered.  This keeps the candidates, what each did, and the write tokens they gave; sending
 * is the node's business (ferry-dht.c).  Candidates are capped, one per /24 (or /64) of public
 * addresses, so that one host cannot fill a lookup.
 */
#pragma once

#include <gio/gio.h>

#include "ferry-krpc.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_DHT_LOOKUP_NEW,
  FERRY_DHT_LOOKUP_ASKED,
  FERRY_DHT_LOOKUP_ANSWERED,
  FERRY_DHT_LOOKUP_FAILED,
} FerryDhtLookupState;

typedef struct {
  guint8               id[FERRY_KRPC_ID_LEN];
  GInetSocketAddress  *address;
  FerryDhtLookupState  state;
  GBytes              *token;      /* from an answer, if it gave one */
} FerryDhtLookupNode;

typedef struct _FerryDhtLookup FerryDhtLookup;

FerryDhtLookup     *ferry_dht_lookup_new       (const guint8         target[FERRY_KRPC_ID_LEN]);
void                ferry_dht_lookup_free      (FerryDhtLookup      *self);
const guint8       *ferry_dht_lookup_get_target (FerryDhtLookup     *self);
/* A node heard of; %FALSE when it is known already, shares a subnet with one, or is too far. */
gboolean            ferry_dht_lookup_add       (FerryDhtLookup      *self,
                                                const guint8         id[FERRY_KRPC_ID_LEN],
                                                GInetSocketAddress  *address);
/* The closest node still to ask among the K closest that have not failed (it becomes ASKED),
 * or %NULL. */
FerryDhtLookupNode *ferry_dht_lookup_next      (FerryDhtLookup      *self);
/* @node was put back: it could not be asked yet (rate limits). */
void                ferry_dht_lookup_unask     (FerryDhtLookup      *self,
                                                FerryDhtLookupNode  *node);
void                ferry_dht_lookup_answered  (FerryDhtLookup      *self,
                                                FerryDhtLookupNode  *node,
                                                GBytes              *token);
void                ferry_dht_lookup_failed    (FerryDhtLookup      *self,
                                                FerryDhtLookupNode  *node);
guint               ferry_dht_lookup_in_flight (FerryDhtLookup      *self);
/* Nothing in flight and nobody left to ask. */
gboolean            ferry_dht_lookup_is_done   (FerryDhtLookup      *self);
/* Up to @n nodes that answered, closest first; with @with_token only those that gave a token.
 * (element-type FerryDhtLookupNode) (transfer container) */
GPtrArray          *ferry_dht_lookup_closest   (FerryDhtLookup      *self,
                                                guint                n,
                                                gboolean             with_token);
/* How many nodes answered. */
guint               ferry_dht_lookup_answers   (FerryDhtLookup      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryDhtLookup, ferry_dht_lookup_free)

G_END_DECLS
