#include <catch2/catch.hpp>

#include <array>
#include <memory>

#include "gale/loop/unique_function.hpp"

using gale::UniqueFunction;

TEST_CASE("UniqueFunction holds move-only callables, small and large", "[unique_function]") {
  auto p = std::make_unique<int>(4);
  UniqueFunction<int(int)> small = [p = std::move(p)](int x) { return *p + x; };
  CHECK(small(1) == 5);
  std::array<long, 16> big{};
  big[15] = 10;
  UniqueFunction<long()> large = [big] { return big[15]; };
  CHECK(large() == 10);
  UniqueFunction<long()> moved = std::move(large);
  CHECK_FALSE(static_cast<bool>(large));  // NOLINT: checking the moved-from state on purpose
  CHECK(moved() == 10);
}

TEST_CASE("UniqueFunction destroys its callable exactly once", "[unique_function]") {
  auto counter = std::make_shared<int>(0);
  {
    UniqueFunction<void()> a = [counter] {};
    CHECK(counter.use_count() == 2);
    UniqueFunction<void()> b = std::move(a);
    CHECK(counter.use_count() == 2);
    a = std::move(b);
    CHECK(counter.use_count() == 2);
  }
  CHECK(counter.use_count() == 1);
}
