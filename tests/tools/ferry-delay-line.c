/* ferry-delay-line: a network path with delay, loss and a rate limit, in user space.
 *
 *   ferry-delay-line [--netns-a PATH] [--netns-b PATH] [--dev-a NAME] [--dev-b NAME]
 *                    [--addr-a IP] [--addr-b IP] [--prefix-len N] [--mtu N]
 *                    [--delay-ms MS] [--rate-mbit MBIT] [--queue-bytes N] [--loss P]
 *                    [--seed N] [--realtime]
 *
 * The kernel here has no netem qdisc, so the benchmarks build their "real path" with this tool.
 * It creates one TUN device in each of two network namespaces (--netns-a/--netns-b: paths such
 * as /run/netns/NAME; default: its own namespace), gives them the addresses --addr-a and
 * --addr-b (default 10.99.0.1 and 10.99.0.2, /24) and a default route, and forwards every IP
 * packet that one side sends to the other, the way a link between two routers would:
 *
 *   - loss: each packet is dropped with probability --loss (0..1), in both directions;
 *   - rate: each direction is a link of --rate-mbit (0 = unlimited) counted in IP bytes, with a
 *     tail-drop queue of --queue-bytes in front of it (default: one bandwidth-delay product,
 *     rate × 2 × delay, at least 64 KiB), as a router's output queue;
 *   - delay: a packet leaves the far end --delay-ms after it finished crossing the link.
 *
 * The delay is constant, so each direction is a FIFO ordered by delivery time; one thread polls
 * both devices and sleeps until the next delivery (ppoll with nanoseconds, 1 µs timer slack).
 * --realtime asks for SCHED_FIFO so that a busy machine does not add jitter to the path.
 *
 * Once both devices are up it prints one JSON line on stdout ({"ready":true,…}). It stops on
 * SIGINT, SIGTERM or end of standard input and then prints one JSON line of counters. The TUN
 * devices vanish with the process. Needs CAP_NET_ADMIN (and CAP_SYS_ADMIN for --netns-*).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <math.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_BATCH 64
#define NSEC 1000000000ull

typedef struct {
  uint64_t due_ns; /* when the packet leaves the far end */
  uint32_t len;
} Slot;

/* One direction of the path: packets read from `in` wait here, then are written to `out`. */
typedef struct {
  const char *name;
  int in, out;
  Slot *slots;
  uint8_t *data; /* n_slots × slot_size bytes */
  size_t n_slots, head, count;
  uint64_t link_free_ns; /* when the link has sent everything accepted so far */
  /* counters */
  uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, lost, queue_drops, fifo_drops,
      write_errors, max_backlog_bytes;
} Direction;

static struct {
  const char *netns[2];
  const char *dev[2];
  const char *addr[2];
  int prefix_len;
  int mtu;
  double delay_ms;
  double rate_mbit;
  double queue_bytes;
  double loss;
  uint64_t seed;
  bool realtime;
} opt = {
  .dev = { "dl0", "dl0" },
  .addr = { "10.99.0.1", "10.99.0.2" },
  .prefix_len = 24,
  .mtu = 1500,
  .delay_ms = 25,
  .rate_mbit = 200,
  .queue_bytes = -1,
  .loss = 0,
  .seed = 0,
};

static size_t slot_size;
static uint64_t rng_state;

static void
die (const char *what)
{
  fprintf (stderr, "ferry-delay-line: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
usage_error (const char *msg)
{
  fprintf (stderr, "ferry-delay-line: %s (see the comment at the top of the source)\n", msg);
  exit (2);
}

static uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * NSEC + (uint64_t) ts.tv_nsec;
}

/* xorshift64*: plenty for a loss decision. */
static double
random_unit (void)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double) ((rng_state * 2685821657736338717ull) >> 11) / (double) (1ull << 53);
}

static void
enter_netns (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    die (path);
  if (setns (fd, CLONE_NEWNET) < 0)
    die ("setns");
  close (fd);
}

static void
set_addr (struct sockaddr *sa, in_addr_t a)
{
  struct sockaddr_in *sin = (struct sockaddr_in *) sa;
  memset (sin, 0, sizeof *sin);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = a;
}

/* Creates the TUN device `name` in the current namespace, addressed and up, with a default
 * route through it. Returns its non-blocking file descriptor. */
static int
make_tun (const char *name, const char *addr)
{
  struct ifreq ifr;
  struct in_addr in;
  int fd, sock;

  if (inet_pton (AF_INET, addr, &in) != 1)
    usage_error ("an address is not an IPv4 address");
  fd = open ("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    die ("/dev/net/tun");
  memset (&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf (ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl (fd, TUNSETIFF, &ifr) < 0)
    die ("TUNSETIFF");

  sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    die ("socket");
  set_addr (&ifr.ifr_addr, in.s_addr);
  if (ioctl (sock, SIOCSIFADDR, &ifr) < 0)
    die ("SIOCSIFADDR");
  set_addr (&ifr.ifr_netmask, htonl (opt.prefix_len ? ~0u << (32 - opt.prefix_len) : 0));
  if (ioctl (sock, SIOCSIFNETMASK, &ifr) < 0)
    die ("SIOCSIFNETMASK");
  ifr.ifr_mtu = opt.mtu;
  if (ioctl (sock, SIOCSIFMTU, &ifr) < 0)
    die ("SIOCSIFMTU");
  ifr.ifr_qlen = 1000;
  if (ioctl (sock, SIOCSIFTXQLEN, &ifr) < 0)
    die ("SIOCSIFTXQLEN");
  if (ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    die ("SIOCGIFFLAGS");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (sock, SIOCSIFFLAGS, &ifr) < 0)
    die ("SIOCSIFFLAGS");

  /* Browsers and some WebRTC stacks gather nothing without a default route. */
  struct rtentry rt;
  memset (&rt, 0, sizeof rt);
  set_addr (&rt.rt_dst, INADDR_ANY);
  set_addr (&rt.rt_genmask, INADDR_ANY);
  rt.rt_flags = RTF_UP;
  rt.rt_dev = (char *) name;
  if (ioctl (sock, SIOCADDRT, &rt) < 0 && errno != EEXIST)
    die ("SIOCADDRT (default route)");
  close (sock);
  return fd;
}

static void
direction_init (Direction *d, const char *name, int in, int out)
{
  memset (d, 0, sizeof *d);
  d->name = name;
  d->in = in;
  d->out = out;
  /* Enough for the queue plus one delay's worth of packets at full rate, in small packets;
   * malloc'd memory is only touched (resident) as the ring goes round. */
  d->n_slots = 16384;
  d->slots = calloc (d->n_slots, sizeof *d->slots);
  d->data = malloc (d->n_slots * slot_size);
  if (!d->slots || !d->data)
    die ("malloc");
}

static void
accept_packet (Direction *d, uint64_t now, size_t len)
{
  Slot *s = &d->slots[(d->head + d->count) % d->n_slots];
  uint64_t start, delay_ns = (uint64_t) (opt.delay_ms * 1e6);

  d->rx_packets++;
  d->rx_bytes += len;
  if (opt.loss > 0 && random_unit () < opt.loss) {
    d->lost++;
    return;
  }
  /* A full ring is this tool's limit, not the link's: such a packet takes no link time. */
  if (d->count == d->n_slots) {
    d->fifo_drops++;
    return;
  }
  start = d->link_free_ns > now ? d->link_free_ns : now;
  if (opt.rate_mbit > 0) {
    double backlog = (double) (start - now) * opt.rate_mbit / 8e3; /* bytes still queued */
    if (backlog + (double) len > opt.queue_bytes) {
      d->queue_drops++;
      return;
    }
    if ((uint64_t) backlog + len > d->max_backlog_bytes)
      d->max_backlog_bytes = (uint64_t) backlog + len;
    d->link_free_ns = start + (uint64_t) ((double) len * 8e3 / opt.rate_mbit);
  } else {
    d->link_free_ns = start;
  }
  s->due_ns = d->link_free_ns + delay_ns;
  s->len = (uint32_t) len;
  d->count++;
}

/* Reads up to READ_BATCH packets straight into the next free slots. */
static void
read_packets (Direction *d)
{
  for (int i = 0; i < READ_BATCH; i++) {
    size_t idx = (d->head + d->count) % d->n_slots;
    uint8_t scratch[65536];
    uint8_t *buf = d->count < d->n_slots ? d->data + idx * slot_size : scratch;
    size_t cap = d->count < d->n_slots ? slot_size : sizeof scratch;
    ssize_t n = read (d->in, buf, cap);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN)
        return;
      die ("read");
    }
    if (n == 0)
      return;
    accept_packet (d, now_ns (), (size_t) n);
  }
}

/* Writes every packet that is due; returns when the next one is due (0: none queued). */
static uint64_t
deliver_due (Direction *d, uint64_t now)
{
  while (d->count > 0) {
    Slot *s = &d->slots[d->head];
    if (s->due_ns > now)
      return s->due_ns;
    ssize_t n = write (d->out, d->data + d->head * slot_size, s->len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return now + 20000; /* try again in 20 µs */
    if (n < 0) {
      d->write_errors++;
    } else {
      d->tx_packets++;
      d->tx_bytes += s->len;
    }
    d->head = (d->head + 1) % d->n_slots;
    d->count--;
  }
  return 0;
}

static void
print_counters (FILE *f, const Direction *d)
{
  fprintf (f,
           "\"%s\":{\"rx_packets\":%llu,\"rx_bytes\":%llu,\"tx_packets\":%llu,\"tx_bytes\":%llu,"
           "\"lost\":%llu,\"queue_drops\":%llu,\"fifo_drops\":%llu,\"write_errors\":%llu,"
           "\"max_backlog_bytes\":%llu}",
           d->name, (unsigned long long) d->rx_packets, (unsigned long long) d->rx_bytes,
           (unsigned long long) d->tx_packets, (unsigned long long) d->tx_bytes,
           (unsigned long long) d->lost, (unsigned long long) d->queue_drops,
           (unsigned long long) d->fifo_drops, (unsigned long long) d->write_errors,
           (unsigned long long) d->max_backlog_bytes);
}

static void
parse_args (int argc, char **argv)
{
  static const struct option longopts[] = {
    { "netns-a", required_argument, NULL, 'A' },
    { "netns-b", required_argument, NULL, 'B' },
    { "dev-a", required_argument, NULL, 'a' },
    { "dev-b", required_argument, NULL, 'b' },
    { "addr-a", required_argument, NULL, 'x' },
    { "addr-b", required_argument, NULL, 'y' },
    { "prefix-len", required_argument, NULL, 'p' },
    { "mtu", required_argument, NULL, 'm' },
    { "delay-ms", required_argument, NULL, 'd' },
    { "rate-mbit", required_argument, NULL, 'r' },
    { "queue-bytes", required_argument, NULL, 'q' },
    { "loss", required_argument, NULL, 'l' },
    { "seed", required_argument, NULL, 's' },
    { "realtime", no_argument, NULL, 'R' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  int c;
  char *end;

  while ((c = getopt_long (argc, argv, "h", longopts, NULL)) != -1) {
    errno = 0;
    end = NULL;
    switch (c) {
    case 'A': opt.netns[0] = optarg; break;
    case 'B': opt.netns[1] = optarg; break;
    case 'a': opt.dev[0] = optarg; break;
    case 'b': opt.dev[1] = optarg; break;
    case 'x': opt.addr[0] = optarg; break;
    case 'y': opt.addr[1] = optarg; break;
    case 'p': opt.prefix_len = (int) strtol (optarg, &end, 10); break;
    case 'm': opt.mtu = (int) strtol (optarg, &end, 10); break;
    case 'd': opt.delay_ms = strtod (optarg, &end); break;
    case 'r': opt.rate_mbit = strtod (optarg, &end); break;
    case 'q': opt.queue_bytes = strtod (optarg, &end); break;
    case 'l': opt.loss = strtod (optarg, &end); break;
    case 's': opt.seed = strtoull (optarg, &end, 10); break;
    case 'R': opt.realtime = true; break;
    case 'h':
      printf ("usage: ferry-delay-line [--netns-a PATH] [--netns-b PATH] [--dev-a NAME] "
              "[--dev-b NAME]\n  [--addr-a IP] [--addr-b IP] [--prefix-len N] [--mtu N] "
              "[--delay-ms MS] [--rate-mbit MBIT]\n  [--queue-bytes N] [--loss P] [--seed N] "
              "[--realtime]\n");
      exit (0);
    default: usage_error ("unknown option");
    }
    if (end && (*end || errno))
      usage_error ("an option needs a number");
  }
  if (optind != argc)
    usage_error ("unexpected argument");
  if (opt.prefix_len < 0 || opt.prefix_len > 32 || opt.mtu < 576 || opt.mtu > 65535 ||
      !(opt.delay_ms >= 0) || !(opt.rate_mbit >= 0) || !(opt.loss >= 0 && opt.loss <= 1))
    usage_error ("an option is out of range");
  if (!opt.netns[0] && !opt.netns[1] && strcmp (opt.dev[0], opt.dev[1]) == 0)
    usage_error ("both devices in one namespace need different names (--dev-a/--dev-b)");
  if (opt.queue_bytes < 0)
    opt.queue_bytes = fmax (65536, opt.rate_mbit * 1e6 / 8 * 2 * opt.delay_ms / 1e3);
  if (!opt.seed)
    opt.seed = (uint64_t) now_ns () ^ ((uint64_t) getpid () << 32);
}

int
main (int argc, char **argv)
{
  Direction dirs[2];
  int tun[2], own_ns, sfd;
  sigset_t mask;

  parse_args (argc, argv);
  rng_state = opt.seed | 1;
  slot_size = ((size_t) opt.mtu + 63) & ~(size_t) 63;

  own_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (own_ns < 0)
    die ("/proc/self/ns/net");
  for (int i = 0; i < 2; i++) {
    if (opt.netns[i])
      enter_netns (opt.netns[i]);
    tun[i] = make_tun (opt.dev[i], opt.addr[i]);
    if (opt.netns[i] && setns (own_ns, CLONE_NEWNET) < 0)
      die ("setns (back)");
  }
  close (own_ns);

  direction_init (&dirs[0], "a_to_b", tun[0], tun[1]);
  direction_init (&dirs[1], "b_to_a", tun[1], tun[0]);

  sigemptyset (&mask);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGTERM);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  signal (SIGPIPE, SIG_IGN);
  sfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    die ("signalfd");

  prctl (PR_SET_TIMERSLACK, 1000UL);
  if (opt.realtime) {
    struct sched_param sp = { .sched_priority = 10 };
    if (sched_setscheduler (0, SCHED_FIFO, &sp) < 0)
      fprintf (stderr, "ferry-delay-line: SCHED_FIFO refused (%s), going on without\n",
               strerror (errno));
  }

  printf ("{\"ready\":true,\"dev_a\":\"%s\",\"dev_b\":\"%s\",\"addr_a\":\"%s\",\"addr_b\":\"%s\","
          "\"delay_ms\":%g,\"rate_mbit\":%g,\"queue_bytes\":%.0f,\"loss\":%g,\"mtu\":%d}\n",
          opt.dev[0], opt.dev[1], opt.addr[0], opt.addr[1], opt.delay_ms, opt.rate_mbit,
          opt.queue_bytes, opt.loss, opt.mtu);
  fflush (stdout);

  struct pollfd pfd[4] = {
    { .fd = tun[0], .events = POLLIN },
    { .fd = tun[1], .events = POLLIN },
    { .fd = sfd, .events = POLLIN },
    { .fd = STDIN_FILENO, .events = POLLIN },
  };
  /* Standard input is watched only when it can reach end-of-file on purpose (a pipe, a
   * terminal): /dev/null would stop the tool at once. */
  struct stat st;
  int n_fds = 3;
  if (fstat (STDIN_FILENO, &st) == 0 && (S_ISFIFO (st.st_mode) || S_ISSOCK (st.st_mode) ||
                                          isatty (STDIN_FILENO)))
    n_fds = 4;
  bool running = true;
  while (running) {
    uint64_t now = now_ns (), next = 0;
    for (int i = 0; i < 2; i++) {
      uint64_t due = deliver_due (&dirs[i], now);
      if (due && (!next || due < next))
        next = due;
    }
    struct timespec ts, *tsp = NULL;
    if (next) {
      uint64_t wait = next > now ? next - now : 0;
      ts.tv_sec = (time_t) (wait / NSEC);
      ts.tv_nsec = (long) (wait % NSEC);
      tsp = &ts;
    }
    int n = ppoll (pfd, (nfds_t) n_fds, tsp, NULL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      die ("ppoll");
    }
    for (int i = 0; i < 2; i++)
      if (pfd[i].revents & POLLIN)
        read_packets (&dirs[i]);
    if (pfd[2].revents)
      running = false;
    if (n_fds == 4 && pfd[3].revents) {
      char buf[256];
      ssize_t r = read (STDIN_FILENO, buf, sizeof buf);
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        running = false;
      if (pfd[3].revents & (POLLHUP | POLLERR | POLLNVAL))
        running = false;
    }
  }

  printf ("{\"stopped\":true,");
  print_counters (stdout, &dirs[0]);
  printf (",");
  print_counters (stdout, &dirs[1]);
  printf ("}\n");
  fflush (stdout);
  return 0;
}
