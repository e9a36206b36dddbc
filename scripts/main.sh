#!/usr/bin/env bash
# Set everything up, then run the main job: train the JOSS paper's single-sourcing example
# and print its cost beside the exact optimum (extra arguments go to `idinn`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/idinn run --output idinn-plot.png --force "$@"
