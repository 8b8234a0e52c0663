#!/bin/sh
# As the official image: a server started without a config file listens on every
# interface with protected mode off (the container network is the boundary).
set -eu
if [ "${1:-}" = "valkey-server" ]; then
  shift
  exec setpriv --reuid=valkey --regid=valkey --init-groups valkey-server --bind 0.0.0.0 --protected-mode no --dir /tmp "$@"
fi
exec "$@"
