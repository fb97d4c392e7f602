// One client per database per process: each client owns a pool for the life of the process, so a
// second client for the same server doubles the connections and splits the pool. ClientRegistration
// counts the clients per (kind, address) and warns, once per extra client, when that happens.
#pragma once

#include <string>

namespace gale {

class ClientRegistration {
 public:
  // `kind` names the database ("PostgreSQL"); `address` must carry no password.
  ClientRegistration(std::string kind, std::string address);
  ~ClientRegistration();
  ClientRegistration(const ClientRegistration&) = delete;
  ClientRegistration& operator=(const ClientRegistration&) = delete;

  // Clients alive now for this kind and address.
  static int live(const std::string& kind, const std::string& address);

 private:
  std::string key_;
};

}  // namespace gale
