#include "gale/mongo/scram.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include <cstring>

#include "gale/mongo/error.hpp"

namespace gale::mongo {
namespace {

[[noreturn]] void auth_error(const std::string& what) {
  throw MongoError(ErrorKind::unauthorized, "SCRAM authentication failed: " + what, 18,
                   "AuthenticationFailed");
}

const EVP_MD* md_of(ScramHash h) {
  return h == ScramHash::sha1 ? EVP_sha1() : EVP_sha256();
}

std::vector<std::uint8_t> hmac(ScramHash h, const std::vector<std::uint8_t>& key,
                               std::string_view data) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  HMAC(md_of(h), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &n);
  out.resize(n);
  return out;
}

std::vector<std::uint8_t> digest(ScramHash h, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, md_of(h), nullptr);
  out.resize(n);
  return out;
}

std::string md5_hex(std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), out, &n, EVP_md5(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

// "=" and "," in a SCRAM user name are escaped as "=3D" and "=2C".
std::string escape_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == '=') {
      out += "=3D";
    } else if (c == ',') {
      out += "=2C";
    } else {
      out += c;
    }
  }
  return out;
}

// The value of "k=" in a SCRAM message, or "".
std::string attr(std::string_view message, char key) {
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto end = message.find(',', pos);
    if (end == std::string_view::npos) end = message.size();
    if (end - pos >= 2 && message[pos] == key && message[pos + 1] == '=') {
      return std::string(message.substr(pos + 2, end - pos - 2));
    }
    pos = end + 1;
  }
  return {};
}

bool plain_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7f) return false;
  return true;
}

}  // namespace

std::string base64_encode(const std::uint8_t* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) throw Error(ErrorKind::invalid_argument, "invalid base64");
  std::vector<std::uint8_t> out(text.size() / 4 * 3 + 1);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) throw Error(ErrorKind::invalid_argument, "invalid base64");
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string saslprep(std::string_view text) {
  if (plain_ascii(text)) return std::string(text);
  UErrorCode status = U_ZERO_ERROR;
  UStringPrepProfile* profile = usprep_openByType(USPREP_RFC4013_SASLPREP, &status);
  if (U_FAILURE(status)) throw Error(ErrorKind::internal, "SASLprep profile unavailable");
  std::vector<UChar> src(text.size() + 1);
  int32_t src_len = 0;
  u_strFromUTF8(src.data(), static_cast<int32_t>(src.size()), &src_len, text.data(),
                static_cast<int32_t>(text.size()), &status);
  std::vector<UChar> dst(src_len * 4 + 16);
  UParseError parse_error;
  int32_t dst_len = 0;
  if (U_SUCCESS(status)) {
    dst_len =
        usprep_prepare(profile, src.data(), src_len, dst.data(), static_cast<int32_t>(dst.size()),
                       USPREP_DEFAULT, &parse_error, &status);
  }
  usprep_close(profile);
  if (U_FAILURE(status)) {
    throw Error(ErrorKind::invalid_argument, "the password holds characters SASLprep prohibits");
  }
  std::string out(static_cast<std::size_t>(dst_len) * 4 + 4, '\0');
  int32_t out_len = 0;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_len, dst.data(), dst_len, &status);
  if (U_FAILURE(status)) throw Error(ErrorKind::invalid_argument, "SASLprep failed");
  out.resize(static_cast<std::size_t>(out_len));
  return out;
}

std::vector<std::uint8_t> scram_salted_password(ScramHash hash, std::string_view password,
                                                const std::vector<std::uint8_t>& salt,
                                                int iterations) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(EVP_MD_get_size(md_of(hash))));
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                    static_cast<int>(salt.size()), iterations, md_of(hash),
                    static_cast<int>(out.size()), out.data());
  return out;
}

ScramConversation::ScramConversation(ScramHash hash, std::string username, std::string password,
                                     std::string nonce)
    : hash_(hash),
      username_(std::move(username)),
      password_(std::move(password)),
      nonce_(std::move(nonce)) {
  if (nonce_.empty()) {
    std::uint8_t raw[24];
    if (RAND_bytes(raw, sizeof raw) != 1) throw Error(ErrorKind::internal, "no random bytes");
    nonce_ = base64_encode(raw, sizeof raw);
  }
}

std::string ScramConversation::client_first() const {
  return "n,,n=" + escape_name(username_) + ",r=" + nonce_;
}

std::string ScramConversation::prepared_password() const {
  if (hash_ == ScramHash::sha1) return md5_hex(username_ + ":mongo:" + password_);
  return saslprep(password_);
}

void ScramConversation::read_server_first(std::string_view message) {
  server_first_ = std::string(message);
  if (auto e = attr(message, 'e'); !e.empty()) auth_error("server error " + e);
  server_nonce_ = attr(message, 'r');
  if (server_nonce_.size() <= nonce_.size() ||
      server_nonce_.compare(0, nonce_.size(), nonce_) != 0) {
    auth_error("the server nonce does not extend the client nonce");
  }
  try {
    salt_ = base64_decode(attr(message, 's'));
  } catch (const Error&) {
    auth_error("the server sent an invalid salt");
  }
  std::string i = attr(message, 'i');
  try {
    iterations_ = std::stoi(i);
  } catch (...) {
    iterations_ = 0;
  }
  if (iterations_ < 4096) auth_error("the server asked for too few iterations (" + i + ")");
}

std::string ScramConversation::client_final(const std::vector<std::uint8_t>& salted) {
  std::string without_proof = "c=biws,r=" + server_nonce_;
  std::string auth_message = client_first().substr(3) + "," + server_first_ + "," + without_proof;
  auto client_key = hmac(hash_, salted, "Client Key");
  auto stored_key = digest(hash_, client_key);
  auto signature = hmac(hash_, stored_key, auth_message);
  std::vector<std::uint8_t> proof(client_key.size());
  for (std::size_t k = 0; k < proof.size(); ++k) proof[k] = client_key[k] ^ signature[k];
  auto server_key = hmac(hash_, salted, "Server Key");
  server_signature_ = hmac(hash_, server_key, auth_message);
  return without_proof + ",p=" + base64_encode(proof.data(), proof.size());
}

void ScramConversation::verify_server_final(std::string_view message) const {
  if (auto e = attr(message, 'e'); !e.empty()) auth_error("server error " + e);
  std::vector<std::uint8_t> v;
  try {
    v = base64_decode(attr(message, 'v'));
  } catch (const Error&) {
    auth_error("the server signature is not base64");
  }
  if (v.size() != server_signature_.size() ||
      CRYPTO_memcmp(v.data(), server_signature_.data(), v.size()) != 0) {
    auth_error("the server signature does not match: the server may not know this password");
  }
}

}  // namespace gale::mongo

namespace gale::mongo {

std::optional<std::vector<std::uint8_t>> ScramCache::get(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void ScramCache::put(const std::string& key, std::vector<std::uint8_t> value) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= 64) entries_.erase(entries_.begin());
  entries_[key] = std::move(value);
}

std::string ScramCache::key_for(ScramHash hash, std::string_view username,
                                std::string_view password, const std::vector<std::uint8_t>& salt,
                                int iterations) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(password.data(), password.size(), out, &n, EVP_sha256(), nullptr);
  std::string key = hash == ScramHash::sha1 ? "1:" : "256:";
  key += std::string(username) + ":" + base64_encode(out, n) + ":" +
         base64_encode(salt.data(), salt.size()) + ":" + std::to_string(iterations);
  return key;
}

}  // namespace gale::mongo
