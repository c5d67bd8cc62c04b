{
  description = "A static site in ./public, baked into a zero-base image served by mote";

  inputs = {
    # "mote" is a name in your flake registry: where your copy of mote is. Once:
    #   nix registry add mote git+file:///path/to/your/mote/checkout   # or github:you/mote
    mote.url = "mote";
    # One nixpkgs for both: mote's, which its lock pins.
    nixpkgs.follows = "mote/nixpkgs";
  };

  outputs =
    { self, mote, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f system mote.lib.${system});
    in
    {
      # nix build && docker load < result && docker run -p 8080:8080 my-site:latest
      packages = forAll (
        _: moteLib: {
          default = moteLib.mkImage {
            site = ./public;
            name = "my-site";
            # Flags and environment for mote, e.g. a single-page app:
            # args = [ "--spa" ];
            # env = [ "MOTE_HEADER=Content-Security-Policy: default-src 'self'" ];
          };
        }
      );

      # nix run . -- --listen 127.0.0.1:3000: serve ./public locally, precompressed.
      apps = forAll (
        system: moteLib:
        let
          pkgs = nixpkgs.legacyPackages.${system};
          serve = pkgs.writeShellApplication {
            name = "serve";
            text = ''exec ${mote.packages.${system}.mote}/bin/mote "$@" ${moteLib.mkSite { site = ./public; }}/web'';
          };
        in
        {
          default = {
            type = "app";
            program = "${serve}/bin/serve";
          };
        }
      );

      # nix flake check: the image started in the sandbox and spoken to over HTTP.
      checks = forAll (
        system: moteLib: {
          smoke = moteLib.mkSmokeCheck {
            image = self.packages.${system}.default;
            expect = "<h1>My site</h1>";
          };
        }
      );
    };
}
