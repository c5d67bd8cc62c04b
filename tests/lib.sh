# shellcheck shell=bash
# Shared by the shell tests (tests/container/run.sh, tests/browser/run.sh):
# counting checks, and running an image the hardened way on a loopback port.
# Source it; it defines functions and the counters only.

passed=0
failed=0

# check NAME COMMAND...: runs COMMAND, counts and prints the result.
check() {
  local name="$1"; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"
  else failed=$((failed + 1)); echo "FAIL $name"; fi
}
eq() { [ "$1" = "$2" ] || { echo "     expected [$2], got [$1]" >&2; return 1; }; }
contains() { case "$1" in *"$2"*) return 0 ;; esac; echo "     [$2] not in [${1:0:300}]" >&2; return 1; }
lacks() { case "$1" in *"$2"*) echo "     found [$2]" >&2; return 1 ;; esac; return 0; }

# The closing line the CI reads; exit status 1 if anything failed.
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run_hardened NAME PORT IMAGE [DOCKER RUN ARGS...]: starts IMAGE read-only, with no
# capabilities and no privilege gain, published on 127.0.0.1:PORT, and waits (up to
# 10 s) until it answers /.
run_hardened() {
  local name="$1" port="$2" image="$3"; shift 3
  docker run -d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges \
    -p "127.0.0.1:$port:8080" "$@" "$image" >/dev/null || return 1
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  return 0
}
