#!/usr/bin/env python3
"""File transfer on loopback: Ferry (ferry-cli send → receive) against magic-wormhole, in one run.

Run it inside a private network namespace (tests/netns-run.sh). It starts a local tracker
(tests/js/tracker-server.mjs), and magic-wormhole's mailbox server and transit relay, all on
127.0.0.1; nothing else is contacted (no STUN server, no public relay).

  bench-transfer.py --ferry-cli PATH --node NODE [--wormhole PATH] [--twist PATH]
                    [--size-mib 1024] [--big-size-mib 4096] [--rounds 3] [--dir DIR]
                    [--stacks ferry,wormhole]

Steps: a random file of --size-mib (made before any timing, on disk: --dir, default the system's
temporary directory unless it is a tmpfs, then /var/tmp) goes through Ferry and through
magic-wormhole (direct TCP), --rounds times each, the two taking turns to go first (F W, W F,
F W, ...): on a shared virtual machine one transfer can be 20 % off the next one of the same
program, and a noisy moment then hits either stack alike. Each stack's figures are those of its
median round (by throughput); every round is printed too. Then a --big-size-mib file goes
through Ferry alone, to see whether its memory stays flat with the size (skipped, with a note,
when the disk lacks room; 0 turns it off).

Before each transfer a scratch file of the same size is written and deleted, so that every
receiver writes into memory the kernel has used before (benchlib.recycle_page_cache:
first-touched memory in a virtual machine made page-cache writes cost 2.1-2.4 s of CPU per GiB
instead of 0.2-0.5 s, to the cost of whichever stack ran first). Each transfer is checked byte
for byte. Figures: throughput from the first byte on the receiver's disk to the end, CPU seconds
(user + system, from wait4) and peak RSS (VmHWM) of each side, and the ratios. Goals:
Ferry/wormhole throughput ≥ 1.25, peak RSS < 32 MiB on each side.

Exit 0 with figures, 1 when a transfer failed, 77 when a tool is missing (1 when CI=true).
"""
import argparse
import json
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "js")


def pick_dir(requested):
    if requested:
        return requested
    import tempfile
    base = tempfile.gettempdir()
    with open("/proc/self/mounts") as f:
        mounts = [line.split() for line in f]
    best = max((m for m in mounts if base == m[1] or base.startswith(m[1].rstrip("/") + "/")),
               key=lambda m: len(m[1]), default=None)
    if best and best[2] == "tmpfs":
        return "/var/tmp"
    return base


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ferry-cli")
    ap.add_argument("--node", default="node")
    ap.add_argument("--wormhole", default="wormhole")
    ap.add_argument("--twist", default="twist3")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--big-size-mib", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3,
                    help="transfers per stack; the median counts (the lower middle one for an even count)")
    ap.add_argument("--dir")
    ap.add_argument("--stacks", default="ferry,wormhole")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per transfer")
    args = ap.parse_args()
    stacks = set(args.stacks.split(","))
    if args.rounds < 1:
        print("bench-transfer: --rounds must be at least 1", file=sys.stderr)
        return 2
    bl.install_signal_handlers()

    if "ferry" in stacks:
        if not args.ferry_cli or not os.access(args.ferry_cli, os.X_OK):
            print(f"bench-transfer: --ferry-cli {args.ferry_cli} is not executable", file=sys.stderr)
            return 2
        node = bl.need_tool(args.node, "node (for the local tracker)")
        if not os.path.exists(os.path.join(JS_DIR, "node_modules", "bittorrent-tracker", "package.json")):
            bl.skip_or_fail("npm package bittorrent-tracker is missing (run npm ci in tests/js)")
    if "wormhole" in stacks:
        wormhole = bl.need_tool(args.wormhole, "magic-wormhole (Debian package magic-wormhole)")
        twist = bl.need_tool(args.twist, "twist3 (Debian packages python3-magic-wormhole-mailbox-server "
                                         "magic-wormhole-transit-relay)")

    base = pick_dir(args.dir)
    size = args.size_mib * bl.MiB
    if not bl.check_disk(base, 2 * size + 256 * bl.MiB):
        bl.skip_or_fail(f"{base} has less than {2 * args.size_mib + 256} MiB free")
    work = bl.tempdir("transfer", base)
    results = {}
    rounds = {}  # stack → its runs
    services = []
    try:
        src = os.path.join(work, "random-1.bin")
        bl.log(f"making a {args.size_mib} MiB random file in {work} (not timed)")
        sha = bl.make_random_file(src, size)

        if "ferry" in stacks:
            tracker = bl.start_tracker(node, JS_DIR)
            services.append(tracker)
            bl.log(f"tracker at {tracker.url}")
        if "wormhole" in stacks:
            procs, relay_url, transit = bl.start_wormhole_servers(twist)
            services += procs
            bl.log(f"wormhole mailbox {relay_url}, transit relay {transit}")
        order = [s for s in ("ferry", "wormhole") if s in stacks]
        for i in range(args.rounds):
            for stack in order if i % 2 == 0 else order[::-1]:
                round_dir = bl.tempdir(f"{stack}-{i + 1}", work)
                bl.recycle_page_cache(round_dir, size)
                if stack == "ferry":
                    r = bl.ferry_transfer(args.ferry_cli, src, size, sha, [tracker.url], round_dir,
                                          timeout=args.timeout)
                else:
                    r = bl.wormhole_transfer(wormhole, relay_url, transit, src, size, sha, round_dir,
                                             timeout=args.timeout)
                bl.log(f"round {i + 1}, {stack + ':':9} " + bl.describe(r))
                rounds.setdefault(stack, []).append(r)
                shutil.rmtree(round_dir, ignore_errors=True)
        for stack, runs in rounds.items():
            results[stack] = sorted(runs, key=lambda r: r["mb_per_s"])[(len(runs) - 1) // 2]
        os.unlink(src)

        big = args.big_size_mib * bl.MiB
        if "ferry" in stacks and big:
            if bl.check_disk(work, 2 * big + 256 * bl.MiB):
                src = os.path.join(work, "random-big.bin")
                bl.log(f"making a {args.big_size_mib} MiB random file (not timed)")
                big_sha = bl.make_random_file(src, big)
                bl.recycle_page_cache(work, big)
                r = bl.ferry_transfer(args.ferry_cli, src, big, big_sha, [tracker.url], work,
                                      timeout=args.timeout)
                bl.log("Ferry:    " + bl.describe(r))
                results["ferry_big"] = r
                os.unlink(src)
            else:
                bl.log(f"no {args.big_size_mib} MiB run: {work} has less than "
                       f"{2 * args.big_size_mib + 256} MiB free")
    except bl.BenchError as e:
        print(f"bench-transfer FAIL: {e}", flush=True)
        return 1
    finally:
        for p in services:
            p.stop()
        bl.cleanup()

    report(results, rounds, args)
    return 0


def report(results, rounds, args):
    names = [n for n in ("ferry", "wormhole", "ferry_big") if n in results]
    labels = {"ferry": f"Ferry {args.size_mib} MiB", "wormhole": f"wormhole {args.size_mib} MiB",
              "ferry_big": f"Ferry {args.big_size_mib} MiB"}
    rows = [
        ("throughput MB/s", lambda r: r["mb_per_s"]),
        ("throughput Mbit/s", lambda r: r["mbit_per_s"]),
        ("seconds (first byte→done)", lambda r: r["seconds"]),
        ("seconds (receiver start→done)", lambda r: r["end_to_end_s"]),
        ("CPU s/GiB sender", lambda r: r["cpu_s_sender"] / (r["bytes"] / bl.GiB)),
        ("CPU s/GiB receiver", lambda r: r["cpu_s_receiver"] / (r["bytes"] / bl.GiB)),
        ("CPU s/GiB both", lambda r: (r["cpu_s_sender"] + r["cpu_s_receiver"]) / (r["bytes"] / bl.GiB)),
        ("peak RSS MiB sender", lambda r: r["rss_mib_sender"]),
        ("peak RSS MiB receiver", lambda r: r["rss_mib_receiver"]),
    ]
    print()
    print(f"file transfer on loopback, {args.rounds} round(s) per stack")
    for stack, runs in rounds.items():
        print(f"  {stack:9} MB/s by round: " + ", ".join(f"{r['mb_per_s']:.1f}" for r in runs))
    if len(rounds) == 2:
        ratios = [f["mb_per_s"] / w["mb_per_s"] for f, w in zip(rounds["ferry"], rounds["wormhole"])]
        print("  Ferry / wormhole by round: " + ", ".join(f"{x:.2f}" for x in ratios))
    print("median round of each stack:")
    print(f"{'':32}" + "".join(f"{labels[n]:>20}" for n in names))
    for title, f in rows:
        print(f"{title:32}" + "".join(f"{f(results[n]):20.2f}" for n in names))
    if "ferry" in results and "wormhole" in results:
        fe, wh = results["ferry"], results["wormhole"]
        ratio = fe["mb_per_s"] / wh["mb_per_s"]
        print(f"throughput Ferry / wormhole (medians): {ratio:.2f} — goal ≥ 1.25: {'met' if ratio >= 1.25 else 'NOT met'}")
        print(f"start→done Ferry / wormhole time: {fe['end_to_end_s'] / wh['end_to_end_s']:.2f}")
        cpu_f = fe["cpu_s_sender"] + fe["cpu_s_receiver"]
        cpu_w = wh["cpu_s_sender"] + wh["cpu_s_receiver"]
        print(f"CPU per GiB (both sides) Ferry / wormhole: {cpu_f / cpu_w:.2f}")
    for n in ("ferry", "ferry_big"):
        if n in results:
            peak = max(results[n]["rss_mib_sender"], results[n]["rss_mib_receiver"])
            print(f"{labels[n]}: peak RSS {peak:.1f} MiB — goal < 32 MiB: {'met' if peak < 32 else 'NOT met'}")
    if "ferry" in results and "ferry_big" in results:
        for side in ("sender", "receiver"):
            a, b = results["ferry"][f"rss_mib_{side}"], results["ferry_big"][f"rss_mib_{side}"]
            print(f"Ferry peak RSS {side}: {a:.1f} MiB ({args.size_mib} MiB file) → {b:.1f} MiB "
                  f"({args.big_size_mib} MiB file), ×{b / a:.2f}")
    print(json.dumps({"median": results, "rounds": rounds}))


if __name__ == "__main__":
    sys.exit(main())
