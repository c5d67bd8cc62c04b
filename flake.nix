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
          # The OCI revision label: the commit, or "dirty" for an uncommitted tree.
          revision = self.rev or "dirty";
        }
      );
      each = attr: nixpkgs.lib.mapAttrs (_: outputs: outputs.${attr}) perSystem;
    in
    {
      packages = each "packages";
      checks = each "checks";
      apps = each "apps";
      devShells = each "devShells";
      formatter = each "formatter";
    };
}
