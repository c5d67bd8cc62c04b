#!/usr/bin/env python3
"""System calls per request, by server and load, counted by strace.

    bench/syscalls.py --mote BINARY [--ceiling BINARY] [--candidate NAME=PATH]...
                      [--requests N] [--connections C] [--loads 1KB,100KB]

Each server (mote with its default flags, nginx and lighttpd as bench.py runs
them, the ceiling, other mote builds) is started under `strace -f -c` and sent
N and then, in a second run, 3N keep-alive GETs of one file over C connections
taking turns; the difference divided by 2N is what one request costs, start-up
and shut-down cancelled out. Prints a table of calls per request, the total and
the largest few by name. Counts, not times: the number and kind of calls a
request makes is what a wall-clock run cannot show. Needs strace.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the corpus and the servers)
from instructions import drive  # noqa: E402


def strace_counts(server, corpus, workdir, path, requests, connections):
    """Calls by name of one run of `server` serving `requests`."""
    port = bench.free_port()
    out = os.path.join(workdir, f"strace.{server.name}.{requests}")
    server.argv_template = ["strace", "-f", "-c", "-U", "name,calls", "-o", out] + server.argv_template
    try:
        # Pinned to one CPU, as bench.py runs them: one worker each.
        server.start(corpus, port, "0", workdir)
        # One GET of the page in each run: the difference cancels it.
        if not bench.wait_ready(port, server.proc, timeout=30):
            raise SystemExit(f"syscalls: {server.name} did not start under strace")
        drive(port, requests, connections, path)
    finally:
        server.stop()
        server.argv_template = server.argv_template[7:]
    counts = {}
    with open(out) as f:
        for line in f:
            m = re.match(r"\s*([a-z_0-9]+)\s+(\d+)\s*$", line)
            if m and m.group(1) != "total":
                counts[m.group(1)] = int(m.group(2))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mote", required=True)
    parser.add_argument("--ceiling")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=PATH [FLAGS]")
    parser.add_argument("--only", help="comma-separated server names (default: mote, nginx, lighttpd, ceiling)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--loads", default="1KB,100KB")
    args = parser.parse_args()
    if not shutil.which("strace"):
        raise SystemExit("syscalls: strace is missing (apt-get install strace)")
    args.go_server = args.sws = None
    args.only = args.only or ",".join(["mote", "nginx", "lighttpd", "ceiling"] +
                                      [c.partition("=")[0] for c in args.candidate])
    workdir = tempfile.mkdtemp(prefix="mote-syscalls-")
    os.chmod(workdir, 0o755)  # nginx's and lighttpd's workers run as another user
    corpus = os.path.join(workdir, "corpus")
    bench.make_corpus(corpus)
    servers = bench.servers(args, workdir)
    print(f"{args.connections} keep-alive connections; calls per request ((3N - N) / 2N, N = {args.requests})")
    print("| server | load | calls per request | the most frequent |")
    print("|---|---|---:|---|")
    for load in args.loads.split(","):
        path = "/" + bench.FILES[load][0]
        for server in servers:
            once = strace_counts(server, corpus, workdir, path, args.requests, args.connections)
            thrice = strace_counts(server, corpus, workdir, path, 3 * args.requests, args.connections)
            per = {name: (thrice.get(name, 0) - once.get(name, 0)) / (2 * args.requests)
                   for name in set(once) | set(thrice)}
            per = {name: n for name, n in per.items() if n >= 0.005}
            top = ", ".join(f"{name} {n:.2f}" for name, n in sorted(per.items(), key=lambda kv: -kv[1])[:5])
            print(f"| {server.name} | {load} | {sum(per.values()):.2f} | {top} |")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
