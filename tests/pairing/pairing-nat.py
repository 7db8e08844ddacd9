#!/usr/bin/env python3
# Pairing codes across NATs, in the NAT lab (tests/nat/nat-lab.sh, both routers cone): the owner
# in network A, the reader in network B, coturn as their STUN server. The owner's router drops
# the reader's unsolicited checks, so the code alone cannot connect; after a few seconds the
# reader prints a reply code, the owner enters it, its own checks open the way, and they connect.
#
#   nat-lab.sh --a=cone --b=cone -- pairing-nat.py FERRY_CLI
#   nat-lab.sh --a=symmetric --b=symmetric -- pairing-nat.py FERRY_CLI --turn
#
# With --turn (two symmetric NATs, where no server-reflexive address can be reached) both sides
# have coturn as TURN server too, and the reply connects through relays.
#
# Steps: "reply" (as above: a reply link appears on the reader, the owner accepts it, both print
# peer-joined verified=yes through server-reflexive addresses, chat both ways; then a second
# reader of the same code is refused as "used already" (its reply by the owner, or at once when
# it reaches the owner) and the pair still chats) and "forged" (a
# reply code made for another code is refused by the owner with its message).
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferry_procs  # noqa: E402
from ferry_procs import step  # noqa: E402

CLI = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else sys.exit('usage: pairing-nat.py FERRY_CLI')
for var in ('NAT_NS_A', 'NAT_NS_B', 'NAT_STUN_URL'):
    if var not in os.environ:
        sys.exit(f'pairing-nat: {var} is not set: run me inside tests/nat/nat-lab.sh')
tmp = tempfile.mkdtemp(prefix='ferry-pairing-nat-')
# With --turn both sides also get a TURN server (for two symmetric NATs: only relays meet).
TURN = '--turn' in sys.argv
STUN = ['--stun', os.environ['NAT_STUN_URL']]
if TURN:
    STUN += ['--turn', os.environ['NAT_TURN_URL'], '--turn-user', os.environ['NAT_TURN_USER'],
             '--turn-password', os.environ['NAT_TURN_PASSWORD']]


def Proc(ns, args, name):
    return ferry_procs.Proc(CLI, tmp, os.environ[ns], args + STUN, name)


def make_code(name='Owner'):
    owner = Proc('NAT_NS_A', ['pair'], name)
    return owner, owner.wait_line('out', r'^(ferry://pair\?v=1#\S+)$', 15).group(1)


def reply():
    owner, link = make_code()
    reader = Proc('NAT_NS_B', ['chat', link], 'Reader')
    answer = reader.wait_line('err', r'ferry-cli: reply link=(\S+)', 15).group(1)
    assert not any('peer-joined' in line for line in owner.seen['err']), 'connected without the reply'
    owner.say(answer)
    owner.wait_line('err', r'ferry-cli: reply-accepted', 5)
    joined = reader.wait_line('err', r'peer-joined .*verified=yes.*after-join-ms=([0-9.]+)', 20)
    owner.wait_line('err', r'peer-joined .*verified=yes', 20)
    reader.say('hello across two NATs')
    owner.wait_line('out', r'^Reader: hello across two NATs$', 10)
    owner.say('hello back')
    reader.wait_line('out', r'^Owner: hello back$', 10)
    # The code was used: a second reader that reaches the owner (through the owner's relay, whose
    # permission covers the TURN server's address) is told so; one that does not shows a reply,
    # which the owner refuses. Either way the pair goes on.
    second = Proc('NAT_NS_B', ['chat', link], 'Second')
    told = second.wait_line('err', r'ferry-cli: reply link=(\S+)|ferry-cli pair: (.*)', 20)
    if told.group(1):
        owner.say(told.group(1))
        used = owner.wait_line('err', r'ferry-cli: reply-refused message="(.*)"', 5).group(1)
    else:
        used = told.group(2)
    assert 'used already' in used, used
    second.p.kill()
    reader.say('still here')
    owner.wait_line('out', r'^Reader: still here$', 10)
    assert reader.finish() == 0, 'the reader did not exit with 0'
    owner.finish()
    return f'reply code {len(answer)} characters; joined {float(joined.group(1)) / 1000:.1f} s after the reader started'


def forged():
    owner, link = make_code()
    other, other_link = make_code('Other')
    # A reader of the other code, whose reply is a genuine reply, but to another code.
    reader = Proc('NAT_NS_B', ['chat', other_link], 'Reader')
    answer = reader.wait_line('err', r'ferry-cli: reply link=(\S+)', 15).group(1)
    owner.say(answer)
    message = owner.wait_line('err', r'ferry-cli: reply-refused message="(.*)"', 5).group(1)
    assert 'someone else' in message, message
    for p in (owner, other, reader):
        p.p.kill()
    return message


try:
    step('reply', reply)
    if not TURN:
        step('forged', forged)
finally:
    ferry_procs.kill_all()
sys.exit(1 if ferry_procs.failed else 0)
