#!/usr/bin/env bash
# Every Catch test case reaches CTest whole: catch_discover_tests splits a name at ';' (a CMake
# list separator) into two tests whose filters match nothing, and those "pass" with no test run.
# Fails, naming them, when a TEST_CASE name holds a ';'.
set -euo pipefail
root=${1:?usage: test_names.sh SOURCE_DIR}
bad=$(grep -rnE 'TEST_CASE\("[^"]*;' "$root/tests" "$root/fuzz" "$root/examples" \
  --include='*.cpp' --include='*.hpp' || true)
if [ -n "$bad" ]; then
  echo "test case names with ';' (CTest would run none of them):" >&2
  echo "$bad" >&2
  exit 1
fi
count=$(grep -rhcE 'TEST_CASE\("' "$root/tests" --include='*.cpp' | awk '{ n += $1 } END { print n }')
echo "checked $count test case names"
