#!/usr/bin/env bash
# Builds a mote image for any folder without Nix: the static binary with cargo, the
# site with precompressed siblings, a FROM-scratch layout packed reproducibly, then
# `docker load`. Two runs from clean give the same image ID.
#
#   scripts/image.sh [DIR] [--tag NAME:TAG]... [--arch amd64|arm64] [--source URL]
#                    [--url URL] [--documentation URL]
#   scripts/image.sh --base [--tag NAME:TAG]...
#   scripts/image.sh [DIR | --base] --upx [...]
#
# DIR defaults to web/ (the demo site). Tags default to mote:latest and
# mote:<version>. --source sets the OCI source label (your fork's URL; left out
# otherwise); --url the url label (the site's or project's home; the source if not
# given) and --documentation the documentation label (left out if not given). --base builds the base image instead: the binary, passwd and an
# empty /web, tagged mote:base and mote:<version>-base, for a Dockerfile of yours:
#   FROM mote:0.1.0-base
#   COPY dist/ /web/
# Needs: cargo (rustup installs the pinned toolchain), python3, gzip, brotli, zstd,
# docker. Set MOTE_IMAGE_TAR=path to keep the archive (no docker load). Prints the
# image ID on stdout.
# --upx packs the binary with UPX (--best --lzma) first: a smaller pull and disk,
# tagged mote:upx and mote:<version>-upx (--base: mote:base-upx, mote:<version>-base-upx).
# The packer is `upx` in PATH or MOTE_UPX (Debian trixie: apt-get install upx-ucl;
# bookworm: scripts/upx-trixie.sh; Nix: pkgs.upx).
set -euo pipefail
cd "$(dirname "$0")/.."
site="web"
arch="amd64"
base=""
upx=""
source=()
tags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tags+=(--tag "${2:?--tag wants NAME:TAG}"); shift ;;
    --arch) arch="${2:?--arch wants amd64 or arm64}"; shift ;;
    --base) base=1 ;;
    --upx) upx=1 ;;
    --source|--url|--documentation) source+=("$1" "${2:?$1 wants a URL}"); shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) echo "image: unknown option $1 (see scripts/image.sh --help)" >&2; exit 2 ;;
    *) site="$1" ;;
  esac
  shift
done
case "$arch" in
  amd64) target=x86_64-unknown-linux-musl ;;
  arm64) target=aarch64-unknown-linux-musl ;;
  *) echo "image: --arch must be amd64 or arm64, not $arch" >&2; exit 2 ;;
esac
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then revision="$revision-dirty"; fi

work="${CARGO_TARGET_DIR:-target}/image"
suffix=${upx:+-upx}
if [ -n "$base" ]; then
  site="$work/empty-site"
  rm -rf "$site" && mkdir -p "$site"
  [ ${#tags[@]} -gt 0 ] || tags=(--tag "mote:base$suffix" --tag "mote:$version-base$suffix")
else
  [ -d "$site" ] || { echo "image: $site is not a directory (the site to bake)" >&2; exit 2; }
  main_tag=latest
  [ -z "$upx" ] || main_tag=upx
  [ ${#tags[@]} -gt 0 ] || tags=(--tag "mote:$main_tag" --tag "mote:$version$suffix")
fi
packer=""
if [ -n "$upx" ]; then
  packer="${MOTE_UPX:-$(command -v upx || true)}"
  if [ -z "$packer" ] || ! "$packer" --version >/dev/null 2>&1; then
    echo "image: --upx needs the UPX packer, and there is none${MOTE_UPX:+ at MOTE_UPX=$MOTE_UPX}: apt-get install upx-ucl (Debian trixie and later), scripts/upx-trixie.sh (bookworm), or set MOTE_UPX=/path/to/upx" >&2
    exit 2
  fi
fi

bin=$(scripts/build-static.sh --target "$target")
if [ -n "$packer" ]; then
  mkdir -p "$work"
  packed="$work/mote-upx-$arch"
  rm -f "$packed"
  "$packer" -q --best --lzma -o "$packed" "$bin" >/dev/null
  echo "image: packed with $("$packer" --version | head -1): $(stat -c %s "$bin") -> $(stat -c %s "$packed") bytes" >&2
  bin="$packed"
fi
scripts/rootfs.sh "$bin" "$site" "$work/rootfs"
tar_path="${MOTE_IMAGE_TAR:-$work/mote-image.tar}"
id=$(python3 scripts/pack-image.py "$work/rootfs" "$tar_path" "${tags[@]}" \
  --version "$version" --revision "$revision" --arch "$arch" "${source[@]}")
echo "image: $tar_path ($(stat -c %s "$tar_path") bytes, id $id, $arch)" >&2
if [ -z "${MOTE_IMAGE_TAR:-}" ]; then
  command -v docker >/dev/null || { echo "image: docker is not installed; the archive is $tar_path" >&2; exit 1; }
  docker load -i "$tar_path" >&2
  names=()
  for ((i = 1; i < ${#tags[@]}; i += 2)); do names+=("${tags[i]}"); done
  echo "image: loaded ${names[*]} ($id, $arch)" >&2
fi
echo "$id"
