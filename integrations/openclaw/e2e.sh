#!/usr/bin/env bash
# End to end with the real OpenClaw: installs openclaw@2026.9.6 under Node 24
# (both from the npm registry, cached; see e2e/setup.sh), runs the Warden
# plugin's own tests (Node's test runner against a real Warden), then the Go
# end-to-end tests: real `openclaw agent --local` turns through Warden's model
# plane to a fake model that answers with tool calls, with the plugin loaded
# and without it.
#
#   integrations/openclaw/e2e.sh [CACHE_DIR]
#
# CACHE_DIR defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/warden-e2e.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/warden-e2e}

WARDEN_OPENCLAW_BIN=$("$here/e2e/setup.sh" "$cache" | tail -n1)
export WARDEN_OPENCLAW_BIN WARDEN_OPENCLAW_NODE_DIR=$cache/node/bin

echo "== the Warden plugin's tests (Node $("$WARDEN_OPENCLAW_NODE_DIR/node" --version))"
"$here/plugin/test.sh"

echo "== OpenClaw turns through Warden (model plane and tool plane, with and without the plugin)"
cd "$root"
go test ./integrations/openclaw/e2e/ -count=1 -v

echo "== warden openclaw configure against the real OpenClaw (config validate, a turn through Warden) and the deploy files"
go test ./openclawcfg/ ./deploy/ -count=1 -v
