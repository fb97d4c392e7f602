#!/usr/bin/env bash
# check.sh <gale build dir> <scratch dir> <consumer source dir> [extra compiler and linker flags]
# Installs gale from its build tree into a scratch prefix, then builds and runs a consumer project
# that finds it with find_package(gale).
set -euo pipefail
build=$1 scratch=$2 source=$3 extra=${4:-}
rm -rf "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > "$scratch.install.log" 2>&1 ||
  { cat "$scratch.install.log"; exit 1; }
test -f "$scratch/prefix/lib/cmake/gale/galeConfig.cmake"
test -f "$scratch/prefix/include/gale/loop/io_loop.hpp"
cmake -S "$source" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" > /dev/null
cmake --build "$scratch/build" > /dev/null
"$scratch/build/consumer"
