#!/usr/bin/python3
"""A libtorrent DHT node (Debian's python3-libtorrent, 2.0) driven by JSON lines.

    /usr/bin/python3 lt-node.py --address A --port P --bootstrap HOST:PORT[,...]

One libtorrent session with only the DHT on: no LSD, UPnP or NAT-PMP, no default bootstrap
router, listening on A:P.  The --bootstrap nodes are added with add_dht_node().  Prints
{"event":"ready"} once the routing table holds a node (or {"event":"error",...} and exits 1
after 30 s).  Commands on stdin, one JSON object a line, each with an "id" echoed in its reply:

  put       seed (64 hex), salt (hex, optional), value (UTF-8 text): a BEP 44 mutable item;
            without seed, an immutable one.  libtorrent picks the seq itself (the highest it
            finds + 1): the reply says which.  Replies when dht_put_alert arrives.
  get       public_key + salt: mutable item (waits for the authoritative alert);
            target alone: immutable item.
  lookup    info_hash: get_peers, peers from every dht_get_peers_reply_alert.
  announce  info_hash: ok:false, not supported by the bindings; with "via":"torrent" a
            metadata-less torrent is added, which libtorrent announces on its listen port.
  addnode   address "host:port".
  nodes     routing table size.

stdin EOF exits 0.  Logs go to stderr.  See tests/dht/README.md for the replies.
"""

import argparse
import hashlib
import json
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import warnings

import libtorrent as lt

READY_TIMEOUT = 30.0


def log(*args):
    print("[lt-node]", *args, file=sys.stderr, flush=True)


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# --- Ed25519 (RFC 8032): the public key of a seed, in pure Python ---------------------------------
# libtorrent's put wants the 64-byte "expanded" secret key (orlp/ed25519 layout) and the public key;
# the bindings of 2.0 have no ed25519_create_keypair, so the point multiplication is done here.

_P = 2 ** 255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P


def _recover_x(y, sign):
    xx = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(xx, (_P + 3) // 8, _P)
    if (x * x - xx) % _P:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    if x & 1 != sign:
        x = _P - x
    return x


_BY = 4 * pow(5, _P - 2, _P) % _P
_BX = _recover_x(_BY, 0)
_B = (_BX, _BY, 1, _BX * _BY % _P)  # extended coordinates (X, Y, Z, T)


def _add(p, q):
    # Complete addition on the twisted Edwards curve (a = -1): also right for p == q.
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s, p):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _encode(p):
    zi = pow(p[2], _P - 2, _P)
    x, y = p[0] * zi % _P, p[1] * zi % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def expanded_secret_key(seed):
    """SHA-512(seed), first half clamped: the 64-byte secret key libtorrent signs with."""
    h = bytearray(hashlib.sha512(seed).digest())
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return bytes(h)


def public_key(seed):
    a = int.from_bytes(expanded_secret_key(seed)[:32], "little")
    return _encode(_mul(a, _B))


# RFC 8032, 7.1, TEST 1: refuse to run with a wrong key derivation.
assert public_key(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")) == \
    bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def keypair(seed):
    sk = expanded_secret_key(seed)
    pk = public_key(seed)
    create = getattr(lt, "ed25519_create_keypair", None)  # libtorrent 1.x bindings had it
    if create is not None:
        lt_pk, lt_sk = create(seed)
        if bytes(lt_pk) != pk:
            raise RuntimeError("libtorrent's ed25519_create_keypair disagrees with RFC 8032")
    return sk, pk


# --- helpers --------------------------------------------------------------------------------------

class CommandError(Exception):
    pass


def hex_arg(cmd, name, length=None, required=True):
    s = cmd.get(name)
    if s is None and not required:
        return None
    if not isinstance(s, str):
        raise CommandError(f'"{name}" must be a hex string')
    try:
        b = bytes.fromhex(s)
    except ValueError:
        raise CommandError(f'"{name}" must be a hex string') from None
    if length is not None and len(b) != length:
        raise CommandError(f'"{name}" must be {length} bytes')
    return b


def parse_host_port(s):
    host, sep, port = s.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad address '{s}' (want host:port)")
    return host.strip("[]"), int(port)


def sha1_bytes(h):
    return bytes(h.to_bytes()) if hasattr(h, "to_bytes") else bytes.fromhex(str(h))


def alert_salt(a):
    """The salt of a mutable-item alert as bytes, or None when the bindings cannot give it."""
    try:
        return a.item["salt"]  # bytes; raises when the item is empty (not found)
    except RuntimeError:
        pass
    try:
        return a.salt.encode()  # std::string -> str: fails on a salt that is not UTF-8
    except (UnicodeDecodeError, AttributeError):
        return None


# --- pending operations -------------------------------------------------------------------------

class Op:
    """A command waiting for alerts.  `lock` (bytes or None): ops with the same lock run one
    after another, because libtorrent's alerts cannot always tell two of them apart."""
    lock = None

    def __init__(self, node, cmd, timeout):
        self.node, self.cmd, self.id = node, cmd, cmd.get("id")
        self.deadline = time.monotonic() + timeout
        self.done = False

    def start(self):
        pass

    def on_alert(self, a):
        pass

    def on_timeout(self):
        self.finish(ok=False, error="timeout")

    def finish(self, **fields):
        if not self.done:
            self.done = True
            reply({"id": self.id, **fields})


class PutOp(Op):
    def __init__(self, node, cmd):
        super().__init__(node, cmd, float(cmd.get("timeout", 60)))
        value = cmd.get("value")
        if not isinstance(value, str):
            raise CommandError('"value" must be a string')
        self.value = value.encode("utf-8")
        if len(self.value) >= 1000:
            raise CommandError("value must be less than 1000 bytes")
        self.mutable = cmd.get("seed") is not None
        if self.mutable:
            if cmd.get("cas") is not None:
                raise CommandError("cas not supported by the bindings")
            self.sk, self.pk = keypair(hex_arg(cmd, "seed", 32))
            self.salt = hex_arg(cmd, "salt", required=False) or b""
            if len(self.salt) > 64:
                raise CommandError("salt is longer than 64 bytes")
            self.target = hashlib.sha1(self.pk + self.salt).digest()
            self.lock = self.pk
        else:
            self.target = hashlib.sha1(b"%d:" % len(self.value) + self.value).digest()
            self.lock = self.target

    def start(self):
        if self.mutable:
            self.node.ses.dht_put_mutable_item(self.sk, self.pk, self.value, self.salt)
        else:
            self.node.ses.dht_put_immutable_item(self.value)

    def on_alert(self, a):
        if not isinstance(a, lt.dht_put_alert):
            return
        if self.mutable:
            if bytes(a.public_key) != self.pk:
                return
            out = {"k": self.pk.hex(), "seq": a.seq}
            if isinstance(self.cmd.get("seq"), int) and self.cmd["seq"] != a.seq:
                out["seq_requested"] = self.cmd["seq"]
        else:
            if sha1_bytes(a.target) != self.target:
                return
            out = {}
        n = a.num_success
        if n > 0:
            self.finish(ok=True, target=self.target.hex(), nodes=n, num_success=n, **out)
        else:
            self.finish(ok=False, error="stored on no node", target=self.target.hex(),
                        nodes=0, num_success=0, **out)


class GetOp(Op):
    def __init__(self, node, cmd):
        super().__init__(node, cmd, float(cmd.get("timeout", 30)))
        self.best = None
        if cmd.get("public_key") is not None:
            self.pk = hex_arg(cmd, "public_key", 32)
            self.salt = hex_arg(cmd, "salt", required=False) or b""
            self.target = hashlib.sha1(self.pk + self.salt).digest()
            self.lock = self.pk
        elif cmd.get("target") is not None:
            # libtorrent looks a mutable item up by key and salt only: a target is immutable.
            self.pk = None
            self.target = hex_arg(cmd, "target", 20)
            self.lock = self.target
        else:
            raise CommandError('get needs "public_key" (and "salt") or "target"')

    def start(self):
        if self.pk is not None:
            self.node.ses.dht_get_mutable_item(self.pk, self.salt)
        else:
            self.node.ses.dht_get_immutable_item(lt.sha1_hash(self.target))

    def _value_fields(self, value):
        return {"target": self.target.hex(), "value": value.decode("utf-8", "replace"),
                "value_hex": value.hex()}

    def on_alert(self, a):
        if self.pk is None:
            if isinstance(a, lt.dht_immutable_item_alert) and sha1_bytes(a.target) == self.target:
                try:
                    value = a.item["value"]
                except RuntimeError:  # the alert's entry is empty: nothing found
                    return self.finish(ok=False, error="not found")
                self.finish(ok=True, **self._value_fields(value))
            return
        if not isinstance(a, lt.dht_mutable_item_alert) or bytes(a.key) != self.pk:
            return
        salt = alert_salt(a)
        if salt is not None and salt != self.salt:
            return
        try:
            item = a.item
        except RuntimeError:
            item = None  # empty: the authoritative "nothing found"
        if item is not None and (self.best is None or item["seq"] > self.best["seq"]):
            self.best = item
        # The first alerts are not authoritative (sent as soon as some node answers); the
        # authoritative one comes when the lookup is done.
        if a.authoritative:
            self._finish_best(authoritative=True)

    def _finish_best(self, authoritative):
        if self.best is None:
            return self.finish(ok=False, error="not found")
        self.finish(ok=True, seq=self.best["seq"], k=self.pk.hex(), authoritative=authoritative,
                    **self._value_fields(self.best["value"]))

    def on_timeout(self):
        if self.pk is not None and self.best is not None:
            self._finish_best(authoritative=False)
        else:
            self.finish(ok=False, error="not found" if self.pk is not None else "timeout")


# A traversal's lines in libtorrent's DHT log: "[3] NEW target: <hex> ..." and
# "[3] COMPLETED distance: 158 type: get_peers".
_NEW_RE = re.compile(r"\[(\w+)\] NEW target: ([0-9a-f]{40})")
_DONE_RE = re.compile(r"\[(\w+)\] COMPLETED .*type: (\w+)")


class LookupOp(Op):
    def __init__(self, node, cmd):
        super().__init__(node, cmd, float(cmd.get("timeout", 20)))
        self.info_hash = hex_arg(cmd, "info_hash", 20)
        self.peers = []
        self.traversal = None
        self.complete_at = None
        self.lock = b"lookup" + self.info_hash

    def start(self):
        self.node.ses.dht_get_peers(lt.sha1_hash(self.info_hash))

    def on_alert(self, a):
        if isinstance(a, lt.dht_get_peers_reply_alert):
            if sha1_bytes(a.info_hash) == self.info_hash:
                for ip, port in a.peers():
                    p = f"{ip}:{port}"
                    if p not in self.peers:
                        self.peers.append(p)
        elif isinstance(a, lt.dht_log_alert):
            try:
                msg = a.log_message()
            except UnicodeDecodeError:
                return
            m = _NEW_RE.search(msg)
            if m and self.traversal is None and m.group(2) == self.info_hash.hex():
                self.traversal = m.group(1)
            m = _DONE_RE.search(msg)
            if m and m.group(1) == self.traversal:
                # The last reply alerts may still be queued behind the log line.
                self.complete_at = time.monotonic() + 0.2

    def tick(self):
        if self.complete_at is not None and time.monotonic() >= self.complete_at:
            self.finish(ok=True, peers=self.peers, complete=True)

    def on_timeout(self):
        # No end of the traversal seen (a build without DHT logging): report what came.
        self.finish(ok=True, peers=self.peers, complete=False)


_ANNOUNCE_RE = re.compile(r"sending announce_peer \[ ih: ([0-9a-f]{40}) +p: (\d+) nodes: (\d+) \]")


class AnnounceOp(Op):
    """Announce through a torrent: session.dht_announce() cannot be called from Python in
    libtorrent 2.0 (no converter for its announce_flags_t argument).  A torrent with only an info
    hash is announced by libtorrent itself, on its listen port with implied_port; its DHT log says
    when it sends the announce_peer queries, and to how many nodes."""

    def __init__(self, node, cmd):
        super().__init__(node, cmd, float(cmd.get("timeout", 60)))
        self.info_hash = hex_arg(cmd, "info_hash", 20)
        self.lock = b"announce" + self.info_hash

    def start(self):
        atp = lt.add_torrent_params()
        atp.info_hashes = lt.info_hash_t(lt.sha1_hash(self.info_hash))
        atp.save_path = self.node.tmpdir
        atp.name = self.info_hash.hex()
        atp.flags &= ~lt.torrent_flags.auto_managed
        atp.flags &= ~lt.torrent_flags.paused
        self.node.ses.add_torrent(atp)

    def on_alert(self, a):
        if not isinstance(a, lt.dht_log_alert):
            return
        try:
            m = _ANNOUNCE_RE.search(a.log_message())
        except UnicodeDecodeError:
            return
        if m and m.group(1) == self.info_hash.hex():
            self.finish(ok=True, via="torrent", port=int(m.group(2)), nodes=int(m.group(3)))

    def on_timeout(self):
        self.finish(ok=False, error="no announce_peer sent", via="torrent")


class NodesOp(Op):
    def __init__(self, node, cmd):
        super().__init__(node, cmd, 5.0)
        self.lock = b"nodes"

    def start(self):
        self.node.ses.post_dht_stats()

    def on_alert(self, a):
        if isinstance(a, lt.dht_stats_alert):
            self.finish(ok=True, nodes=[{
                "node": 0,
                "address": f"{self.node.address}:{self.node.port}",
                "id": (self.node._own_id() or b"").hex() or None,
                "table": sum(b["num_nodes"] for b in a.routing_table),
            }])


# --- the node -----------------------------------------------------------------------------------

class Node:
    def __init__(self, address, port, bootstrap):
        self.address, self.port = address, port
        self.tmpdir = tempfile.mkdtemp(prefix="lt-node-")
        C = lt.alert.category_t
        settings = {
            "enable_dht": False,  # on below, once the bootstrap nodes are added
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "enable_ip_notifier": False,
            # No default router (dht.libtorrent.org): the only nodes are those we are given.
            "dht_bootstrap_nodes": "",
            "listen_interfaces": f"{address}:{port}",
            # dht_restrict_routing_ips and dht_restrict_search_ips stay on (the default): they
            # allow one node per /24, and every node of a lab has a /24 of its own.
            # dht_log_notification: libtorrent's DHT log, the only way the bindings show when a
            # lookup ends and when an announce goes out.
            "alert_mask": (C.dht_notification | C.dht_operation_notification
                           | C.dht_log_notification | C.error_notification
                           | C.status_notification),
            "alert_queue_size": 100000,
        }
        self.ses = lt.session(settings)
        self.bootstrap_nodes = bootstrap
        for host, p in bootstrap:
            self.ses.add_dht_node((host, p))
        self.ses.apply_settings({"enable_dht": True})
        self.node_id = None
        self.table = 0
        self.ops = []
        self.waiting = []
        self.commands = queue.Queue()
        threading.Thread(target=self._read_stdin, daemon=True).start()

    def _read_stdin(self):
        for line in sys.stdin:
            self.commands.put(line)
        self.commands.put(None)

    def _own_id(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                ids = self.ses.dht_state().get(b"node-id") or []
            except Exception:
                return None
        return bytes(ids[0][:20]) if ids else None

    def pump(self, wait_ms=50):
        self.ses.wait_for_alert(wait_ms)
        for a in self.ses.pop_alerts():
            if isinstance(a, lt.dht_stats_alert):
                self.table = sum(b["num_nodes"] for b in a.routing_table)
            elif isinstance(a, lt.listen_failed_alert):
                log(a.message())
            for op in self.ops:
                if not op.done:
                    try:
                        op.on_alert(a)
                    except Exception as e:  # e.g. a binding that cannot decode a field
                        log(f"{type(op).__name__} #{op.id}: {type(e).__name__}: {e}")
        now = time.monotonic()
        for op in self.ops:
            if not op.done and hasattr(op, "tick"):
                op.tick()
            if not op.done and now >= op.deadline:
                op.on_timeout()
        if any(op.done for op in self.ops):
            self.ops = [op for op in self.ops if not op.done]
            self._start_waiting()

    def bootstrap(self):
        """Wait for a first node, then walk towards our own id to fill the table."""
        deadline = time.monotonic() + READY_TIMEOUT
        next_stats = 0
        next_ping = time.monotonic() + 1
        while self.table < 1:
            now = time.monotonic()
            if now >= deadline:
                return False
            if now >= next_stats:
                self.ses.post_dht_stats()
                next_stats = now + 0.25
            if now >= next_ping:
                # add_dht_node() pings once: ask again while nobody has answered (the
                # bootstrap node may still be starting).
                for ep in self.bootstrap_nodes:
                    self.ses.add_dht_node(ep)
                next_ping = now + 1
            self.pump()
        self.node_id = self._own_id()
        if self.node_id:
            # What a bootstrap does: a lookup of our own id, whose answers go into the table.
            self.ses.dht_get_peers(lt.sha1_hash(self.node_id))
        # Let the table grow until it has been still for half a second (5 s at most).
        last, still_since, stop = self.table, time.monotonic(), time.monotonic() + 5
        while time.monotonic() < stop and time.monotonic() - still_since < 0.5:
            self.ses.post_dht_stats()
            self.pump(100)
            if self.table != last:
                last, still_since = self.table, time.monotonic()
        log(f"ready: {self.address}:{self.port} id {self.node_id.hex() if self.node_id else '?'} "
            f"table {self.table}")
        return True

    def _start(self, op):
        if op.lock is not None and any(o.lock == op.lock for o in self.ops):
            self.waiting.append(op)
            return
        self.ops.append(op)
        try:
            op.start()
        except Exception as e:  # a binding that refuses its arguments
            op.finish(ok=False, error=f"{type(e).__name__}: {e}")

    def _start_waiting(self):
        waiting, self.waiting = self.waiting, []
        for op in waiting:
            # Restart the clock: the time spent queued is not the command's.
            op.deadline = time.monotonic() + (op.deadline - op.queued_at)
            self._start(op)

    def handle(self, line):
        if not line.strip():
            return
        try:
            cmd = json.loads(line)
            if not isinstance(cmd, dict):
                raise ValueError
        except ValueError:
            return reply({"id": None, "ok": False, "error": "bad JSON"})
        cid = cmd.get("id")
        name = cmd.get("cmd")
        try:
            if name == "put":
                op = PutOp(self, cmd)
            elif name == "get":
                op = GetOp(self, cmd)
            elif name == "lookup":
                op = LookupOp(self, cmd)
            elif name == "announce":
                if cmd.get("via") != "torrent":
                    return reply({"id": cid, "ok": False, "error": "not supported by the bindings"})
                op = AnnounceOp(self, cmd)
            elif name == "nodes":
                op = NodesOp(self, cmd)
            elif name == "addnode":
                if not isinstance(cmd.get("address"), str):
                    raise CommandError('"address" must be "host:port"')
                try:
                    self.ses.add_dht_node(parse_host_port(cmd["address"]))
                except ValueError as e:
                    raise CommandError(str(e)) from None
                return reply({"id": cid, "ok": True})
            else:
                raise CommandError(f"unknown command {json.dumps(name)}")
        except CommandError as e:
            return reply({"id": cid, "ok": False, "error": str(e)})
        op.queued_at = time.monotonic()
        self._start(op)

    def run(self):
        while True:
            while True:
                try:
                    line = self.commands.get_nowait()
                except queue.Empty:
                    break
                if line is None:
                    return
                self.handle(line)
            self.pump()


def main():
    ap = argparse.ArgumentParser(description="A libtorrent DHT node driven by JSON lines.")
    ap.add_argument("--address", required=True)
    ap.add_argument("--port", type=int, default=6881)
    ap.add_argument("--bootstrap", default="", help="HOST:PORT[,HOST:PORT...]")
    args = ap.parse_args()
    try:
        bootstrap = [parse_host_port(s) for s in args.bootstrap.split(",") if s]
    except ValueError as e:
        ap.error(str(e))

    node = Node(args.address, args.port, bootstrap)
    if not node.bootstrap():
        reply({"event": "error", "error": f"no DHT node in the routing table after {READY_TIMEOUT:.0f} s"})
        sys.stdout.flush()
        os._exit(1)
    reply({"event": "ready"})
    node.run()
    sys.stdout.flush()
    shutil.rmtree(node.tmpdir, ignore_errors=True)
    # Tearing the session down can take seconds (it says goodbye to trackers and peers): this
    # node keeps nothing, so just go.
    os._exit(0)


if __name__ == "__main__":
    main()
