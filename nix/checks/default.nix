# What `nix flake check` runs: lints and tests (native, with the same pinned
# toolchain), the static property of the release binary, the image started in the
# sandbox, and (with KVM) the image under real Docker.
{
  pkgs,
  craneLib,
  mote,
  # nix/lib.nix: the checks build their images through the public functions,
  # without the revision label (a commit does not rebuild them).
  lib',
}:
let
  # Native builds for lints and tests: the static release settings (build-std)
  # are for the shipped binary only.
  commonArgs = {
    src = craneLib.cleanCargoSource ../../.;
    strictDeps = true;
  };
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;
  image = lib'.mkImage { site = ../../web; };
in
{
  inherit mote;

  clippy = craneLib.cargoClippy (
    commonArgs
    // {
      inherit cargoArtifacts;
      cargoClippyExtraArgs = "--all-targets -- --deny warnings";
      # A check's output is its success; its target/ is nobody's input.
      doInstallCargoArtifacts = false;
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
      doInstallCargoArtifacts = false;
    }
  );

  static = pkgs.callPackage ./static.nix { inherit mote; };
  image-smoke = lib'.mkSmokeCheck {
    inherit image;
    expect = "<h1>mote</h1>";
  };
  # A second, different site baked through the public function, as a user would.
  fixture-smoke = lib'.mkSmokeCheck {
    name = "mote-fixture-smoke";
    image = lib'.mkImage {
      site = ../../tests/fixtures/dist;
      name = "mote-fixture";
      args = [ "--spa" ];
    };
    path = "/guide/";
    expect = "fixture guide";
  };
  # A NixOS VM with Docker: needs KVM on the machine that runs `nix flake check`.
  image-docker = pkgs.callPackage ./image-docker.nix { inherit image; };
}
