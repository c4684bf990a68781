# syntax=docker/dockerfile:1
# Herald: build with the dev toolchain, run on production dependencies only, as a non-root user.
# the Node line Herald is developed and tested on; package.json `engines` allows ^20.19 || ^22.12 || >=24
ARG NODE_VERSION=20.20

# 1. compile TypeScript (the server, and the @herald/client workspace: the server imports its wire vocabulary, @herald/client/protocol)
FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY client/package.json client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY client/tsconfig.build.json client/
COPY client/src ./client/src
COPY src ./src
# the server imports @herald/client/protocol (message types, error and close codes): build the client first
RUN npm run build -w @herald/client && npx tsc -p tsconfig.build.json

# 2. production dependencies, from the same lockfile
FROM node:${NODE_VERSION}-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY client/package.json client/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. runtime: compiled code + production node_modules, owned by root and read-only to the `node` user
FROM node:${NODE_VERSION}-alpine AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# node_modules/@herald/client links to ./client: the wire vocabulary the server imports at run time
COPY client/package.json ./client/
COPY --from=build /app/client/dist ./client/dist
# "type": "module" lives here: Node needs it to load dist/*.js as ES modules
COPY package.json ./
USER node
EXPOSE 3000
# /health/live answers 200 while the process runs (readiness, /health/ready, is for the load balancer)
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Herald drains on SIGTERM (PROTOCOL §8); give it SHUTDOWN_TIMEOUT_MS (default 10 s) before a SIGKILL,
# e.g. `docker stop -t 15` or `stop_grace_period: 15s` in compose.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
