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
# shellcheck source=tests/lib.sh
. "$repo/tests/lib.sh"

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "browser test: chromium is not installed (Debian: apt-get install chromium)" >&2
  exit 1
fi

port=$(free_port)
name="mote-browser-$$"
profile=$(mktemp -d)
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$profile"' EXIT
run_hardened "$name" "$port" "$image" || exit 1
url="http://127.0.0.1:$port/"

# Root in CI, so no sandbox; a fresh profile; nothing but the page on the network.
# (The comma in --window-size is part of the value, not a separator.)
# shellcheck disable=SC2054
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

summary
