# The image under real Docker in a NixOS VM (needs KVM): load it, run it hardened,
# wait for `healthy`, and stop it, which must exit 0 well before Docker's 10 s kill.
{
  testers,
  image,
}:
testers.runNixOSTest {
  name = "mote-image-docker";
  nodes.machine =
    { pkgs, ... }:
    {
      virtualisation.docker.enable = true;
      virtualisation.diskSize = 2048;
      environment.systemPackages = [ pkgs.curl ];
    };
  testScript = ''
    machine.wait_for_unit("docker.service")
    machine.succeed("docker load < ${image}")
    machine.succeed(
        "docker run -d --name mote --read-only --cap-drop ALL"
        " --security-opt no-new-privileges -p 127.0.0.1:8080:8080 mote:latest"
    )
    machine.wait_until_succeeds("curl -fs http://127.0.0.1:8080/ | grep -q '<h1>mote</h1>'", timeout=30)
    machine.succeed("curl -fsI http://127.0.0.1:8080/app.js | grep -qi 'content-type: text/javascript'")
    machine.wait_until_succeeds(
        "test \"$(docker inspect -f '{{.State.Health.Status}}' mote)\" = healthy", timeout=60
    )
    machine.succeed("test \"$(docker top mote -o ruid | tail -1 | tr -d ' ')\" = 65534")
    machine.succeed("timeout 8 docker stop mote")
    machine.succeed("test \"$(docker inspect -f '{{.State.ExitCode}}' mote)\" = 0")
  '';
}
