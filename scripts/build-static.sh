#!/usr/bin/env bash
# Builds the fully static release binary: x86_64-unknown-linux-musl, static C
# runtime, the standard library rebuilt for size (static-release.toml, the same
# file the Nix package uses), build paths remapped so the bytes do not depend on
# where the checkout is. Prints the binary's path on stdout (everything else goes
# to stderr). The toolchain is the nightly pinned in rust-toolchain.toml, with
# rust-src; rustup installs it on first use.
#
#   scripts/build-static.sh            # -> target/x86_64-unknown-linux-musl/release/mote
#   scripts/build-static.sh --target aarch64-unknown-linux-musl
#   CARGO_TARGET_DIR=/tmp/t scripts/build-static.sh
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-musl
if [ "${1:-}" = "--target" ]; then target="${2:?--target wants a musl triple}"; fi
if command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed | grep -qx "$target"; then
    echo "build-static: the Rust target $target is not installed; adding it with 'rustup target add $target'" >&2
    if ! rustup target add "$target" >&2; then
      echo "build-static: could not install $target (offline?). Install it with 'rustup target add $target' and run again." >&2
      exit 1
    fi
  fi
else
  echo "build-static: rustup not found; assuming the toolchain already has the $target standard library" >&2
fi

# Reproducible: no absolute paths of this machine in the binary (panic locations,
# debug info remnants), and a fixed epoch for anything that reads it.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1}"
remap="--remap-path-prefix=$PWD=/build/mote --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
if [ -n "${RUSTUP_HOME:-}" ] || [ -d "$HOME/.rustup" ]; then
  remap="$remap --remap-path-prefix=${RUSTUP_HOME:-$HOME/.rustup}=/rustup"
fi
# Joined with static-release.toml's [target.'cfg(target_env = "musl")'] rustflags.
target_env=$(echo "$target" | tr '[:lower:]-' '[:upper:]_')
export "CARGO_TARGET_${target_env}_RUSTFLAGS=$remap"
# Another architecture links with the toolchain's own rust-lld: the musl rust-std
# brings its C runtime objects (self-contained), so no cross C toolchain is needed.
host=$(rustc -vV | sed -n 's/^host: //p')
linker_var="CARGO_TARGET_${target_env}_LINKER"
if [ "$target" != "${host%-gnu}-musl" ] && [ -z "${!linker_var:-}" ]; then
  lld="$(rustc --print sysroot)/lib/rustlib/$host/bin/rust-lld"
  [ -x "$lld" ] || { echo "build-static: no rust-lld at $lld to link $target" >&2; exit 1; }
  export "$linker_var=$lld"
fi

cargo build --locked --release --config static-release.toml --target "$target" >&2
bin="${CARGO_TARGET_DIR:-target}/$target/release/mote"
if command -v file >/dev/null 2>&1 && ! file "$bin" | grep -q 'static'; then
  echo "build-static: $bin is not statically linked: $(file -b "$bin")" >&2
  exit 1
fi
echo "build-static: $(stat -c %s "$bin") bytes: $bin" >&2
echo "$bin"
