#!/usr/bin/env python3
"""Room join → first open channel over a private DHT, against the same kind of room through a
local tracker, in one run; and the signalling traffic each join costs.

    bench-dht.py FERRY_CLI [--runs 10] [--nodes 40] [--node NODE] [--json]

Three network namespaces on one switch (tests/pairing/ferry_procs.py's lan_up): peer A
10.79.0.2, peer B 10.79.0.3 and a server 10.79.0.1 that holds --nodes DHT nodes (one
`ferry-cli dht serve --mode server`, 198.18.I.1:6881 on its loopback: one address per /24, as DHT
lookups keep one node per /24 of public addresses; the peers route 198.18.0.0/15 through it) and
the reference WebTorrent tracker (tests/js/tracker-server.mjs, ws://10.79.0.1:PORT). No STUN:
the peers share a LAN and connect through host candidates, so what is measured is the meeting.

Each run has a new secret room (`ferry-cli new-room`; its link carries dht=1):
  DHT      A and B run `ferry-cli chat --no-trackers --dht-bootstrap 198.18.0.1:6881`. B starts
           once A is settled in the room's lobby: A's second lobby read (Ferry-Pairing debug line
           "the lobby has 0 other members"), which comes after its entry was written.
  tracker  A and B run `ferry-cli chat --no-dht --tracker ws://…`. B starts once the tracker
           printed A's announce.
The figure is B's after-join-ms on its peer-joined line for A (verified=yes): from B's
ferry_room_join () to the channel open and the hello checked, measured inside ferry-cli. The two
kinds alternate run by run.

Traffic: nft counters in A's and B's namespaces (an inet table, output hook) count what each sends
to UDP port 6881 (the DHT nodes) and to the tracker's TCP port; bytes are whole IP packets (IP
and UDP/TCP headers included; TCP counts its ACKs and the WebSocket handshake too). Per join: what
B sent from its start to its peer-joined line, and what A sent over the same span; also what A
sent from its start until B started (joining and waiting alone: the tracker's handshake and
announce, or the DHT's bootstrap, lobby reads and write, over about 8 s). The
peer-to-peer traffic (ICE, DTLS, SCTP) goes to other ports and is not counted.

Exit status 0 with figures, 1 when a run failed, 77 when something is missing (root, ip, nft,
node or tests/js's npm packages), or 1 then under CI=true.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'pairing'))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import ferry_procs  # noqa: E402

DHT_PORT = 6881
SERVER, PEER_A, PEER_B = '10.79.0.1', '10.79.0.2', '10.79.0.3'
TIMEOUT = 60


def node_address(i):
    return f'198.{18 + i // 256}.{i % 256}.1'


def sh(*args, input=None):
    r = subprocess.run(args, input=input, text=True, capture_output=True)
    if r.returncode != 0:
        raise benchlib.BenchError(f'{" ".join(args)}: {(r.stderr or r.stdout).strip()}')
    return r.stdout


class Counters:
    """nft counters of what a namespace sends to the DHT and to the tracker."""

    def __init__(self, ns, tracker_port):
        self.ns = ns
        sh('ip', 'netns', 'exec', ns, 'nft', '-f', '-', input=(
            'table inet benchdht {\n'
            '  chain out {\n'
            '    type filter hook output priority filter; policy accept;\n'
            f'    udp dport {DHT_PORT} counter comment "dht"\n'
            f'    tcp dport {tracker_port} counter comment "tracker"\n'
            '  }\n'
            '}\n'))

    def read(self):
        """{'dht': (packets, bytes), 'tracker': (packets, bytes)}"""
        out = json.loads(sh('ip', 'netns', 'exec', self.ns, 'nft', '-j', 'list', 'table', 'inet', 'benchdht'))
        found = {}
        for item in out['nftables']:
            rule = item.get('rule')
            if not rule:
                continue
            for expr in rule['expr']:
                if 'counter' in expr:
                    found[rule.get('comment')] = (expr['counter']['packets'], expr['counter']['bytes'])
        return found


def diff(after, before, key):
    return tuple(a - b for a, b in zip(after[key], before[key]))


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix='ferry-bench-dht-')
        tag = f'fbd{os.getpid()}'
        self.ns = {'server': f'{tag}-s', 'a': f'{tag}-a', 'b': f'{tag}-b'}
        self.names = [self.ns['server'], self.ns['a'], self.ns['b']]
        self.dht = None
        self.tracker = None
        self.runs = 0

    def env(self):
        env = {'GSETTINGS_BACKEND': 'memory', 'FERRY_DHT_BOOTSTRAP': '', 'G_MESSAGES_DEBUG': 'Ferry-Pairing'}
        for var in ('XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'):
            env[var] = os.path.join(self.tmp, var.lower())
        return env

    def up(self):
        ferry_procs.lan_up(self.names, [SERVER, PEER_A, PEER_B])
        server = self.ns['server']
        batch = ''.join(f'address add {node_address(i)}/32 dev lo\n' for i in range(self.args.nodes))
        sh('ip', '-n', server, '-batch', '-', input=batch)
        for peer in (self.ns['a'], self.ns['b']):
            sh('ip', '-n', peer, 'route', 'add', '198.18.0.0/15', 'via', SERVER, 'dev', 'eth0')

        argv = [self.args.cli, 'dht', 'serve', '--mode', 'server', '--json',
                '--bootstrap', f'{node_address(0)}:{DHT_PORT}']
        for i in range(self.args.nodes):
            argv += ['--bind', f'{node_address(i)}:{DHT_PORT}']
        t0 = time.monotonic()
        self.dht = benchlib.Proc(argv, ns=server, env=dict(os.environ, FERRY_DHT_BOOTSTRAP=''),
                                 stdin=subprocess.PIPE, name='dht serve')
        ready = set()
        while len(ready) < self.args.nodes:
            _t, _text, obj = self.dht.wait_line(
                lambda o, _t: isinstance(o, dict) and o.get('state') == 'ready' and o.get('id') not in ready,
                30, f'{self.args.nodes} DHT nodes ready')
            ready.add(obj['id'])
        benchlib.log(f'DHT: {self.args.nodes} nodes, {node_address(0)} to {node_address(self.args.nodes - 1)}, '
                     f'ready in {time.monotonic() - t0:.1f} s')

        self.tracker = benchlib.Proc([self.args.node, os.path.join(HERE, '..', 'js', 'tracker-server.mjs'),
                                      f'--host={SERVER}'], ns=server, stdin=subprocess.PIPE, name='tracker')
        _t, _text, obj = self.tracker.wait_line(lambda o, _t: isinstance(o, dict) and 'port' in o, 20, 'its port')
        self.tracker_port = obj['port']
        self.tracker_url = f'ws://{SERVER}:{self.tracker_port}'
        self.counters = {side: Counters(self.ns[side], self.tracker_port) for side in ('a', 'b')}

    def down(self):
        for p in (self.dht, self.tracker):
            if p is not None:
                p.stop()
        ferry_procs.lan_down(self.names)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def peer(self, side, kind, link):
        self.runs += 1
        name = f'{side.upper()}{self.runs}'
        if kind == 'dht':
            args = ['chat', '--no-trackers', '--dht-bootstrap', f'{node_address(0)}:{DHT_PORT}', link]
        else:
            args = ['chat', '--no-dht', '--tracker', self.tracker_url, link]
        return ferry_procs.Proc(self.args.cli, self.tmp, self.ns[side], args, name, env=self.env())

    def run(self, kind):
        link = sh(self.args.cli, 'new-room', f'bench-dht {kind}').strip()
        if 'dht=1' not in link:
            raise benchlib.BenchError(f'new-room made {link!r}, without dht=1')
        a = b = None
        try:
            before_a = self.counters['a'].read()
            a_started = time.monotonic()
            a = self.peer('a', kind, link)
            a_id = a.wait_line('err', r'ferry-cli: joining .*peer-id=(\w+)', 10).group(1)
            if kind == 'dht':
                a.wait_line('err', r'DHT rendezvous: the lobby has 0 other members', 20)
                a.wait_line('err', r'DHT rendezvous: the lobby has 0 other members', 20)
            else:
                self.tracker.wait_line(lambda o, _t: isinstance(o, dict) and o.get('peer_id') == a_id, 20,
                                       "A's announce")
            b_started = time.monotonic()
            at_b_start = {side: c.read() for side, c in self.counters.items()}
            b = self.peer('b', kind, link)
            # Through the tracker the peer's name comes later (peer-updated): any peer-joined, A is
            # the only other member.
            m = b.wait_line('err', r'ferry-cli: peer-joined .*verified=(\w+) .*after-join-ms=([0-9.]+)', TIMEOUT)
            at_join = {side: c.read() for side, c in self.counters.items()}
            if m.group(1) != 'yes':
                raise benchlib.BenchError(f'B: A joined with verified={m.group(1)}')
            a.wait_line('err', r'ferry-cli: peer-joined .*verified=yes', TIMEOUT)
            key = 'dht' if kind == 'dht' else 'tracker'
            waited = b_started - a_started
            return {
                'ms': float(m.group(2)),
                'b_sent': diff(at_join['b'], at_b_start['b'], key),
                'a_sent': diff(at_join['a'], at_b_start['a'], key),
                'a_alone': diff(at_b_start['a'], before_a, key),
                'a_alone_s': waited,
            }
        except AssertionError as e:
            raise benchlib.BenchError(str(e)) from None
        finally:
            for p in (a, b):
                if p is not None and p.p.poll() is None:
                    p.p.stdin.close()
                    try:
                        p.p.wait(5)
                    except subprocess.TimeoutExpired:
                        p.p.kill()
                        p.p.wait()


def row(r):
    return (f'{r["ms"]:9.1f}   {r["b_sent"][0]:5} / {r["b_sent"][1]:7}  '
            f'{r["a_sent"][0]:4} / {r["a_sent"][1]:6}')


def spread(values):
    q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
    return f'median {statistics.median(values):8.1f}  min {min(values):8.1f}  max {max(values):8.1f}  ' \
           f'IQR {q[0]:.1f}–{q[2]:.1f}'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    ap.add_argument('cli', help='ferry-cli')
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--nodes', type=int, default=40)
    ap.add_argument('--node', default='node', help='Node.js, for the tracker')
    ap.add_argument('--json', action='store_true', help='every figure as one JSON object, last line')
    args = ap.parse_args()
    args.cli = os.path.abspath(args.cli)
    if os.geteuid() != 0:
        benchlib.skip_or_fail('network namespaces need root')
    for tool in ('ip', 'nft'):
        benchlib.need_tool(tool, f"'{tool}'")
    args.node = benchlib.need_tool(args.node, 'node (for the tracker)')
    if not os.path.isdir(os.path.join(HERE, '..', 'js', 'node_modules', 'bittorrent-tracker')):
        benchlib.skip_or_fail('npm package bittorrent-tracker is missing (run npm ci in tests/js)')
    benchlib.install_signal_handlers()

    bench = Bench(args)
    results = {'dht': [], 'tracker': []}
    try:
        bench.up()
        print(f'room join → first open channel: B joins once A is in the room; {args.runs} runs each, '
              f'DHT of {args.nodes} nodes against a local tracker', flush=True)
        print('run      DHT ms   B sent (pkts/bytes)  A sent    |  tracker ms   B sent (pkts/bytes)  A sent',
              flush=True)
        for i in range(1, args.runs + 1):
            d = bench.run('dht')
            t = bench.run('tracker')
            results['dht'].append(d)
            results['tracker'].append(t)
            print(f'{i:3}  {row(d)}  |  {row(t)}', flush=True)
    except benchlib.BenchError as e:
        print(f'bench-dht FAIL: {e}', flush=True)
        return 1
    finally:
        bench.down()

    summary = {}
    print()
    for kind in ('dht', 'tracker'):
        rs = results[kind]
        ms = [r['ms'] for r in rs]
        b_pk = [r['b_sent'][0] for r in rs]
        b_by = [r['b_sent'][1] for r in rs]
        a_pk = [r['a_sent'][0] for r in rs]
        a_by = [r['a_sent'][1] for r in rs]
        alone_pk = [r['a_alone'][0] for r in rs]
        alone_by = [r['a_alone'][1] for r in rs]
        alone_s = [r['a_alone_s'] for r in rs]
        summary[kind] = {'ms': ms, 'b_packets': b_pk, 'b_bytes': b_by, 'a_packets': a_pk, 'a_bytes': a_by,
                         'a_alone_packets': alone_pk, 'a_alone_bytes': alone_by, 'a_alone_s': alone_s}
        label = 'DHT    ' if kind == 'dht' else 'tracker'
        print(f'{label} join → open ms:  {spread(ms)}')
        both_pk = statistics.median([x + y for x, y in zip(b_pk, a_pk)])
        both_by = statistics.median([x + y for x, y in zip(b_by, a_by)])
        print(f'{label} sent per join (medians): B {statistics.median(b_pk):.0f} packets, '
              f'{statistics.median(b_by) / 1024:.1f} KiB; A {statistics.median(a_pk):.0f} packets, '
              f'{statistics.median(a_by) / 1024:.1f} KiB; together {both_pk:.0f} packets, {both_by / 1024:.1f} KiB')
        print(f'{label} A before B started (medians): {statistics.median(alone_pk):.0f} packets, '
              f'{statistics.median(alone_by) / 1024:.1f} KiB in {statistics.median(alone_s):.1f} s')
    ratio = statistics.median(summary['dht']['ms']) / statistics.median(summary['tracker']['ms'])
    print(f'ratio DHT/tracker (median join → open): {ratio:.1f}×')
    summary['ratio'] = ratio
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
