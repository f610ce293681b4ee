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
# Runs as the image's unprivileged node user; the pod's restricted securityContext expects a non-root UID.
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/runners/cli.js"]
