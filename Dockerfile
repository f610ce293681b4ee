# The one image for every bulkhead role: the operator, and the import and worker runners its pods run.
#
# BASE is any Debian-based image with node and npm on PATH. The default is the official Node LTS slim image; where
# no registry serves it (the real-node tests), test/e2e/image/build-base.sh makes an equivalent one locally.
ARG BASE=node:24-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Behind a TLS-intercepting proxy, hand npm the proxy's CA as a build secret: --secret id=npm-ca,src=ca.pem.
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=npm-ca \
    if [ -f /run/secrets/npm-ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm-ca; fi \
 && npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.image.json ./
COPY scripts/generate-types.mjs ./scripts/
COPY crds ./crds
COPY operator ./operator
COPY runners ./runners
# Only what runs in a cluster: no test/ or bench/ output, no source maps. Then drop the dev dependencies and the
# optional ones (embedded-postgres, vega, vega-lite, resvg), which only `bulkhead local` uses.
RUN node scripts/generate-types.mjs && npx tsc -p tsconfig.image.json && chmod +x dist/runners/cli.js \
 && npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && find node_modules -depth -type d -empty -delete

FROM ${BASE}
# tini runs as PID 1 and forwards signals: node as PID 1 would drop a SIGTERM that arrives before its handler is
# installed (the kernel ignores default-action signals to PID 1), so a pod stopped right after it started would
# run on until its grace period ended.
RUN apt-get update && apt-get install -y --no-install-recommends tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/crds ./crds
# Pods run `bulkhead import`, `bulkhead worker` and `bulkhead operator` (their args after this entrypoint).
RUN ln -s /app/dist/runners/cli.js /usr/local/bin/bulkhead
# Runs as an unprivileged user; the pods' restricted securityContext sets a non-root UID of its own, which can read
# everything here (the files are world-readable) and writes only to /tmp and the termination log.
USER 65532:65532
ENTRYPOINT ["/usr/bin/tini", "--", "bulkhead"]
