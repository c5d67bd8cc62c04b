#!/usr/bin/env bash
# The side-by-side benchmark: mote against nginx, lighttpd, static-web-server,
# a Go net/http FileServer, busybox httpd (and caddy if installed), in one run,
# with the machine's ceiling beside them (../shared/bench/limit.c, built with cc -O2).
#
#   bench/run.sh           # full run (minutes): bench/results/results.json, bench/RESULTS.md, docs/*.svg
#   bench/run.sh --quick   # seconds, to keep the harness working (CI): bench/out/
#   bench/run.sh --candidate 'NAME=PATH [FLAGS]'   # (repeatable) another binary or
#                          # other flags in the full run, e.g. an older commit's build
#   bench/run.sh --only mote,nginx,...             # the full run on these servers only
#   bench/run.sh --loads 1KB,10MB                  # ... and these loads only
#   bench/run.sh --compare NAME=PATH [--rounds N]
#                          # this build against another mote binary (an older
#                          # commit's), the two alone, same flags, in rounds:
#                          # bench/results/compare-NAME.json and COMPARE-NAME.md
#
# bench/instructions.py BINARY [--rules] [--cache] counts user-space instructions per 1 KB
# request with callgrind instead: steady where timed runs drift.
#
# Needs: wrk, python3, cargo (mote's static build), and for the anchors Debian's
# nginx-light, lighttpd, busybox-static, golang-go. static-web-server is installed
# with `cargo install` on a full run (into ~/.cache/mote-bench). A missing anchor is
# left out of the table, and the report says so.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=""
compare=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --compare) compare="${2:?--compare wants NAME=PATH}"; shift ;;
    --rounds) extra+=(--rounds "${2:?--rounds wants N}"); shift ;;
    --candidate) extra+=(--candidate "${2:?--candidate wants NAME=PATH [FLAGS]}"); shift ;;
    --only) extra+=(--only "${2:?--only wants NAMES}"); shift ;;
    --loads) extra+=(--loads "${2:?--loads wants LOADS}"); shift ;;
    *) echo "bench: unknown argument $1 (see the header of bench/run.sh)" >&2; exit 2 ;;
  esac
  shift
done

command -v wrk >/dev/null || { echo "bench: wrk is missing (Debian: apt-get install wrk)" >&2; exit 1; }
work="${CARGO_TARGET_DIR:-target}/bench"
mkdir -p "$work"

mote=$(scripts/build-static.sh)
args=(--mote "$PWD/$mote")
case "$mote" in /*) args=(--mote "$mote") ;; esac

if command -v go >/dev/null; then
  (cd bench/goserver && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod GOCACHE="$PWD/../../$work/gocache" \
    go build -trimpath -ldflags "-s -w" -o "../../$work/goserver" main.go) && args+=(--go-server "$PWD/$work/goserver")
else
  echo "bench: go is missing (Debian: apt-get install golang-go): no Go anchor" >&2
fi

# The machine's ceiling: ../shared/bench/limit.c (a bare epoll server, not a real one).
limit_c="../shared/bench/limit.c"
if [ -f "$limit_c" ] && command -v cc >/dev/null; then
  cc -O2 -o "$work/ceiling" "$limit_c" && args+=(--ceiling "$PWD/$work/ceiling")
else
  echo "bench: no $limit_c or no C compiler (apt-get install gcc): no ceiling in the table" >&2
fi

sws="${HOME}/.cache/mote-bench/sws/bin/static-web-server"
if [ -z "$quick$compare" ] && [ ! -x "$sws" ] && ! command -v static-web-server >/dev/null; then
  echo "bench: installing static-web-server with cargo (once, a few minutes)" >&2
  cargo install static-web-server --locked --root "${HOME}/.cache/mote-bench/sws" >&2 || true
fi
[ -x "$sws" ] && args+=(--sws "$sws")

if [ -z "$quick$compare" ] && command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  scripts/image.sh >/dev/null || echo "bench: could not build the image; its size is left out" >&2
fi

if [ -n "$compare" ]; then
  name="${compare%%=*}"
  python3 bench/bench.py --mote "${args[1]}" --candidate "$compare" --only "mote,$name" "${extra[@]}" \
    --out "bench/results/compare-$name.json"
  python3 bench/report.py "bench/results/compare-$name.json" --markdown "bench/results/COMPARE-$name.md" --svg-dir "$work"
  echo "bench: bench/results/COMPARE-$name.md"
elif [ -n "$quick" ]; then
  mkdir -p bench/out
  python3 bench/bench.py "${args[@]}" "${extra[@]}" --quick --out bench/out/quick.json
  python3 bench/report.py bench/out/quick.json --markdown bench/out/RESULTS.md --svg-dir bench/out
  echo "bench: quick run written to bench/out/RESULTS.md"
else
  python3 bench/bench.py "${args[@]}" "${extra[@]}" --out bench/results/results.json
  python3 bench/report.py bench/results/results.json --markdown bench/RESULTS.md --svg-dir docs
  echo "bench: bench/RESULTS.md, docs/size.svg, docs/throughput.svg"
fi
