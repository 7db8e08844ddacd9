#!/usr/bin/env python3
"""Connect two `ferry-cli connect` peers across a NAT lab and check what happened.

Runs inside tests/nat/nat-lab.sh (it reads NAT_NS_A, NAT_NS_B and NAT_LAB_DIR):

    nat-lab.sh --a=cone --b=cone -- nat-peers.py --cli=build/src/cli/ferry-cli \
        --both=--stun=stun:198.51.100.2:3478 --expect=direct

Peer A (offerer) runs in NAT_NS_A, peer B (`--answer`) in NAT_NS_B. The script relays the two
signalling lines, then each peer sends random bytes on its main channel (SIZE from A, SIZE/4 from
B) and each must write exactly what the other sent to its stdout: the data crossed the NAT both
ways.

--expect:
  direct      connected, no relay candidate on either side, and not host<->host (the LANs
              cannot reach each other), so through srflx/prflx candidates
  relay       connected with a relay candidate on at least one side
  local-relay connected with a local relay candidate on both peers
  fail        no connection: both peers exit non-zero within --timeout

Exit status 0 on success, 1 on a failed expectation. Timings go to stdout.
"""

import argparse
import hashlib
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

PAIR_RE = re.compile(r"^ferry-cli: selected-pair local=(\w+):(\S+) remote=(\w+):(\S+)$")


class Peer:
    """One ferry-cli process: stdout split into the signalling line and data, stderr lines timed."""

    def __init__(self, name, ns, argv, t0, env):
        self.name = name
        self.t0 = t0
        self.line = None              # the signalling line
        self.line_event = threading.Event()
        self.line_time = None
        self.data_hash = hashlib.sha256()
        self.data_len = 0
        self.first_data_time = None
        self.last_data_time = None
        self.stderr = []              # (seconds since t0, line)
        self.events = {}              # first time of each status event
        self.pair = None              # (local type, local addr, remote type, remote addr)
        self.exit_time = None
        self.killed = False
        cmd = ["ip", "netns", "exec", ns] + argv
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, bufsize=0)
        self.threads = [threading.Thread(target=self._read_stdout, daemon=True),
                        threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self.threads:
            t.start()

    def now(self):
        return time.monotonic() - self.t0

    def _read_stdout(self):
        buf = b""
        out = self.proc.stdout
        while self.line is None:
            chunk = out.read(65536)
            if not chunk:
                self.line_event.set()
                return
            buf += chunk
            if b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.line = line.decode("utf-8", "replace")
                self.line_time = self.now()
                self.line_event.set()
        if buf:
            self._data(buf)
        while True:
            chunk = out.read(1 << 20)
            if not chunk:
                return
            self._data(chunk)

    def _data(self, chunk):
        t = self.now()
        if self.first_data_time is None:
            self.first_data_time = t
        self.last_data_time = t
        self.data_hash.update(chunk)
        self.data_len += len(chunk)

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            t = self.now()
            self.stderr.append((t, line))
            if line.startswith("ferry-cli: "):
                event = line[len("ferry-cli: "):].split(" ", 1)[0]
                self.events.setdefault(event, t)
                m = PAIR_RE.match(line)
                if m:
                    self.pair = m.groups()

    def write(self, data):
        try:
            self.proc.stdin.write(data)
            return True
        except (BrokenPipeError, ValueError):
            return False

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def wait(self, deadline):
        try:
            self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None
        if self.exit_time is None:
            self.exit_time = self.now()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is not None:
            return
        self.killed = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def join(self):
        for t in self.threads:
            t.join(timeout=5)

    def describe_pair(self):
        if self.pair is None:
            return "none"
        return "%s:%s -> %s:%s" % self.pair

    def dump(self, path=None, tail=None):
        lines = ["%8.3f %s" % (t, line) for t, line in self.stderr]
        if path:
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
        if tail:
            for line in lines[-tail:]:
                print("  %s| %s" % (self.name, line))


def fmt(t):
    return "-" if t is None else "%.3f s" % t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True, help="the ferry-cli executable")
    ap.add_argument("--both", action="append", default=[], metavar="ARG", help="argument for both peers")
    ap.add_argument("--a", action="append", default=[], metavar="ARG", help="argument for peer A only")
    ap.add_argument("--b", action="append", default=[], metavar="ARG", help="argument for peer B only")
    ap.add_argument("--expect", required=True, choices=["direct", "relay", "local-relay", "fail"])
    ap.add_argument("--size", type=int, default=4 << 20, help="bytes to send (default 4 MiB)")
    ap.add_argument("--timeout", type=float, default=40, help="seconds for the whole exchange")
    ap.add_argument("--log-dir", default=os.environ.get("NAT_LOG_DIR"),
                    help="write each peer's stderr there (default $NAT_LOG_DIR)")
    ap.add_argument("--label", default="", help="name used in the log files and the summary")
    args = ap.parse_args()

    for var in ("NAT_NS_A", "NAT_NS_B"):
        if var not in os.environ:
            sys.exit("nat-peers: %s is not set: run me under tests/nat/nat-lab.sh" % var)

    env = dict(os.environ)
    cli = os.path.abspath(args.cli)
    argv_a = [cli, "connect"] + args.both + args.a
    argv_b = [cli, "connect", "--answer"] + args.both + args.b
    payload = os.urandom(args.size)
    payload_hash = hashlib.sha256(payload).hexdigest()
    payload_b = os.urandom(args.size // 4)
    payload_b_hash = hashlib.sha256(payload_b).hexdigest()

    t0 = time.monotonic()
    deadline = t0 + args.timeout
    b = Peer("B", os.environ["NAT_NS_B"], argv_b, t0, env)
    a = Peer("A", os.environ["NAT_NS_A"], argv_a, t0, env)
    print("nat-peers: A: %s" % shlex.join(argv_a[1:]))
    print("nat-peers: B: %s" % shlex.join(argv_b[1:]))

    problems = []
    answer_sent = None

    def send(peer, data):
        view = memoryview(data)
        for off in range(0, len(view), 65536):
            if not peer.write(view[off:off + 65536]):
                return
        peer.close_stdin()

    # Signalling: A's offer line to B, B's answer line back to A, then each payload. Done in
    # threads: the peers read their stdin only once the main channel is open, and writing must
    # not block the deadline.
    def signalling_and_data():
        nonlocal answer_sent
        if not a.line_event.wait(max(0.0, deadline - time.monotonic())) or a.line is None:
            return
        b.write(a.line.encode() + b"\n")
        threading.Thread(target=send, args=(b, payload_b), daemon=True).start()
        if not b.line_event.wait(max(0.0, deadline - time.monotonic())) or b.line is None:
            return
        a.write(b.line.encode() + b"\n")
        answer_sent = a.now()
        send(a, payload)

    writer = threading.Thread(target=signalling_and_data, daemon=True)
    writer.start()

    status_a = a.wait(deadline)
    status_b = b.wait(deadline)
    timed_out = status_a is None or status_b is None
    for p in (a, b):
        p.kill()
    status_a, status_b = a.proc.returncode, b.proc.returncode
    a.join()
    b.join()
    writer.join(timeout=1)

    # Checks
    if a.line is None or not a.line.startswith('{"type":"offer"'):
        problems.append("A printed no offer line (got %r)" % (a.line,))
    if b.line is None or not b.line.startswith('{"type":"answer"'):
        problems.append("B printed no answer line (got %r)" % (b.line,))

    connected = "dtls-connected" in a.events or "dtls-connected" in b.events
    if args.expect == "fail":
        if connected:
            problems.append("connected although it must not (A: %s, B: %s)"
                            % (a.describe_pair(), b.describe_pair()))
        if timed_out:
            problems.append("still running after %.0f s: ICE failure was not reported" % args.timeout)
        for p, st in ((a, status_a), (b, status_b)):
            if not p.killed and st == 0:
                problems.append("%s exited 0 without connecting" % p.name)
            if "failed" not in p.events and not p.killed:
                problems.append("%s printed no 'failed' line" % p.name)
    else:
        if timed_out:
            problems.append("not finished after %.0f s" % args.timeout)
        for p, st in ((a, status_a), (b, status_b)):
            if st != 0 or p.killed:
                problems.append("%s exited with %s%s" % (p.name, st, " (killed)" if p.killed else ""))
            if p.pair is None:
                problems.append("%s printed no selected-pair line" % p.name)
        for sender, receiver, data, digest in ((a, b, payload, payload_hash),
                                               (b, a, payload_b, payload_b_hash)):
            if receiver.data_len != len(data) or receiver.data_hash.hexdigest() != digest:
                problems.append("%s→%s differs: sent %d bytes sha256 %s, got %d bytes sha256 %s"
                                % (sender.name, receiver.name, len(data), digest[:16],
                                   receiver.data_len, receiver.data_hash.hexdigest()[:16]))
        pairs = [p.pair for p in (a, b) if p.pair]
        types = [t for pr in pairs for t in (pr[0], pr[2])]
        if args.expect == "direct":
            if "relay" in types:
                problems.append("relay used, expected a direct path")
            if types and all(t == "host" for t in types):
                problems.append("host<->host pair: the LANs should not reach each other")
        elif args.expect == "relay":
            if "relay" not in types:
                problems.append("no relay candidate in the selected pairs")
        elif args.expect == "local-relay":
            for p in (a, b):
                if p.pair and p.pair[0] != "relay":
                    problems.append("%s's local candidate is %s, expected relay" % (p.name, p.pair[0]))

    # Report
    tag = args.label or args.expect
    print("nat-peers: [%s] offer %s, answer %s, A connected %s (%s after the answer), B connected %s"
          % (tag, fmt(a.line_time), fmt(b.line_time), fmt(a.events.get("dtls-connected")),
             fmt(a.events["dtls-connected"] - answer_sent)
             if answer_sent is not None and "dtls-connected" in a.events else "-",
             fmt(b.events.get("dtls-connected"))))
    print("nat-peers: [%s] A pair %s | B pair %s" % (tag, a.describe_pair(), b.describe_pair()))
    if "failed" in a.events or "failed" in b.events:
        fail_a, fail_b = a.events.get("failed"), b.events.get("failed")
        print("nat-peers: [%s] failure reported: A %s (%s after the answer), B %s; exit A=%s B=%s"
              % (tag, fmt(fail_a), fmt(fail_a - answer_sent) if fail_a and answer_sent else "-",
                 fmt(fail_b), status_a, status_b))
        for p in (a, b):
            for _, line in p.stderr:
                if line.startswith("ferry-cli: failed"):
                    print("nat-peers: [%s] %s: %s" % (tag, p.name, line))
                    break
    opened = b.events.get("channel-open")
    if opened is not None and b.last_data_time is not None and b.data_len:
        span = b.last_data_time - opened
        mib = b.data_len / (1 << 20)
        print("nat-peers: [%s] %.1f MiB A→B in %.3f s after the channel opened: %.1f MiB/s"
              % (tag, mib, span, mib / span if span > 0 else float("inf")))
    print("nat-peers: [%s] exits: A %s at %s, B %s at %s" % (tag, status_a, fmt(a.exit_time),
                                                              status_b, fmt(b.exit_time)))

    if args.log_dir:
        os.makedirs(args.log_dir, exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", tag)
        a.dump(os.path.join(args.log_dir, name + "-A.log"))
        b.dump(os.path.join(args.log_dir, name + "-B.log"))

    if problems:
        for p in problems:
            print("nat-peers: [%s] FAIL: %s" % (tag, p))
        for p in (a, b):
            print("nat-peers: last stderr lines of %s:" % p.name)
            p.dump(tail=25)
        return 1
    print("nat-peers: [%s] PASS" % tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())
