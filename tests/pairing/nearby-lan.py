#!/usr/bin/env python3
# Nearby devices on a LAN with no server: three network namespaces on one switch (a bridge),
# `ferry-cli nearby` in each.
#
#   nearby-lan.py FERRY_CLI
#
# Steps, each reported as "step NAME: PASS|FAIL (…)":
#   all-see-all      Alice, Bob and Carol are all visible: each lists the other two (names and
#                    fingerprints), and none lists itself
#   see-and-connect  Alice is visible; Carol only listens (--hidden) and sees her, and Alice never
#                    sees Carol: Carol's namespace sends no UDP datagram at all. Bob (hidden too)
#                    connects to Alice by name: both print peer-joined verified=no with the same
#                    verification code, a chat line goes each way; Alice, now in a conversation,
#                    says "bye" and Carol's list drops her at once
#   hostile          from Bob's namespace, a flood of packets no Ferry sends (oversized, not JSON,
#                    binary with NULs, nested arrays, a newer version, bad fields) and two
#                    well-formed ones: a hostile name (escape sequences, 300 characters) is listed
#                    clean and short; "Mallory" announces Dave's code with a fingerprint that is not
#                    Dave's, and connecting to her fails with "not the one that was announced";
#                    Carol's listener is still alive and still lists Dave
#
# Exit: 0 pass, 1 fail, 77 without root or `ip` (a failure when CI=true).
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferry_procs  # noqa: E402
from ferry_procs import step  # noqa: E402

CLI = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else sys.exit('usage: nearby-lan.py FERRY_CLI')
GROUP, PORT = '239.255.70.82', 53270


def skip_or_fail(why):
    if os.environ.get('CI') == 'true':
        print(f'nearby-lan FAIL: {why} (CI=true, so this is not skipped)')
        sys.exit(1)
    print(f'nearby-lan SKIP: {why}')
    sys.exit(77)


if shutil.which('ip') is None:
    skip_or_fail("'ip' (iproute2) not found")
if os.geteuid() != 0:
    skip_or_fail('network namespaces need root')

tag = f'fn{os.getpid()}'
NS = [f'{tag}-a', f'{tag}-b', f'{tag}-c']
ADDR = ['10.78.0.1', '10.78.0.2', '10.78.0.3']
A, B, C = NS
tmp = tempfile.mkdtemp(prefix='ferry-nearby-')


def Proc(ns, args, name):
    return ferry_procs.Proc(CLI, tmp, ns, ['nearby'] + args, name)


def udp_sent(ns):
    """UDP datagrams sent from namespace @ns so far (its /proc/net/snmp)."""
    out = subprocess.run(['ip', 'netns', 'exec', ns, 'cat', '/proc/net/snmp'], capture_output=True, text=True,
                         check=True).stdout
    head, values = [line.split()[1:] for line in out.splitlines() if line.startswith('Udp:')][:2]
    return int(values[head.index('OutDatagrams')])


def in_ns(ns, code, timeout=15):
    """Runs Python @code in namespace @ns; its stdout."""
    out = subprocess.run(['ip', 'netns', 'exec', ns, sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


LISTEN = f'''
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", {PORT}))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("{GROUP}"), socket.inet_aton("0.0.0.0")))
s.settimeout(10)
while True:
    data = s.recv(2000)
    if b'"type":"here"' in data and b'"name":"Dave"' in data:
        print(data.decode())
        break
'''


def send_all(ns, packets):
    code = f'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
for p in {packets!r}:
    s.sendto(p, ("{GROUP}", {PORT}))
'''
    in_ns(ns, code)


def all_see_all():
    names = ['Alice', 'Bob', 'Carol']
    procs = [Proc(ns, [], name) for ns, name in zip(NS, names)]
    start = time.monotonic()
    for p, name in zip(procs, names):
        for other in names:
            if other != name:
                p.wait_seen('err', rf'nearby-device id=\S+ name="{other}" fingerprint=[0-9a-f]{{64}}', 10)
    took = time.monotonic() - start
    for p, name in zip(procs, names):
        assert not any(f'name="{name}"' in line for line in p.seen['err'] if 'nearby-device' in line), \
            f'{name} lists itself'
        p.p.kill()
        p.p.wait()
    return f'each of three sees the other two within {took:.1f} s'


def see_and_connect():
    sent_before = udp_sent(C)
    alice = Proc(A, [], 'Alice')
    carol = Proc(C, ['--hidden'], 'Carol')
    seen = carol.wait_line('err', r'nearby-device id=(\S+) name="Alice"', 10)
    alice_id = seen.group(1)
    bob = Proc(B, ['--hidden', '--connect', 'Alice'], 'Bob')
    code_b = bob.wait_line('err', r'peer-joined .*verified=no code="([0-9 ]+)"', 15).group(1)
    code_a = alice.wait_line('err', r'peer-joined .*verified=no code="([0-9 ]+)"', 15).group(1)
    assert code_a == code_b, f'verification codes differ: {code_a} / {code_b}'
    bob.say('hello from Bob')
    alice.wait_line('out', r'^Bob: hello from Bob$', 10)
    alice.say('hello from Alice')
    bob.wait_line('out', r'^Alice: hello from Alice$', 10)
    carol.wait_line('err', rf'nearby-gone id={alice_id}', 5)
    assert not any('Carol' in line for line in alice.seen['err']), 'Alice saw the hidden Carol'
    assert bob.finish() == 0, 'Bob did not exit with 0'
    alice.wait_line('err', r'peer-left', 10)
    assert alice.finish() == 0, 'Alice did not exit with 0'
    carol.p.kill()
    carol.p.wait()
    sent = udp_sent(C) - sent_before
    assert sent == 0, f"Carol's namespace sent {sent} UDP datagrams while hidden"
    return f'verification code {code_a} on both sides; the hidden listener sent nothing'


def hostile():
    dave = Proc(A, [], 'Dave')
    carol = Proc(C, ['--hidden'], 'Carol')
    carol.wait_line('err', r'nearby-device id=\S+ name="Dave"', 10)
    here = json.loads(in_ns(B, LISTEN))
    junk = [b'x' * 2000, b'not json', b'\x00\x01\x02' * 50, b'[' * 500 + b']' * 500,
            json.dumps(dict(here, v=2)).encode(), json.dumps(dict(here, fp='zz')).encode(),
            json.dumps(dict(here, code='AAAA')).encode(), json.dumps(dict(here, name='')).encode(),
            b'{"app":"ferry-nearby","v":1,"type":"here","id":"0000000000000001"}'] * 20
    send_all(B, junk)
    evil = '\x1b[2J\u202e' + 'é' * 300
    mallory = dict(here, id='00000000000000aa', name='Mallory', fp='00' * 32)
    send_all(B, [json.dumps(dict(here, id='00000000000000bb', name=evil), ensure_ascii=False).encode(),
                 json.dumps(mallory).encode()])
    listed = carol.wait_seen('err', r'nearby-device id=00000000000000bb name="([^"]*)"', 5).group(1)
    assert '\x1b' not in listed and '\u202e' not in listed, f'unsafe name listed: {listed!r}'
    assert len(listed.encode()) <= 64 + 3, f'name of {len(listed.encode())} bytes listed'
    carol.wait_seen('err', r'nearby-device id=00000000000000aa name="Mallory"', 5)
    # Mallory's announcement must be sent again for a new listener: it goes on while Eve waits.
    eve = Proc(B, ['--hidden', '--connect', 'Mallory'], 'Eve')
    deadline = time.monotonic() + 10
    while eve.p.poll() is None and time.monotonic() < deadline:
        send_all(B, [json.dumps(mallory).encode()])
        time.sleep(0.5)
    message = eve.wait_line('err', r'ferry-cli pair: (.*)', 5).group(1)
    assert 'not the one that was announced' in message, message
    assert eve.p.wait(5) == 1, f'Eve exited {eve.p.returncode}'
    assert carol.p.poll() is None, 'the listener died'
    assert not any(re.search(r'nearby-device id=0000000000000001', line) for line in carol.seen['err']), \
        'a refused packet was listed'
    for p in (dave, carol):
        p.p.kill()
        p.p.wait()
    return f'{len(junk)} bad packets ignored; hostile name listed as {listed[:20]!r}…; Mallory refused: {message}'


try:
    ferry_procs.lan_up(NS, ADDR)
    step('all-see-all', all_see_all)
    step('see-and-connect', see_and_connect)
    step('hostile', hostile)
finally:
    ferry_procs.lan_down(NS)
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(1 if ferry_procs.failed else 0)
