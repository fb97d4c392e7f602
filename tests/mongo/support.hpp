// Shared helpers of the MongoDB tests: a client on the local FerretDB and a database of the
// test's own, dropped afterwards.
#pragma once

#include <unistd.h>

#include <atomic>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "support/env.hpp"

namespace gale::testing {

inline std::string unique_db(const std::string& stem) {
  static std::atomic<int> n{0};
  return "gt_" + stem + "_" + std::to_string(getpid()) + "_" + std::to_string(n++);
}

// Appends options to a URI that may or may not have a '?' already.
inline std::string with_options(std::string uri, const std::string& options) {
  if (options.empty()) return uri;
  if (uri.find('?') == std::string::npos) {
    if (uri.back() != '/') uri += '/';
    uri += '?';
  } else {
    uri += '&';
  }
  return uri + options;
}

}  // namespace gale::testing
