# syntax=docker/dockerfile:1
# One image for every Chorus role: `docker run <image> run api|relay|projector|enricher|all`, `migrate up`,
# `projections status`, ... (the entrypoint is the chorus command). See "Running with Docker Compose" in README.md.
ARG NODE_IMAGE=node:20-bookworm-slim

# Dependencies in a layer of their own: it is rebuilt only when package.json or package-lock.json change.
# --ignore-scripts: the package's `prepare` script builds, and the sources are not here yet (the build stage runs it).
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund

# The build `npm start` and bin/chorus.js use: tsc -p tsconfig.build.json into dist/.
FROM dependencies AS build
COPY tsconfig.json tsconfig.build.json ./
COPY domain ./domain
COPY application ./application
COPY infrastructure ./infrastructure
COPY projections ./projections
COPY api ./api
RUN npm run build

# Production dependencies only, installed apart so that no compiler or test tool reaches the runtime image.
FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
# package.json: the version /health and /v1/ops/ping report; api/console: the ops console's static files, which the
# build does not copy (dist/api/http/console.js finds them at /app/api/console).
COPY package.json ./
COPY bin ./bin
COPY api/console ./api/console
COPY --from=build /app/dist ./dist
# Containers are reached from outside: listen on every interface (the default, 127.0.0.1, is for a workstation).
ENV HOST=0.0.0.0 \
    PORT=3000
# The code stays root-owned and read-only; the process runs as the image's unprivileged `node` user (uid 1000) in a
# working directory of its own, where the embedded profile keeps ./.chorus and `chorus replay --resume` its state.
RUN mkdir -p /var/lib/chorus && chown node:node /var/lib/chorus
WORKDIR /var/lib/chorus
USER node
EXPOSE 3000
# Every role serves /health/live on PORT. The slim image has no curl: Node's fetch asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--enable-source-maps", "/app/bin/chorus.js"]
CMD ["run", "api"]
