#!/usr/bin/python3
"""Self-check of the foreign DHT peers, run by hand (as root):

    /usr/bin/python3 tests/dht/foreign-selfcheck.py [--runs N]

In a private namespace of 32 addresses: 30 bittorrent-dht nodes (tests/js/dht-node.mjs) on
198.18.0.1 ... 198.18.29.1 and one libtorrent node (lt-node.py) on 198.18.30.1 bootstrapped to
198.18.0.1:6881.  Checks that the two implementations meet: announce/lookup, BEP 44 mutable items
with a salt both ways (byte-equal values, the same public key from the same seed), and prints
how long each step took.  Exit 0 when all passed, 1 otherwise, 77 when no namespace can be made.
"""

import argparse
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dht_lab import Lab, LabUnavailable  # noqa: E402

JS_NODE = os.path.join(HERE, "..", "js", "dht-node.mjs")
LT_NODE = os.path.join(HERE, "lt-node.py")
N_JS = 30
PORT = 6881


class Check:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.timings = []

    def step(self, name, fn):
        t = time.monotonic()
        try:
            detail = fn()
            ok = True
        except Exception as e:  # a failed assertion or a peer that did not answer
            detail, ok = f"{type(e).__name__}: {e}", False
        dt = time.monotonic() - t
        self.timings.append((name, dt))
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'ok  ' if ok else 'FAIL'} {dt * 1000:7.0f} ms  {name}" + (f"  ({detail})" if detail else ""),
              flush=True)
        return ok


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def run_once(check, verbose):
    node = shutil.which("node")
    if node is None:
        raise SystemExit("foreign-selfcheck: 'node' not found in PATH")
    logs = None if verbose else open(os.devnull, "w")
    with Lab(N_JS + 2) as lab:
        t0 = time.monotonic()
        js = lab.spawn([node, JS_NODE, "--addresses", ",".join(lab.addresses(0, N_JS)), "--port", str(PORT)],
                       name="js", stderr=logs)
        peers = {}

        def start():
            ev = js.wait_event("ready", 60)
            expect(ev.get("nodes") == N_JS, f"ready with {ev.get('nodes')} nodes")
            t_js = time.monotonic() - t0
            peers["lt"] = lt = lab.spawn(["/usr/bin/python3", LT_NODE, "--address", lab.address(N_JS),
                                          "--port", str(PORT), "--bootstrap", f"{lab.address(0)}:{PORT}"],
                                         name="lt", stderr=logs)
            t = time.monotonic()
            lt.wait_event("ready", 40)
            t_lt = time.monotonic() - t
            tables = [n["table"] for n in js.send({"cmd": "nodes"})["nodes"]]
            lt_table = lt.send({"cmd": "nodes"})["nodes"][0]["table"]
            return (f"js ready in {t_js:.2f} s, tables {min(tables)}..{max(tables)}; "
                    f"lt ready in {t_lt:.2f} s, table {lt_table}")
        if not check.step("start: 30 bittorrent-dht nodes, then libtorrent, ready", start):
            return
        lt = peers["lt"]

        info_hash = os.urandom(20).hex()
        seed = os.urandom(32).hex()
        lt_salt, js_salt = os.urandom(8).hex(), os.urandom(8).hex()
        lt_text = "from libtorrent: héllo ✓ " + os.urandom(4).hex()
        js_text = "from bittorrent-dht: ünïcode ✓ " + os.urandom(4).hex()
        keys = {}

        def js_announce():
            r = js.send({"cmd": "announce", "node": 3, "info_hash": info_hash, "port": 40003})
            expect(r["ok"], r)
            return f"stored on {r['nodes']} nodes"

        def js_lookup():
            r = js.send({"cmd": "lookup", "node": 17, "info_hash": info_hash})
            expect(r["ok"] and f"{lab.address(3)}:40003" in r["peers"], r)
            return f"peers {r['peers']}"

        def lt_put():
            r = lt.send({"cmd": "put", "seed": seed, "salt": lt_salt, "seq": 1, "value": lt_text}, timeout=70)
            expect(r["ok"] and r["seq"] == 1, r)
            keys["lt"] = r["k"]
            keys["lt_target"] = r["target"]
            return f"seq {r['seq']} on {r['num_success']} nodes"

        def js_get():
            r = js.send({"cmd": "get", "node": 11, "public_key": keys["lt"], "salt": lt_salt})
            expect(r["ok"], r)
            expect(bytes.fromhex(r["value_hex"]) == lt_text.encode("utf-8"), f"value differs: {r}")
            expect(r["seq"] == 1 and r["target"] == keys["lt_target"], r)
            expect(r["verified_replies"] >= 1, f"no verified reply from the network: {r}")
            return f"{r['verified_replies']} verified replies, from {r['from']}"

        def js_get_by_target():
            r = js.send({"cmd": "get", "node": 23, "target": keys["lt_target"], "salt": lt_salt})
            expect(r["ok"] and bytes.fromhex(r["value_hex"]) == lt_text.encode("utf-8"), r)
            return None

        def js_put():
            r = js.send({"cmd": "put", "node": 7, "seed": seed, "salt": js_salt, "seq": 1, "value": js_text})
            expect(r["ok"], r)
            keys["js"] = r["k"]
            expect(keys["js"] == keys["lt"], f"public keys differ for one seed: js {keys['js']} lt {keys['lt']}")
            return f"on {r['nodes']} nodes; same public key as libtorrent's"

        def lt_get():
            r = lt.send({"cmd": "get", "public_key": keys["js"], "salt": js_salt})
            expect(r["ok"] and r["value"] == js_text and r["seq"] == 1, r)
            expect(bytes.fromhex(r["value_hex"]) == js_text.encode("utf-8"), r)
            return f"authoritative {r['authoritative']}"

        def lt_get_missing():
            r = lt.send({"cmd": "get", "public_key": keys["js"], "salt": "00" + js_salt})
            expect(not r["ok"] and r["error"] == "not found", r)

        def lt_lookup():
            r = lt.send({"cmd": "lookup", "info_hash": info_hash})
            expect(r["ok"] and f"{lab.address(3)}:40003" in r["peers"], r)
            return f"peers {r['peers']}, traversal complete {r['complete']}"

        def lt_announce():
            r = lt.send({"cmd": "announce", "info_hash": info_hash})
            expect(not r["ok"] and r["error"] == "not supported by the bindings", r)
            other = os.urandom(20).hex()
            r = lt.send({"cmd": "announce", "info_hash": other, "via": "torrent"}, timeout=70)
            expect(r["ok"], r)
            r2 = js.send({"cmd": "lookup", "node": 29, "info_hash": other})
            expect(r2["ok"] and f"{lab.address(N_JS)}:{PORT}" in r2["peers"], r2)
            return f"via torrent to {r['nodes']} nodes; js finds {r2['peers']}"

        check.step("js announce (node 3)", js_announce)
        check.step("js lookup (node 17) finds it", js_lookup)
        check.step("libtorrent put: salted mutable item", lt_put)
        if "lt" in keys:
            check.step("js get (node 11) by key+salt: byte-equal", js_get)
            check.step("js get (node 23) by target+salt", js_get_by_target)
        check.step("js put (node 7), same seed, other salt", js_put)
        if "js" in keys:
            check.step("libtorrent get by key+salt", lt_get)
            check.step("libtorrent get, wrong salt: not found", lt_get_missing)
        check.step("libtorrent lookup finds the js announce", lt_lookup)
        check.step("libtorrent announce (via a torrent), js lookup finds it", lt_announce)

        def stop():
            rc = (js.close(), lt.close())
            expect(rc == (0, 0), f"exit statuses {rc}")
        check.step("both exit 0 on stdin EOF", stop)
        print(f"     (total {time.monotonic() - t0:.2f} s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("-v", "--verbose", action="store_true", help="show the peers' logs")
    args = ap.parse_args()
    check = Check()
    try:
        for i in range(args.runs):
            if args.runs > 1:
                print(f"--- run {i + 1}/{args.runs}")
            run_once(check, args.verbose)
    except LabUnavailable as e:
        print(f"foreign-selfcheck: SKIP: {e}", file=sys.stderr)
        return 1 if os.environ.get("CI") == "true" else 77
    print(f"{check.passed} passed, {check.failed} failed")
    return 0 if check.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
