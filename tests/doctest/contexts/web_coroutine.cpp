// doctest-kind: statements
// Statements in a coroutine, after #include <gale/web/web.hpp>.
#include <chrono>

#include <gale/web/web.hpp>

#pragma GCC diagnostic ignored "-Wunused-variable"

using namespace std::chrono_literals;

gale::Future<void> doctest_block();
gale::Future<void> doctest_block() {
  // @BLOCK@
  co_return;
}
