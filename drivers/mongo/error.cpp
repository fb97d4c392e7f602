#include "gale/mongo/error.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace gale::mongo {

MongoError::MongoError(ErrorKind kind, const std::string& message, int code, std::string code_name,
                       std::vector<std::string> labels)
    : Error(kind, message),
      code_(code),
      code_name_(std::move(code_name)),
      errmsg_(message),
      labels_(std::move(labels)) {
  if (kind == ErrorKind::unavailable) set_client_message(std::string(kDatabaseUnavailable));
  if (kind == ErrorKind::duplicate) {
    // "E11000 duplicate key error collection: db.users index: email_1 dup key: { ... }"
    auto at = errmsg_.find(" index: ");
    if (at != std::string::npos) {
      at += 8;
      auto end = errmsg_.find(' ', at);
      set_constraint(errmsg_.substr(at, end == std::string::npos ? end : end - at));
    }
  }
}

bool MongoError::has_label(std::string_view label) const noexcept {
  return std::find(labels_.begin(), labels_.end(), label) != labels_.end();
}

void MongoError::add_label(std::string label) {
  if (!has_label(label)) labels_.push_back(std::move(label));
}

void MongoError::set_write_errors(std::vector<WriteError> errors, nlohmann::json partial) {
  write_errors_ = std::move(errors);
  partial_ = std::move(partial);
}

namespace {
constexpr std::array kNotPrimary = {10107, 13435, 10058};
constexpr std::array kRecovering = {11600, 11602, 13436, 189, 91};
constexpr std::array kRetryable = {11600, 11602, 10107, 13435, 13436, 189, 91, 7, 6, 89, 9001, 262};
constexpr std::array kDuplicate = {11000, 11001, 12582};
constexpr std::array kUnauthorized = {18, 11, 33, 34};  // AuthenticationFailed, UserNotFound, ...

template <std::size_t N>
bool among(const std::array<int, N>& codes, int code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}
}  // namespace

bool is_not_primary_code(int code) noexcept {
  return among(kNotPrimary, code);
}
bool is_recovering_code(int code) noexcept {
  return among(kRecovering, code);
}
bool is_retryable_code(int code) noexcept {
  return among(kRetryable, code);
}

bool is_resumable_change_stream_error(const MongoError& e, int max_wire_version) noexcept {
  // HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
  // ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown,
  // InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary,
  // StaleShardVersion, StaleEpoch, StaleConfig, RetryChangeStream, FailedToSatisfyReadPreference.
  static constexpr std::array kResumable = {6,     7,     89,    91, 189, 262,   9001, 10107, 11600,
                                            11602, 13435, 13436, 63, 150, 13388, 234,  133};
  if (e.network_error()) return true;
  // Not a server error: the deadline passed before the command was sent, no server was selected.
  if (e.code() == 0) return e.kind() == ErrorKind::timeout || e.kind() == ErrorKind::unavailable;
  if (e.code() == 43) return true;  // CursorNotFound
  if (max_wire_version >= 9) return e.has_label("ResumableChangeStreamError");
  return among(kResumable, e.code());
}

ErrorKind kind_for_code(int code) noexcept {
  if (among(kDuplicate, code)) return ErrorKind::duplicate;
  if (code == 50 || code == 262) return ErrorKind::timeout;  // MaxTimeMSExpired, ExceededTimeLimit
  if (among(kUnauthorized, code)) return ErrorKind::unauthorized;
  if (code == 13) return ErrorKind::forbidden;  // Unauthorized: authenticated, not allowed
  if (is_not_primary_code(code) || is_recovering_code(code) || code == 6 || code == 7 ||
      code == 89 || code == 9001) {
    return ErrorKind::unavailable;
  }
  if (code == 26) return ErrorKind::not_found;                 // NamespaceNotFound
  if (code == 112 || code == 251) return ErrorKind::conflict;  // WriteConflict, NoSuchTransaction
  if (code == 2 || code == 9 || code == 14 || code == 20 || code == 22 || code == 40 ||
      code == 52 || code == 67 || code == 73 || code == 85 || code == 86 || code == 10334 ||
      code == 17280 || code == 16755 || code == 2 || code == 4 || code == 5 || code == 28) {
    return ErrorKind::invalid_argument;
  }
  return ErrorKind::internal;
}

MongoError network_error(const std::string& address, const std::string& what) {
  MongoError e(ErrorKind::unavailable, "MongoDB " + address + ": " + what, 0, "NetworkError",
               {"NetworkError"});
  e.set_network_error(true);
  return e;
}

}  // namespace gale::mongo
