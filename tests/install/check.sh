#!/usr/bin/env bash
# check.sh static <gale build dir> <scratch dir> <consumer source dir> [extra flags]
# check.sh shared <gale source dir> <scratch dir> <consumer source dir> [extra flags]
# Installs gale into a scratch prefix (static: from its build tree; shared: configured and built
# anew with BUILD_SHARED_LIBS=ON, libraries only, by clang++ when there is one: gale and the
# consumer built by the other compiler than the static check's, in about 25% less CPU), checks that the exported targets name no path
# of this machine and push no link flag on users, that only the public headers are installed
# (public_headers.txt, beside this script) and that each compiles alone, then builds and runs a
# consumer project that finds gale with find_package(gale), checks that its program (every layer,
# through <gale/gale.hpp>) included no header of asio, http_parser, libbson, libmongoc, libpq,
# OpenSSL or CLI11, and that a handler with no return fails its build.
set -euo pipefail
mode=$1 from=$2 scratch=$3 source=$4 extra=${5:-}
rm -rf "$scratch"
mkdir -p "$scratch"
log=$scratch/log
run() { "$@" > "$log" 2>&1 || { cat "$log"; echo "check.sh: failed: $*" >&2; exit 1; }; }

build=$from
compiler=()  # the shared check's gale and consumer: clang++ when there is one
if [ "$mode" = shared ]; then
  command -v clang++ > /dev/null && compiler=(-DCMAKE_CXX_COMPILER=clang++)
  build=$scratch/gale-build
  launcher=()
  command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # Neither optimized nor with debug information: this build checks how the shared libraries
  # install and link. At -O2 -g it was the longest test of the suite (528 s in a clean-clone run);
  # at -O0 without -g it takes 5.5 min of CPU, and a file about 40% less than at -O2 -g1.
  run cmake -S "$from" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O0 -DNDEBUG" -DBUILD_SHARED_LIBS=ON -DGALE_BUILD_TESTS=OFF \
    -DGALE_BUILD_EXAMPLES=OFF -DGALE_BUILD_BENCH=OFF "${compiler[@]}" "${launcher[@]}"
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
# Only the public tree is installed: what public_headers.txt lists, and nothing under detail/.
(cd "$prefix/include" && find . -type f | sed 's#^\./##' | LC_ALL=C sort) > "$scratch/installed.txt"
if ! LC_ALL=C sort "$source/public_headers.txt" | diff "$scratch/installed.txt" - > "$log"; then
  cat "$log"
  echo "check.sh: the installed headers (<) differ from tests/install/public_headers.txt (>)" >&2
  exit 1
fi
if grep -n '/detail/' "$scratch/installed.txt"; then
  echo "check.sh: a private header (detail/) is installed" >&2
  exit 1
fi
# Each public header compiles on its own (once: in the static check of the build without a
# sanitizer, whose flags would change nothing here).
if [ "$mode" = static ] && [ -z "$extra" ]; then
  bson_flags=$(pkg-config --cflags libbson-1.0)
  export prefix bson_flags scratch
  # shellcheck disable=SC2016
  if ! xargs -P "$(nproc)" -I{} sh -c 'echo "#include <{}>" | ${CXX:-c++} -std=c++20 -fsyntax-only \
      -Werror -Wall -Wextra -I"$prefix/include" $bson_flags -x c++ - 2> "$scratch/alone.$$.log" ||
      { cat "$scratch/alone.$$.log"; echo "check.sh: <{}> does not compile alone" >&2; exit 255; }' \
      < "$scratch/installed.txt"; then
    exit 1
  fi
fi
run cmake -S "$source" -B "$scratch/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" "${compiler[@]}"
run cmake --build "$scratch/build"
if [ "$mode" = shared ]; then
  # Linked to the shared libraries, found at run time through the build's RPATH.
  readelf -d "$scratch/build/consumer" | grep -q 'NEEDED.*libgale_web\.so' ||
    { echo "check.sh: the consumer is not linked to libgale_web.so" >&2; exit 1; }
fi
"$scratch/build/consumer"
"$scratch/build/bson_interop"
# What <gale/gale.hpp> brought into the consumer: no header of the libraries gale uses privately.
ninja -C "$scratch/build" -t deps CMakeFiles/consumer.dir/main.cpp.o > "$scratch/deps.txt"
grep -q 'gale/gale.hpp' "$scratch/deps.txt" || { echo "check.sh: no header dependencies recorded" >&2; exit 1; }
if grep -E '/asio/|/asio\.hpp|http_parser\.h|/libbson-1\.0/|/libmongoc-1\.0/|libpq-fe\.h|/postgresql/|/openssl/|/CLI/' \
    "$scratch/deps.txt"; then
  echo "check.sh: a public header includes a header of a library gale uses privately" >&2
  exit 1
fi

# A handler whose body neither co_awaits nor returns is an error, not a warning.
if cmake --build "$scratch/build" --target no_return > "$log" 2>&1; then
  echo "check.sh: a handler with no return built" >&2
  exit 1
fi
grep -q -e '-Werror=return-type' -e '-Werror,-Wreturn-type' -e 'error: no return statement' "$log" ||
  { cat "$log"; echo "check.sh: no_return failed for another reason" >&2; exit 1; }
echo "check.sh: $mode (${compiler[*]:-default compiler}): only the public headers installed, consumer built and passed, no private" \
  "library's header in it, a handler with no return refused"
