#!/usr/bin/env bash
# The multi-arch index: the amd64 and arm64 images of the demo site under one OCI
# image index, read back by skopeo (the index lists both platforms; each resolves
# to an image config of its architecture), and the same bytes from two builds.
#
#   tests/container/multiarch.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

MOTE_IMAGE_TAR="$work/amd64.tar" scripts/image.sh web >/dev/null
MOTE_IMAGE_TAR="$work/arm64.tar" scripts/image.sh web --arch arm64 >/dev/null
first=$(scripts/oci-index.sh "$work/oci" "$work/amd64.tar" "$work/arm64.tar")
second=$(scripts/oci-index.sh "$work/oci-again" "$work/amd64.tar" "$work/arm64.tar")
[ "$first" = "$second" ] || { echo "multiarch: two builds gave $first and $second" >&2; exit 1; }
echo "multiarch: index $first (the same from two builds)"

skopeo inspect --raw "oci:$work/oci:latest" > "$work/index.json"
python3 - "$work/index.json" <<'PY'
import json, sys
index = json.load(open(sys.argv[1]))
assert index["mediaType"] == "application/vnd.oci.image.index.v1+json", index
platforms = sorted((m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"])
assert platforms == [("linux", "amd64"), ("linux", "arm64")], platforms
print("multiarch: the index lists", ", ".join("/".join(p) for p in platforms))
PY
for arch in amd64 arm64; do
  got=$(skopeo inspect --override-arch "$arch" --override-os linux "oci:$work/oci:latest" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Architecture"])')
  [ "$got" = "$arch" ] || { echo "multiarch: $arch resolved to an image of $got" >&2; exit 1; }
  echo "multiarch: $arch resolves to its own image"
done
echo "multiarch: sizes amd64 $(stat -c %s "$work/amd64.tar") bytes, arm64 $(stat -c %s "$work/arm64.tar") bytes (archives)"
