// A notes table (or collection) of the test's own in the shared PostgreSQL (or FerretDB) of
// scripts/services, dropped at the end, for fault tests that do not kill the server (the crud
// program creates it at start-up).
#pragma once

#include <random>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "gale/pg/pg.hpp"
#include "support/env.hpp"

namespace fault {

class ScratchTable {
 public:
  explicit ScratchTable(const std::string& stem)
      : name_(stem + std::to_string(std::random_device{}() % 100000000)) {}
  ~ScratchTable() {
    try {
      gale::pg::Client pg(gale::testing::pg_uri());
      gale::IOLoop::current().run_sync(
          [&]() -> gale::Future<void> { co_await pg.execute("DROP TABLE IF EXISTS " + name_); },
          std::chrono::seconds(30));
    } catch (...) {
    }
  }
  ScratchTable(const ScratchTable&) = delete;
  ScratchTable& operator=(const ScratchTable&) = delete;

  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

// The crud program keeps a collection of notes and one of version claims (<name>_claims).
class ScratchCollection {
 public:
  static constexpr const char* kDatabase = "gale_fault";

  explicit ScratchCollection(const std::string& stem)
      : name_(stem + std::to_string(std::random_device{}() % 100000000)) {}
  ~ScratchCollection() {
    try {
      gale::mongo::Client mongo(gale::testing::mongo_uri());
      gale::IOLoop::current().run_sync(
          [&]() -> gale::Future<void> {
            co_await mongo[kDatabase][name_].drop();
            co_await mongo[kDatabase][name_ + "_claims"].drop();
          },
          std::chrono::seconds(30));
    } catch (...) {
    }
  }
  ScratchCollection(const ScratchCollection&) = delete;
  ScratchCollection& operator=(const ScratchCollection&) = delete;

  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

}  // namespace fault
