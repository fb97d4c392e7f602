// Compact JSON text of a nlohmann::json value, appended to a string: the bytes value.dump() gives
// (strict about UTF-8), written straight into the string, without the output adapter and locale
// look-up nlohmann's serializer sets up on every call. Responses serialize through it.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace gale::web::detail {

// Appends value.dump() to `out`. Throws what dump() throws (nlohmann::json::type_error 316 for a
// string that is not UTF-8), and then leaves `out` as it was.
void append_json(std::string& out, const nlohmann::json& value);

}  // namespace gale::web::detail
