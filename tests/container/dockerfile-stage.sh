#!/usr/bin/env bash
# Builds the Dockerfile's final stage, the one users ship, from the layout that
# scripts/rootfs.sh makes (the Dockerfile's builder stage needs a registry; its
# final stage is FROM scratch and needs none). Tags it mote:dockerfile.
#
#   tests/container/dockerfile-stage.sh ROOTFS_DIR
set -euo pipefail
rootfs="${1:?usage: dockerfile-stage.sh ROOTFS_DIR}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# Everything from the last FROM on, with the builder's output taken from ROOTFS_DIR.
awk '/^FROM /{stage=""} {stage = stage $0 "\n"} END {printf "%s", stage}' "$repo/Dockerfile" > "$ctx/Dockerfile.stage"
head -1 "$ctx/Dockerfile.stage" | grep -qx 'FROM scratch' \
  || { echo "dockerfile-stage: the Dockerfile's final stage is not FROM scratch" >&2; exit 1; }
grep -qx 'COPY --from=build /rootfs/ /' "$ctx/Dockerfile.stage" \
  || { echo "dockerfile-stage: the final stage no longer copies /rootfs/ from the build stage" >&2; exit 1; }
sed -i 's#^COPY --from=build /rootfs/ /$#COPY rootfs/ /#' "$ctx/Dockerfile.stage"
cp -a "$rootfs" "$ctx/rootfs"
# The classic builder: BuildKit needs the buildx plugin, which Debian's docker.io lacks.
DOCKER_BUILDKIT=0 docker build -q -t mote:dockerfile -f "$ctx/Dockerfile.stage" "$ctx" >&2
echo mote:dockerfile
