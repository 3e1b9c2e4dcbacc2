# syntax=docker/dockerfile:1
# Orderbridge gateway image. Build: docker build -t orderbridge .
# Run:   docker run -e AMQP_URL=amqp://guest:guest@rabbitmq:5672 -p 8080:8080 -v ob-data:/app/data orderbridge
# Without Docker, test/unit/dockerfile.test.ts runs each stage's COPY and RUN lines in scratch folders
# (npm test does), so a file a stage needs and does not copy fails CI.

# Node 22 (LTS, maintained until April 2027), pinned: CI runs the unit and integration tests on this
# very version too (scripts/test-node.sh reads it from here). Not Node 24 yet: better-sqlite3 12
# aborts the process there (SIGABRT in Statement::~Statement, nodejs/node#65446; `serve` dies at
# start); better-sqlite3 13 fixes it but needs Node 22 or later, so Node 20 must go first.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# --- build: full dependencies, compile TypeScript (npm ci runs `prepare` → tsc) ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY contracts ./contracts
COPY scripts ./scripts
COPY src ./src
COPY sim ./sim
COPY config ./config
COPY bin ./bin
RUN npm ci --no-audit --no-fund

# --- runtime dependencies only (better-sqlite3 is native, so built here for this base) ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# prepare builds TypeScript, which needs dev dependencies; the build stage already did it.
RUN npm pkg delete scripts.prepare && npm ci --omit=dev --no-audit --no-fund

# --- runtime: slim, non-root ---
FROM ${NODE_IMAGE}
ENV NODE_ENV=production ORDERBRIDGE_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY contracts ./contracts
COPY config ./config
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Tracing: set OTEL_TRACES_EXPORTER=otlp and OTEL_EXPORTER_OTLP_ENDPOINT; off (and free) otherwise.
ENTRYPOINT ["node", "bin/orderbridge.js"]
CMD ["serve"]
