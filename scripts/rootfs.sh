#!/usr/bin/env bash
# Lays out the image's whole file system in OUT, the same layout as the Nix image:
#   /bin/mote            the static binary
#   /web/...             the site, with precompressed siblings
#   /etc/passwd, group   root and nobody (65534), so `User 65534` has a name
# Nothing else: no shell, no libc, no package database.
#
#   scripts/rootfs.sh BINARY SITE_DIR OUT
set -euo pipefail
bin="${1:?usage: rootfs.sh BINARY SITE_DIR OUT}"
site="${2:?usage: rootfs.sh BINARY SITE_DIR OUT}"
out="${3:?usage: rootfs.sh BINARY SITE_DIR OUT}"
here="$(cd "$(dirname "$0")" && pwd)"

rm -rf "$out"
mkdir -p "$out/bin" "$out/etc" "$out/web"
install -m 0555 "$bin" "$out/bin/mote"
cp -R "$site"/. "$out/web/"
"$here/precompress.sh" "$out/web"
printf 'root:x:0:0:root:/var/empty:/bin/false\nnobody:x:65534:65534:nobody:/var/empty:/bin/false\n' > "$out/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$out/etc/group"
# Read-only for everyone: the server never writes, and the image can run --read-only.
find "$out" -type d -exec chmod 0555 {} +
find "$out" -type f ! -path "$out/bin/mote" -exec chmod 0444 {} +
