#!/usr/bin/env bash
# check.sh static <gale build dir> <scratch dir> <consumer source dir> [extra flags]
# check.sh shared <gale source dir> <scratch dir> <consumer source dir> [extra flags]
# Installs gale into a scratch prefix (static: from its build tree; shared: configured and built
# anew with BUILD_SHARED_LIBS=ON, libraries only), checks that the exported targets name no path
# of this machine and push no link flag on users, then builds and runs a consumer project that
# finds gale with find_package(gale), and checks that a handler with no return fails its build.
set -euo pipefail
mode=$1 from=$2 scratch=$3 source=$4 extra=${5:-}
rm -rf "$scratch"
mkdir -p "$scratch"
log=$scratch/log
run() { "$@" > "$log" 2>&1 || { cat "$log"; echo "check.sh: failed: $*" >&2; exit 1; }; }

build=$from
if [ "$mode" = shared ]; then
  build=$scratch/gale-build
  launcher=()
  command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Neither optimized nor with debug information: this build checks how the shared libraries
  # install and link. At -O2 -g it was the longest test of the suite (528 s in a clean-clone run);
  # at -O0 without -g it takes 5.5 min of CPU, and a file about 40% less than at -O2 -g1.
  run cmake -S "$from" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O0 -DNDEBUG" -DBUILD_SHARED_LIBS=ON -DGALE_BUILD_TESTS=OFF \
    -DGALE_BUILD_EXAMPLES=OFF -DGALE_BUILD_BENCH=OFF "${launcher[@]}"
  run cmake --build "$build"
fi
prefix=$scratch/prefix
run cmake --install "$build" --prefix "$prefix"
test -f "$prefix/lib/cmake/gale/galeConfig.cmake"
test -f "$prefix/include/gale/gale.hpp"
if [ "$mode" = shared ]; then
  ls "$prefix"/lib/libgale_web.so.* > /dev/null
else
  test -f "$prefix/lib/libgale_web.a"
fi
# The exported targets name their dependencies as imported targets, found where the consumer
# configures, and leave the consumer's link flags alone.
exports=$(cat "$prefix"/lib/cmake/gale/galeTargets*.cmake)
if grep -n -E '"?/usr/(local/)?lib' <<< "$exports"; then
  echo "check.sh: the exported targets name a library of this machine by its path" >&2
  exit 1
fi
if grep -n -e '-rdynamic' <<< "$exports"; then
  echo "check.sh: the exported targets push -rdynamic on users" >&2
  exit 1
fi
run cmake -S "$source" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra"
run cmake --build "$scratch/build"
if [ "$mode" = shared ]; then
  # Linked to the shared libraries, found at run time through the build's RPATH.
  readelf -d "$scratch/build/consumer" | grep -q 'NEEDED.*libgale_web\.so' ||
    { echo "check.sh: the consumer is not linked to libgale_web.so" >&2; exit 1; }
fi
"$scratch/build/consumer"

# A handler whose body neither co_awaits nor returns is an error, not a warning.
if cmake --build "$scratch/build" --target no_return > "$log" 2>&1; then
  echo "check.sh: a handler with no return built" >&2
  exit 1
fi
grep -q -e '-Werror=return-type' -e 'error: no return statement' "$log" ||
  { cat "$log"; echo "check.sh: no_return failed for another reason" >&2; exit 1; }
echo "check.sh: $mode: installed, consumer built and passed, a handler with no return refused"
