#!/usr/bin/env bash
# The test command: installs the local emulators if missing, then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup-emulators.sh
exec python3 -m pytest "$@"
