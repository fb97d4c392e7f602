// PostgreSQL objects that outlive their loop's run, as at the end of a main(): the loop stops
// (start() returns) while a transaction, a COPY and a listener are open, some held by coroutines
// suspended on them (destroyed by the IOLoop's destructor), some declared before the loop (dropped
// after it is gone), some after it (dropped before it). Their clean-ups (a rollback, a COPY's
// abort, a listener's close) run in the background while the loop lives; on a loop that is going
// away or gone they must neither crash nor block (the server ends the session when its connection
// closes). The ASan pass checks the memory side.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "gale/loop/sleep.hpp"
#include "support.hpp"
#include "support/log_capture.hpp"
#include "support/stop_when.hpp"

using namespace std::chrono_literals;
using gale::Future;
using gale::IOLoop;
using gale::pg::Client;
using gale::pg::CopyIn;
using gale::pg::Listener;
using gale::pg::Transaction;
using gale::testing::pg_uri_with;
using gale::testing::run;
using gale::testing::stop_when;
using gale::testing::unique_name;

namespace {

// A coroutine whose frame owns a transaction, waiting on a statement that outlasts the loop.
Future<void> own_transaction(Client& pg, bool* started) {
  auto tx = co_await pg.transaction();
  *started = true;
  co_await tx.execute("SELECT pg_sleep(30)");
}

// A coroutine whose frame owns a COPY in progress, then sleeps.
Future<void> own_copy(Client& pg, std::string table, bool* started) {
  auto copy = co_await pg.copy_in("COPY " + table + " (n) FROM STDIN");
  co_await copy.write("1\n");
  *started = true;
  co_await gale::sleep(1h);
}

// A coroutine whose frame owns a listener, waiting for a notification.
Future<void> own_listener(Client& pg, bool* started) {
  auto listener = co_await pg.listen("gale_loop_exit");
  *started = true;
  co_await listener.next();
}

void create_table(const std::string& table) {
  IOLoop loop;
  Client pg(gale::testing::pg_uri());
  run(loop, [&] { return pg.execute_script("CREATE TABLE " + table + " (n int)"); });
}

// With a loop and a client of its own (the case's are gone): the table holds no row, since every
// COPY and transaction left open was abandoned.
long long rows_then_drop(const std::string& table) {
  IOLoop loop;
  Client pg(gale::testing::pg_uri());
  auto n = run(loop, [&] { return pg.query_value<long long>("SELECT count(*) FROM " + table); });
  run(loop, [&] { return pg.execute_script("DROP TABLE " + table); });
  return n;
}

}  // namespace

TEST_CASE("transactions, COPYs and listeners open when the loop stops go away with it",
          "[pg][loop_exit]") {
  const auto table = unique_name("loop_exit");
  create_table(table);
  gale::testing::LogCapture logs;
  {
    std::optional<Transaction> tx_before;  // declared before the loop: dropped after it is gone
    std::optional<CopyIn> copy_before;
    std::optional<Listener> listener_before;
    IOLoop loop;
    Client pg(pg_uri_with("pool_max_size=8"));
    tx_before.emplace(run(loop, [&] { return pg.transaction(); }));
    run(loop, [&] { return tx_before->execute("INSERT INTO " + table + " VALUES (1)"); });
    copy_before.emplace(run(loop, [&] { return pg.copy_in("COPY " + table + " (n) FROM STDIN"); }));
    run(loop, [&] { return copy_before->write("2\n"); });
    listener_before.emplace(run(loop, [&] { return pg.listen("gale_loop_exit"); }));

    auto tx_after = run(loop, [&] { return pg.transaction(); });  // dropped before the loop
    auto copy_after = run(loop, [&] { return pg.copy_in("COPY " + table + " (n) FROM STDIN"); });
    auto listener_after = run(loop, [&] { return pg.listen("gale_loop_exit"); });

    bool tx_started = false, copy_started = false, listener_started = false;
    auto owning_tx = own_transaction(pg, &tx_started);  // destroyed by the loop's destructor
    auto owning_copy = own_copy(pg, table, &copy_started);
    auto owning_listener = own_listener(pg, &listener_started);
    stop_when(loop, [&] { return tx_started && copy_started && listener_started; });
    REQUIRE(tx_started);
    REQUIRE(copy_started);
    REQUIRE(listener_started);
    CHECK_FALSE(owning_tx.done());
    CHECK_FALSE(owning_copy.done());
    CHECK_FALSE(owning_listener.done());
  }  // the owning coroutines, the *_after objects, pg, the loop, then the *_before objects
  // The failures the closing loop handed to the coroutines it destroyed are not unretrieved errors.
  CHECK_FALSE(logs.contains("never retrieved"));
  CHECK(rows_then_drop(table) == 0);
}
