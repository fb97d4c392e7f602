// MongoError: a gale::Error that keeps what the server said (code, codeName, errmsg, errorLabels)
// and, for writes, the per-index write errors. Its kind follows the server code:
//   11000/11001/12582 duplicate; 50 MaxTimeMSExpired timeout; 13/18/... auth failures unauthorized;
//   network errors, NotWritablePrimary and friends, server-selection timeouts unavailable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gale/loop/error.hpp"

namespace gale::mongo {

// One failed write of a batch (insert_many, bulk_write, update/delete): the request's index.
struct WriteError {
  std::size_t index = 0;
  int code = 0;
  std::string errmsg;
  nlohmann::json details;  // errInfo, keyValue, ... (may be null)
};

class MongoError : public Error {
 public:
  MongoError(ErrorKind kind, const std::string& message, int code = 0, std::string code_name = {},
             std::vector<std::string> labels = {});

  int code() const noexcept { return code_; }
  const std::string& code_name() const noexcept { return code_name_; }
  const std::string& errmsg() const noexcept { return errmsg_; }
  const std::vector<std::string>& error_labels() const noexcept { return labels_; }
  bool has_label(std::string_view label) const noexcept;
  void add_label(std::string label);

  // Write errors per index (empty unless the failure came from a write batch).
  const std::vector<WriteError>& write_errors() const noexcept { return write_errors_; }
  // The part of the batch that did succeed, as a result document (bulk_write / insert_many).
  const nlohmann::json& partial_result() const noexcept { return partial_; }
  void set_write_errors(std::vector<WriteError> errors, nlohmann::json partial);

  // A network error (socket closed, reset, timed out while reading a reply).
  bool network_error() const noexcept { return network_; }
  void set_network_error(bool yes) noexcept { network_ = yes; }

 private:
  int code_;
  std::string code_name_;
  std::string errmsg_;
  std::vector<std::string> labels_;
  std::vector<WriteError> write_errors_;
  nlohmann::json partial_;
  bool network_ = false;
};

// The kind a server error code maps to.
ErrorKind kind_for_code(int code) noexcept;

// Codes the retryable-writes and retryable-reads specs retry on, and the "not primary" /
// "node is recovering" families that mark a server Unknown.
bool is_retryable_code(int code) noexcept;
bool is_not_primary_code(int code) noexcept;
bool is_recovering_code(int code) noexcept;

// The change-streams spec's "Resumable Error", for an error of a getMore on a server of
// `max_wire_version`: a network error or a client-side timeout; CursorNotFound (43); from wire
// version 9 (MongoDB 4.4) the ResumableChangeStreamError label, before it the spec's list of codes.
bool is_resumable_change_stream_error(const MongoError& e, int max_wire_version) noexcept;

// A network failure talking to `address`: kind unavailable, label NetworkError.
MongoError network_error(const std::string& address, const std::string& what);

}  // namespace gale::mongo
