#!/bin/sh
# Builds one Canopy service for its image and lays out in OUT what the image runs. Each service's
# Dockerfile (apps/SERVICE/Dockerfile) runs it in its build stage, from the repository root:
# installs the whole workspace, builds the app and the libraries it imports (Nx builds them first),
# then runtime-tree.sh keeps those builds and the production dependencies only.
#
# Usage, from the repository root:  sh infra/docker/build-service.sh SERVICE OUT
set -eu

if [ "$#" -ne 2 ] || [ ! -f "apps/$1/package.json" ]; then
  echo "usage: build-service.sh SERVICE OUT (SERVICE: a folder of apps/ with a Dockerfile)" >&2
  exit 2
fi
service=$1
out=$2

# No Nx daemon nor cloud in a one-off build.
export NX_DAEMON=false NX_NO_CLOUD=true
npm ci --ignore-scripts --no-audit --no-fund
npx nx run "@canopy/$service:build" --output-style=static
sh infra/docker/runtime-tree.sh "$out" "$service"
