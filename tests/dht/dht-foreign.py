#!/usr/bin/python3
"""Ferry's DHT against foreign mainline DHT nodes, in one private namespace (as root):

    /usr/bin/python3 tests/dht/dht-foreign.py build/src/cli/ferry-cli [-v]

Part 1, Ferry joins a foreign-only network: 30 bittorrent-dht nodes (tests/js/dht-node.mjs) on
198.18.0.1 ... 198.18.29.1 and libtorrent (lt-node.py) on 198.18.30.1, all bootstrapped to
198.18.0.1:6881, met by one-shot `ferry-cli dht` commands (read-only nodes, 198.18.40.1 and up).
BEP 5 and BEP 44 (salted mutable items) both ways with each implementation, then seq and cas
across implementations.

Part 2, foreign nodes join a Ferry-only network: `ferry-cli dht serve --mode server` with 30
nodes on 198.18.0.1 ... 198.18.29.1, then 4 bittorrent-dht nodes (198.18.33.1 ...) and libtorrent
(198.18.37.1) bootstrapped into it; the same operations the other way round, seq and cas judged by
Ferry's nodes, and the foreign nodes in the Ferry nodes' tables (their `status`, and the table a
node saves with --state-dir).

A capture of every packet in the namespace (AF_PACKET, by this script run with --capture)
judges each BEP 44 put: every answer must be what the answering node's rules say, given what
that node holds (known from the puts it took before, all on the wire); ferry-cli's result must
follow from the answers.  Known quirks of the foreign nodes met here: bittorrent-dht ignores
BEP 43 (it puts read-only queriers, the one-shot ferry-cli nodes, into its table and hands them
out once gone), does not keep the mutable items it puts itself, refuses the same seq and value
again (302), and answers a get's "seq" with the value anyway; a libtorrent get or put whose
neighbourhood holds a silent node waits 15 s for it (so libtorrent reads are given 6 s).

Every step is printed as it ends (ok/FAIL, ms, which implementation writes → which reads); a
table of the timings closes the run.  Exit 0 when all passed, 1 otherwise, 77 when node, the npm
modules, libtorrent or a namespace is missing (1 instead under CI=true).  No packet leaves the
namespace: every node is given its bootstrap address explicitly.
"""

import argparse
import concurrent.futures
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dht_lab import Lab, LabUnavailable  # noqa: E402

JS_DIR = os.path.normpath(os.path.join(HERE, "..", "js"))
JS_NODE = os.path.join(JS_DIR, "dht-node.mjs")
LT_NODE = os.path.join(HERE, "lt-node.py")
LT_PYTHON = "/usr/bin/python3"
PORT = 6881

# Slots of the lab (198.18.I.1): the big network (bittorrent-dht in part 1, Ferry in part 2),
# libtorrent of part 1, the newcomers of part 2, then one address per one-shot ferry-cli.
N_BIG = 30
LT1 = 30
JS2 = range(33, 37)
LT2 = 37
ONESHOT_FIRST = 40
N_SLOTS = 100

BOOT = f"198.18.0.1:{PORT}"
# libtorrent waits 15 s for a node that does not answer before it calls a lookup complete: its
# gets and lookups answer with what they have after this long (authoritative/complete false).
LT_READ_TIMEOUT = 6

# Steps that fail because of a known product bug: reported as XFAIL, and as a failure (XPASS)
# once they pass, so that the entry goes when the bug is fixed.  Delete an entry to make its
# step fail the run again.
KNOWN_BUGS = {}


@functools.lru_cache(maxsize=None)
def load_lt_node():
    """lt-node.py as a module, for its Ed25519 public key of a seed (pure Python)."""
    spec = importlib.util.spec_from_file_location("lt_node", LT_NODE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the wire: every KRPC message in the namespace, and BEP 44 as each implementation has it ------

def bdecode(b, i=0):
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        items = []
        while b[i:i + 1] != b"e":
            v, i = bdecode(b, i)
            items.append(v)
        return (dict(zip(items[::2], items[1::2])) if c == b"d" else items), i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    if n > len(b) - j - 1:
        raise ValueError("short string")
    return b[j + 1:j + 1 + n], j + 1 + n


def capture_main(path):
    """Run inside the namespace (`--capture PATH`): every UDP packet on lo into a pcap file."""
    import socket
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE: no packet lost in a burst
    s.bind(("lo", 0))
    with open(path, "wb", buffering=0) as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        print("ready", flush=True)
        while True:
            frame, addr = s.recvfrom(65535)
            # lo shows each packet twice: going out, and coming in.
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:  # IPv4, UDP
                continue
            t = time.time()
            f.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(frame), len(frame)) + frame)


class Exchange:
    """A query and its answer (None: none seen)."""

    def __init__(self, t, querier, queried, query):
        self.t, self.querier, self.queried, self.query, self.answer = t, querier, queried, query, None

    @property
    def method(self):
        return self.query.get(b"q", b"").decode("latin-1")

    @property
    def args(self):
        a = self.query.get(b"a")
        return a if isinstance(a, dict) else {}

    def outcome(self):
        """"ok", the KRPC error code, or None."""
        if self.answer is None:
            return None
        if self.answer.get(b"y") == b"r":
            return "ok"
        e = self.answer.get(b"e")
        return e[0] if isinstance(e, list) and e else "error"

    def body(self):
        r = self.answer.get(b"r") if self.answer else None
        return r if isinstance(r, dict) else {}


class Wire:
    """What a capture process saw: KRPC exchanges, in the order the queries went out."""

    def __init__(self, lab, directory, name):
        self.path = os.path.join(directory, f"{name}.pcap")
        self.proc = lab.run([sys.executable, os.path.abspath(__file__), "--capture", self.path],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        expect(self.proc.stdout.readline().strip() == "ready", "the capture did not start")
        self.offset = 24
        self.exchanges = []
        self.pending = {}
        self.lock = threading.Lock()

    def read(self, settle=0.3):
        """Takes in what was captured up to now (after `settle` s for the last packets)."""
        time.sleep(settle)
        with self.lock, open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
            i = 0
            while i + 16 <= len(data):
                sec, usec, n, _ = struct.unpack("<IIII", data[i:i + 16])
                if i + 16 + n > len(data):
                    break
                self._packet(sec + usec / 1e6, data[i + 16:i + 16 + n])
                i += 16 + n
            self.offset += i
            return list(self.exchanges)

    def _packet(self, t, frame):
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
        src = f"{'.'.join(map(str, ip[12:16]))}:{sport}"
        dst = f"{'.'.join(map(str, ip[16:20]))}:{dport}"
        try:
            msg, _ = bdecode(ip[ihl + 8:])
        except (ValueError, IndexError):
            return
        if not isinstance(msg, dict):
            return
        y, tid = msg.get(b"y"), msg.get(b"t")
        if y == b"q":
            ex = Exchange(t, src, dst, msg)
            self.exchanges.append(ex)
            self.pending[(src, dst, tid)] = ex
        elif y in (b"r", b"e"):
            ex = self.pending.pop((dst, src, tid), None)
            if ex is not None:
                ex.answer = msg

    def close(self):
        _kill(self.proc)


def _kill(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


ERRORS = {301: "cas-mismatch", 302: "seq-too-low"}


class Judge:
    """A Wire and the Bep44 model of what it carried, for the steps (which run in threads)."""

    def __init__(self, wire, impl_of):
        self.wire, self.bep = wire, Bep44(impl_of)
        self.lock = threading.Lock()

    def refresh(self, settle=0.3):
        with self.lock:
            exchanges = self.wire.read(settle)
            return exchanges, self.bep.feed(exchanges)

    def puts_of(self, querier_ip, target=None, timeout=6):
        """The judged puts `querier_ip` sent, once all it sent are judged."""
        deadline = time.monotonic() + timeout
        while True:
            exchanges, complete = self.refresh()
            sent = [ex for ex in exchanges if ex.method == "put" and ex.querier.split(":")[0] == querier_ip]
            with self.lock:
                own = self.bep.of(querier_ip, target)
                if complete or len(self.bep.of(querier_ip)) >= len(sent) or time.monotonic() > deadline:
                    return own


class Bep44:
    """Every mutable put of a capture judged by the rules of the node that answered it, from what
    that node holds (known from the puts it took before, all of them on the wire).

    bittorrent-dht 11: a cas that is not its seq: 301; then a seq not above its own: 302 (the
    same seq and value again too).  libtorrent 2.0: cas 301, then a lower seq 302.  Ferry
    (ferry-dht-storage.c): cas 301, then a lower seq, or the same seq with another value: 302."""

    def __init__(self, impl_of):
        self.impl_of = impl_of     # "ip:port" → "js", "lt", "ferry" or None (a one-shot: stores nothing)
        self.store = {}            # (node, target) → (seq, value)
        self.done = 0
        self.judged = []           # (exchange, implementation, what it held, expected)
        self.inconsistent = []

    @staticmethod
    def expected(impl, old, seq, cas, value):
        if old is None:
            return "ok"
        old_seq, old_value = old
        if cas is not None and cas != old_seq:
            return 301
        if impl == "js":
            return 302 if seq <= old_seq else "ok"
        if impl == "lt":
            return 302 if seq < old_seq else "ok"
        return 302 if seq < old_seq or (seq == old_seq and value != old_value) else "ok"

    def feed(self, exchanges):
        """Judges the puts (and learns from the gets) of `exchanges` not judged yet; stops at a
        put whose answer may still come.  True when all were judged."""
        for ex in exchanges[self.done:]:
            a = ex.args
            impl = self.impl_of(ex.queried)
            if ex.method == "put" and ex.answer is None and time.time() - ex.t < 3:
                return False
            self.done += 1
            if not impl or ex.method not in ("get", "put"):
                continue
            if ex.method == "get" and ex.outcome() == "ok" and b"seq" in ex.body():
                key, seen = (ex.queried, a.get(b"target")), ex.body()[b"seq"]
                if key in self.store and self.store[key][0] != seen:
                    self.inconsistent.append(f"{ex.queried} answered a get with seq {seen}, "
                                             f"after it took seq {self.store[key][0]}")
                self.store.setdefault(key, (seen, ex.body().get(b"v")))
            if ex.method != "put" or b"k" not in a:
                continue
            target = hashlib.sha1(a[b"k"] + a.get(b"salt", b"")).digest()
            old = self.store.get((ex.queried, target))
            want = self.expected(impl, old, a.get(b"seq"), a.get(b"cas"), a.get(b"v"))
            self.judged.append((ex, impl, old, want))
            if ex.outcome() == "ok":
                self.store[(ex.queried, target)] = (a.get(b"seq"), a.get(b"v"))
        return True

    def wrong(self, judged=None):
        """The judged puts whose answer is not the expected one (a put nobody answered is not)."""
        return [(ex, impl, old, want) for ex, impl, old, want in (self.judged if judged is None else judged)
                if ex.outcome() is not None and ex.outcome() != want]

    def of(self, querier_ip, target=None):
        return [j for j in self.judged if j[0].querier.split(":")[0] == querier_ip and
                (target is None or hashlib.sha1(j[0].args[b"k"] + j[0].args.get(b"salt", b"")).digest() == target)]

    @staticmethod
    def describe(judged):
        """"302 ×7 (js holding seq 3), ok ×1 (js holding nothing)"."""
        counts = {}
        for ex, impl, old, want in judged:
            held = f"seq {old[0]}" if old else "nothing"
            key = (ex.outcome(), impl, held)
            counts[key] = counts.get(key, 0) + 1
        return ", ".join(f"{o if o is not None else 'no answer'} ×{n} ({impl} holding {held})"
                         for (o, impl, held), n in sorted(counts.items(), key=str))


class Missing(Exception):
    """Something the test needs is not installed."""


class StepFailed(AssertionError):
    pass


def expect(cond, what):
    if not cond:
        raise StepFailed(what)


def text_hex(text):
    return text.encode("utf-8").hex()


def bencoded_str(text):
    raw = text.encode("utf-8")
    return (b"%d:" % len(raw) + raw).hex()


class FerryResult:
    def __init__(self, rc, obj, argv, out, err):
        self.rc, self.obj, self.argv, self.out, self.err = rc, obj, argv, out, err

    def error(self):
        return self.obj.get("error") if isinstance(self.obj, dict) else None

    def __repr__(self):
        cmd = " ".join(a if " " not in a else repr(a) for a in ["ferry-cli", *self.argv[1:]])
        return f"`{cmd}` → exit {self.rc}, stdout {self.out.strip()!r}, stderr {self.err.strip()[-300:]!r}"


class Ferry:
    """One-shot `ferry-cli dht` commands, each a read-only node on an address of its own."""

    def __init__(self, lab, cli):
        self.lab = lab
        self.cli = cli
        self.next_slot = ONESHOT_FIRST
        self.lock = threading.Lock()

    def address(self):
        with self.lock:
            slot = self.next_slot
            self.next_slot += 1
        return self.lab.address(slot)

    def run(self, command, *args, bind=None, port=None, timeout=50):
        bind = bind or self.address()
        argv = [self.cli, "dht", command, *args, "--json", "--bootstrap", BOOT,
                "--bind", f"{bind}:{port}" if port else bind]
        proc = self.lab.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            raise StepFailed(f"{FerryResult(None, None, argv, out, err)}: no result within {timeout} s")
        lines = [line for line in out.splitlines() if line.strip()]
        try:
            obj = json.loads(lines[-1]) if lines else None
        except ValueError:
            obj = None
        return FerryResult(proc.returncode, obj, argv, out, err)

    def ok(self, command, *args, **kwargs):
        r = self.run(command, *args, **kwargs)
        expect(r.rc == 0 and isinstance(r.obj, dict) and "error" not in r.obj, f"failed: {r}")
        return r.obj

    def refused(self, error, command, *args, **kwargs):
        r = self.run(command, *args, **kwargs)
        expect(r.rc == 1 and r.error() == error, f"wanted the error {error}: {r}")
        return r.obj


class Check:
    """Named steps, printed as they end; a table of the timings at the end."""

    def __init__(self):
        self.failed = []
        self.xfailed = []
        self.timings = []
        self.lock = threading.Lock()

    def step(self, name, pair, fn, *args):
        t = time.monotonic()
        try:
            detail, ok = fn(*args), True
        except Exception as e:  # a failed expectation, a peer that did not answer
            detail, ok = f"{type(e).__name__}: {e}", False
        ms = (time.monotonic() - t) * 1000
        bug = KNOWN_BUGS.get(name)
        if bug is None:
            tag = "ok  " if ok else "FAIL"
        elif ok:
            tag, ok, detail = "XPASS", False, f"passes: remove it from KNOWN_BUGS ({bug})"
        else:
            tag, detail = "XFAIL", f"known product bug: {bug}; {detail}"
        with self.lock:
            self.timings.append((name, pair, ms, tag.strip()))
            if not ok and tag == "XFAIL":
                self.xfailed.append(name)
            elif not ok:
                self.failed.append(name)
            print(f"{tag:5} {ms:6.0f} ms  [{pair}] {name}" + (f"  ({detail})" if detail else ""), flush=True)
        return ok

    def run(self, item):
        """A step (name, pair, fn, args...), or a callable that runs steps itself (a chain)."""
        return item() if callable(item) else self.step(*item)

    def parallel(self, *items):
        """Runs steps and chains at once; True when all passed."""
        with concurrent.futures.ThreadPoolExecutor(len(items)) as ex:
            return all([f.result() for f in [ex.submit(self.run, i) for i in items]])

    def chain(self, *items):
        """Steps one after the other, up to the first that fails (the rest are skipped)."""
        def run():
            for i, item in enumerate(items):
                if not self.run(item):
                    with self.lock:
                        for rest in items[i + 1:]:
                            name = rest[0] if isinstance(rest, tuple) else getattr(rest, "__name__", "?")
                            print(f"skip             {name}", flush=True)
                    return False
            return True
        return run

    def background(self, *items):
        """Starts steps and chains in a thread of their own; join() waits for them."""
        thread = threading.Thread(target=self.parallel, args=items)
        thread.start()
        return thread

    def table(self):
        w = max(len(n) for n, *_ in self.timings)
        pw = max(max(len(p) for _, p, *_ in self.timings), len("implementations"))
        print(f"\n{'operation':<{w}}  {'implementations':<{pw}}  {'ms':>6}")
        for name, pair, ms, tag in self.timings:
            print(f"{name:<{w}}  {pair:<{pw}}  {ms:6.0f}" + ("" if tag == "ok" else f"  {tag}"))


class Serve:
    """`ferry-cli dht serve`: one node per --bind in one process; a status line (JSON) per node
    whenever its state changes, and for every node on "status" from stdin."""

    def __init__(self, lab, cli, binds, state_dir, log):
        argv = [cli, "dht", "serve", "--mode", "server", "--json", "--bootstrap", BOOT, "--state-dir", state_dir]
        for b in binds:
            argv += ["--bind", b]
        self.n = len(binds)
        self.proc = lab.run(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1)
        self.status = {}         # node id → its last status line
        self.count = 0           # status lines so far; -1 once stdout closed
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._stderr, args=(log,), daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.status[obj["id"]] = obj
                self.count += 1
                self.cond.notify_all()
        with self.cond:
            self.count = -1
            self.cond.notify_all()

    def _stderr(self, log):
        for line in self.proc.stderr:
            log.write(f"[serve] {line}")

    def poll(self, timeout=5):
        """Asks every node for its status: {node id: status}."""
        with self.cond:
            start = self.count
            self.proc.stdin.write("status\n")
            self.proc.stdin.flush()
            deadline = time.monotonic() + timeout
            while self.count != -1 and self.count - start < self.n:
                left = deadline - time.monotonic()
                expect(left > 0, "serve did not answer `status`")
                self.cond.wait(left)
            expect(self.count != -1, f"serve exited with status {self.proc.poll()}")
            return dict(self.status)

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            st = self.poll()
            ready = [s for s in st.values() if s["state"] == "ready"]
            if len(st) == self.n and len(ready) == self.n:
                return st
            expect(time.monotonic() < deadline, f"{len(ready)} of {self.n} nodes ready after {timeout} s: "
                   + ", ".join(f"{s['state']}/{s['good']}" for s in st.values()))
            time.sleep(0.2)

    def close(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(5)


def saved_table(path):
    """The addresses ("ip:port") in a routing table Ferry saved (bencoded, compact nodes)."""
    with open(path, "rb") as f:
        data = f.read()
    key = b"5:nodes"
    i = data.index(key) + len(key)
    colon = data.index(b":", i)
    n = int(data[i:colon])
    compact = data[colon + 1:colon + 1 + n]
    out = []
    for j in range(0, len(compact) - 25, 26):
        ip = ".".join(str(b) for b in compact[j + 20:j + 24])
        out.append(f"{ip}:{int.from_bytes(compact[j + 24:j + 26], 'big')}")
    return out


def requirements(cli):
    node = shutil.which("node")
    if node is None:
        raise Missing("'node' not found in PATH")
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "bittorrent-dht")):
        raise Missing("tests/js/node_modules/bittorrent-dht is missing (run `npm ci` in tests/js)")
    if not os.access(LT_PYTHON, os.X_OK) or subprocess.run(
            [LT_PYTHON, "-c", "import libtorrent"], capture_output=True).returncode != 0:
        raise Missing(f"libtorrent's Python bindings are missing for {LT_PYTHON} (Debian: python3-libtorrent)")
    if not os.access(cli, os.X_OK):
        raise SystemExit(f"dht-foreign: {cli} is not an executable")
    return node


def start_js(lab, node, slots, bootstrap, logs):
    args = [node, JS_NODE, "--addresses", ",".join(lab.address(i) for i in slots), "--port", str(PORT)]
    if bootstrap:
        args += ["--bootstrap", bootstrap]
    js = lab.spawn(args, name="js", stderr=logs)
    ev = js.wait_event("ready", 60)
    expect(ev.get("nodes") == len(slots), f"ready with {ev.get('nodes')} nodes")
    return js


def start_lt(lab, slot, logs):
    lt = lab.spawn([LT_PYTHON, LT_NODE, "--address", lab.address(slot), "--port", str(PORT), "--bootstrap", BOOT],
                   name="lt", stderr=logs)
    lt.wait_event("ready", 40)
    return lt


class Net:
    """The operations of one network's test, on its foreign peers and the ferry one-shots."""

    def __init__(self, lab, ferry, js, lt, judge):
        self.lab, self.ferry, self.js, self.lt, self.judge = lab, ferry, js, lt, judge
        self.rnd = os.urandom(3).hex()
        self.items = {}    # name → [seed, salt text, value text]
        self.got = {}      # name → {"k": public key hex, "seq": the seq it has now}

    def item(self, name, value):
        self.items[name] = [os.urandom(32).hex(), f"{name}-sålt-{self.rnd}", f"{value} ✓ {self.rnd}"]

    def js_far(self, name):
        """The bittorrent-dht node farthest from the item's target.  bittorrent-dht does not
        keep the mutable items it puts itself: a writer among the closest nodes would take any
        later put (it has nothing to compare with)."""
        target = int.from_bytes(self.target(name), "big")
        ids = [int(n["id"], 16) for n in self.js.send({"cmd": "nodes"})["nodes"]]
        return max(range(len(ids)), key=lambda i: ids[i] ^ target)

    def js_ok(self, cmd, timeout=30):
        r = self.js.send(cmd, timeout=timeout)
        expect(r.get("ok"), f"bittorrent-dht {cmd} → {r}")
        return r

    def lt_ok(self, cmd, timeout=70):
        r = self.lt.send(cmd, timeout=timeout)
        expect(r.get("ok"), f"libtorrent {cmd} → {r}")
        return r

    # writes

    def js_announce(self, at, info_hash, port):
        r = self.js_ok({"cmd": "announce", "node": at, "info_hash": info_hash, "port": port})
        return f"stored at {r['nodes']} nodes"

    def lt_announce(self, info_hash):
        r = self.lt_ok({"cmd": "announce", "info_hash": info_hash, "via": "torrent"})
        return f"announce_peer to {r['nodes']} nodes, port {r['port']}"

    def ferry_announce(self, info_hash, bind, port):
        r = self.ferry.ok("announce", info_hash, bind=bind, port=port)
        expect(r["nodes"] >= 1, r)
        return f"stored at {r['nodes']} nodes"

    def js_put(self, name, seq, at=None):
        """at: the node that puts (None: the one farthest from the item, js_far)."""
        seed, salt, value = self.items[name]
        at = self.js_far(name) if at is None else at
        r = self.js_ok({"cmd": "put", "node": at, "seed": seed, "salt": text_hex(salt), "seq": seq, "value": value})
        expect(r["target"] == self.target(name).hex(), f"not the target computed here: {r}")
        self.got[name] = {"k": r["k"], "seq": seq}
        return f"seq {seq} at {r['nodes']} nodes"

    def lt_put(self, name, want_seq=None):
        seed, salt, value = self.items[name]
        r = self.lt_ok({"cmd": "put", "seed": seed, "salt": text_hex(salt), "value": value})
        if want_seq is not None:
            expect(r["seq"] == want_seq, f"libtorrent should read seq {want_seq - 1} and put {want_seq}: {r}")
        self.got[name] = {"k": r["k"], "seq": r["seq"]}
        return f"libtorrent chose seq {r['seq']}, {r['num_success']} nodes"

    def ferry_put(self, name, seq):
        seed, salt, value = self.items[name]
        r = self.ferry.ok("put", value, "--seed", seed, "--salt", salt, "--seq", str(seq))
        expect(r["seq"] == seq and len(r["public-key"]) == 64 and r["nodes"] >= 1, r)
        self.got[name] = {"k": r["public-key"], "seq": seq}
        return f"seq {seq} at {r['nodes']} nodes"

    # reads

    def js_lookup(self, at, info_hash, want):
        r = self.js_ok({"cmd": "lookup", "node": at, "info_hash": info_hash})
        expect(want in r["peers"], f"{want} not among {r}")
        return f"peers {r['peers']}, {r['visited']} nodes visited"

    def lt_lookup(self, info_hash, want):
        r = self.lt_ok({"cmd": "lookup", "info_hash": info_hash, "timeout": LT_READ_TIMEOUT}, timeout=30)
        expect(want in r["peers"], f"{want} not among {r}")
        return f"peers {r['peers']}, traversal complete {r['complete']}"

    def ferry_get_peers(self, info_hash, want):
        r = self.ferry.ok("get-peers", info_hash)
        expect(want in r["peers"], f"{want} not among {r}")
        return f"peers {r['peers']}"

    def js_get(self, name, at):
        _, salt, value = self.items[name]
        r = self.js_ok({"cmd": "get", "node": at, "public_key": self.got[name]["k"], "salt": text_hex(salt)})
        expect(bytes.fromhex(r["value_hex"]) == value.encode() and r["seq"] == self.got[name]["seq"],
               f"{r}, wanted seq {self.got[name]['seq']} {value!r}")
        expect(r["verified_replies"] >= 1, f"no verified reply from the network: {r}")
        return f"seq {r['seq']}, {r['verified_replies']} verified replies"

    def lt_get(self, name):
        _, salt, value = self.items[name]
        r = self.lt_ok({"cmd": "get", "public_key": self.got[name]["k"], "salt": text_hex(salt),
                        "timeout": LT_READ_TIMEOUT}, timeout=30)
        expect(bytes.fromhex(r["value_hex"]) == value.encode() and r["seq"] == self.got[name]["seq"],
               f"{r}, wanted seq {self.got[name]['seq']} {value!r}")
        return f"seq {r['seq']}, authoritative {r['authoritative']}"

    def ferry_get(self, name):
        _, salt, value = self.items[name]
        r = self.ferry.ok("get", self.got[name]["k"], "--salt", salt)
        expect(r["value"] == value and r["bencoded"] == bencoded_str(value) and r["seq"] == self.got[name]["seq"],
               f"{r}, wanted seq {self.got[name]['seq']} {value!r}")
        return r

    def ferry_get_step(self, name):
        r = self.ferry_get(name)
        return f"seq {r['seq']} from {r['nodes']} nodes"

    def target(self, name):
        seed, salt, _ = self.items[name]
        return hashlib.sha1(load_lt_node().public_key(bytes.fromhex(seed)) + salt.encode()).digest()

    def judged(self, own, what):
        """Checks each answer against what its node held (Bep44), and that some node held the
        item (or the step tested nothing); returns a summary."""
        wrong = self.judge.bep.wrong(own)
        expect(own, f"{what}: no put on the wire")
        expect(not wrong, f"{what}: answers against the node's rules: " + "; ".join(
            f"{ex.queried} ({impl}, holding {old}) answered {ex.outcome()}, not {want}"
            for ex, impl, old, want in wrong))
        expect(any(old is not None for _, _, old, _ in own), f"{what}: no node held the item: {Bep44.describe(own)}")
        return Bep44.describe(own)

    def ferry_put_judged(self, name, value, seq, cas=None):
        """A ferry-cli put over an item others wrote: each node's answer by its own rules, and
        ferry-cli's result from the answers (stored at the nodes that took it, else the error)."""
        bind = self.ferry.address()
        r = self.ferry.run(*self.ferry_put_args(name, value, seq, cas), bind=bind)
        own = self.judge.puts_of(bind, self.target(name))
        if not own:
            # Ferry refuses before storing when the closest nodes' answers to its get show a
            # newer item, or another seq than cas names (what they would answer).
            held = self.got[name]["seq"]
            want = ("cas-mismatch" if cas is not None and cas != held else
                    "seq-too-low" if seq < held or (seq == held and value != self.items[name][2]) else None)
            expect(want is not None, f"{r}: no put on the wire, and the item (seq {held}) allows it")
            expect(r.rc == 1 and r.error() == want, f"the item is at seq {held}: {want} expected, but {r}")
            return f"{want}, refused before storing (the item is at seq {held})"
        summary = self.judged(own, f"{r}")
        took = sum(1 for ex, *_ in own if ex.outcome() == "ok")
        codes = {ex.outcome() for ex, *_ in own if ex.outcome() not in ("ok", None)}
        if took:
            expect(r.rc == 0 and r.obj.get("nodes") == took, f"{took} nodes took it, but {r}")
            if seq > self.got[name]["seq"]:
                self.got[name]["seq"], self.items[name][2] = seq, value
        else:
            expect(r.rc == 1 and r.error() in {ERRORS.get(c) for c in codes}, f"all refused ({summary}), but {r}")
        return f"{r.error() or 'stored at %d nodes' % took}: {summary}"

    def js_put_judged(self, name, value, seq, at, cas=None):
        """A bittorrent-dht put over an item ferry-cli wrote, judged at each node (Ferry's above all)."""
        seed, salt, _ = self.items[name]
        cmd = {"cmd": "put", "node": at, "seed": seed, "salt": text_hex(salt), "seq": seq, "value": value}
        if cas is not None:
            cmd["cas"] = cas
        r = self.js.send(cmd)
        own = self.judge.puts_of(self.lab.address(JS2[at]), self.target(name))
        own = [j for j in own if j[0].args.get(b"seq") == seq and j[0].args.get(b"cas") == cas]
        summary = self.judged(own, f"bittorrent-dht {cmd}")
        took = sum(1 for ex, *_ in own if ex.outcome() == "ok")
        expect(r["ok"] == (took > 0), f"{took} nodes took it, but bittorrent-dht says {r}")
        if took and seq > self.got[name]["seq"]:
            self.got[name]["seq"], self.items[name][2] = seq, value
        return f"{'stored at %d nodes' % r['nodes'] if r['ok'] else r['error']}: {summary}"

    def ferry_put_args(self, name, value, seq, cas=None):
        seed, salt, _ = self.items[name]
        args = ["put", value, "--seed", seed, "--salt", salt, "--seq", str(seq)]
        return args + (["--cas", str(cas)] if cas is not None else [])


def wire_step(check, judge, what):
    """Every mutable put on the wire so far, as the rules of the node that answered say."""
    def run():
        judge.refresh()
        bep = judge.bep
        wrong = bep.wrong()
        expect(not wrong, "answers against the node's rules: " + "; ".join(
            f"{ex.querier} → {ex.queried} ({impl}, holding {old}) put seq {ex.args.get(b'seq')} "
            f"cas {ex.args.get(b'cas')}: {ex.outcome()}, not {want}" for ex, impl, old, want in wrong[:10]))
        expect(not bep.inconsistent, "; ".join(bep.inconsistent[:5]))
        return f"{len(bep.judged)} puts: {Bep44.describe(bep.judged)}"
    return check.step(f"BEP 44 answers on the wire ({what})", "all", run)


def get_seq_evidence(judge, bind, min_seq):
    """The nodes that answered a get for newer than `min_seq` with an item not newer."""
    exchanges, _ = judge.refresh()
    out = []
    for ex in exchanges:
        if ex.querier.split(":")[0] == bind and ex.method == "get" and ex.args.get(b"seq") == min_seq:
            body = ex.body()
            if b"v" in body and body.get(b"seq", min_seq + 1) <= min_seq:
                out.append(f"{ex.queried} (seq {body[b'seq']})")
    return out


# --- part 1: Ferry joins a foreign-only network ---------------------------------------------------

def part1(check, lab, node, ferry, logs, pcap_dir):
    peers = {}
    t0 = time.monotonic()

    def impl_of(address):
        i = int(address.split(".")[2])
        return "js" if i < N_BIG else "lt" if i == LT1 else None
    judge = Judge(Wire(lab, pcap_dir, "part1"), impl_of)
    peers["wire"] = judge.wire

    def start():
        peers["js"] = start_js(lab, node, range(N_BIG), None, logs)
        t_js = time.monotonic() - t0
        peers["lt"] = start_lt(lab, LT1, logs)
        tables = [n["table"] for n in peers["js"].send({"cmd": "nodes"})["nodes"]]
        return (f"bittorrent-dht ready in {t_js:.1f} s, tables {min(tables)}..{max(tables)}; "
                f"libtorrent table {peers['lt'].send({'cmd': 'nodes'})['nodes'][0]['table']}")
    if not check.step("start 30 bittorrent-dht nodes + libtorrent", "js, lt", start):
        return peers
    net = Net(lab, ferry, peers["js"], peers["lt"], judge)
    net.item("ferry", "from Ferry: ünïcode")
    net.item("js", "from bittorrent-dht")
    net.item("lt", "from libtorrent")
    for name in ("seq-js", "cas-js", "same-js"):
        net.item(name, "seq 3 by bittorrent-dht")
    net.item("seq-lt", "seq 1000 by Ferry")
    h_ferry, h_js, h_lt = (os.urandom(20).hex() for _ in range(3))
    ferry_peer = (ferry.address(), 7001)
    js_announcer, js_port = 9, 5555

    # Round 0: the foreign writes, before any ferry-cli node exists.  The seq/cas items are put
    # by the bittorrent-dht node farthest from them (see Net.js_far).
    check.parallel(
        ("announce, port 5555", "js", net.js_announce, js_announcer, h_js, js_port),
        ("announce via a torrent", "lt", net.lt_announce, h_lt),
        ("put salted mutable item", "js", net.js_put, "js", 3, 7),
        ("put salted mutable item", "lt", net.lt_put, "lt"),
        *[(f"put seq 3 ({name})", "js", net.js_put, name, 3) for name in ("seq-js", "cas-js", "same-js")],
    )

    # Round 1: ferry-cli writes, reads what the foreign nodes wrote, and puts over their seq:
    # each answer is judged by what its node holds (Bep44); ferry-cli's result must follow.
    def status():
        r = ferry.ok("status")
        expect(r["state"] == "ready" and not r["serving"] and r["good"] >= 4, r)
        return f"{r['state']}, {r['nodes']} nodes, {r['good']} good, external {r['external']}"

    def announce():
        return net.ferry_announce(h_ferry, *ferry_peer)

    def get_newer():
        bind = ferry.address()
        k, salt = net.got["seq-js"]["k"], net.items["seq-js"][1]
        r = ferry.run("get", k, "--salt", salt, "--seq", "3", bind=bind)
        if r.rc == 1 and r.error() == "not-found":
            return None
        raise StepFailed(f"{r}; the nodes that sent seq ≤ 3 anyway: {get_seq_evidence(judge, bind, 3)}")

    def lt_over_ferry():
        net.items["seq-lt"][2] = f"libtorrent after Ferry's seq 1000 {net.rnd}"
        return net.lt_put("seq-lt", 1001)

    # libtorrent chooses its seq: the highest it reads + 1.  A libtorrent get or put whose
    # neighbourhood holds a silent node (a ferry-cli node: read-only, or gone) takes 15 s, so
    # this chain starts first and runs through the rounds; the rest waits for its ferry-cli put.
    put_done = threading.Event()

    def ferry_put_1000():
        try:
            return net.ferry_put("seq-lt", 1000)
        finally:
            put_done.set()
    lt_seq = check.background(check.chain(
        ("put seq 1000", "ferry", ferry_put_1000),
        ("put over seq 1000: seq 1001", "ferry→lt", lt_over_ferry),
        lambda: check.parallel(
            ("get (key + salt): seq 1001", "lt→ferry", net.ferry_get_step, "seq-lt"),
            ("put seq 999 over seq 1001", "lt→ferry→lt", net.ferry_put_judged, "seq-lt", f"seq 999 {net.rnd}", 999),
        ),
    ))
    put_done.wait()
    check.parallel(
        ("status (one-shot, read-only)", "ferry in js+lt", status),
        ("announce, implied port", "ferry", announce),
        ("put salted mutable item", "ferry", net.ferry_put, "ferry", 7),
        ("get-peers finds the announce", "js→ferry", net.ferry_get_peers, h_js,
         f"{lab.address(js_announcer)}:{js_port}"),
        ("get-peers finds the announce", "lt→ferry", net.ferry_get_peers, h_lt, f"{lab.address(LT1)}:{PORT}"),
        ("get (key + salt)", "js→ferry", net.ferry_get_step, "js"),
        ("get (key + salt)", "lt→ferry", net.ferry_get_step, "lt"),
        ("put seq 2 over seq 3", "js→ferry→js", net.ferry_put_judged, "seq-js", f"seq 2 by Ferry {net.rnd}", 2),
        ("put the same seq 3 and value again", "js→ferry→js", net.ferry_put_judged, "same-js",
         net.items["same-js"][2], 3),
        ("get --seq: only newer values", "js→ferry", get_newer),
        check.chain(
            ("put cas 2 over seq 3", "js→ferry→js", net.ferry_put_judged, "cas-js", f"cas 2 {net.rnd}", 5, 2),
            ("put cas 3 over seq 3", "js→ferry→js", net.ferry_put_judged, "cas-js", f"cas 3 {net.rnd}", 5, 3),
            ("get (key + salt): seq 5", "ferry→js", net.js_get, "cas-js", 25),
        ),
    )

    # Round 2: the foreign nodes read what ferry-cli wrote.
    want = f"{ferry_peer[0]}:{ferry_peer[1]}"
    check.parallel(
        ("lookup finds the announce", "ferry→js", net.js_lookup, 17, h_ferry, want),
        ("get_peers finds the announce", "ferry→lt", net.lt_lookup, h_ferry, want),
        ("get (key + salt)", "ferry→js", net.js_get, "ferry", 11),
        ("get (key + salt)", "ferry→lt", net.lt_get, "ferry"),
    )
    lt_seq.join()

    def tables():
        js_tables = [n["table"] for n in net.js.send({"cmd": "nodes"})["nodes"]]
        lt_table = net.lt.send({"cmd": "nodes"})["nodes"][0]["table"]
        return (f"bittorrent-dht tables {min(js_tables)}..{max(js_tables)} nodes (31 foreign nodes at most, "
                f"more: read-only ferry-cli nodes); libtorrent {lt_table}")
    check.step("tables after the one-shots", "js, lt", tables)
    wire_step(check, judge, "part 1")
    return peers


# --- part 2: foreign nodes join a Ferry-only network ------------------------------------------------

def part2(check, lab, node, ferry, state_dir, logs, pcap_dir):
    state = {}
    foreign = {f"{lab.address(i)}:{PORT}" for i in [*JS2, LT2]}

    def impl_of(address):
        i = int(address.split(".")[2])
        return "ferry" if i < N_BIG else "js" if i in JS2 else "lt" if i == LT2 else None
    judge = Judge(Wire(lab, pcap_dir, "part2"), impl_of)
    state["wire"] = judge.wire

    def start_serve():
        serve = state["serve"] = Serve(lab, ferry.cli, [f"{lab.address(i)}:{PORT}" for i in range(N_BIG)],
                                       state_dir, logs)
        st = state["before"] = serve.wait_ready(30)
        expect(all(s["serving"] for s in st.values()), "a node does not serve")
        counts = sorted(s["nodes"] for s in st.values())
        return f"30 nodes ready and serving, tables {counts[0]}..{counts[-1]} nodes"
    if not check.step("serve: 30 ferry nodes ready", "ferry", start_serve):
        return state

    def start_foreign():
        t = time.monotonic()
        state["js"] = start_js(lab, node, JS2, BOOT, logs)
        t_js = time.monotonic() - t
        state["lt"] = start_lt(lab, LT2, logs)
        tables = [n["table"] for n in state["js"].send({"cmd": "nodes"})["nodes"]]
        lt_table = state["lt"].send({"cmd": "nodes"})["nodes"][0]["table"]
        # 3 other bittorrent-dht nodes and libtorrent are foreign: more than 4 nodes are ferry ones.
        expect(min(tables) > len(JS2), f"bittorrent-dht tables {tables}: no ferry node in them")
        expect(lt_table > len(JS2), f"libtorrent's table has {lt_table} nodes: no ferry node in it")
        return f"bittorrent-dht ready in {t_js:.1f} s, tables {tables}; libtorrent table {lt_table}"
    if not check.step("4 bittorrent-dht nodes + libtorrent join", "js, lt→ferry", start_foreign):
        return state
    net = Net(lab, ferry, state["js"], state["lt"], judge)
    net.item("ferry", "Ferry in its own network")
    net.item("js", "bittorrent-dht in Ferry's network")
    net.item("lt", "libtorrent in Ferry's network")
    net.item("seq-js", "seq 42 by Ferry")
    net.item("seq-lt", "seq 42 by Ferry")
    h_ferry, h_js = os.urandom(20).hex(), os.urandom(20).hex()
    js_announcer, js_port = 1, 5556
    ferry_peer = (ferry.address(), 7002)

    def grown():
        # Counts only: a table that grew may have taken ferry nodes as well (the answers of the
        # ferry nodes, on the wire, show the foreign nodes in their tables at the end).
        after, before = state["serve"].poll(), state["before"]
        grew = [i for i, s in after.items() if s["nodes"] > before[i]["nodes"]]
        return (f"{len(grew)} of 30 tables grew: {sorted(s['nodes'] for s in before.values())} → "
                f"{sorted(s['nodes'] for s in after.values())} nodes")
    check.step("ferry tables when the newcomers came (status)", "js, lt→ferry", grown)

    # Round 0: the foreign writes, before any ferry-cli node joins.
    check.parallel(
        ("announce, port 5556", "js", net.js_announce, js_announcer, h_js, js_port),
        ("put salted mutable item", "js", net.js_put, "js", 10, 2),
        ("put salted mutable item", "lt", net.lt_put, "lt"),
    )

    # Round 1: ferry-cli writes and reads what the foreign nodes wrote; in the background, the
    # foreign nodes write over ferry-cli's seq 42, each answer of a ferry node judged (Bep44).
    def lt_over_ferry():
        net.items["seq-lt"][2] = f"libtorrent after Ferry's seq 42 {net.rnd}"
        return net.lt_put("seq-lt", 43)

    put_done = threading.Event()

    def ferry_put_42():
        try:
            return net.ferry_put("seq-lt", 42)
        finally:
            put_done.set()
    seq = check.background(
        check.chain(
            ("put seq 42", "ferry", ferry_put_42),
            ("put over seq 42: seq 43", "ferry→lt", lt_over_ferry),
            ("get (key + salt): seq 43", "lt→ferry", net.ferry_get_step, "seq-lt"),
        ),
        check.chain(
            ("put seq 42", "ferry", net.ferry_put, "seq-js", 42),
            # each put by bittorrent-dht node 2 (198.18.35.1)
            ("put seq 41 over seq 42", "ferry→js→ferry", net.js_put_judged, "seq-js", "seq 41", 41, 2),
            ("put cas 40 over seq 42", "ferry→js→ferry", net.js_put_judged, "seq-js", "cas 40", 43, 2, 40),
            ("put cas 42 over seq 42", "ferry→js→ferry", net.js_put_judged, "seq-js", "cas 42", 43, 2, 42),
            ("get (key + salt): seq 43", "js→ferry", net.ferry_get_step, "seq-js"),
        ),
    )

    def announce():
        return net.ferry_announce(h_ferry, *ferry_peer)
    put_done.wait()
    check.parallel(
        ("announce, implied port", "ferry", announce),
        ("put salted mutable item", "ferry", net.ferry_put, "ferry", 42),
        ("get-peers finds the announce", "js→ferry", net.ferry_get_peers, h_js,
         f"{lab.address(JS2[js_announcer])}:{js_port}"),
        ("get (key + salt)", "js→ferry", net.ferry_get_step, "js"),
        ("get (key + salt)", "lt→ferry", net.ferry_get_step, "lt"),
    )

    # Round 2: the foreign nodes read what ferry-cli wrote; a one-shot status.
    want = f"{ferry_peer[0]}:{ferry_peer[1]}"

    def status():
        r = ferry.ok("status")
        expect(r["state"] == "ready" and not r["serving"], r)
        return f"{r['nodes']} nodes, {r['good']} good, external {r['external']}"
    check.parallel(
        ("lookup finds the announce", "ferry→js", net.js_lookup, 3, h_ferry, want),
        ("get_peers finds the announce", "ferry→lt", net.lt_lookup, h_ferry, want),
        ("get (key + salt)", "ferry→js", net.js_get, "ferry", 0),
        ("get (key + salt)", "ferry→lt", net.lt_get, "ferry"),
        ("status (one-shot, read-only)", "ferry", status),
    )
    seq.join()

    def tables_on_wire():
        # A ferry node answers find_node, get_peers and get with the closest nodes of its table.
        exchanges, _ = judge.refresh()
        told = {}
        for ex in exchanges:
            nodes = ex.body().get(b"nodes")
            if impl_of(ex.queried) == "ferry" and isinstance(nodes, bytes):
                for j in range(0, len(nodes) - 25, 26):
                    addr = f"{'.'.join(map(str, nodes[j + 20:j + 24]))}:{int.from_bytes(nodes[j + 24:j + 26], 'big')}"
                    if addr in foreign:
                        told.setdefault(ex.queried, set()).add(addr)
        expect(told, "no ferry node named a foreign node in its answers")
        met = set().union(*told.values())
        return (f"{len(told)} of 30 ferry nodes named foreign nodes from their tables in answers; "
                f"all of them together: {sorted(met)}")
    check.step("ferry tables hold the foreign nodes (their answers)", "js, lt→ferry", tables_on_wire)
    wire_step(check, judge, "part 2")
    return state


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--capture":
        return capture_main(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cli", help="path to ferry-cli")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the peers' logs")
    ap.add_argument("--keep-pcap", metavar="DIR", help="keep the packets of each part in DIR (part1.pcap, part2.pcap)")
    args = ap.parse_args()
    cli = os.path.abspath(args.cli)
    ci = os.environ.get("CI") == "true"
    try:
        node = requirements(cli)
        lab = Lab(N_SLOTS)
    except (Missing, LabUnavailable) as e:
        print(f"dht-foreign: {'FAIL' if ci else 'SKIP'}: {e}", file=sys.stderr)
        return 1 if ci else 77

    logs = sys.stderr if args.verbose else open(os.devnull, "w")
    check = Check()
    ferry = Ferry(lab, cli)
    tmp = tempfile.mkdtemp(prefix="dht-foreign-")
    state_dir = os.path.join(tmp, "serve")
    pcap_dir = args.keep_pcap or tmp
    os.makedirs(pcap_dir, exist_ok=True)
    t0 = time.monotonic()
    try:
        print("--- part 1: ferry-cli in a network of 30 bittorrent-dht nodes and libtorrent", flush=True)
        peers = part1(check, lab, node, ferry, logs, pcap_dir)
        if "wire" in peers:
            peers.pop("wire").close()

        def stop_foreign():
            rc = tuple(p.close() for p in peers.values())
            expect(all(c == 0 for c in rc), f"exit statuses {rc}")
        check.step("foreign nodes stop (stdin EOF)", "js, lt", stop_foreign)

        print("--- part 2: bittorrent-dht and libtorrent join a network of 30 ferry nodes", flush=True)
        state = part2(check, lab, node, ferry, state_dir, logs, pcap_dir)
        if "wire" in state:
            state.pop("wire").close()

        def stop_all():
            rc = tuple(state[p].close() for p in ("js", "lt", "serve") if p in state)
            expect(all(c == 0 for c in rc), f"exit statuses (js, lt, serve) {rc}")
        check.step("all stop (stdin EOF)", "ferry, js, lt", stop_all)

        def saved():
            # Each node of serve saves its table when it stops, node N into --state-dir/N.
            foreign = {f"{lab.address(i)}:{PORT}" for i in [*JS2, LT2]}
            tables = [saved_table(os.path.join(state_dir, d, "dht-ipv4.dat")) for d in sorted(os.listdir(state_dir))
                      if os.path.exists(os.path.join(state_dir, d, "dht-ipv4.dat"))]
            expect(tables, f"no table saved in {state_dir}")
            met = sorted(foreign.intersection(set().union(*tables)))
            expect(met, f"no foreign node in the {len(tables)} tables saved")
            with_foreign = sum(1 for t in tables if foreign.intersection(t))
            return f"{len(tables)} tables saved, {with_foreign} with foreign nodes: {met}"
        if "serve" in state:
            check.step("a ferry node's saved table holds foreign nodes", "js, lt→ferry", saved)
    finally:
        lab.close()
        shutil.rmtree(tmp, ignore_errors=True)
    check.table()
    total = time.monotonic() - t0
    passed = len(check.timings) - len(check.failed) - len(check.xfailed)
    print(f"\n{passed} passed, {len(check.failed)} failed, {len(check.xfailed)} known product bugs (XFAIL) "
          f"in {total:.1f} s")
    return 0 if not check.failed else 1


if __name__ == "__main__":
    sys.exit(main())
