#!/usr/bin/env bash
# One multi-arch image: an OCI image layout holding the amd64 and arm64 images
# under one image index (what a registry serves as a multi-platform tag), built
# from the two archives scripts/image.sh writes, with skopeo. Reproducible: the
# same archives give the same index digest.
#
#   scripts/oci-index.sh OUT_DIR AMD64.tar ARM64.tar [TAG]     # TAG default: latest
#   skopeo inspect --raw oci:OUT_DIR:latest                    # the index
#   skopeo copy oci:OUT_DIR:latest docker://registry/mote:0.1.0 --all
set -euo pipefail
out="${1:?usage: oci-index.sh OUT_DIR AMD64.tar ARM64.tar [TAG]}"
amd64="${2:?usage: oci-index.sh OUT_DIR AMD64.tar ARM64.tar [TAG]}"
arm64="${3:?usage: oci-index.sh OUT_DIR AMD64.tar ARM64.tar [TAG]}"
tag="${4:-latest}"
command -v skopeo >/dev/null || { echo "oci-index: skopeo is missing (Debian: apt-get install skopeo)" >&2; exit 1; }

rm -rf "$out"
# Each image into the same layout (blobs shared), under a temporary name.
skopeo copy --quiet "docker-archive:$amd64" "oci:$out:amd64"
skopeo copy --quiet "docker-archive:$arm64" "oci:$out:arm64"
# Replace the two names by one index that lists both with their platforms.
python3 - "$out" "$tag" <<'PY'
import hashlib, json, os, sys
out, tag = sys.argv[1], sys.argv[2]
with open(os.path.join(out, "index.json")) as f:
    layout = json.load(f)
manifests = []
for arch in ("amd64", "arm64"):
    (desc,) = [m for m in layout["manifests"]
               if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == arch]
    manifests.append({"mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"],
                      "platform": {"architecture": arch, "os": "linux"}})
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": manifests}, sort_keys=True, separators=(",", ":")).encode()
digest = hashlib.sha256(index).hexdigest()
with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
    f.write(index)
layout["manifests"] = [{"mediaType": "application/vnd.oci.image.index.v1+json",
                        "digest": "sha256:" + digest, "size": len(index),
                        "annotations": {"org.opencontainers.image.ref.name": tag}}]
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(layout, f, sort_keys=True, separators=(",", ":"))
print("sha256:" + digest)
PY
