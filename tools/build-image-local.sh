#!/usr/bin/env bash
# Builds the agent image from deploy/Dockerfile with the real buildah, without any registry:
# the Node base is made here from Debian's mirror (mmdebstrap minbase, with git, openssh-client,
# gnupg and ca-certificates) plus this machine's Node and npm, and the kustomize "image" holds
# ~/.cache/sealops/bin/kustomize. Both bases are cached under ~/.cache/sealops/image.
#
#   tools/build-image-local.sh CONTEXT_DIR TAG
#
# Prints the image's size in bytes on the last line. Needs root (buildah with chroot isolation
# and the vfs driver, which work inside an unprivileged container sandbox too).
set -euo pipefail
context=${1:?usage: build-image-local.sh CONTEXT_DIR TAG}
tag=${2:?usage: build-image-local.sh CONTEXT_DIR TAG}
cache="${SEALOPS_CACHE:-$HOME/.cache/sealops}"
dir="$cache/image"
mkdir -p "$dir"
export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
store=(--root "$dir/storage" --runroot "$dir/run" --storage-driver vfs)
node_version=$(node -p process.versions.node)
base="localhost/sealops-node-base:$node_version"
kustomize_image="localhost/sealops-kustomize:$("$cache/bin/kustomize" version 2>/dev/null | tr -c 'A-Za-z0-9.\n' '-' | head -1)"

if [ ! -s "$dir/bookworm-minbase.tar" ]; then
  echo "==> making a Debian bookworm minbase root file system (cached in $dir)" >&2
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,git,openssh-client,gnupg \
    bookworm "$dir/bookworm-minbase.tar.part" http://deb.debian.org/debian >&2
  mv "$dir/bookworm-minbase.tar.part" "$dir/bookworm-minbase.tar"
fi

if ! buildah "${store[@]}" inspect --type image "$base" >/dev/null 2>&1; then
  echo "==> $base: the minbase plus this machine's node $node_version and npm" >&2
  ctr=$(buildah "${store[@]}" from scratch)
  buildah "${store[@]}" add "$ctr" "$dir/bookworm-minbase.tar" / >&2
  buildah "${store[@]}" copy "$ctr" "$(command -v node)" /usr/local/bin/node >&2
  buildah "${store[@]}" copy "$ctr" "$(dirname "$(readlink -f "$(command -v npm)")")/.." /usr/local/lib/node_modules/npm >&2
  buildah "${store[@]}" run "$ctr" -- ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm >&2
  # This machine's trust store, so npm in the build stage trusts what the host's npm trusts
  # (a TLS-inspecting proxy, for one). A base from a registry brings its own.
  buildah "${store[@]}" copy "$ctr" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >&2
  buildah "${store[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$ctr" >&2
  buildah "${store[@]}" commit --rm "$ctr" "$base" >&2
fi

if ! buildah "${store[@]}" inspect --type image "$kustomize_image" >/dev/null 2>&1; then
  ctr=$(buildah "${store[@]}" from scratch)
  buildah "${store[@]}" copy --chmod 0755 "$ctr" "$cache/bin/kustomize" /app/kustomize >&2
  buildah "${store[@]}" commit --rm "$ctr" "$kustomize_image" >&2
fi

echo "==> building $tag from $context/deploy/Dockerfile" >&2
buildah "${store[@]}" bud --isolation chroot --layers=false --pull=never --rm --force-rm \
  --build-arg "NODE_IMAGE=$base" --build-arg "KUSTOMIZE_IMAGE=$kustomize_image" \
  -f "$context/deploy/Dockerfile" -t "$tag" "$context" >&2
# Size: the sum of the image's (uncompressed) layers; the layers themselves go to stderr.
buildah "${store[@]}" inspect --type image --format '{{.Manifest}}' "$tag" | node -e '
  let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
    const sizes = JSON.parse(s).layers.map((l) => l.size);
    console.error(`layers (bytes, uncompressed): ${sizes.join(" ")}`);
    console.log(sizes.reduce((a, b) => a + b, 0));
  });'
