#!/usr/bin/env python3
"""Packs a root file system into a Docker image archive, bit for bit reproducibly.

The same job as nixpkgs' dockerTools for the Nix image, with Python's standard
library: `docker load` takes the archive, and the image ID (the SHA-256 of the
config JSON) depends only on the bytes of ROOTFS and the arguments. Every time
stamp is fixed, owners are 0:0, entries are sorted, and the layers are split so
that a site edit does not change the binary's layer:

    layer 1: /bin, /etc        (the program and the user database)
    layer 2: /web              (the site)

    scripts/pack-image.py ROOTFS OUT.tar --tag mote:latest --tag mote:0.1.0 \
        --version 0.1.0 --revision <git rev> [--arch amd64|arm64]
"""

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile

# Docker's config durations are integer nanoseconds.
SECOND = 1_000_000_000
CREATED = "1970-01-01T00:00:01Z"  # as nixpkgs dockerTools' default; no build time leaks in
MTIME = 1


def image_config(version, revision, source, url=None, documentation=None):
    """The runtime config; the Dockerfile's final stage and nix/image.nix say the same."""
    return {
        "Entrypoint": ["/bin/mote"],
        "Cmd": ["/web"],
        "User": "65534:65534",
        "WorkingDir": "/",
        "ExposedPorts": {"8080/tcp": {}, "9090/tcp": {}},
        # docker stop waits 10 s before SIGKILL: finish in-flight responses within 5.
        # The admin listener (/livez, /readyz, /metrics) on 9090; the healthcheck
        # probes its /livez.
        "Env": ["MOTE_GRACE=5s", "MOTE_ADMIN=[::]:9090"],
        "Healthcheck": {
            "Test": ["CMD", "/bin/mote", "healthcheck"],
            "Interval": 10 * SECOND,
            "Timeout": 3 * SECOND,
            "StartPeriod": 2 * SECOND,
            "Retries": 3,
        },
        "Labels": {
            "org.opencontainers.image.title": "mote",
            "org.opencontainers.image.description": "A static web site served from memory by one static binary",
            "org.opencontainers.image.version": version,
            "org.opencontainers.image.revision": revision,
            "org.opencontainers.image.licenses": "MIT OR Apache-2.0",
            # Where the source is published, when the builder says (a fork's URL):
            # mote has no canonical public home to name by default.
            **({"org.opencontainers.image.source": source} if source else {}),
            # Its home (the source's unless said) and its documentation, when known.
            **({"org.opencontainers.image.url": url or source} if url or source else {}),
            **({"org.opencontainers.image.documentation": documentation} if documentation else {}),
        },
    }


def layer_tar(rootfs, tops):
    """A deterministic tar of the given top-level directories of rootfs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        paths = []
        for top in tops:
            base = os.path.join(rootfs, top)
            paths.append(top)
            for dirpath, dirnames, filenames in os.walk(base):
                dirnames.sort()
                rel_dir = os.path.relpath(dirpath, rootfs)
                paths.extend(os.path.join(rel_dir, d) for d in dirnames)
                paths.extend(os.path.join(rel_dir, f) for f in sorted(filenames))
        for rel in sorted(paths):
            full = os.path.join(rootfs, rel)
            info = tar.gettarinfo(full, arcname=rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = MTIME
            if info.isdir():
                info.mode = 0o555
            elif info.isfile():
                info.mode = 0o555 if os.access(full, os.X_OK) else 0o444
            if info.isfile():
                with open(full, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rootfs")
    parser.add_argument("out")
    parser.add_argument("--tag", action="append", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--revision", default="dirty")
    parser.add_argument("--source", default=None, help="the OCI source label (left out if not given)")
    parser.add_argument("--url", default=None, help="the OCI url label (default: the source)")
    parser.add_argument("--documentation", default=None, help="the OCI documentation label")
    parser.add_argument("--arch", default="amd64", choices=["amd64", "arm64"])
    args = parser.parse_args()

    for top in ("bin", "etc", "web"):
        if not os.path.isdir(os.path.join(args.rootfs, top)):
            sys.exit(f"pack-image: {args.rootfs}/{top} is missing (run scripts/rootfs.sh first)")

    layers = [layer_tar(args.rootfs, ["bin", "etc"]), layer_tar(args.rootfs, ["web"])]
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config = {
        "architecture": args.arch,
        "os": "linux",
        "created": CREATED,
        "config": image_config(args.version, args.revision, args.source, args.url, args.documentation),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": CREATED, "created_by": "mote: /bin/mote, /etc/passwd, /etc/group"},
            {"created": CREATED, "created_by": "mote: /web"},
        ],
    }
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    layer_names = [d.split(":")[1] + "/layer.tar" for d in diff_ids]
    manifest = [{"Config": config_name, "RepoTags": args.tag, "Layers": layer_names}]

    with tarfile.open(args.out, mode="w", format=tarfile.USTAR_FORMAT) as out:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), MTIME, 0o444
            out.addfile(info, io.BytesIO(data))

        add(config_name, config_bytes)
        for name, layer in zip(layer_names, layers):
            add(name, layer)
        add("manifest.json", json.dumps(manifest, separators=(",", ":")).encode())
    print("sha256:" + config_name[:-5])


if __name__ == "__main__":
    main()
