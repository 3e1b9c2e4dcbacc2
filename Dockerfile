# syntax=docker/dockerfile:1
# Orderbridge gateway image. Build: docker build -t orderbridge .
# Run:   docker run -e AMQP_URL=amqp://guest:guest@rabbitmq:5672 -p 8080:8080 -v ob-data:/app/data orderbridge

# --- build: full dependencies, compile TypeScript (npm ci runs `prepare` → tsc) ---
FROM node:20-bookworm-slim AS build
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
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# prepare builds TypeScript, which needs dev dependencies; the build stage already did it.
RUN npm pkg delete scripts.prepare && npm ci --omit=dev --no-audit --no-fund

# --- runtime: slim, non-root ---
FROM node:20-bookworm-slim
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
