# The image started in the build sandbox, with no VM and no Docker: unpack the
# tarball, read Entrypoint, Cmd, User and Env from its config, and run exactly that
# command on loopback (the image's absolute links are resolved inside the unpacked
# root, as a chroot would). Then speak HTTP to it and stop it with SIGTERM.
{
  runCommand,
  curl,
  jq,
  gnutar,
  gzip,
  image,
}:
runCommand "mote-image-smoke"
  {
    nativeBuildInputs = [
      curl
      jq
      gnutar
      gzip
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
    export MOTE_LISTEN=127.0.0.1:8080

    "$entrypoint" "''${args[@]}" > mote.log 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:8080/ && break; sleep 0.1; done

    curl -fsi http://127.0.0.1:8080/ > index
    grep -q '^HTTP/1.1 200' index
    grep -q '<h1>mote</h1>' index
    etag=$(tr -d '\r' < index | sed -n 's/^etag: //Ip')
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" http://127.0.0.1:8080/)" = 304 ]
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-14' http://127.0.0.1:8080/index.html)" = 206 ]
    [ "$(curl -s -H 'Range: bytes=0-14' http://127.0.0.1:8080/index.html)" = "<!doctype html>" ]
    curl -fsI -H 'Accept-Encoding: br' http://127.0.0.1:8080/app.js | grep -qi '^content-encoding: br'
    "$entrypoint" healthcheck
    if "$entrypoint" healthcheck http://127.0.0.1:8080/missing; then exit 1; fi

    kill -TERM $pid
    status=0
    wait $pid || status=$?
    cat mote.log
    [ "$status" -eq 0 ]
    grep -q 'SIGTERM received' mote.log
    echo ok > $out
  ''
