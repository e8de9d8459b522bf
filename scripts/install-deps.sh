#!/bin/sh
# Installs the Debian packages Switchyard builds and tests with (Debian 12 or 13).
set -eu
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential cmake pkg-config python3 python3-venv \
  libcjson-dev libpcre2-dev libicu-dev \
  libxnnpack-dev libpthreadpool-dev \
  libvulkan-dev mesa-vulkan-drivers glslc vulkan-validationlayers \
  clang libclang-rt-dev
