#!/usr/bin/env python3
"""User-space instructions and malloc calls per request, counted by callgrind.

Timed benchmarks on a shared two-core machine drift by 10-20% between runs; an
instruction count does not (the same binary, inputs and environment give the same
total whatever else the machine does). Each server runs twice under
`valgrind --tool=callgrind`, once for N and once for 3N keep-alive GETs of the 1 KB
file; the difference divided by 2N is the cost of one request, start-up and
shut-down cancelled out.

    bench/instructions.py BINARY [--name NAME] [--flags '...'] [--rules] [--requests N]
                          [--connections C] [--cache]

`--rules` adds bench.py's 20-rule `_headers` file (`--headers-file`), as the
bench's `mote-20-rules` case does. Prints one line per binary; `--json` writes them.
Calls into the C library's malloc are counted too when the binary has symbols (build without
stripping: CARGO_PROFILE_RELEASE_STRIP=none); the release binary has none. Blocks
that src/alloc.rs hands out from its per-thread lists are not such calls.
"""

import argparse
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the corpus and the 20-rule file)


def drive(port, requests, connections=1, path="/" + bench.FILES["1KB"][0]):
    """`requests` keep-alive GETs, each read to its end, over `connections`
    connections taking turns (a request on each, then each response): with
    several, the server moves between connections' state as under wrk."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: instructions\r\n\r\n".encode()
    socks = [socket.create_connection(("127.0.0.1", port), timeout=60) for _ in range(connections)]
    buffered = [b""] * connections
    try:
        for _ in range(requests // connections):
            for sock in socks:
                sock.sendall(request)
            for i, sock in enumerate(socks):
                while b"\r\n\r\n" not in buffered[i]:
                    buffered[i] += sock.recv(65536)
                head, _, rest = buffered[i].partition(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise SystemExit(f"instructions: unexpected response {head[:40]!r}")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(rest) < length:
                    rest += sock.recv(65536)
                buffered[i] = rest[length:]
    finally:
        for sock in socks:
            sock.close()


def counted(argv, requests, workdir, connections=1, cache=False):
    """Event totals (Ir, and with `cache` the simulated cache misses) and malloc
    calls of one run of argv serving `requests`."""
    port = bench.free_port()
    out = os.path.join(workdir, f"callgrind.{requests}.out")
    argv = [a.replace("{port}", str(port)) for a in argv]
    sim = ["--cache-sim=yes"] if cache else []
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--trace-children=no"] + sim + argv,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise SystemExit(f"instructions: {argv[0]} did not start under valgrind")
                time.sleep(0.2)
        drive(port, requests, connections)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    events, totals = [], []
    with open(out) as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            if line.startswith("summary:") or line.startswith("totals:"):
                totals = [int(n) for n in line.split()[1:]]
    return dict(zip(events, totals)), malloc_calls(out)


def estimated_cycles(events):
    """callgrind_annotate's estimate: an L1 miss costs 10 instructions' time, a
    last-level miss 100 (the memory wait that an instruction count hides)."""
    l1 = events.get("I1mr", 0) + events.get("D1mr", 0) + events.get("D1mw", 0)
    ll = events.get("ILmr", 0) + events.get("DLmr", 0) + events.get("DLmw", 0)
    return events["Ir"] + 10 * l1 + 100 * ll


def malloc_calls(out):
    """Calls into malloc (any allocator entry named malloc) recorded in the file."""
    names = {}
    calls = 0
    current_cfn = None
    with open(out) as f:
        for line in f:
            m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if m:
                kind, ident, name = m.groups()
                if name:
                    names[ident] = name.strip()
                if kind == "cfn":
                    current_cfn = names.get(ident, "")
                continue
            m = re.match(r"calls=(\d+)", line)
            if m and current_cfn in ("malloc", "__libc_malloc", "__libc_malloc_impl"):
                calls += int(m.group(1))
    return calls


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--name")
    parser.add_argument("--flags", default="", help="extra flags before mote's own")
    parser.add_argument("--rules", action="store_true", help="add the 20-rule --headers-file")
    parser.add_argument("--requests", type=int, default=1000, help="N (the runs serve N and 3N)")
    parser.add_argument("--connections", type=int, default=1,
                        help="connections taking turns (default 1)")
    parser.add_argument("--cache", action="store_true",
                        help="simulate the caches too: misses and estimated cycles per request")
    parser.add_argument("--json", help="append the result to this JSON-lines file")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="mote-instructions-")
    corpus = os.path.join(workdir, "corpus")
    bench.make_corpus(corpus)
    argv = [args.binary] + shlex.split(args.flags)
    if args.rules:
        argv += ["--headers-file", os.path.join(workdir, "headers-20")]  # made with the corpus
    argv += ["--listen", "127.0.0.1:{port}", corpus]
    few, few_mallocs = counted(argv, args.requests, workdir, args.connections, args.cache)
    many, many_mallocs = counted(argv, 3 * args.requests, workdir, args.connections, args.cache)
    def per(value):
        return (value(many) - value(few)) / (2 * args.requests)
    per_request = per(lambda events: events["Ir"])
    mallocs = (many_mallocs - few_mallocs) / (2 * args.requests)
    name = args.name or os.path.basename(args.binary)
    # malloc is found by name: a stripped binary (the release build) has none.
    counted_mallocs = f" and {mallocs:.1f} mallocs" if many_mallocs else ""
    result = {"name": name, "rules": args.rules, "connections": args.connections,
              "instructions": per_request, "mallocs": mallocs if many_mallocs else None}
    cache = ""
    if args.cache:
        result["i1_misses"] = per(lambda events: events["I1mr"])
        result["d1_misses"] = per(lambda events: events["D1mr"] + events["D1mw"])
        result["ll_misses"] = per(lambda events: events["ILmr"] + events["DLmr"] + events["DLmw"])
        result["estimated_cycles"] = per(estimated_cycles)
        cache = (f"; L1 misses {result['i1_misses']:,.0f} I + {result['d1_misses']:,.0f} D,"
                 f" LL {result['ll_misses']:,.0f}; ~{result['estimated_cycles']:,.0f} cycles")
    print(f"{name}: {per_request:,.0f} instructions{counted_mallocs}{cache} per 1 KB request"
          f"{' (20 _headers rules)' if args.rules else ''}"
          f"{f' over {args.connections} connections' if args.connections > 1 else ''}")
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
