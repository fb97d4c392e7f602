#include "gale/pool/client_registry.hpp"

#include <map>
#include <mutex>

#include "gale/loop/log.hpp"

namespace gale {
namespace {

std::mutex g_mutex;
std::map<std::string, int>& registry() {
  static std::map<std::string, int> clients;
  return clients;
}

}  // namespace

ClientRegistration::ClientRegistration(std::string kind, std::string address)
    : key_(kind + " " + address) {
  int count = 0;
  {
    std::lock_guard lock(g_mutex);
    count = ++registry()[key_];
  }
  if (count > 1) {
    log::warning("gale.pool",
                 "{} clients for {} {} now exist in this process. Each client owns its own "
                 "connection pool for its whole life, so every extra client multiplies the "
                 "connections to the server and none of them share a pool. Create one client per "
                 "process at start-up and pass it to the handlers; never one per request.",
                 count, kind, address);
  }
}

ClientRegistration::~ClientRegistration() {
  std::lock_guard lock(g_mutex);
  auto it = registry().find(key_);
  if (it != registry().end() && --it->second == 0) registry().erase(it);
}

int ClientRegistration::live(const std::string& kind, const std::string& address) {
  std::lock_guard lock(g_mutex);
  auto it = registry().find(kind + " " + address);
  return it == registry().end() ? 0 : it->second;
}

}  // namespace gale
