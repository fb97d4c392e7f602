// Skipping a test case, or the part of one that follows, on one MongoDB-protocol server that cannot
// pass it, never silently: the skip prints `[gale-skip] <server>: "<test case>": <why>` to stdout
// (scripts/test gathers these lines from the CTest log and prints them at the end) and warns
// through Catch. `why` names what the server lacks or does differently from MongoDB.
#pragma once

#include <catch2/catch.hpp>

#include <iostream>
#include <string>

#include "support/env.hpp"

namespace gale::testing {

// Says that the current case (or its part that follows) is skipped on `server`, and why.
inline void say_skip(const std::string& server, const std::string& why) {
  std::cout << "[gale-skip] " << server << ": \"" << Catch::getResultCapture().getCurrentTestName()
            << "\": " << why << std::endl;
  WARN("skipped on " << server << ": " << why);
}

// True when the tests run against `server` (GALE_TEST_MONGO_SERVER), after saying so; the caller
// then returns from the case, or leaves out the part that server cannot pass.
inline bool skip_on_mongo_server(const std::string& server, const char* why) {
  if (mongo_server() != server) return false;
  say_skip(server, why);
  return true;
}

}  // namespace gale::testing
