#include <catch2/catch.hpp>

#include "gale/pool/backoff.hpp"

using namespace std::chrono_literals;

TEST_CASE("Backoff grows exponentially with jitter up to its ceiling", "[pool][backoff]") {
  gale::Backoff backoff(100ms, 1s);
  gale::Backoff::duration ceiling = 100ms;
  for (int i = 0; i < 8; ++i) {
    auto d = backoff.next();
    CHECK(d >= ceiling / 2);
    CHECK(d <= ceiling);
    ceiling = std::min<gale::Backoff::duration>(ceiling * 2, 1s);
  }
  CHECK(backoff.failures() == 8);
  backoff.reset();
  CHECK(backoff.next() <= 100ms);
}
