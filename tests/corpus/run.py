#!/usr/bin/env python3
"""Hashed-asset caching against real build outputs of real tools, over real TCP.

    python3 tests/corpus/run.py [--bin PATH] [--keep]

The corpus is fetched, not committed: production front-ends shipped in pinned PyPI
wheels (Vite, SvelteKit, a Next.js static export, webpack, mkdocs-material's bundler,
and unhashed vendored trees), a Sphinx site built here with Sphinx, and this crate's own rustdoc output.
Each corpus names the tool's own output template, which says which of its files
carry a content hash. mote serves them all from one root; every file is asked for
over TCP and its Cache-Control checked:
  - every hashed file gets the immutable value (a miss costs revalidations), and
  - no other file does (a false positive pins stale content for a year).
Prints hit/miss/false-positive counts per corpus; exits 1 on any miss or false
positive. Needs pip (and the network, or a warm pip cache) and cargo.
"""
import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "corpus")
IMMUTABLE = "public, max-age=31536000, immutable"
SIBLINGS = (".gz", ".br", ".zst")

ALL = lambda name: True  # noqa: E731  every file the tool writes there is hashed
NONE = lambda name: False  # noqa: E731  the tool hashes nothing there


def contenthash(pattern):
    """A webpack-style template: the name holds this hash."""
    rx = re.compile(pattern)
    return lambda name: rx.search(name) is not None


# (corpus, wheel, directory in the wheel, which names the tool hashes, why)
WHEELS = [
    ("vite-gradio", "gradio==6.31.0", "gradio/templates/frontend/assets", ALL,
     "Vite build.assetsDir: [name]-[hash][extname] for entries, chunks and assets"),
    ("sveltekit-gradio", "gradio==6.31.0", "gradio/templates/node/build/client",
     lambda rel: rel.startswith("_app/immutable/"),
     "SvelteKit: everything in _app/immutable/ (hashed, documented as cacheable forever); "
     "_app/version.json is not"),
    ("vite-streamlit", "streamlit==1.67.0", "streamlit/static/static", ALL,
     "Vite with [name].[hash][extname] in static/js, static/css, static/media"),
    ("vite-prefect", "prefect==3.9.1", "prefect/server/ui-v2",
     lambda rel: rel.startswith("assets/"),
     "Vite: assets/[name]-[hash][extname]; public/ files copied to the root as they are "
     "(index.html, the state icons, mockServiceWorker.js)"),
    ("vite-prefect-v1", "prefect==3.9.1", "prefect/server/ui",
     lambda rel: rel.startswith("assets/"), "Vite, as the v2 UI"),
    ("nextjs-dagster", "dagster-webserver==1.13.28", "dagster_webserver/webapp/build",
     lambda rel: rel.startswith("_next/static/"),
     "Next.js static export: _next/static/ (hashed chunks, css, media, and the build's own "
     "directory), documented immutable; pages, favicons, manifest.json, robots.txt are not"),
    ("webpack-jupyterlab", "jupyterlab==4.6.6", "jupyterlab/static",
     contenthash(r"(^|\.)[0-9a-f]{16}\."),
     "webpack [name].[contenthash].js and [contenthash][ext] assets; bootstrap.js, "
     "index.html, style.js, package.json and the build logs are not hashed"),
    ("webpack-notebook", "notebook==7.6.5", "notebook/static",
     contenthash(r"(^|\.)[0-9a-f]{16}\."),
     "webpack, as jupyterlab"),
    ("mkdocs-material", "mkdocs-material==9.8.2", "material/templates/assets",
     contenthash(r"\.[0-9a-f]{8}\.min\.(js|css)(\.map)?$"),
     "bundle.<hex8>.min.js, main/palette.<hex8>.min.css, workers/search.<hex8>.min.js; "
     "lunr/ and images/ are copied as they are"),
    ("bokeh", "bokeh==3.9.2", "bokeh/server/static", NONE,
     "versioned and plain names (bokeh-3.9.2.min.js, lib/*.d.ts): no content hash"),
    ("dash-deps", "dash==4.4.1", "dash/deps", NONE,
     "vendored react@18.3.1.min.js and friends: versions, not hashes"),
    ("dash-renderer", "dash==4.4.1", "dash/dash-renderer/build", NONE, "plain names"),
    ("furo", "furo==2025.12.19", "furo/theme/furo/static", NONE, "a Sphinx theme's static files"),
    ("pydata-sphinx-theme", "pydata-sphinx-theme==0.24.0",
     "pydata_sphinx_theme/theme/pydata_sphinx_theme/static", NONE,
     "webpack output named without hashes, fontawesome webfonts (fa-solid-900.woff2)"),
]


def fetch_wheels():
    wheels = os.path.join(WORK, "wheels")
    os.makedirs(wheels, exist_ok=True)
    want = sorted({spec for _, spec, *_ in WHEELS})
    have = os.listdir(wheels)
    missing = [s for s in want
               if not any(w.lower().startswith(s.replace("-", "_").replace("==", "-").lower() + "-")
                          for w in have)]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--only-binary", ":all:", "-d", wheels, *missing], check=True)
    return wheels


def wheel_for(wheels, spec):
    prefix = spec.replace("-", "_").replace("==", "-").lower() + "-"
    for w in os.listdir(wheels):
        if w.lower().startswith(prefix) and w.endswith(".whl"):
            return os.path.join(wheels, w)
    raise SystemExit(f"corpus: no wheel for {spec} in {wheels}")


def extract(wheel, inner, dest):
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.startswith(inner + "/") and not n.endswith("/")]
        if not names:
            raise SystemExit(f"corpus: {wheel} has nothing under {inner}/")
        for n in names:
            target = os.path.join(dest, n[len(inner) + 1:])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(n) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def sphinx_site(dest):
    """A real Sphinx build (sphinx-quickstart, then sphinx-build -b html)."""
    src = os.path.join(WORK, "sphinx-src")
    shutil.rmtree(src, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "sphinx==9.0.4"], check=True)
    subprocess.run([sys.executable, "-m", "sphinx.cmd.quickstart", "-q", "-p", "corpus", "-a", "mote",
                    "--sep", "--no-makefile", "--no-batchfile", src], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", os.path.join(src, "source"),
                    dest], check=True)


def rustdoc_site(dest):
    """This crate's own rustdoc output: static.files/ is hashed, the rest is not."""
    doc = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "doc")
    subprocess.run(["cargo", "doc", "--locked", "--no-deps", "-q"], cwd=REPO, check=True)
    shutil.copytree(doc, dest)


RUSTDOC_HASHED = contenthash(r"-[0-9a-f]{8}\.")


def build_corpus(site):
    shutil.rmtree(site, ignore_errors=True)
    os.makedirs(site)
    wheels = fetch_wheels()
    corpora = []
    for name, spec, inner, hashed, why in WHEELS:
        extract(wheel_for(wheels, spec), inner, os.path.join(site, name))
        corpora.append((name, hashed, f"{spec}: {why}"))
    sphinx_site(os.path.join(site, "sphinx"))
    corpora.append(("sphinx", NONE, "sphinx==9.0.4 quickstart site: _static/ is not hashed"))
    rustdoc_site(os.path.join(site, "rustdoc"))
    corpora.append(("rustdoc", lambda rel: rel.startswith("static.files/") and RUSTDOC_HASHED(rel),
                    "rustdoc: static.files/<name>-<hex8>.<ext>; search-index, crates.js, pages: not"))
    return corpora


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("MOTE_TEST_BIN"))
    args = ap.parse_args()
    binary = args.bin
    if not binary:
        subprocess.run(["cargo", "build", "--locked", "-q"], cwd=REPO, check=True)
        binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")),
                              "debug", "mote")
    site = os.path.join(WORK, "site")
    corpora = build_corpus(site)

    port = free_port()
    server = subprocess.Popen([binary, site, "--listen", f"127.0.0.1:{port}", "--no-access-log"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise SystemExit("corpus: mote did not start: " + server.stderr.read().decode())
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        failures = 0
        totals = [0, 0, 0, 0]
        print(f"{'corpus':22} {'files':>6} {'hashed':>7} {'hit':>6} {'miss':>5} {'false+':>6}")
        for name, hashed, why in corpora:
            root = os.path.join(site, name)
            files = hits = misses = false_pos = 0
            examples = []
            for dirpath, _, names in os.walk(root):
                for n in sorted(names):
                    rel = os.path.relpath(os.path.join(dirpath, n), root)
                    if n.endswith(SIBLINGS) and os.path.exists(os.path.join(dirpath, n.rsplit(".", 1)[0])):
                        continue  # a precompressed variant of another file, not a resource
                    if any(part.startswith(".") for part in rel.split(os.sep)):
                        continue  # dotfiles are not served
                    conn.request("HEAD", "/" + name + "/" + rel.replace(os.sep, "/"))
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status != 200:
                        raise SystemExit(f"corpus: {name}/{rel}: status {resp.status}")
                    files += 1
                    immutable = resp.getheader("Cache-Control") == IMMUTABLE
                    if hashed(rel.replace(os.sep, "/")):
                        if immutable:
                            hits += 1
                        else:
                            misses += 1
                            examples.append(f"miss: {rel}")
                    elif immutable:
                        false_pos += 1
                        examples.append(f"false positive: {rel}")
            print(f"{name:22} {files:6} {hits + misses:7} {hits:6} {misses:5} {false_pos:6}")
            for e in examples[:8]:
                print(f"    {e}")
            if files == 0:
                raise SystemExit(f"corpus: {name} is empty")
            failures += misses + false_pos
            for i, v in enumerate((files, hits + misses, hits, misses + false_pos * 0)):
                totals[i] += v
        print(f"{'all':22} {totals[0]:6} {totals[1]:7} {totals[2]:6}")
        if failures:
            print(f"corpus: {failures} files cached wrongly", file=sys.stderr)
            return 1
        print("corpus: every hashed file immutable, no other file immutable")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
