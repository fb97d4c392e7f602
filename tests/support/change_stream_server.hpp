// The server that change-stream tests watch: one with an oplog. FerretDB has no change streams
// ($changeStream is not supported): run against it (GALE_TEST_MONGO_SERVER=ferretdb-*), the case
// says so (a [gale-skip] line) and gives nullopt; it runs in scripts/test's mongo-java-server pass
// instead. Any other GALE_TEST_MONGO_SERVER is watched at GALE_TEST_MONGO_URI; with none set, the
// server at GALE_TEST_MONGO_JAVA_URI (mongo-java-server), skipped visibly when that is unset.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "support/env.hpp"
#include "support/server_skips.hpp"

namespace gale::testing {

inline constexpr const char* kMongoJavaServer = "mongo-java-server";

// {server name, uri}, or nullopt after saying why there is none.
inline std::optional<std::pair<std::string, std::string>> change_stream_server() {
  const std::string server = mongo_server();
  if (server.rfind("ferretdb", 0) == 0) {
    skip_on_mongo_server(server,
                         "FerretDB has no change streams ($changeStream is not supported); these "
                         "cases run against mongo-java-server");
    return std::nullopt;
  }
  if (!server.empty()) return std::make_pair(server, mongo_uri());
  const char* java = std::getenv("GALE_TEST_MONGO_JAVA_URI");
  if (java == nullptr || *java == '\0') {
    say_skip("(none)", "GALE_TEST_MONGO_JAVA_URI is not set: start scripts/services");
    return std::nullopt;
  }
  return std::make_pair(std::string(kMongoJavaServer), std::string(java));
}

}  // namespace gale::testing
