#include "gale/web/router.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "gale/loop/error.hpp"
#include "gale/web/request.hpp"

namespace gale::web {

enum class ParamType { str, integer, path };

struct Router::Node {
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  std::unique_ptr<Node> int_param;
  std::unique_ptr<Node> str_param;
  std::unique_ptr<Node> path_param;  // terminal: consumes the rest
  long id = -1;
  std::vector<std::string> names;  // argument names of the route ending here
  std::vector<bool> integers;      // which of them are {name:int}

  Node* literal(std::string_view segment) const {
    for (const auto& [text, child] : literals) {
      if (text == segment) return child.get();
    }
    return nullptr;
  }
};

namespace {

[[noreturn]] void bad_route(std::string_view pattern, std::string_view why) {
  throw Error(ErrorKind::invalid_argument, fmt::format("route '{}': {}", pattern, why));
}

// Digits with an optional '-', of any length: a number too large for int64 still matches, and the
// Application answers 400 (out of range) rather than 404.
bool is_integer(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Splits "/a/b" into "a", "b" (a trailing '/' gives a last empty segment).
template <class Out>
void split_path(std::string_view path, Out& out) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
}

// Up to 16 segments without allocating; more go to a vector.
struct Segments {
  std::array<std::string_view, 16> inline_;
  std::vector<std::string_view> more_;
  std::size_t size_ = 0;

  void push_back(std::string_view s) {
    if (size_ < inline_.size()) {
      inline_[size_] = s;
    } else {
      if (more_.empty()) more_.assign(inline_.begin(), inline_.end());
      more_.push_back(s);
    }
    ++size_;
  }
  std::size_t size() const noexcept { return size_; }
  std::string_view operator[](std::size_t i) const noexcept {
    return size_ <= inline_.size() ? inline_[i] : more_[i];
  }
};

struct Matcher {
  const Segments& segments;
  std::string_view path;
  std::vector<std::string_view> raw;  // captured segments, decoded at the end

  const Router::Node* walk(const Router::Node* node, std::size_t i);
};

}  // namespace

const Router::Node* Matcher::walk(const Router::Node* node, std::size_t i) {
  if (i == segments.size()) return node->id >= 0 ? node : nullptr;
  std::string_view seg = segments[i];
  if (const auto* child = node->literal(seg)) {
    if (const auto* found = walk(child, i + 1)) return found;
  }
  if (!seg.empty()) {
    for (const auto* child : {node->int_param.get(), node->str_param.get()}) {
      if (child == nullptr || (child == node->int_param.get() && !is_integer(seg))) continue;
      raw.push_back(seg);
      if (const auto* found = walk(child, i + 1)) return found;
      raw.pop_back();
    }
  }
  if (node->path_param && node->path_param->id >= 0) {
    // The rest of the path, from this segment on.
    std::string_view rest(seg.data(),
                          static_cast<std::size_t>(path.data() + path.size() - seg.data()));
    if (!rest.empty()) {
      raw.push_back(rest);
      return node->path_param.get();
    }
  }
  return nullptr;
}

const std::string* PathArgs::find(std::string_view name) const noexcept {
  if (names == nullptr) return nullptr;
  for (std::size_t i = 0; i < names->size() && i < values.size(); ++i) {
    if ((*names)[i] == name) return &values[i];
  }
  return nullptr;
}

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::add(std::string_view pattern, std::size_t id) {
  if (patterns_.size() <= id) patterns_.resize(id + 1);
  patterns_[id] = std::string(pattern);
  if (!pattern.empty() && pattern.front() == '^') {
    RegexRoute route{std::regex(), id, {}};
    try {
      route.regex = std::regex(std::string(pattern), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      bad_route(pattern, e.what());
    }
    for (std::size_t g = 1; g <= route.regex.mark_count(); ++g) {
      route.names.push_back(std::to_string(g));
    }
    regexes_.push_back(std::move(route));
    return;
  }
  if (pattern.empty() || pattern.front() != '/') bad_route(pattern, "must start with '/' or '^'");
  add_template(pattern, id);
}

void Router::add_template(std::string_view pattern, std::size_t id) {
  Node* node = root_.get();
  std::vector<std::string> names;
  std::vector<bool> integers;
  std::vector<std::string_view> segments;
  split_path(pattern, segments);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string_view seg = segments[i];
    if (seg.empty() || seg.front() != '{') {
      if (seg.find_first_of("{}") != std::string_view::npos) {
        bad_route(pattern, "a parameter must fill a whole segment");
      }
      Node* child = node->literal(seg);
      if (child == nullptr) {
        node->literals.emplace_back(std::string(seg), std::make_unique<Node>());
        child = node->literals.back().second.get();
      }
      node = child;
      continue;
    }
    if (seg.back() != '}' || seg.size() < 3) bad_route(pattern, "unterminated parameter");
    std::string_view inner = seg.substr(1, seg.size() - 2);
    auto colon = inner.find(':');
    std::string_view name = inner.substr(0, colon);
    std::string_view type = colon == std::string_view::npos ? "str" : inner.substr(colon + 1);
    if (name.empty()) bad_route(pattern, "a parameter needs a name");
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      bad_route(pattern, "a parameter name is used twice");
    }
    names.emplace_back(name);
    integers.push_back(type == "int");
    std::unique_ptr<Node>* slot = nullptr;
    if (type == "str") {
      slot = &node->str_param;
    } else if (type == "int") {
      slot = &node->int_param;
    } else if (type == "path") {
      if (i + 1 != segments.size()) bad_route(pattern, "{name:path} must be the last segment");
      slot = &node->path_param;
    } else {
      bad_route(pattern, fmt::format("unknown parameter type '{}' (str, int, path)", type));
    }
    if (!*slot) *slot = std::make_unique<Node>();
    node = slot->get();
  }
  if (node->id >= 0) bad_route(pattern, "the same template is routed twice");
  node->id = static_cast<long>(id);
  if (names.empty()) exact_.emplace(std::string(pattern), node);
  node->names = std::move(names);
  node->integers = std::move(integers);
}

long Router::match(std::string_view path, PathArgs& args) const {
  if (auto exact = exact_.find(path); exact != exact_.end()) {  // a literal route wins anyway
    args.names = &exact->second->names;
    args.integers = nullptr;
    args.values.clear();
    return exact->second->id;
  }
  Segments segments;
  split_path(path, segments);
  Matcher m{segments, path, {}};
  if (const Node* found = m.walk(root_.get(), 0)) {
    args.names = &found->names;
    args.integers = &found->integers;
    args.values.clear();
    for (auto raw : m.raw) args.values.push_back(url_unescape(raw, false));
    return found->id;
  }
  for (const auto& route : regexes_) {
    std::match_results<std::string_view::const_iterator> groups;
    if (std::regex_match(path.begin(), path.end(), groups, route.regex)) {
      args.names = &route.names;
      args.integers = nullptr;
      args.values.clear();
      for (std::size_t g = 1; g < groups.size(); ++g) {
        args.values.push_back(url_unescape(groups[g].str(), false));
      }
      return static_cast<long>(route.id);
    }
  }
  return -1;
}

std::string_view Router::pattern(std::size_t id) const noexcept {
  return id < patterns_.size() ? std::string_view(patterns_[id]) : std::string_view();
}

}  // namespace gale::web
