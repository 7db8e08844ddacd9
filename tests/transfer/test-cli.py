#!/usr/bin/env python3
"""`ferry-cli send` and `ferry-cli receive` as users run them, between two network namespaces.

    test-cli.py --ferry-cli PATH --node NODE [--only CASE[,CASE…]] [--list]

The lab: namespaces A (10.77.0.1) and B (10.77.0.2) joined by a veth pair (MTU 65535), a local
tracker (tests/js/tracker-server.mjs) in A. The sender runs in A, receivers in B, each "computer"
with its own data folder (so its own identity and transfer store); no STUN server, nothing leaves
the namespaces. Output is TAP, one test point per case; figures go to stdout as `#` lines.

What "sent twice" means in the resume cases: the receiver proves the whole 1 MiB blocks it holds,
so of the bytes it had on disk when it was stopped, fewer than 1 MiB travel again (`received
twice`, asserted). Bytes that were still on the way (in the sender's buffers, on the wire, in the
receiver's write queue) when a process died were never written and travel again as well; that
figure (`sent twice`) is printed.
"""
import argparse
import errno
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True   # nothing written into the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
import benchlib as bl  # noqa: E402  (Proc: a child with its JSON lines, CPU time and exit status)

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "js")
ADDR_A, ADDR_B = "10.77.0.1", "10.77.0.2"
MiB = bl.MiB
BLOCK = MiB   # the receiver's proof unit


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def note(msg):
    print(f"# {msg}", flush=True)


# --- files ----------------------------------------------------------------------------------------

def make_file(path, size, seed):
    """Pseudo-random content in which every 1 MiB block differs (a block index is stamped at each
    block start), fast enough for GiBs; returns the SHA-256."""
    rng = random.Random(seed)
    pattern = bytearray(rng.randbytes(16 * MiB))
    h = hashlib.sha256()
    with open(path, "wb") as f:
        off = 0
        while off < size:
            n = min(len(pattern), size - off)
            for b in range(0, n, BLOCK):
                pattern[b:b + 16] = ((off + b) // BLOCK).to_bytes(8, "little") + seed.to_bytes(8, "little")
            view = memoryview(pattern)[:n]
            h.update(view)
            f.write(view)
            off += n
    return h.hexdigest()


def tree_listing(root):
    """{relative path: ("dir", None) | ("file", sha256)} of everything under root."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for d in dirs:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = ("dir", None)
        for name in files:
            p = os.path.join(dirpath, name)
            check(not os.path.islink(p), f"{p} is a symbolic link")
            out[os.path.relpath(p, root)] = ("file", bl.sha256_file(p))
    return out


# --- the lab --------------------------------------------------------------------------------------

def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Lab:
    def __init__(self, ferry_cli, node, work):
        self.ferry_cli = ferry_cli
        self.work = work
        os.makedirs(work)
        tag = f"ferry-cli-{os.getpid()}"
        self.a, self.b = f"{tag}-a", f"{tag}-b"
        self.made = []
        for ns in (self.a, self.b):
            if subprocess.call(["ip", "netns", "add", ns], stderr=subprocess.DEVNULL) != 0:
                self.close()
                bl.skip_or_fail("cannot create a network namespace (needs root)")
            self.made.append(ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
        # Loopback's MTU: Ferry's packets on one link are as large as the link allows, so the GiB
        # cases take seconds instead of tens of seconds (typical links: bench-path, interop tests).
        run("ip", "link", "add", "va", "mtu", "65535", "netns", self.a, "type", "veth", "peer", "vb", "mtu", "65535",
            "netns", self.b)
        for ns, dev, addr in ((self.a, "va", ADDR_A), (self.b, "vb", ADDR_B)):
            run("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            run("ip", "-n", ns, "link", "set", dev, "up")
            run("ip", "-n", ns, "route", "add", "default", "dev", dev)
        self.tracker = bl.start_tracker(node, JS_DIR, host=ADDR_A, ns=self.a)
        self.computers = {}

    def link(self, up):
        run("ip", "-n", self.a, "link", "set", "va", "up" if up else "down")

    def env(self, computer):
        """Each computer has its own home and data folder: its own identity and transfer store."""
        env = bl.ferry_env(os.path.join(self.work, "home-" + computer), [self.tracker.url])
        # What the room and the transfers did, in the stderr tail a failure shows.
        env["G_MESSAGES_DEBUG"] = "Ferry-Room Ferry-Transfer"
        return env

    def send(self, computer, paths, extra=()):
        return bl.Proc([self.ferry_cli, "send", "--json", "--yes", "--name", computer, *extra, *paths],
                       ns=self.a, env=self.env(computer), name=f"send@{computer}")

    def receive(self, computer, link, dest, extra=("--yes",), stdin=subprocess.DEVNULL):
        return bl.Proc([self.ferry_cli, "receive", link, "--dir", dest, "--json", "--name", computer,
                        *extra], ns=self.b, env=self.env(computer), stdin=stdin,
                       name=f"receive@{computer}")

    def close(self):
        bl.cleanup()
        for ns in self.made:
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (OSError, ValueError):
                    pass
            subprocess.call(["ip", "netns", "delete", ns], stderr=subprocess.DEVNULL)


# --- helpers --------------------------------------------------------------------------------------

def room_link(sender):
    _t, _text, ev = sender.wait_line(lambda o, _t: isinstance(o, dict) and o.get("type") in ("room", "error"),
                                     30, "the room link")
    check(ev["type"] == "room", f"sender: {ev.get('message')}")
    return ev["link"]


def event(proc, type_, timeout, pred=lambda e: True):
    _t, _text, ev = proc.wait_line(lambda o, _t: isinstance(o, dict) and o.get("type") == type_ and pred(o),
                                   timeout, f"a {type_} line")
    return ev


def events(proc, type_):
    return [ev for _t, ev in proc.json_events() if ev.get("type") == type_]


def expect_exit(proc, status, timeout):
    got = proc.wait(timeout)
    check(got == status, f"{proc.name} exited {got}, expected {status}{proc.tail()}")


def wait_bytes(proc, at_least, timeout):
    """The receiver's first progress line with at least this many bytes."""
    return event(proc, "progress", timeout, lambda e: e.get("bytes", 0) >= at_least)


def part_size(dest):
    parts = [os.path.join(r, n) for r, _d, fs in os.walk(dest) for n in fs if n.endswith(".part")]
    check(len(parts) == 1, f"expected one .part in {dest}, found {parts}")
    return os.path.getsize(parts[0])


def kill(proc):
    proc.popen.kill()
    proc.wait(10)


def fresh(lab, name):
    d = os.path.join(lab.work, name)
    os.makedirs(d)
    return d


# --- cases ----------------------------------------------------------------------------------------

def case_one_file(lab):
    src = os.path.join(fresh(lab, "src-one"), "report 2026 ✓.pdf")
    sha = make_file(src, 3 * MiB + 17, 1)
    dest = fresh(lab, "dest-one")
    sender = lab.send("ana", [src])
    receiver = lab.receive("bo", room_link(sender), dest)
    expect_exit(receiver, 0, 60)
    expect_exit(sender, 0, 30)
    check(tree_listing(dest) == {"report 2026 ✓.pdf": ("file", sha)}, f"received {tree_listing(dest)}")
    done = events(receiver, "file-done")
    check(len(done) == 1 and done[0]["sha256"] == sha, f"file-done lines: {done}")
    check(events(receiver, "offer")[0]["total"] == 3 * MiB + 17, "the offer's total")


def case_many_files(lab):
    root = fresh(lab, "src-many")
    top = os.path.join(root, "photos")
    rng = random.Random(2)
    for i in range(1000):
        sub = os.path.join(top, f"day {i % 10:02d}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"img_{i:04d}.jpg"), "wb") as f:
            f.write(rng.randbytes(rng.randrange(0, 8192)))
    dest = fresh(lab, "dest-many")
    t0 = time.monotonic()
    sender = lab.send("ana", [top])
    receiver = lab.receive("bo", room_link(sender), dest)
    expect_exit(receiver, 0, 120)
    expect_exit(sender, 0, 30)
    note(f"1,000 files in {time.monotonic() - t0:.1f} s (room link to both exited)")
    check(tree_listing(dest) == tree_listing(root), "the received tree differs")
    check(len(events(receiver, "file-done")) == 1000, "1,000 file-done lines")


def case_tree(lab):
    root = fresh(lab, "src-tree")
    top = os.path.join(root, "Project")
    for d in ("src/core/empty", "docs", "empty", "deep/a/b/c/d/e", "ünïcode dir/sub"):
        os.makedirs(os.path.join(top, d))
    for i, f in enumerate(("README", "src/main.c", "src/core/x.h", "deep/a/b/c/d/e/leaf.bin",
                           "ünïcode dir/sub/naïve résumé.txt", "docs/empty-file")):
        make_file(os.path.join(top, f), 0 if f.endswith("empty-file") else 1000 * i + 1, 10 + i)
    single = os.path.join(root, "loose.txt")
    make_file(single, 12345, 20)
    dest = fresh(lab, "dest-tree")
    sender = lab.send("ana", [top, single])
    receiver = lab.receive("bo", room_link(sender), dest)
    expect_exit(receiver, 0, 60)
    expect_exit(sender, 0, 30)
    check(tree_listing(dest) == tree_listing(root), f"received {sorted(tree_listing(dest))}")


def case_big(lab, size=2 * 1024 * MiB):
    src = os.path.join(fresh(lab, "src-big"), "disk.img")
    sha = make_file(src, size, 3)
    dest = fresh(lab, "dest-big")
    t0 = time.monotonic()
    sender = lab.send("ana", [src])
    receiver = lab.receive("bo", room_link(sender), dest)
    expect_exit(receiver, 0, 600)
    expect_exit(sender, 0, 30)
    took = time.monotonic() - t0
    note(f"{size / MiB:.0f} MiB in {took:.1f} s ({size / took / 1e6:.0f} MB/s with start-up); peak RSS "
         f"{sender.max_rss_mib():.1f} MiB sending, {receiver.max_rss_mib():.1f} MiB receiving")
    check(bl.sha256_file(os.path.join(dest, "disk.img")) == sha, "the 2 GiB file differs")
    os.unlink(src)


def resume_case(lab, interrupt, size=1024 * MiB):
    """Sends `size`, interrupts at about half (interrupt(ctx) returns when the run can go on),
    and checks that it completes with what the receiver held kept."""
    src = os.path.join(fresh(lab, f"src-{interrupt.__name__}"), "movie.mkv")
    sha = make_file(src, size, 4)
    dest = fresh(lab, f"dest-{interrupt.__name__}")
    ctx = {"src": src, "dest": dest, "size": size}
    ctx["sender"] = lab.send("ana", [src])
    ctx["link"] = room_link(ctx["sender"])
    ctx["receiver"] = lab.receive("bo", ctx["link"], dest)
    t0 = time.monotonic()
    wait_bytes(ctx["receiver"], size // 2, 120)
    t1 = time.monotonic()
    interrupt(lab, ctx)
    t2 = time.monotonic()
    sender, receiver = ctx["sender"], ctx["receiver"]
    try:
        expect_exit(receiver, 0, 300)
    except bl.BenchError as e:
        raise bl.BenchError(f"{e}\n  the sender's last words:{sender.tail()}") from None
    t3 = time.monotonic()
    expect_exit(sender, 0, 30)
    note(f"to half {t1 - t0:.1f} s, interruption {t2 - t1:.1f} s, the rest {t3 - t2:.1f} s, "
         f"sender exited {time.monotonic() - t3:.1f} s later")
    check(bl.sha256_file(os.path.join(dest, "movie.mkv")) == sha, "the resumed file differs")
    return ctx


def case_kill_receiver(lab):
    def interrupt(lab, ctx):
        kill(ctx["receiver"])
        held = part_size(ctx["dest"])
        t0 = time.monotonic()
        ctx["receiver"] = lab.receive("bo", ctx["link"], ctx["dest"])
        offset = event(ctx["sender"], "resumed", 60)["bytes"]
        note(f"receiver killed holding {held} bytes; resumed at {offset} {time.monotonic() - t0:.2f} s "
             "after it was started again")
        check(0 <= held - offset < BLOCK, f"received twice: {held - offset} bytes")
        ctx["held"], ctx["offset"] = held, offset
    ctx = resume_case(lab, interrupt)
    carried = events(ctx["sender"], "done")[0]["carried"]
    note(f"received twice {ctx['held'] - ctx['offset']} bytes; sent twice (on disk or on the way) "
         f"{carried - ctx['size']} bytes")


def case_kill_sender(lab):
    def interrupt(lab, ctx):
        # Started again at once: the receiver need not notice the old connection is dead, the
        # newer connection with the same identity takes the transfer over.
        kill(ctx["sender"])
        t0 = time.monotonic()
        ctx["sender"] = lab.send("ana", [ctx["src"]])   # no --room: it goes back to its room
        offset = event(ctx["receiver"], "resumed", 60)["bytes"]
        note(f"sender killed; resumed at {offset} {time.monotonic() - t0:.2f} s after it was started again")
    ctx = resume_case(lab, interrupt)
    carried = events(ctx["receiver"], "done")[0]["carried"]
    twice = carried - ctx["size"]
    note(f"received twice {twice} bytes")
    check(0 <= twice < BLOCK, f"received twice: {twice} bytes")
    check(events(ctx["sender"], "offer")[0].get("resumed") is True, "the second sender resumed its offer")


def case_network_cut(lab):
    def interrupt(lab, ctx):
        t_down = time.monotonic()
        lab.link(False)
        time.sleep(20)
        t_up = time.monotonic()
        lab.link(True)
        ctx["t_down"], ctx["t_up"] = t_down, t_up
    ctx = resume_case(lab, interrupt)
    # A cut shorter than the 30 s liveness timeout keeps the connection: SCTP retransmits what
    # was lost (at most 5 s apart), so the file carries on with nothing sent twice.
    for side in ("sender", "receiver"):
        p = ctx[side]
        timeline = ", ".join(f"{ev['type']} at {t - ctx['t_up']:+.1f} s" for t, ev in p.json_events()
                             if ev["type"] in ("waiting", "resumed") and t > ctx["t_down"])
        twice = events(p, "done")[0]["carried"] - ctx["size"]
        note(f"{side}: {timeline or 'no interruption seen'} (from the link coming back); "
             f"file bytes that travelled twice {twice}")
        check(0 <= twice < BLOCK, f"{side}: {twice} bytes twice")
    progress = [(t, ev["bytes"]) for t, ev in ctx["receiver"].json_events() if ev["type"] == "progress"]
    held = max(b for t, b in progress if t < ctx["t_up"])
    again = [t - ctx["t_up"] for t, b in progress if t > ctx["t_up"] and b > held]
    note(f"receiver held {held} bytes during the cut; more arrived {again[0]:.1f} s after the link "
         "came back" if again else "nothing arrived after the link came back")
    check(again and again[0] < 10, "the transfer did not carry on within 10 s of the link coming back")


def case_disk_full(lab):
    size = 600 * MiB
    mnt = fresh(lab, "small-disk")
    run("mount", "-t", "tmpfs", "-o", "size=800m", "tmpfs", mnt)
    try:
        src = os.path.join(fresh(lab, "src-full"), "dump.tar")
        sha = make_file(src, size, 5)
        sender = lab.send("ana", [src])
        link = room_link(sender)
        receiver = lab.receive("bo", link, mnt)
        wait_bytes(receiver, 1, 60)
        filler = os.path.join(mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
        try:   # takes all the room left, faster than the transfer can
            while True:
                os.write(fd, bytes(MiB))
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
        finally:
            os.close(fd)
        expect_exit(receiver, 1, 120)
        errors = [e["message"] for e in events(receiver, "error")]
        note(f"receiver: {errors}")
        check(any("space" in m.lower() for m in errors), f"no clear disk-full error: {errors}")
        held = part_size(mnt)
        check(held > 0, "the .part was kept")
        check(not os.path.exists(os.path.join(mnt, "dump.tar")), "no file under the final name")
        os.unlink(filler)
        receiver = lab.receive("bo", link, mnt)
        offset = event(sender, "resumed", 60)["bytes"]
        note(f".part held {held} bytes; resumed at {offset}")
        check(0 <= held - offset < BLOCK, f"received twice: {held - offset} bytes")
        expect_exit(receiver, 0, 120)
        expect_exit(sender, 0, 30)
        check(bl.sha256_file(os.path.join(mnt, "dump.tar")) == sha, "the resumed file differs")
    finally:
        subprocess.call(["umount", "-l", mnt])


def case_decline(lab):
    src = os.path.join(fresh(lab, "src-decline"), "secret.txt")
    make_file(src, 1000, 6)
    dest = fresh(lab, "dest-decline")
    sender = lab.send("ana", [src])
    receiver = lab.receive("bo", room_link(sender), dest, extra=(), stdin=subprocess.PIPE)
    event(receiver, "offer", 60)
    receiver.popen.stdin.write("n\n")
    receiver.popen.stdin.flush()
    expect_exit(receiver, 3, 30)
    expect_exit(sender, 3, 30)
    check(os.listdir(dest) == [], f"nothing written: {os.listdir(dest)}")


def case_accept_on_stdin(lab):
    src = os.path.join(fresh(lab, "src-yes"), "notes.txt")
    sha = make_file(src, 4321, 7)
    dest = fresh(lab, "dest-yes")
    sender = lab.send("ana", [src])
    receiver = lab.receive("bo", room_link(sender), dest, extra=(), stdin=subprocess.PIPE)
    event(receiver, "offer", 60)
    check(os.listdir(dest) == [], "nothing written before the answer")
    receiver.popen.stdin.write("y\n")
    receiver.popen.stdin.flush()
    expect_exit(receiver, 0, 30)
    expect_exit(sender, 0, 30)
    check(tree_listing(dest) == {"notes.txt": ("file", sha)}, "received")


def case_two_receivers(lab):
    src = os.path.join(fresh(lab, "src-two"), "talk.webm")
    sha = make_file(src, 300 * MiB, 8)
    dests = [fresh(lab, "dest-two-1"), fresh(lab, "dest-two-2")]
    sender = lab.send("ana", [src])
    link = room_link(sender)
    receivers = [lab.receive("bo", link, dests[0]), lab.receive("cy", link, dests[1])]
    for r in receivers:
        expect_exit(r, 0, 180)
    expect_exit(sender, 0, 30)
    check(len(events(sender, "done")) == 2, f"sender done lines: {events(sender, 'done')}")
    for d in dests:
        check(tree_listing(d) == {"talk.webm": ("file", sha)}, f"received in {d}")


def case_changed_source(lab):
    size = 256 * MiB
    src = os.path.join(fresh(lab, "src-changed"), "live.log")
    make_file(src, size, 9)
    dest = fresh(lab, "dest-changed")
    sender = lab.send("ana", [src])
    link = room_link(sender)
    receiver = lab.receive("bo", link, dest)
    wait_bytes(receiver, size // 4, 60)
    kill(receiver)
    with open(src, "r+b") as f:       # same size, other bytes, a new modification time
        f.seek(size // 8)
        f.write(b"changed!")
    os.utime(src, (time.time() + 5, time.time() + 5))
    receiver = lab.receive("bo", link, dest)
    expect_exit(receiver, 1, 60)
    expect_exit(sender, 1, 30)
    told = [e["message"] for e in events(receiver, "error")]
    note(f"the receiver was told: {told}")
    check(any("changed" in m for m in told), "the change is named")
    check(not any(os.path.dirname(src) in m for m in told), "the sender's folders are its own business")
    check(any("changed" in e["message"] for e in events(sender, "error")), "the sender names the change")
    check(not os.path.exists(os.path.join(dest, "live.log")), "no file under the final name")


def case_usage(lab):
    env = lab.env("usage")
    for args in (["send"], ["send", "/no/such/file"], ["receive"], ["receive", "ferry://join?v=1"],
                 ["send", "--no-such-option", "x"]):
        p = subprocess.run([lab.ferry_cli, *args], env=env, capture_output=True, text=True, timeout=30)
        check(p.returncode == 2, f"ferry-cli {' '.join(args)} exited {p.returncode}: {p.stderr}")
        check(p.stderr.strip() != "", f"ferry-cli {' '.join(args)} says why")


CASES = [
    ("usage", case_usage),
    ("one-file", case_one_file),
    ("many-files", case_many_files),
    ("tree", case_tree),
    ("decline", case_decline),
    ("accept-on-stdin", case_accept_on_stdin),
    ("two-receivers", case_two_receivers),
    ("changed-source", case_changed_source),
    ("disk-full", case_disk_full),
    ("kill-receiver", case_kill_receiver),
    ("kill-sender", case_kill_sender),
    ("network-cut", case_network_cut),
    ("2-gib", case_big),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ferry-cli", required=True)
    ap.add_argument("--node", default="node")
    ap.add_argument("--only")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        print("\n".join(name for name, _ in CASES))
        return 0
    cases = [(n, f) for n, f in CASES if not args.only or n in args.only.split(",")]
    node = bl.need_tool(args.node, "node (for the local tracker)")
    bl.install_signal_handlers()
    work = tempfile.mkdtemp(prefix="ferry-test-cli-", dir="/var/tmp")   # GiBs: not a tmpfs
    print(f"1..{len(cases)}", flush=True)
    failed = 0
    for i, (name, fn) in enumerate(cases, 1):
        lab = None
        t0 = time.monotonic()
        try:
            lab = Lab(args.ferry_cli, node, os.path.join(work, name))
            fn(lab)
            print(f"ok {i} {name} # {time.monotonic() - t0:.1f} s", flush=True)
        except (Failure, bl.BenchError) as e:
            failed += 1
            print(f"not ok {i} {name}: {e}", flush=True)
        except Exception:   # a bug in the test itself is a failure too, with its traceback
            failed += 1
            print(f"not ok {i} {name}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"# {line}", flush=True)
        finally:
            if lab:
                lab.close()
            shutil.rmtree(os.path.join(work, name), ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
