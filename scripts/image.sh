#!/usr/bin/env bash
# Builds the discover container image with no registry: a static binary built here
# (CGO_ENABLED=0), this machine's CA certificates and a non-root user (65532), FROM scratch
# (deploy/image/Dockerfile). Usage: scripts/image.sh [TAG]   (default infragraph/discover:dev)
# DOCKER_HOST selects the engine, as for the docker command.
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-infragraph/discover:dev}
ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
[ -r "$ca" ] || { echo "image.sh: no CA bundle at $ca (Debian: apt-get install ca-certificates)" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION:-$(git describe --tags --always 2>/dev/null || echo dev)}" -o "$ctx/discover" ./cmd/discover
cp deploy/image/Dockerfile deploy/image/passwd deploy/image/group "$ctx/"
cp "$ca" "$ctx/ca-certificates.crt"
mkdir -m 1777 "$ctx/tmp"
mkdir -m 0755 "$ctx/data"
DOCKER_BUILDKIT=0 docker build -q -t "$tag" "$ctx" >/dev/null
echo "$tag"
