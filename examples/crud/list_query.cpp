#include "crud/list_query.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "crud/note_id.hpp"
#include "crud/timestamp.hpp"
#include "gale/web/http_error.hpp"

namespace crud {
namespace {

using gale::web::HTTPError;

[[noreturn]] void bad(std::string_view argument, std::string_view why) {
  throw HTTPError(400, "argument '" + std::string(argument) + "' " + std::string(why));
}

std::int64_t parse_limit(const std::string& text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > kMaxPageSize) {
    bad("limit", "must be an integer from 1 to " + std::to_string(kMaxPageSize));
  }
  return n;
}

bool parse_bool(std::string_view name, const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  bad(name, "must be true or false");
}

void parse_sort(const std::string& text, ListQuery& q) {
  std::string_view name = text;
  q.descending = !name.empty() && name.front() == '-';
  if (q.descending) name.remove_prefix(1);
  if (name == "created_at") {
    q.sort = SortField::created_at;
  } else if (name == "updated_at") {
    q.sort = SortField::updated_at;
  } else if (name == "title") {
    q.sort = SortField::title;
  } else {
    bad("sort", "must be created_at, updated_at or title, with '-' in front for descending");
  }
}

std::string sort_name(const ListQuery& q) {
  return (q.descending ? "-" : "") + std::string(field_name(q.sort));
}

// base64url without padding, over OpenSSL's base64.
std::string encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> decode(std::string text) {
  if (text.size() > 1024) return std::nullopt;
  for (char& c : text) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
  }
  std::size_t pad = (4 - text.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  text.append(pad, '=');
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);  // DecodeBlock counts the padding as zero bytes
  return out;
}

PageAfter parse_cursor(const std::string& text, const ListQuery& q) {
  auto raw = decode(text);
  if (!raw) bad("cursor", "is not a cursor of this API");
  auto doc = nlohmann::json::parse(*raw, nullptr, false);
  if (!doc.is_object() || !doc.contains("s") || !doc.contains("v") || !doc.contains("id") ||
      !doc["s"].is_string() || !doc["v"].is_string() || !doc["id"].is_string()) {
    bad("cursor", "is not a cursor of this API");
  }
  if (doc["s"] != sort_name(q))
    bad("cursor", "belongs to another sort order: keep `sort` while paging");
  PageAfter after{doc["v"].get<std::string>(), doc["id"].get<std::string>()};
  bool value_ok = q.sort == SortField::title
                      ? after.value.size() <= 1000 && after.value.find('\0') == std::string::npos
                      : is_timestamp(after.value);
  if (!value_ok || !is_note_id(after.id)) bad("cursor", "is not a cursor of this API");
  return after;
}

}  // namespace

std::string_view field_name(SortField field) noexcept {
  switch (field) {
    case SortField::created_at:
      return "created_at";
    case SortField::updated_at:
      return "updated_at";
    case SortField::title:
      return "title";
  }
  return "created_at";
}

ListQuery parse_list_query(const ListArguments& args) {
  ListQuery q;
  if (args.limit) q.limit = parse_limit(*args.limit);
  if (args.done) q.done = parse_bool("done", *args.done);
  if (args.sort) parse_sort(*args.sort, q);
  if (args.tags.size() > 20) bad("tag", "may be given at most 20 times");
  for (const auto& t : args.tags) {
    if (t.empty() || t.size() > 200 || t.find('\0') != std::string::npos) {
      bad("tag", "must be 1 to 200 bytes without NUL");
    }
    q.tags.push_back(t);
  }
  if (args.cursor) q.after = parse_cursor(*args.cursor, q);
  return q;
}

std::string next_cursor(const ListQuery& query, const Note& last) {
  nlohmann::json doc;
  doc["s"] = sort_name(query);
  doc["id"] = last.id;
  switch (query.sort) {
    case SortField::created_at:
      doc["v"] = last.created_at;
      break;
    case SortField::updated_at:
      doc["v"] = last.updated_at;
      break;
    case SortField::title:
      doc["v"] = last.title;
      break;
  }
  return encode(doc.dump());
}

}  // namespace crud
