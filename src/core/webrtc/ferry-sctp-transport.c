/* ferry-sctp-transport.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <arpa/inet.h>
#include <glib/gi18n-lib.h>
#include <usrsctp.h>

#include "ferry-crc32c.h"
#include "ferry-sctp-transport.h"
#include "ferry-webrtc-enums.h"
#include "ferry-text.h"
#include "ferry-source.h"

#define LOCAL_PORT 5000
/* usrsctp's send buffer; a message larger than it fails with EMSGSIZE (docs/INTEROP.md,
 * "Message size and the send buffer"). */
#define SEND_BUFFER (2 * 1024 * 1024)
#define RECEIVE_BUFFER (2 * 1024 * 1024)
#define READ_CHUNK (64 * 1024)
#define TIMER_INTERVAL_MS 10
/* usrsctp's path MTU on an AF_CONN association leaves out the 12-byte common header. */
#define COMMON_HEADER 12
#define DATA_CHUNK_HEADER 16
#define MAX_RETRANSMISSIONS 10   /* see ferry_sctp_transport_new () */

/* Repeating a reset of one of our streams that the peer did not perform (RFC 6525 section 4.4
 * results other than "Success - Performed").  The usual cause is a request that came too early,
 * while the peer still missed DATA sent before it (section 5.2.2): libwebrtc then answers
 * "In progress", usrsctp repeats the same request after an RTO, and libwebrtc answers that
 * "Success - Nothing to do", which usrsctp reports as failed without the stream being reset.  A
 * new request is performed once the DATA has arrived, within a round trip or a retransmission.
 * So the first retry comes after 50 ms, later ones back off to one a second; 10 refusals span
 * about 5.5 s, beyond which a peer that keeps refusing never will.  A request that gets no answer
 * at all (the peer is gone, or keeps answering "In progress") is no refusal, so a deadline bounds
 * it too: 8 s from the first request, after the 10 refusals and their round trips, and well
 * before the 30 s in which the association gives up on a silent peer by default. */
#define RESET_RETRY_FIRST_MS 50
#define RESET_RETRY_MAX_MS 1000
#define RESET_MAX_REFUSALS 10
#define RESET_DEADLINE_MS 8000

typedef struct {
  guint16               sid;
  guint32               ppid;
  GBytes               *data;   /* NULL: marker for the reset of sid's outgoing direction */
  FerrySctpReliability  reliability;
} Pending;

/* A stream being closed.  Both directions must be reset (RFC 8831 section 6.7): ours by a
 * request that the peer may refuse, the peer's by a request of its own. */
typedef struct {
  guint16  sid;
  gboolean ours_done;   /* the peer performed our reset */
  gboolean theirs_done; /* the peer reset its direction */
  guint    attempts;    /* requests handed to usrsctp */
  guint    refusals;    /* of those, the ones not performed */
  gint64   retry_at;    /* monotonic µs of the next request; 0: none waiting */
  gint64   deadline;    /* monotonic µs to give up at; 0: not requested yet */
} StreamReset;

struct _FerrySctpTransport
{
  GObject             parent_instance;

  GMainContext       *context;
  FerryDtlsTransport *dtls;
  struct socket      *sock;
  guint16             remote_port;
  guint64             local_max_message_size;
  guint64             remote_max_message_size;

  FerrySctpState      state;
  guint               streams;

  /* While > 0, nothing is read: usrsctp's receive buffer fills and its advertised window makes
   * the peer stop sending (back-pressure for a receiver that cannot keep up). */
  guint               receive_holds;
  /* Set by the upcall, handled by process () once usrsctp has returned. */
  gboolean            read_pending;
  gboolean            write_pending;
  gboolean            in_input;
  GSource            *process_source;

  GQueue              queue;          /* Pending */
  guint64             buffered[FERRY_SCTP_MAX_STREAMS];
  GHashTable         *resets;         /* sid → StreamReset, until both directions are reset */
  GSource            *reset_source;   /* the next retry or deadline of a reset */
  guint               reset_retries;  /* requests repeated after a refusal, for tests */

  GByteArray         *message;
  gboolean            message_dropped;
  GByteArray         *notification;
};

G_DEFINE_FINAL_TYPE (FerrySctpTransport, ferry_sctp_transport, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  MESSAGE,
  STREAM_CLOSING,
  STREAM_RESET,
  STREAM_RESET_FAILED,
  BUFFERED_AMOUNT_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Process-wide usrsctp state.  Transports register their address here so that a late callback
 * for a transport that is gone is ignored (usrsctp #405). */
static GHashTable   *live_transports;
static GSource      *timer_source;
static GMainContext *timer_context;
static gint64        timer_last_us;

static void process (FerrySctpTransport *self);

static int
conn_output (void    *addr,
             void    *buffer,
             size_t   length,
             uint8_t  tos,
             uint8_t  set_df)
{
  FerrySctpTransport *self = addr;

  if (live_transports == NULL || !g_hash_table_contains (live_transports, self) ||
      self->dtls == NULL)
    return -1;

  /* CRC32c offload is on so usrsctp skips verifying input (DTLS authenticates every byte);
   * outgoing packets still need a real checksum. */
  if (length >= 12)
    {
      uint32_t *checksum = (uint32_t *) ((guint8 *) buffer + 8);

      *checksum = 0;
      *checksum = ferry_crc32c (buffer, length);
    }

  return ferry_dtls_transport_send (self->dtls, buffer, length) ? 0 : -1;
}

static gboolean
timer_cb (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  gint64 elapsed_ms = (now - timer_last_us) / 1000;

  /* Carry the sub-millisecond remainder so timers do not drift. */
  timer_last_us += elapsed_ms * 1000;
  if (elapsed_ms > 0)
    usrsctp_handle_timers (elapsed_ms);
  return G_SOURCE_CONTINUE;
}

static void
usrsctp_global_init (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      usrsctp_init_nothreads (0, conn_output, NULL);
      /* Values from libdatachannel's SetSettings; see docs/INTEROP.md, "Settings". */
      usrsctp_sysctl_set_sctp_ecn_enable (0);
      usrsctp_sysctl_set_sctp_pr_enable (1);
      usrsctp_sysctl_set_sctp_recvspace (RECEIVE_BUFFER);
      usrsctp_sysctl_set_sctp_sendspace (SEND_BUFFER);
      usrsctp_sysctl_set_sctp_max_chunks_on_queue (10240);
      usrsctp_sysctl_set_sctp_initial_cwnd (10);
      usrsctp_sysctl_set_sctp_max_burst_default (10);
      /* Not libdatachannel's RFC 2581, which halves its window on every loss: usrsctp's
       * HighSpeed TCP (RFC 3649) gives back less above 38 KiB of window and grows faster in slow
       * start; after a loss both grow by one packet per round trip.  See docs/INTEROP.md,
       * "Congestion control". */
      usrsctp_sysctl_set_sctp_default_cc_module (SCTP_CC_HSTCP);
      usrsctp_sysctl_set_sctp_delayed_sack_time_default (20);
      usrsctp_sysctl_set_sctp_rto_min_default (1000);
      usrsctp_sysctl_set_sctp_rto_max_default (10000);
      usrsctp_sysctl_set_sctp_rto_initial_default (1000);
      usrsctp_sysctl_set_sctp_init_rto_max_default (10000);
      usrsctp_sysctl_set_sctp_init_rtx_max_default (5);
      usrsctp_sysctl_set_sctp_assoc_rtx_max_default (5);
      usrsctp_sysctl_set_sctp_path_rtx_max_default (5);
      usrsctp_sysctl_set_sctp_heartbeat_interval_default (10000);
      usrsctp_enable_crc32c_offload ();

      live_transports = g_hash_table_new (NULL, NULL);
      g_once_init_leave (&initialized, 1);
    }
}

static void
register_transport (FerrySctpTransport *self)
{
  if (timer_source == NULL)
    {
      timer_context = g_main_context_ref (self->context);
      timer_last_us = g_get_monotonic_time ();
      timer_source = g_timeout_source_new (TIMER_INTERVAL_MS);
      g_source_set_priority (timer_source, G_PRIORITY_HIGH);
      g_source_set_callback (timer_source, timer_cb, NULL, NULL);
      g_source_attach (timer_source, timer_context);
    }
  else if (timer_context != self->context)
    g_critical ("All SCTP transports of a process must run on one GMainContext");

  g_hash_table_add (live_transports, self);
  usrsctp_register_address (self);
}

static void
unregister_transport (FerrySctpTransport *self)
{
  if (!g_hash_table_remove (live_transports, self))
    return;
  usrsctp_deregister_address (self);

  /* Idle processes have no timer waking them 100 times a second. */
  if (g_hash_table_size (live_transports) == 0 && timer_source != NULL)
    {
      g_source_destroy (timer_source);
      g_clear_pointer (&timer_source, g_source_unref);
      g_clear_pointer (&timer_context, g_main_context_unref);
    }
}

static void
set_state (FerrySctpTransport *self,
           FerrySctpState      state)
{
  if (self->state == state || self->state >= FERRY_SCTP_STATE_FAILED)
    return;

  g_debug ("SCTP %p: state %s -> %s", self, ferry_enum_nick (FERRY_TYPE_SCTP_STATE, self->state),
           ferry_enum_nick (FERRY_TYPE_SCTP_STATE, state));
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
pending_free (Pending *pending)
{
  g_clear_pointer (&pending->data, g_bytes_unref);
  g_free (pending);
}

static void
close_socket (FerrySctpTransport *self)
{
  if (self->sock == NULL)
    return;

  usrsctp_set_upcall (self->sock, NULL, NULL);
  /* SO_LINGER {1, 0}: closing aborts; nothing may be sent once DTLS is gone. */
  usrsctp_close (self->sock);
  self->sock = NULL;
  unregister_transport (self);
  g_queue_clear_full (&self->queue, (GDestroyNotify) pending_free);
  memset (self->buffered, 0, sizeof self->buffered);
  g_clear_pointer (&self->process_source, g_source_destroy);
  /* The channels end with the association; their resets are moot. */
  g_hash_table_remove_all (self->resets);
  g_clear_pointer (&self->reset_source, g_source_destroy);
}

static gboolean
process_cb (gpointer user_data)
{
  FerrySctpTransport *self = user_data;

  self->process_source = NULL;
  process (self);
  return G_SOURCE_REMOVE;
}

static void
upcall (struct socket *sock,
        void          *arg,
        int            flags)
{
  FerrySctpTransport *self = arg;
  int events = usrsctp_get_events (sock);

  if (events & SCTP_EVENT_READ)
    self->read_pending = TRUE;
  if (events & SCTP_EVENT_WRITE)
    self->write_pending = TRUE;

  /* Within our own conninput, process () runs right after it returns.  Otherwise (timers) defer
   * to the main loop: handlers must never run inside usrsctp. */
  if (!self->in_input && self->process_source == NULL && (self->read_pending || self->write_pending))
    self->process_source = ferry_source_attach (g_idle_source_new (), self->context,
                                                G_PRIORITY_HIGH, process_cb, self, NULL);
}

static void
dtls_receive_cb (const guint8 *data,
                 gsize         len,
                 gpointer      user_data)
{
  FerrySctpTransport *self = user_data;

  if (self->sock == NULL)
    return;

  /* Upcalls during input only set flags; process () handles them before returning, and knows
   * that an association lost now was aborted by the peer. */
  g_object_ref (self);
  self->in_input = TRUE;
  usrsctp_conninput (self, data, len, 0);
  process (self);
  self->in_input = FALSE;
  g_object_unref (self);
}

static void
dtls_state_cb (FerryDtlsTransport *dtls,
               GParamSpec         *pspec,
               FerrySctpTransport *self)
{
  FerryDtlsState state = ferry_dtls_transport_get_state (dtls);

  if (state == FERRY_DTLS_STATE_CLOSED)
    {
      close_socket (self);
      set_state (self, FERRY_SCTP_STATE_CLOSED);
    }
  else if (state == FERRY_DTLS_STATE_FAILED)
    {
      close_socket (self);
      set_state (self, FERRY_SCTP_STATE_FAILED);
    }
}

static void
set_buffered (FerrySctpTransport *self,
              guint16             sid,
              gint64              delta)
{
  self->buffered[sid] += delta;
  if (delta < 0)
    g_signal_emit (self, signals[BUFFERED_AMOUNT_CHANGED], 0, (guint) sid, self->buffered[sid]);
}

/* Stream resets */

static StreamReset *
lookup_reset (FerrySctpTransport *self,
              guint16             sid)
{
  return g_hash_table_lookup (self->resets, GUINT_TO_POINTER (sid));
}

static StreamReset *
add_reset (FerrySctpTransport *self,
           guint16             sid)
{
  StreamReset *reset = g_new0 (StreamReset, 1);

  reset->sid = sid;
  g_hash_table_insert (self->resets, GUINT_TO_POINTER (sid), reset);
  return reset;
}

static gboolean reset_timer_cb (gpointer user_data);

/* One timer for every stream, at the earliest retry or deadline, so that the retries that fall
 * due together go out in one request. */
static void
schedule_reset_timer (FerrySctpTransport *self)
{
  GHashTableIter iter;
  StreamReset *reset;
  gint64 next = G_MAXINT64;
  gint64 wait_us;

  g_clear_pointer (&self->reset_source, g_source_destroy);
  if (self->sock == NULL)
    return;

  g_hash_table_iter_init (&iter, self->resets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &reset))
    {
      if (reset->retry_at != 0)
        next = MIN (next, reset->retry_at);
      if (reset->deadline != 0 && !reset->ours_done)
        next = MIN (next, reset->deadline);
    }
  if (next == G_MAXINT64)
    return;

  wait_us = MAX (next - g_get_monotonic_time (), 0);
  self->reset_source = ferry_source_attach (g_timeout_source_new ((wait_us + 999) / 1000),
                                            self->context, G_PRIORITY_DEFAULT, reset_timer_cb,
                                            self, NULL);
}

/* Both directions of @reset's stream are reset: the channel is closed. */
static void
finish_reset (FerrySctpTransport *self,
              StreamReset        *reset)
{
  guint sid = reset->sid;

  if (!reset->ours_done || !reset->theirs_done)
    return;

  g_hash_table_remove (self->resets, GUINT_TO_POINTER (sid));
  g_signal_emit (self, signals[STREAM_RESET], 0, sid);
}

static void
give_up_reset (FerrySctpTransport *self,
               StreamReset        *reset,
               gboolean            timed_out)
{
  g_autoptr(GError) error = NULL;
  guint sid = reset->sid;

  if (timed_out)
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                         _("Could not close the data channel on stream %u: the peer did not "
                           "confirm it in time"), sid);
  else
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                         _("Could not close the data channel on stream %u: the peer refused "
                           "to reset the stream"), sid);
  g_warning ("SCTP %p: gave up resetting stream %u after %u requests%s", self, sid,
             reset->attempts, timed_out ? " and no answer in time" : "");

  g_hash_table_remove (self->resets, GUINT_TO_POINTER (sid));
  g_signal_emit (self, signals[STREAM_RESET_FAILED], 0, sid, error);
}

/* Our reset of @reset's stream was not performed (@why says how): asks again later, or gives
 * up after RESET_MAX_REFUSALS refusals.  A @busy usrsctp is no refusal. */
static void
retry_reset (FerrySctpTransport *self,
             StreamReset        *reset,
             gboolean            busy,
             const char         *why)
{
  guint delay_ms;

  if (reset->ours_done || reset->retry_at != 0)
    return;
  if (!busy)
    reset->refusals++;
  if (reset->refusals >= RESET_MAX_REFUSALS)
    {
      give_up_reset (self, reset, FALSE);
      return;
    }

  delay_ms = MIN (RESET_RETRY_FIRST_MS << MIN (MAX (reset->attempts, 1) - 1, 8),
                  RESET_RETRY_MAX_MS);
  g_debug ("SCTP %p: reset of stream %u %s (request %u); asking again in %u ms", self,
           reset->sid, why, reset->attempts, delay_ms);
  reset->retry_at = g_get_monotonic_time () + delay_ms * G_TIME_SPAN_MILLISECOND;
  schedule_reset_timer (self);
}

static gboolean
errno_means_busy (int errsv)
{
  return errsv == EBUSY || errsv == EALREADY || errsv == EINPROGRESS || errsv == EAGAIN;
}

/* Asks usrsctp to reset the outgoing direction of the streams in @sids with one request.
 * usrsctp sends it once the data of each stream has been acknowledged; while another request is
 * outstanding it marks the streams and sends them together once that one is answered.  Releases
 * may also refuse outright while a request is outstanding: those streams are asked again. */
static void
request_resets (FerrySctpTransport *self,
                GArray             *sids)
{
  g_autofree struct sctp_reset_streams *srs = NULL;
  gint64 now = g_get_monotonic_time ();
  guint n = 0;
  int errsv;

  srs = g_malloc0 (sizeof (struct sctp_reset_streams) + sids->len * sizeof (uint16_t));
  for (guint i = 0; i < sids->len; i++)
    {
      StreamReset *reset = lookup_reset (self, g_array_index (sids, guint16, i));

      if (reset == NULL || reset->ours_done)
        continue;
      reset->attempts++;
      reset->retry_at = 0;
      if (reset->deadline == 0)
        reset->deadline = now + RESET_DEADLINE_MS * G_TIME_SPAN_MILLISECOND;
      srs->srs_stream_list[n++] = reset->sid;
    }
  if (n == 0 || self->sock == NULL)
    return;

  srs->srs_assoc_id = SCTP_ALL_ASSOC;
  srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  srs->srs_number_streams = n;
  g_debug ("SCTP %p: resetting %u outgoing stream(s), first %u", self, n, srs->srs_stream_list[0]);
  if (usrsctp_setsockopt (self->sock, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs,
                          sizeof (struct sctp_reset_streams) + n * sizeof (uint16_t)) == 0)
    {
      schedule_reset_timer (self);
      return;
    }

  errsv = errno;
  g_debug ("SCTP %p: usrsctp did not take the reset: %s", self, g_strerror (errsv));
  for (guint i = 0; i < n; i++)
    {
      StreamReset *reset = lookup_reset (self, srs->srs_stream_list[i]);

      if (reset != NULL)
        retry_reset (self, reset, errno_means_busy (errsv), g_strerror (errsv));
    }
  schedule_reset_timer (self);
}

static void
request_reset (FerrySctpTransport *self,
               guint16             sid)
{
  g_autoptr(GArray) sids = g_array_new (FALSE, FALSE, sizeof (guint16));
  StreamReset *reset = lookup_reset (self, sid);

  /* Asked already: the retries are under way. */
  if (reset == NULL || reset->deadline != 0)
    return;

  g_array_append_val (sids, sid);
  request_resets (self, sids);
}

static gboolean
reset_timer_cb (gpointer user_data)
{
  g_autoptr(FerrySctpTransport) self = g_object_ref (user_data);
  g_autoptr(GArray) due = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_autoptr(GArray) expired = g_array_new (FALSE, FALSE, sizeof (guint16));
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  StreamReset *reset;

  self->reset_source = NULL;

  g_hash_table_iter_init (&iter, self->resets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &reset))
    {
      if (!reset->ours_done && reset->deadline != 0 && reset->deadline <= now)
        g_array_append_val (expired, reset->sid);
      else if (reset->retry_at != 0 && reset->retry_at <= now)
        g_array_append_val (due, reset->sid);
    }

  /* Signal handlers may close the transport: look each stream up again. */
  for (guint i = 0; i < expired->len; i++)
    if ((reset = lookup_reset (self, g_array_index (expired, guint16, i))) != NULL)
      give_up_reset (self, reset, TRUE);

  if (due->len > 0 && self->sock != NULL)
    {
      self->reset_retries += due->len;
      g_debug ("SCTP %p: retrying the reset of %u stream(s)", self, due->len);
      request_resets (self, due);
    }

  schedule_reset_timer (self);
  return G_SOURCE_REMOVE;
}

/* Returns FALSE when usrsctp cannot take @pending now. */
static gboolean
try_send (FerrySctpTransport *self,
          Pending            *pending)
{
  struct sctp_sendv_spa spa = { 0 };
  static const guint8 zero = 0;
  const guint8 *data;
  gsize len;

  if (pending->data == NULL)
    {
      request_reset (self, pending->sid);
      return TRUE;
    }

  data = g_bytes_get_data (pending->data, &len);
  if (len == 0)
    {
      /* SCTP has no empty DATA chunks: the empty-message PPIDs carry one zero byte. */
      data = &zero;
      len = 1;
    }

  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = pending->sid;
  spa.sendv_sndinfo.snd_ppid = htonl (pending->ppid);
  spa.sendv_sndinfo.snd_flags = SCTP_EOR;
  if (pending->reliability.unordered)
    spa.sendv_sndinfo.snd_flags |= SCTP_UNORDERED;
  /* pr_value is in host byte order; a lifetime of 0 would mean "reliable" to usrsctp. */
  if (pending->reliability.max_retransmits >= 0)
    {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
      spa.sendv_prinfo.pr_value = pending->reliability.max_retransmits;
    }
  else if (pending->reliability.max_packet_lifetime >= 0)
    {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
      spa.sendv_prinfo.pr_value = MAX (pending->reliability.max_packet_lifetime, 1);
    }

  if (usrsctp_sendv (self->sock, data, len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0) >= 0)
    return TRUE;
  if (errno == EWOULDBLOCK || errno == EAGAIN)
    return FALSE;

  /* Anything else means the association is going away; the state change will tell. */
  g_debug ("SCTP %p: send on stream %u failed: %s", self, pending->sid, g_strerror (errno));
  return TRUE;
}

static void
flush_queue (FerrySctpTransport *self)
{
  Pending *pending;

  while (self->sock != NULL && self->state == FERRY_SCTP_STATE_CONNECTED &&
         (pending = g_queue_peek_head (&self->queue)) != NULL)
    {
      gsize len = pending->data ? g_bytes_get_size (pending->data) : 0;

      if (!try_send (self, pending))
        break;
      g_queue_pop_head (&self->queue);
      if (pending->data != NULL)
        set_buffered (self, pending->sid, -(gint64) len);
      pending_free (pending);
    }
}

static void
handle_assoc_change (FerrySctpTransport      *self,
                     const struct sctp_assoc_change *sac)
{
  switch (sac->sac_state)
    {
    case SCTP_COMM_UP:
      self->streams = MIN (MIN (sac->sac_inbound_streams, sac->sac_outbound_streams),
                           FERRY_SCTP_MAX_STREAMS);
      g_debug ("SCTP %p: connected with %u streams", self, self->streams);
      set_state (self, FERRY_SCTP_STATE_CONNECTED);
      flush_queue (self);
      break;
    case SCTP_COMM_LOST:
      /* An ABORT from the peer arrives in our input path; a dead peer is found by a timer. */
      set_state (self, self->in_input ? FERRY_SCTP_STATE_CLOSED : FERRY_SCTP_STATE_FAILED);
      break;
    case SCTP_CANT_STR_ASSOC:
      set_state (self, FERRY_SCTP_STATE_FAILED);
      break;
    case SCTP_SHUTDOWN_COMP:
      set_state (self, FERRY_SCTP_STATE_CLOSED);
      break;
    default:
      break;
    }
}

/* Resets the outgoing direction of @sid behind the data already queued: usrsctp must have every
 * message before the reset request, which it then sends once they are acknowledged. */
static void
queue_reset (FerrySctpTransport *self,
             guint16             sid)
{
  Pending *marker;

  marker = g_new0 (Pending, 1);
  marker->sid = sid;
  if (g_queue_is_empty (&self->queue))
    {
      try_send (self, marker);
      pending_free (marker);
    }
  else
    g_queue_push_tail (&self->queue, marker);
}

/* The peer reset its direction of @sid.  Either it answers our reset, or it closes the channel
 * and we close our direction too, or the peer (Chrome) stays in "closing". */
static void
peer_reset_stream (FerrySctpTransport *self,
                   guint16             sid)
{
  StreamReset *reset = lookup_reset (self, sid);

  if (reset == NULL)
    {
      reset = add_reset (self, sid);
      reset->theirs_done = TRUE;
      g_signal_emit (self, signals[STREAM_CLOSING], 0, (guint) sid);
      if (self->sock != NULL)
        queue_reset (self, sid);
      return;
    }

  reset->theirs_done = TRUE;
  finish_reset (self, reset);
}

/* usrsctp tells the result of our request for @sid: performed, or else (@flags has
 * SCTP_STREAM_RESET_DENIED for the result "Denied", SCTP_STREAM_RESET_FAILED for any other but
 * "In progress", which usrsctp handles by retransmitting the request itself). */
static void
our_reset_answered (FerrySctpTransport *self,
                    guint16             sid,
                    guint16             flags)
{
  StreamReset *reset = lookup_reset (self, sid);

  if (reset == NULL || reset->deadline == 0 || reset->ours_done)
    return;

  if (flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED))
    {
      retry_reset (self, reset, FALSE, flags & SCTP_STREAM_RESET_DENIED ? "denied" : "failed");
      return;
    }

  reset->ours_done = TRUE;
  reset->retry_at = 0;
  finish_reset (self, reset);
}

static void
handle_stream_reset (FerrySctpTransport                 *self,
                     const struct sctp_stream_reset_event *event,
                     gsize                               len)
{
  guint16 flags = event->strreset_flags;
  guint n;

  if (len < sizeof (struct sctp_stream_reset_event))
    return;
  n = (len - sizeof (struct sctp_stream_reset_event)) / sizeof (uint16_t);
  g_debug ("SCTP %p: stream reset event flags 0x%x, %u streams", self, flags, n);

  for (guint i = 0; i < n && self->sock != NULL; i++)
    {
      guint16 sid = event->strreset_stream_list[i];

      /* INCOMING with DENIED or FAILED would answer a request to reset the peer's direction,
       * which we never make. */
      if ((flags & SCTP_STREAM_RESET_OUTGOING_SSN))
        our_reset_answered (self, sid, flags);
      else if ((flags & SCTP_STREAM_RESET_INCOMING_SSN) &&
               !(flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)))
        peer_reset_stream (self, sid);
    }
}

static void
handle_notification (FerrySctpTransport *self)
{
  const union sctp_notification *n = (const union sctp_notification *) self->notification->data;
  gsize len = self->notification->len;

  if (len < sizeof (n->sn_header) || len != n->sn_header.sn_length)
    return;

  switch (n->sn_header.sn_type)
    {
    case SCTP_ASSOC_CHANGE:
      if (len >= sizeof (struct sctp_assoc_change))
        handle_assoc_change (self, &n->sn_assoc_change);
      break;
    case SCTP_STREAM_RESET_EVENT:
      handle_stream_reset (self, &n->sn_strreset_event, len);
      break;
    case SCTP_SENDER_DRY_EVENT:
      flush_queue (self);
      break;
    case SCTP_SHUTDOWN_EVENT:
      set_state (self, FERRY_SCTP_STATE_CLOSED);
      break;
    default:
      break;
    }
}

static void
deliver_message (FerrySctpTransport *self,
                 guint16             sid,
                 guint32             ppid)
{
  g_autoptr(GBytes) bytes = NULL;

  /* Deprecated partial PPIDs: keep collecting until the final string/binary part. */
  if (ppid == FERRY_PPID_STRING_PARTIAL || ppid == FERRY_PPID_BINARY_PARTIAL)
    return;

  if (self->message_dropped)
    {
      g_warning ("Dropped a message on stream %u larger than the %" G_GUINT64_FORMAT
                 " bytes we accept", sid, self->local_max_message_size);
      self->message_dropped = FALSE;
      g_byte_array_set_size (self->message, 0);
      return;
    }

  if (ppid == FERRY_PPID_STRING_EMPTY || ppid == FERRY_PPID_BINARY_EMPTY)
    g_byte_array_set_size (self->message, 0);

  bytes = g_byte_array_free_to_bytes (self->message);
  self->message = g_byte_array_new ();
  g_signal_emit (self, signals[MESSAGE], 0, (guint) sid, (guint) ppid, bytes);
}

static void
drain (FerrySctpTransport *self)
{
  /* A handler may take a hold: the rest then waits in usrsctp until it is released. */
  while (self->sock != NULL && self->receive_holds == 0)
    {
      struct sctp_rcvinfo info = { 0 };
      socklen_t from_len = 0;
      socklen_t info_len = sizeof info;
      unsigned int info_type = 0;
      int flags = 0;
      guint old_len = self->message->len;
      ssize_t n;

      /* Read straight into the message being reassembled: one copy out of usrsctp. */
      g_byte_array_set_size (self->message, old_len + READ_CHUNK);
      n = usrsctp_recvv (self->sock, self->message->data + old_len, READ_CHUNK, NULL, &from_len,
                         &info, &info_len, &info_type, &flags);
      g_byte_array_set_size (self->message, old_len + MAX (n, 0));
      if (n < 0)
        break;
      if (n == 0 && !(flags & MSG_NOTIFICATION))
        {
          /* The association was shut down cleanly. */
          set_state (self, FERRY_SCTP_STATE_CLOSED);
          break;
        }

      if (flags & MSG_NOTIFICATION)
        {
          g_byte_array_append (self->notification, self->message->data + old_len, n);
          g_byte_array_set_size (self->message, old_len);
          if (flags & MSG_EOR)
            {
              handle_notification (self);
              g_byte_array_set_size (self->notification, 0);
            }
          continue;
        }

      if (self->message->len > self->local_max_message_size)
        {
          self->message_dropped = TRUE;
          g_byte_array_set_size (self->message, 0);
        }
      if (flags & MSG_EOR)
        deliver_message (self, info.rcv_sid, ntohl (info.rcv_ppid));
    }
  if (self->receive_holds > 0)
    self->read_pending = TRUE;
}

static void
process (FerrySctpTransport *self)
{
  g_object_ref (self);

  while (self->sock != NULL && ((self->read_pending && self->receive_holds == 0) || self->write_pending))
    {
      if (self->read_pending && self->receive_holds == 0)
        {
          self->read_pending = FALSE;
          drain (self);
        }
      if (self->write_pending)
        {
          self->write_pending = FALSE;
          flush_queue (self);
        }
    }

  g_object_unref (self);
}

void
ferry_sctp_transport_hold_receive (FerrySctpTransport *self,
                                   gboolean            hold)
{
  g_return_if_fail (FERRY_IS_SCTP_TRANSPORT (self));
  g_return_if_fail (hold || self->receive_holds > 0);

  self->receive_holds += hold ? 1 : -1;
  /* Once closed, nothing is read (and nothing may be scheduled that would outlive us). */
  if (self->receive_holds == 0 && self->read_pending && self->process_source == NULL && self->sock != NULL)
    self->process_source = ferry_source_attach (g_idle_source_new (), self->context,
                                                G_PRIORITY_HIGH, process_cb, self, NULL);
}

static void
ferry_sctp_transport_dispose (GObject *object)
{
  FerrySctpTransport *self = FERRY_SCTP_TRANSPORT (object);

  close_socket (self);
  if (self->dtls != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->dtls, self);
      ferry_dtls_transport_set_receive_func (self->dtls, NULL, NULL);
      g_clear_object (&self->dtls);
    }

  G_OBJECT_CLASS (ferry_sctp_transport_parent_class)->dispose (object);
}

static void
ferry_sctp_transport_finalize (GObject *object)
{
  FerrySctpTransport *self = FERRY_SCTP_TRANSPORT (object);

  g_hash_table_unref (self->resets);
  g_byte_array_unref (self->message);
  g_byte_array_unref (self->notification);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (ferry_sctp_transport_parent_class)->finalize (object);
}

static void
ferry_sctp_transport_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  FerrySctpTransport *self = FERRY_SCTP_TRANSPORT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_sctp_transport_class_init (FerrySctpTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_sctp_transport_dispose;
  object_class->finalize = ferry_sctp_transport_finalize;
  object_class->get_property = ferry_sctp_transport_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_SCTP_STATE,
                       FERRY_SCTP_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_BYTES);
  signals[STREAM_CLOSING] =
    g_signal_new ("stream-closing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[STREAM_RESET] =
    g_signal_new ("stream-reset", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * FerrySctpTransport::stream-reset-failed:
   * @sid: the stream
   * @error: why the channel on it could not be closed cleanly
   *
   * The peer did not perform our reset of @sid, however often asked.  The stream is given up:
   * no ::stream-reset follows.
   */
  signals[STREAM_RESET_FAILED] =
    g_signal_new ("stream-reset-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_ERROR);
  signals[BUFFERED_AMOUNT_CHANGED] =
    g_signal_new ("buffered-amount-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT64);
}

static void
ferry_sctp_transport_init (FerrySctpTransport *self)
{
  g_queue_init (&self->queue);
  self->resets = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->message = g_byte_array_new ();
  self->notification = g_byte_array_new ();
}

static gboolean
set_option (FerrySctpTransport  *self,
            int                  level,
            int                  name,
            const void          *value,
            socklen_t            len,
            const char          *what,
            GError             **error)
{
  if (usrsctp_setsockopt (self->sock, level, name, value, len) == 0)
    return TRUE;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), _("Could not set up SCTP (%s: %s)"),
               what, g_strerror (errno));
  return FALSE;
}

FerrySctpTransport *
ferry_sctp_transport_new (FerryDtlsTransport  *dtls,
                          guint16              remote_port,
                          guint64              local_max_message_size,
                          guint64              remote_max_message_size,
                          guint                liveness_timeout_ms,
                          GError             **error)
{
  g_autoptr(FerrySctpTransport) self = NULL;
  const uint16_t event_types[] = {
    SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SENDER_DRY_EVENT, SCTP_SHUTDOWN_EVENT,
  };
  struct linger linger = { 1, 0 };
  struct sctp_assoc_value reset = { SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ };
  struct sctp_initmsg init = { 0 };
  struct sctp_paddrparams paddr = { 0 };
  struct sctp_rtoinfo rto = { 0 };
  struct sctp_assocparams assoc = { 0 };
  guint step_ms;
  int on = 1, off = 0;
  int send_buffer = SEND_BUFFER, receive_buffer = RECEIVE_BUFFER;

  g_return_val_if_fail (FERRY_IS_DTLS_TRANSPORT (dtls), NULL);

  usrsctp_global_init ();

  self = g_object_new (FERRY_TYPE_SCTP_TRANSPORT, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->dtls = g_object_ref (dtls);
  self->remote_port = remote_port;
  self->local_max_message_size = local_max_message_size;
  self->remote_max_message_size = remote_max_message_size;

  self->sock = usrsctp_socket (AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
  if (self->sock == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), _("Could not create an SCTP socket: %s"),
                   g_strerror (errno));
      return NULL;
    }
  register_transport (self);
  usrsctp_set_upcall (self->sock, upcall, self);
  usrsctp_set_non_blocking (self->sock, 1);

  /* Heartbeats every sixth of liveness_timeout_ms, retransmissions at most that far apart.  The
   * peer connection declares the peer gone after liveness_timeout_ms of silence, on both sides;
   * SCTP's own ceiling comes well after it (ten attempts, 1, 2, 4 s and then 5 s apart for the
   * default 30 s timeout: more than 40 s), so that a path back within the timeout carries the same
   * association on, nothing sent again.  Five attempts gave up after 20 s: a 20 s network cut
   * cost a new connection, the bytes that were on the way, and 10 s after the path was back. */
  step_ms = CLAMP (liveness_timeout_ms / 6, 200, 10000);
  init.sinit_num_ostreams = FERRY_SCTP_MAX_STREAMS;
  init.sinit_max_instreams = FERRY_SCTP_MAX_STREAMS;
  paddr.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_ENABLE;
  paddr.spp_pathmtu = FERRY_SCTP_DEFAULT_PACKET - COMMON_HEADER;
  paddr.spp_hbinterval = step_ms;
  paddr.spp_pathmaxrxt = MAX_RETRANSMISSIONS;
  rto.srto_initial = MIN (1000, step_ms);
  rto.srto_max = step_ms;
  rto.srto_min = MIN (1000, step_ms);
  assoc.sasoc_asocmaxrxt = MAX_RETRANSMISSIONS;

  if (!set_option (self, SOL_SOCKET, SO_LINGER, &linger, sizeof linger, "SO_LINGER", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset, "stream reset", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on, "RECVRCVINFO", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on, "NODELAY", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &off, sizeof off, "FRAGMENT_INTERLEAVE", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init, "INITMSG", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &paddr, sizeof paddr, "PEER_ADDR_PARAMS", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto, "RTOINFO", error) ||
      !set_option (self, IPPROTO_SCTP, SCTP_ASSOCINFO, &assoc, sizeof assoc, "ASSOCINFO", error) ||
      !set_option (self, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer, "SO_SNDBUF", error) ||
      !set_option (self, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer, "SO_RCVBUF", error))
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (event_types); i++)
    {
      struct sctp_event event = { .se_assoc_id = SCTP_ALL_ASSOC, .se_type = event_types[i], .se_on = 1 };

      if (!set_option (self, IPPROTO_SCTP, SCTP_EVENT, &event, sizeof event, "EVENT", error))
        return NULL;
    }

  g_signal_connect (dtls, "notify::state", G_CALLBACK (dtls_state_cb), self);
  ferry_dtls_transport_set_receive_func (dtls, dtls_receive_cb, self);

  return g_steal_pointer (&self);
}

void
ferry_sctp_transport_start (FerrySctpTransport *self)
{
  struct sockaddr_conn local = { 0 };
  struct sockaddr_conn remote = { 0 };

  g_return_if_fail (FERRY_IS_SCTP_TRANSPORT (self));

  if (self->state != FERRY_SCTP_STATE_NEW || self->sock == NULL)
    return;

  local.sconn_family = AF_CONN;
  local.sconn_port = htons (LOCAL_PORT);
  local.sconn_addr = self;
  remote.sconn_family = AF_CONN;
  remote.sconn_port = htons (self->remote_port);
  remote.sconn_addr = self;

  set_state (self, FERRY_SCTP_STATE_CONNECTING);
  /* Both sides connect: simultaneous open (RFC 8841 section 9.3). */
  if (usrsctp_bind (self->sock, (struct sockaddr *) &local, sizeof local) < 0 ||
      (usrsctp_connect (self->sock, (struct sockaddr *) &remote, sizeof remote) < 0 &&
       errno != EINPROGRESS))
    {
      g_debug ("SCTP %p: connect failed: %s", self, g_strerror (errno));
      set_state (self, FERRY_SCTP_STATE_FAILED);
    }
}

gboolean
ferry_sctp_transport_set_max_packet (FerrySctpTransport  *self,
                                     guint                bytes,
                                     GError             **error)
{
  struct sctp_paddrparams paddr = { 0 };
  struct sockaddr_conn *every_path = (struct sockaddr_conn *) &paddr.spp_address;

  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), FALSE);
  g_return_val_if_fail (bytes >= FERRY_SCTP_DEFAULT_PACKET && bytes <= FERRY_SCTP_MAX_PACKET, FALSE);

  if (self->sock == NULL)
    return TRUE;
  /* Every path of the association; before there is one, the default it starts with. */
  every_path->sconn_family = AF_CONN;
  paddr.spp_flags = SPP_PMTUD_DISABLE;
  paddr.spp_pathmtu = bytes - COMMON_HEADER;
  return set_option (self, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &paddr, sizeof paddr, "PEER_ADDR_PARAMS", error);
}

guint
ferry_sctp_transport_get_max_packet (FerrySctpTransport *self)
{
  struct sctp_status status = { 0 };
  socklen_t len = sizeof status;

  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), 0);

  if (self->sock == NULL || self->state != FERRY_SCTP_STATE_CONNECTED ||
      usrsctp_getsockopt (self->sock, IPPROTO_SCTP, SCTP_STATUS, &status, &len) != 0)
    return 0;
  return status.sstat_primary.spinfo_mtu + COMMON_HEADER;
}

/* usrsctp's fragment size (sctp_get_frag_point ()): the packet less the common and DATA chunk
 * headers, down to a multiple of 4. */
guint
ferry_sctp_transport_get_fragment_size (FerrySctpTransport *self)
{
  guint packet = ferry_sctp_transport_get_max_packet (self);

  return packet > 0 ? (packet - COMMON_HEADER - DATA_CHUNK_HEADER) & ~3u : 0;
}

FerrySctpState
ferry_sctp_transport_get_state (FerrySctpTransport *self)
{
  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), FERRY_SCTP_STATE_CLOSED);

  return self->state;
}

guint
ferry_sctp_transport_get_streams (FerrySctpTransport *self)
{
  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), 0);

  return self->streams;
}

int
ferry_sctp_transport_get_rtt_ms (FerrySctpTransport *self)
{
  struct sctp_status status = { 0 };
  socklen_t len = sizeof status;

  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), -1);

  if (self->sock == NULL || self->state != FERRY_SCTP_STATE_CONNECTED ||
      usrsctp_getsockopt (self->sock, IPPROTO_SCTP, SCTP_STATUS, &status, &len) != 0)
    return -1;
  return (int) MIN (status.sstat_primary.spinfo_srtt, G_MAXINT);
}

gboolean
ferry_sctp_transports_delivered (void)
{
  GHashTableIter iter;
  FerrySctpTransport *self;

  if (live_transports == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, live_transports);
  while (g_hash_table_iter_next (&iter, (gpointer *) &self, NULL))
    {
      struct sctp_status status = { 0 };
      socklen_t len = sizeof status;

      if (self->sock == NULL || self->state != FERRY_SCTP_STATE_CONNECTED)
        continue;
      if (!g_queue_is_empty (&self->queue))
        return FALSE;
      if (usrsctp_getsockopt (self->sock, IPPROTO_SCTP, SCTP_STATUS, &status, &len) == 0 &&
          (status.sstat_unackdata > 0 || status.sstat_penddata > 0))
        return FALSE;
    }
  return TRUE;
}

guint64
ferry_sctp_transport_get_max_send_size (FerrySctpTransport *self)
{
  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), 0);

  return MIN (self->remote_max_message_size, SEND_BUFFER);
}

gboolean
ferry_sctp_transport_send (FerrySctpTransport          *self,
                           guint16                      sid,
                           guint32                      ppid,
                           GBytes                      *data,
                           const FerrySctpReliability  *reliability,
                           GError                     **error)
{
  static const FerrySctpReliability reliable = { FALSE, -1, -1 };
  gsize len = g_bytes_get_size (data);
  Pending *pending;

  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), FALSE);

  if (self->state != FERRY_SCTP_STATE_CONNECTED || sid >= self->streams)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           _("The connection is not open"));
      return FALSE;
    }
  if (len > ferry_sctp_transport_get_max_send_size (self))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   /* Plain length modifiers: gettext cannot see through G_GSIZE_FORMAT. */
                   _("A message of %zu bytes is larger than the peer accepts (%llu bytes)"), len,
                   (unsigned long long) ferry_sctp_transport_get_max_send_size (self));
      return FALSE;
    }

  pending = g_new0 (Pending, 1);
  pending->sid = sid;
  pending->ppid = ppid;
  pending->data = g_bytes_ref (data);
  pending->reliability = reliability ? *reliability : reliable;

  /* Keep the order of everything already queued. */
  if (g_queue_is_empty (&self->queue) && try_send (self, pending))
    {
      pending_free (pending);
      return TRUE;
    }

  g_queue_push_tail (&self->queue, pending);
  set_buffered (self, sid, len);
  return TRUE;
}

guint64
ferry_sctp_transport_get_buffered_amount (FerrySctpTransport *self,
                                          guint16             sid)
{
  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), 0);

  return sid < FERRY_SCTP_MAX_STREAMS ? self->buffered[sid] : 0;
}

void
ferry_sctp_transport_reset_stream (FerrySctpTransport *self,
                                   guint16             sid)
{
  g_return_if_fail (FERRY_IS_SCTP_TRANSPORT (self));

  /* A stream the peer is closing already has its reset under way. */
  if (self->sock == NULL || self->state != FERRY_SCTP_STATE_CONNECTED ||
      lookup_reset (self, sid) != NULL)
    return;

  add_reset (self, sid);
  queue_reset (self, sid);
}

guint
ferry_sctp_transport_get_reset_retries (FerrySctpTransport *self)
{
  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), 0);

  return self->reset_retries;
}

gboolean
ferry_sctp_transport_set_accept_resets (FerrySctpTransport *self,
                                        gboolean            accept)
{
  struct sctp_assoc_value value = { SCTP_ALL_ASSOC, accept ? SCTP_ENABLE_RESET_STREAM_REQ : 0 };

  g_return_val_if_fail (FERRY_IS_SCTP_TRANSPORT (self), FALSE);

  return self->sock != NULL &&
         usrsctp_setsockopt (self->sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &value,
                             sizeof value) == 0;
}

void
ferry_sctp_transport_close (FerrySctpTransport *self)
{
  g_return_if_fail (FERRY_IS_SCTP_TRANSPORT (self));

  close_socket (self);
  set_state (self, FERRY_SCTP_STATE_CLOSED);
}
