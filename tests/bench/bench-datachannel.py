#!/usr/bin/env python3
"""Data-channel throughput, CPU and memory: Ferry→Ferry vs libwebrtc→libwebrtc, in one run.

Both stacks run as two processes (sender offers, receiver answers) that exchange one JSON line of
signalling each way on stdin/stdout and print one JSON line of figures when done.  Run it inside a
network namespace (tests/netns-run.sh): the peers connect over the namespace's veth address.

  bench-datachannel.py --ferry-cli PATH [--node NODE --wrtc-bench PATH] [--bytes N] [--runs N]
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def run_pair(sender_cmd, receiver_cmd, timeout):
    """Starts both sides, relays the offer and the answer, returns their figures."""
    start = time.monotonic()
    sender = subprocess.Popen(sender_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    receiver = subprocess.Popen(receiver_cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        offer = sender.stdout.readline()
        receiver.stdin.write(offer)
        receiver.stdin.flush()
        answer = receiver.stdout.readline()
        sender.stdin.write(answer)
        sender.stdin.flush()
        sent = json.loads(sender.stdout.readline())
        received = json.loads(receiver.stdout.readline())
        sender.wait(timeout=timeout)
        receiver.wait(timeout=timeout)
    finally:
        for p in (sender, receiver):
            if p.poll() is None:
                p.kill()
    if sender.returncode or receiver.returncode:
        raise RuntimeError(f"{sender_cmd[0]} failed: {sender.returncode}/{receiver.returncode}")
    sent["wall_s"] = time.monotonic() - start
    return sent, received


def summarise(name, runs, total_bytes):
    gib = total_bytes / 2**30
    rows = {
        "throughput MB/s": [s["mb_per_s"] for s, r in runs],
        "CPU s/GiB sender": [s["cpu_s"] / gib for s, r in runs],
        "CPU s/GiB receiver": [r["cpu_s"] / gib for s, r in runs],
        "CPU s/GiB both": [(s["cpu_s"] + r["cpu_s"]) / gib for s, r in runs],
        "peak RSS MiB sender": [s["max_rss_kib"] / 1024 for s, r in runs],
        "peak RSS MiB receiver": [r["max_rss_kib"] / 1024 for s, r in runs],
        "offer→open ms": [s["offer_to_open_ms"] for s, r in runs],
    }
    return {k: statistics.median(v) for k, v in rows.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ferry-cli", required=True)
    ap.add_argument("--node")
    ap.add_argument("--wrtc-bench")
    ap.add_argument("--bytes", type=int, default=2**30)
    ap.add_argument("--message-size", type=int, default=65536)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()

    stacks = {
        "ferry": ([args.ferry_cli, "bench", f"--bytes={args.bytes}", f"--message-size={args.message_size}"],
                  [args.ferry_cli, "bench", "--answer", f"--bytes={args.bytes}"]),
    }
    if args.node and args.wrtc_bench:
        stacks["libwebrtc"] = ([args.node, args.wrtc_bench, f"--bytes={args.bytes}", f"--message-size={args.message_size}"],
                               [args.node, args.wrtc_bench, "--answer", f"--bytes={args.bytes}"])

    results = {}
    for name, (sender, receiver) in stacks.items():
        runs = []
        for i in range(args.runs):
            s, r = run_pair(sender, receiver, timeout=600)
            print(f"# {name} run {i + 1}: {s['mb_per_s']:.1f} MB/s, CPU {s['cpu_s']:.2f} + {r['cpu_s']:.2f} s",
                  flush=True)
            runs.append((s, r))
        results[name] = summarise(name, runs, args.bytes)

    names = list(results)
    print(f"\n{args.bytes / 2**30:.2f} GiB in {args.message_size}-byte messages, median of {args.runs} run(s)")
    print(f"{'':24}" + "".join(f"{n:>14}" for n in names) + ("       ratio" if len(names) == 2 else ""))
    for key in results[names[0]]:
        values = [results[n][key] for n in names]
        line = f"{key:24}" + "".join(f"{v:14.1f}" for v in values)
        if len(names) == 2 and values[1]:
            line += f"{values[0] / values[1]:12.2f}"
        print(line)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
