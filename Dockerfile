# The one image for every bulkhead role: the operator, and the import and worker runners its pods run.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/crds ./crds
# Pods run `bulkhead import`, `bulkhead worker` and `bulkhead operator` as their command, so it is on PATH.
RUN ln -s /app/dist/runners/cli.js /usr/local/bin/bulkhead
# Runs as an unprivileged user; the pods' restricted securityContext sets a non-root UID of its own (65532),
# which can read everything here (the files are world-readable) and writes only to /tmp and the termination log.
USER 65532:65532
ENTRYPOINT ["bulkhead"]
