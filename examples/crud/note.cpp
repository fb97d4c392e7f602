#include "crud/note.hpp"

#include "gale/web/json_type.hpp"

namespace crud {

nlohmann::json to_json(const Note& note) {
  return gale::web::encode(note);
}

std::string etag_of(const Note& note) {
  return "\"" + std::to_string(note.version) + "\"";
}

}  // namespace crud
