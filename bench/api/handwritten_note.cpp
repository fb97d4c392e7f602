#include "handwritten_note.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "gale/web/http_error.hpp"

namespace bench_api {
namespace {

using crud::NoteFields;

using gale::web::HTTPError;
using nlohmann::json;

constexpr std::size_t kMaxSlug = 100;
constexpr std::size_t kMaxTitle = 200;
constexpr std::size_t kMaxBody = 100000;
constexpr std::size_t kMaxTags = 20;
constexpr std::size_t kMaxTag = 50;

[[noreturn]] void fail(std::string_view field, std::string_view why) {
  throw HTTPError(400, "field '" + std::string(field) + "' " + std::string(why));
}

// Characters (code points) of a valid UTF-8 string: nlohmann's parser has checked the encoding.
std::size_t characters(std::string_view s) noexcept {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string text(const json& v, std::string_view field, std::size_t min, std::size_t max) {
  if (!v.is_string()) fail(field, "must be a string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.find('\0') != std::string::npos) fail(field, "must not contain NUL characters");
  std::size_t n = characters(s);
  if (n < min || n > max) {
    fail(field, "must have " + std::to_string(min) + " to " + std::to_string(max) + " characters");
  }
  return s;
}

std::string slug(const json& v) {
  std::string s = text(v, "slug", 1, kMaxSlug);
  bool ok = s.front() != '-' && s.back() != '-' && std::all_of(s.begin(), s.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            });
  if (!ok) fail("slug", "must be lowercase letters, digits and inner '-' (like \"my-first-note\")");
  return s;
}

std::string title(const json& v) {
  std::string s = text(v, "title", 1, kMaxTitle);
  if (s.find_first_not_of(" \t\r\n") == std::string::npos) fail("title", "must not be blank");
  return s;
}

std::vector<std::string> tags(const json& v) {
  if (!v.is_array()) fail("tags", "must be an array of strings");
  if (v.size() > kMaxTags) fail("tags", "must have at most " + std::to_string(kMaxTags) + " tags");
  std::vector<std::string> out;
  for (const auto& t : v) {
    std::string tag = text(t, "tags", 1, kMaxTag);
    if (std::find(out.begin(), out.end(), tag) != out.end())
      fail("tags", "has '" + tag + "' twice");
    out.push_back(std::move(tag));
  }
  return out;
}

bool read_only(std::string_view key) noexcept {
  return key == "id" || key == "version" || key == "created_at" || key == "updated_at";
}

}  // namespace

NoteFields handwritten_note_fields(const json& body, WriteMode mode) {
  if (!body.is_object()) throw HTTPError(400, "the body must be a JSON object");
  NoteFields f;
  for (const auto& [key, value] : body.items()) {
    if (key == "slug") {
      f.slug = slug(value);
    } else if (key == "title") {
      f.title = title(value);
    } else if (key == "body") {
      f.body = text(value, "body", 0, kMaxBody);
    } else if (key == "tags") {
      f.tags = tags(value);
    } else if (key == "done") {
      if (!value.is_boolean()) fail("done", "must be true or false");
      f.done = value.get<bool>();
    } else if (!read_only(key)) {
      fail(key.substr(0, 64), "is not a field of a note (fields: slug, title, body, tags, done)");
    }
  }
  if (mode == WriteMode::patch) {
    if (!f.slug && !f.title && !f.body && !f.tags && !f.done) {
      throw HTTPError(400, "nothing to change: give at least one of slug, title, body, tags, done");
    }
    return f;
  }
  if (!f.slug) fail("slug", "is required");
  if (!f.title) fail("title", "is required");
  if (!f.body) f.body = "";
  if (!f.tags) f.tags.emplace();
  if (!f.done) f.done = false;
  return f;
}

}  // namespace bench_api
