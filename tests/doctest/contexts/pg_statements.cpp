// doctest-kind: statements
// Statements in a coroutine. In scope: `id` (a note's id) and `title`. The block brings its own
// #include <gale/pg/pg.hpp> and client `pg`.
#include <chrono>
#include <cstdint>
#include <string>

#include <gale/loop/future.hpp>

#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"

using namespace std::chrono_literals;

gale::Future<void> doctest_block(std::int64_t id, std::string title);
gale::Future<void> doctest_block([[maybe_unused]] std::int64_t id,
                                 [[maybe_unused]] std::string title) {
  // @BLOCK@
  co_return;
}
