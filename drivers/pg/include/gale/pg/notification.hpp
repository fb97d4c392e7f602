// A NOTIFY received on a LISTEN channel; gap = true marks a place where notifications may have been
// lost (the listening connection was re-established, or the consumer fell too far behind).
#pragma once

#include <string>

namespace gale::pg {

struct Notification {
  std::string channel;
  std::string payload;
  int pid = 0;  // the backend that sent it
  bool gap = false;
};

}  // namespace gale::pg
