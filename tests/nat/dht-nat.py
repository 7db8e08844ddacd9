#!/usr/bin/env python3
"""Secret rooms that meet over a private DHT, with no tracker, across the NAT lab.

Runs inside tests/nat/nat-lab.sh (it reads NAT_LAB, NAT_LAB_DIR, NAT_NS_A, NAT_NS_B,
NAT_NS_ROUTER_A, NAT_NS_ROUTER_B, NAT_NS_INTERNET, NAT_STUN_URL and, with --turn, NAT_TURN_URL,
NAT_TURN_USER and NAT_TURN_PASSWORD):

    nat-lab.sh --a=cone --b=cone -- dht-nat.py FERRY_CLI [--phases plain|slow|plain,slow]
    nat-lab.sh --a=symmetric --b=symmetric -- dht-nat.py FERRY_CLI --turn [--phases …]

The DHT: one `ferry-cli dht serve --mode server` with --nodes nodes (default 20) in a namespace
of the lab's, NAT_LAB-dht (deleted with the lab), plugged into the internet bridge as
198.51.100.100. Its nodes listen on 198.18.I.1:6881 (on its loopback), one address per /24: DHT
lookups keep one node per /24 of public addresses, so nodes sharing 198.51.100.0/24 would look
like a single one. The two routers get a route to 198.18.0.0/15 via 198.51.100.100, and the
internet's rule "drop what is not for 198.51.100.0/24" (which bridged IPv4 meets too, br_netfilter
being on in new namespaces) gets an exception for 198.18.0.0/15. The routers' NAT and filtering
are left as they are: the peers reach the DHT as ordinary clients (read-only nodes) behind them.

Every pair has its own room (`ferry-cli new-room`, a link with dht=1): A in NAT_NS_A, B in
NAT_NS_B, both `ferry-cli chat --no-trackers --dht-bootstrap 198.18.0.1:6881`, coturn as STUN
server, and with --turn as TURN server too (two symmetric NATs: only relays can meet). A pair
passes when each side prints peer-joined for the other with verified=yes and one chat line crossed
each way; its join time is the later side's after-join-ms. Phases:
  plain   --pairs pairs (default 20), --concurrency at a time (default 20: all at once)
  slow    the same with --dht-read-delay (default 10000 ms) on both sides, so that signalling
          through the DHT is that much slower each way, and --loss % (default 5) of the packets
          that cross the internet bridge dropped at random (nft numgen, in a bridge table of the
          internet's namespace: DHT, STUN, TURN and peer-to-peer traffic alike)
Every pair must pass: a failed pair is reported with its peers' Ferry-DHT and Ferry-Pairing
debug lines (--debug changes the domains), never retried. -v shows every pair's lines.

Exit status: 0 when every pair of every phase passed, 1 otherwise, 2 on bad usage.
"""

import argparse
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

DHT_PORT = 6881
DHT_WAN_IP = '198.51.100.100'
DHT_NET = '198.18.0.0/15'
# Printed once per failed pair rather than once a second: a mailbox read again that still holds
# the value taken before.
NOISE = 'older than one already taken'


def log(text=''):
    print(text, flush=True)


def sh(*args, input=None):
    r = subprocess.run(args, input=input, text=True, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f'{" ".join(args)}: {(r.stderr or r.stdout).strip()}')
    return r.stdout


def node_address(i):
    return f'198.{18 + i // 256}.{i % 256}.1'


class Proc:
    """A child in a namespace; its stdout and stderr lines queued, and kept with their time."""

    def __init__(self, ns, argv, env, name):
        self.name = name
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(['ip', 'netns', 'exec', ns, *argv], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  text=True, bufsize=1)
        self.lines = {'out': queue.Queue(), 'err': queue.Queue()}
        self.seen = {'out': [], 'err': []}
        self.log = []          # (seconds since start, stream, line)
        for key, stream in (('out', self.p.stdout), ('err', self.p.stderr)):
            threading.Thread(target=self._pump, args=(key, stream), daemon=True).start()

    def _pump(self, key, stream):
        for line in stream:
            line = line.rstrip('\n')
            self.log.append((time.monotonic() - self.t0, key, line))
            self.lines[key].put(line)
        self.lines[key].put(None)

    def wait_line(self, key, pattern, deadline):
        """The first line of stdout ('out') or stderr ('err') that matches, as a match; lines
        read by an earlier wait count too."""
        for line in self.seen[key]:
            m = re.search(pattern, line)
            if m:
                return m
        while True:
            try:
                line = self.lines[key].get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f'{self.name}: no /{pattern}/ in time') from None
            if line is None:
                self.lines[key].put(None)
                raise AssertionError(f'{self.name} exited with {self.p.wait()} before /{pattern}/')
            self.seen[key].append(line)
            m = re.search(pattern, line)
            if m:
                return m

    def say(self, text):
        self.p.stdin.write(text + '\n')
        self.p.stdin.flush()

    def stop(self, timeout=5):
        """Closes stdin (ferry-cli's signal to leave) and waits; kills it if it lingers."""
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None


class Lab:
    """The DHT's namespace, plugged into the NAT lab, and its nodes."""

    def __init__(self, args):
        self.args = args
        self.ns = os.environ['NAT_LAB'] + '-dht'
        self.inet = os.environ['NAT_NS_INTERNET']
        self.dht = None
        self.tcpdump = None
        self.tmp = tempfile.mkdtemp(prefix='dht-nat-', dir=os.environ.get('NAT_LAB_DIR'))

    def up(self):
        ns, inet = self.ns, self.inet
        sh('ip', 'netns', 'add', ns)
        batch = ['link set lo up',
                 f'link add wan0 type veth peer name p-dht netns {inet}',
                 'link set wan0 up',
                 f'address add {DHT_WAN_IP}/24 dev wan0']
        batch += [f'address add {node_address(i)}/32 dev lo' for i in range(self.args.nodes)]
        sh('ip', '-n', ns, '-batch', '-', input='\n'.join(batch) + '\n')
        sh('ip', '-n', inet, 'link', 'set', 'p-dht', 'master', 'br0', 'up')
        for router in (os.environ['NAT_NS_ROUTER_A'], os.environ['NAT_NS_ROUTER_B']):
            sh('ip', '-n', router, 'route', 'add', DHT_NET, 'via', DHT_WAN_IP, 'dev', 'wan0')
        sh('ip', 'netns', 'exec', inet, 'nft', 'insert', 'rule', 'ip', 'lab', 'pre',
           'ip', 'daddr', DHT_NET, 'accept')
        if self.args.pcap:
            self.tcpdump = subprocess.Popen(['ip', 'netns', 'exec', ns, 'tcpdump', '-i', 'wan0', '-s', '0',
                                             '-U', '-w', self.args.pcap, 'udp'], stderr=subprocess.DEVNULL)
            time.sleep(0.5)

    def start_dht(self):
        n = self.args.nodes
        argv = [self.args.cli, 'dht', 'serve', '--mode', 'server', '--json',
                '--bootstrap', f'{node_address(0)}:{DHT_PORT}']
        for i in range(n):
            argv += ['--bind', f'{node_address(i)}:{DHT_PORT}']
        t0 = time.monotonic()
        self.dht = Proc(self.ns, argv, dict(os.environ, FERRY_DHT_BOOTSTRAP=''), 'dht serve')
        ready = set()
        deadline = t0 + 30
        while len(ready) < n:
            ready.add(self.dht.wait_line('out', r'"state":"ready".*"id":"(\w+)"', deadline).group(1))
            self.dht.seen['out'] = []
        log(f'# DHT: {n} nodes, {node_address(0)} to {node_address(n - 1)}, ready in '
            f'{time.monotonic() - t0:.1f} s')

    def set_loss(self, percent):
        subprocess.run(['ip', 'netns', 'exec', self.inet, 'nft', 'delete', 'table', 'bridge', 'dhtnatloss'],
                       capture_output=True)
        if percent:
            sh('ip', 'netns', 'exec', self.inet, 'nft', '-f', '-', input=(
                'table bridge dhtnatloss {\n'
                '  chain lossy {\n'
                '    type filter hook forward priority filter; policy accept;\n'
                f'    numgen random mod 100 < {percent} counter drop\n'
                '  }\n'
                '}\n'))

    def dropped(self):
        out = subprocess.run(['ip', 'netns', 'exec', self.inet, 'nft', 'list', 'table', 'bridge', 'dhtnatloss'],
                             capture_output=True, text=True).stdout
        m = re.search(r'packets (\d+)', out)
        return int(m.group(1)) if m else 0

    def down(self):
        # The namespace goes with the lab (its name has the lab's prefix); its processes too, but
        # the DHT is told to stop first.
        if self.dht:
            self.dht.stop()
        if self.tcpdump:
            self.tcpdump.terminate()
            self.tcpdump.wait()


class Pair:
    def __init__(self, lab, index, phase):
        self.lab, self.index, self.phase = lab, index, phase
        self.tag = f'{phase["name"]}{index}'
        self.a = self.b = None
        self.error = None
        self.join_ms = {}
        self.chat_s = None

    def peer_argv(self, name, link):
        args = self.lab.args
        argv = [args.cli, 'chat', '--no-trackers', '--dht-bootstrap', f'{node_address(0)}:{DHT_PORT}',
                '--stun', os.environ['NAT_STUN_URL'], '--name', name,
                '--identity', os.path.join(self.lab.tmp, f'{name}.pem')]
        if args.turn:
            argv += ['--turn', os.environ['NAT_TURN_URL'], '--turn-user', os.environ['NAT_TURN_USER'],
                     '--turn-password', os.environ['NAT_TURN_PASSWORD']]
        if self.phase['delay']:
            argv += ['--dht-read-delay', str(self.phase['delay'])]
        return argv + [link]

    def run(self):
        args = self.lab.args
        na, nb = f'A{self.tag}', f'B{self.tag}'
        env = dict(os.environ, FERRY_STUN_SERVERS='', FERRY_TRACKERS='', FERRY_DHT_BOOTSTRAP='',
                   G_MESSAGES_DEBUG=args.debug)
        for var in ('XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'):
            env[var] = os.path.join(self.lab.tmp, var.lower())
        try:
            link = sh(args.cli, 'new-room', f'dht-nat {self.tag}').strip()
            assert 'dht=1' in link, f'new-room made {link!r}, without dht=1'
            t0 = time.monotonic()
            deadline = t0 + self.phase['timeout']
            self.a = Proc(os.environ['NAT_NS_A'], self.peer_argv(na, link), env, na)
            self.b = Proc(os.environ['NAT_NS_B'], self.peer_argv(nb, link), env, nb)
            for me, other in ((self.a, nb), (self.b, na)):
                m = me.wait_line('err', rf'ferry-cli: peer-joined .*name="{other}" .*verified=(\w+) '
                                 r'.*after-join-ms=([0-9.]+)', deadline)
                assert m.group(1) == 'yes', f'{me.name}: {other} joined with verified={m.group(1)}'
                self.join_ms[me.name] = float(m.group(2))
            self.a.say(f'hello from {na}')
            self.b.wait_line('out', rf'^{na}: hello from {na}$', deadline)
            self.b.say(f'hello from {nb}')
            self.a.wait_line('out', rf'^{nb}: hello from {nb}$', deadline)
            self.chat_s = time.monotonic() - t0
        except AssertionError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 (new-room failed, the binary vanished: the pair failed)
            self.error = f'{type(e).__name__}: {e}'
        finally:
            for p in (self.a, self.b):
                if p:
                    p.stop()

    def join_s(self):
        return max(self.join_ms.values()) / 1000

    def print_log(self):
        log(f'# pair {self.tag}: ' + (f'FAILED: {self.error}' if self.error else 'passed'))
        for p in (self.a, self.b):
            if p is None:
                continue
            noise = sum(NOISE in line for _t, _k, line in p.log)
            log(f'#   --- {p.name} (exit status {p.p.returncode}; {noise} lines "…{NOISE}" left out) ---')
            for t, key, line in p.log:
                if key == 'err' and NOISE not in line:
                    log(f'#   {t:6.2f} {line}')


def run_phase(lab, phase):
    args = lab.args
    log(f'=== {phase["name"]}: {args.pairs} pairs, {args.concurrency} at a time, read delay '
        f'{phase["delay"]} ms, loss {phase["loss"]} %, {phase["timeout"]:.0f} s per pair at most')
    lab.set_loss(phase['loss'])
    t0 = time.monotonic()
    pairs = [Pair(lab, i, phase) for i in range(args.pairs)]
    todo, running = list(pairs), []
    while todo or running:
        while todo and len(running) < args.concurrency:
            t = threading.Thread(target=todo.pop(0).run, daemon=True)
            t.start()
            running.append(t)
            time.sleep(args.stagger)
        running = [t for t in running if t.is_alive()]
        time.sleep(0.05)
    elapsed = time.monotonic() - t0
    dropped = lab.dropped() if phase['loss'] else 0
    lab.set_loss(0)

    ok = [p for p in pairs if p.error is None]
    for p in ok:
        log(f'# pair {p.tag}: joined after ' + ', '.join(f'{n} {ms / 1000:.1f} s' for n, ms in p.join_ms.items())
            + f'; chat both ways after {p.chat_s:.1f} s')
    for p in pairs:
        if p.error is not None or args.verbose:
            p.print_log()
    summary = f'{len(ok)}/{len(pairs)} pairs in {elapsed:.1f} s'
    if ok:
        joins = [p.join_s() for p in ok]
        summary += (f'; join median {statistics.median(joins):.1f} s, min {min(joins):.1f} s, '
                    f'max {max(joins):.1f} s')
    if phase['loss']:
        summary += f'; {dropped} packets dropped'
    passed = len(ok) == len(pairs)
    log(f'=== {phase["name"]}: {"PASS" if passed else "FAIL"}: {summary}')
    return passed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    ap.add_argument('cli', help='ferry-cli')
    ap.add_argument('--turn', action='store_true', help='coturn as TURN server on both sides too')
    ap.add_argument('--phases', default='plain,slow', help='plain, slow or both (default plain,slow)')
    ap.add_argument('--nodes', type=int, default=20, help='DHT nodes (default 20)')
    ap.add_argument('--pairs', type=int, default=20, help='pairs per phase (default 20)')
    ap.add_argument('--concurrency', type=int, default=20, help='pairs at a time (default 20)')
    ap.add_argument('--stagger', type=float, default=0.1, help='seconds between pair starts (default 0.1)')
    ap.add_argument('--delay', type=int, default=10000, help='slow: --dht-read-delay in ms (default 10000)')
    ap.add_argument('--loss', type=int, default=5, help='slow: random loss in %% (default 5)')
    ap.add_argument('--timeout', type=float, default=60,
                    help='seconds a pair may take, plus twice the read delay in the slow phase (default 60)')
    ap.add_argument('--debug', default='Ferry-DHT,Ferry-Pairing', help="the peers' G_MESSAGES_DEBUG")
    ap.add_argument('--pcap', help='for debugging: the DHT namespace\'s UDP traffic into this file (tcpdump)')
    ap.add_argument('-v', '--verbose', action='store_true', help="every pair's debug lines, not only a failed one's")
    args = ap.parse_args()
    args.cli = os.path.abspath(args.cli)
    phases = {
        'plain': {'name': 'plain', 'delay': 0, 'loss': 0, 'timeout': args.timeout},
        'slow': {'name': 'slow', 'delay': args.delay, 'loss': args.loss,
                 'timeout': args.timeout + 2 * args.delay / 1000},
    }
    names = args.phases.split(',')
    if any(n not in phases for n in names) or not 0 <= args.loss <= 100 or not 1 <= args.nodes <= 512:
        ap.error('bad --phases, --loss or --nodes')
    needed = ['NAT_LAB', 'NAT_NS_A', 'NAT_NS_B', 'NAT_NS_ROUTER_A', 'NAT_NS_ROUTER_B', 'NAT_NS_INTERNET',
              'NAT_STUN_URL'] + (['NAT_TURN_URL', 'NAT_TURN_USER', 'NAT_TURN_PASSWORD'] if args.turn else [])
    for var in needed:
        if var not in os.environ:
            print(f'dht-nat: {var} is not set: run me inside tests/nat/nat-lab.sh', file=sys.stderr)
            return 2

    lab = Lab(args)
    t0 = time.monotonic()
    passed = True
    try:
        lab.up()
        lab.start_dht()
        for name in names:
            passed = run_phase(lab, phases[name]) and passed
    except (AssertionError, RuntimeError) as e:
        log(f'dht-nat: FAIL: {e}')
        passed = False
    finally:
        lab.down()
    log(f'=== dht-nat ({os.environ.get("NAT_TYPE_A")}/{os.environ.get("NAT_TYPE_B")}'
        f'{", TURN" if args.turn else ""}): {"PASS" if passed else "FAIL"} in {time.monotonic() - t0:.1f} s')
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
