#!/usr/bin/env python3
# A secret room over the DHT alone, three members, no tracker (docs/DHT.md, "Rooms over the DHT"):
# a private DHT of 24 Ferry nodes (ferry-cli dht serve) in a namespace, one address per /24 on
# lo, and three `ferry-cli chat --no-trackers` in the same namespace (a veth pair gives them an
# interface to gather on).  A and B meet through the DHT; C, who comes later, meets one of them
# through the DHT and the other through the mesh ("a code through the mesh" in its debug log),
# and everybody's chat reaches everybody.  Then ten pairs meet, each in a room of its own, while
# the hour (which picks the DHT's keys, moved with --dht-clock-offset) turns.
#
#   dht-room.py FERRY-CLI
#
# Needs root and iproute2: without them it exits 77, or fails when CI=true.
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pairing'))
from ferry_procs import Proc, kill_all, step  # noqa: E402
import ferry_procs  # noqa: E402

NODES = 24


def unavailable(why):
    print(f'dht-room: {why}')
    sys.exit(1 if os.environ.get('CI') == 'true' else 77)


def main():
    cli = sys.argv[1]
    if os.geteuid() != 0:
        unavailable('network namespaces need root')
    ns = f'fdhtroom{os.getpid()}'
    try:
        subprocess.run(['ip', 'netns', 'add', ns], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        unavailable(f'no network namespace: {e}')
    tmp = tempfile.mkdtemp(prefix='ferry-dht-room-')
    serve = None
    try:
        batch = 'link set lo up\n' + ''.join(f'address add 198.18.{i}.1/32 dev lo\n' for i in range(NODES))
        batch += 'link add va type veth peer name vb\naddress add 10.9.0.1/24 dev va\n'
        batch += 'address add 10.9.0.2/24 dev vb\nlink set va up\nlink set vb up\n'
        subprocess.run(['ip', '-n', ns, '-batch', '-'], input=batch, text=True, check=True)

        binds = [a for i in range(NODES) for a in ('--bind', f'198.18.{i}.1:6881')]
        serve = subprocess.Popen(['ip', 'netns', 'exec', ns, cli, 'dht', 'serve', '--mode', 'server',
                                  '--bootstrap', '198.18.0.1:6881', *binds],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        ready = set()
        deadline = time.monotonic() + 20
        while len(ready) < NODES and time.monotonic() < deadline:
            line = serve.stdout.readline()
            m = re.search(r'state=ready id=(\w+)', line)
            if m:
                ready.add(m.group(1))
        if len(ready) < NODES:
            raise AssertionError(f'only {len(ready)} of {NODES} DHT nodes became ready')

        link = subprocess.run([cli, 'new-room', 'mesh'], capture_output=True, text=True, check=True).stdout.strip()
        assert '&dht=1' in link, link
        env = {'FERRY_DHT_BOOTSTRAP': '198.18.0.1:6881', 'G_MESSAGES_DEBUG': 'Ferry-Pairing'}
        args = ['chat', '--no-trackers', link]
        members = {}

        def start(name):
            members[name] = Proc(cli, tmp, ns, args, name, env)

        def joined(name, other, timeout):
            m = members[name].wait_seen('err', rf'peer-joined .*name="{other}" kind=ferry verified=yes .*after-join-ms=([0-9.]+)', timeout)
            return float(m.group(1))

        def two_meet():
            start('A')
            start('B')
            a = joined('A', 'B', 60)
            b = joined('B', 'A', 5)
            return f'joined after {a / 1000:.1f} s and {b / 1000:.1f} s, through the DHT'

        def third_meets_both():
            start('C')
            first = min(joined('C', 'A', 60), joined('C', 'B', 60))
            second = max(joined('C', 'A', 30), joined('C', 'B', 30))
            joined('A', 'C', 10)
            joined('B', 'C', 10)
            members['C'].wait_seen('err', r'a code through the mesh', 1)
            return f'C met the first after {first / 1000:.1f} s, the second {second - first:.0f} ms later through the mesh'

        def everybody_chats():
            for name in members:
                members[name].say(f'hello from {name}')
            for name in members:
                for other in members:
                    if other != name:
                        members[name].wait_seen('out', rf'^{other}: hello from {other}$', 10)

        def meet_while_the_hour_turns():
            # The mailboxes change with the hour: a code or reply written just before the turn
            # must still reach a member who reads just after it.  Pairs whose clocks turn the
            # hour 3 to 12 s after they start (while they are exchanging codes); each must meet
            # well within the 120 s after which an unanswered attempt starts again.
            turns = range(3, 13)
            pairs = []
            for t in turns:
                pair_link = subprocess.run([cli, 'new-room', f'hour {t}'], capture_output=True, text=True,
                                           check=True).stdout.strip()
                now = time.time()
                offset = int((now // 3600 + 1) * 3600 - now) - t
                pair = [Proc(cli, tmp, ns, ['chat', '--no-trackers', '--dht-clock-offset', str(offset), pair_link],
                             f'H{t}{side}', env) for side in 'ab']
                pairs.append((t, pair))
            rewrites = 0
            slowest = 0
            for t, (a, b) in pairs:
                slowest = max(slowest, float(a.wait_seen('err', rf'peer-joined .*name="H{t}b" kind=ferry verified=yes '
                                                         r'.*after-join-ms=([0-9.]+)', 60).group(1)))
                b.wait_seen('err', rf'peer-joined .*name="H{t}a" kind=ferry verified=yes', 10)
                rewrites += sum('writing into the new hour' in line for p in (a, b) for line in p.seen['err'])
                a.p.stdin.close()
                b.p.stdin.close()
            assert rewrites > 0, 'no pair wrote into a new hour\'s mailbox: the hour did not turn mid-exchange'
            return f'{len(pairs)} pairs met, the slowest after {slowest / 1000:.1f} s; {rewrites} rewrites into the new hour'

        step('two members meet through the DHT', two_meet)
        step('a third meets both, the second through the mesh', third_meets_both)
        step('everybody chats with everybody', everybody_chats)
        for proc in members.values():
            proc.p.stdin.close()
        step('pairs meet while the hour turns', meet_while_the_hour_turns)
    finally:
        kill_all()
        if serve is not None:
            serve.kill()
            serve.wait()
        subprocess.run(['ip', 'netns', 'delete', ns], capture_output=True)
        subprocess.run(['rm', '-rf', tmp])
    sys.exit(1 if ferry_procs.failed else 0)


if __name__ == '__main__':
    main()
