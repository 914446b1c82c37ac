#!/usr/bin/env bash
# Makes sure a RabbitMQ broker answers on 127.0.0.1:5672 (guest/guest), installing Debian's
# rabbitmq-server and starting it when none does. The integration tests talk to it.
set -euo pipefail

port_open() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if port_open; then
  echo "start-rabbitmq: a broker already answers on 127.0.0.1:5672"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

if ! command -v rabbitmq-server >/dev/null; then
  echo "start-rabbitmq: installing rabbitmq-server"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends rabbitmq-server
fi

# The package starts the service where systemd runs; containers have none, so start it here.
if ! port_open; then
  echo "start-rabbitmq: starting rabbitmq-server"
  $sudo rabbitmq-server -detached
fi

for _ in $(seq 1 90); do
  if port_open; then
    $sudo rabbitmqctl await_startup >/dev/null 2>&1 || true
    echo "start-rabbitmq: broker ready on 127.0.0.1:5672"
    exit 0
  fi
  sleep 1
done
echo "start-rabbitmq: RabbitMQ did not open 127.0.0.1:5672 within 90 s; see /var/log/rabbitmq/" >&2
exit 1
