/* ferry-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two threads share one Core: the GUI thread (the main context the session was created on) and
 * the network thread (its own main context, where every FerryRoom, FerryPeer and tracker lives).
 * They never call into each other's objects.  Each side posts plain values to the other's
 * mailbox: a queue under a mutex, drained in order by one source on the receiving context, so
 * that what happened on the network thread reaches the GUI in the order it happened.
 *
 * Rooms are named across the threads by a handle number, looked up on each side in a table of
 * its own.  A report about a room the GUI has left or forgotten, or one that arrives after
 * shutdown, finds nothing under its handle (or no session) and is dropped: no pointer to an
 * object of one thread ever travels to the other.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ferry-crypto.h"
#include "ferry-defaults.h"
#include "ferry-dht-enums.h"
#include "ferry-dht-rendezvous.h"
#include "ferry-identity.h"
#include "ferry-nearby.h"
#include "ferry-pairing.h"
#include "ferry-room.h"
#include "ferry-session-private.h"
#include "ferry-source.h"
#include "ferry-transfer-manager.h"

/* How long a left room stays alive so that its "stopped" to the trackers and the closing of its
 * connections reach the others (ferry-cli waits as long before it exits). */
#define LEAVE_GRACE_MS 300

/* The DHT node's count of nodes changes without notification: it is looked at this often while
 * the node runs, and reported when it changed. */
#define DHT_PERIOD_MS 1000

/* The rooms the network thread makes by itself (nearby connections, in either direction) take
 * handles from here on, which the GUI's own never reach. */
#define NETWORK_HANDLE_FIRST 0x80000000u

typedef struct _Core Core;
typedef struct _NetNearby NetNearby;
typedef void (*Job) (Core     *core,
                     gpointer  data);

typedef struct {
  Job            run;
  gpointer       data;
  GDestroyNotify free;
} Item;

typedef struct {
  GMainContext *context;     /* where the items run */
  GSourceFunc   deliver;
  GMutex        lock;
  GQueue        items;       /* Item, under lock */
  gboolean      scheduled;   /* a deliver source is attached, under lock */
} Mailbox;

struct _Core
{
  Mailbox               to_network;
  Mailbox               to_gui;
  GMainLoop            *loop;             /* the network thread's */

  /* Set before the network thread starts, read-only afterwards. */
  char                 *identity_path;
  GFile                *state_dir;
  char                 *dht_state_dir;

  /* GUI thread only: %NULL once shut down. */
  FerrySession         *session;

  /* Network thread only. */
  FerryIdentity        *identity;
  GError               *identity_error;
  FerryTransferManager *manager;
  GHashTable           *transfers;        /* handle → NetTransfer */
  guint                 last_transfer;    /* the last transfer handle given */
  GHashTable           *rooms;            /* handle → NetRoom */
  GHashTable           *pairings;         /* handle → NetPairing, until connected or over */
  NetNearby            *nearby;           /* while started */
  guint                 last_network_handle; /* of the rooms this thread made */
  GPtrArray            *leaving;          /* FerryRoom left less than LEAVE_GRACE_MS ago */
  gboolean              dht_enabled;      /* the GUI's dht-enabled, as it last said */
  GStrv                 dht_bootstrap;    /* … and its dht-bootstrap */
  FerryDht             *dht;              /* while a room looks for people through it */
  guint                 dht_rooms;        /* the rooms that do (a rendezvous each) */
  GSource              *dht_timer;
  FerryDhtState         dht_state;        /* as last reported */
  guint                 dht_nodes;
  guint                 dht_good_nodes;
};

struct _FerrySession
{
  GObject      parent_instance;

  Core        *core;
  GThread     *thread;            /* %NULL once shut down */
  GListStore  *rooms;             /* FerrySessionRoom */
  GHashTable  *rooms_by_handle;   /* handle → FerrySessionRoom in rooms */
  guint        last_handle;       /* of rooms and pairings: a pairing's room takes its handle */
  GHashTable  *pairings_by_handle; /* handle → FerrySessionPairing (a reference), until over */
  GListStore  *transfers;         /* FerrySessionTransfer */
  GHashTable  *transfers_by_handle; /* handle → FerrySessionTransfer in transfers */
  FerrySessionNearby *nearby;
  guint        nearby_generation; /* of the latest start: reports of earlier ones are dropped */

  char        *display_name;
  GFile       *download_folder;
  GStrv        trackers;
  GStrv        stun_servers;
  GVariant    *turn_servers;
  gboolean     relay_only;
  char        *identity_path;
  GFile       *state_dir;
  GFile       *friends_file;
  FerryFriends *friends;
  gboolean     dht_enabled;
  GStrv        dht_bootstrap;
  GFile       *dht_state_dir;
  FerryDhtState dht_state;        /* as the network thread last reported it */
  guint        dht_nodes;
  guint        dht_good_nodes;
};

G_DEFINE_FINAL_TYPE (FerrySession, ferry_session, G_TYPE_OBJECT)
G_DEFINE_QUARK (ferry-session-error-quark, ferry_session_error)

enum {
  PROP_0,
  PROP_DISPLAY_NAME,
  PROP_DOWNLOAD_FOLDER,
  PROP_TRACKERS,
  PROP_STUN_SERVERS,
  PROP_TURN_SERVERS,
  PROP_RELAY_ONLY,
  PROP_IDENTITY_PATH,
  PROP_STATE_DIR,
  PROP_FRIENDS_FILE,
  PROP_DHT_ENABLED,
  PROP_DHT_BOOTSTRAP,
  PROP_DHT_STATE_DIR,
  PROP_DHT_STATE,
  PROP_DHT_NODES,
  PROP_DHT_GOOD_NODES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void forget_room (FerrySession *self, FerrySessionRoom *room);

/* Mailboxes */

static Core *
core_ref (Core *core)
{
  return g_atomic_rc_box_acquire (core);
}

static void
item_free (Item *item)
{
  if (item->free != NULL)
    item->free (item->data);
  g_free (item);
}

static void
mailbox_init (Mailbox      *box,
              GMainContext *context,
              GSourceFunc   deliver)
{
  box->context = context;
  box->deliver = deliver;
  g_mutex_init (&box->lock);
  g_queue_init (&box->items);
}

/* Whichever thread lets go of the core last: the items only hold copied values. */
static void
mailbox_clear (Mailbox *box)
{
  g_queue_clear_full (&box->items, (GDestroyNotify) item_free);
  g_mutex_clear (&box->lock);
  g_main_context_unref (box->context);
}

static void
core_clear (Core *core)
{
  mailbox_clear (&core->to_network);
  mailbox_clear (&core->to_gui);
  g_main_loop_unref (core->loop);
  g_free (core->identity_path);
  g_object_unref (core->state_dir);
  g_free (core->dht_state_dir);
}

static void
core_unref (Core *core)
{
  g_atomic_rc_box_release_full (core, (GDestroyNotify) core_clear);
}

static void
run_mailbox (Core    *core,
             Mailbox *box)
{
  GQueue items = G_QUEUE_INIT;
  Item *item;

  g_mutex_lock (&box->lock);
  items = box->items;
  g_queue_init (&box->items);
  box->scheduled = FALSE;
  g_mutex_unlock (&box->lock);

  while ((item = g_queue_pop_head (&items)) != NULL)
    {
      item->run (core, item->data);
      item_free (item);
    }
}

static gboolean
deliver_to_network_cb (gpointer data)
{
  Core *core = data;

  run_mailbox (core, &core->to_network);
  return G_SOURCE_REMOVE;
}

static gboolean
deliver_to_gui_cb (gpointer data)
{
  Core *core = data;

  run_mailbox (core, &core->to_gui);
  return G_SOURCE_REMOVE;
}

static void
post (Core           *core,
      Mailbox        *box,
      Job             run,
      gpointer        data,
      GDestroyNotify  free_func)
{
  Item *item = g_new (Item, 1);
  gboolean schedule;

  *item = (Item) { run, data, free_func };
  g_mutex_lock (&box->lock);
  g_queue_push_tail (&box->items, item);
  schedule = !box->scheduled;
  box->scheduled = TRUE;
  g_mutex_unlock (&box->lock);

  /* One source runs everything queued until it runs.  The posting thread never owns the other
   * thread's context, so g_main_context_invoke_full () always attaches an idle there rather
   * than running the items here. */
  if (schedule)
    g_main_context_invoke_full (box->context, G_PRIORITY_DEFAULT, box->deliver, core_ref (core),
                                (GDestroyNotify) core_unref);
}

/* Reports, from the network thread to the GUI */

/* What happened to a room, in copied values; each kind of report fills in what it needs. */
typedef struct {
  guint                  handle;
  FerrySessionRoomState  room_state;
  GError                *error;
  guint                  tracker_index;
  char                  *tracker_url;
  FerryTrackerState      tracker_state;
  char                  *tracker_error;
  FerrySessionPeerInfo  *peer;
  char                  *peer_id;
  FerrySessionPeerState  peer_state;
  char                  *author;
  char                  *text;
  char                  *message_id;
  gint64                 time;
  gboolean               outgoing;
  FerrySessionTransferInfo *transfer;
  char                  *link;        /* a pairing's code, reply code or room: holds a secret */
  guint                  position;    /* nearby devices: where they changed */
  guint                  removed;
  GPtrArray             *devices;     /* FerrySessionNearbyDeviceInfo: added, or the one updated */
  char                  *device_id;   /* the nearby device connected to, or that failed */
  gboolean               dht;         /* the room looks for people through the DHT */
  guint                  dht_members;
  gint64                 dht_since;
  FerryDhtState          dht_state;   /* the session's node */
  guint                  dht_nodes;
  guint                  dht_good_nodes;
} Report;

static Report *
report_new (guint handle)
{
  Report *report = g_new0 (Report, 1);

  report->handle = handle;
  return report;
}

static void
report_free (Report *report)
{
  g_clear_error (&report->error);
  g_free (report->tracker_url);
  g_free (report->tracker_error);
  g_clear_pointer (&report->peer, _ferry_session_peer_info_free);
  g_free (report->peer_id);
  g_free (report->author);
  g_free (report->text);
  g_free (report->message_id);
  g_clear_pointer (&report->transfer, _ferry_session_transfer_info_free);
  if (report->link != NULL)
    ferry_memzero (report->link, strlen (report->link));
  g_free (report->link);
  g_clear_pointer (&report->devices, g_ptr_array_unref);
  g_free (report->device_id);
  g_free (report);
}

static void
post_report (Core   *core,
             Job     apply,
             Report *report)
{
  post (core, &core->to_gui, apply, report, (GDestroyNotify) report_free);
}

/* The room a report is about, on the GUI thread, or %NULL when it is gone. */
static FerrySessionRoom *
gui_room (Core   *core,
          Report *report)
{
  if (core->session == NULL)
    return NULL;
  return g_hash_table_lookup (core->session->rooms_by_handle, GUINT_TO_POINTER (report->handle));
}

static void
apply_room_state (Core     *core,
                  gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);

  if (room == NULL)
    return;
  if (report->room_state == FERRY_SESSION_ROOM_LEFT)
    forget_room (core->session, room);
  else
    _ferry_session_room_set_state (room, report->room_state);
}

static void
apply_room_error (Core     *core,
                  gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);

  if (room != NULL)
    _ferry_session_room_report_error (room, report->error);
}

static void
apply_tracker (Core     *core,
               gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);

  if (room != NULL)
    _ferry_session_room_update_tracker (room, report->tracker_index, report->tracker_url,
                                        report->tracker_state, report->tracker_error);
}

static void
apply_room_dht (Core     *core,
                gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);

  if (room != NULL)
    _ferry_session_room_set_dht (room, report->dht, report->dht_members, report->dht_since);
}

static void
apply_dht (Core     *core,
           gpointer  data)
{
  Report *report = data;
  FerrySession *self = core->session;

  if (self == NULL)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (self->dht_state != report->dht_state)
    {
      self->dht_state = report->dht_state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_STATE]);
    }
  if (self->dht_nodes != report->dht_nodes)
    {
      self->dht_nodes = report->dht_nodes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_NODES]);
    }
  if (self->dht_good_nodes != report->dht_good_nodes)
    {
      self->dht_good_nodes = report->dht_good_nodes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_GOOD_NODES]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
apply_peer (Core     *core,
            gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);

  if (room != NULL)
    _ferry_session_room_update_peer (room, report->peer);
}

static void
apply_peer_gone (Core     *core,
                 gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);

  if (room != NULL)
    _ferry_session_room_remove_peer (room, report->peer_id, report->peer_state);
}

static void
apply_chat (Core     *core,
            gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);
  g_autoptr(FerryChatMessage) message = NULL;

  if (room == NULL)
    return;
  message = _ferry_chat_message_new (report->author, report->text, report->message_id,
                                     report->time, report->outgoing);
  _ferry_session_room_add_message (room, message);
}

static void
apply_delivered (Core     *core,
                 gpointer  data)
{
  Report *report = data;
  FerrySessionRoom *room = gui_room (core, report);

  if (room != NULL)
    _ferry_session_room_mark_delivered (room, report->message_id);
}

/* The transfer a report is about (its handle in the report's), on the GUI thread. */
static FerrySessionTransfer *
gui_transfer (Core   *core,
              Report *report)
{
  if (core->session == NULL)
    return NULL;
  return g_hash_table_lookup (core->session->transfers_by_handle, GUINT_TO_POINTER (report->handle));
}

static void
apply_transfer (Core     *core,
                gpointer  data)
{
  Report *report = data;
  FerrySession *self = core->session;
  FerrySessionTransfer *transfer = gui_transfer (core, report);

  if (self == NULL)
    return;
  if (transfer != NULL)
    {
      _ferry_session_transfer_update (transfer, report->transfer);
      return;
    }
  transfer = _ferry_session_transfer_new (self, report->transfer);
  g_hash_table_insert (self->transfers_by_handle, GUINT_TO_POINTER (report->handle), transfer);
  g_list_store_append (self->transfers, transfer);
}

static void
apply_transfer_error (Core     *core,
                      gpointer  data)
{
  Report *report = data;
  FerrySessionTransfer *transfer = gui_transfer (core, report);

  if (transfer != NULL)
    _ferry_session_transfer_report_error (transfer, report->error);
}

/* The pairing a report is about, on the GUI thread, or %NULL when it is over or cancelled. */
static FerrySessionPairing *
gui_pairing (Core   *core,
             Report *report)
{
  if (core->session == NULL)
    return NULL;
  return g_hash_table_lookup (core->session->pairings_by_handle, GUINT_TO_POINTER (report->handle));
}

static void
apply_pairing_link (Core     *core,
                    gpointer  data)
{
  Report *report = data;
  FerrySessionPairing *pairing = gui_pairing (core, report);

  if (pairing != NULL)
    _ferry_session_pairing_set_link (pairing, report->link);
}

static void
apply_pairing_reply (Core     *core,
                     gpointer  data)
{
  Report *report = data;
  FerrySessionPairing *pairing = gui_pairing (core, report);

  if (pairing != NULL)
    _ferry_session_pairing_set_reply_link (pairing, report->link);
}

static void
apply_pairing_refused (Core     *core,
                       gpointer  data)
{
  Report *report = data;
  FerrySessionPairing *pairing = gui_pairing (core, report);

  if (pairing != NULL)
    _ferry_session_pairing_refuse_reply (pairing, report->error);
}

static void
apply_pairing_failed (Core     *core,
                      gpointer  data)
{
  Report *report = data;
  g_autoptr(FerrySessionPairing) pairing = NULL;

  if (gui_pairing (core, report) == NULL)
    return;
  g_hash_table_steal_extended (core->session->pairings_by_handle, GUINT_TO_POINTER (report->handle),
                               NULL, (gpointer *) &pairing);
  _ferry_session_pairing_fail (pairing, report->error);
}

/* A direct room (a pairing's or a nearby connection's) joins the session's rooms under the
 * report's handle, with the report's link: its peer's reports follow this one. */
static FerrySessionRoom *
add_direct_room (FerrySession *self,
                 Report       *report)
{
  g_autoptr(FerrySessionRoom) room = NULL;
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GError) error = NULL;

  /* The network thread wrote it: it parses. */
  link = ferry_room_link_parse (report->link, &error);
  g_return_val_if_fail (link != NULL, NULL);

  room = _ferry_session_room_new (self, report->handle, link);
  _ferry_session_room_set_direct (room, TRUE);
  g_hash_table_insert (self->rooms_by_handle, GUINT_TO_POINTER (report->handle), g_object_ref (room));
  g_list_store_append (self->rooms, room);
  return g_steal_pointer (&room);
}

/* The pairing's direct room, under the pairing's handle. */
static void
apply_pairing_connected (Core     *core,
                         gpointer  data)
{
  Report *report = data;
  FerrySession *self = core->session;
  g_autoptr(FerrySessionPairing) pairing = NULL;
  g_autoptr(FerrySessionRoom) room = NULL;

  if (gui_pairing (core, report) == NULL)
    return;
  g_hash_table_steal_extended (self->pairings_by_handle, GUINT_TO_POINTER (report->handle),
                               NULL, (gpointer *) &pairing);
  if ((room = add_direct_room (self, report)) != NULL)
    _ferry_session_pairing_connect (pairing, room);
}

/* Reports of nearby devices carry the generation of the start they belong to in their handle:
 * those of a start the GUI has stopped since are dropped. */
static FerrySessionNearby *
gui_nearby (Core   *core,
            Report *report)
{
  if (core->session == NULL || report->handle != core->session->nearby_generation)
    return NULL;
  return core->session->nearby;
}

static void
apply_nearby_started (Core     *core,
                      gpointer  data)
{
  Report *report = data;
  FerrySessionNearby *nearby = gui_nearby (core, report);

  if (nearby != NULL)
    _ferry_session_nearby_set_started (nearby, report->error);
}

static void
apply_nearby_devices (Core     *core,
                      gpointer  data)
{
  Report *report = data;
  FerrySessionNearby *nearby = gui_nearby (core, report);

  if (nearby != NULL)
    _ferry_session_nearby_splice_devices (nearby, report->position, report->removed, report->devices);
}

static void
apply_nearby_device (Core     *core,
                     gpointer  data)
{
  Report *report = data;
  FerrySessionNearby *nearby = gui_nearby (core, report);

  if (nearby != NULL)
    _ferry_session_nearby_update_device (nearby, g_ptr_array_index (report->devices, 0));
}

static void
apply_nearby_connect_failed (Core     *core,
                             gpointer  data)
{
  Report *report = data;

  if (core->session != NULL)
    _ferry_session_nearby_connect_failed (core->session->nearby, report->device_id, report->error);
}

/* A nearby connection's direct room, under a handle of the network thread's; whether or not
 * nearby was stopped meanwhile, the room is there. */
static void
apply_nearby_connected (Core     *core,
                        gpointer  data)
{
  Report *report = data;
  g_autoptr(FerrySessionRoom) room = NULL;

  if (core->session == NULL)
    return;
  if ((room = add_direct_room (core->session, report)) != NULL)
    _ferry_session_nearby_connected (core->session->nearby, report->device_id, room);
}

/* The network side of a transfer */

typedef struct {
  Core          *core;
  guint          handle;
  FerryTransfer *transfer;
  GSource       *report;      /* a report to post once the changes of this dispatch are made */
  gboolean       with_files;  /* … with the list of files */
} NetTransfer;

static char *
dup_path (GFile *file)
{
  return file != NULL ? g_file_get_path (file) : NULL;
}

/* One report for the changes of one dispatch (a transfer that ends changes its state, then its
 * bytes), so that the GUI sees them together.  The list of files comes with the first report
 * and when files land. */
static gboolean
report_transfer_cb (gpointer data)
{
  NetTransfer *self = data;
  FerryTransfer *transfer = self->transfer;
  FerrySessionTransferInfo *info = g_new0 (FerrySessionTransferInfo, 1);
  Report *report = report_new (self->handle);
  gboolean with_files = self->with_files;

  self->report = NULL;
  self->with_files = FALSE;

  info->handle = self->handle;
  info->id = g_strdup (ferry_transfer_get_id (transfer));
  info->direction = ferry_transfer_get_direction (transfer);
  info->state = ferry_transfer_get_state (transfer);
  info->peer_name = g_strdup (ferry_transfer_get_peer_name (transfer));
  info->peer_fingerprint = g_strdup (ferry_transfer_get_peer_fingerprint (transfer));
  info->total = ferry_transfer_get_total (transfer);
  info->bytes_done = ferry_transfer_get_bytes_done (transfer);
  info->reason = g_strdup (ferry_transfer_get_reason (transfer));
  info->paused_locally = ferry_transfer_get_paused_locally (transfer);
  info->paused_remotely = ferry_transfer_get_paused_remotely (transfer);
  info->folder = dup_path (ferry_transfer_get_folder (transfer));
  if (with_files)
    {
      guint n = ferry_transfer_get_n_files (transfer);

      info->paths = g_ptr_array_new_full (n, g_free);
      info->sizes = g_array_sized_new (FALSE, FALSE, sizeof (guint64), n);
      info->files = g_ptr_array_new_full (n, g_free);
      for (guint i = 0; i < n; i++)
        {
          guint64 size = ferry_transfer_get_file_size (transfer, i);

          g_ptr_array_add (info->paths, g_strdup (ferry_transfer_get_file_path (transfer, i)));
          g_array_append_val (info->sizes, size);
          g_ptr_array_add (info->files, dup_path (ferry_transfer_get_file (transfer, i)));
        }
    }
  report->transfer = info;
  post_report (self->core, apply_transfer, report);
  return G_SOURCE_REMOVE;
}

static void
report_transfer (NetTransfer *self,
                 gboolean     with_files)
{
  self->with_files |= with_files;
  if (self->report == NULL)
    self->report = ferry_source_attach (g_idle_source_new (), self->core->to_network.context,
                                        G_PRIORITY_DEFAULT, report_transfer_cb, self, NULL);
}

static void
transfer_notify_cb (FerryTransfer *transfer,
                    GParamSpec    *pspec,
                    NetTransfer   *self)
{
  report_transfer (self, g_str_equal (pspec->name, "state"));
}

static void
transfer_file_done_cb (FerryTransfer *transfer,
                       guint          index,
                       NetTransfer   *self)
{
  report_transfer (self, TRUE);
}

static void
net_transfer_free (NetTransfer *self)
{
  g_clear_pointer (&self->report, g_source_destroy);
  g_signal_handlers_disconnect_by_data (self->transfer, self);
  g_object_unref (self->transfer);
  g_free (self);
}

static void
transfer_added_cb (FerryTransferManager *manager,
                   FerryTransfer        *transfer,
                   Core                 *core)
{
  NetTransfer *self = g_new0 (NetTransfer, 1);

  self->core = core;
  self->handle = ++core->last_transfer;
  self->transfer = g_object_ref (transfer);
  g_hash_table_insert (core->transfers, GUINT_TO_POINTER (self->handle), self);
  g_signal_connect (transfer, "notify", G_CALLBACK (transfer_notify_cb), self);
  g_signal_connect (transfer, "file-done", G_CALLBACK (transfer_file_done_cb), self);
  report_transfer (self, TRUE);
}

static void
report_transfer_error (Core         *core,
                       guint         handle,
                       const GError *error)
{
  Report *report = report_new (handle);

  report->error = g_error_copy (error);
  post_report (core, apply_transfer_error, report);
}

/* The network side of a room */

typedef struct {
  Core                  *core;
  guint                  handle;
  FerryRoom             *room;
  GHashTable            *peers;   /* FerryPeer → NetPeer, the peers that joined */
  FerrySessionRoomState  state;   /* as last reported */
  GSource               *rtt_timer;
  /* A room the GUI joined (not a direct one) takes what the DHT needs from its join. */
  FerryRtcConfig        *config;
  char                  *display_name;
  gboolean               wants_dht;     /* a secret room whose link has dht=1 */
  FerryDhtRendezvous    *rendezvous;    /* while it looks for people through the DHT */
  gint64                 dht_since;     /* … since then (monotonic µs) */
} NetRoom;

typedef struct {
  NetRoom   *room;
  FerryPeer *peer;
  gboolean   failed;              /* its last connection broke */
  int        rtt_ms;              /* as last reported; -1: unknown */
} NetPeer;

/* Round-trip times change all the time: they are looked at every RTT_PERIOD_MS and reported
 * when they moved by more than a tenth. */
#define RTT_PERIOD_MS 2000

static void
report_room_state (NetRoom *self)
{
  GPtrArray *trackers = ferry_room_get_trackers (self->room);
  gboolean reached = g_hash_table_size (self->peers) > 0;
  gboolean all_failed = TRUE;
  FerrySessionRoomState state;
  Report *report;

  for (guint i = 0; i < trackers->len; i++)
    {
      FerryTrackerState tracker_state = ferry_tracker_client_get_state (g_ptr_array_index (trackers, i));

      reached |= tracker_state == FERRY_TRACKER_STATE_CONNECTED;
      all_failed &= tracker_state == FERRY_TRACKER_STATE_FAILED;
    }
  /* The DHT is one more way to meet, side by side with the trackers. */
  if (self->rendezvous != NULL)
    {
      FerryDhtState dht_state = ferry_dht_get_state (self->core->dht);

      reached |= dht_state == FERRY_DHT_STATE_READY || dht_state == FERRY_DHT_STATE_DEGRADED;
      all_failed &= dht_state == FERRY_DHT_STATE_BLOCKED;
    }
  state = reached ? FERRY_SESSION_ROOM_JOINED : all_failed ? FERRY_SESSION_ROOM_OFFLINE
                                                           : FERRY_SESSION_ROOM_JOINING;
  if (state == self->state)
    return;
  self->state = state;
  report = report_new (self->handle);
  report->room_state = state;
  post_report (self->core, apply_room_state, report);
}

static void
report_tracker (NetRoom            *self,
                FerryTrackerClient *tracker)
{
  Report *report;
  guint index;

  if (!g_ptr_array_find (ferry_room_get_trackers (self->room), tracker, &index))
    return;
  report = report_new (self->handle);
  report->tracker_index = index;
  report->tracker_url = g_strdup (ferry_tracker_client_get_url (tracker));
  report->tracker_state = ferry_tracker_client_get_state (tracker);
  report->tracker_error = g_strdup (ferry_tracker_client_get_failure_reason (tracker));
  post_report (self->core, apply_tracker, report);
}

static void
tracker_changed_cb (FerryTrackerClient *tracker,
                    GParamSpec         *pspec,
                    NetRoom            *self)
{
  report_tracker (self, tracker);
  report_room_state (self);
}

static FerrySessionPeerState
net_peer_state (NetPeer *np)
{
  if (ferry_peer_get_connected (np->peer))
    return FERRY_SESSION_PEER_CONNECTED;
  return np->failed ? FERRY_SESSION_PEER_FAILED : FERRY_SESSION_PEER_CONNECTING;
}

static void
report_peer (NetPeer *np)
{
  const guint8 *fingerprint = ferry_peer_get_fingerprint (np->peer);
  Report *report = report_new (np->room->handle);
  FerrySessionPeerInfo *info = g_new0 (FerrySessionPeerInfo, 1);

  info->id = g_strdup (ferry_peer_get_id (np->peer));
  info->display_name = g_strdup (ferry_peer_get_display_name (np->peer));
  info->kind = ferry_peer_get_kind (np->peer);
  info->state = net_peer_state (np);
  info->verified = ferry_peer_get_verified (np->peer);
  info->verification_code = ferry_peer_get_verification_code (np->peer);
  info->fingerprint = fingerprint != NULL ? ferry_hex_encode (fingerprint, FERRY_SHA256_LEN) : NULL;
  info->can_receive_files = ferry_transfer_manager_peer_can_receive (np->peer);
  ferry_peer_get_selected_candidate_types (np->peer, &info->local_candidate_type,
                                           &info->remote_candidate_type);
  info->rtt_ms = np->rtt_ms = ferry_peer_get_rtt_ms (np->peer);
  report->peer = info;
  post_report (np->room->core, apply_peer, report);
}

static void
peer_changed_cb (FerryPeer  *peer,
                 GParamSpec *pspec,
                 NetPeer    *np)
{
  if (ferry_peer_get_connected (peer))
    np->failed = FALSE;
  report_peer (np);
}

static void
net_peer_free (NetPeer *np)
{
  g_signal_handlers_disconnect_by_data (np->peer, np);
  g_object_unref (np->peer);
  g_free (np);
}

static void
peer_joined_cb (FerryRoom *room,
                FerryPeer *peer,
                NetRoom   *self)
{
  NetPeer *np = g_hash_table_lookup (self->peers, peer);

  if (np == NULL)
    {
      np = g_new0 (NetPeer, 1);
      np->room = self;
      np->peer = g_object_ref (peer);
      g_hash_table_insert (self->peers, peer, np);
      /* Name, kind, verification, connection and its candidate types: every change is a new
       * copy for the GUI. */
      g_signal_connect (peer, "notify", G_CALLBACK (peer_changed_cb), np);
    }
  report_peer (np);
  report_room_state (self);
}

static void
peer_left_cb (FerryRoom *room,
              FerryPeer *peer,
              NetRoom   *self)
{
  NetPeer *np = g_hash_table_lookup (self->peers, peer);
  Report *report;

  if (np == NULL)
    return;
  report = report_new (self->handle);
  report->peer_id = g_strdup (ferry_peer_get_id (peer));
  report->peer_state = np->failed ? FERRY_SESSION_PEER_FAILED : FERRY_SESSION_PEER_LEFT;
  g_hash_table_remove (self->peers, peer);
  post_report (self->core, apply_peer_gone, report);
  report_room_state (self);
}

static void
peer_error_cb (FerryRoom    *room,
               FerryPeer    *peer,
               const GError *error,
               NetRoom      *self)
{
  NetPeer *np = g_hash_table_lookup (self->peers, peer);

  /* A connection that may be intercepted is for the user to know, whoever it claimed to be.
   * Other failures of peers that never joined are the room's business: it tries again. */
  if (g_error_matches (error, FERRY_PEER_ERROR, FERRY_PEER_ERROR_AUTHENTICATION))
    {
      Report *report = report_new (self->handle);

      report->error = g_error_copy (error);
      post_report (self->core, apply_room_error, report);
    }
  /* The error comes before the connection is dropped: with one left, the peer loses it. */
  else if (np != NULL && ferry_peer_get_n_connections (peer) == 1)
    np->failed = TRUE;
}

static void
chat_message_cb (FerryRoom  *room,
                 FerryPeer  *peer,
                 const char *text,
                 const char *id,
                 gint64      time,
                 NetRoom    *self)
{
  Report *report = report_new (self->handle);

  report->author = g_strdup (ferry_peer_get_display_name (peer));
  report->text = g_strdup (text);
  report->message_id = g_strdup (id);
  /* Plain P2PT peers send no time: their messages show when they arrived. */
  report->time = time != FERRY_PEER_MESSAGE_NO_TIME ? time : g_get_real_time () / 1000;
  post_report (self->core, apply_chat, report);
}

/* In a WebDrop room, what a WebDrop peer kept of the room's past, under its author's name; its
 * time is text in the author's locale, so it shows when it arrived. */
static void
history_message_cb (FerryRoom  *room,
                    FerryPeer  *peer,
                    const char *author,
                    const char *text,
                    NetRoom    *self)
{
  Report *report = report_new (self->handle);

  report->author = g_strdup (author);
  report->text = g_strdup (text);
  report->time = g_get_real_time () / 1000;
  post_report (self->core, apply_chat, report);
}

static void
message_delivered_cb (FerryRoom  *room,
                      FerryPeer  *peer,
                      const char *id,
                      NetRoom    *self)
{
  Report *report = report_new (self->handle);

  report->message_id = g_strdup (id);
  post_report (self->core, apply_delivered, report);
}

static gboolean
rtt_timer_cb (gpointer data)
{
  NetRoom *self = data;
  GHashTableIter iter;
  NetPeer *np;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &np))
    {
      int rtt_ms = ferry_peer_get_rtt_ms (np->peer);

      if ((rtt_ms < 0) != (np->rtt_ms < 0) || ABS (rtt_ms - np->rtt_ms) * 10 > MAX (np->rtt_ms, 10))
        report_peer (np);
    }
  return G_SOURCE_CONTINUE;
}

static NetRoom *
net_room_new (Core      *core,
              guint      handle,
              FerryRoom *room)
{
  NetRoom *self = g_new0 (NetRoom, 1);
  GPtrArray *trackers = ferry_room_get_trackers (room);

  self->core = core;
  self->handle = handle;
  self->room = g_object_ref (room);
  self->peers = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) net_peer_free);
  self->state = FERRY_SESSION_ROOM_JOINING;
  self->rtt_timer = ferry_source_attach (g_timeout_source_new (RTT_PERIOD_MS), core->to_network.context,
                                         G_PRIORITY_LOW, rtt_timer_cb, self, NULL);

  g_signal_connect (room, "peer-joined", G_CALLBACK (peer_joined_cb), self);
  g_signal_connect (room, "peer-left", G_CALLBACK (peer_left_cb), self);
  g_signal_connect (room, "peer-error", G_CALLBACK (peer_error_cb), self);
  g_signal_connect (room, "chat-message", G_CALLBACK (chat_message_cb), self);
  g_signal_connect (room, "history-message", G_CALLBACK (history_message_cb), self);
  g_signal_connect (room, "message-delivered", G_CALLBACK (message_delivered_cb), self);
  for (guint i = 0; i < trackers->len; i++)
    {
      FerryTrackerClient *tracker = g_ptr_array_index (trackers, i);

      g_signal_connect (tracker, "notify::state", G_CALLBACK (tracker_changed_cb), self);
      g_signal_connect (tracker, "notify::failure-reason", G_CALLBACK (tracker_changed_cb), self);
      /* The GUI learns the trackers from these, in order. */
      report_tracker (self, tracker);
    }
  return self;
}

/* The DHT: one node for the session, from the first room that looks for people through it to
 * the last. */

static void
report_dht (Core *core)
{
  FerryDhtState state = core->dht != NULL ? ferry_dht_get_state (core->dht) : FERRY_DHT_STATE_STOPPED;
  guint nodes = core->dht != NULL ? ferry_dht_get_node_count (core->dht, G_SOCKET_FAMILY_INVALID) : 0;
  guint good = core->dht != NULL ? ferry_dht_get_good_count (core->dht, G_SOCKET_FAMILY_INVALID) : 0;
  Report *report;

  if (state == core->dht_state && nodes == core->dht_nodes && good == core->dht_good_nodes)
    return;
  core->dht_state = state;
  core->dht_nodes = nodes;
  core->dht_good_nodes = good;
  report = report_new (0);
  report->dht_state = state;
  report->dht_nodes = nodes;
  report->dht_good_nodes = good;
  post_report (core, apply_dht, report);
}

static void
dht_state_cb (FerryDht   *dht,
              GParamSpec *pspec,
              Core       *core)
{
  GHashTableIter iter;
  NetRoom *room;

  report_dht (core);
  /* Ready or blocked, the rooms that use it may be reached or offline now. */
  g_hash_table_iter_init (&iter, core->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (room->rendezvous != NULL)
      report_room_state (room);
}

static gboolean
dht_timer_cb (gpointer data)
{
  report_dht (data);
  return G_SOURCE_CONTINUE;
}

/* Starts the node (IPv4 and IPv6, or IPv4 alone on a machine without IPv6), unless it runs. */
static gboolean
dht_start (Core    *core,
           GError **error)
{
  g_autoptr(GInetSocketAddress) ipv4 = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("0.0.0.0", 0));
  g_autoptr(GInetSocketAddress) ipv6 = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("::", 0));
  g_autoptr(FerryDht) dht = NULL;

  if (core->dht != NULL)
    return TRUE;
  dht = g_object_new (FERRY_TYPE_DHT, "mode", FERRY_DHT_MODE_AUTO, "bootstrap", core->dht_bootstrap,
                      "state-dir", core->dht_state_dir, NULL);
  if (!ferry_dht_start (dht, ipv4, ipv6, NULL) && !ferry_dht_start (dht, ipv4, NULL, error))
    return FALSE;
  core->dht = g_steal_pointer (&dht);
  g_signal_connect (core->dht, "notify::state", G_CALLBACK (dht_state_cb), core);
  core->dht_timer = ferry_source_attach (g_timeout_source_new (DHT_PERIOD_MS), core->to_network.context,
                                         G_PRIORITY_LOW, dht_timer_cb, core, NULL);
  report_dht (core);
  return TRUE;
}

/* The last room that used it is gone: the node saves its tables and closes its sockets. */
static void
dht_stop (Core *core)
{
  if (core->dht == NULL)
    return;
  g_clear_pointer (&core->dht_timer, g_source_destroy);
  g_signal_handlers_disconnect_by_data (core->dht, core);
  ferry_dht_stop (core->dht);
  g_clear_object (&core->dht);
  report_dht (core);
}

static void
report_room_dht (NetRoom *self)
{
  Report *report = report_new (self->handle);

  report->dht = self->rendezvous != NULL;
  report->dht_members = self->rendezvous != NULL ? ferry_dht_rendezvous_get_members (self->rendezvous) : 0;
  report->dht_since = self->dht_since;
  post_report (self->core, apply_room_dht, report);
}

static void
rendezvous_members_cb (FerryDhtRendezvous *rendezvous,
                       GParamSpec         *pspec,
                       NetRoom            *self)
{
  report_room_dht (self);
}

/* Stops the room's rendezvous, and the node with the last one. */
static void
net_room_stop_dht (NetRoom *self)
{
  Core *core = self->core;

  if (self->rendezvous == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->rendezvous, self);
  ferry_dht_rendezvous_stop (self->rendezvous);
  g_clear_object (&self->rendezvous);
  self->dht_since = 0;
  if (--core->dht_rooms == 0)
    dht_stop (core);
}

/* The room looks for people through the DHT when its link asks for it and the preference is
 * on; the trackers keep going all the same (whichever finds a member first). */
static void
net_room_update_dht (NetRoom *self)
{
  Core *core = self->core;
  gboolean wanted = self->wants_dht && core->dht_enabled && core->identity != NULL;
  g_autoptr(GError) error = NULL;

  if (wanted == (self->rendezvous != NULL))
    return;
  if (!wanted)
    net_room_stop_dht (self);
  else if (!dht_start (core, &error))
    {
      Report *report = report_new (self->handle);

      g_prefix_error_literal (&error, _("The DHT cannot be used: "));
      report->error = g_steal_pointer (&error);
      post_report (core, apply_room_error, report);
      return;
    }
  else
    {
      self->rendezvous = ferry_dht_rendezvous_new (core->dht, self->room, core->identity, self->config,
                                                   self->display_name);
      g_signal_connect (self->rendezvous, "notify::members", G_CALLBACK (rendezvous_members_cb), self);
      core->dht_rooms++;
      self->dht_since = g_get_monotonic_time ();
      ferry_dht_rendezvous_start (self->rendezvous);
    }
  report_room_dht (self);
  report_room_state (self);
}

static gboolean
drop_left_room_cb (gpointer data)
{
  Core *core = data;

  /* Every room waits as long, so the oldest one is done. */
  if (core->leaving->len > 0)
    g_ptr_array_remove_index (core->leaving, 0);
  return G_SOURCE_REMOVE;
}

/* Leaves the room and frees @self: the value destructor of core->rooms. */
static void
net_room_leave (NetRoom *self)
{
  Core *core = self->core;
  GPtrArray *trackers = ferry_room_get_trackers (self->room);

  /* The GUI has forgotten the room: nothing more of it is reported, leaving included. */
  g_source_destroy (self->rtt_timer);
  net_room_stop_dht (self);
  g_clear_pointer (&self->config, ferry_rtc_config_unref);
  g_free (self->display_name);
  g_signal_handlers_disconnect_by_data (self->room, self);
  for (guint i = 0; i < trackers->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (trackers, i), self);
  g_hash_table_unref (self->peers);

  ferry_room_leave (self->room);
  ferry_transfer_manager_remove_room (core->manager, self->room);
  g_ptr_array_add (core->leaving, g_steal_pointer (&self->room));
  ferry_source_attach (g_timeout_source_new (LEAVE_GRACE_MS), core->to_network.context,
                       G_PRIORITY_DEFAULT, drop_left_room_cb, core, NULL);
  g_free (self);
}

/* Requests, from the GUI to the network thread */

typedef struct {
  guint           handle;
  FerryRoomLink  *link;          /* the network thread's own copy */
  FerryRtcConfig *config;
  GStrv           trackers;
  char           *display_name;
} JoinRequest;

static void
join_request_free (JoinRequest *request)
{
  g_object_unref (request->link);
  ferry_rtc_config_unref (request->config);
  g_strfreev (request->trackers);
  g_free (request->display_name);
  g_free (request);
}

static void
join_on_network (Core     *core,
                 gpointer  data)
{
  JoinRequest *request = data;
  g_autoptr(FerryRoom) room = NULL;
  NetRoom *self;
  Report *report;

  if (core->identity == NULL)
    {
      report = report_new (request->handle);
      report->error = g_error_copy (core->identity_error);
      post_report (core, apply_room_error, report);
      report = report_new (request->handle);
      report->room_state = FERRY_SESSION_ROOM_LEFT;
      post_report (core, apply_room_state, report);
      return;
    }

  room = ferry_room_new (request->link, core->identity, request->config,
                         (const char * const *) request->trackers, request->display_name);
  self = net_room_new (core, request->handle, room);
  self->config = ferry_rtc_config_ref (request->config);
  self->display_name = g_strdup (request->display_name);
  self->wants_dht = ferry_room_link_get_kind (request->link) == FERRY_ROOM_KIND_SECRET &&
                    ferry_room_link_get_dht (request->link);
  g_hash_table_insert (core->rooms, GUINT_TO_POINTER (request->handle), self);
  /* Offers that arrive in the room become transfers even before the GUI shows any. */
  ferry_transfer_manager_add_room (core->manager, room);
  ferry_room_join (room);
  /* The rendezvous starts after the join, as in ferry-cli. */
  net_room_update_dht (self);
  /* A room with neither trackers nor the DHT has nothing to wait for. */
  report_room_state (self);
}

/* The network side of a pairing */

typedef struct {
  Core           *core;
  guint           handle;      /* then its direct room's */
  FerryRtcConfig *config;
  char           *display_name;
  GCancellable   *cancellable;
  FerryPairing   *pairing;     /* %NULL until it started */
} NetPairing;

/* Cancels a pairing that is not connected, or forgets one that is: the value destructor of
 * core->pairings. */
static void
net_pairing_free (NetPairing *self)
{
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  if (self->pairing != NULL)
    {
      g_signal_handlers_disconnect_by_data (ferry_pairing_get_peer (self->pairing), self);
      g_signal_handlers_disconnect_by_data (self->pairing, self);
      g_object_unref (self->pairing);
    }
  ferry_rtc_config_unref (self->config);
  g_free (self->display_name);
  g_free (self);
}

static void
report_pairing (Core         *core,
                guint         handle,
                Job           apply,
                const char   *link,
                const GError *error)
{
  Report *report = report_new (handle);

  report->link = g_strdup (link);
  report->error = error != NULL ? g_error_copy (error) : NULL;
  post_report (core, apply, report);
}

static void
pairing_failed_cb (FerryPairing *pairing,
                   const GError *error,
                   NetPairing   *self)
{
  report_pairing (self->core, self->handle, apply_pairing_failed, NULL, error);
  g_hash_table_remove (self->core->pairings, GUINT_TO_POINTER (self->handle));
}

static void
pairing_reply_cb (FerryPairing *pairing,
                  const char   *link,
                  NetPairing   *self)
{
  report_pairing (self->core, self->handle, apply_pairing_reply, link, NULL);
}

/* A secret link of its own, named after the other computer; nobody else will ever use it. */
static FerryRoomLink *
direct_room_link (FerryPeer *peer,
                  gboolean   nearby)
{
  const char *name = ferry_peer_get_display_name (peer);
  g_autofree char *label = NULL;
  FerryRoomLink *link;

  if (name == NULL || *name == '\0')
    name = _("Someone");
  if (nearby)
    /* Translators: the title of a room made by connecting to a device on the local network;
     * %s is the other computer's name */
    label = g_strdup_printf (_("Nearby: %s"), name);
  else
    /* Translators: the title of a room made by a pairing code; %s is the other computer's name */
    label = g_strdup_printf (_("Direct: %s"), name);
  link = ferry_room_link_new_secret (label, NULL);
  /* A name too long for a label. */
  if (link == NULL)
    link = ferry_room_link_new_secret (_("Direct connection"), NULL);
  return link;
}

/* Whether the other side of @pairing is there and its hello read: it proved the code, or, for
 * a nearby device's open code, connected (a peer takes the hello's name and kind once it is
 * verified). */
static gboolean
direct_peer_ready (FerryPairing *pairing)
{
  return ferry_pairing_is_connected (pairing) &&
         ferry_peer_get_kind (ferry_pairing_get_peer (pairing)) == FERRY_PEER_KIND_FERRY;
}

/* Calls @callback with @data whenever the peer of @pairing may have become ready. */
static void
follow_direct_peer (FerryPairing *pairing,
                    GCallback     callback,
                    gpointer      data)
{
  FerryPeer *peer = ferry_pairing_get_peer (pairing);

  g_signal_connect (peer, "notify::verified", callback, data);
  g_signal_connect (peer, "notify::connected", callback, data);
  g_signal_connect (peer, "notify::kind", callback, data);
}

/* The peer of @pairing, ready, goes into a room of its own, a fresh secret link without
 * trackers, under @handle: @report (posted first, with the room's link, so that the GUI has the
 * room when its peer is reported) tells the GUI.  The pairing lives as long as the room: the
 * peer is its. */
static void
add_direct_room_on_network (Core           *core,
                            guint           handle,
                            FerryPairing   *pairing,
                            FerryRtcConfig *config,
                            const char     *display_name,
                            gboolean        nearby,
                            Report         *report,
                            Job             apply)
{
  FerryPeer *peer = ferry_pairing_get_peer (pairing);
  g_autoptr(FerryRoomLink) link = direct_room_link (peer, nearby);
  g_autoptr(FerryRoom) room = NULL;

  g_return_if_fail (link != NULL);
  report->handle = handle;
  report->link = ferry_room_link_to_string (link);
  post_report (core, apply, report);

  room = ferry_room_new (link, core->identity, config, NULL, display_name);
  g_object_set_data_full (G_OBJECT (room), "ferry-session-pairing", g_object_ref (pairing),
                          g_object_unref);
  g_hash_table_insert (core->rooms, GUINT_TO_POINTER (handle), net_room_new (core, handle, room));
  ferry_transfer_manager_add_room (core->manager, room);
  ferry_room_join (room);
  ferry_room_add_peer (room, peer);
}

/* The other computer proved the code: its direct room comes under the pairing's handle. */
static void
pairing_peer_changed_cb (FerryPeer  *peer,
                         GParamSpec *pspec,
                         NetPairing *self)
{
  if (!direct_peer_ready (self->pairing))
    return;
  add_direct_room_on_network (self->core, self->handle, self->pairing, self->config,
                              self->display_name, FALSE, report_new (self->handle),
                              apply_pairing_connected);
  /* Frees @self: the room holds the pairing now. */
  g_hash_table_remove (self->core->pairings, GUINT_TO_POINTER (self->handle));
}

typedef struct {
  guint           handle;
  char           *code;          /* to read; %NULL: make one */
  FerryRtcConfig *config;
  char           *display_name;
} PairRequest;

static void
pair_request_free (PairRequest *request)
{
  if (request->code != NULL)
    ferry_memzero (request->code, strlen (request->code));
  g_free (request->code);
  ferry_rtc_config_unref (request->config);
  g_free (request->display_name);
  g_free (request);
}

typedef struct {
  Core  *core;
  guint  handle;
} PairStart;

static void
pairing_started_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  PairStart *start = data;
  Core *core = start->core;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPairing) pairing = ferry_pairing_new_finish (result, &error);
  NetPairing *self;

  /* Cancelled meanwhile, or the session stopped. */
  if (core->pairings == NULL ||
      !(self = g_hash_table_lookup (core->pairings, GUINT_TO_POINTER (start->handle))))
    goto out;
  if (pairing == NULL)
    {
      report_pairing (core, start->handle, apply_pairing_failed, NULL, error);
      g_hash_table_remove (core->pairings, GUINT_TO_POINTER (start->handle));
      goto out;
    }

  self->pairing = g_steal_pointer (&pairing);
  g_signal_connect (self->pairing, "failed", G_CALLBACK (pairing_failed_cb), self);
  g_signal_connect (self->pairing, "reply", G_CALLBACK (pairing_reply_cb), self);
  follow_direct_peer (self->pairing, G_CALLBACK (pairing_peer_changed_cb), self);
  if (ferry_pairing_get_link (self->pairing) != NULL)
    report_pairing (core, start->handle, apply_pairing_link, ferry_pairing_get_link (self->pairing), NULL);

out:
  core_unref (core);
  g_free (start);
}

static void
pair_on_network (Core     *core,
                 gpointer  data)
{
  PairRequest *request = data;
  g_autoptr(FerryPairingCode) code = NULL;
  g_autoptr(GError) error = NULL;
  NetPairing *self;
  PairStart *start;

  if (core->identity == NULL)
    {
      report_pairing (core, request->handle, apply_pairing_failed, NULL, core->identity_error);
      return;
    }
  /* Read on the GUI thread already; it may have expired since. */
  if (request->code != NULL &&
      !(code = ferry_pairing_code_parse (request->code, g_get_real_time () / G_USEC_PER_SEC, &error)))
    {
      report_pairing (core, request->handle, apply_pairing_failed, NULL, error);
      return;
    }

  self = g_new0 (NetPairing, 1);
  self->core = core;
  self->handle = request->handle;
  self->config = ferry_rtc_config_ref (request->config);
  self->display_name = g_strdup (request->display_name);
  self->cancellable = g_cancellable_new ();
  g_hash_table_insert (core->pairings, GUINT_TO_POINTER (self->handle), self);

  start = g_new0 (PairStart, 1);
  start->core = core_ref (core);
  start->handle = self->handle;
  if (code != NULL)
    ferry_pairing_new_reader_async (core->identity, self->config, self->display_name, code,
                                    self->cancellable, pairing_started_cb, start);
  else
    ferry_pairing_new_code_async (core->identity, self->config, self->display_name,
                                  FERRY_PAIRING_DEFAULT_LIFETIME_S, self->cancellable,
                                  pairing_started_cb, start);
}

/* A text for the room or pairing of @handle: a chat message, a reply code. */
typedef struct {
  guint  handle;
  char  *text;
} TextRequest;

static void
text_request_free (TextRequest *request)
{
  g_free (request->text);
  g_free (request);
}

static void
add_reply_on_network (Core     *core,
                      gpointer  data)
{
  TextRequest *request = data;
  NetPairing *self = g_hash_table_lookup (core->pairings, GUINT_TO_POINTER (request->handle));
  g_autoptr(GError) error = NULL;

  /* Over meanwhile: the GUI hears that instead. */
  if (self == NULL)
    return;
  if (self->pairing == NULL)
    g_set_error_literal (&error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_NOT_FOR_US,
                         _("This reply code does not answer this computer’s pairing code"));
  else
    ferry_pairing_add_reply (self->pairing, request->text, &error);
  if (error != NULL)
    report_pairing (core, request->handle, apply_pairing_refused, NULL, error);
}

/* The pairing, or the direct room it made before the GUI heard of it. */
static void
cancel_pairing_on_network (Core     *core,
                           gpointer  data)
{
  g_hash_table_remove (core->pairings, data);
  g_hash_table_remove (core->rooms, data);
}

/* The network side of nearby devices */

struct _NetNearby
{
  Core           *core;
  guint           generation;  /* of the GUI's start: the handle of every report about devices */
  FerryNearby    *nearby;
  FerryRtcConfig *config;
  char           *display_name;
  GPtrArray      *devices;     /* FerryNearbyDevice: the model's items, to let go of those removed */
  GCancellable   *cancellable; /* our connections under way */
  GHashTable     *waiting;     /* FerryPairing → NetNearbyWait: connected, its hello not read yet */
};

typedef struct {
  NetNearby    *nearby;
  FerryPairing *pairing;
  char         *device_id;   /* the device we connected to; %NULL: it connected to us */
} NetNearbyWait;

static FerrySessionNearbyDeviceInfo *
nearby_device_info (FerryNearbyDevice *device)
{
  FerrySessionNearbyDeviceInfo *info = g_new0 (FerrySessionNearbyDeviceInfo, 1);

  info->id = g_strdup (ferry_nearby_device_get_id (device));
  info->name = g_strdup (ferry_nearby_device_get_name (device));
  info->fingerprint = g_strdup (ferry_nearby_device_get_fingerprint (device));
  return info;
}

static void
nearby_device_changed_cb (FerryNearbyDevice *device,
                          GParamSpec        *pspec,
                          NetNearby         *self)
{
  Report *report = report_new (self->generation);

  report->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) _ferry_session_nearby_device_info_free);
  g_ptr_array_add (report->devices, nearby_device_info (device));
  post_report (self->core, apply_nearby_device, report);
}

static void
nearby_devices_changed_cb (GListModel *devices,
                           guint       position,
                           guint       removed,
                           guint       added,
                           NetNearby  *self)
{
  Report *report = report_new (self->generation);

  for (guint i = 0; i < removed; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->devices, position + i), self);
  g_ptr_array_remove_range (self->devices, position, removed);
  report->position = position;
  report->removed = removed;
  report->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) _ferry_session_nearby_device_info_free);
  for (guint i = 0; i < added; i++)
    {
      FerryNearbyDevice *device = g_list_model_get_item (devices, position + i);

      g_ptr_array_insert (self->devices, position + i, device);
      g_signal_connect (device, "notify", G_CALLBACK (nearby_device_changed_cb), self);
      g_ptr_array_add (report->devices, nearby_device_info (device));
    }
  post_report (self->core, apply_nearby_devices, report);
}

static void
report_nearby_connect_failed (NetNearby    *self,
                              const char   *device_id,
                              const GError *error)
{
  Report *report = report_new (self->generation);

  report->device_id = g_strdup (device_id);
  report->error = g_error_copy (error);
  post_report (self->core, apply_nearby_connect_failed, report);
}

static void
net_nearby_wait_free (NetNearbyWait *wait)
{
  g_signal_handlers_disconnect_by_data (ferry_pairing_get_peer (wait->pairing), wait);
  g_signal_handlers_disconnect_by_data (wait->pairing, wait);
  g_object_unref (wait->pairing);
  g_free (wait->device_id);
  g_free (wait);
}

/* Connected, in either direction: the direct room, as a pairing code's, under a handle of this
 * thread's. */
static void
nearby_peer_changed_cb (FerryPeer     *peer,
                        GParamSpec    *pspec,
                        NetNearbyWait *wait)
{
  NetNearby *self = wait->nearby;
  Core *core = self->core;
  Report *report;

  if (!direct_peer_ready (wait->pairing))
    return;
  report = report_new (0);
  report->device_id = g_strdup (wait->device_id);
  add_direct_room_on_network (core, ++core->last_network_handle, wait->pairing, self->config,
                              self->display_name, TRUE, report, apply_nearby_connected);
  /* Frees @wait: the room holds the pairing now. */
  g_hash_table_remove (self->waiting, wait->pairing);
}

static void
nearby_pairing_failed_cb (FerryPairing  *pairing,
                          const GError  *error,
                          NetNearbyWait *wait)
{
  NetNearby *self = wait->nearby;

  if (wait->device_id != NULL)
    report_nearby_connect_failed (self, wait->device_id, error);
  else
    g_debug ("Nearby: a connection to us broke before its hello: %s", error->message);
  g_hash_table_remove (self->waiting, pairing);
}

static void
nearby_wait (NetNearby    *self,
             FerryPairing *pairing,
             const char   *device_id)
{
  NetNearbyWait *wait = g_new0 (NetNearbyWait, 1);

  wait->nearby = self;
  wait->pairing = g_object_ref (pairing);
  wait->device_id = g_strdup (device_id);
  g_hash_table_insert (self->waiting, pairing, wait);
  g_signal_connect (pairing, "failed", G_CALLBACK (nearby_pairing_failed_cb), wait);
  follow_direct_peer (pairing, G_CALLBACK (nearby_peer_changed_cb), wait);
  nearby_peer_changed_cb (ferry_pairing_get_peer (pairing), NULL, wait);
}

static void
nearby_incoming_cb (FerryNearby  *nearby,
                    FerryPairing *pairing,
                    NetNearby    *self)
{
  nearby_wait (self, pairing, NULL);
}

static void
net_nearby_free (NetNearby *self)
{
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  g_hash_table_unref (self->waiting);
  g_signal_handlers_disconnect_by_data (self->nearby, self);
  g_signal_handlers_disconnect_by_data (ferry_nearby_get_devices (self->nearby), self);
  for (guint i = 0; i < self->devices->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->devices, i), self);
  g_ptr_array_unref (self->devices);
  /* "bye", when visible. */
  ferry_nearby_stop (self->nearby);
  g_object_unref (self->nearby);
  ferry_rtc_config_unref (self->config);
  g_free (self->display_name);
  g_free (self);
}

typedef struct {
  guint           generation;
  FerryRtcConfig *config;
  char           *display_name;
  gboolean        visible;
} NearbyRequest;

static void
nearby_request_free (NearbyRequest *request)
{
  ferry_rtc_config_unref (request->config);
  g_free (request->display_name);
  g_free (request);
}

static void
report_nearby_started (Core         *core,
                       guint         generation,
                       const GError *error)
{
  Report *report = report_new (generation);

  report->error = error != NULL ? g_error_copy (error) : NULL;
  post_report (core, apply_nearby_started, report);
}

static void
stop_nearby_on_network (Core     *core,
                        gpointer  data)
{
  g_clear_pointer (&core->nearby, net_nearby_free);
}

static void
start_nearby_on_network (Core     *core,
                         gpointer  data)
{
  NearbyRequest *request = data;
  g_autoptr(GError) error = NULL;
  NetNearby *self;

  stop_nearby_on_network (core, NULL);
  if (core->identity == NULL)
    {
      report_nearby_started (core, request->generation, core->identity_error);
      return;
    }

  self = g_new0 (NetNearby, 1);
  self->core = core;
  self->generation = request->generation;
  self->config = ferry_rtc_config_ref (request->config);
  self->display_name = g_strdup (request->display_name);
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->waiting = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) net_nearby_wait_free);
  self->nearby = ferry_nearby_new (core->identity, self->config, self->display_name);
  g_signal_connect (self->nearby, "incoming", G_CALLBACK (nearby_incoming_cb), self);
  g_signal_connect (ferry_nearby_get_devices (self->nearby), "items-changed",
                    G_CALLBACK (nearby_devices_changed_cb), self);
  ferry_nearby_set_visible (self->nearby, request->visible);
  if (!ferry_nearby_start (self->nearby, &error))
    {
      net_nearby_free (self);
      report_nearby_started (core, request->generation, error);
      return;
    }
  core->nearby = self;
  report_nearby_started (core, request->generation, NULL);
}

static void
set_nearby_visible_on_network (Core     *core,
                               gpointer  data)
{
  if (core->nearby != NULL)
    ferry_nearby_set_visible (core->nearby->nearby, GPOINTER_TO_INT (data));
}

typedef struct {
  Core  *core;
  guint  generation;
  char  *device_id;
} NearbyConnect;

static void
nearby_connected_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      data)
{
  NearbyConnect *connect = data;
  Core *core = connect->core;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryPairing) pairing = ferry_pairing_new_finish (result, &error);

  /* Stopped meanwhile (which cancels), or started again since. */
  if (core->nearby == NULL || core->nearby->generation != connect->generation)
    goto out;
  if (pairing == NULL)
    report_nearby_connect_failed (core->nearby, connect->device_id, error);
  else
    nearby_wait (core->nearby, pairing, connect->device_id);

out:
  core_unref (core);
  g_free (connect->device_id);
  g_free (connect);
}

static void
nearby_connect_on_network (Core     *core,
                           gpointer  data)
{
  const char *id = data;
  NetNearby *self = core->nearby;
  NearbyConnect *connect;

  if (self == NULL)
    return;
  for (guint i = 0; i < self->devices->len; i++)
    {
      FerryNearbyDevice *device = g_ptr_array_index (self->devices, i);

      if (!g_str_equal (ferry_nearby_device_get_id (device), id))
        continue;
      connect = g_new0 (NearbyConnect, 1);
      connect->core = core_ref (core);
      connect->generation = self->generation;
      connect->device_id = g_strdup (id);
      ferry_nearby_connect_async (self->nearby, device, self->cancellable, nearby_connected_cb, connect);
      return;
    }

  {
    g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                                   _("This device is no longer on the network"));

    report_nearby_connect_failed (self, id, error);
  }
}

static void
send_chat_on_network (Core     *core,
                      gpointer  data)
{
  TextRequest *request = data;
  NetRoom *room = g_hash_table_lookup (core->rooms, GUINT_TO_POINTER (request->handle));
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  gint64 time = 0;
  Report *report;

  /* Left meanwhile. */
  if (room == NULL)
    return;

  report = report_new (request->handle);
  if (!(id = ferry_room_send_chat_full (room->room, request->text, &time, &error)))
    {
      report->error = g_steal_pointer (&error);
      post_report (core, apply_room_error, report);
      return;
    }
  report->text = g_steal_pointer (&request->text);
  report->message_id = g_steal_pointer (&id);
  report->time = time;
  report->outgoing = TRUE;
  post_report (core, apply_chat, report);
}

static void
leave_on_network (Core     *core,
                  gpointer  data)
{
  g_hash_table_remove (core->rooms, data);
}

/* The GUI's dht-enabled and dht-bootstrap. */
typedef struct {
  gboolean  enabled;
  GStrv     bootstrap;
} DhtRequest;

static void
dht_request_free (DhtRequest *request)
{
  g_strfreev (request->bootstrap);
  g_free (request);
}

/* Turned off, the rooms stop looking through the DHT and the node stops; turned on, the rooms
 * whose link asks for it start again.  New bootstrap nodes are for the next time the node looks
 * for some. */
static void
set_dht_on_network (Core     *core,
                    gpointer  data)
{
  DhtRequest *request = data;
  GHashTableIter iter;
  NetRoom *room;

  g_strfreev (core->dht_bootstrap);
  core->dht_bootstrap = g_strdupv (request->bootstrap);
  if (core->dht != NULL)
    ferry_dht_set_bootstrap (core->dht, (const char * const *) core->dht_bootstrap);
  core->dht_enabled = request->enabled;
  g_hash_table_iter_init (&iter, core->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    net_room_update_dht (room);
}

static void
report_room_error (Core         *core,
                   guint         handle,
                   const GError *error)
{
  Report *report = report_new (handle);

  report->error = g_error_copy (error);
  post_report (core, apply_room_error, report);
}

/* An offer refused at once (hostile names, say) is told in the rooms of its sender. */
static void
offer_refused_cb (FerryTransferManager *manager,
                  FerryPeer            *peer,
                  const GError         *error,
                  Core                 *core)
{
  GHashTableIter iter;
  NetRoom *room;

  g_hash_table_iter_init (&iter, core->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (g_hash_table_contains (room->peers, peer))
      report_room_error (core, room->handle, error);
}

typedef struct {
  Core   *core;
  guint   handle;     /* the room's */
  char   *peer_id;    /* %NULL: everyone who takes files */
  GStrv   paths;
} SendRequest;

static void
send_request_free (SendRequest *request)
{
  g_free (request->peer_id);
  g_strfreev (request->paths);
  g_free (request);
}

static FerryPeer *
find_peer (NetRoom    *room,
           const char *id)
{
  GHashTableIter iter;
  FerryPeer *peer;

  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &peer, NULL))
    if (g_str_equal (ferry_peer_get_id (peer), id))
      return peer;
  return NULL;
}

static void
scanned_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  SendRequest *request = data;
  Core *core = request->core;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryTransferSources) sources = ferry_transfer_sources_scan_finish (result, &error);
  NetRoom *room;
  GHashTableIter iter;
  FerryPeer *peer;
  guint sent = 0;

  /* The session stopped meanwhile, or the room was left. */
  if (core->rooms == NULL || !(room = g_hash_table_lookup (core->rooms, GUINT_TO_POINTER (request->handle))))
    goto out;
  if (sources == NULL)
    {
      report_room_error (core, request->handle, error);
      goto out;
    }

  g_hash_table_iter_init (&iter, room->peers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &peer, NULL))
    {
      g_autoptr(FerryTransfer) transfer = NULL;
      g_autoptr(GError) send_error = NULL;

      if (request->peer_id != NULL ? !g_str_equal (request->peer_id, ferry_peer_get_id (peer))
                                   : !ferry_transfer_manager_peer_can_receive (peer))
        continue;
      if ((transfer = ferry_transfer_manager_send (core->manager, peer, sources, &send_error)))
        sent++;
      else
        report_room_error (core, request->handle, send_error);
    }
  /* Nobody to send to (the one chosen may have left while the files were read); a peer that
   * was there but could not take them has been reported above. */
  if (sent == 0 && (request->peer_id == NULL || !find_peer (room, request->peer_id)))
    {
      g_set_error_literal (&error, FERRY_TRANSFER_ERROR, FERRY_TRANSFER_ERROR_NOT_CONNECTED,
                           request->peer_id == NULL ? _("Nobody in this room can receive files yet")
                                                    : _("They left before the files could be offered"));
      report_room_error (core, request->handle, error);
    }

out:
  core_unref (core);
  send_request_free (request);
}

static void
send_on_network (Core     *core,
                 gpointer  data)
{
  SendRequest *request = data;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  SendRequest *copy = g_new0 (SendRequest, 1);

  /* The request is freed with its mailbox item; the scan keeps a copy. */
  copy->core = core_ref (core);
  copy->handle = request->handle;
  copy->peer_id = g_strdup (request->peer_id);
  copy->paths = g_strdupv (request->paths);
  for (guint i = 0; request->paths[i] != NULL; i++)
    g_ptr_array_add (files, g_file_new_for_path (request->paths[i]));
  ferry_transfer_sources_scan_async ((GFile * const *) files->pdata, files->len, NULL, scanned_cb, copy);
}

typedef struct {
  guint                       handle;   /* the transfer's */
  FerrySessionTransferAction  action;
  GArray                     *files;    /* guint, or %NULL: all */
  char                       *folder;
} ActionRequest;

static void
action_request_free (ActionRequest *request)
{
  g_clear_pointer (&request->files, g_array_unref);
  g_free (request->folder);
  g_free (request);
}

typedef struct {
  Core  *core;
  guint  handle;
} AcceptData;

static void
accepted_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  AcceptData *accept = data;
  g_autoptr(GError) error = NULL;

  if (!ferry_transfer_accept_finish (FERRY_TRANSFER (source), result, &error))
    report_transfer_error (accept->core, accept->handle, error);
  core_unref (accept->core);
  g_free (accept);
}

static void
act_on_network (Core     *core,
                gpointer  data)
{
  ActionRequest *request = data;
  NetTransfer *nt = g_hash_table_lookup (core->transfers, GUINT_TO_POINTER (request->handle));
  g_autoptr(GError) error = NULL;

  if (nt == NULL)
    return;
  switch (request->action)
    {
    case FERRY_SESSION_TRANSFER_ACCEPT:
      {
        g_autoptr(GFile) folder = g_file_new_for_path (request->folder);
        AcceptData *accept = g_new0 (AcceptData, 1);

        accept->core = core_ref (core);
        accept->handle = request->handle;
        ferry_transfer_accept_async (nt->transfer, folder,
                                     request->files ? (const guint *) request->files->data : NULL,
                                     request->files ? request->files->len : 0, NULL, accepted_cb, accept);
      }
      break;
    case FERRY_SESSION_TRANSFER_DECLINE:
      ferry_transfer_decline (nt->transfer, NULL, &error);
      break;
    case FERRY_SESSION_TRANSFER_PAUSE:
      ferry_transfer_pause (nt->transfer, &error);
      break;
    case FERRY_SESSION_TRANSFER_RESUME:
      ferry_transfer_resume (nt->transfer, &error);
      break;
    case FERRY_SESSION_TRANSFER_CANCEL:
      ferry_transfer_cancel (nt->transfer, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
  if (error != NULL)
    report_transfer_error (core, request->handle, error);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
stop_on_network (Core     *core,
                 gpointer  data)
{
  stop_nearby_on_network (core, NULL);
  g_hash_table_remove_all (core->pairings);
  g_hash_table_remove_all (core->rooms);
  if (core->leaving->len == 0)
    g_main_loop_quit (core->loop);
  else
    ferry_source_attach (g_timeout_source_new (LEAVE_GRACE_MS), core->to_network.context,
                         G_PRIORITY_LOW, quit_cb, core->loop, NULL);
}

/* The network thread */

static gpointer
network_thread (gpointer data)
{
  Core *core = data;
  GMainContext *context = core->to_network.context;

  g_main_context_push_thread_default (context);

  /* Blocking reads and writes, but no room exists yet: nothing on this thread is kept waiting. */
  core->identity = ferry_identity_load_or_create (core->identity_path, &core->identity_error);
  core->manager = ferry_transfer_manager_new (core->state_dir);
  core->transfers = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) net_transfer_free);
  core->rooms = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) net_room_leave);
  core->pairings = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) net_pairing_free);
  core->last_network_handle = NETWORK_HANDLE_FIRST;
  g_signal_connect (core->manager, "transfer-added", G_CALLBACK (transfer_added_cb), core);
  g_signal_connect (core->manager, "offer-refused", G_CALLBACK (offer_refused_cb), core);
  /* Those kept from an earlier run. */
  for (guint i = 0; i < g_list_model_get_n_items (ferry_transfer_manager_get_transfers (core->manager)); i++)
    {
      g_autoptr(FerryTransfer) transfer = g_list_model_get_item (ferry_transfer_manager_get_transfers (core->manager), i);

      transfer_added_cb (core->manager, transfer, core);
    }
  core->leaving = g_ptr_array_new_with_free_func (g_object_unref);

  g_main_loop_run (core->loop);

  /* Every object of the network thread goes on the network thread. */
  g_clear_pointer (&core->nearby, net_nearby_free);
  g_clear_pointer (&core->pairings, g_hash_table_unref);
  g_clear_pointer (&core->rooms, g_hash_table_unref);
  /* Stopped with the last room; nothing runs on this context any more. */
  dht_stop (core);
  g_clear_pointer (&core->dht_bootstrap, g_strfreev);
  g_clear_pointer (&core->leaving, g_ptr_array_unref);
  g_clear_pointer (&core->transfers, g_hash_table_unref);
  g_signal_handlers_disconnect_by_data (core->manager, core);
  g_clear_object (&core->manager);
  g_clear_object (&core->identity);
  g_clear_error (&core->identity_error);
  g_main_context_pop_thread_default (context);
  core_unref (core);
  return NULL;
}

/* The GUI side */

/* The network thread takes the DHT settings in order with the joins. */
static void
post_dht_settings (FerrySession *self)
{
  DhtRequest *request;

  if (self->thread == NULL)
    return;
  request = g_new0 (DhtRequest, 1);
  request->enabled = self->dht_enabled;
  request->bootstrap = g_strdupv (self->dht_bootstrap);
  post (self->core, &self->core->to_network, set_dht_on_network, request,
        (GDestroyNotify) dht_request_free);
}

static void
forget_room (FerrySession     *self,
             FerrySessionRoom *room)
{
  g_autoptr(FerrySessionRoom) ref = g_object_ref (room);
  guint position;

  g_hash_table_remove (self->rooms_by_handle, GUINT_TO_POINTER (_ferry_session_room_get_handle (room)));
  if (g_list_store_find (self->rooms, room, &position))
    g_list_store_remove (self->rooms, position);
  _ferry_session_room_detach (room);
}

void
_ferry_session_send_chat (FerrySession     *self,
                          FerrySessionRoom *room,
                          const char       *text)
{
  TextRequest *request = g_new0 (TextRequest, 1);

  request->handle = _ferry_session_room_get_handle (room);
  request->text = g_strdup (text);
  post (self->core, &self->core->to_network, send_chat_on_network, request,
        (GDestroyNotify) text_request_free);
}

void
_ferry_session_leave (FerrySession     *self,
                      FerrySessionRoom *room)
{
  guint handle = _ferry_session_room_get_handle (room);

  forget_room (self, room);
  post (self->core, &self->core->to_network, leave_on_network, GUINT_TO_POINTER (handle), NULL);
}

void
_ferry_session_send_files (FerrySession     *self,
                           FerrySessionRoom *room,
                           const char       *peer_id,
                           GFile * const    *files,
                           guint             n_files)
{
  SendRequest *request = g_new0 (SendRequest, 1);
  g_autoptr(GStrvBuilder) paths = g_strv_builder_new ();

  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);

      /* Only files of this computer can be read in a worker thread without a GVfs mount. */
      if (path == NULL)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *uri = g_file_get_uri (files[i]);

          g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       _("“%s” is not on this computer; only local files can be sent"), uri);
          _ferry_session_room_report_error (room, error);
          g_free (request);
          return;
        }
      g_strv_builder_add (paths, path);
    }
  request->handle = _ferry_session_room_get_handle (room);
  request->peer_id = g_strdup (peer_id);
  request->paths = g_strv_builder_end (paths);
  post (self->core, &self->core->to_network, send_on_network, request,
        (GDestroyNotify) send_request_free);
}

void
_ferry_session_act_on_transfer (FerrySession               *self,
                                FerrySessionTransfer       *transfer,
                                FerrySessionTransferAction  action,
                                const guint                *files,
                                guint                       n_files)
{
  ActionRequest *request = g_new0 (ActionRequest, 1);

  request->handle = _ferry_session_transfer_get_handle (transfer);
  request->action = action;
  if (files != NULL)
    {
      request->files = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_files);
      g_array_append_vals (request->files, files, n_files);
    }
  if (action == FERRY_SESSION_TRANSFER_ACCEPT)
    request->folder = g_file_get_path (self->download_folder);
  post (self->core, &self->core->to_network, act_on_network, request,
        (GDestroyNotify) action_request_free);
}

static FerrySessionRoom *
find_room (FerrySession  *self,
           FerryRoomLink *link)
{
  guint8 info_hash[FERRY_INFO_HASH_LEN];
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rooms));

  ferry_room_link_get_info_hash (link, info_hash);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionRoom) room = g_list_model_get_item (G_LIST_MODEL (self->rooms), i);
      guint8 other[FERRY_INFO_HASH_LEN];

      ferry_room_link_get_info_hash (ferry_session_room_get_link (room), other);
      if (memcmp (info_hash, other, sizeof info_hash) == 0)
        return room;
    }
  return NULL;
}

/* The link's own copy for the network thread: a FerryRoomLink is not thread-safe, and the GUI
 * keeps its own. */
static FerryRoomLink *
copy_link (FerryRoomLink  *link,
           GError        **error)
{
  g_autofree char *text = ferry_room_link_to_string (link);
  FerryRoomLink *copy = ferry_room_link_parse (text, error);

  /* It holds the secret of a secret room. */
  ferry_memzero (text, strlen (text));
  return copy;
}

FerrySessionRoom *
ferry_session_join (FerrySession   *self,
                    FerryRoomLink  *link,
                    GError        **error)
{
  g_autoptr(FerryRtcConfig) config = NULL;
  g_autoptr(FerryRoomLink) copy = NULL;
  FerrySessionRoom *room;
  JoinRequest *request;

  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);
  g_return_val_if_fail (FERRY_IS_ROOM_LINK (link), NULL);
  g_return_val_if_fail (self->thread != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((room = find_room (self, link)) != NULL)
    return g_object_ref (room);

  if (!(config = ferry_session_rtc_config_new ((const char * const *) self->stun_servers,
                                               self->turn_servers, self->relay_only, error)))
    return NULL;
  if (self->trackers[0] == NULL && ferry_room_link_get_trackers (link)[0] == NULL &&
      !(self->dht_enabled && ferry_room_link_get_kind (link) == FERRY_ROOM_KIND_SECRET &&
        ferry_room_link_get_dht (link)))
    {
      g_set_error_literal (error, FERRY_SESSION_ERROR, FERRY_SESSION_ERROR_NO_TRACKER,
                           _("No tracker to meet the others on"));
      return NULL;
    }
  if (!(copy = copy_link (link, error)))
    return NULL;

  room = _ferry_session_room_new (self, ++self->last_handle, link);
  g_hash_table_insert (self->rooms_by_handle, GUINT_TO_POINTER (self->last_handle), g_object_ref (room));
  g_list_store_append (self->rooms, room);

  request = g_new0 (JoinRequest, 1);
  request->handle = self->last_handle;
  request->link = g_steal_pointer (&copy);
  request->config = g_steal_pointer (&config);
  request->trackers = g_strdupv (self->trackers);
  request->display_name = self->display_name != NULL && *self->display_name != '\0'
                            ? g_strdup (self->display_name) : NULL;
  post (self->core, &self->core->to_network, join_on_network, request,
        (GDestroyNotify) join_request_free);
  return room;
}

void
_ferry_session_add_pairing_reply (FerrySession        *self,
                                  FerrySessionPairing *pairing,
                                  const char          *text)
{
  TextRequest *request = g_new0 (TextRequest, 1);

  request->handle = _ferry_session_pairing_get_handle (pairing);
  request->text = g_strdup (text);
  post (self->core, &self->core->to_network, add_reply_on_network, request,
        (GDestroyNotify) text_request_free);
}

void
_ferry_session_cancel_pairing (FerrySession        *self,
                               FerrySessionPairing *pairing)
{
  guint handle = _ferry_session_pairing_get_handle (pairing);
  g_autoptr(FerrySessionPairing) ref = g_object_ref (pairing);

  g_hash_table_remove (self->pairings_by_handle, GUINT_TO_POINTER (handle));
  _ferry_session_pairing_detach (pairing);
  post (self->core, &self->core->to_network, cancel_pairing_on_network, GUINT_TO_POINTER (handle), NULL);
}

FerrySessionPairing *
ferry_session_pair (FerrySession  *self,
                    const char    *code,
                    GError       **error)
{
  g_autoptr(FerryPairingCode) parsed = NULL;
  g_autoptr(FerryRtcConfig) config = NULL;
  FerrySessionPairing *pairing;
  PairRequest *request;

  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);
  g_return_val_if_fail (self->thread != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (code != NULL && *code == '\0')
    code = NULL;
  if (code != NULL)
    {
      if (!(parsed = ferry_pairing_code_parse (code, g_get_real_time () / G_USEC_PER_SEC, error)))
        return NULL;
      if (parsed->reply)
        {
          g_set_error_literal (error, FERRY_PAIRING_CODE_ERROR, FERRY_PAIRING_CODE_ERROR_NOT_FOR_US,
                               _("This is a reply code: enter it on the computer that made the "
                                 "pairing code"));
          return NULL;
        }
    }
  if (!(config = ferry_session_rtc_config_new ((const char * const *) self->stun_servers,
                                               self->turn_servers, self->relay_only, error)))
    return NULL;

  pairing = _ferry_session_pairing_new (self, ++self->last_handle, code != NULL);
  g_hash_table_insert (self->pairings_by_handle, GUINT_TO_POINTER (self->last_handle),
                       g_object_ref (pairing));

  request = g_new0 (PairRequest, 1);
  request->handle = self->last_handle;
  request->code = g_strdup (code);
  request->config = g_steal_pointer (&config);
  request->display_name = self->display_name != NULL && *self->display_name != '\0'
                            ? g_strdup (self->display_name) : NULL;
  post (self->core, &self->core->to_network, pair_on_network, request,
        (GDestroyNotify) pair_request_free);
  return pairing;
}

FerrySessionNearby *
ferry_session_get_nearby (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);

  return self->nearby;
}

gboolean
_ferry_session_start_nearby (FerrySession  *self,
                             gboolean       visible,
                             GError       **error)
{
  g_autoptr(FerryRtcConfig) config = NULL;
  NearbyRequest *request;

  if (self->thread == NULL)
    return TRUE;
  if (!(config = ferry_session_rtc_config_new ((const char * const *) self->stun_servers,
                                               self->turn_servers, self->relay_only, error)))
    return FALSE;

  request = g_new0 (NearbyRequest, 1);
  request->generation = ++self->nearby_generation;
  request->config = g_steal_pointer (&config);
  request->display_name = self->display_name != NULL && *self->display_name != '\0'
                            ? g_strdup (self->display_name) : NULL;
  request->visible = visible;
  post (self->core, &self->core->to_network, start_nearby_on_network, request,
        (GDestroyNotify) nearby_request_free);
  return TRUE;
}

void
_ferry_session_stop_nearby (FerrySession *self)
{
  if (self->thread == NULL)
    return;
  /* What the stopped start still reports is dropped. */
  self->nearby_generation++;
  post (self->core, &self->core->to_network, stop_nearby_on_network, NULL, NULL);
}

void
_ferry_session_set_nearby_visible (FerrySession *self,
                                   gboolean      visible)
{
  if (self->thread != NULL)
    post (self->core, &self->core->to_network, set_nearby_visible_on_network,
          GINT_TO_POINTER (visible), NULL);
}

void
_ferry_session_nearby_connect (FerrySession *self,
                               const char   *id)
{
  if (self->thread != NULL)
    post (self->core, &self->core->to_network, nearby_connect_on_network, g_strdup (id), g_free);
}

GListModel *
ferry_session_get_rooms (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);

  return G_LIST_MODEL (self->rooms);
}

FerryFriends *
ferry_session_get_friends (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);

  return self->friends;
}

FerryDhtState
ferry_session_get_dht_state (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), FERRY_DHT_STATE_STOPPED);

  return self->dht_state;
}

guint
ferry_session_get_dht_nodes (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), 0);

  return self->dht_nodes;
}

guint
ferry_session_get_dht_good_nodes (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), 0);

  return self->dht_good_nodes;
}

gboolean
ferry_session_get_dht_enabled (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), FALSE);

  return self->dht_enabled;
}

GListModel *
ferry_session_get_transfers (FerrySession *self)
{
  g_return_val_if_fail (FERRY_IS_SESSION (self), NULL);

  return G_LIST_MODEL (self->transfers);
}

void
ferry_session_shutdown (FerrySession *self)
{
  guint n;

  g_return_if_fail (FERRY_IS_SESSION (self));

  if (self->thread == NULL)
    return;

  while ((n = g_list_model_get_n_items (G_LIST_MODEL (self->rooms))) > 0)
    {
      g_autoptr(FerrySessionRoom) room = g_list_model_get_item (G_LIST_MODEL (self->rooms), n - 1);

      forget_room (self, room);
    }
  {
    GHashTableIter iter;
    FerrySessionPairing *pairing;

    g_hash_table_iter_init (&iter, self->pairings_by_handle);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &pairing))
      {
        g_autoptr(FerrySessionPairing) ref = g_object_ref (pairing);

        g_hash_table_iter_remove (&iter);
        _ferry_session_pairing_detach (ref);
      }
  }
  _ferry_session_nearby_detach (self->nearby);
  post (self->core, &self->core->to_network, stop_on_network, NULL, NULL);
  g_thread_join (g_steal_pointer (&self->thread));
  /* Reports still queued for the GUI find no session and are dropped. */
  self->core->session = NULL;
  /* The node stopped with the last room. */
  g_object_freeze_notify (G_OBJECT (self));
  if (self->dht_state != FERRY_DHT_STATE_STOPPED)
    {
      self->dht_state = FERRY_DHT_STATE_STOPPED;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_STATE]);
    }
  if (self->dht_nodes != 0)
    {
      self->dht_nodes = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_NODES]);
    }
  if (self->dht_good_nodes != 0)
    {
      self->dht_good_nodes = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DHT_GOOD_NODES]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

FerrySession *
ferry_session_new (void)
{
  return g_object_new (FERRY_TYPE_SESSION, NULL);
}

/* GObject */

static void
friends_changed_cb (FerrySession *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rooms));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FerrySessionRoom) room = g_list_model_get_item (G_LIST_MODEL (self->rooms), i);

      _ferry_session_room_update_trust (room);
    }
}

static void
ferry_session_constructed (GObject *object)
{
  FerrySession *self = FERRY_SESSION (object);
  Core *core = g_atomic_rc_box_new0 (Core);

  G_OBJECT_CLASS (ferry_session_parent_class)->constructed (object);

  if (self->identity_path == NULL)
    self->identity_path = ferry_identity_get_default_path ();
  if (self->state_dir == NULL)
    self->state_dir = ferry_transfer_manager_get_default_state_dir ();
  if (self->dht_state_dir == NULL)
    self->dht_state_dir = g_file_new_build_filename (g_get_user_state_dir (), "ferry", NULL);
  self->friends = ferry_friends_new (self->friends_file);
  g_signal_connect_object (ferry_friends_get_list (self->friends), "items-changed",
                           G_CALLBACK (friends_changed_cb), self, G_CONNECT_SWAPPED);

  mailbox_init (&core->to_network, g_main_context_new (), deliver_to_network_cb);
  mailbox_init (&core->to_gui, g_main_context_ref_thread_default (), deliver_to_gui_cb);
  core->loop = g_main_loop_new (core->to_network.context, FALSE);
  core->identity_path = g_strdup (self->identity_path);
  core->state_dir = g_object_ref (self->state_dir);
  core->dht_state_dir = g_file_get_path (self->dht_state_dir);
  core->session = self;
  self->core = core;
  self->thread = g_thread_new ("ferry-network", network_thread, core_ref (core));
  post_dht_settings (self);
}

static void
ferry_session_dispose (GObject *object)
{
  FerrySession *self = FERRY_SESSION (object);

  ferry_session_shutdown (self);

  G_OBJECT_CLASS (ferry_session_parent_class)->dispose (object);
}

static void
ferry_session_finalize (GObject *object)
{
  FerrySession *self = FERRY_SESSION (object);

  core_unref (self->core);
  g_object_unref (self->rooms);
  g_hash_table_unref (self->rooms_by_handle);
  g_hash_table_unref (self->pairings_by_handle);
  g_object_unref (self->transfers);
  g_hash_table_unref (self->transfers_by_handle);
  g_object_unref (self->nearby);
  g_free (self->display_name);
  g_object_unref (self->download_folder);
  g_strfreev (self->trackers);
  g_strfreev (self->stun_servers);
  g_variant_unref (self->turn_servers);
  g_free (self->identity_path);
  g_object_unref (self->state_dir);
  g_clear_object (&self->friends_file);
  g_object_unref (self->friends);
  g_strfreev (self->dht_bootstrap);
  g_object_unref (self->dht_state_dir);

  G_OBJECT_CLASS (ferry_session_parent_class)->finalize (object);
}

static void
ferry_session_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FerrySession *self = FERRY_SESSION (object);

  switch (prop_id)
    {
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_DOWNLOAD_FOLDER:
      g_value_set_object (value, self->download_folder);
      break;
    case PROP_TRACKERS:
      g_value_set_boxed (value, self->trackers);
      break;
    case PROP_STUN_SERVERS:
      g_value_set_boxed (value, self->stun_servers);
      break;
    case PROP_TURN_SERVERS:
      g_value_set_variant (value, self->turn_servers);
      break;
    case PROP_RELAY_ONLY:
      g_value_set_boolean (value, self->relay_only);
      break;
    case PROP_IDENTITY_PATH:
      g_value_set_string (value, self->identity_path);
      break;
    case PROP_STATE_DIR:
      g_value_set_object (value, self->state_dir);
      break;
    case PROP_FRIENDS_FILE:
      g_value_set_object (value, self->friends_file);
      break;
    case PROP_DHT_ENABLED:
      g_value_set_boolean (value, self->dht_enabled);
      break;
    case PROP_DHT_BOOTSTRAP:
      g_value_set_boxed (value, self->dht_bootstrap);
      break;
    case PROP_DHT_STATE_DIR:
      g_value_set_object (value, self->dht_state_dir);
      break;
    case PROP_DHT_STATE:
      g_value_set_enum (value, self->dht_state);
      break;
    case PROP_DHT_NODES:
      g_value_set_uint (value, self->dht_nodes);
      break;
    case PROP_DHT_GOOD_NODES:
      g_value_set_uint (value, self->dht_good_nodes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* %NULL lists are empty lists, so that a room never sees the difference. */
static gboolean
set_strv (GStrv        *field,
          const GValue *value)
{
  const char * const *strv = g_value_get_boxed (value);
  const char * const empty[] = { NULL };

  if (strv == NULL)
    strv = empty;
  if (*field != NULL && g_strv_equal ((const char * const *) *field, strv))
    return FALSE;
  g_strfreev (*field);
  *field = g_strdupv ((char **) strv);
  return TRUE;
}

static void
ferry_session_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  FerrySession *self = FERRY_SESSION (object);
  gboolean changed = FALSE;

  switch (prop_id)
    {
    case PROP_DISPLAY_NAME:
      if ((changed = g_strcmp0 (self->display_name, g_value_get_string (value)) != 0))
        {
          g_free (self->display_name);
          self->display_name = g_value_dup_string (value);
        }
      break;
    case PROP_DOWNLOAD_FOLDER:
      {
        g_autoptr(GFile) folder = g_value_dup_object (value);

        /* %NULL: the default folder. */
        if (folder == NULL)
          folder = ferry_session_get_default_download_folder ();
        if ((changed = self->download_folder == NULL || !g_file_equal (self->download_folder, folder)))
          g_set_object (&self->download_folder, folder);
      }
      break;
    case PROP_TRACKERS:
      changed = set_strv (&self->trackers, value);
      break;
    case PROP_STUN_SERVERS:
      changed = set_strv (&self->stun_servers, value);
      break;
    case PROP_TURN_SERVERS:
      {
        GVariant *servers = g_value_get_variant (value);

        if (servers == NULL)
          servers = g_variant_new_array (G_VARIANT_TYPE ("(sss)"), NULL, 0);
        g_variant_ref_sink (servers);
        if ((changed = self->turn_servers == NULL || !g_variant_equal (self->turn_servers, servers)))
          {
            g_clear_pointer (&self->turn_servers, g_variant_unref);
            self->turn_servers = g_variant_ref (servers);
          }
        g_variant_unref (servers);
      }
      break;
    case PROP_RELAY_ONLY:
      if ((changed = self->relay_only != g_value_get_boolean (value)))
        self->relay_only = g_value_get_boolean (value);
      break;
    case PROP_IDENTITY_PATH:
      self->identity_path = g_value_dup_string (value);
      break;
    case PROP_STATE_DIR:
      self->state_dir = g_value_dup_object (value);
      break;
    case PROP_FRIENDS_FILE:
      self->friends_file = g_value_dup_object (value);
      break;
    case PROP_DHT_ENABLED:
      if ((changed = self->dht_enabled != g_value_get_boolean (value)))
        self->dht_enabled = g_value_get_boolean (value);
      break;
    case PROP_DHT_BOOTSTRAP:
      changed = set_strv (&self->dht_bootstrap, value);
      break;
    case PROP_DHT_STATE_DIR:
      self->dht_state_dir = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }

  if (changed)
    g_object_notify_by_pspec (object, pspec);
  /* Unlike the rest, they apply to the rooms already open. */
  if (changed && (prop_id == PROP_DHT_ENABLED || prop_id == PROP_DHT_BOOTSTRAP))
    post_dht_settings (self);
}

static void
ferry_session_class_init (FerrySessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = ferry_session_constructed;
  object_class->dispose = ferry_session_dispose;
  object_class->finalize = ferry_session_finalize;
  object_class->get_property = ferry_session_get_property;
  object_class->set_property = ferry_session_set_property;

  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_DOWNLOAD_FOLDER] = g_param_spec_object ("download-folder", NULL, NULL, G_TYPE_FILE,
                                                          flags);
  properties[PROP_TRACKERS] = g_param_spec_boxed ("trackers", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_STUN_SERVERS] = g_param_spec_boxed ("stun-servers", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_TURN_SERVERS] = g_param_spec_variant ("turn-servers", NULL, NULL,
                                                        G_VARIANT_TYPE ("a(sss)"), NULL, flags);
  properties[PROP_RELAY_ONLY] = g_param_spec_boolean ("relay-only", NULL, NULL, FALSE, flags);
  properties[PROP_IDENTITY_PATH] = g_param_spec_string ("identity-path", NULL, NULL, NULL, construct);
  properties[PROP_STATE_DIR] = g_param_spec_object ("state-dir", NULL, NULL, G_TYPE_FILE, construct);
  properties[PROP_FRIENDS_FILE] = g_param_spec_object ("friends-file", NULL, NULL, G_TYPE_FILE, construct);
  properties[PROP_DHT_ENABLED] = g_param_spec_boolean ("dht-enabled", NULL, NULL, TRUE, flags);
  properties[PROP_DHT_BOOTSTRAP] = g_param_spec_boxed ("dht-bootstrap", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_DHT_STATE_DIR] = g_param_spec_object ("dht-state-dir", NULL, NULL, G_TYPE_FILE, construct);
  properties[PROP_DHT_STATE] = g_param_spec_enum ("dht-state", NULL, NULL, FERRY_TYPE_DHT_STATE,
                                                  FERRY_DHT_STATE_STOPPED, read_only);
  properties[PROP_DHT_NODES] = g_param_spec_uint ("dht-nodes", NULL, NULL, 0, G_MAXUINT, 0, read_only);
  properties[PROP_DHT_GOOD_NODES] = g_param_spec_uint ("dht-good-nodes", NULL, NULL, 0, G_MAXUINT, 0,
                                                       read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/* FERRY_DHT_BOOTSTRAP, when set, as ferry-cli reads it (tests and scripts: nothing may reach
 * the public DHT); else the schema's default. */
static GStrv
dht_bootstrap_default (void)
{
  const char *value = g_getenv ("FERRY_DHT_BOOTSTRAP");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) parts = NULL;

  if (value == NULL)
    return g_strdupv ((char **) (const char * const[]) FERRY_DEFAULT_DHT_BOOTSTRAP);
  parts = g_strsplit (value, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*g_strstrip (parts[i]) != '\0')
      g_strv_builder_add (builder, parts[i]);
  return g_strv_builder_end (builder);
}

static void
ferry_session_init (FerrySession *self)
{
  self->rooms = g_list_store_new (FERRY_TYPE_SESSION_ROOM);
  self->rooms_by_handle = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->pairings_by_handle = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->transfers = g_list_store_new (FERRY_TYPE_SESSION_TRANSFER);
  self->transfers_by_handle = g_hash_table_new (NULL, NULL);
  self->nearby = _ferry_session_nearby_new (self);
  self->download_folder = ferry_session_get_default_download_folder ();
  /* The schema's defaults, for a GUI that binds no settings. */
  self->trackers = g_strdupv ((char **) (const char * const[]) FERRY_DEFAULT_TRACKERS);
  self->stun_servers = g_strdupv ((char **) (const char * const[]) FERRY_DEFAULT_STUN_SERVERS);
  self->turn_servers = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE ("(sss)"), NULL, 0));
  self->dht_enabled = TRUE;
  self->dht_bootstrap = dht_bootstrap_default ();
}

gboolean
_ferry_session_save_private_file (GFile       *file,
                                  const char  *data,
                                  gsize        len,
                                  GError     **error)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *folder = g_path_get_dirname (path);

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), _("Could not create “%s”: %s"),
                   folder, g_strerror (saved_errno));
      return FALSE;
    }
  return g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* What the app and ferry-cli share */

static void
webdrop_nearby_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autofree char *code = ferry_webdrop_find_nearby_finish (result, NULL, &error);
  g_autofree char *text = NULL;

  if (code == NULL)
    return g_task_return_error (task, error);
  text = g_strconcat ("webdrop:", code, NULL);
  g_task_return_pointer (task, ferry_room_link_parse_user_input (text, NULL), g_object_unref);
}

void
ferry_session_find_webdrop_nearby_async (FerrySession        *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(FerryRtcConfig) config = NULL;
  GError *error = NULL;

  g_return_if_fail (FERRY_IS_SESSION (self));
  g_task_set_source_tag (task, ferry_session_find_webdrop_nearby_async);

  if (!(config = ferry_session_rtc_config_new ((const char * const *) self->stun_servers, NULL, FALSE, &error)))
    return g_task_return_error (task, error);
  ferry_webdrop_find_nearby_async (config, cancellable, webdrop_nearby_cb, g_steal_pointer (&task));
}

FerryRoomLink *
ferry_session_find_webdrop_nearby_finish (FerrySession  *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

FerryRtcConfig *
ferry_session_rtc_config_new (const char * const *stun_servers,
                              GVariant           *turn_servers,
                              gboolean            relay_only,
                              GError            **error)
{
  g_autoptr(FerryRtcConfig) config = ferry_rtc_config_new ();
  gboolean have_turn = FALSE;
  gsize n;

  g_return_val_if_fail (turn_servers == NULL ||
                        g_variant_is_of_type (turn_servers, G_VARIANT_TYPE ("a(sss)")), NULL);

  /* libnice takes one STUN server. */
  if (stun_servers != NULL && stun_servers[0] != NULL &&
      !ferry_rtc_config_add_ice_server (config, stun_servers[0], NULL, NULL, error))
    return NULL;

  n = turn_servers != NULL ? g_variant_n_children (turn_servers) : 0;
  for (gsize i = 0; i < n; i++)
    {
      const char *url, *username, *credential;
      FerryIceServer *server;

      g_variant_get_child (turn_servers, i, "(&s&s&s)", &url, &username, &credential);
      if (!ferry_rtc_config_add_ice_server (config, url, *username ? username : NULL,
                                            *credential ? credential : NULL, error))
        return NULL;
      server = g_ptr_array_index (config->ice_servers, config->ice_servers->len - 1);
      have_turn |= server->kind == FERRY_ICE_SERVER_TURN;
    }

  /* Every peer connection would refuse it; better said once, before joining. */
  if (relay_only && !have_turn)
    {
      g_set_error_literal (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_UNSUPPORTED,
                           _("Relay-only mode needs a TURN server"));
      return NULL;
    }
  config->policy = relay_only ? FERRY_ICE_POLICY_RELAY : FERRY_ICE_POLICY_ALL;
  return g_steal_pointer (&config);
}

GFile *
ferry_session_get_default_download_folder (void)
{
  const char *downloads = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);

  return g_file_new_for_path (downloads != NULL ? downloads : g_get_home_dir ());
}
