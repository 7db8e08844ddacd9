"""Private mainline-DHT networks for tests: a network namespace with one address per /24.

    lab = Lab(32)                      # namespace fdht<pid>, lo up, 198.18.I.1/32 on lo
    proc = lab.run(["node", "dht-node.mjs", ...], stdin=PIPE, stdout=PIPE, text=True)
    peer = JsonLinesProc(proc, name="js")
    peer.wait_event("ready", 60)
    reply = peer.send({"cmd": "lookup", "info_hash": "..."}, timeout=30)
    lab.close()                        # also run at exit

Each node gets its own /24 (198.18.I.1, I < 256, then 198.19.I.1) because DHT
implementations keep one node per /24 in lookups and routing tables (libtorrent's
restrict_search_ips and restrict_routing_ips, BEP 42 style id checks).  Nothing in the
namespace is routed anywhere: no packet can leave it.

Needs root (ip netns).  A Lab that cannot be made raises LabUnavailable, which a test
turns into a skip (exit 77) or, under CI=true, a failure.
"""

import atexit
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time

MAX_NODES = 512

_counter = itertools.count()


class LabUnavailable(RuntimeError):
    """The namespace could not be created (no root, no iproute2, ...)."""


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


class Lab:
    """A network namespace with `n` addresses, 198.18.i.1/32 on lo."""

    def __init__(self, n, name=None):
        if not 0 < n <= MAX_NODES:
            raise ValueError(f"a Lab has 1..{MAX_NODES} addresses, not {n}")
        seq = next(_counter)
        self.name = name or (f"fdht{os.getpid()}" + (f"-{seq}" if seq else ""))
        self.n = n
        self.procs = []
        self._closed = False
        if os.geteuid() != 0:
            raise LabUnavailable("network namespaces need root")
        try:
            _ip("netns", "add", self.name)
        except FileNotFoundError as e:
            raise LabUnavailable("'ip' (iproute2) not found") from e
        except subprocess.CalledProcessError as e:
            raise LabUnavailable(f"ip netns add {self.name}: {e.stderr.strip()}") from e
        atexit.register(self.close)
        try:
            _ip("-n", self.name, "link", "set", "lo", "up")
            # One batch instead of n processes.
            batch = "".join(f"address add {self.address(i)}/32 dev lo\n" for i in range(n))
            subprocess.run(["ip", "-n", self.name, "-batch", "-"], input=batch, text=True,
                           check=True, capture_output=True)
        except subprocess.CalledProcessError as e:
            self.close()
            raise LabUnavailable(f"setting up {self.name}: {e.stderr.strip()}") from e

    def address(self, i):
        """The address of slot i: 198.18.i.1 (i < 256), 198.19.(i-256).1 after that."""
        if not 0 <= i < self.n:
            raise IndexError(f"no address {i} in a Lab of {self.n}")
        return f"198.{18 + i // 256}.{i % 256}.1"

    def addresses(self, start=0, stop=None):
        return [self.address(i) for i in range(start, self.n if stop is None else stop)]

    def run(self, args, **popen_kwargs):
        """subprocess.Popen(args) inside the namespace, in a process group of its own."""
        if self._closed:
            raise RuntimeError("Lab is closed")
        popen_kwargs.setdefault("start_new_session", True)
        proc = subprocess.Popen(["ip", "netns", "exec", self.name, *args], **popen_kwargs)
        self.procs.append(proc)
        return proc

    def spawn(self, args, name=None, stderr=None, **popen_kwargs):
        """run() with text pipes on stdin/stdout, wrapped in a JsonLinesProc."""
        proc = self.run(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE if stderr is None else stderr,
                        text=True, bufsize=1, **popen_kwargs)
        return JsonLinesProc(proc, name=name or os.path.basename(str(args[-1])))

    def close(self):
        """Stop what run() started (SIGTERM, then SIGKILL) and delete the namespace."""
        if self._closed:
            return
        self._closed = True
        for proc in self.procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs:
            _signal_group(proc, signal.SIGKILL)
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                pass
        # Anything else still in the namespace (started by a child, not by us directly).
        pids = _ip("netns", "pids", self.name, check=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        _ip("netns", "del", self.name, check=False)
        try:
            atexit.unregister(self.close)
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _signal_group(proc, sig):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass


class JsonLinesProc:
    """A child that speaks JSON lines: commands on stdin, replies and events on stdout.

    A reply is an object with the "id" of its command; an event is an object with "event".
    Other stdout lines and everything on stderr (when piped) go to our stderr, prefixed.
    """

    def __init__(self, popen, name="peer", log=sys.stderr):
        self.proc = popen
        self.name = name
        self._log = log
        self._ids = itertools.count(1)
        self._lock = threading.Condition()
        self._replies = {}
        self._events = []
        self._eof = False
        self._stdout_thread = threading.Thread(target=self._read_stdout, daemon=True)
        self._stdout_thread.start()
        if popen.stderr is not None:
            threading.Thread(target=self._read_stderr, daemon=True).start()

    def _print(self, text):
        try:
            self._log.write(f"[{self.name}] {text}\n")
            self._log.flush()
        except (ValueError, OSError):
            pass

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                self._print(f"(not JSON) {line}")
                continue
            with self._lock:
                if isinstance(obj, dict) and "event" in obj:
                    self._events.append(obj)
                elif isinstance(obj, dict) and obj.get("id") is not None:
                    self._replies[obj["id"]] = obj
                else:
                    self._print(f"(stray) {line}")
                self._lock.notify_all()
        with self._lock:
            self._eof = True
            self._lock.notify_all()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self._print(line.rstrip("\n"))

    def _wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = predicate()
                if found is not None:
                    return found
                if self._eof:
                    raise RuntimeError(f"{self.name} exited (status {self.proc.poll()}) while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.name}: no {what} within {timeout} s")
                self._lock.wait(left)

    def send(self, obj, timeout=30):
        """Send a command (an "id" is added) and return its reply object."""
        cmd = dict(obj)
        cmd["id"] = next(self._ids)
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self._wait_for(lambda: self._replies.pop(cmd["id"], None), timeout,
                              f"reply to {cmd.get('cmd')} #{cmd['id']}")

    def wait_event(self, name, timeout=30):
        """Return (and consume) the first event named `name`, waiting up to `timeout` s."""
        def find():
            for i, ev in enumerate(self._events):
                if ev.get("event") == name:
                    return self._events.pop(i)
            return None
        return self._wait_for(find, timeout, f'event "{name}"')

    def close(self, timeout=10):
        """Close stdin (the peer's signal to stop) and wait for it; kill it if it lingers."""
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.proc, signal.SIGKILL)
            return self.proc.wait(5)
