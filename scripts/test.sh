#!/usr/bin/env bash
# Everything CI checks, in order; the README's test command.
#
#   scripts/test.sh
#
# Steps: rustfmt, clippy, rustdoc, the Rust tests (unit, in-process service, the
# example app and integration over real TCP, reliability, the soak, README/toolchain
# agreement), the same black-box suites on the static binary, the fuzzers, the
# offline Nix evaluation (../shared/nix-eval/check.sh), the no-Nix image and its
# container proof, the Dockerfile built for real, reproducibility, the browser
# test, the Nix builds for real (tests/nix/build.sh: packages, checks, images
# loaded and proven, the template), the deployment manifests, and the benchmark
# harness in quick mode.
#
# A step whose tool is missing (docker, chromium, nix) is SKIPPED with the reason
# on a developer machine, and FAILS when CI=true: CI must prove everything.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0
skipped=0
failures=()

step() { # step NAME COMMAND...: exit 3 from COMMAND means "cannot run here" (skipped, reason printed)
  local name="$1"; shift
  printf '\n==== %s\n' "$name"
  local start=$SECONDS rc=0
  "$@" || rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); printf '==== ok: %s (%ss)\n' "$name" $((SECONDS - start))
  elif [ "$rc" -eq 3 ]; then
    skipped=$((skipped + 1)); printf '==== SKIPPED: %s (nothing could be run here: see above)\n' "$name"
  else
    failed=$((failed + 1)); failures+=("$name"); printf '==== FAILED: %s\n' "$name"
  fi
}
# needs TOOL WHY: true if TOOL works; else skip (or fail in CI).
needs() {
  if "$@" >/dev/null 2>&1; then return 0; fi
  if [ "${CI:-}" = true ]; then
    echo "CI: '$*' failed, and CI must run every step" >&2
    failed=$((failed + 1)); failures+=("requirement: $*")
  else
    echo "SKIPPED: '$*' failed here (install it to run the steps that need it)" >&2
    skipped=$((skipped + 1))
  fi
  return 1
}

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy -D warnings" cargo clippy --locked --all-targets -- -D warnings
step "cargo doc (no warnings)" env RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
# The soak (tests/soak.rs) runs 5 s on a developer machine, 60 s in CI.
if [ "${CI:-}" = true ]; then export MOTE_SOAK_SECONDS="${MOTE_SOAK_SECONDS:-60}"; fi
step "cargo test" cargo test --locked
# Hashed-asset caching against real bundler outputs (pinned PyPI wheels, Sphinx, rustdoc).
step "real build outputs: hashed assets immutable, nothing else (tests/corpus/run.py)" python3 tests/corpus/run.py
# The black-box suites again, against the static release binary that ships.
static_black_box() {
  local bin
  bin=$(scripts/build-static.sh) || return 1
  case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
  MOTE_TEST_BIN="$bin" cargo test --locked --test http --test hardening --test lifecycle --test reliability
}
step "black-box tests on the static release binary" static_black_box
# arm64: the same static build for aarch64 (linked by rust-lld), its black-box
# suites under qemu-user (binfmt_misc).
arm64_black_box() {
  local bin
  bin=$(scripts/build-static.sh --target aarch64-unknown-linux-musl) || return 1
  case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
  MOTE_TEST_BIN="$bin" cargo test --locked --test http --test hardening --test lifecycle --test operator
}
if needs test -e /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  step "arm64: static binary, black-box tests under qemu" arm64_black_box
fi

# Every parser under libFuzzer: 60 s a target in CI, 10 s here.
step "fuzz (cargo-fuzz, every target)" scripts/fuzz.sh "$([ "${CI:-}" = true ] && echo 60 || echo 10)"

have_nix=""
if needs nix --version && [ -x ../shared/nix-eval/check.sh ]; then
  have_nix=1
  step "nix flake evaluation (../shared/nix-eval/check.sh)" ../shared/nix-eval/check.sh
fi

if needs docker info; then
  image_id=""
  build_image() { image_id=$(scripts/image.sh) && echo "image $image_id"; }
  step "build the no-Nix image (scripts/image.sh)" build_image
  if [ -n "$image_id" ]; then
    step "container proof: mote:latest" tests/container/run.sh mote:latest
    # The Dockerfile unchanged, on a local stand-in for rust:1.95-slim-bookworm; its
    # binary is compared with the static build of the black-box step above.
    step "Dockerfile: docker build for real, both images proven (tests/container/dockerfile.sh)" \
      tests/container/dockerfile.sh "${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/mote"
    step "reproducible image (two builds from clean)" tests/container/reproducible.sh
    if needs chromium --version; then
      step "browser: demo site in headless Chromium" tests/browser/run.sh mote:latest
    fi
    # Bake your own site, the no-Nix ways (README "Bake your own site"); these
    # rebuild target/image, so they come after the steps that read it.
    fixture_with_image_sh() {
      local src=https://example.com/you/site labels
      scripts/image.sh tests/fixtures/dist --tag mote-fixture:image-sh --source "$src" \
        --documentation "$src/docs" >/dev/null &&
        SITE_PAGE=/guide/ SITE_PAGE_TEXT='fixture guide' SITE_ASSET=/assets/app.4f2a9c1e.js \
          SITE_ASSET_TEXT=value59 SITE_CODINGS='br gzip' SITE_WASM='' \
          tests/container/run.sh mote-fixture:image-sh || return 1
      # The OCI labels given (the url label defaults to the source).
      labels=$(docker image inspect -f '{{json .Config.Labels}}' mote-fixture:image-sh)
      for want in "\"org.opencontainers.image.source\":\"$src\"" "\"org.opencontainers.image.url\":\"$src\"" \
        "\"org.opencontainers.image.documentation\":\"$src/docs\""; do
        case "$labels" in *"$want"*) ;; *) echo "labels: no $want in $labels" >&2; return 1 ;; esac
      done
    }
    step "bake another site: scripts/image.sh DIR --tag" fixture_with_image_sh
    step "bake another site: FROM mote:<version>-base + COPY" tests/container/base-image.sh
    # The UPX-packed variant (scripts/image.sh --upx): the same proofs, and its budget.
    if needs upx --version; then
      upx_image() {
        scripts/image.sh --upx >/dev/null && tests/container/run.sh mote:upx || return 1
        local size
        size=$(docker image inspect -f '{{.Size}}' mote:upx)
        echo "packed image: $size bytes (budget: under 300,000)"
        [ "$size" -lt 300000 ]
      }
      step "UPX: packed image, container proof, under 300,000 B" upx_image
      if needs chromium --version; then
        step "UPX: demo site in headless Chromium" tests/browser/run.sh mote:upx tests/out/browser-upx.png
      fi
      step "UPX: bake another site on the packed base image" tests/container/base-image.sh amd64 --upx
    fi
    if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
      arm64_image() { scripts/image.sh --arch arm64 --tag mote:arm64 >/dev/null && tests/container/run.sh mote:arm64; }
      step "arm64: image and container proof (emulated)" arm64_image
      step "arm64: bake another site on the arm64 base image (emulated)" tests/container/base-image.sh arm64
      if [ -n "$(command -v upx)" ]; then
        arm64_upx() { scripts/image.sh --arch arm64 --upx --tag mote:arm64-upx >/dev/null && tests/container/run.sh mote:arm64-upx; }
        step "arm64 + UPX: packed image and container proof (emulated)" arm64_upx
      fi
      if needs skopeo --version; then
        step "multi-arch OCI index (amd64 + arm64)" tests/container/multiarch.sh
      fi
    fi
  fi
  # The Nix builds for real (../shared/nix-build): packages, every check, the
  # images loaded and proven, the template built. After the no-Nix steps: the
  # Nix image is compared with theirs (mote:latest, from scripts/image.sh above).
  if [ -n "$have_nix" ] && [ -n "$image_id" ]; then
    step "nix: build, flake checks, docker load, container proof, template (tests/nix/build.sh)" \
      tests/nix/build.sh mote:latest
  fi
  step "deploy: compose file (docker-compose config)" docker-compose -f deploy/compose.yaml config -q
fi
step "deploy: Kubernetes manifest (mote's rules)" python3 tests/deploy/validate.py
# Real tools over hand-written checks: Kubernetes' own schemas, hadolint, shellcheck.
if needs kubernetes-validate --version; then
  step "deploy: Kubernetes manifests against Kubernetes' schemas" kubernetes-validate --strict deploy/kubernetes.yaml deploy/autoscaling.yaml
fi
if needs hadolint --version; then
  step "Dockerfile: hadolint" hadolint Dockerfile
fi
if needs shellcheck --version; then
  step "shell scripts: shellcheck" shellcheck -x scripts/*.sh tests/*.sh tests/*/*.sh bench/run.sh .ci/run
fi
if [ -x bench/run.sh ]; then
  step "benchmark harness, quick mode" bench/run.sh --quick
fi

echo
[ "${#failures[@]}" -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "skipped steps: $skipped"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
