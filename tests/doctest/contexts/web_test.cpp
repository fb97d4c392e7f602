// doctest-kind: statements
// Statements of a Catch2 test case, after #include <catch2/catch.hpp> (v2) and
// <gale/web/web.hpp>. In scope: `routes` (the Application's routes) and `settings`. The block
// brings its own #include <gale/web/testing.hpp>.
#include <vector>

#include <catch2/catch.hpp>
#include <gale/web/web.hpp>

#pragma GCC diagnostic ignored "-Wunused-variable"

void doctest_test(std::vector<gale::web::Route> routes, gale::web::Settings settings);
void doctest_test([[maybe_unused]] std::vector<gale::web::Route> routes,
                  [[maybe_unused]] gale::web::Settings settings) {
  // @BLOCK@
}
