#!/bin/bash
# Run a command inside a fresh, private network namespace and delete it afterwards.
#
#   tests/netns-run.sh [--name PREFIX] [--dht-addresses N] -- CMD ARGS…
#
# The namespace has `lo` up and one veth pair (v0 10.213.0.1/24 <-> v1 10.213.0.2/24) with a
# default route on v0: WebRTC stacks only gather host candidates on a non-loopback interface, and
# browsers gather nothing at all without a default route. Nothing is forwarded, so no packet can
# leave the namespace; mDNS multicast from browsers stays inside it too.
#
# --dht-addresses N also puts 198.18.I.1/32 on `lo` for I = 0…N-1 (N ≤ 256): one address per /24,
# since DHT nodes take one node per /24 into a lookup (tests/dht).
#
# Exit status: the command's own (77 = skip passes through). Without root (or when `ip netns` is
# not permitted) the script exits 77, or fails when CI=true so a CI run cannot silently skip.
set -u

prefix=ferry
dht_addresses=0
usage="usage: $0 [--name PREFIX] [--dht-addresses N] -- CMD ARGS…"
while [ $# -gt 0 ]; do
  case "$1" in
    --name) prefix=${2:?--name needs a value}; shift 2 ;;
    --name=*) prefix=${1#--name=}; shift ;;
    --dht-addresses) dht_addresses=${2:?--dht-addresses needs a value}; shift 2 ;;
    --dht-addresses=*) dht_addresses=${1#--dht-addresses=}; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "netns-run: unknown option '$1' ($usage)" >&2; exit 2 ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "netns-run: no command given ($usage)" >&2
  exit 2
fi
case "$dht_addresses" in
  ''|*[!0-9]*) echo "netns-run: --dht-addresses wants a number from 0 to 256, not '$dht_addresses'" >&2; exit 2 ;;
esac
if [ "$dht_addresses" -gt 256 ]; then
  echo "netns-run: --dht-addresses wants a number from 0 to 256, not '$dht_addresses'" >&2
  exit 2
fi

skip_or_fail() {
  if [ "${CI:-}" = true ]; then
    echo "netns-run: FAIL: $1 (CI=true, so this is not skipped)" >&2
    exit 1
  fi
  echo "netns-run: SKIP: $1" >&2
  exit 77
}

command -v ip >/dev/null 2>&1 || skip_or_fail "'ip' (iproute2) not found"
[ "$(id -u)" -eq 0 ] || skip_or_fail "network namespaces need root (CAP_NET_ADMIN and CAP_SYS_ADMIN)"

# Interface names are per namespace, so only the namespace name must be unique: pid + random
# keeps parallel meson tests (and leftovers from a killed run) apart.
ns="${prefix}-$$-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"

cleanup() {
  local pids
  # Anything the command left behind (a browser's helper processes, say) would keep the
  # namespace alive after `ip netns delete`; all of them are our own descendants.
  pids=$(ip netns pids "$ns" 2>/dev/null)
  if [ -n "$pids" ]; then
    kill -TERM $pids 2>/dev/null
    sleep 0.5
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
  fi
  ip netns delete "$ns" 2>/dev/null
}

if ! ip netns add "$ns" 2>/dev/null; then
  skip_or_fail "cannot create a network namespace ('ip netns add' was refused)"
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

set -e
ip -n "$ns" link set lo up
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" addr add 10.213.0.1/24 dev v0
ip -n "$ns" addr add 10.213.0.2/24 dev v1
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
ip -n "$ns" route add default dev v0
for ((i = 0; i < dht_addresses; i++)); do
  ip -n "$ns" addr add "198.18.$i.1/32" dev lo
done
set +e

# Not `exec`: the trap must run after the command ends. Run it in the background and wait so
# that a TERM sent to this script (meson's timeout) runs the trap at once.
# (`<&0`: a background job would otherwise get /dev/null as stdin.)
ip netns exec "$ns" "$@" <&0 &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child; exit 143' TERM
trap 'kill -INT $child 2>/dev/null; wait $child; exit 130' INT
wait $child
status=$?
exit $status
