# mote without Nix, for machines with a registry: a builder stage on the official
# Rust image makes the static binary and the site's layout, and the final stage is
# FROM scratch: the binary, the site and a passwd entry, nothing else.
#
#   docker build -t mote .
#   docker build --build-arg SITE=dist -t my-site .     # bake another folder
#   docker run --read-only --cap-drop ALL -p 8080:8080 mote
#
# Offline (this repo's CI), scripts/image.sh builds the same layout with a
# reproducible packer, and tests/container/dockerfile-stage.sh builds the final
# stage below from that layout, so the stage that ships is the stage that is tested.

FROM rust:1.95-slim-bookworm AS build
# Unpinned on purpose: Debian stable's versions move with security updates, and a
# pin breaks the build the day they do; the tools here only shape the site's bytes.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends brotli zstd file git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The folder to bake (docker build --build-arg SITE=dist -t my-site .).
ARG SITE=web
# rust-toolchain.toml pins the nightly (with rust-src and the musl target) that
# scripts/build-static.sh builds with; rustup installs it here.
RUN rustup toolchain install \
 && bin=$(scripts/build-static.sh) && scripts/rootfs.sh "$bin" "$SITE" /rootfs

# The image. Everything below this line is what tests/container exercises.
FROM scratch
COPY --from=build /rootfs/ /
USER 65534:65534
WORKDIR /
EXPOSE 8080/tcp 9090/tcp
# docker stop waits 10 s before SIGKILL: in-flight responses get 5 s to finish.
# The admin listener (/livez, /readyz, /metrics); the healthcheck probes its /livez.
ENV MOTE_GRACE=5s MOTE_ADMIN=[::]:9090
# Exec form: there is no shell in this image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 CMD ["/bin/mote", "healthcheck"]
LABEL org.opencontainers.image.title="mote" \
      org.opencontainers.image.description="A static web site served from memory by one static binary" \
      org.opencontainers.image.source="https://github.com/mote-server/mote" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
ENTRYPOINT ["/bin/mote"]
CMD ["/web"]
