// Connection strings of the local services, from the environment that `scripts/services start`
// prints (and scripts/test exports).
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace gale::testing {

inline std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) +
                             " is not set: start the local services with `eval "
                             "\"$(scripts/services start --env)\"` or run scripts/test");
  }
  return value;
}

inline std::string pg_uri() {
  return required_env("GALE_TEST_PG_URI");
}
inline std::string mongo_uri() {
  return required_env("GALE_TEST_MONGO_URI");
}
// Which MongoDB-protocol server that is (ferretdb-postgresql, ferretdb-sqlite), for the few cases
// where servers differ in what they store; "" when not said.
inline std::string mongo_server() {
  const char* s = std::getenv("GALE_TEST_MONGO_SERVER");
  return s ? s : "";
}

}  // namespace gale::testing
