# The image started in the build sandbox, with no VM and no Docker: unpack the
# tarball, read Entrypoint, Cmd, User and Env from its config, and run exactly that
# command on a loopback port the kernel picks (port 0; the real one is read from
# mote's start-up line), the image's absolute links resolved inside the unpacked
# root, as a chroot would. Then speak HTTP to it and stop it with SIGTERM.
{
  lib,
  runCommand,
  curl,
  jq,
  gnutar,
  gzip,
  brotli,
  zstd,
  image,
  # A file of the site, and a string its body holds.
  path ? "/",
  expect ? "",
  # A content coding the site has for `path` ("br", "zstd", "gzip"): asked for with
  # Accept-Encoding, it must come back in that coding and decode to the same body.
  coding ? null,
  # A field the response to `path` must carry, "Name: value" (e.g. from mkImage's args).
  header ? null,
  name ? "mote-image-smoke",
}:
let
  decoder = {
    br = "brotli -dc";
    zstd = "zstd -dc";
    gzip = "gzip -dc";
  };
in
runCommand name
  {
    nativeBuildInputs = [
      curl
      jq
      gnutar
      gzip
      brotli
      zstd
    ];
  }
  ''
    set -euo pipefail
    mkdir image root
    tar -xzf ${image} -C image
    config=image/$(jq -r '.[0].Config' image/manifest.json)
    for layer in $(jq -r '.[0].Layers[]' image/manifest.json); do
      tar -xf "image/$layer" -C root
      # Store paths arrive read-only; the next layer must be able to add beside them.
      chmod -R u+w root
    done

    # A path inside the image -> the same path in the unpacked root, links followed.
    resolve() {
      local path=$1 hops=0
      while [ -L "root$path" ] && [ $hops -lt 20 ]; do
        local target
        target=$(readlink "root$path")
        case "$target" in /*) path=$target ;; *) path=$(dirname "$path")/$target ;; esac
        hops=$((hops + 1))
      done
      echo "$PWD/root$path"
    }

    [ "$(jq -r '.config.User' "$config")" = "65534:65534" ]
    entrypoint=$(resolve "$(jq -r '.config.Entrypoint[0]' "$config")")
    mapfile -t cmd < <(jq -r '.config.Cmd[]' "$config")
    args=()
    for arg in "''${cmd[@]}"; do
      case "$arg" in /*) args+=("$(resolve "$arg")") ;; *) args+=("$arg") ;; esac
    done
    while IFS= read -r kv; do export "$kv"; done < <(jq -r '.config.Env[]?' "$config")
    # Any free loopback port, for the site and the admin listener.
    export MOTE_LISTEN=127.0.0.1:0 MOTE_ADMIN=127.0.0.1:0

    "$entrypoint" "''${args[@]}" > mote.log 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q ' on http://' mote.log && break; sleep 0.1; done
    base=$(sed -n 's/.* on \(http:\/\/[^:]*:[0-9]*\): .*/\1/p' mote.log | head -1)
    admin=$(sed -n 's/.*admin on \(http:\/\/[^:]*:[0-9]*\): .*/\1/p' mote.log | head -1)
    echo "site $base, admin $admin"

    curl -fsi "$base${path}" > page
    grep -q '^HTTP/1.1 200' page
    grep -qF -- ${builtins.toJSON expect} page
    curl -fs "$base${path}" > body
    ${lib.optionalString (coding != null) ''
      curl -fs -D coded.head -H ${lib.escapeShellArg "Accept-Encoding: ${coding}"} "$base${path}" > coded
      tr -d '\r' < coded.head | grep -qix ${lib.escapeShellArg "content-encoding: ${coding}"}
      ${decoder.${coding}} < coded | cmp - body
      echo "${path} in ${coding}: $(stat -c %s coded) of $(stat -c %s body) bytes"
    ''}
    ${lib.optionalString (header != null) ''
      tr -d '\r' < page | grep -qiF -x ${lib.escapeShellArg header}
    ''}
    etag=$(tr -d '\r' < page | sed -n 's/^etag: //Ip')
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$base${path}")" = 304 ]
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-0' "$base${path}")" = 206 ]
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$admin/readyz")" = 200 ]
    MOTE_ADMIN=''${admin#http://} "$entrypoint" healthcheck
    if "$entrypoint" healthcheck "$base/no-such-file"; then exit 1; fi

    kill -TERM $pid
    status=0
    wait $pid || status=$?
    cat mote.log
    [ "$status" -eq 0 ]
    grep -q 'SIGTERM received' mote.log
    echo ok > $out
  ''
