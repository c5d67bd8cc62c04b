# What users of the flake call (`mote.lib.${system}`): bake any site with mote.
#
#   mote.lib.${system}.mkImage { site = ./public; }            # -> docker load < result
#   mote.lib.${system}.mkImage { site = ./dist; name = "blog"; tag = "v3";
#                                args = [ "--spa" ]; env = [ "MOTE_HEADER=X-Frame-Options: DENY" ]; }
#   mote.lib.x86_64-linux.mkImage { site = ./public; architecture = "arm64"; }  # cross-built
#   mote.lib.${system}.mkImage { site = ./public; upx = true; }  # the binary packed with UPX
#   mote.lib.${system}.mkSite { site = ./public; }             # the precompressed site alone
#   mote.lib.${system}.mkSmokeCheck { image = ...; }           # a flake check that runs it
{
  pkgs,
  # The static binary for each image architecture this system builds:
  # { amd64 = ...; arm64 = ...; } (x86_64 cross-builds arm64; aarch64 only its own).
  motes,
  version,
}:
let
  mkSite = import ./site.nix { inherit (pkgs) runCommand brotli zstd gzip; };
  imageOf = import ./image.nix {
    inherit (pkgs) lib dockerTools;
    inherit version;
  };
  native = pkgs.stdenv.hostPlatform.go.GOARCH;
  # The static binary packed with UPX, as scripts/image.sh --upx does.
  packed =
    mote:
    pkgs.runCommand "${mote.name}-upx" { nativeBuildInputs = [ pkgs.upx ]; } ''
      mkdir -p $out/bin
      upx -q --best --lzma -o $out/bin/mote ${mote}/bin/mote
    '';
in
{
  inherit mkSite;

  # The same zero-base layered image as `.#image`: binary layer, site layer,
  # passwd, same config. `site` is a path or a derivation holding the site's
  # files; it is precompressed and dereferenced by mkSite. `architecture` picks
  # the binary baked in, so the image's config and its binary always agree.
  # `upx = true` packs that binary with UPX (--best --lzma): a smaller pull and
  # disk; the default image stays unpacked (README "The image" says when to choose).
  mkImage =
    {
      site,
      architecture ? native,
      upx ? false,
      ...
    }@args:
    let
      mote =
        motes.${architecture} or (throw "mote.lib.mkImage: no ${architecture} binary can be built on ${pkgs.stdenv.hostPlatform.system} (architectures here: ${builtins.concatStringsSep ", " (builtins.attrNames motes)})");
    in
    imageOf (
      builtins.removeAttrs args [ "upx" ]
      // {
        inherit architecture;
        mote = if upx then packed mote else mote;
        site = mkSite { inherit site; };
      }
    );


  # The image started in the build sandbox and spoken to over HTTP (see
  # checks/image-smoke.nix). `path` must be a file of the site; `expect` a
  # string in its body.
  mkSmokeCheck =
    {
      image,
      path ? "/",
      expect ? "",
      coding ? null,
      header ? null,
      name ? "mote-image-smoke",
    }:
    pkgs.callPackage ./checks/image-smoke.nix {
      inherit
        image
        path
        expect
        coding
        header
        name
        ;
    };
}
