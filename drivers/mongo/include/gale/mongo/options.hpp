// Options of the Collection calls, named as in PyMongo/Motor. `timeout` is the operation's
// client-side deadline: past it the socket is closed and the call fails with Error(timeout); on
// reads it is also sent as maxTimeMS so that the server stops too.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gale/loop/io_loop.hpp"
#include "gale/mongo/settings.hpp"

namespace gale::mongo {

using json = nlohmann::json;

struct FindOptions {
  // {"field": 1} or, for a compound order, [["a", 1], ["b", -1]] (a list of pairs keeps its order).
  json sort{};
  json projection{};
  std::int64_t skip = 0;
  std::int64_t limit = 0;  // 0: no limit; negative: one batch of -limit documents
  std::int32_t batch_size = 0;
  json hint{};  // index name or key pattern
  std::optional<std::int64_t> max_time_ms{};
  json collation{};
  std::optional<Clock::duration> timeout{};
  std::optional<ReadPreference> read_preference{};
};

struct InsertOptions {
  bool ordered = true;  // insert_many: stop at the first error
  bool bypass_document_validation = false;
  std::optional<WriteConcern> write_concern{};
  std::optional<Clock::duration> timeout{};
};

struct UpdateOptions {
  bool upsert = false;
  json array_filters{};
  json hint{};
  json collation{};
  std::optional<WriteConcern> write_concern{};
  std::optional<Clock::duration> timeout{};
};

struct DeleteOptions {
  json hint{};
  json collation{};
  std::optional<WriteConcern> write_concern{};
  std::optional<Clock::duration> timeout{};
};

struct CountOptions {
  std::int64_t skip = 0;
  std::int64_t limit = 0;
  json hint{};
  std::optional<std::int64_t> max_time_ms{};
  std::optional<Clock::duration> timeout{};
};

struct AggregateOptions {
  std::int32_t batch_size = 0;
  bool allow_disk_use = false;
  std::optional<std::int64_t> max_time_ms{};
  json hint{};
  json collation{};
  std::optional<Clock::duration> timeout{};
};

enum class ReturnDocument { before, after };

struct FindOneAndOptions {
  json sort{};
  json projection{};
  bool upsert = false;
  ReturnDocument return_document = ReturnDocument::before;
  json array_filters{};
  json hint{};
  std::optional<std::int64_t> max_time_ms{};
  std::optional<WriteConcern> write_concern{};
  std::optional<Clock::duration> timeout{};
};

struct IndexOptions {
  std::string name{};  // default: derived from the keys ("a_1_b_-1")
  bool unique = false;
  bool sparse = false;
  std::optional<std::int64_t> expire_after_seconds{};
  json partial_filter_expression{};
  json extra{};  // any other index option, merged as is
};

struct IndexModel {
  json keys{};  // {"a": 1} or [["a", 1], ["b", -1]]
  IndexOptions options{};
};

struct BulkWriteOptions {
  bool ordered = true;
  bool bypass_document_validation = false;
  std::optional<WriteConcern> write_concern{};
  std::optional<Clock::duration> timeout{};
};

// A BSON Timestamp (the oplog's clock): seconds since the epoch and an ordinal within the second.
// In Extended JSON: {"$timestamp": {"t": t, "i": i}}.
struct Timestamp {
  std::uint32_t t = 0;
  std::uint32_t i = 0;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

// Options of watch() (Collection, Database, Client), named as in the change-streams spec. The
// driver sends what is set and leaves the values to the server (an unknown full_document is the
// server's error). resume_after, start_after and start_at_operation_time are mutually exclusive:
// the server says so if two are set.
struct ChangeStreamOptions {
  // "" (the server's default: updates carry a delta only), "updateLookup" (updates also carry the
  // document as it is now), "whenAvailable", "required" (post-images, MongoDB 6.0+).
  std::string full_document{};
  // "" / "off", "whenAvailable", "required" (pre-images, MongoDB 6.0+).
  std::string full_document_before_change{};
  json resume_after{};  // a resume token: the events after it
  json start_after{};   // a resume token: the events after it, even past an invalidate
  std::optional<Timestamp> start_at_operation_time{};  // the events at or after this time
  std::int32_t batch_size = 0;                         // 0: the server's default
  // How long the server holds a getMore open waiting for events (maxTimeMS on getMore); unset: the
  // server's default (1 s).
  std::optional<std::chrono::milliseconds> max_await_time{};
  json collation{};
  bool show_expanded_events = false;
  // Each command's client-side deadline (aggregate, each getMore); unset: the client's default.
  // Keep it above max_await_time.
  std::optional<Clock::duration> timeout{};
  std::optional<ReadPreference> read_preference{};  // also used to select a server to resume on
};

struct CommandOptions {
  std::optional<ReadPreference> read_preference{};  // run_command: primary unless given
  std::optional<Clock::duration> timeout{};
};

}  // namespace gale::mongo
