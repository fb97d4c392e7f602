#include <mongoc/mongoc.h>
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "support/env.hpp"

namespace {
struct MongocInit {
  MongocInit() { mongoc_init(); }
  ~MongocInit() { mongoc_cleanup(); }
};

std::string json_of(const bson_t* doc) {
  char* s = bson_as_relaxed_extended_json(doc, nullptr);
  std::string out(s);
  bson_free(s);
  return out;
}
}  // namespace

TEST_CASE("the local FerretDB answers ping, insert and find over the wire protocol",
          "[mongo][smoke]") {
  MongocInit init;
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(gale::testing::mongo_uri().c_str(), &error);
  REQUIRE(uri != nullptr);
  mongoc_client_t* client = mongoc_client_new_from_uri(uri);
  REQUIRE(client != nullptr);

  bson_t* ping = BCON_NEW("ping", BCON_INT32(1));
  bson_t reply;
  bool ok = mongoc_client_command_simple(client, "admin", ping, nullptr, &reply, &error);
  INFO(error.message);
  CHECK(ok);
  CHECK(json_of(&reply).find("\"ok\" : 1") != std::string::npos);
  bson_destroy(&reply);
  bson_destroy(ping);

  mongoc_collection_t* coll = mongoc_client_get_collection(client, "gale_smoke", "items");
  mongoc_collection_drop(coll, nullptr);
  bson_t* doc = BCON_NEW("name", BCON_UTF8("smoke"), "n", BCON_INT32(7));
  REQUIRE(mongoc_collection_insert_one(coll, doc, nullptr, nullptr, &error));
  bson_t* filter = BCON_NEW("name", BCON_UTF8("smoke"));
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, filter, nullptr, nullptr);
  const bson_t* found = nullptr;
  REQUIRE(mongoc_cursor_next(cursor, &found));
  bson_iter_t it;
  REQUIRE(bson_iter_init_find(&it, found, "n"));
  CHECK(bson_iter_int32(&it) == 7);
  CHECK_FALSE(mongoc_cursor_next(cursor, &found));
  mongoc_cursor_destroy(cursor);
  bson_destroy(filter);
  bson_destroy(doc);
  mongoc_collection_drop(coll, nullptr);
  mongoc_collection_destroy(coll);
  mongoc_client_destroy(client);
  mongoc_uri_destroy(uri);
}
