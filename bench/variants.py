#!/usr/bin/env python3
"""The plain and the UPX-packed image side by side, measured in one run.

    bench/variants.py [PLAIN_IMAGE] [PACKED_IMAGE] [--seconds S] [--markdown]

Defaults: mote:latest and mote:upx (scripts/image.sh, scripts/image.sh --upx).
For each: the binary's bytes (/bin/mote out of the image), the image's
(`docker image inspect .Size`), `docker save | gzip -9`; then the image run
hardened (read-only, no capabilities) on one pinned core with a 1 KB file mounted
beside the demo site: idle RSS after the first 200, peak RSS after wrk's load,
1 KB req/s (wrk on the other core, 64 connections, default flags); and
exec-to-first-200 of the binary itself on the host (bench.py's measure, the
median of 20 starts: process start to the first 200 over TCP, which for the
packed one includes unpacking). Needs docker, wrk and gzip.
"""
import argparse
import gzip
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (free ports, the corpus, the start-up measure)


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def get(port, path="/", timeout=1.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    if not data.startswith(b"HTTP/"):
        raise OSError("no answer yet")
    return int(data.split(b" ", 2)[1])


def wait_200(port, limit=10.0, path="/"):
    """True once a container's published port answers 200 (there is no process
    here to watch, as bench.wait_ready does)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if get(port, path, 0.2) == 200:
                return True
        except OSError:
            time.sleep(0.001)
    return False


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def measure(image, seconds, scratch):
    out = {"image": image}
    cid = run("docker", "create", image).strip()
    binary = os.path.join(scratch, image.replace(":", "_").replace("/", "_"))
    run("docker", "cp", f"{cid}:/bin/mote", binary)
    run("docker", "rm", cid)
    out["binary"] = os.path.getsize(binary)
    out["image_bytes"] = int(run("docker", "image", "inspect", "-f", "{{.Size}}", image))
    saved = subprocess.run(["docker", "save", image], check=True, capture_output=True).stdout
    out["gzip"] = len(gzip.compress(saved, compresslevel=9))
    # The bench's own start-up measure, on its corpus: exec to the first 200, median of 20.
    corpus = os.path.join(scratch, "corpus")
    if not os.path.isdir(corpus):
        bench.make_corpus(corpus)
    server = bench.Server(image, binary, [binary] + bench.MOTE_ARGS)
    out["start_ms"] = bench.startup_ms(server, corpus, scratch, 20)

    one_k = os.path.join(scratch, "1k.txt")
    with open(one_k, "w") as f:
        f.write("x" * 1023 + "\n")
    port = bench.free_port()
    name = f"mote-variants-{os.getpid()}"
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    run("docker", "run", "-d", "--pull", "never", "--name", name, "--read-only", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges", "--cpuset-cpus", "0", "-e", "MOTE_NO_ACCESS_LOG=1",
        "-v", f"{one_k}:/web/1k.txt:ro", "-p", f"127.0.0.1:{port}:8080", image)
    try:
        if not wait_200(port, 20, "/1k.txt"):
            raise SystemExit(f"variants: {image} never answered 200")
        pid = int(run("docker", "inspect", "-f", "{{.State.Pid}}", name))
        time.sleep(0.5)
        out["idle_rss_kib"] = rss_kib(pid, "VmRSS")
        wrk = run("taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{seconds}s",
                  f"http://127.0.0.1:{port}/1k.txt")
        out["req_s"] = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
        out["peak_rss_kib"] = rss_kib(pid, "VmHWM")
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("plain", nargs="?", default="mote:latest")
    ap.add_argument("packed", nargs="?", default="mote:upx")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        rows = [measure(args.plain, args.seconds, scratch), measure(args.packed, args.seconds, scratch)]
    cols = [("binary (B)", "binary", "{:,}"), ("image (B)", "image_bytes", "{:,}"),
            ("`docker save`, gzip -9 (B)", "gzip", "{:,}"), ("idle RSS (KiB)", "idle_rss_kib", "{:,}"),
            ("peak RSS (KiB)", "peak_rss_kib", "{:,}"), ("exec to first 200 (ms)", "start_ms", "{:.1f}"),
            ("1 KB req/s", "req_s", "{:,.0f}")]
    print("| image | " + " | ".join(c[0] for c in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for r in rows:
        print(f"| `{r['image']}` | " + " | ".join(fmt.format(r[key]) for _, key, fmt in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
