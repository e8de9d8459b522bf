#!/bin/sh
# One command on a fresh Debian machine: install packages, configure, build, run the demo.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
./build/tools/switchyard demo
