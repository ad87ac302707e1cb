# syntax=docker/dockerfile:1
# Canopy's container images, one build target per service, from the repository root:
#   docker build --target gateway -t canopy-gateway .
# and likewise `scheduler`, `projector`, `node-agent` (docs/operations.md, "Deployment").
ARG NODE_IMAGE=node:20-bookworm-slim

# The workspace with its dependencies installed. Each service's build stage builds its app and the
# libraries it imports (nx builds them first), then lays out its runtime tree: those builds and the
# production dependencies only (infra/docker/runtime-tree.sh).
FROM ${NODE_IMAGE} AS workspace
WORKDIR /src
ENV NX_DAEMON=false NX_NO_CLOUD=true
COPY . .
RUN npm ci --ignore-scripts --no-audit --no-fund

# What every service's image has: its runtime tree in /app (copied by the service's stage), owned by
# root and run as the unprivileged `node` user of the base image, and a health check on /readyz of
# its admin port (ADMIN_PORT, else PORT).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production ADMIN_HOST=0.0.0.0
WORKDIR /app
COPY infra/docker/healthcheck.mjs ./
USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "healthcheck.mjs", "/readyz"]

FROM workspace AS gateway-build
RUN npx nx run @canopy/gateway:build --output-style=static \
 && sh infra/docker/runtime-tree.sh /runtime gateway

# The gateway: Canopy's HTTP API. /metrics, /healthz and /readyz are on PORT; with ADMIN_PORT set,
# /metrics moves there (docs/operations.md).
FROM runtime AS gateway
ENV HOST=0.0.0.0 PORT=3000
COPY --from=gateway-build /runtime ./
EXPOSE 3000
ENTRYPOINT ["node", "apps/gateway/dist/main.js"]

FROM workspace AS scheduler-build
RUN npx nx run @canopy/scheduler:build --output-style=static \
 && sh infra/docker/runtime-tree.sh /runtime scheduler

# The scheduler: records issued tasks, matches them to nodes, applies deadlines. No port of its own:
# it talks NATS. ADMIN_PORT serves /metrics, /healthz and /readyz.
FROM runtime AS scheduler
ENV ADMIN_PORT=9464
COPY --from=scheduler-build /runtime ./
EXPOSE 9464
ENTRYPOINT ["node", "apps/scheduler/dist/main.js"]

FROM workspace AS projector-build
RUN npx nx run @canopy/projector:build --output-style=static \
 && sh infra/docker/runtime-tree.sh /runtime projector

# The projector: folds the event store into the read models. ADMIN_PORT serves /metrics, /healthz
# and /readyz. With the argument `rebuild` it rebuilds the read models and exits.
FROM runtime AS projector
ENV ADMIN_PORT=9464
COPY --from=projector-build /runtime ./
EXPOSE 9464
ENTRYPOINT ["node", "apps/projector/dist/main.js"]

FROM workspace AS node-agent-build
RUN npx nx run @canopy/node-agent:build --output-style=static \
 && sh infra/docker/runtime-tree.sh /runtime node-agent

# The reference node agent: runs functions as processes of this container, or forwards them over
# HTTP. Functions run as the `node` user with what this image has (/bin/sh, coreutils): a node that
# needs other runtimes is an image FROM this one that installs them. Arguments are the agent's flags
# (`docker run canopy-node-agent --help`). Run it with an init process as PID 1 (docker run --init,
# compose's init: true, a pod's shareProcessNamespace), which reaps what functions leave behind.
FROM runtime AS node-agent
ENV ADMIN_PORT=9464
COPY --from=node-agent-build /runtime ./
EXPOSE 9464
ENTRYPOINT ["node", "apps/node-agent/dist/main.js"]
