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

  # The toolchain pinned in rust-toolchain.toml (the one rustup uses too: a dated
  # nightly with rust-src, rustfmt and clippy). Builds take only the musl target
  # they link for; the dev shell has every target the file lists.
  fileToolchain = p: p.rust-bin.fromRustupToolchainFile ../rust-toolchain.toml;
  toolchainFor = target: p: (fileToolchain p).override { targets = [ target ]; };
  devToolchain = fileToolchain pkgs;

  # The static binary for one package set whose host platform is musl (pkgsStatic,
  # natively or cross): crane on that set (see package.nix).
  staticMote =
    staticPkgs:
    let
      target = staticPkgs.stdenv.hostPlatform.rust.rustcTarget;
    in
    import ./package.nix {
      craneLib = (crane.mkLib staticPkgs).overrideToolchain (toolchainFor target);
      inherit target;
    };
  # This system's: x86_64-unknown-linux-musl or aarch64-unknown-linux-musl.
  mote = staticMote pkgs.pkgsStatic;
  # From x86_64: the aarch64 binary, cross-built the same way, for an arm64 image
  # built without an arm64 machine.
  moteAarch64 = staticMote pkgs.pkgsCross.aarch64-multiplatform.pkgsStatic;

  # Lints and tests: the same toolchain, native.
  craneLib = (crane.mkLib pkgs).overrideToolchain (toolchainFor pkgs.stdenv.hostPlatform.rust.rustcTarget);
  inherit (craneLib.crateNameFromCargoToml { cargoToml = ../Cargo.toml; }) version;

  # The binary of each image architecture this system can build (mkImage's
  # `architecture` picks one).
  motes = {
    ${pkgs.stdenv.hostPlatform.go.GOARCH} = mote;
  }
  // lib.optionalAttrs pkgs.stdenv.hostPlatform.isx86_64 { arm64 = moteAarch64; };
  lib' = import ./lib.nix { inherit pkgs motes version; };
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
    # The same image with the binary packed by UPX (mote:upx).
    image-upx = lib'.mkImage {
      site = ../web;
      inherit revision;
      tag = "upx";
      upx = true;
    };
    # The image under real Docker in a NixOS VM: needs KVM, so it is not among the
    # checks (`nix flake check` would fail without it); `nix build .#vm-test-image-docker`.
    vm-test-image-docker = pkgs.callPackage ./checks/image-docker.nix { inherit image; };
  }
  // lib.optionalAttrs pkgs.stdenv.hostPlatform.isx86_64 {
    mote-aarch64 = moteAarch64;
    # The arm64 image, built on x86_64 through the public mkImage.
    image-aarch64 = lib'.mkImage {
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
      devToolchain
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

  # Every target rust-toolchain.toml lists, so scripts/build-static.sh builds both
  # architectures inside `nix develop`.
  devShells.default = (craneLib.overrideToolchain fileToolchain).devShell {
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

  # `nix fmt`: every .nix file of the tree.
  formatter = pkgs.nixfmt-tree;
}
