# A site folder as its own derivation, ready to bake: every file a real file
# (links dereferenced: a symlinkJoin or a store path of links still works, since
# mote skips links that leave ROOT), with .br/.zst/.gz siblings where smaller, made
# by the same script the Docker path uses; deterministic (gzip -n, fixed levels).
# A site edit rebuilds this and never the Rust. Output: $out/web.
#
#   mkSite { site = ./public; }       # a path
#   mkSite { site = myBuild; }        # a derivation whose output is the site
{
  runCommand,
  brotli,
  zstd,
  gzip,
}:
{
  site,
  name ? "mote-site",
}:
runCommand name
  {
    src = site;
    nativeBuildInputs = [
      brotli
      zstd
      gzip
    ];
  }
  ''
    mkdir -p $out/web
    cp -RL --no-preserve=mode,ownership $src/. $out/web/
    chmod -R u+w $out/web
    bash ${../scripts/precompress.sh} $out/web
  ''
