#!/usr/bin/env bash
# The flake's headline commands, really run (with ../shared/nix-build, which builds
# with the real crane and rust-overlay over a stand-in nixpkgs; its README says what
# that proves): `nix build` of the binaries and images for both architectures, every
# `nix flake check` check, `docker load < result`, and the container proof on the
# images Nix built, not the no-Nix ones.
#
#   tests/nix/build.sh [NO_NIX_IMAGE]
#
# NO_NIX_IMAGE (e.g. mote:latest from scripts/image.sh): the Nix image must hold the
# same /bin/mote bytes and the same runtime config (but the revision label).
# Exit 3: the harness could not build anything here (no mirrors); its reason is printed.
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo" || exit 1
no_nix="${1:-}"
harness=../shared/nix-build/build.sh
W="${NIX_BUILD_WORK:-/tmp/nix-build-harness}"
export NIX_BUILD_WORK="$W"
here="$repo/tests"
# shellcheck source=tests/lib.sh
. "$here/lib.sh"
[ -x "$harness" ] || { echo "nix build: $harness is missing (../shared beside the checkout)"; exit 3; }

timed() { # timed LOG COMMAND...: runs it into LOG, prints its verdicts; returns its status
  local log="$1" start=$SECONDS rc; shift
  "$@" > "$log" 2>&1; rc=$?
  grep -E '^nix-build: ' "$log"
  [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || { echo "     last lines of the log:"; tail -40 "$log" | sed 's/^/     /'; }
  echo "     ($((SECONDS - start)) s)"
  return "$rc"
}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== nix build: the binaries and images of both architectures"
timed "$logs/packages" "$harness" mote site image mote-aarch64 image-aarch64
rc=$?
[ "$rc" -eq 3 ] && exit 3
check "nix build .#{mote,site,image,mote-aarch64,image-aarch64}" eq "$rc" 0

echo "== nix flake check: every check, built"
timed "$logs/checks" "$harness" --checks
check "every check passes" eq "$?" 0
# nix flake check builds every check: one that needs KVM fails it on most machines.
check "no check needs KVM (the VM test is packages.*.vm-test-image-docker)" \
  eq "$(grep -c '^nix-build: SKIP' "$logs/checks")" 0

# docker load < result, keeping whatever mote:latest was (the no-Nix image).
load() { # load TARBALL TAG: docker load, then the loaded image tagged TAG
  local before
  before=$(docker image inspect -f '{{.Id}}' mote:latest 2>/dev/null || true)
  docker load < "$1" >/dev/null || return 1
  docker tag mote:latest "$2" || return 1
  if [ -n "$before" ]; then docker tag "$before" mote:latest; else docker rmi mote:latest >/dev/null; fi
}
# file_in IMAGE PATH OUT: a file of the image (links followed), copied out
file_in() {
  local c
  c=$(docker create "$1") || return 1
  docker cp -L "$c:$2" "$3"; local rc=$?
  docker rm "$c" >/dev/null
  return $rc
}
# config IMAGE: the runtime config as canonical JSON, without the revision label
config() {
  docker image inspect -f '{{json .Config}}' "$1" |
    jq -S 'del(.Labels["org.opencontainers.image.revision"]) | {Entrypoint, Cmd, User, Env, ExposedPorts, Healthcheck, WorkingDir, Labels}'
}

echo "== docker load < result (amd64)"
if check "docker load of the Nix image" load "$W/out-packages.x86_64-linux.image" mote:nix; then
  file_in mote:nix /bin/mote "$logs/nix-mote"
  check "the image's /bin/mote is the Nix-built binary" cmp -s "$logs/nix-mote" "$W/out-packages.x86_64-linux.mote/bin/mote"
  echo "     Nix binary $(stat -c %s "$logs/nix-mote") B, image $(docker image inspect -f '{{.Size}}' mote:nix) B"
  if [ -n "$no_nix" ]; then
    file_in "$no_nix" /bin/mote "$logs/no-nix-mote"
    check "same /bin/mote bytes as the no-Nix image ($no_nix)" cmp "$logs/nix-mote" "$logs/no-nix-mote"
    check "same runtime config as the no-Nix image" eq "$(config mote:nix)" "$(config "$no_nix")"
    echo "     no-Nix binary $(stat -c %s "$logs/no-nix-mote") B, image $(docker image inspect -f '{{.Size}}' "$no_nix") B"
  fi
  echo "== container proof: the Nix image"
  check "tests/container/run.sh mote:nix" "$here/container/run.sh" mote:nix
fi

echo "== docker load < result (arm64, cross-built)"
if check "docker load of the Nix arm64 image" load "$W/out-packages.x86_64-linux.image-aarch64" mote:nix-arm64; then
  check "its config says arm64" eq "$(docker image inspect -f '{{.Architecture}}' mote:nix-arm64)" arm64
  file_in mote:nix-arm64 /bin/mote "$logs/nix-mote-arm64"
  check "its /bin/mote is an aarch64 binary" contains "$(file -b "$logs/nix-mote-arm64")" "ARM aarch64"
  if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    check "tests/container/run.sh mote:nix-arm64 (under qemu)" "$here/container/run.sh" mote:nix-arm64
  else
    echo "     (no qemu-aarch64 in binfmt_misc: the arm64 image is not run)"
  fi
fi

echo "== the flake template, instantiated and built"
check "tests/nix/template.sh --build" "$here/nix/template.sh" --build

summary
