#!/bin/sh
# One command on a fresh Debian machine: install packages, configure, build, run the demo, and
# set up the Python environment .venv (the switchyard package via `pip install .`, torch,
# transformers and the test tools; see scripts/python-env.sh).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
./build/tools/switchyard demo
sh scripts/python-env.sh
