#!/usr/bin/env python3
"""mote against the servers people pick instead, in one run on one machine.

For each server: requests/s and p50/p99 latency (wrk, keep-alive) on a 1 KB page,
a 100 KB asset and a 10 MB file; idle and peak RSS; exec-to-first-200 start-up;
and the bytes a FROM-scratch image needs to run it. Writes a JSON record and the
report (bench/report.py turns it into RESULTS.md and the SVG charts).

Run it through bench/run.sh, which builds what is needed. Every server listens on
127.0.0.1 only; every load is bounded in time.
"""

import argparse
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

FILES = {
    "1KB": ("page.html", 1024),
    "100KB": ("asset.js", 100 * 1024),
    "10MB": ("large.bin", 10 * 1024 * 1024),
}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def headers_rules(path):
    """20 _headers blocks of the kinds sites write: some match every file of the
    corpus (/*, by extension), most match none of the measured paths."""
    blocks = ["/*\n  X-Frame-Options: DENY\n  Referrer-Policy: same-origin\n",
              "/*.html\n  Cache-Control: no-cache\n", "/*.js\n  Cache-Control: public, max-age=60\n"]
    for i in range(17):
        blocks.append(f"/section-{i}/*\n  X-Section: {i}\n  Access-Control-Allow-Origin: *\n")
    with open(path, "w") as f:
        f.write("".join(blocks))


def make_corpus(root):
    """The same bytes for every server: HTML, a JS asset, a large binary."""
    os.makedirs(root, exist_ok=True)
    headers_rules(os.path.join(os.path.dirname(root), "headers-20"))
    page = "<!doctype html><title>bench</title>" + "<p>mote benchmark page</p>" * 64
    with open(os.path.join(root, "page.html"), "w") as f:
        f.write(page[: FILES["1KB"][1]].ljust(FILES["1KB"][1]))
    line = "export const value = 'x'.repeat(64);\n"
    with open(os.path.join(root, "asset.js"), "w") as f:
        f.write((line * (FILES["100KB"][1] // len(line) + 1))[: FILES["100KB"][1]])
    with open(os.path.join(root, "large.bin"), "wb") as f:
        chunk = bytes(range(256)) * 4096
        for _ in range(FILES["10MB"][1] // len(chunk)):
            f.write(chunk)


# ---------------------------------------------------------------- the servers


class Server:
    """One server under test: how to start it on a port, pinned to a CPU set."""

    def __init__(self, name, binary, argv, env=None, config=None, note=""):
        self.name, self.binary, self.argv_template = name, binary, argv
        self.env, self.config, self.note = env or {}, config, note
        self.proc = None

    def start(self, corpus, port, cpus, workdir):
        conf_path = None
        if self.config:
            conf_path = os.path.join(workdir, f"{self.name}.conf")
            with open(conf_path, "w") as f:
                f.write(self.config.format(root=corpus, port=port, workdir=workdir))
        argv = [a.format(root=corpus, port=port, conf=conf_path or "", workdir=workdir) for a in self.argv_template]
        if cpus and shutil.which("taskset"):
            argv = ["taskset", "-c", cpus] + argv
        env = dict(os.environ, **self.env)
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self.proc

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


# mote with its defaults: the workers follow the CPUs it may use (taskset pins it
# to one), the access log is on (to /dev/null here), the 10 MB file is above the
# 4 MiB preload limit and so mapped, not copied.
MOTE_ARGS = ["--listen", "127.0.0.1:{port}", "{root}"]
MOTE_NOTE = "default flags (one worker on its one CPU, access log on, 10 MB file mapped)"


def servers(args, workdir):
    """The anchors that are installed; each pinned to one core, one worker."""
    found = [Server("mote", args.mote, [args.mote] + MOTE_ARGS, note=MOTE_NOTE)]
    # The cost of per-path rules: 20 _headers blocks, several matching every path.
    found.append(Server("mote-20-rules", args.mote,
                        [args.mote, "--headers-file", "{workdir}/headers-20"] + MOTE_ARGS,
                        note=f"{MOTE_NOTE}; --headers-file with 20 rules"))
    # Other mote builds (an older commit's binary), with the same flags, side by side.
    # "NAME=PATH [FLAGS...]": extra flags before mote's own (e.g. --preload-limit 16M).
    for candidate in args.candidate:
        name, _, spec = candidate.partition("=")
        path, *flags = shlex.split(spec) or [""]
        if not path or not os.path.exists(path):
            raise SystemExit(f"bench: --candidate wants NAME=PATH [FLAGS], got {candidate!r}")
        note = f"{path} {' '.join(flags)}".strip()
        found.append(Server(name, path, [path] + flags + MOTE_ARGS, note=note))
    if shutil.which("nginx"):
        found.append(Server(
            "nginx", shutil.which("nginx"), ["nginx", "-c", "{conf}", "-p", "{workdir}"],
            config=NGINX_CONF, note="Debian nginx-light; 1 worker, sendfile on, access_log off, gzip_static on"))
    if shutil.which("lighttpd"):
        found.append(Server(
            "lighttpd", shutil.which("lighttpd"), ["lighttpd", "-D", "-f", "{conf}"],
            config=LIGHTTPD_CONF, note="Debian lighttpd; defaults, no access log"))
    sws = args.sws or shutil.which("static-web-server")
    if sws and os.path.exists(sws):
        found.append(Server(
            "static-web-server", sws,
            [sws, "--host", "127.0.0.1", "--port", "{port}", "--root", "{root}", "--threads-multiplier", "1",
             "--log-level", "error", "--compression", "false", "--cache-control-headers", "false"],
            note="cargo install static-web-server; threads x1, no compression"))
    if args.go_server and os.path.exists(args.go_server):
        found.append(Server(
            "go-fileserver", args.go_server, [args.go_server, "127.0.0.1:{port}", "{root}"],
            env={"GOMAXPROCS": "1"}, note="net/http FileServer, CGO_ENABLED=0 -ldflags '-s -w', GOMAXPROCS=1"))
    if args.ceiling and os.path.exists(args.ceiling):
        found.append(Server(
            "ceiling", args.ceiling, [args.ceiling, "{port}", "{root}"],
            note="../shared/bench/limit.c, cc -O2: one thread, epoll, keep-alive, every response "
                 "preloaded with its head, sendfile from a memfd over 64 KiB, no parsing, no safety: "
                 "not a server, the machine's ceiling"))
    busybox = shutil.which("busybox")
    if busybox and "httpd" in subprocess.run([busybox, "--list"], capture_output=True, text=True).stdout:
        found.append(Server(
            "busybox-httpd", busybox, [busybox, "httpd", "-f", "-p", "127.0.0.1:{port}", "-h", "{root}"],
            note="Debian busybox-static; forks per connection, no keep-alive"))
    if shutil.which("caddy"):
        found.append(Server(
            "caddy", shutil.which("caddy"), ["caddy", "file-server", "--listen", "127.0.0.1:{port}", "--root", "{root}"],
            env={"GOMAXPROCS": "1"}, note="Debian caddy file-server, GOMAXPROCS=1"))
    if args.only:
        wanted = args.only.split(",")
        found = [server for server in found if server.name in wanted]
    return found


NGINX_CONF = """
daemon off;
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log error;
events {{ worker_connections 1024; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  gzip_static on;
  client_body_temp_path {workdir}/nginx-body;
  proxy_temp_path {workdir}/nginx-proxy;
  fastcgi_temp_path {workdir}/nginx-fastcgi;
  uwsgi_temp_path {workdir}/nginx-uwsgi;
  scgi_temp_path {workdir}/nginx-scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
  }}
}}
"""

LIGHTTPD_CONF = """
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{workdir}/lighttpd-error.log"
server.max-keep-alive-requests = 100000
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html", ".js" => "text/javascript", ".bin" => "application/octet-stream" )
"""


# ---------------------------------------------------------------- measurements


def wait_ready(port, proc, path="/page.html", timeout=10.0):
    """True once the server answers 200 for path; False if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.005)
    return False


def process_tree(pid):
    """pid and all its descendants (nginx and lighttpd have workers)."""
    pids, frontier = [pid], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True).stdout
        except OSError:
            break
        for line in out.split():
            pids.append(int(line))
            frontier.append(int(line))
    return pids


def rss_kib(pid, field):
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid):
    """User and system CPU seconds of pid and its descendants so far (/proc/PID/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            system += int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return user / tick, system / tick


WRK_LATENCY = re.compile(r"^\s*(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url, seconds, connections, cpus):
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cpus and shutil.which("taskset"):
        argv = ["taskset", "-c", cpus] + argv
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # wrk's own CPU time (user and system): at large sizes the client's copying decides.
    client_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    lat = {m.group(1): to_ms(m.group(2), m.group(3)) for m in WRK_LATENCY.finditer(out)}
    if not rps:
        raise RuntimeError(f"wrk gave no result for {url}:\n{out}")
    return {
        "rps": float(rps.group(1)),
        "requests": int(requests.group(1)) if requests else None,
        "client_us": client_s / int(requests.group(1)) * 1e6 if requests and int(requests.group(1)) else None,
        "p50_ms": lat.get("50"),
        "p99_ms": lat.get("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def startup_ms(server, corpus, workdir, runs):
    """Exec to the first 200, polled every 0.5 ms; median of runs."""
    times = []
    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = server.start(corpus, port, None, workdir)
        ok = False
        while not ok and time.perf_counter() - t0 < 10:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /page.html HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
                    status = s.recv(12)
                    ok = status.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))
            except OSError:
                pass
            if not ok:
                time.sleep(0.0005)
        elapsed = (time.perf_counter() - t0) * 1000
        server.stop()
        if ok:
            times.append(elapsed)
    return statistics.median(times) if times else None


def scratch_bytes(binary):
    """What a FROM-scratch image needs to run the binary: itself plus its shared libraries."""
    real = os.path.realpath(binary)
    total, libs = os.path.getsize(real), []
    out = subprocess.run(["ldd", real], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m and os.path.exists(m.group(1)):
            libs.append(m.group(1))
            total += os.path.getsize(os.path.realpath(m.group(1)))
    return {"bytes": total, "binary_bytes": os.path.getsize(real), "shared_libs": len(libs)}


def demo_idle_rss(mote):
    """mote's idle RSS with the bundled demo site (web/) loaded: the 4 MiB bar."""
    port = free_port()
    proc = subprocess.Popen([mote, "--listen", f"127.0.0.1:{port}", os.path.join(REPO, "web")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_ready(port, proc, path="/"):
            return None
        time.sleep(0.2)
        return rss_kib(proc.pid, "VmRSS")
    finally:
        proc.terminate()
        proc.wait()


def mote_image_sizes():
    if not shutil.which("docker"):
        return None
    try:
        size = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", "mote:latest"],
                              capture_output=True, text=True, check=True).stdout.strip()
        save = subprocess.Popen(["docker", "save", "mote:latest"], stdout=subprocess.PIPE)
        gz = subprocess.run(["gzip", "-9"], stdin=save.stdout, capture_output=True, check=True).stdout
        save.wait()
        return {"image_bytes": int(size), "image_gzip_bytes": len(gz)}
    except (subprocess.CalledProcessError, ValueError):
        return None


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release()}


def summarize(runs):
    """req/s and latency percentiles as the median over runs, with the spread."""
    rps = [r["rps"] for r in runs]
    p99s = [r["p99_ms"] for r in runs if r["p99_ms"] is not None]
    p50s = [r["p50_ms"] for r in runs if r["p50_ms"] is not None]
    cpu = lambda key: statistics.median([r[key] for r in runs if r.get(key) is not None]) if any(r.get(key) is not None for r in runs) else None  # noqa: E731
    return {
        "rps_median": statistics.median(rps), "rps_min": min(rps), "rps_max": max(rps),
        "user_us": cpu("user_us"), "sys_us": cpu("sys_us"), "client_us": cpu("client_us"),
        "p50_ms": statistics.median(p50s) if p50s else None,
        "p99_ms": statistics.median(p99s) if p99s else None,
        "p99_ms_runs": p99s,
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mote", required=True)
    parser.add_argument("--go-server")
    parser.add_argument("--ceiling", help="the bare epoll server (../shared/bench/limit.c), built")
    parser.add_argument("--sws")
    parser.add_argument("--candidate", action="append", default=[], metavar="NAME=PATH [FLAGS]",
                        help="another mote binary (an older commit's) or this one with other flags, beside it")
    parser.add_argument("--only", help="comma-separated server names to run (default: all installed)")
    parser.add_argument("--rounds", type=int, help="runs per cell (default 3; quick 1)")
    parser.add_argument("--loads", help="comma-separated loads to run, of " + ",".join(FILES) + " (default: all)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()

    seconds, repeats, connections, startup_runs = (1, 1, 16, 3) if args.quick else (10, 3, 64, 15)
    repeats = args.rounds or repeats
    loads = args.loads.split(",") if args.loads else list(FILES)
    if unknown := [label for label in loads if label not in FILES]:
        raise SystemExit(f"bench: --loads: unknown {','.join(unknown)} (known: {','.join(FILES)})")
    server_cpu, load_cpu = ("0", "1") if (os.cpu_count() or 1) >= 2 else (None, None)
    workdir = tempfile.mkdtemp(prefix="mote-bench-")
    os.chmod(workdir, 0o755)  # nginx's workers run as www-data
    corpus = os.path.join(workdir, "corpus")
    make_corpus(corpus)
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "mode": "quick" if args.quick else "full",
        "machine": machine(),
        "settings": {"seconds": seconds, "repeats": repeats, "connections": connections,
                     "server_cpu": server_cpu, "load_cpu": load_cpu, "startup_runs": startup_runs},
        "servers": {},
    }
    running = []
    try:
        # Every server is started first and stays up, idle, while the others are
        # loaded; runs go in rounds (each load on each server, then the next round),
        # so a noisy moment on a shared machine falls on all servers, not on one.
        for server in servers(args, workdir):
            port = free_port()
            proc = server.start(corpus, port, server_cpu, workdir)
            if not wait_ready(port, proc):
                log(f"== {server.name} did not start; left out")
                server.stop()
                continue
            entry = {"note": server.note, "size": scratch_bytes(server.binary), "load": {}}
            running.append((server, port, proc, entry))
        time.sleep(0.2)
        for _, _, proc, entry in running:
            entry["idle_rss_kib"] = rss_kib(proc.pid, "VmRSS")
        samples = {server.name: {label: [] for label in FILES} for server, _, _, _ in running}
        for round_number in range(repeats):
            log(f"== round {round_number + 1} of {repeats}")
            # The order rotates each round: the first server of a round runs right
            # after the previous round's heaviest load, and no server should always
            # be the one that does.
            shift = round_number % len(running)
            order = running[shift:] + running[:shift]
            for label in loads:
                name = FILES[label][0]
                for server, port, proc, _ in order:
                    cpu_before = cpu_seconds(proc.pid)
                    run = run_wrk(f"http://127.0.0.1:{port}/{name}", seconds, connections, load_cpu)
                    # The server's own CPU time per request, in user space and in the
                    # kernel: where its time goes, which req/s alone does not say.
                    cpu_after = cpu_seconds(proc.pid)
                    if run["requests"]:
                        run["user_us"] = (cpu_after[0] - cpu_before[0]) / run["requests"] * 1e6
                        run["sys_us"] = (cpu_after[1] - cpu_before[1]) / run["requests"] * 1e6
                    samples[server.name][label].append(run)
                    log(f"   {server.name} {label}: {run['rps']:.0f} req/s, p99 {run['p99_ms']} ms")
        for server, _, proc, entry in running:
            for label in loads:
                entry["load"][label] = summarize(samples[server.name][label])
            entry["peak_rss_kib"] = rss_kib(proc.pid, "VmHWM")
            server.stop()
        for server, _, _, entry in running:
            entry["startup_ms"] = startup_ms(server, corpus, workdir, startup_runs)
            log(f"== {server.name}: idle {entry['idle_rss_kib']} KiB, peak {entry['peak_rss_kib']} KiB, "
                f"start-up {entry['startup_ms']} ms, size {entry['size']['bytes']} B")
            results["servers"][server.name] = entry
        results["mote_image"] = mote_image_sizes()
        results["mote_demo_idle_rss_kib"] = demo_idle_rss(args.mote)
    finally:
        for server, _, _, _ in running:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
