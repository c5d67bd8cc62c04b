#!/usr/bin/env bash
# Builds the mote image without Nix: the static binary with cargo, the site with
# precompressed siblings, a FROM-scratch layout packed reproducibly, then
# `docker load`. Two runs from clean give the same image ID.
#
#   scripts/image.sh [SITE_DIR]      # default: web/ ; tags mote:latest and mote:<version>
#
# Needs: cargo (the musl target is added with rustup if missing), python3, gzip,
# brotli, zstd, docker. Set MOTE_IMAGE_TAR=path to keep the archive (no docker load).
set -euo pipefail
cd "$(dirname "$0")/.."
site="${1:-web}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
revision=$(git rev-parse HEAD 2>/dev/null || echo dirty)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then revision=dirty; fi

bin=$(scripts/build-static.sh)
work="${CARGO_TARGET_DIR:-target}/image"
scripts/rootfs.sh "$bin" "$site" "$work/rootfs"
tar_path="${MOTE_IMAGE_TAR:-$work/mote-image.tar}"
id=$(python3 scripts/pack-image.py "$work/rootfs" "$tar_path" \
  --tag mote:latest --tag "mote:$version" --version "$version" --revision "$revision")
echo "image: $tar_path ($(stat -c %s "$tar_path") bytes, id $id)" >&2
if [ -z "${MOTE_IMAGE_TAR:-}" ]; then
  command -v docker >/dev/null || { echo "image: docker is not installed; the archive is $tar_path" >&2; exit 1; }
  docker load -i "$tar_path" >&2
  echo "image: loaded mote:latest and mote:$version ($id)" >&2
fi
echo "$id"
