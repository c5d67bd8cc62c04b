#!/usr/bin/env bash
# The flake template (templates/default) used as README "Bake your own site" says:
# `nix registry add mote git+file:<this checkout>`, `nix flake init -t mote` (its
# equivalent, below) in a new site repository, `nix flake lock`. Then the site flake is evaluated with
# ../shared/nix-eval/check.sh and, with --build, its image and its smoke check are
# BUILT with ../shared/nix-build/build.sh (exit 3 from it: nothing could be built).
#
#   tests/nix/template.sh [--build]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build=""
[ "${1:-}" = --build ] && build=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A registry, cache and store of this test's own: nothing of the user's is touched.
# The global registry (downloaded by default) is an empty file: this machine is
# offline, and the entry under test is the user registry's.
export XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config"
echo '{"flakes":[],"version":2}' > "$work/global-registry.json"
export NIX_CONFIG="experimental-features = nix-command flakes
flake-registry = $work/global-registry.json"
store="$work/store"
mirror="${NIX_EVAL_MIRROR:-$repo/../.mirror}"

nix registry add mote "git+file://$repo"
site="$work/site"
mkdir -p "$site" && cd "$site"
git init -q
# What `nix flake init -t mote` does: the registry's mote resolved and fetched, its
# templates.default (flake.nix: ./templates/default) copied here. Offline, Nix 2.8
# cannot evaluate mote's outputs without fetching its other inputs, and its
# flake init reads the real /nix/store, not this test's store; so the source is
# resolved with `nix flake metadata` and the template copied from it.
source=$(nix --store "$store" flake metadata mote --json | jq -r .path) ||
  { echo "template: the registry's mote did not resolve" >&2; exit 1; }
grep -q 'path = ./templates/default;' "$store$source/flake.nix" ||
  { echo "template: flake.nix no longer names ./templates/default" >&2; exit 1; }
template="$source/templates/default"
cp -R "$store$template/." .
chmod -R u+w .
{ test -f flake.nix && test -f public/index.html; } || { echo "template: $template holds no flake" >&2; exit 1; }
grep -q 'mote.url = "mote"' flake.nix
git add -A
git -c user.name=t -c user.email=t@t commit -qm template

# The lock: mote through the registry (git+file: this checkout), nixpkgs following
# mote's (no download: mote's own lock says where everything is).
nix --store "$store" flake lock --offline 2>&1 | grep -v "build-users-group" || true
test -f flake.lock || { echo "template: no flake.lock was written" >&2; exit 1; }
jq -e '.nodes.mote.locked.type == "git" and (.nodes.mote.locked.url | startswith("file:"))' flake.lock >/dev/null ||
  { echo "template: mote is not locked to this checkout: $(jq -c .nodes.mote.locked flake.lock)" >&2; exit 1; }
git add flake.lock
git -c user.name=t -c user.email=t@t commit -qm lock
echo "template: locked (mote -> $(jq -r .nodes.mote.locked.url flake.lock))"

# The harnesses beside the project: ../shared from the temp site is not there, so
# call them from the checkout's sibling; mirrors come from the project's .mirror.
NIX_EVAL_MIRROR="$mirror" "$repo/../shared/nix-eval/check.sh"
if [ -n "$build" ]; then
  NIX_EVAL_MIRROR="$mirror" "$repo/../shared/nix-build/build.sh" default checks.x86_64-linux.smoke
fi
