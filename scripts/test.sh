#!/usr/bin/env bash
# The test command. It installs and starts what the tests need, runs gofmt, go vet, deadcode and
# every test, and stops what it started:
#   - a throwaway PostgreSQL 15 cluster with pg_cron preloaded (Debian postgresql-15-cron),
#     run as the postgres user (PostgreSQL refuses root);
#   - a private Docker engine (Debian docker.io) on its own socket, with busybox-static for images
#     built FROM scratch (no registry is reachable);
#   - the real mermaid parser (npm mermaid@11 + jsdom) for every diagram we render;
#   - Debian's chromium for the web explorer's browser tests (driven by chromedp); their
#     screenshots are kept under $INFRAGRAPH_ARTIFACTS (default out/artifacts) for review;
#   - the consumers of `discover export`: graphviz, xmllint, Backstage's validators, Neo4j's Cypher
#     parser (tools/consumers).
# Usage: scripts/test.sh [go test flags/packages]   (default: ./...)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$(mktemp -d /tmp/infragraph-test.XXXXXX)
chmod 755 "$WORK"
log() { printf '[test.sh] %s\n' "$*" >&2; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=""
need_pkg() { # need_pkg CMD-OR-FILE PACKAGE...
  if command -v "$1" >/dev/null 2>&1 || [ -e "$1" ]; then return 0; fi
  shift
  log "installing $* (apt-get)"
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

PG_BIN=/usr/lib/postgresql/15/bin
cleanup() {
  set +e
  if [ -n "${DOCKERD_PID:-}" ]; then
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
  fi
  [ -n "${CONTAINERD_PID:-}" ] && kill "$CONTAINERD_PID" 2>/dev/null
  if [ -n "${PGDATA_DIR:-}" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1
  fi
  # dockerd's vfs layers can hold read-only files: unmount first, then remove.
  grep -o " $WORK[^ ]*" /proc/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$WORK" 2>/dev/null
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }

# --- PostgreSQL ---------------------------------------------------------------------------------
start_postgres() {
  need_pkg "$PG_BIN/initdb" postgresql-15
  need_pkg /usr/share/postgresql/15/extension/pg_cron.control postgresql-15-cron
  PGDATA_DIR=$WORK/pg
  mkdir -p "$PGDATA_DIR" "$WORK/pgsock"
  chown postgres "$PGDATA_DIR" "$WORK/pgsock"
  local port; port=$(free_port)
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust --no-sync >/dev/null
  cat >>"$PGDATA_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$WORK/pgsock'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
fsync = off
CONF
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/server.log" -w start >/dev/null || { cat "$PGDATA_DIR/server.log" >&2; return 1; }
  export INFRAGRAPH_TEST_PG_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  log "postgres on 127.0.0.1:$port"
}

# --- Docker engine ------------------------------------------------------------------------------
start_docker() {
  need_pkg dockerd docker.io
  need_pkg /bin/busybox busybox-static
  local d=$WORK/docker
  mkdir -p "$d/root" "$d/exec"
  local sock=$d/docker.sock
  dockerd --host "unix://$sock" --data-root "$d/root" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
    --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 150); do
    [ -S "$sock" ] && docker -H "unix://$sock" info >/dev/null 2>&1 && break
    kill -0 "$DOCKERD_PID" 2>/dev/null || { cat "$WORK/dockerd.log" >&2; return 1; }
    sleep 0.2
  done
  docker -H "unix://$sock" info >/dev/null
  # A tiny image FROM scratch with busybox: no registry is reachable here.
  local ctx=$WORK/busybox-image
  mkdir -p "$ctx"
  cp /bin/busybox "$ctx/busybox"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep","3600"]\n' >"$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker -H "unix://$sock" build -q -t infragraph-test/busybox:latest "$ctx" >/dev/null 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; return 1; }
  export INFRAGRAPH_TEST_DOCKER_HOST="unix://$sock"
  export INFRAGRAPH_TEST_DOCKER_IMAGE="infragraph-test/busybox:latest"
  log "docker engine on $sock"
}

# --- mermaid parser -----------------------------------------------------------------------------
setup_mermaid() {
  need_pkg node nodejs
  need_pkg npm npm
  local dir=$ROOT/tools/mermaid
  if [ ! -d "$dir/node_modules/mermaid" ] || [ ! -d "$dir/node_modules/jsdom" ]; then
    log "installing mermaid + jsdom (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  export INFRAGRAPH_MERMAID_CHECK="$dir/check.mjs"
}

# --- headless browser ---------------------------------------------------------------------------
setup_chromium() {
  need_pkg chromium chromium
  export INFRAGRAPH_CHROMIUM
  INFRAGRAPH_CHROMIUM=$(command -v chromium)
  export INFRAGRAPH_ARTIFACTS="${INFRAGRAPH_ARTIFACTS:-$ROOT/out/artifacts}"
  mkdir -p "$INFRAGRAPH_ARTIFACTS"
  log "chromium $("$INFRAGRAPH_CHROMIUM" --version 2>/dev/null | head -1); screenshots under $INFRAGRAPH_ARTIFACTS"
}

# --- export consumers ---------------------------------------------------------------------------
# The real readers of `discover export`: Graphviz's dot, xmllint (GraphML XML Schema), and from npm
# (tools/consumers, pinned by its lock file) Backstage's entity validators, Neo4j's Cypher parser,
# an OpenAPI 3.1 validator (serve's /openapi.json) and the Kubernetes schemas (deploy/kubernetes).
setup_export_consumers() {
  need_pkg dot graphviz
  need_pkg xmllint libxml2-utils
  need_pkg node nodejs
  need_pkg npm npm
  local dir=$ROOT/tools/consumers
  if [ ! -d "$dir/node_modules/@backstage/catalog-model" ] || [ ! -d "$dir/node_modules/@neo4j-cypher/language-support" ] || [ ! -d "$dir/node_modules/@seriousme/openapi-schema-validator" ] || [ ! -d "$dir/node_modules/kubernetes-models" ]; then
    log "installing export consumers (npm ci in tools/consumers)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
  export INFRAGRAPH_CONSUMERS="$dir"
}

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tools/*'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi
log "go vet"
go vet ./...
# Nothing the commands cannot reach: a function only tests call lives in a _test.go file or a
# testing package (fakeapitest, fakescale, schemastest), not in the packages the binary links.
log "deadcode"
dead=$(go run golang.org/x/tools/cmd/deadcode@v0.52.0 ./cmd/...)
if [ -n "$dead" ]; then echo "deadcode: unreachable from ./cmd/...:"; echo "$dead"; exit 1; fi

start_postgres
start_docker
setup_mermaid
setup_chromium
setup_export_consumers

log "go test"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(./...)
go test -count=1 "${args[@]}"
