{
  description = "mote: a folder of web content as the smallest, fastest, safest container that serves it";

  # Needs Nix >= 2.31.2 (crane's minimum) with flakes enabled.
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    crane.url = "github:ipetkov/crane";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs =
    {
      self,
      nixpkgs,
      crane,
      rust-overlay,
      ...
    }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      # Everything per system lives in nix/default.nix; this file only wires.
      perSystem = nixpkgs.lib.genAttrs systems (
        system:
        import ./nix {
          pkgs = import nixpkgs {
            inherit system;
            overlays = [ (import rust-overlay) ];
          };
          inherit crane;
          # The OCI revision label: the commit (with -dirty for an uncommitted tree).
          revision = self.rev or self.dirtyRev or "unknown";
        }
      );
      each = attr: nixpkgs.lib.mapAttrs (_: outputs: outputs.${attr}) perSystem;
    in
    {
      packages = each "packages";
      # mote.lib.${system}.mkImage { site = ./public; }: bake any site (nix/lib.nix).
      lib = each "lib";
      checks = each "checks";
      apps = each "apps";
      devShells = each "devShells";
      formatter = each "formatter";
      # pkgs.mote for nixpkgs users: the static binary built by this flake.
      overlays.default = final: _prev: {
        mote = self.packages.${final.stdenv.hostPlatform.system}.mote;
      };
      # nix flake init -t <mote>: a flake that bakes ./public with mote.
      templates.default = {
        # Copied to the store by name: Nix 2.8 (../shared/nix-eval) refuses a bare
        # ./templates/default from a flake evaluated in a chroot store.
        path = builtins.path {
          path = ./templates/default;
          name = "mote-template";
        };
        description = "Bake ./public into a zero-base image served by mote";
      };
    };
}
