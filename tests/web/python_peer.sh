#!/usr/bin/env bash
# Runs a test script of tests/web with the Python of the tests' venv (scripts/install-deps makes
# it, with tests/requirements.txt). Usage: python_peer.sh script.py args...
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
python=$GALE_STATE_DIR/venv-test/bin/python
if [ ! -x "$python" ]; then
  echo "SKIPPED: no test venv at $GALE_STATE_DIR/venv-test (run scripts/install-deps)"
  exit 77
fi
exec "$python" "$(dirname "$0")/$1" "${@:2}"
