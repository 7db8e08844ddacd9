/* ferry-ice-transport.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include "ferry-ice-transport.h"
#include "ferry-webrtc-enums.h"
#include "ferry-text.h"
#include "ferry-source.h"

/* A browser's early DTLS flight is 1–4 datagrams; more means something is wrong. */
#define MAX_EARLY_DATAGRAMS 32
#define MAX_PENDING_MDNS 16
/* UDP receive-buffer overflow caused most of the loss between libwebrtc peers over loopback
 * (docs/INTEROP.md, "UDP receive buffers"). */
#define SOCKET_BUFFER_SIZE (4 * 1024 * 1024)
/* Outgoing datagrams on a direct UDP pair are sent together once per main-loop turn. */
#define BATCH_DATAGRAMS 64
#define BATCH_BYTES (256 * 1024)
/* The largest GSO send the kernel keeps whole on IPv6 loopback (larger ones leave as single
 * datagrams; IPv4 takes a little more): four of Ferry's largest datagrams. */
#define GSO_MAX_BYTES 65472

/* Datagrams queued for one sendmmsg () on the selected pair's socket. */
typedef struct {
  int                      fd;
  struct sockaddr_storage  remote;
  socklen_t                remote_len;
  gboolean                 gso;
  guint8                  *buffer;
  gsize                    used;
  guint16                  lengths[BATCH_DATAGRAMS];
  guint                    count;
  GSource                 *flush_source;
} Batch;

struct _FerryIceTransport
{
  GObject              parent_instance;

  GMainContext        *context;
  FerryRtcConfig      *config;
  NiceAgent           *agent;
  guint                stream_id;
  GCancellable        *cancellable;

  FerryIceState        state;
  gboolean             gathering_started;
  gboolean             gathering_done;
  GPtrArray           *local_candidates;
  GSource             *gather_timeout;
  guint                pending_turn_lookups;

  gboolean             remote_done_requested;
  gboolean             remote_done_signalled;
  guint                pending_mdns;
  GSource             *connect_timeout;

  FerryIceReceiveFunc  receive_func;
  gint64               last_receive_us; /* monotonic; creation until the first datagram */
  gpointer             receive_data;
  GQueue               early;   /* GBytes */

  GSocket             *direct_socket;  /* NULL: send through libnice (relayed or no pair) */
  Batch                batch;
  guint                link_mtu;       /* of a direct pair on one link; 0 otherwise */

  char                *local_type;
  char                *local_address;
  char                *remote_type;
  char                *remote_address;
};

G_DEFINE_FINAL_TYPE (FerryIceTransport, ferry_ice_transport, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  LOCAL_CANDIDATE,
  GATHERING_DONE,
  SELECTED_PAIR_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_state (FerryIceTransport *self,
           FerryIceState      state)
{
  if (self->state == state || self->state == FERRY_ICE_STATE_CLOSED)
    return;

  g_debug ("ICE %p: state %s -> %s", self, ferry_enum_nick (FERRY_TYPE_ICE_STATE, self->state),
           ferry_enum_nick (FERRY_TYPE_ICE_STATE, state));
  self->state = state;
  if (state >= FERRY_ICE_STATE_CONNECTED)
    g_clear_pointer (&self->connect_timeout, g_source_destroy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static GSource *
attach_timeout (FerryIceTransport *self,
                guint              ms,
                GSourceFunc        func,
                gpointer           data)
{
  return ferry_source_attach (g_timeout_source_new (ms), self->context, G_PRIORITY_DEFAULT, func,
                              data, NULL);
}

static const char *
candidate_type_name (NiceCandidateType type)
{
  switch (type)
    {
    case NICE_CANDIDATE_TYPE_HOST: return "host";
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE: return "srflx";
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE: return "prflx";
    case NICE_CANDIDATE_TYPE_RELAYED: return "relay";
    default: return "unknown";
    }
}

static char *
format_address (const NiceAddress *address)
{
  char ip[NICE_ADDRESS_STRING_LEN];

  nice_address_to_string (address, ip);
  if (nice_address_ip_version (address) == 6)
    return g_strdup_printf ("[%s]:%u", ip, nice_address_get_port (address));
  return g_strdup_printf ("%s:%u", ip, nice_address_get_port (address));
}

static void
emit_gathering_done (FerryIceTransport *self)
{
  if (self->gathering_done)
    return;

  self->gathering_done = TRUE;
  g_clear_pointer (&self->gather_timeout, g_source_destroy);
  g_signal_emit (self, signals[GATHERING_DONE], 0);
}

static gboolean
gather_timeout_cb (gpointer user_data)
{
  FerryIceTransport *self = user_data;

  self->gather_timeout = NULL;
  g_debug ("ICE %p: gathering ceiling reached with %u candidates", self,
           self->local_candidates->len);
  emit_gathering_done (self);
  return G_SOURCE_REMOVE;
}

static gboolean
connect_timeout_cb (gpointer user_data)
{
  FerryIceTransport *self = user_data;

  self->connect_timeout = NULL;
  g_debug ("ICE %p: no connection within %u ms", self, self->config->ice_timeout_ms);
  set_state (self, FERRY_ICE_STATE_FAILED);
  return G_SOURCE_REMOVE;
}

static void
raise_socket_buffers (FerryIceTransport *self)
{
  g_autoptr(GPtrArray) sockets = nice_agent_get_sockets (self->agent, self->stream_id, 1);

  for (guint i = 0; sockets != NULL && i < sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (sockets, i);

      /* The kernel caps these at net.core.[rw]mem_max; failure only costs throughput. */
      g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, SOCKET_BUFFER_SIZE, NULL);
      g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SOCKET_BUFFER_SIZE, NULL);
    }
}

static void
new_candidate_cb (NiceAgent         *agent,
                  NiceCandidate     *candidate,
                  FerryIceTransport *self)
{
  g_autofree char *sdp = NULL;

  if (candidate->stream_id != self->stream_id || candidate->component_id != 1)
    return;
  if (candidate->transport != NICE_CANDIDATE_TRANSPORT_UDP)
    return;
  if (self->config->policy == FERRY_ICE_POLICY_RELAY &&
      candidate->type != NICE_CANDIDATE_TYPE_RELAYED)
    return;

  sdp = nice_agent_generate_local_candidate_sdp (agent, candidate);
  if (sdp == NULL || !g_str_has_prefix (sdp, "a="))
    return;

  g_ptr_array_add (self->local_candidates, g_strdup (sdp + 2));
  g_signal_emit (self, signals[LOCAL_CANDIDATE], 0, sdp + 2);
}

static void
gathering_done_cb (NiceAgent         *agent,
                   guint              stream_id,
                   FerryIceTransport *self)
{
  if (stream_id != self->stream_id)
    return;

  raise_socket_buffers (self);
  emit_gathering_done (self);
}

static void
component_state_cb (NiceAgent         *agent,
                    guint              stream_id,
                    guint              component_id,
                    guint              state,
                    FerryIceTransport *self)
{
  if (stream_id != self->stream_id)
    return;

  switch (state)
    {
    case NICE_COMPONENT_STATE_CONNECTING:
      if (self->state == FERRY_ICE_STATE_NEW)
        set_state (self, FERRY_ICE_STATE_CHECKING);
      break;
    case NICE_COMPONENT_STATE_CONNECTED:
      set_state (self, FERRY_ICE_STATE_CONNECTED);
      break;
    case NICE_COMPONENT_STATE_READY:
      set_state (self, FERRY_ICE_STATE_COMPLETED);
      break;
    case NICE_COMPONENT_STATE_FAILED:
      set_state (self, FERRY_ICE_STATE_FAILED);
      break;
    default:
      break;
    }
}

static void
flush_batch (FerryIceTransport *self)
{
  Batch *b = &self->batch;
  struct mmsghdr messages[BATCH_DATAGRAMS];
  struct iovec iovecs[BATCH_DATAGRAMS];
  union {
    char           buf[CMSG_SPACE (sizeof (uint16_t))];
    struct cmsghdr align;
  } controls[BATCH_DATAGRAMS];
  guint n_messages = 0;
  gsize offset = 0;
  guint sent = 0;

  g_clear_pointer (&b->flush_source, g_source_destroy);
  if (b->count == 0)
    return;

  memset (messages, 0, sizeof messages);
  for (guint i = 0; i < b->count;)
    {
      struct msghdr *msg = &messages[n_messages].msg_hdr;
      guint16 size = b->lengths[i];
      gsize total = size;
      guint j = i + 1;

      /* UDP GSO: a run of equal-size datagrams (the last may be shorter) leaves in one buffer
       * and the kernel splits it, so the stack is traversed once per run, not per datagram. */
      if (b->gso)
        while (j < b->count && b->lengths[j] <= size && total + b->lengths[j] <= GSO_MAX_BYTES)
          {
            total += b->lengths[j];
            if (b->lengths[j++] < size)
              break;
          }

      iovecs[n_messages].iov_base = b->buffer + offset;
      iovecs[n_messages].iov_len = total;
      msg->msg_name = &b->remote;
      msg->msg_namelen = b->remote_len;
      msg->msg_iov = &iovecs[n_messages];
      msg->msg_iovlen = 1;
      if (j - i > 1)
        {
          struct cmsghdr *cmsg;

          msg->msg_control = controls[n_messages].buf;
          msg->msg_controllen = sizeof controls[n_messages].buf;
          cmsg = CMSG_FIRSTHDR (msg);
          cmsg->cmsg_level = SOL_UDP;
          cmsg->cmsg_type = UDP_SEGMENT;
          cmsg->cmsg_len = CMSG_LEN (sizeof (uint16_t));
          memcpy (CMSG_DATA (cmsg), &size, sizeof size);
        }
      offset += total;
      n_messages++;
      i = j;
    }

  while (sent < n_messages)
    {
      int r = sendmmsg (b->fd, messages + sent, n_messages - sent, MSG_DONTWAIT);

      if (r > 0)
        sent += r;
      else if (errno == EINTR)
        continue;
      else if (b->gso && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT))
        {
          /* No GSO on this kernel or route: send each datagram on its own from now on. */
          g_debug ("ICE %p: UDP GSO unavailable (%s)", self, g_strerror (errno));
          b->gso = FALSE;
          flush_batch (self);
          return;
        }
      else
        {
          /* A full socket buffer drops datagrams, as a congested path would; SCTP recovers. */
          g_debug ("ICE %p: dropped %u datagrams: %s", self, n_messages - sent, g_strerror (errno));
          break;
        }
    }

  b->count = 0;
  b->used = 0;
}

static gboolean
flush_batch_cb (gpointer user_data)
{
  FerryIceTransport *self = user_data;

  self->batch.flush_source = NULL;
  flush_batch (self);
  return G_SOURCE_REMOVE;
}

static gboolean
same_prefix (const struct sockaddr *a,
             const struct sockaddr *b,
             const struct sockaddr *mask)
{
  const guint8 *x, *y, *m;
  gsize len;

  if (a->sa_family != b->sa_family || mask == NULL || mask->sa_family != a->sa_family)
    return FALSE;
  if (a->sa_family == AF_INET)
    {
      x = (const guint8 *) &((const struct sockaddr_in *) a)->sin_addr;
      y = (const guint8 *) &((const struct sockaddr_in *) b)->sin_addr;
      m = (const guint8 *) &((const struct sockaddr_in *) mask)->sin_addr;
      len = 4;
    }
  else if (a->sa_family == AF_INET6)
    {
      x = (const guint8 *) &((const struct sockaddr_in6 *) a)->sin6_addr;
      y = (const guint8 *) &((const struct sockaddr_in6 *) b)->sin6_addr;
      m = (const guint8 *) &((const struct sockaddr_in6 *) mask)->sin6_addr;
      len = 16;
    }
  else
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((x[i] & m[i]) != (y[i] & m[i]))
      return FALSE;
  return TRUE;
}

/* When @remote is one of our own addresses (@own), or on the link of the interface that holds
 * @local (in its prefix), the MTU of the kernel's route to it (the link's; loopback's for our own
 * addresses); 0 otherwise: a router between may have a smaller one. */
static guint
link_mtu (const NiceCandidate *local,
          const NiceCandidate *remote,
          gboolean            *own)
{
  /* Every bit of the address: the interface that holds @local itself. */
  static const struct sockaddr_in6 all6 = { .sin6_family = AF_INET6,
                                            .sin6_addr.s6_addr = { [0 ... 15] = 0xff } };
  static const struct sockaddr_in all4 = { .sin_family = AF_INET, .sin_addr.s_addr = 0xffffffff };
  struct sockaddr_storage l, r;
  const struct sockaddr *all;
  struct ifaddrs *addrs = NULL;
  gboolean on_link = FALSE;
  int fd, mtu = 0;
  socklen_t len = sizeof mtu;

  nice_address_copy_to_sockaddr (&local->addr, (struct sockaddr *) &l);
  nice_address_copy_to_sockaddr (&remote->addr, (struct sockaddr *) &r);
  all = l.ss_family == AF_INET6 ? (const struct sockaddr *) &all6 : (const struct sockaddr *) &all4;
  if (getifaddrs (&addrs) < 0)
    return 0;
  for (struct ifaddrs *ifa = addrs; ifa != NULL && !on_link; ifa = ifa->ifa_next)
    {
      *own = ifa->ifa_addr != NULL && same_prefix (ifa->ifa_addr, (struct sockaddr *) &r, all);
      on_link = ifa->ifa_addr != NULL &&
                (*own ||
                 (same_prefix (ifa->ifa_addr, (struct sockaddr *) &l, all) &&
                  same_prefix (ifa->ifa_addr, (struct sockaddr *) &r, ifa->ifa_netmask)));
      /* A link-local address is reached through the interface's scope. */
      if (on_link && r.ss_family == AF_INET6 && ((struct sockaddr_in6 *) &r)->sin6_scope_id == 0)
        ((struct sockaddr_in6 *) &r)->sin6_scope_id = ((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_scope_id;
    }
  freeifaddrs (addrs);
  if (!on_link || (fd = socket (r.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
    return 0;
  if (connect (fd, (struct sockaddr *) &r, r.ss_family == AF_INET6 ? sizeof (struct sockaddr_in6)
                                                                   : sizeof (struct sockaddr_in)) < 0 ||
      (r.ss_family == AF_INET6 ? getsockopt (fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len)
                               : getsockopt (fd, IPPROTO_IP, IP_MTU, &mtu, &len)) < 0)
    mtu = 0;
  close (fd);
  return MAX (mtu, 0);
}

/* UDP GRO (Linux 5.0): the kernel hands over a run of datagrams from one sender as one buffer,
 * one system call and one libnice callback for up to four of Ferry's largest packets; DTLS
 * records carry their length, so ferry-dtls-transport.c takes such a buffer apart again.  Only
 * towards our own host: loopback has no GRO of its own, so a buffer is exactly one of the peer's
 * GSO sends, all DTLS.  A network card's GRO also joins a shorter datagram that follows a run, and
 * so would put a STUN request (a consent check) behind the records, where libnice would not see
 * it (docs/INTEROP.md, "Receive offload"). */
static void
set_receive_offload (FerryIceTransport *self,
                     gboolean           on)
{
  int value = on;

  if (setsockopt (self->batch.fd, SOL_UDP, UDP_GRO, &value, sizeof value) < 0)
    g_debug ("ICE %p: UDP GRO unavailable (%s)", self, g_strerror (errno));
}

static void
setup_direct_send (FerryIceTransport   *self,
                   const NiceCandidate *local,
                   const NiceCandidate *remote)
{
  gboolean own = FALSE;

  flush_batch (self);
  g_clear_object (&self->direct_socket);
  self->link_mtu = 0;

  /* Relayed pairs wrap data in TURN messages: those go through libnice. */
  if (local->type == NICE_CANDIDATE_TYPE_RELAYED || local->transport != NICE_CANDIDATE_TRANSPORT_UDP)
    return;

  self->direct_socket = nice_agent_get_selected_socket (self->agent, self->stream_id, 1);
  if (self->direct_socket == NULL)
    return;

  memset (&self->batch.remote, 0, sizeof self->batch.remote);
  nice_address_copy_to_sockaddr (&remote->addr, (struct sockaddr *) &self->batch.remote);
  self->batch.remote_len = remote->addr.s.addr.sa_family == AF_INET6 ? sizeof (struct sockaddr_in6)
                                                                      : sizeof (struct sockaddr_in);
  self->batch.fd = g_socket_get_fd (self->direct_socket);
  self->link_mtu = link_mtu (local, remote, &own);
  set_receive_offload (self, own);
  if (self->batch.buffer == NULL)
    {
      self->batch.buffer = g_malloc (BATCH_BYTES);
      self->batch.gso = TRUE;
    }
}

static void
selected_pair_cb (NiceAgent         *agent,
                  guint              stream_id,
                  guint              component_id,
                  NiceCandidate     *local,
                  NiceCandidate     *remote,
                  FerryIceTransport *self)
{
  if (stream_id != self->stream_id)
    return;

  g_free (self->local_type);
  g_free (self->local_address);
  g_free (self->remote_type);
  g_free (self->remote_address);
  self->local_type = g_strdup (candidate_type_name (local->type));
  self->local_address = format_address (&local->addr);
  self->remote_type = g_strdup (candidate_type_name (remote->type));
  self->remote_address = format_address (&remote->addr);
  setup_direct_send (self, local, remote);
  g_signal_emit (self, signals[SELECTED_PAIR_CHANGED], 0);
}

static void
receive_cb (NiceAgent *agent,
            guint      stream_id,
            guint      component_id,
            guint      len,
            gchar     *buf,
            gpointer   user_data)
{
  FerryIceTransport *self = user_data;

  self->last_receive_us = g_get_monotonic_time ();
  if (self->receive_func != NULL)
    {
      self->receive_func ((const guint8 *) buf, len, self->receive_data);
      return;
    }

  if (self->early.length < MAX_EARLY_DATAGRAMS)
    g_queue_push_tail (&self->early, g_bytes_new (buf, len));
}

static void
ferry_ice_transport_dispose (GObject *object)
{
  FerryIceTransport *self = FERRY_ICE_TRANSPORT (object);

  ferry_ice_transport_close (self);

  G_OBJECT_CLASS (ferry_ice_transport_parent_class)->dispose (object);
}

static void
ferry_ice_transport_finalize (GObject *object)
{
  FerryIceTransport *self = FERRY_ICE_TRANSPORT (object);

  g_queue_clear_full (&self->early, (GDestroyNotify) g_bytes_unref);
  g_free (self->batch.buffer);
  g_ptr_array_unref (self->local_candidates);
  g_clear_object (&self->cancellable);
  ferry_rtc_config_unref (self->config);
  g_main_context_unref (self->context);
  g_free (self->local_type);
  g_free (self->local_address);
  g_free (self->remote_type);
  g_free (self->remote_address);

  G_OBJECT_CLASS (ferry_ice_transport_parent_class)->finalize (object);
}

static void
ferry_ice_transport_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  FerryIceTransport *self = FERRY_ICE_TRANSPORT (object);

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
ferry_ice_transport_class_init (FerryIceTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ferry_ice_transport_dispose;
  object_class->finalize = ferry_ice_transport_finalize;
  object_class->get_property = ferry_ice_transport_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FERRY_TYPE_ICE_STATE,
                       FERRY_ICE_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LOCAL_CANDIDATE] =
    g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[GATHERING_DONE] =
    g_signal_new ("gathering-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[SELECTED_PAIR_CHANGED] =
    g_signal_new ("selected-pair-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
}

static void
ferry_ice_transport_init (FerryIceTransport *self)
{
  self->local_candidates = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->early);
  self->last_receive_us = g_get_monotonic_time ();
}

static gboolean
is_ipv6_link_local (const NiceAddress *address)
{
  struct sockaddr_storage sa;

  nice_address_copy_to_sockaddr (address, (struct sockaddr *) &sa);
  return sa.ss_family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL (&((struct sockaddr_in6 *) &sa)->sin6_addr);
}

/* Host candidates from the addresses libnice would take, less IPv6 link-local ones, as browsers
 * do: a pair of those is never the only way (the same link has an IPv4 or a global address), its
 * 40-byte header costs 1.3 % of a transfer against IPv4's, and an address made from the network
 * card's hardware address would go to everyone in the room.  When link-local addresses are all
 * there is, none is added and libnice takes them all. */
static void
add_host_addresses (NiceAgent *agent)
{
  GList *ips = nice_interfaces_get_local_ips (FALSE);

  for (GList *l = ips; l != NULL; l = l->next)
    {
      NiceAddress address;

      nice_address_init (&address);
      if (nice_address_set_from_string (&address, l->data) && !is_ipv6_link_local (&address))
        nice_agent_add_local_address (agent, &address);
    }
  g_list_free_full (ips, g_free);
}

FerryIceTransport *
ferry_ice_transport_new (FerryRtcConfig *config,
                         gboolean        controlling)
{
  FerryIceTransport *self = g_object_new (FERRY_TYPE_ICE_TRANSPORT, NULL);
  /* Aggressive nomination (libnice's default): the first working pair carries data at once.
   * With regular nomination libnice 0.1.21 waits for every higher-priority pair to fail first,
   * which kept NATed peers (srflx pairs) from connecting for about 2 s.  ICE_TRICKLE: no FAILED
   * before the peer's candidates are complete. */
  NiceAgentOption options = NICE_AGENT_OPTION_ICE_TRICKLE;

#if FERRY_NICE_CONSENT_FRESHNESS
  options |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;
#endif

  self->context = g_main_context_ref_thread_default ();
  self->config = ferry_rtc_config_ref (config);
  self->agent = nice_agent_new_full (self->context, NICE_COMPATIBILITY_RFC5245, options);
  /* ice-tcp and upnp default to TRUE: browsers' TCP candidates are useless to us and UPnP slows
   * gathering.  keepalive-conncheck turns keepalives into checks that can fail (docs/INTEROP.md,
   * "Keepalives and consent freshness"). */
  g_object_set (self->agent,
                "controlling-mode", controlling,
                "ice-tcp", FALSE,
                "upnp", FALSE,
                "keepalive-conncheck", TRUE,
                "stun-initial-timeout", 500,
                "stun-max-retransmissions", config->check_retransmissions,
                /* RFC 8445's minimum Ta: the first check leaves 5 ms, not 20 ms, after the
                 * candidates arrive, which was two thirds of a room's join time. */
                "stun-pacing-timer", 5,
                "force-relay", config->policy == FERRY_ICE_POLICY_RELAY,
                NULL);

  add_host_addresses (self->agent);
  self->stream_id = nice_agent_add_stream (self->agent, 1);
  nice_agent_set_stream_name (self->agent, self->stream_id, "application");
  nice_agent_attach_recv (self->agent, self->stream_id, 1, self->context, receive_cb, self);

  g_signal_connect (self->agent, "new-candidate-full", G_CALLBACK (new_candidate_cb), self);
  g_signal_connect (self->agent, "candidate-gathering-done", G_CALLBACK (gathering_done_cb), self);
  g_signal_connect (self->agent, "component-state-changed", G_CALLBACK (component_state_cb), self);
  g_signal_connect (self->agent, "new-selected-pair-full", G_CALLBACK (selected_pair_cb), self);

  return self;
}

static void
set_relay (FerryIceTransport *self,
           FerryIceServer    *server,
           const char        *ip)
{
  if (server->transport != FERRY_TURN_TRANSPORT_TCP)
    nice_agent_set_relay_info (self->agent, self->stream_id, 1, ip, server->port,
                               server->username, server->credential, NICE_RELAY_TYPE_TURN_UDP);
  if (server->transport != FERRY_TURN_TRANSPORT_UDP)
    nice_agent_set_relay_info (self->agent, self->stream_id, 1, ip, server->port,
                               server->username, server->credential, NICE_RELAY_TYPE_TURN_TCP);
}

static void
start_gathering (FerryIceTransport *self)
{
  if (!nice_agent_gather_candidates (self->agent, self->stream_id))
    {
      g_warning ("ICE %p: no local address to gather candidates from", self);
      emit_gathering_done (self);
    }
}

typedef struct {
  FerryIceTransport *self;
  FerryIceServer    *server;
} TurnLookup;

static void
turn_lookup_cb (GObject      *resolver,
                GAsyncResult *result,
                gpointer      user_data)
{
  TurnLookup *lookup = user_data;
  FerryIceTransport *self = lookup->self;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (resolver), result, &error);

  if (addresses != NULL)
    {
      g_autofree char *ip = g_inet_address_to_string (addresses->data);

      if (self->state != FERRY_ICE_STATE_CLOSED)
        set_relay (self, lookup->server, ip);
      g_resolver_free_addresses (addresses);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not find the TURN server %s: %s", lookup->server->host, error->message);

  if (--self->pending_turn_lookups == 0 && self->state != FERRY_ICE_STATE_CLOSED)
    start_gathering (self);

  g_object_unref (self);
  g_free (lookup);
}

void
ferry_ice_transport_gather (FerryIceTransport *self)
{
  g_autoptr(GResolver) resolver = NULL;
  gboolean have_stun = FALSE;

  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  /* A TURN allocation over UDP also yields our server-reflexive address.  With both, libnice
   * 0.1.21 mistakes the STUN server's (RFC 3489-style) answers for TURN traffic on the shared
   * socket and gathering waits ~2 s for a reply it dropped. */
  for (guint i = 0; i < self->config->ice_servers->len; i++)
    {
      FerryIceServer *server = g_ptr_array_index (self->config->ice_servers, i);

      if (server->kind == FERRY_ICE_SERVER_TURN && server->transport != FERRY_TURN_TRANSPORT_TCP)
        have_stun = TRUE;
    }

  if (self->gathering_started)
    return;
  self->gathering_started = TRUE;

  if (self->config->gather_timeout_ms > 0)
    self->gather_timeout = attach_timeout (self, self->config->gather_timeout_ms, gather_timeout_cb, self);

  for (guint i = 0; i < self->config->ice_servers->len; i++)
    {
      FerryIceServer *server = g_ptr_array_index (self->config->ice_servers, i);

      if (server->kind == FERRY_ICE_SERVER_STUN)
        {
          /* libnice 0.1.21 takes one STUN server per agent and resolves its name itself. */
          if (!have_stun)
            g_object_set (self->agent, "stun-server", server->host, "stun-server-port",
                          (guint) server->port, NULL);
          have_stun = TRUE;
        }
      else if (g_hostname_is_ip_address (server->host))
        set_relay (self, server, server->host);
      else
        {
          TurnLookup *lookup = g_new0 (TurnLookup, 1);

          if (resolver == NULL)
            resolver = g_resolver_get_default ();
          lookup->self = g_object_ref (self);
          lookup->server = server;
          self->pending_turn_lookups++;
          g_resolver_lookup_by_name_async (resolver, server->host, self->cancellable,
                                           turn_lookup_cb, lookup);
        }
    }

  if (self->pending_turn_lookups == 0)
    start_gathering (self);
}

gint64
ferry_ice_transport_get_last_receive_time (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), 0);

  return self->last_receive_us;
}

gboolean
ferry_ice_transport_get_gathering_done (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), FALSE);

  return self->gathering_done;
}

GPtrArray *
ferry_ice_transport_get_local_candidates (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), NULL);

  return self->local_candidates;
}

void
ferry_ice_transport_get_local_credentials (FerryIceTransport  *self,
                                           char              **ufrag,
                                           char              **pwd)
{
  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  nice_agent_get_local_credentials (self->agent, self->stream_id, ufrag, pwd);
}

void
ferry_ice_transport_set_local_credentials (FerryIceTransport *self,
                                           const char        *ufrag,
                                           const char        *pwd)
{
  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  if (!nice_agent_set_local_credentials (self->agent, self->stream_id, ufrag, pwd))
    g_warning ("ICE %p: could not set the local credentials", self);
}

void
ferry_ice_transport_set_controlling (FerryIceTransport *self,
                                     gboolean           controlling)
{
  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  g_object_set (self->agent, "controlling-mode", controlling, NULL);
}

void
ferry_ice_transport_set_remote_credentials (FerryIceTransport *self,
                                            const char        *ufrag,
                                            const char        *pwd)
{
  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  nice_agent_set_remote_credentials (self->agent, self->stream_id, ufrag, pwd);
  if (self->connect_timeout == NULL && self->config->ice_timeout_ms > 0 &&
      self->state < FERRY_ICE_STATE_CONNECTED)
    self->connect_timeout = attach_timeout (self, self->config->ice_timeout_ms, connect_timeout_cb, self);
}

static void
maybe_signal_remote_done (FerryIceTransport *self)
{
  if (self->remote_done_requested && !self->remote_done_signalled && self->pending_mdns == 0 &&
      self->state != FERRY_ICE_STATE_CLOSED)
    {
      self->remote_done_signalled = TRUE;
      nice_agent_peer_candidate_gathering_done (self->agent, self->stream_id);
    }
}

static gboolean
apply_candidate (FerryIceTransport *self,
                 const char        *sdp_line)
{
  NiceCandidate *candidate;
  GSList *list;
  int added;

  candidate = nice_agent_parse_remote_candidate_sdp (self->agent, self->stream_id, sdp_line);
  if (candidate == NULL)
    return FALSE;

  if (candidate->component_id == 1)
    {
      list = g_slist_append (NULL, candidate);
      added = nice_agent_set_remote_candidates (self->agent, self->stream_id, 1, list);
      g_slist_free (list);
      g_debug ("ICE %p: remote candidate %s (%s)", self, sdp_line, added > 0 ? "added" : "ignored");
    }
  nice_candidate_free (candidate);
  return TRUE;
}

typedef struct {
  FerryIceTransport *self;
  char             **fields;   /* the candidate split on spaces; fields[4] is the address */
  GCancellable      *cancellable;
  GSource           *timeout;
} MdnsLookup;

static void
mdns_lookup_free (MdnsLookup *lookup)
{
  if (lookup->timeout)
    g_source_destroy (lookup->timeout);
  g_clear_object (&lookup->cancellable);
  g_strfreev (lookup->fields);
  g_object_unref (lookup->self);
  g_free (lookup);
}

static gboolean
mdns_timeout_cb (gpointer user_data)
{
  MdnsLookup *lookup = user_data;

  lookup->timeout = NULL;
  g_cancellable_cancel (lookup->cancellable);
  return G_SOURCE_REMOVE;
}

static void
mdns_lookup_cb (GObject      *resolver,
                GAsyncResult *result,
                gpointer      user_data)
{
  MdnsLookup *lookup = user_data;
  FerryIceTransport *self = lookup->self;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (resolver), result, &error);

  if (addresses != NULL && self->state != FERRY_ICE_STATE_CLOSED)
    {
      g_autofree char *line = NULL;

      g_free (lookup->fields[4]);
      lookup->fields[4] = g_inet_address_to_string (addresses->data);
      line = g_strjoinv (" ", lookup->fields);
      apply_candidate (self, line);
    }
  else
    /* Browsers hide host addresses behind mDNS names; unresolvable ones are expected and the
     * connection still forms through peer-reflexive candidates (docs/INTEROP.md, "mDNS host
     * candidates"). */
    g_debug ("ICE %p: dropped unresolvable candidate %s: %s", self, lookup->fields[4],
             error ? error->message : "closed");

  g_resolver_free_addresses (addresses);
  self->pending_mdns--;
  maybe_signal_remote_done (self);
  mdns_lookup_free (lookup);
}

gboolean
ferry_ice_transport_add_remote_candidate (FerryIceTransport  *self,
                                          const char         *candidate,
                                          GError            **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *line = NULL;
  g_auto(GStrv) fields = NULL;
  const char *address;

  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), FALSE);
  g_return_val_if_fail (candidate != NULL, FALSE);

  /* libnice needs the "a=" prefix and fails on trailing white space (docs/INTEROP.md, "Candidate
   * parsing"). */
  trimmed = g_strstrip (g_strdup (g_str_has_prefix (candidate, "a=") ? candidate + 2 : candidate));
  fields = g_strsplit (trimmed, " ", -1);
  if (!g_str_has_prefix (trimmed, "candidate:") || g_strv_length (fields) < 8 ||
      !g_str_equal (fields[6], "typ"))
    {
      g_autofree char *shown = g_utf8_make_valid (trimmed, MIN (strlen (trimmed), 80));

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Malformed ICE candidate “%s”"),
                   shown);
      return FALSE;
    }

  if (self->state == FERRY_ICE_STATE_CLOSED)
    return TRUE;

  line = g_strconcat ("a=", trimmed, NULL);
  if (apply_candidate (self, line))
    return TRUE;

  address = fields[4];
  if (g_str_has_suffix (address, ".local") && self->pending_mdns < MAX_PENDING_MDNS)
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      MdnsLookup *lookup = g_new0 (MdnsLookup, 1);

      char *first = g_strconcat ("a=", fields[0], NULL);

      g_free (fields[0]);
      fields[0] = first;
      lookup->self = g_object_ref (self);
      lookup->fields = g_steal_pointer (&fields);
      lookup->cancellable = g_cancellable_new ();
      lookup->timeout = attach_timeout (self, self->config->mdns_timeout_ms, mdns_timeout_cb, lookup);
      g_signal_connect_object (self->cancellable, "cancelled",
                               G_CALLBACK (g_cancellable_cancel), lookup->cancellable,
                               G_CONNECT_SWAPPED);
      self->pending_mdns++;
      g_resolver_lookup_by_name_async (resolver, address, lookup->cancellable, mdns_lookup_cb,
                                       lookup);
      return TRUE;
    }

  g_debug ("ICE %p: ignored candidate %s", self, trimmed);
  return TRUE;
}

void
ferry_ice_transport_remote_gathering_done (FerryIceTransport *self)
{
  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  self->remote_done_requested = TRUE;
  maybe_signal_remote_done (self);
}

FerryIceState
ferry_ice_transport_get_state (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), FERRY_ICE_STATE_CLOSED);

  return self->state;
}

gboolean
ferry_ice_transport_send (FerryIceTransport *self,
                          const guint8      *data,
                          gsize              len)
{
  Batch *b = &self->batch;

  if (self->agent == NULL)
    return FALSE;
  if (self->direct_socket == NULL || len > G_MAXUINT16)
    return nice_agent_send (self->agent, self->stream_id, 1, len, (const char *) data) >= 0;

  if (b->count == BATCH_DATAGRAMS || b->used + len > BATCH_BYTES)
    flush_batch (self);
  if (len > BATCH_BYTES)
    return nice_agent_send (self->agent, self->stream_id, 1, len, (const char *) data) >= 0;

  memcpy (b->buffer + b->used, data, len);
  b->used += len;
  b->lengths[b->count++] = len;

  /* Sent right after the current main-loop dispatch, before anything else runs. */
  if (b->flush_source == NULL)
    b->flush_source = ferry_source_attach (g_idle_source_new (), self->context, G_PRIORITY_HIGH,
                                           flush_batch_cb, self, NULL);
  return TRUE;
}

void
ferry_ice_transport_set_receive_func (FerryIceTransport   *self,
                                      FerryIceReceiveFunc  func,
                                      gpointer             user_data)
{
  GBytes *bytes;

  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  self->receive_func = func;
  self->receive_data = user_data;

  while (func != NULL && self->receive_func == func && (bytes = g_queue_pop_head (&self->early)))
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      func (data, len, user_data);
      g_bytes_unref (bytes);
    }
}

char *
ferry_ice_transport_describe_selected_pair (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), NULL);

  if (self->local_type == NULL)
    return NULL;
  return g_strdup_printf ("%s %s -> %s %s", self->local_type, self->local_address,
                          self->remote_type, self->remote_address);
}

guint
ferry_ice_transport_get_link_mtu (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), 0);

  return self->link_mtu;
}

gboolean
ferry_ice_transport_get_receive_offload (FerryIceTransport *self)
{
  int value = 0;
  socklen_t len = sizeof value;

  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), FALSE);

  return self->direct_socket != NULL &&
         getsockopt (self->batch.fd, SOL_UDP, UDP_GRO, &value, &len) == 0 && value != 0;
}

const char *
ferry_ice_transport_get_local_candidate_type (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), NULL);

  return self->local_type;
}

const char *
ferry_ice_transport_get_remote_candidate_type (FerryIceTransport *self)
{
  g_return_val_if_fail (FERRY_IS_ICE_TRANSPORT (self), NULL);

  return self->remote_type;
}

void
ferry_ice_transport_close (FerryIceTransport *self)
{
  NiceAgent *agent;

  g_return_if_fail (FERRY_IS_ICE_TRANSPORT (self));

  if (self->agent == NULL)
    return;

  set_state (self, FERRY_ICE_STATE_CLOSED);
  self->receive_func = NULL;
  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->gather_timeout, g_source_destroy);
  g_clear_pointer (&self->connect_timeout, g_source_destroy);

  flush_batch (self);
  g_clear_object (&self->direct_socket);
  agent = g_steal_pointer (&self->agent);
  g_signal_handlers_disconnect_by_data (agent, self);
  nice_agent_attach_recv (agent, self->stream_id, 1, self->context, NULL, NULL);
  /* Releases TURN allocations; the agent lives until that is done. */
  nice_agent_close_async (agent, NULL, NULL);
  g_object_unref (agent);
}
