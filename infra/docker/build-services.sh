#!/bin/sh
# Builds Canopy's services for their images and lays out in OUT what the images run. The build stage
# of infra/docker/Dockerfile runs it once, from the repository root, for every service: installs the
# whole workspace, builds the apps and the libraries they import in one Nx run (each library once),
# then runtime-tree.sh keeps those builds and the production dependencies only.
#
# Usage, from the repository root:  sh infra/docker/build-services.sh OUT SERVICE...
set -eu

usage() {
  echo "usage: build-services.sh OUT SERVICE... (SERVICE: a folder of apps/, a target of infra/docker/Dockerfile)" >&2
  exit 2
}
[ "$#" -ge 2 ] || usage
out=$1
shift
projects=
for service in "$@"; do
  [ -f "apps/$service/package.json" ] || usage
  projects="$projects${projects:+,}@canopy/$service"
done

# No Nx daemon nor cloud in a one-off build.
export NX_DAEMON=false NX_NO_CLOUD=true
npm ci --ignore-scripts --no-audit --no-fund
npx nx run-many --targets=build --projects="$projects" --output-style=static
sh infra/docker/runtime-tree.sh "$out" "$@"
