#!/usr/bin/env bash
# mote as a base image: builds mote:<version>-base (binary, passwd, empty /web),
# checks that it starts empty and says so, then builds a user's two-line
# Dockerfile on it with tests/fixtures/dist (no index at the root, a bundler's .gz
# sibling) and runs the container proof on the result.
#
#   tests/container/base-image.sh [amd64|arm64] [--upx]  # arm64: under qemu-user (binfmt_misc)
#                                                       # --upx: the base with the packed binary
set -euo pipefail
arch="${1:-amd64}"
upx=()
[ "${2:-}" != --upx ] || upx=(--upx)
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
suffix=""
[ "$arch" = amd64 ] || suffix="-$arch"
base="mote:$version-base$suffix${upx:+-upx}"
scripts/image.sh --base --arch "$arch" "${upx[@]}" --tag "$base" >/dev/null
ctx=$(mktemp -d)
name="mote-base-test-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1; rm -rf "$ctx"' EXIT

# The base alone: starts with an empty site and says so.
docker run -d --name "$name" --read-only --cap-drop ALL "$base" >/dev/null
for _ in $(seq 50); do docker logs "$name" 2>&1 | grep -q ' on http://' && break; sleep 0.1; done
logs=$(docker logs "$name" 2>&1)
grep -q '0 files' <<<"$logs" || { echo "base-image: the start-up line does not say 0 files: $logs" >&2; exit 1; }
grep -q 'has no files to serve' <<<"$logs" || { echo "base-image: no warning about the empty site: $logs" >&2; exit 1; }
docker rm -f "$name" >/dev/null
echo "base-image: $base starts empty and says so"

# The README's example, as a user writes it.
cp -R tests/fixtures/dist "$ctx/dist"
cat > "$ctx/Dockerfile" <<DOCKERFILE
FROM $base
COPY dist/ /web/
DOCKERFILE
user_image="mote-fixture:$arch${upx:+-upx}"
DOCKER_BUILDKIT=0 docker build -q -t "$user_image" "$ctx" >/dev/null
echo "base-image: built $user_image FROM $base"
SITE_PAGE=/guide/ SITE_PAGE_TEXT='fixture guide' SITE_ASSET=/assets/app.4f2a9c1e.js \
  SITE_ASSET_TEXT=value59 SITE_CODINGS=gzip SITE_WASM='' \
  tests/container/run.sh "$user_image"
