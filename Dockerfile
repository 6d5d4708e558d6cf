# syncdesk: the service image, in two stages. `build` compiles the TypeScript to dist/
# (`npm run build`); the runtime stage holds production dependencies and dist/ only, with no
# sources, so bin/syncdesk.js runs the compiled JavaScript (SYNCDESK_RUNTIME=dist says so).
FROM node:22-bookworm-slim AS build

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
# bin/v8-mode.js: workers/index.ts imports it, and the build copies it into dist/
COPY bin ./bin
COPY src ./src
COPY schemas ./schemas
COPY workers ./workers
COPY examples ./examples
RUN npm run build

FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    SYNCDESK_RUNTIME=dist \
    # Node's fetch (Graph lookups) follows HTTPS_PROXY / NO_PROXY only with this; no proxy set, no effect
    NODE_USE_ENV_PROXY=1 \
    # the admin server (/healthz, /readyz, /metrics, dashboard) must be reachable from outside the container
    ADMIN_HOST=0.0.0.0 \
    ADMIN_PORT=9464 \
    # state that must survive the container: raw mails (for replays), file-sink tickets, directory snapshots
    MAIL_STORE_DIR=/var/lib/syncdesk/mail \
    TICKET_DIR=/var/lib/syncdesk/tickets \
    SNAPSHOT_DIR=/var/lib/syncdesk/snapshots \
    SYNCDESK_REDIS_DIR=/var/lib/syncdesk/redis

# redis-server for the embedded default (no REDIS_URL: a private Redis under SYNCDESK_REDIS_DIR,
# e.g. `docker run --rm syncdesk demo`); with REDIS_URL it is never started
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY --from=build /app/dist ./dist
COPY examples ./examples
COPY syncdesk.example.yaml ./

# run as the image's unprivileged `node` user; /var/lib/syncdesk is its data volume
RUN mkdir -p /var/lib/syncdesk /etc/syncdesk && chown -R node:node /var/lib/syncdesk
USER node
VOLUME ["/var/lib/syncdesk"]
EXPOSE 9464

# /healthz of the admin server on ADMIN_PORT (0: nothing to ask, healthy); Node's fetch, no curl
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "bin/healthcheck.js"]

# SIGTERM: the listener stops, running jobs finish or go back to the queue
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/syncdesk.js"]
CMD ["start"]
