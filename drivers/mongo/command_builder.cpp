#include "gale/mongo/command_builder.hpp"
#include "gale/mongo/bson.hpp"

#include "gale/loop/error.hpp"

namespace gale::mongo::detail {

nlohmann::ordered_json ordered_keys(const nlohmann::json& value) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it) out[it.key()] = it.value();
    return out;
  }
  if (value.is_array()) {
    for (const auto& pair : value) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
        throw Error(ErrorKind::invalid_argument,
                    "a key list must hold [name, direction] pairs, not " + pair.dump());
      }
      out[pair[0].get<std::string>()] = pair[1];
    }
    return out;
  }
  if (value.is_string()) {
    out[value.get<std::string>()] = 1;
    return out;
  }
  throw Error(ErrorKind::invalid_argument, "invalid key specification: " + value.dump());
}

CommandBuilder& CommandBuilder::keys(std::string_view key, const nlohmann::json& value) {
  if (value.is_null() || (value.is_object() && value.empty())) return *this;
  append_json(&b_, key, ordered_keys(value));
  return *this;
}

std::string index_name(const nlohmann::json& keys) {
  std::string out;
  auto ordered = ordered_keys(keys);
  for (auto it = ordered.begin(); it != ordered.end(); ++it) {
    if (!out.empty()) out += '_';
    out += it.key() + "_";
    out += it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
  return out;
}

}  // namespace gale::mongo::detail
