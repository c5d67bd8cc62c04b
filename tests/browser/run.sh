#!/usr/bin/env bash
# Loads the demo site from a running container in headless Chromium and checks
# that the ES module and the WebAssembly module both ran (a browser refuses both
# when they are served with the wrong Content-Type), that the console shows no
# error, and saves a screenshot.
#
#   tests/browser/run.sh IMAGE [SCREENSHOT.png]     # default tests/out/browser.png
# Needs Debian's chromium (apt-get install chromium) and a Docker engine.
set -uo pipefail
image="${1:?usage: tests/browser/run.sh IMAGE [SCREENSHOT.png]}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shot="${2:-$repo/tests/out/browser.png}"
mkdir -p "$(dirname "$shot")"
passed=0
failed=0
check() {
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"
  else failed=$((failed + 1)); echo "FAIL $name"; fi
}
contains() { case "$1" in *"$2"*) return 0 ;; esac; echo "     [$2] not found" >&2; return 1; }
lacks() { case "$1" in *"$2"*) echo "     found [$2]" >&2; return 1 ;; esac; return 0; }

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "browser test: chromium is not installed (Debian: apt-get install chromium)" >&2
  exit 1
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
name="mote-browser-$$"
profile=$(mktemp -d)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$profile"' EXIT
docker run -d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges \
  -p "127.0.0.1:$port:8080" "$image" >/dev/null || exit 1
url="http://127.0.0.1:$port/"
for _ in $(seq 100); do curl -fs -o /dev/null "$url" && break; sleep 0.1; done

# Root in CI, so no sandbox; a fresh profile; nothing but the page on the network.
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run
       --disable-dev-shm-usage --user-data-dir="$profile" --enable-logging=stderr --v=0
       --virtual-time-budget=10000 --window-size=900,600)
dom=$(timeout 60 "$browser" "${flags[@]}" --dump-dom "$url" 2>"$profile/console.log")
console=$(grep -i 'CONSOLE' "$profile/console.log" || true)

check "page rendered" contains "$dom" "<h1>mote</h1>"
check "ES module ran and imported its dependency" contains "$dom" "hello from the module: fib(20) = 6765"
check "WebAssembly instantiated (application/wasm)" contains "$dom" "wasm add(40, 2) = 42"
check "the page reports success" contains "$dom" 'data-state="ok"'
# Chromium logs every console message at one level, so the check is strict: the
# demo writes nothing to the console unless something failed.
check "no console errors (no console output at all)" test -z "$console"
[ -z "$console" ] || echo "$console" >&2
check "no refused module script" lacks "$(cat "$profile/console.log")" "Failed to load module script"

timeout 60 "$browser" "${flags[@]}" --screenshot="$shot" "$url" >/dev/null 2>&1
check "screenshot saved to $shot" test -s "$shot"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
