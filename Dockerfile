# bzzz node image.
#
#   docker build -t bzzz:local .
#   docker run -e BZZZ_TOKEN=… -p 127.0.0.1:7331:7331 -v bzzz-data:/data bzzz:local
#
# The container listens on 0.0.0.0 (loopback inside a container is unreachable), so `bzzz serve` refuses
# to start without BZZZ_TOKEN (16+ characters). Events go to the embedded store in /data unless BZZZ_STORE
# names another (docker-compose.yml points it at a KurrentDB cluster). The node key lives in /data too:
# keep that volume, or the node comes back as a different node.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: dependencies (better-sqlite3 compiled from source), TypeScript, then production deps only.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Manifests first, so the dependency layer is rebuilt only when they change. Install scripts are off,
# as package.json's allowScripts says, except better-sqlite3's native build, run explicitly from source
# (no prebuilt binary download).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm_config_build_from_source=true npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: no toolchain, no dev dependencies, not root.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  BZZZ_STORE=sqlite:/data/bzzz.db \
  BZZZ_DATA_DIR=/data \
  BZZZ_HOST=0.0.0.0 \
  BZZZ_PORT=7331
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/bin ./bin
# The application files stay root-owned and read-only to the process; only /data is writable.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 7331
# /health is open without the token; 503 (degraded) when the store cannot be read or a view lags.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BZZZ_PORT||7331)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/bzzz.js"]
CMD ["serve"]
