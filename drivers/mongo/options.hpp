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

struct CommandOptions {
  std::optional<ReadPreference> read_preference{};  // run_command: primary unless given
  std::optional<Clock::duration> timeout{};
};

}  // namespace gale::mongo
