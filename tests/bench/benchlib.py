"""Plumbing shared by the transfer benchmarks (bench-transfer.py, bench-path.py).

Each process's CPU time (user + system) comes from wait4, so it is the child's own and the
harness's work (making files, hashing them) is never counted. Its peak RSS is VmHWM from
/proc/PID/status, read every 20 ms while it runs: wait4's ru_maxrss cannot be used, because a
child starts with the RSS of this Python process at fork time (50 MiB and more once it has made
and hashed a file), so every side would have shown at least that.

Everything runs on loopback or in namespaces the benchmark made; the Ferry sides get no STUN
server and only the local tracker, magic-wormhole only the local mailbox server and transit relay.
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

MiB = 2**20
GiB = 2**30
_children = []   # every Popen still possibly running, killed on exit
_tempdirs = []


class BenchError(Exception):
    """A run that failed: the benchmark prints it and exits 1."""


def skip_or_fail(what):
    """Exit 77 (skip), or 1 when CI=true so that a CI run cannot pass by skipping."""
    if os.environ.get("CI") == "true":
        print(f"FAIL: {what} (CI=true, so this is not skipped)", flush=True)
        sys.exit(1)
    print(f"SKIP: {what}", flush=True)
    sys.exit(77)


def log(msg):
    print(f"# {msg}", flush=True)


def tempdir(tag, base=None):
    d = tempfile.mkdtemp(prefix=f"ferry-bench-{tag}-", dir=base)
    _tempdirs.append(d)
    return d


def cleanup():
    for p in _children:
        if p.poll() is None:
            try:
                p.terminate()
            except OSError:
                pass
    deadline = time.monotonic() + 3
    for p in _children:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    _children.clear()
    for d in _tempdirs:
        shutil.rmtree(d, ignore_errors=True)
    _tempdirs.clear()


def install_signal_handlers():
    def on_signal(signum, _frame):
        print(f"# signal {signum}: stopping", flush=True)
        cleanup()
        sys.exit(128 + signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)


def in_netns(ns, cmd):
    return ["ip", "netns", "exec", ns] + cmd if ns else cmd


class Proc:
    """A child whose stdout lines (JSON when they parse) are collected with their arrival time.
    `ip netns exec` execs the command (it does not fork), so the pid is the command's own: wait4
    and /proc/PID/status measure the command itself."""

    def __init__(self, cmd, ns=None, env=None, cwd=None, stdin=subprocess.DEVNULL, name=None,
                 stderr_to=None):
        self.name = name or os.path.basename(cmd[0])
        self.lines = []          # (monotonic time, text, parsed JSON or None)
        self.cond = threading.Condition()
        self.started = time.monotonic()
        self.popen = subprocess.Popen(in_netns(ns, cmd), stdin=stdin, stdout=subprocess.PIPE,
                                      stderr=stderr_to if stderr_to is not None else subprocess.PIPE,
                                      env=env, cwd=cwd, text=True, bufsize=1)
        _children.append(self.popen)
        self.stderr_tail = []
        self.status = None
        self.rusage = None
        self.ended = None
        self.peak_rss_kib = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._sample_rss, daemon=True).start()
        if self.popen.stderr is not None:
            threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self):
        for line in self.popen.stdout:
            line = line.rstrip("\n")
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            with self.cond:
                self.lines.append((time.monotonic(), line, obj))
                self.cond.notify_all()
        with self.cond:
            self.lines.append((time.monotonic(), None, None))  # EOF
            self.cond.notify_all()

    def _read_stderr(self):
        for line in self.popen.stderr:
            self.stderr_tail.append(line.rstrip("\n"))
            del self.stderr_tail[:-40]

    def _sample_rss(self):
        """Keeps the largest VmHWM (the kernel's own high-water mark of the resident set) seen
        until the child ends. VmHWM only grows, so the last reading before exit is the peak
        unless the child grew in its last 20 ms. (A zombie has no VmHWM line; once reaped its
        file is gone.)"""
        path = f"/proc/{self.popen.pid}/status"
        while self.status is None:
            try:
                with open(path) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak_rss_kib = max(self.peak_rss_kib, int(line.split()[1]))
                            break
            except (OSError, ValueError):
                return
            time.sleep(0.02)

    def wait_line(self, pred, timeout, what):
        """The first stdout line (t, text, obj) for which pred(obj, text) holds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            i = 0
            while True:
                while i < len(self.lines):
                    t, text, obj = self.lines[i]
                    i += 1
                    if text is None:
                        raise BenchError(f"{self.name} ended before {what}{self.describe_end()}")
                    if pred(obj, text):
                        return t, text, obj
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BenchError(f"{self.name}: waited {timeout} s for {what} in vain{self.tail()}")
                self.cond.wait(left)

    def json_events(self):
        with self.cond:
            return [(t, obj) for t, _text, obj in self.lines if isinstance(obj, dict)]

    def poll(self):
        """Reaps the child if it has ended (status and rusage), without blocking."""
        if self.status is None:
            try:
                pid, status, ru = os.wait4(self.popen.pid, os.WNOHANG)
            except ChildProcessError:
                # Popen reaped it first (terminate() polls before it signals): no CPU figures,
                # which only matters for a child being stopped, never for a measured one.
                self.ended = time.monotonic()
                self.status = self.popen.returncode if self.popen.returncode is not None else -1
                return self.status
            if pid:
                self.ended = time.monotonic()
                self.status = os.waitstatus_to_exitcode(status)
                self.rusage = ru
                self.popen.returncode = self.status
        return self.status

    def wait(self, timeout, what="to finish"):
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name}: waited {timeout} s for it {what} in vain{self.tail()}")
            time.sleep(0.01)
        return self.status

    def stop(self):
        if self.poll() is None:
            self.popen.terminate()
            try:
                self.wait(5)
            except BenchError:
                self.popen.kill()
                self.wait(5)

    def cpu_s(self):
        return self.rusage.ru_utime + self.rusage.ru_stime

    def max_rss_mib(self):
        return self.peak_rss_kib / 1024

    def tail(self):
        return ("\n  stderr: " + "\n  stderr: ".join(self.stderr_tail[-40:])) if self.stderr_tail else ""

    def describe_end(self):
        self.poll()
        return f" (exit {self.status}){self.tail()}"


def need_tool(path_or_name, what):
    found = shutil.which(path_or_name)
    if not found:
        skip_or_fail(f"{what} not found ({path_or_name})")
    return found


def free_port(host="127.0.0.1", ns=None):
    """A TCP port free now on host (inside ns when given): the benchmarks' namespaces are private,
    so nobody takes it before the server does."""
    code = f"import socket; s = socket.socket(); s.bind(({host!r}, 0)); print(s.getsockname()[1])"
    return int(subprocess.check_output(in_netns(ns, [sys.executable, "-c", code]), text=True))


def wait_port(host, port, ns=None, timeout=20):
    code = (f"import socket, sys, time\n"
            f"end = time.monotonic() + {timeout}\n"
            f"while time.monotonic() < end:\n"
            f"    try:\n"
            f"        socket.create_connection(({host!r}, {port}), timeout=1).close(); sys.exit(0)\n"
            f"    except OSError:\n"
            f"        time.sleep(0.05)\n"
            f"sys.exit(1)\n")
    if subprocess.call(in_netns(ns, [sys.executable, "-c", code])) != 0:
        raise BenchError(f"nothing listens on {host}:{port} after {timeout} s")


# --- files ----------------------------------------------------------------------------------------

def check_disk(path, needed):
    return shutil.disk_usage(path).free >= needed


def make_random_file(path, size, chunk=16 * MiB):
    """Random, incompressible content; returns its SHA-256 (hex). Not part of any measurement."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(chunk, left))
            h.update(block)
            f.write(block)
            left -= len(block)
    return h.hexdigest()


def recycle_page_cache(directory, size, chunk=8 * MiB):
    """Writes @size bytes to a scratch file in @directory and deletes it (not part of any
    measurement), so that the next receiver writes into memory the kernel has used before.

    In a virtual machine, the first write into guest memory that was never touched costs the
    host a fault per page: on the benchmark machines `dd` put 1 GiB into the page cache with
    2.1-2.4 s of system CPU into fresh memory and 0.2-0.5 s into pages freed a moment before.
    Without this, whichever stack runs first pays that for its receiver and the next one reuses
    the pages freed when the first one's file was deleted."""
    path = os.path.join(directory, "recycle.tmp")
    zeros = bytes(chunk)
    with open(path, "wb") as f:
        left = size
        while left:
            f.write(zeros[:min(chunk, left)])
            left -= min(chunk, left)
    os.unlink(path)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(16 * MiB)
            if not block:
                return h.hexdigest()
            h.update(block)


def tree_bytes(path):
    """Bytes of every regular file under path (what a receiver has written so far)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def only_file(path):
    files = [os.path.join(r, n) for r, _d, fs in os.walk(path) for n in fs]
    if len(files) != 1:
        raise BenchError(f"expected one received file in {path}, found {files}")
    return files[0]


class FirstByteWatcher:
    """Polls a receive directory every 10 ms; `first` is when some file there first had data."""

    def __init__(self, path):
        self.path = path
        self.first = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop and self.first is None:
            if tree_bytes(self.path) > 0:
                self.first = time.monotonic()
            time.sleep(0.01)

    def stop(self):
        self._stop = True
        self._thread.join()


# --- services -------------------------------------------------------------------------------------

def start_tracker(node, js_dir, host="127.0.0.1", ns=None):
    p = Proc([node, os.path.join(js_dir, "tracker-server.mjs"), f"--host={host}", "--quiet"], ns=ns,
             stdin=subprocess.PIPE, name="tracker")
    _t, _text, obj = p.wait_line(lambda o, _t: isinstance(o, dict) and "port" in o, 20, "its port")
    p.url = f"ws://{host}:{obj['port']}"
    return p


def start_wormhole_servers(twist, host="127.0.0.1", ns=None):
    """The mailbox server and the transit relay on host; returns (procs, relay_url, transit)."""
    d = tempdir("mailbox")
    mport = free_port(host, ns)
    mailbox = Proc([twist, "wormhole-mailbox", f"--port=tcp:{mport}:interface={host}",
                    f"--channel-db={d}/relay.sqlite"], ns=ns, cwd=d, name="wormhole-mailbox",
                   stderr_to=subprocess.STDOUT)
    tport = free_port(host, ns)
    if tport == mport:
        tport = free_port(host, ns)
    transit = Proc([twist, "transitrelay", f"--port=tcp:{tport}:interface={host}"], ns=ns, cwd=d,
                   name="transit-relay", stderr_to=subprocess.STDOUT)
    wait_port(host, mport, ns)
    wait_port(host, tport, ns)
    return [mailbox, transit], f"ws://{host}:{mport}/v1", f"tcp:{host}:{tport}"


# --- one transfer ---------------------------------------------------------------------------------

def _result(stack, size, sender, receiver, first_byte, done, recv_start):
    return {
        "stack": stack,
        "bytes": size,
        "seconds": done - first_byte,
        "mbit_per_s": size * 8 / (done - first_byte) / 1e6,
        "mb_per_s": size / (done - first_byte) / 1e6,
        "end_to_end_s": done - recv_start,
        "cpu_s_sender": sender.cpu_s(),
        "cpu_s_receiver": receiver.cpu_s(),
        "rss_mib_sender": sender.max_rss_mib(),
        "rss_mib_receiver": receiver.max_rss_mib(),
    }


def _verify(dest, size, sha):
    got = only_file(dest)
    if os.path.getsize(got) != size:
        raise BenchError(f"received {os.path.getsize(got)} bytes instead of {size}")
    if sha and sha256_file(got) != sha:
        raise BenchError("the received file differs from the one sent")


def ferry_env(base, trackers):
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "HOME"):
        env[var] = os.path.join(base, var.lower())
        os.makedirs(env[var], exist_ok=True)
    # No DHT bootstrap: benchmarks never contact public nodes (nor wait on DNS for their names).
    env.update(GSETTINGS_BACKEND="memory", FERRY_STUN_SERVERS="", FERRY_TRACKERS=",".join(trackers),
               FERRY_DHT_BOOTSTRAP="")
    env.pop("G_MESSAGES_DEBUG", None)
    return env


def ferry_transfer(ferry_cli, src, size, sha, trackers, work, ns_send=None, ns_recv=None,
                   timeout=600):
    """ferry-cli send → ferry-cli receive through the trackers; returns the figures."""
    dest = os.path.join(work, "received-ferry")
    os.makedirs(dest)
    tracker_args = [a for t in trackers for a in ("--tracker", t)]
    # Fresh home folders for each run: a sender whose state folder still held a run of the same
    # file would go back to that run's room and resume it instead of starting afresh.
    sender = Proc([ferry_cli, "send", "--json", "--yes", *tracker_args, "--name", "bench-sender", src],
                  ns=ns_send, env=ferry_env(tempdir("ferry-send", work), trackers), name="ferry-cli send")
    receiver = None
    try:
        _t, _text, room = sender.wait_line(lambda o, _t: isinstance(o, dict) and o.get("type") in ("room", "error"),
                                           30, "the room link")
        if room.get("type") == "error":
            raise BenchError(f"ferry-cli send: {room.get('message')}")
        watcher = FirstByteWatcher(dest)
        receiver = Proc([ferry_cli, "receive", room["link"], "--dir", dest, "--yes", "--json", *tracker_args],
                        ns=ns_recv, env=ferry_env(tempdir("ferry-recv", work), trackers),
                        name="ferry-cli receive")
        status = receiver.wait(timeout)
        watcher.stop()
        if status != 0:
            raise BenchError(f"ferry-cli receive failed{receiver.describe_end()}")
        if sender.wait(30, "to exit after the transfer") != 0:
            raise BenchError(f"ferry-cli send failed{sender.describe_end()}")
        for p in (sender, receiver):
            for _t, ev in p.json_events():
                if ev.get("type") == "error":
                    raise BenchError(f"{p.name} reported an error: {ev.get('message')}")
        # First data: the first byte in the receive folder (the .part grows as data arrives; the
        # watcher looks every 10 ms), or the receiver's first progress event if that came first
        # (progress events come only about twice a second, so they are a fallback).
        firsts = [t for t, ev in receiver.json_events() if ev.get("type") == "progress" and ev.get("bytes", 0) > 0]
        first = min([x for x in (watcher.first, firsts[0] if firsts else None) if x is not None],
                    default=receiver.started)
        done = [t for t, ev in receiver.json_events() if ev.get("type") == "done"]
        end = done[-1] if done else receiver.ended
        _verify(dest, size, sha)
        return _result("ferry", size, sender, receiver, first, end, receiver.started)
    finally:
        for p in (sender, receiver):
            if p:
                p.stop()
        shutil.rmtree(dest, ignore_errors=True)


def wormhole_transfer(wormhole, relay_url, transit, src, size, sha, work, ns_send=None, ns_recv=None,
                      timeout=600):
    """wormhole send → wormhole receive with the local mailbox and transit relay."""
    dest = os.path.join(work, "received-wormhole")
    os.makedirs(dest)
    code = "7-ferry-bench"
    common = [wormhole, "--relay-url", relay_url, "--transit-helper", transit]
    env = dict(os.environ, HOME=tempdir("wormhole-home"))
    sender = Proc(common + ["send", "--hide-progress", "--code", code, src], ns=ns_send, env=env,
                  name="wormhole send")
    receiver = None
    try:
        time.sleep(0.5)  # the sender claims the code first
        if sender.poll() is not None:
            raise BenchError(f"wormhole send failed{sender.describe_end()}")
        watcher = FirstByteWatcher(dest)
        receiver = Proc(common + ["receive", "--accept-file", "--hide-progress", "-o",
                                  os.path.join(dest, "file"), code],
                        ns=ns_recv, env=env, cwd=dest, name="wormhole receive")
        status = receiver.wait(timeout)
        watcher.stop()
        if status != 0:
            raise BenchError(f"wormhole receive failed{receiver.describe_end()}")
        if sender.wait(30, "to exit after the transfer") != 0:
            raise BenchError(f"wormhole send failed{sender.describe_end()}")
        _verify(dest, size, sha)
        return _result("wormhole", size, sender, receiver, watcher.first or receiver.started,
                       receiver.ended, receiver.started)
    finally:
        for p in (sender, receiver):
            if p:
                p.stop()
        shutil.rmtree(dest, ignore_errors=True)


def describe(r):
    return (f"{r['bytes'] / MiB:.0f} MiB in {r['seconds']:.2f} s: {r['mbit_per_s']:.1f} Mbit/s "
            f"({r['mb_per_s']:.1f} MB/s), start→done {r['end_to_end_s']:.2f} s, "
            f"CPU {r['cpu_s_sender']:.2f} + {r['cpu_s_receiver']:.2f} s, "
            f"peak RSS {r['rss_mib_sender']:.1f} / {r['rss_mib_receiver']:.1f} MiB")
