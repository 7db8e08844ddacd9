#!/usr/bin/env python3
# Pairing codes on a LAN: two network namespaces joined by a cable (a veth pair), `ferry-cli
# pair` in one making a code, `ferry-cli chat LINK` in the other reading it. One scan is enough:
# nothing goes back to the owner but the reader's own connectivity checks.
#
#   pairing-lan.py FERRY_CLI
#
# Steps, each reported as "step NAME: PASS|FAIL (…)":
#   one-way   the reader connects with the code alone: both print peer-joined verified=yes
#             (the hello's MAC, keyed from the code's secret, checked out), a chat line each
#             way arrives; the reader's time from start to joined is printed
#   file      `ferry-cli receive --pair` makes a code, `ferry-cli send --room LINK FILE` reads it:
#             the file arrives with the same SHA-256, both exit 0
#   used-twice  a second reader of a code that connected someone is told at once that the code
#             was used (the owner answers its checks but takes no second connection), and the
#             first pair still chats both ways
#   refused   a code with one character changed, a code cut short, garbage, and a code that
#             expired (made with --lifetime 1) are each refused at once with exit status 2 or 1
#             and a message that says what is wrong
#
# Exit: 0 pass, 1 fail, 77 without root or `ip` (a failure when CI=true).
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferry_procs  # noqa: E402
from ferry_procs import step  # noqa: E402

CLI = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else sys.exit('usage: pairing-lan.py FERRY_CLI')


def skip_or_fail(why):
    if os.environ.get('CI') == 'true':
        print(f'pairing-lan FAIL: {why} (CI=true, so this is not skipped)')
        sys.exit(1)
    print(f'pairing-lan SKIP: {why}')
    sys.exit(77)


if shutil.which('ip') is None:
    skip_or_fail("'ip' (iproute2) not found")
if os.geteuid() != 0:
    skip_or_fail('network namespaces need root')

tag = f'fp{os.getpid()}'
NS = [f'{tag}-a', f'{tag}-b']
ADDR = ['10.77.0.1', '10.77.0.2']
tmp = tempfile.mkdtemp(prefix='ferry-pairing-')


def Proc(ns, args, name):
    return ferry_procs.Proc(CLI, tmp, ns, args, name)


def lan_up():
    ferry_procs.lan_up(NS, ADDR)


def lan_down():
    ferry_procs.lan_down(NS)
    shutil.rmtree(tmp, ignore_errors=True)


def make_code(lifetime=None):
    args = ['pair'] + ([f'--lifetime={lifetime}'] if lifetime else [])
    owner = Proc(NS[0], args, 'Owner')
    return owner, owner.wait_line('out', r'^(ferry://pair\?v=1#\S+)$', 15).group(1)


def one_way():
    owner, link = make_code()
    code = link.split('#', 1)[1]
    reader = Proc(NS[1], ['chat', link], 'Reader')
    joined_ms = float(reader.wait_line('err', r'peer-joined .*verified=yes.*after-join-ms=([0-9.]+)', 15).group(1))
    owner.wait_line('err', r'peer-joined .*verified=yes', 15)
    reader.say('hello from the reader')
    owner.wait_line('out', r'^Reader: hello from the reader$', 10)
    owner.say('hello from the owner')
    reader.wait_line('out', r'^Owner: hello from the owner$', 10)
    assert reader.finish() == 0, 'the reader did not exit with 0'
    owner.wait_line('err', r'peer-left', 10)
    assert owner.finish() == 0, 'the owner did not exit with 0'
    return f'code {len(code)} characters ({len(link)} as a link); joined {joined_ms:.1f} ms after the reader started'


def file():
    import hashlib
    src = os.path.join(tmp, 'paired.bin')
    with open(src, 'wb') as f:
        f.write(os.urandom(3 * 1024 * 1024 + 17))
    digest = hashlib.sha256(open(src, 'rb').read()).hexdigest()
    inbox = os.path.join(tmp, 'inbox')
    common = ['--yes', '--json', '--state-dir']
    owner = Proc(NS[0], ['receive', '--pair', '--dir', inbox] + common + [os.path.join(tmp, 'state-owner')], 'Owner')
    link = owner.wait_line('out', r'"type":"pairing","link":"([^"]+)"', 15).group(1)
    reader = Proc(NS[1], ['send', '--room', link] + common + [os.path.join(tmp, 'state-reader'), src], 'Reader')
    try:
        done = owner.wait_line('out', r'"type":"file-done".*"sha256":"([0-9a-f]+)"', 30)
    except AssertionError:
        reader.p.kill()
        raise AssertionError(f"owner err: {list(owner.lines['err'].queue)[-6:]} reader out: {list(reader.lines['out'].queue)[-4:]} err: {list(reader.lines['err'].queue)[-6:]}")
    assert done.group(1) == digest, f'sha256 {done.group(1)} instead of {digest}'
    assert hashlib.sha256(open(os.path.join(inbox, 'paired.bin'), 'rb').read()).hexdigest() == digest, 'the file on disk differs'
    assert owner.p.wait(20) == 0, f'receive --pair exited {owner.p.returncode}'
    assert reader.p.wait(20) == 0, f'send exited {reader.p.returncode}'
    return '3 MiB through the pairing code, same SHA-256'


def used_twice():
    owner, link = make_code()
    first = Proc(NS[1], ['chat', link], 'First')
    first.wait_line('err', r'peer-joined .*verified=yes', 15)
    owner.wait_line('err', r'peer-joined .*verified=yes', 15)
    start = time.monotonic()
    second = Proc(NS[1], ['chat', link], 'Second')
    m = second.wait_line('err', r'ferry-cli pair: (.*)', 25)
    took = time.monotonic() - start
    assert 'used already' in m.group(1), f'second reader: {m.group(1)!r}'
    assert second.finish() == 1, f'second reader: exit {second.p.returncode}'
    assert not any('reply link' in (line or '') for line in list(second.lines['err'].queue)), 'the second reader showed a reply code'
    first.say('still here')
    owner.wait_line('out', r'^First: still here$', 10)
    owner.say('so am I')
    first.wait_line('out', r'^Owner: so am I$', 10)
    assert first.finish() == 0, 'the first reader did not exit with 0'
    owner.p.kill()
    owner.p.wait()
    return f'the second reader was told in {took:.1f} s; the first pair still chats'


def refused():
    owner, link = make_code()
    code = link.split('#', 1)[1]
    typo = code[:30] + ('B' if code[30] == 'A' else 'A') + code[31:]
    cases = [(typo, 'mistake'), (code[:-10], 'mistake|missing|incomplete'), ('hello, world!', 'not a pairing code'),
             ('ferry://pair?v=1#', 'empty')]
    for text, message in cases:
        reader = Proc(NS[1], ['pair', text], 'Reader')
        m = reader.wait_line('err', r'ferry-cli pair: (.*)', 10)
        assert re.search(message, m.group(1)), f'{text!r}: {m.group(1)!r}'
        assert reader.finish() == 2, f'{text!r}: exit {reader.p.returncode}'
    owner.p.kill()
    owner.p.wait()
    short, short_link = make_code(lifetime=1)
    time.sleep(2.2)
    reader = Proc(NS[1], ['chat', short_link], 'Reader')
    m = reader.wait_line('err', r'ferry-cli pair: (.*)', 10)
    assert 'expired' in m.group(1), f'expired code: {m.group(1)!r}'
    assert reader.finish() == 2, f'expired code: exit {reader.p.returncode}'
    short.wait_line('err', r'expired before the connection was made', 10)
    assert short.finish() == 1, f'the owner of the expired code exited with {short.p.returncode}'
    return f'{len(cases) + 1} codes refused'


try:
    lan_up()
    step('one-way', one_way)
    step('file', file)
    step('used-twice', used_twice)
    step('refused', refused)
finally:
    lan_down()
sys.exit(1 if ferry_procs.failed else 0)
