# syntax=docker/dockerfile:1
# Multi-stage build for the Meshfleet API and worker (one image, two commands), from a clean clone:
#   docker build -t meshfleet/meshfleet .
# The build generates the Prisma client (`npm run build` runs `prisma generate` first).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json prisma.config.ts ./
COPY libs libs
COPY apps apps
COPY agents agents
COPY e2e e2e
COPY prisma prisma
COPY scripts scripts
RUN npm ci --no-audit --no-fund
# The embedded PostgreSQL (an optional dependency) is for `npm run demo` only: not in the image.
RUN npm run build && npm prune --omit=dev --omit=optional --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /src /app
USER node
EXPOSE 3000
# Override with: node apps/worker/dist/src/main.js  |  npx prisma migrate deploy
CMD ["node", "--enable-source-maps", "apps/api/dist/src/main.js"]
