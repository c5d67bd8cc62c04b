#!/usr/bin/env bash
# UPX from a real Debian package on a machine whose release has none (bookworm
# dropped upx-ucl; trixie has 4.2.4): a `debootstrap --variant=minbase trixie`
# root with upx-ucl in DIR, and a wrapper that runs its binary with that root's
# own loader and libraries on the host's files (no chroot needed to use it).
#
#   scripts/upx-trixie.sh [DIR] [--wrapper PATH]
#
# DIR defaults to /opt/upx-trixie, the wrapper to /usr/local/bin/upx. Does nothing
# when DIR already has it. Needs root, debootstrap and the network
# (deb.debian.org). Then `scripts/image.sh --upx` finds `upx` in PATH.
set -euo pipefail
dir=/opt/upx-trixie
wrapper=/usr/local/bin/upx
while [ $# -gt 0 ]; do
  case "$1" in
    --wrapper) wrapper="${2:?--wrapper wants a path}"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) dir="$1" ;;
  esac
  shift
done
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [ ! -x "$dir/usr/bin/upx-ucl" ]; then
  command -v debootstrap >/dev/null || { echo "upx-trixie: debootstrap is needed (apt-get install debootstrap)" >&2; exit 1; }
  [ "$(id -u)" -eq 0 ] || { echo "upx-trixie: debootstrap needs root" >&2; exit 1; }
  rm -rf "$dir"
  log=$(mktemp)
  echo "upx-trixie: debootstrap --variant=minbase --include=upx-ucl trixie $dir" >&2
  if ! debootstrap --variant=minbase --include=upx-ucl trixie "$dir" "$mirror" > "$log" 2>&1; then
    tail -20 "$log" >&2
    echo "upx-trixie: debootstrap failed" >&2
    exit 1
  fi
  rm -f "$log"
fi

case "$(uname -m)" in
  x86_64) loader=lib64/ld-linux-x86-64.so.2; triple=x86_64-linux-gnu ;;
  aarch64) loader=lib/ld-linux-aarch64.so.1; triple=aarch64-linux-gnu ;;
  *) echo "upx-trixie: no loader known for $(uname -m)" >&2; exit 1 ;;
esac
mkdir -p "$(dirname "$wrapper")"
cat > "$wrapper" <<EOF
#!/bin/sh
# upx-ucl from Debian trixie in $dir (scripts/upx-trixie.sh), on this host's files.
exec "$dir/$loader" --library-path "$dir/usr/lib/$triple:$dir/lib/$triple" "$dir/usr/bin/upx-ucl" "\$@"
EOF
chmod 0755 "$wrapper"
"$wrapper" --version | head -1 >&2
echo "$wrapper"
