# mote without Nix, for machines with a registry: a builder stage on the official
# Rust image makes the static binary and the site's layout, and the final stage is
# FROM scratch: the binary, the site and a passwd entry, nothing else.
#
#   docker build -t mote .
#   docker build --build-arg SITE=dist -t my-site .     # bake another folder
#   docker run --read-only --cap-drop ALL -p 8080:8080 mote
#
#   docker build --build-arg SOURCE=https://github.com/you/mote -t mote .  # the source label
#
# This repo's CI has no registry: tests/container/builder-image.sh makes a local
# stand-in for the FROM image below (debootstrap bookworm + rustup, the way the
# official image is made), then builds this file unchanged and proves the result.

FROM rust:1.95-slim-bookworm AS build
# Unpinned on purpose: Debian stable's versions move with security updates, and a
# pin breaks the build the day they do; the tools here only shape the site's bytes.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends brotli zstd file \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Layers in the order things change, so a rebuild redoes only what it must:
# the pinned toolchain (rust-toolchain.toml: the nightly, rust-src, both musl
# targets) until that file changes...
COPY rust-toolchain.toml ./
RUN rustup toolchain install
# ...the binary until the Rust sources change (a new site or a README edit reuses
# it), built for the machine's own architecture (x86_64 or aarch64, also under
# `--platform` emulation) by the same script and settings as every other build...
COPY Cargo.toml Cargo.lock static-release.toml ./
COPY src src
COPY scripts scripts
RUN bin=$(scripts/build-static.sh --target "$(uname -m)-unknown-linux-musl") \
 && cp "$bin" /mote
# ...and the site last. The folder to bake: docker build --build-arg SITE=dist -t my-site .
COPY . .
ARG SITE=web
RUN scripts/rootfs.sh /mote "$SITE" /rootfs

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
# Where the image's source, home and documentation live is the publisher's to say
# (no made-up default; the home is the source unless URL is given):
#   docker build --build-arg SOURCE=https://github.com/you/mote -t mote .
ARG SOURCE=""
ARG URL=""
ARG DOCUMENTATION=""
LABEL org.opencontainers.image.title="mote" \
      org.opencontainers.image.description="A static web site served from memory by one static binary" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${URL:-$SOURCE}" \
      org.opencontainers.image.documentation="${DOCUMENTATION}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
ENTRYPOINT ["/bin/mote"]
CMD ["/web"]
