#!/usr/bin/env bash
# Creates target/pyenv with the OpenTelemetry Python SDK and its OTLP exporters from PyPI
# (tests/clients/requirements.txt): tests/it/live sends real OTLP with them. Callers point
# TRACETOPO_PYTHON at target/pyenv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/pyenv
if [ ! -x "$venv/bin/python" ]; then
    mkdir -p target
    if ! python3 -m venv "$venv" 2>/dev/null; then
        SUDO=""
        [ "$(id -u)" = 0 ] || SUDO=sudo
        echo "setup: installing python3 python3-venv" >&2
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
        rm -rf "$venv"
        python3 -m venv "$venv"
    fi
fi
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/clients/requirements.txt
