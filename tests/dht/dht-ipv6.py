#!/usr/bin/env python3
# The DHT over IPv6, and a node on both families (docs/DHT.md, "The node"): in a namespace, 12
# Ferry nodes on IPv4 (198.18.I.1) and 12 on IPv6 (fd00::I), each family its own DHT (BEP 32).
# A dual-stack ferry-cli stores an item and announces a port on both; IPv6-only and IPv4-only
# ones read the item and find the peer, each in its own family.  It stores on both also when its
# IPv6 bootstrap node answers 1.5 s after the IPv4 DHT has let it in (through a relay
# that delays its queries: this script run with --relay).
#
#   dht-ipv6.py FERRY-CLI
#
# Needs root and iproute2: without them it exits 77, or fails when CI=true.
import json
import os
import re
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pairing'))
from ferry_procs import step  # noqa: E402
import ferry_procs  # noqa: E402

NODES = 12
SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
PUBLIC_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'  # RFC 8032, test 1
INFO_HASH = '6464646464646464646464646464646464646464'


def unavailable(why):
    print(f'dht-ipv6: {why}')
    sys.exit(1 if os.environ.get('CI') == 'true' else 77)


def relay(listen, upstream, delay):
    """Passes UDP datagrams from [LISTEN]:6881 to [UPSTREAM]:6881 DELAY seconds late, and the
    answers back at once, until killed."""
    clients = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    clients.bind((listen, 6881))
    up = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    up.bind((listen, 0))
    client, queue = None, []
    print('ready', flush=True)
    while True:
        wait = max(0.0, queue[0][0] - time.monotonic()) if queue else None
        readable = select.select([clients, up], [], [], wait)[0]
        if clients in readable:
            data, client = clients.recvfrom(65536)
            queue.append((time.monotonic() + float(delay), data))
        if up in readable:
            clients.sendto(up.recv(65536), client)
        while queue and queue[0][0] <= time.monotonic():
            up.sendto(queue.pop(0)[1], (upstream, 6881))


def main():
    if sys.argv[1] == '--relay':
        relay(*sys.argv[2:5])
        return
    cli = sys.argv[1]
    if os.geteuid() != 0:
        unavailable('network namespaces need root')
    ns = f'fdht6-{os.getpid()}'
    try:
        subprocess.run(['ip', 'netns', 'add', ns], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        unavailable(f'no network namespace: {e}')
    serve = late = None
    try:
        batch = 'link set lo up\n'
        batch += ''.join(f'address add 198.18.{i}.1/32 dev lo\n' for i in range(NODES + 3))
        batch += ''.join(f'address add fd00::{i + 1}/128 dev lo nodad\n' for i in range(NODES + 3))
        subprocess.run(['ip', '-n', ns, '-batch', '-'], input=batch, text=True, check=True)
        boot = ['--bootstrap', '198.18.0.1:6881', '--bootstrap', '[fd00::1]:6881']
        binds = [a for i in range(NODES) for a in ('--bind', f'198.18.{i}.1:6881', '--bind', f'[fd00::{i + 1}]:6881')]
        serve = subprocess.Popen(['ip', 'netns', 'exec', ns, cli, 'dht', 'serve', '--mode', 'server', *boot, *binds],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = set()
        deadline = time.monotonic() + 20
        while len(ready) < 2 * NODES and time.monotonic() < deadline:
            m = re.search(r'state=ready id=(\w+)', serve.stdout.readline())
            if m:
                ready.add(m.group(1))
        if len(ready) < 2 * NODES:
            raise AssertionError(f'only {len(ready)} of {2 * NODES} DHT nodes became ready')

        def dht(*args, binds, bootstrap=boot):
            out = subprocess.run(['ip', 'netns', 'exec', ns, cli, 'dht', *args, '--json', *bootstrap,
                                  *[a for b in binds for a in ('--bind', b)]],
                                 capture_output=True, text=True, timeout=60)
            lines = out.stdout.strip().splitlines()
            assert out.returncode == 0 and lines, f'ferry-cli dht {args[0]}: {out.returncode}: {out.stderr.strip()}'
            return json.loads(lines[-1])

        v4 = f'198.18.{NODES}.1'
        v6 = f'[fd00::{NODES + 1}]'

        def put_on_both():
            result = dht('put', 'on both families', '--seed', SEED, '--salt', 'v6', '--seq', '5',
                         binds=[v4, v6])
            # Eight of the closest in each family.
            assert result['nodes'] >= 12, result
            return f'stored at {result["nodes"]} nodes'

        def put_with_late_ipv6():
            nonlocal late
            relay_ip = f'fd00::{NODES + 3}'
            late = subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable, os.path.abspath(__file__),
                                     '--relay', relay_ip, 'fd00::1', '1.5'], stdout=subprocess.PIPE, text=True)
            assert late.stdout.readline().strip() == 'ready'
            result = dht('put', 'late', '--seed', SEED, '--salt', 'late', '--seq', '1', binds=[v4, v6],
                         bootstrap=['--bootstrap', '198.18.0.1:6881', '--bootstrap', f'[{relay_ip}]:6881'])
            assert result['nodes'] >= 12, result
            return f'stored at {result["nodes"]} nodes'

        def announce_on_both():
            result = dht('announce', INFO_HASH, binds=[f'{v4}:7100', f'{v6}:7100'])
            assert result['nodes'] >= 12, result
            return f'announced to {result["nodes"]} nodes'

        def read_from(address, family):
            def check():
                got = dht('get', PUBLIC_KEY, '--salt', 'v6', binds=[address])
                assert got['value'] == 'on both families' and got['seq'] == 5, got
                peers = dht('get-peers', INFO_HASH, binds=[address])['peers']
                expected = f'{v4}:7100' if family == 4 else f'{v6}:7100'
                assert peers == [expected], peers
                return f'seq 5 from {got["nodes"]} nodes; peers {peers}'
            return check

        step('a dual-stack node stores an item on both DHTs', put_on_both)
        step('also when its IPv6 bootstrap node answers 1.5 s late', put_with_late_ipv6)
        step('and announces its port on both', announce_on_both)
        step('an IPv6-only node reads it and finds the IPv6 peer', read_from(f'[fd00::{NODES + 2}]', 6))
        step('an IPv4-only node reads it and finds the IPv4 peer', read_from(f'198.18.{NODES + 1}.1', 4))
    finally:
        for process in (serve, late):
            if process is not None:
                process.kill()
                process.wait()
        subprocess.run(['ip', 'netns', 'delete', ns], capture_output=True)
    sys.exit(1 if ferry_procs.failed else 0)


if __name__ == '__main__':
    main()
