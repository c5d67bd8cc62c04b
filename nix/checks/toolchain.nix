# The dev shell's toolchain builds for every architecture rust-toolchain.toml
# lists, as scripts/build-static.sh does inside `nix develop`: a program compiled
# and statically linked for each musl target (aarch64 by the toolchain's own
# rust-lld, as build-static.sh links it), and each result checked with file(1).
{
  runCommand,
  file,
  toolchain,
}:
runCommand "mote-toolchain-check"
  {
    nativeBuildInputs = [
      toolchain
      file
    ];
  }
  ''
    set -euo pipefail
    echo 'fn main() { println!("hello"); }' > hello.rs
    sysroot=$(rustc --print sysroot)
    host=$(rustc -vV | sed -n 's/^host: //p')
    for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
      [ -d "$sysroot/lib/rustlib/$target/lib" ] || { echo "the dev toolchain has no $target standard library" >&2; exit 1; }
      rustc --edition 2021 -O --target "$target" -C target-feature=+crt-static \
        -C linker="$sysroot/lib/rustlib/$host/bin/rust-lld" -C linker-flavor=ld.lld \
        -o "hello-$target" hello.rs
      info=$(file -b "hello-$target")
      echo "$target: $info"
      case "$target:$info" in
        x86_64*:*x86-64*static* | aarch64*:*aarch64*static*) ;;
        *) echo "$target: not a static binary of that machine" >&2; exit 1 ;;
      esac
    done
    echo ok > $out
  ''
