# The demo site as its own derivation, so an HTML edit rebuilds this and never the
# Rust. Each compressible file gets .br/.zst/.gz siblings, made by the same script
# the Docker path uses, kept only where smaller; deterministic (gzip -n, fixed
# levels). Output: $out/web.
{
  lib,
  runCommand,
  brotli,
  zstd,
  gzip,
}:
runCommand "mote-site"
  {
    src = lib.fileset.toSource {
      root = ../web;
      fileset = ../web;
    };
    nativeBuildInputs = [
      brotli
      zstd
      gzip
    ];
  }
  ''
    mkdir -p $out/web
    cp -R $src/. $out/web/
    chmod -R u+w $out/web
    bash ${../scripts/precompress.sh} $out/web
  ''
