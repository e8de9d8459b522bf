#!/bin/sh
# The whole test suite (the README's command 2): CTest in a build folder, then the Python tests
# (tests/python, pytest) against that same build's library and CLI.
#
#   sh scripts/test.sh [BUILD_DIR]        (default: build)
#   SY_PYTHON  the Python with torch, transformers, pytest (default: .venv/bin/python, then python3)
# A sanitizer build (SY_SANITIZE=ON or thread) runs CTest only: its library cannot be loaded into an
# uninstrumented Python.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
JOBS=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS"

if grep -Eq '^SY_SANITIZE:[A-Z]+=(ON|thread)$' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "test.sh: $BUILD is a sanitizer build; skipping the Python tests"
  exit 0
fi
PY=${SY_PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
BUILD_ABS=$(cd "$BUILD" && pwd)
rc=0
SWITCHYARD_BUILD_DIR="$BUILD_ABS" PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" \
  "$PY" -m pytest tests/python -q -p no:cacheprovider || rc=$?
# pytest exits 5 when it collected no tests: not a failure of the suite.
if [ "$rc" -eq 5 ]; then echo "test.sh: pytest collected no tests"; rc=0; fi
exit "$rc"
