#!/usr/bin/env python3
# Pairing on a LAN: from entering a code to the connection (goal: under 100 ms), and the code's
# length against the JSON offer that `ferry-cli connect` would have the two sides exchange.
# Two network namespaces on one cable (tests/pairing/ferry_procs.py); prints every figure.
#
#   bench-pairing.py FERRY_CLI [--runs N]
#
# "Joined" is what the reader prints in its peer-joined line: the time from the moment it took
# the code (before gathering its own candidates) until the owner's hello had arrived and its MAC
# checked out — the first open channel, and the hello after it.
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'pairing'))
import ferry_procs  # noqa: E402

CLI = os.path.abspath(sys.argv[1])
RUNS = int(sys.argv[sys.argv.index('--runs') + 1]) if '--runs' in sys.argv else 10
NS = [f'fb{os.getpid()}-a', f'fb{os.getpid()}-b']
tmp = tempfile.mkdtemp(prefix='ferry-bench-pairing-')


def Proc(i, args, name):
    return ferry_procs.Proc(CLI, tmp, NS[i], args, name)


try:
    ferry_procs.lan_up(NS, ['10.78.0.1', '10.78.0.2'])
    joined, codes = [], []
    for run in range(RUNS):
        owner = Proc(0, ['pair'], 'Owner')
        link = owner.wait_line('out', r'^(ferry://pair\?v=1#\S+)$', 15).group(1)
        codes.append(len(link.split('#', 1)[1]))
        reader = Proc(1, ['chat', link], 'Reader')
        m = reader.wait_line('err', r'peer-joined .*verified=yes.*after-join-ms=([0-9.]+)', 15)
        joined.append(float(m.group(1)))
        reader.finish()
        owner.finish()
    # The JSON offer of the same side, as ferry-cli connect prints it for the other to paste.
    offerer = subprocess.Popen(['ip', 'netns', 'exec', NS[0], CLI, 'connect'], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=dict(os.environ, FERRY_STUN_SERVERS=''))
    offer = offerer.stdout.readline().strip()
    offerer.kill()
    offerer.wait()

    median = statistics.median(joined)
    print(f'pairing on a LAN, {RUNS} runs: code entered → connected and verified: '
          f'median {median:.1f} ms, min {min(joined):.1f}, max {max(joined):.1f} (goal < 100 ms: '
          f'{"met" if median < 100 else "not met"})')
    print(f'code: {statistics.median(codes):.0f} characters ({statistics.median(codes) + len("ferry://pair?v=1#"):.0f} '
          f'as a link); the JSON offer for the same connection: {len(offer)} characters; '
          f'ratio {len(offer) / statistics.median(codes):.1f}×')
finally:
    ferry_procs.lan_down(NS)
