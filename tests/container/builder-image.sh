#!/usr/bin/env bash
# A local stand-in for the registry's rust:1.95-slim-bookworm, the image the
# Dockerfile's builder stage starts FROM, made the way upstream makes it
# (rust-lang/docker-rust's bookworm/slim: Debian bookworm, ca-certificates, gcc,
# libc6-dev, rustup-init with the minimal profile and the stable toolchain in
# /usr/local/{rustup,cargo}) from real packages: a `debootstrap --variant=minbase
# bookworm` root, rustup installed in it, imported with `docker import` under the
# exact name the Dockerfile's FROM uses. With it, `docker build .` runs the
# unchanged Dockerfile on a machine with no registry (this repo's CI).
#
#   tests/container/builder-image.sh            # builds it unless it is there
#   tests/container/builder-image.sh --rebuild
#
# Needs root (debootstrap, chroot), debootstrap, curl, docker and the network
# (deb.debian.org, static.rust-lang.org). Prints the image's name on stdout.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"

# The FROM line of the builder stage is the one source of the name and version.
from=$(sed -n 's/^FROM \([^ ]*\) AS build$/\1/p' "$repo/Dockerfile")
[ -n "$from" ] || { echo "builder-image: no 'FROM <image> AS build' line in Dockerfile" >&2; exit 1; }
[[ "$from" =~ ^rust:([0-9]+\.[0-9]+)-slim-([a-z]+)$ ]] \
  || { echo "builder-image: FROM $from is not of the form rust:<version>-slim-<debian suite>" >&2; exit 1; }
rust_version="${BASH_REMATCH[1]}"
suite="${BASH_REMATCH[2]}"
# The rustup-init that the official images pin (static.rust-lang.org/rustup/release-stable.toml).
rustup_version=1.28.2
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ "${1:-}" != "--rebuild" ] && docker image inspect "$from" >/dev/null 2>&1; then
  echo "builder-image: $from is already here (--rebuild to make it again)" >&2
  echo "$from"
  exit 0
fi
for tool in debootstrap curl docker sha256sum; do
  command -v "$tool" >/dev/null || { echo "builder-image: $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "builder-image: debootstrap and chroot need root" >&2; exit 1; }
case "$(uname -m)" in
  x86_64) rust_arch=x86_64-unknown-linux-gnu ;;
  aarch64) rust_arch=aarch64-unknown-linux-gnu ;;
  *) echo "builder-image: no rustup-init for $(uname -m)" >&2; exit 1 ;;
esac

work="${CARGO_TARGET_DIR:-$repo/target}/builder-image"
root="$work/root"
cleanup() {
  for fs in proc dev; do mountpoint -q "$root/$fs" 2>/dev/null && umount -l "$root/$fs"; done
  rm -rf "$work"
}
trap cleanup EXIT
cleanup
mkdir -p "$work"

start=$SECONDS
echo "builder-image: debootstrap --variant=minbase $suite from $mirror" >&2
debootstrap --variant=minbase --include=ca-certificates,gcc,libc6-dev \
  "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; echo "builder-image: debootstrap failed" >&2; exit 1; }

echo "builder-image: rustup-init $rustup_version, Rust $rust_version (minimal profile)" >&2
url="https://static.rust-lang.org/rustup/archive/$rustup_version/$rust_arch/rustup-init"
curl -fsSL --retry 3 -o "$root/rustup-init" "$url"
want=$(curl -fsSL --retry 3 "$url.sha256" | cut -d' ' -f1)
echo "$want  $root/rustup-init" | sha256sum -c --quiet - \
  || { echo "builder-image: rustup-init does not match its published sha256" >&2; exit 1; }
chmod +x "$root/rustup-init"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The certificate authorities this host trusts beyond Debian's (here: the CA of a
# TLS-intercepting egress proxy) go in too, as on any company's build machine;
# without them rustup, and cargo in `docker build`, cannot reach static.rust-lang.org
# and crates.io. Upstream's image has none.
extra_cas=(/usr/local/share/ca-certificates/*.crt)
if [ -e "${extra_cas[0]}" ]; then
  echo "builder-image: adding this host's extra CAs: ${extra_cas[*]##*/}" >&2
  cp "${extra_cas[@]}" "$root/usr/local/share/ca-certificates/"
fi
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
env -i PATH=/usr/local/cargo/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo HOME=/root \
  chroot "$root" sh -euc "
    update-ca-certificates >/dev/null
    /rustup-init -y -q --no-modify-path --profile minimal --default-toolchain $rust_version --default-host $rust_arch
    rm /rustup-init
    chmod -R a+w /usr/local/rustup /usr/local/cargo
    rustup --version; cargo --version; rustc --version
  " >&2
umount -l "$root/proc" "$root/dev"
# What the official slim image leaves out: apt's lists, logs, the resolver of this host.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/* "$root/etc/resolv.conf"
: > "$root/etc/resolv.conf"

tar -C "$root" --numeric-owner -c . | docker import \
  --change 'ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV RUST_VERSION=$rust_version" \
  --change 'CMD ["bash"]' \
  --change "LABEL org.opencontainers.image.description=\"local stand-in for the registry's $from (tests/container/builder-image.sh)\"" \
  - "$from" >/dev/null
echo "builder-image: $from built in $((SECONDS - start)) s, $(docker image inspect -f '{{.Size}}' "$from") bytes" >&2
echo "$from"
