#include "gale/pg/type_catalog.hpp"

#include <libpq-fe.h>

#include <algorithm>

#include "gale/pg/result.hpp"

namespace gale::pg::detail {
namespace {

// Types below this OID come with PostgreSQL (FirstNormalObjectId).
constexpr oid::Oid kFirstUserOid = 16384;

}  // namespace

std::vector<long long> TypeCatalogHolder::unknown_columns(const pg_result* result) const {
  std::vector<long long> out;
  int columns = PQnfields(result);
  for (int c = 0; c < columns; ++c) {
    oid::Oid type = PQftype(result, c);
    if (type < kFirstUserOid || current_->find(type) != nullptr) continue;
    if (std::find(out.begin(), out.end(), static_cast<long long>(type)) == out.end()) {
      out.push_back(type);
    }
  }
  return out;
}

const std::string& TypeCatalogHolder::lookup_sql() {
  static const std::string sql =
      "WITH RECURSIVE t AS (SELECT oid, typtype, typcategory, typelem, typbasetype FROM "
      "pg_catalog.pg_type WHERE oid = ANY($1::pg_catalog.oid[]) UNION SELECT p.oid, p.typtype, "
      "p.typcategory, p.typelem, p.typbasetype FROM pg_catalog.pg_type p JOIN t ON p.oid = "
      "t.typelem OR p.oid = t.typbasetype) SELECT oid::int8, typtype::text, typcategory::text, "
      "typelem::int8, typbasetype::int8 FROM t";
  return sql;
}

void TypeCatalogHolder::learn(const Result& rows, const std::vector<long long>& asked) {
  auto next = std::make_shared<TypeCatalog>(*current_);
  for (auto oid : asked) next->types.try_emplace(static_cast<oid::Oid>(oid));
  for (auto row : rows) {
    auto type = static_cast<oid::Oid>(row[std::size_t{0}].as<long long>());
    auto typtype = row[1].as<std::string>();
    auto category = row[2].as<std::string>();
    auto element = static_cast<oid::Oid>(row[3].as<long long>());
    auto base = static_cast<oid::Oid>(row[4].as<long long>());
    TypeCatalog::Type t;
    if (typtype == "d" && base != 0) {
      t = {'d', base};
    } else if (category == "A" && element != 0) {
      t = {'a', element};
    }
    next->types[type] = t;
  }
  current_ = std::move(next);
}

}  // namespace gale::pg::detail
