# The OCI image: no base image, no shell, no libc. It holds the static binary,
# the site, and a passwd/group naming 65534 (nobody), the user it runs as. The
# same layout and config as scripts/pack-image.py and the Dockerfile, so one
# container test (tests/container/run.sh) proves all of them.
{
  lib,
  dockerTools,
  version,
}:
{
  # The static binary to bake, of the image's architecture (lib.nix picks it).
  mote,
  # The output of mkSite (its /web is baked).
  site,
  name ? "mote",
  tag ? "latest",
  # Extra environment ("MOTE_SPA=1") and arguments before the site (["--spa"]).
  env ? [ ],
  args ? [ ],
  # Merged over the config below (e.g. { ExposedPorts."8443/tcp" = { }; }).
  config ? { },
  labels ? { },
  # The OCI revision label; null leaves it out (so the checks do not rebuild on
  # every commit).
  revision ? null,
  # The image config's architecture ("amd64", "arm64"): that of `mote`.
  architecture,
  # The OCI source label: where the image's source is published (your fork's URL);
  # null leaves it out. mote has no canonical public home to name here.
  source ? null,
  # The OCI url label (the home of the site or project; the source if null) and
  # documentation label (left out if null).
  url ? null,
  documentation ? null,
  # true: streamLayeredImage (a script that writes the tarball to stdout).
  stream ? false,
}:
let
  second = 1000000000; # Docker config durations are nanoseconds
  build = if stream then dockerTools.streamLayeredImage else dockerTools.buildLayeredImage;
  baseConfig = {
    Entrypoint = [ "/bin/mote" ];
    Cmd = args ++ [ "/web" ];
    User = "65534:65534";
    WorkingDir = "/";
    ExposedPorts = {
      "8080/tcp" = { };
      "9090/tcp" = { };
    };
    # docker stop waits 10 s before SIGKILL: in-flight responses get 5 s to finish.
    # The admin listener (/livez, /readyz, /metrics); the healthcheck probes its /livez.
    Env = [
      "MOTE_GRACE=5s"
      "MOTE_ADMIN=[::]:9090"
    ]
    ++ env;
    # Exec form: there is no shell to run a string.
    Healthcheck = {
      Test = [
        "CMD"
        "/bin/mote"
        "healthcheck"
      ];
      Interval = 10 * second;
      Timeout = 3 * second;
      StartPeriod = 2 * second;
      Retries = 3;
    };
    Labels = {
      "org.opencontainers.image.title" = "mote";
      "org.opencontainers.image.description" = "A static web site served from memory by one static binary";
      "org.opencontainers.image.version" = version;
      "org.opencontainers.image.licenses" = "MIT OR Apache-2.0";
    }
    // lib.optionalAttrs (source != null) { "org.opencontainers.image.source" = source; }
    // lib.optionalAttrs (url != null || source != null) {
      "org.opencontainers.image.url" = if url != null then url else source;
    }
    // lib.optionalAttrs (documentation != null) {
      "org.opencontainers.image.documentation" = documentation;
    }
    // lib.optionalAttrs (revision != null) { "org.opencontainers.image.revision" = revision; }
    // labels;
  };
in
build (
  {
    inherit name tag;
    # Each store path becomes its own layer: a site edit leaves the binary's layer as it was.
    contents = [ mote ];
    # /web is one link to the site's store path, so mote's ROOT resolves inside the
    # store and every file in it is a real file (mote refuses links that leave ROOT).
    extraCommands = ''
      mkdir -p etc
      printf 'root:x:0:0:root:/var/empty:/bin/false\nnobody:x:65534:65534:nobody:/var/empty:/bin/false\n' > etc/passwd
      printf 'root:x:0:\nnobody:x:65534:\n' > etc/group
      chmod 0444 etc/passwd etc/group
      ln -s ${site}/web web
    '';
    # No build time in the image: the tarball is bit-for-bit reproducible.
    created = "1970-01-01T00:00:01Z";
    config = lib.recursiveUpdate baseConfig config;
    inherit architecture;
    meta = {
      description = "mote and a site as an OCI image with no base";
      platforms = lib.platforms.linux;
    };
  }
)
