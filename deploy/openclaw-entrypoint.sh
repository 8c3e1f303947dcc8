#!/bin/sh
# Entrypoint of the OpenClaw image: moves the secrets compose mounted as
# files into the variables OpenClaw and the Warden plugin read, then runs
# the command. The values never appear in the compose file, the image or
# the command line.
set -eu
read_secret() { # NAME FILE
  if [ -r "$2" ]; then
    value=$(cat "$2")
    export "$1=$value"
  fi
}
read_secret WARDEN_AGENT_TOKEN /run/secrets/warden_agent_token
read_secret OPENCLAW_GATEWAY_TOKEN /run/secrets/openclaw_gateway_token
unset value
exec "$@"
