#!/usr/bin/env bash
# Two builds of the image from clean (fresh cargo target directories) must give the
# same image ID and the same archive bytes.
#
#   tests/container/reproducible.sh
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ids=()
for run in a b; do
  id=$(cd "$repo" && CARGO_TARGET_DIR="$work/$run" MOTE_IMAGE_TAR="$work/$run.tar" scripts/image.sh 2>"$work/$run.log") \
    || { cat "$work/$run.log" >&2; echo "0 passed, 1 failed"; exit 1; }
  ids+=("$id")
  echo "build $run: $id ($(sha256sum < "$work/$run.tar" | cut -c1-16)…)"
done
if [ "${ids[0]}" = "${ids[1]}" ] && cmp -s "$work/a.tar" "$work/b.tar"; then
  echo "reproducible: both builds are ${ids[0]}"
  echo "1 passed, 0 failed"
else
  cmp "$work/a/x86_64-unknown-linux-musl/release/mote" "$work/b/x86_64-unknown-linux-musl/release/mote" \
    || echo "reproducible: the binaries differ" >&2
  echo "reproducible: the two builds differ"
  echo "0 passed, 1 failed"
  exit 1
fi
