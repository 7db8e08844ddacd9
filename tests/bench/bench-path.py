#!/usr/bin/env python3
"""File transfer over a real-looking path: 50 ms RTT, 200 Mbit/s, 0 % and 0.5 % loss, one run.

Two network namespaces, A and B, joined by tests/tools/ferry-delay-line (the kernel here has no
netem): A is 10.99.0.1, B is 10.99.0.2, each direction a 200 Mbit/s link with a one-BDP
tail-drop queue, 25 ms of delay and the given random loss. For each loss rate it checks the path
(UDP round trip; TCP with iperf3 when installed) and sends, from A to B:

  Ferry       ferry-cli send → ferry-cli receive, through a local tracker in A (tests/js);
  libwebrtc   tests/js/wrtc-bench.mjs → wrtc-bench.mjs (@roamhq/wrtc in Node): the same number
              of bytes over one data channel, 64 KiB messages, bufferedAmount under 4 MiB;
  wormhole    magic-wormhole with its mailbox server and transit relay in A (direct TCP).

  bench-path.py --delay-line PATH --ferry-cli PATH --node NODE [--wormhole PATH] [--twist PATH]
                [--clean-mib 256] [--lossy-mib 64] [--losses 0,0.005] [--stacks ferry,libwebrtc,wormhole]

Figures: throughput (first byte on the receiver → done) in Mbit/s and as % of the link rate,
CPU seconds of each side, and the ratios between stacks. It creates and deletes its own
namespaces; nothing leaves them. Exit 0 with figures, 1 when a transfer failed, 77 when a tool
is missing or the namespaces cannot be made (1 when CI=true).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "js")
ADDR_A, ADDR_B = "10.99.0.1", "10.99.0.2"
RATE_MBIT = 200
DELAY_MS = 25


class Lab:
    """Namespaces A and B and the delay line between them."""

    def __init__(self, delay_line, loss, seed):
        self.ns = []
        self.line = None
        tag = f"ferry-path-{os.getpid()}-{os.urandom(3).hex()}"
        for side in ("a", "b"):
            name = f"{tag}-{side}"
            if subprocess.call(["ip", "netns", "add", name], stderr=subprocess.DEVNULL) != 0:
                self.close()
                bl.skip_or_fail("cannot create a network namespace (needs root)")
            self.ns.append(name)
            subprocess.check_call(["ip", "-n", name, "link", "set", "lo", "up"])
        self.line = bl.Proc([delay_line, "--netns-a", f"/run/netns/{self.ns[0]}",
                             "--netns-b", f"/run/netns/{self.ns[1]}", "--addr-a", ADDR_A,
                             "--addr-b", ADDR_B, "--delay-ms", str(DELAY_MS), "--rate-mbit",
                             str(RATE_MBIT), "--loss", str(loss), "--seed", str(seed), "--realtime"],
                            stdin=subprocess.PIPE, name="ferry-delay-line")
        try:
            _t, _text, self.ready = self.line.wait_line(lambda o, _t: isinstance(o, dict) and o.get("ready"),
                                                        10, "its ready line")
        except bl.BenchError:
            self.close()  # the caller never gets this Lab, so it cannot delete the namespaces
            raise
        self.a, self.b = self.ns

    def counters(self):
        """Stops the delay line and returns its counters."""
        if self.line is None or self.line.poll() is not None:
            return None
        self.line.popen.stdin.close()
        try:
            _t, _text, obj = self.line.wait_line(lambda o, _t: isinstance(o, dict) and o.get("stopped"),
                                                 5, "its counters")
        except bl.BenchError:
            obj = None
        self.line.stop()
        return obj

    def close(self):
        if self.line:
            self.line.stop()
        for name in self.ns:
            pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (OSError, ValueError):
                    pass
            subprocess.call(["ip", "netns", "delete", name], stderr=subprocess.DEVNULL)
        self.ns = []


UDP_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0))
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(2048)
    if data == b'stop': break
    s.sendto(data, peer)
"""
UDP_PING = """
import json, socket, statistics, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
dest = (sys.argv[1], int(sys.argv[2])); rtts = []
for i in range(20):
    t = time.monotonic(); s.sendto(b'%d' % i, dest)
    try:
        while s.recv(2048) != b'%d' % i: pass
        rtts.append((time.monotonic() - t) * 1000)
    except socket.timeout: pass
    time.sleep(0.05)
s.sendto(b'stop', dest)
print(json.dumps({"sent": 20, "received": len(rtts), "median_ms": statistics.median(rtts) if rtts else None,
                  "min_ms": min(rtts, default=None), "max_ms": max(rtts, default=None)}))
"""


def check_path(lab):
    echo = bl.Proc([sys.executable, "-c", UDP_ECHO, ADDR_B], ns=lab.b, name="udp-echo")
    _t, text, _o = echo.wait_line(lambda _o, t: t.strip().isdigit(), 10, "its port")
    out = subprocess.check_output(bl.in_netns(lab.a, [sys.executable, "-c", UDP_PING, ADDR_B, text.strip()]),
                                  text=True)
    echo.stop()
    return json.loads(out)


def iperf3_tcp(lab, iperf3, seconds=10):
    port = bl.free_port(ADDR_B, lab.b)
    server = bl.Proc([iperf3, "-s", "-1", "--forceflush", "-B", ADDR_B, "-p", str(port)], ns=lab.b, name="iperf3 -s")
    server.wait_line(lambda _o, t: "listening" in t, 10, "its listening line")  # one client only: no probe
    out = subprocess.run(bl.in_netns(lab.a, [iperf3, "-c", ADDR_B, "-p", str(port), "-t", str(seconds), "-J"]),
                         capture_output=True, text=True)
    server.stop()
    try:
        end = json.loads(out.stdout)["end"]
        end["sum_received"]
    except (ValueError, KeyError):
        raise bl.BenchError(f"iperf3 failed: {out.stdout.strip()[-400:]} {out.stderr.strip()}")
    return {"mbit_per_s": end["sum_received"]["bits_per_second"] / 1e6,
            "retransmits": end["sum_sent"].get("retransmits")}


def wrtc_transfer(node, size, lab, timeout):
    bench = os.path.join(JS_DIR, "wrtc-bench.mjs")
    sender = bl.Proc([node, bench, f"--bytes={size}"], ns=lab.a, stdin=subprocess.PIPE, name="wrtc sender")
    receiver = bl.Proc([node, bench, "--answer", f"--bytes={size}"], ns=lab.b, stdin=subprocess.PIPE,
                       name="wrtc receiver")
    try:
        _t, offer, _o = sender.wait_line(lambda o, _t: isinstance(o, dict) and o.get("type") == "offer", 30, "its offer")
        receiver.popen.stdin.write(offer + "\n")
        receiver.popen.stdin.flush()
        _t, answer, _o = receiver.wait_line(lambda o, _t: isinstance(o, dict) and o.get("type") == "answer", 30,
                                            "its answer")
        sender.popen.stdin.write(answer + "\n")
        sender.popen.stdin.flush()
        _t, _text, got = receiver.wait_line(lambda o, _t: isinstance(o, dict) and "mb_per_s" in o, timeout,
                                            "its figures")
        sender.wait_line(lambda o, _t: isinstance(o, dict) and "mb_per_s" in o, 30, "its figures")
        if receiver.wait(30) != 0 or sender.wait(30) != 0:
            raise bl.BenchError(f"wrtc-bench failed{sender.describe_end()}{receiver.describe_end()}")
        return {"stack": "libwebrtc", "bytes": size, "seconds": got["seconds"],
                "mbit_per_s": size * 8 / got["seconds"] / 1e6, "mb_per_s": size / got["seconds"] / 1e6,
                "end_to_end_s": receiver.ended - receiver.started,
                "cpu_s_sender": sender.cpu_s(), "cpu_s_receiver": receiver.cpu_s(),
                "rss_mib_sender": sender.max_rss_mib(), "rss_mib_receiver": receiver.max_rss_mib()}
    finally:
        sender.stop()
        receiver.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--delay-line", required=True)
    ap.add_argument("--ferry-cli")
    ap.add_argument("--node", default="node")
    ap.add_argument("--wormhole", default="wormhole")
    ap.add_argument("--twist", default="twist3")
    ap.add_argument("--iperf3", default="iperf3", help="used for a TCP reference when installed")
    ap.add_argument("--clean-mib", type=int, default=256, help="bytes sent at 0 %% loss")
    ap.add_argument("--lossy-mib", type=int, default=64, help="bytes sent with loss")
    ap.add_argument("--losses", default="0,0.005")
    ap.add_argument("--stacks", default="ferry,libwebrtc,wormhole")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per transfer")
    args = ap.parse_args()
    stacks = [s for s in ("ferry", "libwebrtc", "wormhole") if s in args.stacks.split(",")]
    losses = [float(x) for x in args.losses.split(",")]
    bl.install_signal_handlers()

    if os.geteuid() != 0:
        bl.skip_or_fail("network namespaces need root")
    if not os.access(args.delay_line, os.X_OK):
        print(f"bench-path: --delay-line {args.delay_line} is not executable", file=sys.stderr)
        return 2
    if not os.path.exists("/dev/net/tun"):
        bl.skip_or_fail("/dev/net/tun is missing")
    if "ferry" in stacks and (not args.ferry_cli or not os.access(args.ferry_cli, os.X_OK)):
        print(f"bench-path: --ferry-cli {args.ferry_cli} is not executable", file=sys.stderr)
        return 2
    if "ferry" in stacks or "libwebrtc" in stacks:
        node = bl.need_tool(args.node, "node")
        for pkg in (["bittorrent-tracker"] if "ferry" in stacks else []) + (["@roamhq/wrtc"] if "libwebrtc" in stacks else []):
            if not os.path.exists(os.path.join(JS_DIR, "node_modules", pkg, "package.json")):
                bl.skip_or_fail(f"npm package {pkg} is missing (run npm ci in tests/js)")
    if "wormhole" in stacks:
        wormhole = bl.need_tool(args.wormhole, "magic-wormhole (Debian package magic-wormhole)")
        twist = bl.need_tool(args.twist, "twist3 (Debian packages python3-magic-wormhole-mailbox-server "
                                         "magic-wormhole-transit-relay)")
    iperf3 = shutil.which(args.iperf3)

    base = args.dir or "/var/tmp"
    biggest = max(args.clean_mib if 0 in losses else 0, args.lossy_mib if any(losses) else 0)
    if not bl.check_disk(base, 2 * biggest * bl.MiB + 256 * bl.MiB):
        bl.skip_or_fail(f"{base} has less than {2 * biggest + 256} MiB free")
    work = bl.tempdir("path", base)
    os.chmod(work, 0o755)
    results = {}
    try:
        files = {}
        for mib in sorted({args.clean_mib if loss == 0 else args.lossy_mib for loss in losses}):
            path = os.path.join(work, f"random-{mib}.bin")
            bl.log(f"making a {mib} MiB random file (not timed)")
            files[mib] = (path, bl.make_random_file(path, mib * bl.MiB))

        for loss in losses:
            mib = args.clean_mib if loss == 0 else args.lossy_mib
            src, sha = files[mib]
            size = mib * bl.MiB
            key = f"{loss * 100:g}%"
            res = results[key] = {"bytes": size}
            lab = Lab(args.delay_line, loss, args.seed)
            services = []
            try:
                bl.log(f"path with {key} loss: {lab.ready}")
                cc = subprocess.run(bl.in_netns(lab.a, ["cat", "/proc/sys/net/ipv4/tcp_congestion_control"]),
                                    capture_output=True, text=True).stdout.strip()
                res["tcp_cc"] = cc
                res["udp_rtt"] = check_path(lab)
                bl.log(f"UDP round trip A→B→A: {res['udp_rtt']}")
                if iperf3:
                    res["iperf3"] = iperf3_tcp(lab, iperf3)
                    bl.log(f"iperf3 TCP ({cc}) A→B, 10 s: {res['iperf3']['mbit_per_s']:.1f} Mbit/s, "
                           f"{res['iperf3']['retransmits']} retransmits")
                for stack in stacks:
                    if stack == "ferry":
                        tracker = bl.start_tracker(node, JS_DIR, host=ADDR_A, ns=lab.a)
                        services.append(tracker)
                        r = bl.ferry_transfer(args.ferry_cli, src, size, sha, [tracker.url], work,
                                              ns_send=lab.a, ns_recv=lab.b, timeout=args.timeout)
                    elif stack == "libwebrtc":
                        r = wrtc_transfer(node, size, lab, args.timeout)
                    else:
                        procs, relay_url, transit = bl.start_wormhole_servers(twist, host=ADDR_A, ns=lab.a)
                        services += procs
                        r = bl.wormhole_transfer(wormhole, relay_url, transit, src, size, sha, work,
                                                 ns_send=lab.a, ns_recv=lab.b, timeout=args.timeout)
                    r["link_pct"] = r["mbit_per_s"] / RATE_MBIT * 100
                    res[stack] = r
                    bl.log(f"{key} loss, {stack:9}: " + bl.describe(r) + f", {r['link_pct']:.1f} % of the link")
            finally:
                for p in services:
                    p.stop()
                res["delay_line"] = lab.counters()
                lab.close()
            bl.log(f"delay line counters: {res['delay_line']}")
    except bl.BenchError as e:
        print(f"bench-path FAIL: {e}", flush=True)
        return 1
    finally:
        bl.cleanup()

    report(results, stacks)
    return 0


def report(results, stacks):
    print()
    print(f"file transfer A→B over {2 * DELAY_MS} ms RTT, {RATE_MBIT} Mbit/s, one run each "
          "(throughput from the receiver's first byte to done)")
    for key, res in results.items():
        rtt = res["udp_rtt"]
        line = f"\n{key} loss, {res['bytes'] / bl.MiB:.0f} MiB; UDP RTT median {rtt['median_ms']:.1f} ms"
        if "iperf3" in res:
            line += f"; iperf3 TCP ({res['tcp_cc']}) {res['iperf3']['mbit_per_s']:.1f} Mbit/s"
        print(line)
        print(f"{'':28}" + "".join(f"{s:>14}" for s in stacks))
        rows = [("Mbit/s", "mbit_per_s"), ("% of link", "link_pct"), ("seconds", "seconds"),
                ("receiver start→done s", "end_to_end_s"), ("CPU s sender", "cpu_s_sender"),
                ("CPU s receiver", "cpu_s_receiver"), ("peak RSS MiB sender", "rss_mib_sender"),
                ("peak RSS MiB receiver", "rss_mib_receiver")]
        for title, k in rows:
            print(f"{title:28}" + "".join(f"{res[s][k]:14.1f}" for s in stacks))
        for i, a in enumerate(stacks):
            for b in stacks[i + 1:]:
                print(f"throughput {a} / {b}: {res[a]['mbit_per_s'] / res[b]['mbit_per_s']:.2f}")
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
