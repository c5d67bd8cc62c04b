# The mote binary, fully static, built in a pkgsStatic derivation: craneLib here
# is `(crane.mkLib pkgs.pkgsStatic).overrideToolchain ...` (nix/default.nix), so
# the derivation's stdenv is pkgsStatic's: its host platform is
# <arch>-unknown-linux-musl and its C toolchain links musl statically. crane sees a
# cross build (gnu build platform, musl host platform) and sets CARGO_BUILD_TARGET,
# the target linker (pkgsStatic's musl cc) and, for build scripts and proc-macros,
# the native cc by its full path (crane lib/mkCrossToolchainEnv.nix).
#
# What the static stdenv adds, and why build scripts never see it: pkgs/stdenv/
# adapters.nix (makeStaticBinaries) appends " -static" to NIX_CFLAGS_LINK of every
# derivation. The cc-wrapper reads an unsalted variable like that only for the
# roles its setup hook registered (pkgs/build-support/wrapper-common/utils.bash,
# accumulateRoles: TARGET_HOST -> ""), which is the musl cc, our target linker,
# where -static is what we want anyway. The native cc that links build scripts is
# not a dependency of this derivation (crane names it by path), so it serves no
# role and reads none of the unsalted flags; and a build-platform cc that were a
# dependency would read NIX_CFLAGS_LINK_FOR_BUILD, not this. (zhaofengli/attic's
# static package is built the same way: crane on pkgsStatic.)
#
# The release settings (the standard library rebuilt for size with -Z build-std,
# crt-static, location-detail=none) are static-release.toml, the same file
# scripts/build-static.sh passes to cargo, so both builders build the same way.
{
  craneLib,
  target,
}:
let
  # Cargo.toml, Cargo.lock, src/, tests/, examples/ and *.toml: web/ and nix/ edits
  # do not rebuild.
  src = craneLib.cleanCargoSource ../.;
  commonArgs = {
    inherit src;
    strictDeps = true;
    # The tests run natively in checks.nextest, not in the static build; this also
    # keeps buildDepsOnly from checking test targets, which -Z build-std (no `test`
    # crate) cannot build.
    doCheck = false;
    # -Z build-std compiles the standard library from rust-src, so its
    # dependencies are vendored beside ours (crane's examples/build-std). Its
    # Cargo.lock is a copy committed here (no import-from-derivation); the test
    # suite checks that it matches the pinned toolchain's
    # lib/rustlib/src/rust/library/Cargo.lock.
    cargoVendorDir = craneLib.vendorMultipleCargoDeps {
      inherit (craneLib.findCargoFiles src) cargoConfigs;
      cargoLockList = [
        ../Cargo.lock
        ./std-Cargo.lock
      ];
    };
    cargoExtraArgs = "--locked --config ${../static-release.toml} --target ${target}";
  };
  # Dependencies (and the rebuilt standard library) alone, cached apart from mote's
  # own code.
  cargoArtifacts = craneLib.buildDepsOnly commonArgs;
in
craneLib.buildPackage (
  commonArgs
  // {
    inherit cargoArtifacts;
    # Static means no reference to a libc, the toolchain or anything else.
    allowedReferences = [ ];
    meta.mainProgram = "mote";
  }
)
