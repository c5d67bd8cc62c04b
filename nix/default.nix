# All outputs for one system. Each derivation has its own file:
#   package.nix  the static binary      site.nix   a precompressed site (mkSite)
#   image.nix    the OCI image          lib.nix    mkImage/mkSite, what users call
#   checks/      what `nix flake check` runs
{
  pkgs,
  crane,
  revision,
}:
let
  inherit (pkgs) lib;

  # The musl target of this system: x86_64-unknown-linux-musl, aarch64-unknown-linux-musl.
  target = pkgs.pkgsStatic.stdenv.hostPlatform.rust.rustcTarget;

  # The toolchain pinned in rust-toolchain.toml (the one rustup uses too: a dated
  # nightly with rust-src, rustfmt and clippy), with this system's musl target.
  toolchain = p: (p.rust-bin.fromRustupToolchainFile ../rust-toolchain.toml).override { targets = [ target ]; };
  # The shipped binary: crane on pkgsStatic (see package.nix).
  craneStatic = (crane.mkLib pkgs.pkgsStatic).overrideToolchain toolchain;
  # Lints and tests: the same toolchain, native.
  craneLib = (crane.mkLib pkgs).overrideToolchain toolchain;
  inherit (craneLib.crateNameFromCargoToml { cargoToml = ../Cargo.toml; }) version;

  mote = import ./package.nix {
    craneLib = craneStatic;
    inherit target;
  };
  # From x86_64: the aarch64 binary, cross-built the same way (crane on the aarch64
  # static package set), for an arm64 image built without an arm64 machine.
  aarch64Static = pkgs.pkgsCross.aarch64-multiplatform.pkgsStatic;
  aarch64Target = aarch64Static.stdenv.hostPlatform.rust.rustcTarget;
  moteAarch64 = import ./package.nix {
    craneLib = (crane.mkLib aarch64Static).overrideToolchain (
      p: (p.rust-bin.fromRustupToolchainFile ../rust-toolchain.toml).override { targets = [ aarch64Target ]; }
    );
    target = aarch64Target;
  };
  lib' = import ./lib.nix { inherit pkgs mote version; };
  site = lib'.mkSite { site = ../web; };
  image = lib'.mkImage {
    site = ../web;
    inherit revision;
  };
  # The stream derivation's output is itself the executable that writes the image.
  imageStream = lib'.mkImage {
    site = ../web;
    inherit revision;
    stream = true;
  };
in
{
  packages = {
    inherit mote site image;
    default = image;
    # The same image tagged with the version instead of "latest".
    image-versioned = lib'.mkImage {
      site = ../web;
      inherit revision;
      tag = version;
    };
    # The image as a script that streams it (no tarball in the store).
    image-stream = imageStream;
  }
  // lib.optionalAttrs pkgs.stdenv.hostPlatform.isx86_64 {
    mote-aarch64 = moteAarch64;
    # The arm64 image, built on x86_64 (its config says architecture arm64).
    image-aarch64 =
      (import ./lib.nix {
        inherit pkgs version;
        mote = moteAarch64;
      }).mkImage
        {
          site = ../web;
          inherit revision;
          architecture = "arm64";
        };
  };

  # What `mote.lib.${system}` gives users of the flake.
  lib = lib';

  checks = import ./checks {
    inherit
      pkgs
      craneLib
      mote
      ;
    lib' = lib';
  };

  # `nix run`: serve the bundled demo site (extra flags pass through, e.g. --listen).
  apps.default = {
    type = "app";
    program = lib.getExe (
      pkgs.writeShellApplication {
        name = "mote-demo";
        text = ''exec ${lib.getExe mote} "$@" ${site}/web'';
      }
    );
    meta.description = "mote serving the bundled demo site";
  };
  # `nix run .#image-stream | docker load`: apps come before packages for `nix run`,
  # and the stream's output is a single executable file, not a bin/ directory.
  apps.image-stream = {
    type = "app";
    program = "${imageStream}";
    meta.description = "write the mote image to stdout, for docker load";
  };

  devShells.default = craneLib.devShell {
    packages = [
      pkgs.cargo-nextest
      pkgs.nixfmt
      # benchmark anchors and tools (bench/run.sh)
      pkgs.wrk
      pkgs.hyperfine
      pkgs.nginx
      pkgs.lighttpd
      pkgs.static-web-server
      pkgs.brotli
      pkgs.zstd
    ];
  };

  # `nix fmt`: every .nix file of the tree (bare nixfmt would wait on stdin).
  # nixpkgs has this as pkgs.nixfmt-tree; ../shared/nix-eval's stand-in does not
  # know that name yet, so the same thing is written out here.
  formatter = pkgs.writeShellApplication {
    name = "nixfmt-tree";
    runtimeInputs = [
      pkgs.nixfmt
      pkgs.findutils
    ];
    text = ''
      if [ "$#" -eq 0 ]; then set -- .; fi
      find "$@" -name '*.nix' -type f -not -path '*/.git/*' -exec nixfmt {} +
    '';
  };
}
