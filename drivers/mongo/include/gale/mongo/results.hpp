// Result types, as PyMongo's.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "gale/mongo/error.hpp"

namespace gale::mongo {

struct InsertOneResult {
  nlohmann::json inserted_id;
  bool acknowledged = true;
};

struct InsertManyResult {
  std::vector<nlohmann::json> inserted_ids;
  bool acknowledged = true;
};

struct UpdateResult {
  std::int64_t matched_count = 0;
  std::int64_t modified_count = 0;
  nlohmann::json upserted_id;  // null unless an upsert inserted
  bool acknowledged = true;
};

struct DeleteResult {
  std::int64_t deleted_count = 0;
  bool acknowledged = true;
};

struct BulkWriteResult {
  std::int64_t inserted_count = 0;
  std::int64_t matched_count = 0;
  std::int64_t modified_count = 0;
  std::int64_t deleted_count = 0;
  std::int64_t upserted_count = 0;
  std::map<std::size_t, nlohmann::json> upserted_ids;  // by request index
  std::vector<nlohmann::json> inserted_ids;
  bool acknowledged = true;
  nlohmann::json to_json() const;
};

}  // namespace gale::mongo
