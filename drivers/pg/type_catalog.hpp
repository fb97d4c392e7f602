// TypeCatalog: what the client learned from pg_type about types that are not built in (enums,
// domains, arrays of them), so that results convert to JSON by what those types are: a domain
// as its base type, an array of enums or domains as a JSON array. (detail)
//
// A client's catalog starts empty; a result with a column of a type the catalog does not know
// makes its connection look that type up (one pipelined query, once per type) before the result is
// handed over.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gale/pg/oids.hpp"

struct pg_result;

namespace gale::pg {
class Result;
}

namespace gale::pg::detail {

struct TypeCatalog {
  struct Type {
    char kind = 'o';  // 'a' array of `target`, 'd' domain over `target`, 'o' anything else
    oid::Oid target = 0;
  };
  std::unordered_map<oid::Oid, Type> types;

  const Type* find(oid::Oid type) const {
    auto it = types.find(type);
    return it == types.end() ? nullptr : &it->second;
  }
};

// The catalog a client's connections share; replaced (never changed in place) when it grows, so a
// Result keeps the one it was made with.
class TypeCatalogHolder {
 public:
  std::shared_ptr<const TypeCatalog> current() const { return current_; }
  // The OIDs of `result`'s columns that are not built in and not in the catalog yet.
  std::vector<long long> unknown_columns(const pg_result* result) const;
  // The SQL that looks types up (and, recursively, their element and base types); $1 is int8[].
  static const std::string& lookup_sql();
  // Adds what the lookup returned, and marks every OID asked for as known.
  void learn(const Result& rows, const std::vector<long long>& asked);

 private:
  std::shared_ptr<const TypeCatalog> current_ = std::make_shared<TypeCatalog>();
};

}  // namespace gale::pg::detail
