# What `nix flake check` runs: lints and tests (native, with the same pinned
# toolchain), the static property of the release binary, the image started in the
# sandbox, and (with KVM) the image under real Docker.
{
  pkgs,
  craneLib,
  mote,
  image,
}:
let
  # Native builds for lints and tests: the static release settings (build-std)
  # are for the shipped binary only.
  commonArgs = {
    src = craneLib.cleanCargoSource ../../.;
    strictDeps = true;
  };
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;
in
{
  inherit mote;

  clippy = craneLib.cargoClippy (
    commonArgs
    // {
      inherit cargoArtifacts;
      cargoClippyExtraArgs = "--all-targets -- --deny warnings";
    }
  );

  fmt = craneLib.cargoFmt { inherit (commonArgs) src; };

  # Unit tests, the in-process service tests and the integration tests, which
  # start the real binary on loopback ports inside the build sandbox.
  nextest = craneLib.cargoNextest (
    commonArgs
    // {
      inherit cargoArtifacts;
      cargoNextestExtraArgs = "--no-tests=fail";
    }
  );

  static = pkgs.callPackage ./static.nix { inherit mote; };
  image-smoke = pkgs.callPackage ./image-smoke.nix { inherit image; };
  # A NixOS VM with Docker: needs KVM on the machine that runs `nix flake check`.
  image-docker = pkgs.callPackage ./image-docker.nix { inherit image; };
}
