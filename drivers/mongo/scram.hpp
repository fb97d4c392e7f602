// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802 / 7677) as MongoDB uses them: the client side of the
// conversation, with OpenSSL for PBKDF2, HMAC and the hashes, and SASLprep (ICU) for SHA-256
// passwords. Pure: the caller carries the messages (saslStart / saslContinue).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gale::mongo {

enum class ScramHash { sha1, sha256 };

// SASLprep (RFC 4013) of a password or user name; throws Error(invalid_argument) on prohibited
// characters. ASCII without control characters comes back unchanged without ICU.
std::string saslprep(std::string_view text);

// The salted password: PBKDF2-HMAC(password, salt, iterations). CPU-heavy (thousands of rounds):
// run it off the loop, and cache it.
std::vector<std::uint8_t> scram_salted_password(ScramHash hash, std::string_view prepared_password,
                                                const std::vector<std::uint8_t>& salt,
                                                int iterations);

class ScramConversation {
 public:
  // `nonce` is the client nonce (random base64 when empty).
  ScramConversation(ScramHash hash, std::string username, std::string password,
                    std::string nonce = {});

  // "n,,n=user,r=<nonce>"
  std::string client_first() const;

  // Reads the server-first message ("r=...,s=...,i=..."); checks the nonce and the iteration
  // count. Afterwards salt()/iterations() tell what to derive.
  void read_server_first(std::string_view message);
  const std::vector<std::uint8_t>& salt() const noexcept { return salt_; }
  int iterations() const noexcept { return iterations_; }
  // The password as SCRAM hashes it: SASLprep'd (SHA-256) or MongoDB's MD5 digest (SHA-1).
  std::string prepared_password() const;

  // "c=biws,r=...,p=<proof>" from the salted password.
  std::string client_final(const std::vector<std::uint8_t>& salted_password);

  // Checks the server's signature ("v=..."); throws MongoError(unauthorized) on a mismatch or an
  // "e=..." error.
  void verify_server_final(std::string_view message) const;

 private:
  ScramHash hash_;
  std::string username_;
  std::string password_;
  std::string nonce_;
  std::string server_first_;
  std::string server_nonce_;
  std::vector<std::uint8_t> salt_;
  int iterations_ = 0;
  std::vector<std::uint8_t> server_signature_;
};

std::string base64_encode(const std::uint8_t* data, std::size_t size);
std::vector<std::uint8_t> base64_decode(std::string_view text);  // throws Error(invalid_argument)

}  // namespace gale::mongo

namespace gale::mongo {

// Salted passwords by (mechanism, user, password digest, salt, iterations), so that each new
// connection does not redo thousands of PBKDF2 rounds. Bounded; thread-safe.
class ScramCache {
 public:
  std::optional<std::vector<std::uint8_t>> get(const std::string& key) const;
  void put(const std::string& key, std::vector<std::uint8_t> value);
  // The cache key; holds a digest of the password, never the password.
  static std::string key_for(ScramHash hash, std::string_view username, std::string_view password,
                             const std::vector<std::uint8_t>& salt, int iterations);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::uint8_t>> entries_;
};

}  // namespace gale::mongo
