// doctest-kind: statements
// Statements in a coroutine. In scope: `id` (a note's id, a string) and `filter` (a query
// document). The block brings its own #include <gale/mongo/mongo.hpp> and client `mongo`.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include <gale/loop/future.hpp>

#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"

using namespace std::chrono_literals;

gale::Future<void> doctest_block(std::string id, nlohmann::json filter);
gale::Future<void> doctest_block([[maybe_unused]] std::string id,
                                 [[maybe_unused]] nlohmann::json filter) {
  // @BLOCK@
  co_return;
}
