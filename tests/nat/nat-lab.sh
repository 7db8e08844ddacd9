#!/bin/bash
# Build a small NAT lab out of network namespaces, run a command next to it, tear it all down.
#
#   tests/nat/nat-lab.sh [--a=cone|symmetric] [--b=cone|symmetric] [--name PREFIX] -- CMD ARGS…
#   tests/nat/nat-lab.sh down PREFIX     (remove what a run killed with SIGKILL left behind)
#
#   peer A 10.0.1.2 ─ router A ─┐                     ┌─ router B ─ peer B 10.0.2.2
#          (LAN 10.0.1.0/24)    198.51.100.11   .12   (LAN 10.0.2.0/24)
#                               └── "internet" bridge ┘
#                                  198.51.100.0/24
#                                        │
#                      STUN/TURN server (coturn) 198.51.100.2 and .3
#
# NAT types (RFC 4787), per router:
#   cone       plain masquerade: endpoint-independent mapping, address-and-port-dependent
#              filtering (a "port-restricted cone", the usual home router)
#   symmetric  masquerade fully-random: a new random port for every destination
# Both routers drop unsolicited packets on their WAN side, as real routers do.
#
# CMD runs in the caller's namespace (it uses `ip netns exec "$NAT_NS_A" …`) with these set:
#   NAT_LAB            the namespace prefix          NAT_LAB_DIR   a scratch directory (deleted)
#   NAT_NS_A, NAT_NS_B the peers' namespaces         NAT_TYPE_A, NAT_TYPE_B
#   NAT_NS_ROUTER_A, NAT_NS_ROUTER_B, NAT_NS_SERVER, NAT_NS_INTERNET
#   NAT_SERVER_IP, NAT_SERVER_IP2, NAT_STUN_URL, NAT_TURN_URL (udp), NAT_TURN_TCP_URL,
#   NAT_TURN_USER, NAT_TURN_PASSWORD, NAT_TURN_LOG
# Set NAT_LAB_KEEP_DIR=1 to keep NAT_LAB_DIR (coturn's log) after the run.
#
# Exit status: CMD's own. Without root, iproute2, nft or turnserver it exits 77 (skip), or 1 when
# CI=true so that a CI run cannot pass by skipping.
set -eu

readonly NET=198.51.100
readonly SERVER_IP=$NET.2
readonly SERVER_IP2=$NET.3
readonly TURN_PORT=3478
readonly TURN_USER=ferry
readonly TURN_PASSWORD=ferry-nat-lab
readonly TURN_REALM=nat-lab.ferry.test

log() { echo "nat-lab: $*" >&2; }

usage() {
  sed -n '2,5s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

skip_or_fail() {
  if [ "${CI:-}" = true ]; then
    log "FAIL: $1 (CI=true, so this is not skipped)"
    exit 1
  fi
  log "SKIP: $1"
  exit 77
}

check_requirements() {
  command -v ip >/dev/null 2>&1 || skip_or_fail "'ip' (iproute2) not found"
  command -v nft >/dev/null 2>&1 || skip_or_fail "'nft' (nftables) not found"
  command -v turnserver >/dev/null 2>&1 ||
    skip_or_fail "'turnserver' not found (apt-get install --no-install-recommends coturn)"
  [ "$(id -u)" -eq 0 ] || skip_or_fail "network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN)"
}

# All namespaces of a lab share the prefix, so `down` can find them without any state file.
lab_namespaces() {
  ip netns list 2>/dev/null | awk -v p="$1-" 'index($1, p) == 1 { print $1 }'
}

# Kill what still runs in the lab's namespaces (coturn, a peer a timed-out CMD left), then
# delete them. A live process would keep a namespace's network alive after `ip netns delete`.
lab_down() {
  local prefix=$1 ns pids all=""
  for ns in $(lab_namespaces "$prefix"); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    all="$all $pids"
  done
  if [ -n "${all// /}" ]; then
    kill -TERM $all 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 $all 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL $all 2>/dev/null || true
  fi
  for ns in $(lab_namespaces "$prefix"); do
    ip netns delete "$ns" 2>/dev/null || true
  done
}

# Labs of runs that died by SIGKILL (meson's second timeout signal, say) had no chance to run
# their trap. Their namespaces are named PREFIX-PID-HEX-…: delete those whose PID is gone.
reap_stale_labs() {
  local prefix=$1 ns pid lab reaped=" "
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
    lab=$(printf '%s\n' "$ns" | sed -n "s/^\($prefix-\([0-9][0-9]*\)-[0-9a-f]\{6\}\)-[a-z]*\$/\1 \2/p")
    [ -n "$lab" ] || continue
    pid=${lab#* }
    lab=${lab% *}
    case "$reaped" in *" $lab "*) continue ;; esac
    if ! kill -0 "$pid" 2>/dev/null; then
      log "removing stale lab $lab (pid $pid is gone)"
      lab_down "$lab"
      reaped="$reaped$lab "
    fi
  done
}

# A namespace with loopback up; IPv6 off so that nothing but the lab's IPv4 plan is gathered.
add_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# A veth from namespace $1 (interface $2) to namespace $3 (interface $4).
add_link() {
  ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

# nft has no -n option: run it inside the namespace.
nft_in() {
  local ns=$1
  shift
  ip netns exec "$ns" nft "$@"
}

# Plug namespace $2 into the internet bridge as $3/24 with the default route via $NET.1.
plug_in() {
  local inet=$1 ns=$2 ip=$3 port=$4
  add_link "$ns" wan0 "$inet" "$port"
  ip -n "$inet" link set "$port" master br0
  ip -n "$ns" addr add "$ip/24" dev wan0
  ip -n "$ns" route add default via "$NET.1" dev wan0
}

# Router $2 with WAN address $3 and LAN $4.0/24, NAT type $5; its peer namespace $6 gets $4.2.
setup_site() {
  local inet=$1 router=$2 wan_ip=$3 lan=$4 type=$5 peer=$6 port=$7 random=""
  add_ns "$router"
  add_ns "$peer"
  plug_in "$inet" "$router" "$wan_ip" "$port"
  add_link "$router" lan0 "$peer" lan0
  ip -n "$router" addr add "$lan.1/24" dev lan0
  ip -n "$peer" addr add "$lan.2/24" dev lan0
  ip -n "$peer" route add default via "$lan.1" dev lan0
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1

  case "$type" in
    cone) random="" ;;
    symmetric) random=" fully-random" ;;
  esac
  # input: unsolicited packets to the WAN address are dropped. Otherwise an early check from
  # the other peer leaves a conntrack entry (router-local, or an ICMP error) on the port the
  # NAT wants, the NAT remaps, and hole punching fails most of the time.
  nft_in "$router" -f - <<EOF
table ip nat {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade$random
  }
}
table ip filter {
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    iifname "wan0" drop
  }
}
EOF
}

# coturn on two addresses (RFC 5780 NAT discovery works with turnutils_natdiscovery), relaying
# from the first. Everything it writes goes to $dir: without --pidfile/--userdb it uses /var.
start_turnserver() {
  local ns=$1 dir=$2
  ip netns exec "$ns" turnserver -n \
    --listening-ip="$SERVER_IP" --listening-ip="$SERVER_IP2" --relay-ip="$SERVER_IP" \
    --listening-port=$TURN_PORT --min-port=49152 --max-port=49999 \
    --lt-cred-mech --user="$TURN_USER:$TURN_PASSWORD" --realm=$TURN_REALM --fingerprint \
    --no-tls --no-dtls --no-cli --relay-threads=1 \
    --simple-log --log-file="$dir/turnserver.log" --pidfile="$dir/turnserver.pid" \
    --userdb="$dir/turnserver.db" \
    >"$dir/turnserver.out" 2>&1 </dev/null &
  # Ready once it listens on UDP and TCP; it takes ~50 ms, a missing binary fails fast.
  local i
  for i in $(seq 1 100); do
    if ip netns exec "$ns" ss -Hlnu "src $SERVER_IP:$TURN_PORT" | grep -q . &&
      ip netns exec "$ns" ss -Hlnt "src $SERVER_IP:$TURN_PORT" | grep -q .; then
      return 0
    fi
    if ! kill -0 $! 2>/dev/null; then
      log "turnserver exited:"
      tail -n 20 "$dir/turnserver.out" "$dir/turnserver.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
  log "turnserver did not start listening within 5 s"
  return 1
}

lab_up() {
  local p=$1 type_a=$2 type_b=$3 dir=$4
  setup_internet_ns "$p-inet"
  add_ns "$p-srv"
  plug_in "$p-inet" "$p-srv" "$SERVER_IP" p-srv
  ip -n "$p-srv" addr add "$SERVER_IP2/24" dev wan0
  setup_site "$p-inet" "$p-ra" "$NET.11" 10.0.1 "$type_a" "$p-a" p-ra
  setup_site "$p-inet" "$p-rb" "$NET.12" 10.0.2 "$type_b" "$p-b" p-rb
  start_turnserver "$p-srv" "$dir"
}

# The "internet": a bridge the servers and routers plug into. It owns $NET.1, the default
# gateway of every internet host, and silently drops anything not for $NET.0/24 (before routing:
# with ip_forward=0 alone the kernel would answer ICMP unreachable). Without a default route
# coturn gets ENETUNREACH relaying a check to a private address and tears down the allocation.
setup_internet_ns() {
  local ns=$1
  add_ns "$ns"
  ip -n "$ns" link add br0 type bridge
  ip -n "$ns" addr add "$NET.1/24" dev br0
  ip -n "$ns" link set br0 up
  nft_in "$ns" -f - <<EOF
table ip lab {
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    ip daddr != $NET.0/24 drop
  }
}
EOF
}

main() {
  local prefix=ferry-nat type_a=cone type_b=cone
  if [ "${1:-}" = down ]; then
    [ $# -eq 2 ] || usage
    check_requirements
    lab_down "$2"
    exit 0
  fi
  while [ $# -gt 0 ]; do
    case "$1" in
      --a=*) type_a=${1#--a=} ;;
      --b=*) type_b=${1#--b=} ;;
      --name) prefix=${2:?--name needs a value}; shift ;;
      --name=*) prefix=${1#--name=} ;;
      --) shift; break ;;
      -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
      *) log "unknown option '$1'"; usage ;;
    esac
    shift
  done
  [ $# -gt 0 ] || usage
  for t in "$type_a" "$type_b"; do
    case "$t" in cone|symmetric) ;; *) log "unknown NAT type '$t' (cone or symmetric)"; exit 2 ;; esac
  done
  check_requirements

  # pid + random: parallel runs and leftovers of a killed run never collide. Short, because
  # the prefix also names the namespaces in `ip netns list`.
  local p
  p="$prefix-$$-$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')"
  LAB_PREFIX=$p
  LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$p.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP

  reap_stale_labs "$prefix"
  if ! ip netns add "$p-probe" 2>/dev/null; then
    skip_or_fail "cannot create a network namespace ('ip netns add' was refused)"
  fi
  ip netns delete "$p-probe"

  local t0 t1
  t0=$(date +%s%N)
  lab_up "$p" "$type_a" "$type_b" "$LAB_DIR"
  t1=$(date +%s%N)
  log "lab $p up in $(( (t1 - t0) / 1000000 )) ms (A: $type_a, B: $type_b)"

  export NAT_LAB=$p NAT_LAB_DIR=$LAB_DIR NAT_TYPE_A=$type_a NAT_TYPE_B=$type_b
  export NAT_NS_A=$p-a NAT_NS_B=$p-b NAT_NS_ROUTER_A=$p-ra NAT_NS_ROUTER_B=$p-rb
  export NAT_NS_SERVER=$p-srv NAT_NS_INTERNET=$p-inet
  export NAT_SERVER_IP=$SERVER_IP NAT_SERVER_IP2=$SERVER_IP2
  export NAT_STUN_URL=stun:$SERVER_IP:$TURN_PORT
  export NAT_TURN_URL=turn:$SERVER_IP:$TURN_PORT?transport=udp
  export NAT_TURN_TCP_URL=turn:$SERVER_IP:$TURN_PORT?transport=tcp
  export NAT_TURN_USER=$TURN_USER NAT_TURN_PASSWORD=$TURN_PASSWORD
  export NAT_TURN_LOG=$LAB_DIR/turnserver.log

  # Not `exec`: the trap must run after CMD. In the background + wait so that a TERM (meson's
  # timeout) reaches CMD and the trap runs at once. `<&0`: keep stdin for CMD.
  set +e
  "$@" <&0 &
  CHILD=$!
  trap 'kill -TERM $CHILD 2>/dev/null; wait $CHILD; exit 143' TERM
  trap 'kill -INT $CHILD 2>/dev/null; wait $CHILD; exit 130' INT
  wait $CHILD
  exit $?
}

cleanup() {
  local status=$? t0 t1
  t0=$(date +%s%N)
  lab_down "$LAB_PREFIX"
  [ -n "${NAT_LAB_KEEP_DIR:-}" ] && log "kept $LAB_DIR" || rm -rf "$LAB_DIR"
  t1=$(date +%s%N)
  log "lab $LAB_PREFIX down in $(( (t1 - t0) / 1000000 )) ms"
  exit $status
}

main "$@"
