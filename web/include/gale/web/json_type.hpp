// Declared types (json_fields.hpp) to and from JSON, and their JSON Schema.
//
//   Note n = gale::web::decode<Note>(body);     // ValidationError(400) listing every failure
//   nlohmann::json j = gale::web::encode(n);    // std::optional members that are empty: absent
//   nlohmann::json s = gale::web::json_schema<Note>();   // JSON Schema 2020-12
//
// In a handler: auto note = json_body<Note>(); ... write_json(note);
#pragma once

#include <nlohmann/json.hpp>

#include <utility>

#include "gale/web/impl/json_codec.hpp"
#include "gale/web/json_fields.hpp"
#include "gale/web/validation_error.hpp"

namespace gale::web {

// Reads a T from `value` (moved from where it can be), checking every declared constraint;
// throws ValidationError with every failing field (up to 100) by its JSON Pointer.
template <class T>
T decode(nlohmann::json value) {
  T out{};
  detail::DecodeContext context;
  detail::Codec<T>::read(value, out, detail::no_rules(), context);
  if (context.failed()) throw ValidationError(context.take_errors());
  return out;
}

template <class T>
nlohmann::json encode(const T& value) {
  return detail::Codec<T>::write(value);
}

// The schema of T's JSON, without "$schema" (as OpenAPI 3.1 embeds it).
template <class T>
nlohmann::json schema_of() {
  return detail::Codec<T>::schema(detail::no_rules());
}

// The schema of T's JSON as a document of its own (with "$schema": draft 2020-12).
template <class T>
nlohmann::json json_schema() {
  nlohmann::json s = schema_of<T>();
  s["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  return s;
}

}  // namespace gale::web
