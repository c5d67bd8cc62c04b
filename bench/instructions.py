#!/usr/bin/env python3
"""User-space instructions and malloc calls per request, counted by callgrind.

Timed benchmarks on a shared two-core machine drift by 10-20% between runs; an
instruction count does not (the same binary, inputs and environment give the same
total whatever else the machine does). Each server runs twice under
`valgrind --tool=callgrind`, once for N and once for 3N keep-alive GETs of the 1 KB
file; the difference divided by 2N is the cost of one request, start-up and
shut-down cancelled out.

    bench/instructions.py BINARY [--name NAME] [--flags '...'] [--rules] [--requests N]

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


def drive(port, requests, path="/" + bench.FILES["1KB"][0]):
    """`requests` keep-alive GETs over one connection, each read to its end."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: instructions\r\n\r\n".encode()
        buffered = b""
        for _ in range(requests):
            sock.sendall(request)
            while b"\r\n\r\n" not in buffered:
                buffered += sock.recv(65536)
            head, _, buffered = buffered.partition(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"instructions: unexpected response {head[:40]!r}")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            while len(buffered) < length:
                buffered += sock.recv(65536)
            buffered = buffered[length:]


def counted(argv, requests, workdir):
    """Total instructions and malloc calls of one run of argv serving `requests`."""
    port = bench.free_port()
    out = os.path.join(workdir, f"callgrind.{requests}.out")
    argv = [a.replace("{port}", str(port)) for a in argv]
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--trace-children=no"] + argv,
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
        drive(port, requests)
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    total = 0
    with open(out) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    return total, malloc_calls(out)


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
    parser.add_argument("--json", help="append the result to this JSON-lines file")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="mote-instructions-")
    corpus = os.path.join(workdir, "corpus")
    bench.make_corpus(corpus)
    argv = [args.binary] + shlex.split(args.flags)
    if args.rules:
        argv += ["--headers-file", os.path.join(workdir, "headers-20")]  # made with the corpus
    argv += ["--listen", "127.0.0.1:{port}", corpus]
    few, few_mallocs = counted(argv, args.requests, workdir)
    many, many_mallocs = counted(argv, 3 * args.requests, workdir)
    per_request = (many - few) / (2 * args.requests)
    mallocs = (many_mallocs - few_mallocs) / (2 * args.requests)
    name = args.name or os.path.basename(args.binary)
    # malloc is found by name: a stripped binary (the release build) has none.
    counted_mallocs = f" and {mallocs:.1f} mallocs" if many_mallocs else ""
    print(f"{name}: {per_request:,.0f} instructions{counted_mallocs} per 1 KB request"
          f"{' (20 _headers rules)' if args.rules else ''}")
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps({"name": name, "rules": args.rules, "instructions": per_request,
                                "mallocs": mallocs if many_mallocs else None}) + "\n")


if __name__ == "__main__":
    main()
