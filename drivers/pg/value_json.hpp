// Conversion of values in PostgreSQL's text format to JSON, by type OID (see result.hpp).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gale/pg/oids.hpp"
#include "gale/pg/type_catalog.hpp"

namespace gale::pg::detail {

// `catalog` (may be null) tells what non-built-in types are: domains convert as their base type,
// arrays of any known element type as arrays; anything else unknown gives its text.
nlohmann::json value_to_json(oid::Oid type, std::string_view text,
                             const TypeCatalog* catalog = nullptr);

// "2024-01-02 03:04:05.5+01" -> "2024-01-02T03:04:05.5+01:00" (timestamp, timestamptz, timetz).
std::string iso_timestamp(std::string_view text);

// bytea in either output format (hex "\x0102" or escape) -> bytes; throws Error(internal) if bad.
std::vector<std::uint8_t> decode_bytea(std::string_view text);
std::string base64(const std::vector<std::uint8_t>& bytes);

// An array literal ("{1,NULL,{2}}", "[0:1]={a,b}") -> a JSON array, each element converted as
// `element` (nested arrays for more dimensions).
nlohmann::json array_to_json(oid::Oid element, std::string_view text,
                             const TypeCatalog* catalog = nullptr);

}  // namespace gale::pg::detail
