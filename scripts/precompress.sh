#!/usr/bin/env bash
# Writes .br, .zst and .gz siblings next to every compressible file under DIR,
# keeping each only where it is smaller than the original. Deterministic: no names
# or times in the gzip header, fixed levels, sorted order. mote serves the
# siblings to clients that accept them (see README "Precompressed files").
#
#   scripts/precompress.sh DIR
# Needs gzip, brotli and zstd (Debian: apt-get install brotli zstd).
set -euo pipefail
dir="${1:?usage: precompress.sh DIR}"
for tool in gzip brotli zstd; do
  command -v "$tool" >/dev/null || { echo "precompress: '$tool' is missing (Debian: apt-get install brotli zstd gzip)" >&2; exit 1; }
done

count=0
while IFS= read -r -d '' file; do
  size=$(stat -c %s "$file")
  gzip -9 -n -c "$file" > "$file.gz"
  brotli -q 11 -c "$file" > "$file.br"
  zstd -q -19 -c "$file" > "$file.zst"
  for sibling in "$file.gz" "$file.br" "$file.zst"; do
    if [ "$(stat -c %s "$sibling")" -ge "$size" ]; then rm "$sibling"; else count=$((count + 1)); fi
  done
done < <(find "$dir" -type f \( -name '*.html' -o -name '*.htm' -o -name '*.css' -o -name '*.js' \
  -o -name '*.mjs' -o -name '*.json' -o -name '*.map' -o -name '*.svg' -o -name '*.txt' -o -name '*.xml' \
  -o -name '*.wasm' -o -name '*.webmanifest' -o -name '*.ico' \) -print0 | sort -z)
echo "precompress: $count siblings written under $dir" >&2
