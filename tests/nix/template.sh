#!/usr/bin/env bash
# The flake template (templates/default) instantiated as a user would
# (`nix flake init -t <mote>`), in a temp git repository whose `mote` input points
# at this checkout, then checked with ../shared/nix-eval/check.sh: it parses, its
# lock resolves through this checkout's lock, and (where the harness can) it
# evaluates.
#
#   tests/nix/template.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache" NIX_CONFIG="experimental-features = nix-command flakes"
store="$work/store"

site="$work/site"
cp -R "$repo/templates/default/." "$site/"
sed -i "s|github:mote-server/mote|path:$repo|" "$site/flake.nix"
git -C "$site" init -q && git -C "$site" add -A
git -C "$site" -c user.name=t -c user.email=t@t commit -qm template

# The lock: mote by path, nixpkgs following mote's (no download: mote's own lock
# says where everything is).
nix --store "$store" flake lock "$site" --offline 2>&1 | grep -v "build-users-group" || true
test -f "$site/flake.lock" || { echo "template: no flake.lock was written" >&2; exit 1; }
git -C "$site" add flake.lock
echo "template: locked (mote -> $repo)"
# The harness beside the project: ../shared from the temp site is not there, so
# call it from the checkout's sibling; mirrors come from the project's .mirror.
cd "$site"
NIX_EVAL_MIRROR="${NIX_EVAL_MIRROR:-$repo/../.mirror}" "$repo/../shared/nix-eval/check.sh"
