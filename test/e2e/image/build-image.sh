#!/usr/bin/env bash
# Builds the repository's Dockerfile with buildah (daemonless, from Debian) on the local base of build-base.sh, and
# imports the image into the e2e node's containerd, where pods use it with imagePullPolicy: Never.
# Prints the image size. IMAGE defaults to localhost/bulkhead:e2e.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../../.." && pwd)
. "$here/../node/env.sh"
IMAGE=${IMAGE:-localhost/bulkhead:e2e}
BASE_IMAGE=$(bash "$here/build-base.sh")
t=$SECONDS
# --network host: the build's RUN steps reach npm and Debian's mirror directly (no CNI setup for build containers).
# --layers keeps the npm ci layer cached while package-lock.json is unchanged.
# A machine whose egress goes through a TLS-intercepting proxy trusts its CA through NODE_EXTRA_CA_CERTS; the build's
# npm gets the same file as the secret npm-ca.
secret=(); [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f ${NODE_EXTRA_CA_CERTS:-} ]] && secret=(--secret "id=npm-ca,src=$NODE_EXTRA_CA_CERTS")
buildah build --quiet --layers --network host "${secret[@]}" --build-arg "BASE=$BASE_IMAGE" -t "$IMAGE" -f "$repo/Dockerfile" "$repo" >/dev/null
echo "$IMAGE built in $((SECONDS - t))s, $(buildah inspect --format '{{.FromImageID}}' "$IMAGE" | cut -c1-12)"
work=$(mktemp -d /var/tmp/bulkhead-image.XXXXXX); trap 'rm -rf "$work"' EXIT
buildah push -q "$IMAGE" "docker-archive:$work/image.tar:$IMAGE" >/dev/null
ctrk images import "$work/image.tar" >/dev/null
echo "$IMAGE imported into containerd ($(buildah images --format '{{.Size}}' "$IMAGE") unpacked, $(du -h "$work/image.tar" | cut -f1) as an uncompressed archive)"
