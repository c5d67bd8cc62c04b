# The mote binary, fully static (musl, static C runtime), with no run-time
# references: the image closure is this one file.
#
# Form: crane's examples/cross-musl (a glibc-hosted toolchain with the musl target,
# CARGO_BUILD_TARGET + crt-static). Evidence that it builds upstream: crane's CI
# job "examples-linux" (.github/workflows/test.yml, matrix entry cross-musl, crane
# 2c71e19) builds that example against the nixpkgs of crane's test/flake.lock,
# which is the nixpkgs this flake locks. We do not build inside pkgsStatic's
# stdenv: it adds -static to every link, build scripts included, which breaks
# proc-macro and build-script crates (zhaofengli/attic#354). pkgsStatic is used
# only to name the target triple of this system.
{
  craneLib,
  target,
}:
let
  commonArgs = {
    # Cargo.toml, Cargo.lock, src/ and tests/ (.rs): web/ and nix/ edits do not rebuild.
    src = craneLib.cleanCargoSource ../.;
    strictDeps = true;
    CARGO_BUILD_TARGET = target;
    CARGO_BUILD_RUSTFLAGS = "-C target-feature=+crt-static";
  };
  # Dependencies alone, cached apart from mote's own code.
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;
in
craneLib.buildPackage (
  commonArgs
  // {
    inherit cargoArtifacts;
    # The tests run in checks.nextest, not in every package build.
    doCheck = false;
    # Static means no reference to glibc, the toolchain or anything else.
    allowedReferences = [ ];
    passthru = { inherit commonArgs cargoArtifacts; };
    meta.mainProgram = "mote";
  }
)
