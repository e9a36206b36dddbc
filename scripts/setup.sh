#!/usr/bin/env bash
# Create .venv in the repository and install idinn (editable) with everything the tests need:
# the optional extras (Gymnasium, Dask, Streamlit) and, for the browser tests, Debian's
# chromium and chromium-driver (installed with apt when missing and when we are root).
# torch==2.13.0 is installed first: it is the CPU build this project is developed with.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet torch==2.13.0
.venv/bin/python -m pip install --quiet -e ".[test]"
# Compile the fused training kernels once per environment, so that the first fit does not
# wait for numba (the machine code is cached on disk; later processes load it in < 1 s).
.venv/bin/python -m idinn.neural.warmup
