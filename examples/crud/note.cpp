#include "crud/note.hpp"

namespace crud {

nlohmann::json to_json(const Note& note) {
  nlohmann::json j;
  j["id"] = note.id;
  j["slug"] = note.slug;
  j["title"] = note.title;
  j["body"] = note.body;
  j["tags"] = note.tags;
  j["done"] = note.done;
  j["created_at"] = note.created_at;
  j["updated_at"] = note.updated_at;
  j["version"] = note.version;
  return j;
}

std::string etag_of(const Note& note) {
  return "\"" + std::to_string(note.version) + "\"";
}

}  // namespace crud
