# What `nix flake check` runs: lints, tests, the static property of the binary,
# the image started in the sandbox, and (with KVM) the image under real Docker.
{
  pkgs,
  craneLib,
  mote,
  image,
}:
let
  inherit (mote.passthru) commonArgs cargoArtifacts;
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

  # Unit tests and the integration tests, which start the real binary on
  # loopback ports inside the build sandbox.
  nextest = craneLib.cargoNextest (
    commonArgs
    // {
      inherit cargoArtifacts;
      cargoNextestPartitionsExtraArgs = "--no-tests=fail";
    }
  );

  static = pkgs.callPackage ./static.nix { inherit mote; };
  image-smoke = pkgs.callPackage ./image-smoke.nix { inherit image; };
  # A NixOS VM with Docker: needs KVM on the machine that runs `nix flake check`.
  image-docker = pkgs.callPackage ./image-docker.nix { inherit image; };
}
