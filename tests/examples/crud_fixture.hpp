// The notes API on a real database, served on a free port: a table (or collection) of its own per
// test, dropped at the end. Compiled once per backend (CRUD_TEST_MONGO chooses MongoDB).
#pragma once

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "crud/app.hpp"
#include "crud/mongo_notes_store.hpp"
#include "crud/pg_notes_store.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/testing.hpp"
#include "gale/web/web.hpp"
#include "support/env.hpp"
#include "support/json_request.hpp"

namespace crud_test {

using gale::web::HTTPRequest;
using gale::web::HTTPResponse;
using nlohmann::json;

inline std::string unique_name() {
  std::random_device rd;
  return "notes_t" + std::to_string(rd() % 100000000);
}

inline gale::web::Settings quiet() {
  gale::web::Settings s;
  s.access_log = false;
  return s;
}

class Backend {
 public:
  Backend() : name_(unique_name()) {
#ifdef CRUD_TEST_MONGO
    mongo_.emplace(gale::testing::mongo_uri());
    auto db = (*mongo_)["gale_crud_test"];
    store_ = std::make_unique<crud::MongoNotesStore>(db[name_], db[name_ + "_claims"]);
#else
    pg_ = std::make_unique<gale::pg::Client>(gale::testing::pg_uri());
    store_ = std::make_unique<crud::PgNotesStore>(*pg_, name_);
#endif
  }
  ~Backend() {
    try {
      gale::IOLoop::current().run_sync([this] { return drop(); }, std::chrono::seconds(30));
    } catch (...) {
    }
  }
  crud::NotesStore& store() {
    return *store_;
  }
  static const char* name() {
#ifdef CRUD_TEST_MONGO
    return "mongo";
#else
    return "pg";
#endif
  }
  // How many notes the database holds (tests check that refused requests wrote nothing).
  gale::Future<std::int64_t> count();

 private:
  gale::Future<void> drop();

  std::string name_;
  std::unique_ptr<gale::pg::Client> pg_;
  std::optional<gale::mongo::Client> mongo_;
  std::unique_ptr<crud::NotesStore> store_;
};

inline gale::Future<void> Backend::drop() {
#ifdef CRUD_TEST_MONGO
  auto db = (*mongo_)["gale_crud_test"];
  co_await db[name_].drop();
  co_await db[name_ + "_claims"].drop();
#else
  co_await pg_->execute("DROP TABLE IF EXISTS " + name_);
#endif
}

inline gale::Future<std::int64_t> Backend::count() {
#ifdef CRUD_TEST_MONGO
  co_return co_await (*mongo_)["gale_crud_test"][name_].count_documents();
#else
  co_return co_await pg_->query_value<std::int64_t>("SELECT count(*) FROM " + name_);
#endif
}

// The API on a test server, and requests to it.
class Api {
 public:
  Api() : app_({}, quiet()) {
    gale::IOLoop::current().run_sync([this] { return backend_.store().setup(); },
                                     std::chrono::seconds(30));
    crud::add_routes(app_, backend_.store());
    server_ = std::make_unique<gale::web::testing::TestServer>(app_);
  }

  static HTTPRequest request(std::string method, std::optional<json> body = std::nullopt,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
    return gale::testing::json_request(std::move(method), std::move(body), std::move(headers));
  }

  HTTPResponse call(const std::string& method, const std::string& path,
                    std::optional<json> body = std::nullopt,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    return server_->fetch_sync(path, request(method, std::move(body), std::move(headers)),
                               std::chrono::seconds(30));
  }
  gale::Future<HTTPResponse> call_async(
      const std::string& method, const std::string& path, std::optional<json> body = std::nullopt,
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    return server_->fetch(path, request(method, std::move(body), std::move(headers)));
  }

  // Creates a note and returns it (REQUIREs 201).
  json create(const std::string& slug, json extra = json::object()) {
    json body = extra;
    body["slug"] = slug;
    if (!body.contains("title")) body["title"] = "Title of " + slug;
    auto r = call("POST", "/notes", body);
    INFO(r.body);
    REQUIRE(r.code == 201);
    return r.json();
  }

  std::int64_t count() {
    return gale::IOLoop::current().run_sync([this] { return backend_.count(); },
                                            std::chrono::seconds(30));
  }

  gale::web::testing::TestServer& server() { return *server_; }

 private:
  Backend backend_;
  gale::web::Application app_;
  std::unique_ptr<gale::web::testing::TestServer> server_;
};

using gale::testing::error_message;

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace crud_test
