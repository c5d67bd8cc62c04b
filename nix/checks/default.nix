# What `nix flake check` runs: lints and tests (native, with the same pinned
# toolchain), the static property of the release binary, the dev shell's
# toolchain, and the images started in the sandbox. Nothing here needs KVM: the
# NixOS VM test is `packages.<system>.vm-test-image-docker`.
{
  pkgs,
  craneLib,
  mote,
  # The dev shell's toolchain (every target of rust-toolchain.toml).
  devToolchain,
  # nix/lib.nix: the checks build their images through the public functions,
  # without the revision label (a commit does not rebuild them).
  lib',
}:
let
  inherit (pkgs) lib;
  root = ../..;
  # Native builds for lints and tests: the static release settings (build-std)
  # are for the shipped binary only. The source is the Cargo sources plus what the
  # tests read (crane's docs/faq/missing-files-during-checks.md, its fileFilter
  # form): README.md (tests/repo.rs: the option table) and nix/std-Cargo.lock
  # (tests/repo.rs: the standard library's lock).
  commonArgs = {
    src = lib.fileset.toSource {
      inherit root;
      fileset = lib.fileset.unions [
        (craneLib.fileset.commonCargoSources root)
        (lib.fileset.fileFilter (file: file.name == "README.md") root)
        (lib.fileset.fileFilter (file: file.name == "std-Cargo.lock") ./..)
      ];
    };
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
  toolchain = pkgs.callPackage ./toolchain.nix { toolchain = devToolchain; };
  image-smoke = lib'.mkSmokeCheck {
    inherit image;
    expect = "<h1>mote</h1>";
    coding = "br";
  };
  # A second, different site baked through the public function, as a user would,
  # with a flag passed through `args`.
  fixture-smoke = lib'.mkSmokeCheck {
    name = "mote-fixture-smoke";
    image = lib'.mkImage {
      site = ../../tests/fixtures/dist;
      name = "mote-fixture";
      args = [
        "--header"
        "X-Baked-By: mkImage"
      ];
    };
    path = "/assets/app.4f2a9c1e.js";
    expect = "value59";
    # The bundler's own .gz beside the file, served as it is.
    coding = "gzip";
    header = "X-Baked-By: mkImage";
  };
}
