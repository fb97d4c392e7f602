// PostgreSQL result -> JSON: a PGresult made with libpq's own result builders (PQsetResultAttrs,
// PQsetvalue) from the fuzzer's bytes, with columns of built-in types, arrays, and types a
// TypeCatalog describes (domains, arrays of domains, enums), then converted as a query's result
// is: Result::to_json() and the typed reads of Field::as<T>(). Values that PostgreSQL would never
// send must give a gale::Error, not a crash, a hang or another exception. Text is valid UTF-8, as
// the server guarantees with client_encoding=UTF8 (which gale sets); other inputs are skipped.
#include <fuzzer/FuzzedDataProvider.h>
#include <libpq-fe.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gale/loop/error.hpp"
#include "gale/pg/result.hpp"
#include "gale/pg/type_catalog.hpp"

namespace {

namespace oid = gale::pg::oid;

constexpr std::array<oid::Oid, 42> kTypes = {
    oid::bool_, oid::bytea, oid::char_, oid::name, oid::int8, oid::int2, oid::int4, oid::text,
    oid::oid, oid::xid, oid::json, oid::float4, oid::float8, oid::money, oid::bpchar, oid::varchar,
    oid::date, oid::time, oid::timestamp, oid::timestamptz, oid::interval, oid::timetz,
    oid::numeric, oid::uuid, oid::jsonb, 1000, 1001, 1005, 1007, 1009, 1016, 1021, 1022, 1115, 1185,
    1231, 3807, 199,
    // Types of the catalog below: a domain over int4, a domain over that domain, an array of the
    // domain, an enum.
    90001, 90002, 90003, 90004};

std::shared_ptr<const gale::pg::detail::TypeCatalog> make_catalog() {
  auto c = std::make_shared<gale::pg::detail::TypeCatalog>();
  c->types[90001] = {'d', oid::int4};
  c->types[90002] = {'d', 90001};
  c->types[90003] = {'a', 90001};
  c->types[90004] = {'o', 0};
  return c;
}

bool utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

template <class T>
void read_as(const gale::pg::Field& f) {
  try {
    (void)f.as<std::optional<T>>();
  } catch (const gale::Error&) {
    // text that does not parse as T
  }
}

void convert(const gale::pg::Result& result) {
  try {
    (void)result.to_json().dump();
  } catch (const gale::Error&) {
  }
  for (auto row : result) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      auto f = row[c];
      read_as<std::int64_t>(f);
      read_as<std::int16_t>(f);
      read_as<double>(f);
      read_as<bool>(f);
      read_as<std::vector<std::uint8_t>>(f);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto catalog = make_catalog();
  FuzzedDataProvider in(data, size);
  int columns = in.ConsumeIntegralInRange(1, 4);
  int rows = in.ConsumeIntegralInRange(0, 3);
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(columns));  // attrs point into these strings
  std::vector<PGresAttDesc> attrs(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) {
    names.push_back(in.ConsumeRandomLengthString(16));
    if (!utf8(names.back())) return 0;
    auto& a = attrs[static_cast<std::size_t>(c)];
    a = PGresAttDesc{};
    a.name = names.back().data();
    a.typid = in.PickValueInArray(kTypes);
    a.typlen = -1;
    a.atttypmod = -1;
  }
  PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
  if (r == nullptr || PQsetResultAttrs(r, columns, attrs.data()) == 0) std::abort();
  for (int row = 0; row < rows; ++row) {
    for (int c = 0; c < columns; ++c) {
      bool null = in.ConsumeIntegralInRange(0, 7) == 0;
      std::string value = in.ConsumeRandomLengthString(256);
      if (!utf8(value)) {
        PQclear(r);
        return 0;
      }
      if (PQsetvalue(r, row, c, null ? nullptr : value.data(),
                     null ? -1 : static_cast<int>(value.size())) == 0) {
        std::abort();
      }
    }
  }
  gale::pg::Result result(r, catalog);
  convert(result);
  return 0;
}
