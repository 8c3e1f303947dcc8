#!/usr/bin/env bash
# Tests the Warden OpenClaw plugin against a real Warden built from this
# checkout, with Node 24 (type stripping runs index.ts as is).
#
#   integrations/openclaw/plugin/test.sh [node --test args...]
#
# Node 24: $WARDEN_OPENCLAW_NODE_DIR, else <cache>/node/bin, where
# <cache> is ${XDG_CACHE_HOME:-$HOME/.cache}/warden-e2e; run
# integrations/openclaw/e2e/setup.sh once to install it (and OpenClaw).
# The real-OpenClaw tests (test/openclaw.e2e.test.ts) run when
# $WARDEN_OPENCLAW_BIN is set or OpenClaw is in the cache; set
# WARDEN_OPENCLAW_BIN= (empty) to skip them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../../.." && pwd -P)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/warden-e2e

node_dir=${WARDEN_OPENCLAW_NODE_DIR:-$cache/node/bin}
if [ ! -x "$node_dir/node" ]; then
  echo "test.sh: no Node 24 at $node_dir; run integrations/openclaw/e2e/setup.sh (or set WARDEN_OPENCLAW_NODE_DIR)" >&2
  exit 1
fi
export PATH=$node_dir:$PATH
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 24 ]; then
  echo "test.sh: $node_dir/node is Node $(node --version); Node 24 or newer is needed" >&2
  exit 1
fi

if [ -z "${WARDEN_OPENCLAW_BIN+set}" ] && [ -x "$cache/openclaw/node_modules/.bin/openclaw" ]; then
  export WARDEN_OPENCLAW_BIN=$cache/openclaw/node_modules/.bin/openclaw
fi
export WARDEN_OPENCLAW_NODE_DIR=$node_dir

tmp=$(mktemp -d "${TMPDIR:-/tmp}/warden-plugin.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -z "${WARDEN_BIN:-}" ]; then
  (cd "$root" && go build -o "$tmp/warden" ./cmd/warden)
  export WARDEN_BIN=$tmp/warden
fi

cd "$here"
if [ "$#" -eq 0 ]; then
  set -- test/*.test.ts
fi
node --test --test-concurrency=4 "$@"
