#!/usr/bin/env bash
# The Dockerfile, built for real and unchanged, as a user with a registry types it:
#
#   tests/container/dockerfile.sh [STATIC_BINARY]
#
# 1. the builder stage's FROM image, from the registry or its local stand-in
#    (tests/container/builder-image.sh);
# 2. `docker build -t mote:dockerfile .` and the container proof on it;
# 3. `docker build --build-arg SITE=tests/fixtures/dist --build-arg SOURCE=URL`
#    (the layer cache reuses the toolchain and the binary: only the site is redone),
#    the container proof on it, and its source label is the URL given;
# 4. the image's /bin/mote is byte for byte scripts/build-static.sh's output
#    (STATIC_BINARY, built here if not given): the same pinned toolchain, the
#    same static-release.toml, build paths remapped to the same names.
# Needs docker, root and the network (Debian, static.rust-lang.org, crates.io).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
bin="${1:-}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

"$here/builder-image.sh" >/dev/null

# The classic builder: BuildKit needs the buildx plugin, which Debian's docker.io
# lacks (`docker build` falls back to it with a deprecation notice either way).
build() { # build TAG ARGS...: docker build, timed, its log kept for a failure
  local tag="$1" start=$SECONDS; shift
  if ! DOCKER_BUILDKIT=0 docker build -t "$tag" "$@" . > "$scratch/build.log" 2>&1; then
    tail -40 "$scratch/build.log" >&2
    echo "dockerfile: docker build -t $tag $* failed" >&2
    return 1
  fi
  echo "dockerfile: built $tag in $((SECONDS - start)) s, $(docker image inspect -f '{{.Size}}' "$tag") bytes" >&2
}

build mote:dockerfile
"$here/run.sh" mote:dockerfile

url="https://example.com/you/mote"
docs="https://example.com/you/mote/docs"
build mote:dockerfile-fixture --build-arg SITE=tests/fixtures/dist --build-arg SOURCE="$url" \
  --build-arg DOCUMENTATION="$docs"
# The step that builds the binary (its RUN line names the script) came from the cache.
if ! grep -A1 -F "RUN bin=\$(scripts/build-static.sh" "$scratch/build.log" | grep -q 'Using cache'; then
  echo "dockerfile: the second build (another SITE) rebuilt the binary instead of reusing its layer" >&2
  exit 1
fi
SITE_PAGE=/guide/ SITE_PAGE_TEXT='fixture guide' SITE_ASSET=/assets/app.4f2a9c1e.js \
  SITE_ASSET_TEXT=value59 SITE_CODINGS='br gzip' SITE_WASM='' \
  "$here/run.sh" mote:dockerfile-fixture
label() { docker image inspect -f "{{index .Config.Labels \"org.opencontainers.image.$2\"}}" "$1"; }
expect_label() { # IMAGE NAME VALUE
  [ "$(label "$1" "$2")" = "$3" ] \
    || { echo "dockerfile: $1: label $2 is '$(label "$1" "$2")', not '$3'" >&2; exit 1; }
}
expect_label mote:dockerfile-fixture source "$url"
expect_label mote:dockerfile-fixture url "$url"
expect_label mote:dockerfile-fixture documentation "$docs"
for name in source url documentation; do expect_label mote:dockerfile "$name" ""; done
echo "ok: source, url and documentation labels from the build args (url: the source's), empty without"

if [ -z "$bin" ] || [ ! -e "$bin" ]; then bin=$(scripts/build-static.sh); fi
cid=$(docker create mote:dockerfile)
docker cp "$cid:/bin/mote" "$scratch/mote" >/dev/null
docker rm "$cid" >/dev/null
if cmp -s "$scratch/mote" "$bin"; then
  echo "ok: the Dockerfile's /bin/mote is byte for byte scripts/build-static.sh's ($(stat -c %s "$bin") B)"
else
  echo "dockerfile: /bin/mote ($(stat -c %s "$scratch/mote") B) differs from $bin ($(stat -c %s "$bin") B)" >&2
  exit 1
fi
