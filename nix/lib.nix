# What users of the flake call (`mote.lib.${system}`): bake any site with mote.
#
#   mote.lib.${system}.mkImage { site = ./public; }            # -> docker load < result
#   mote.lib.${system}.mkImage { site = ./dist; name = "blog"; tag = "v3";
#                                args = [ "--spa" ]; env = [ "MOTE_HEADER=X-Frame-Options: DENY" ]; }
#   mote.lib.${system}.mkSite { site = ./public; }             # the precompressed site alone
#   mote.lib.${system}.mkSmokeCheck { image = ...; }           # a flake check that runs it
{
  pkgs,
  mote,
  version,
}:
let
  mkSite = import ./site.nix { inherit (pkgs) runCommand brotli zstd gzip; };
  imageOf = import ./image.nix {
    inherit (pkgs) lib dockerTools;
    inherit mote version;
  };
in
{
  inherit mkSite;

  # The same zero-base layered image as `.#image`: binary layer, site layer,
  # passwd, same config. `site` is a path or a derivation holding the site's
  # files; it is precompressed and dereferenced by mkSite.
  mkImage = { site, ... }@args: imageOf (args // { site = mkSite { inherit site; }; });

  # The image started in the build sandbox and spoken to over HTTP (see
  # checks/image-smoke.nix). `path` must be a file of the site; `expect` a
  # string in its body.
  mkSmokeCheck =
    {
      image,
      path ? "/",
      expect ? "",
      name ? "mote-image-smoke",
    }:
    pkgs.callPackage ./checks/image-smoke.nix {
      inherit
        image
        path
        expect
        name
        ;
    };
}
