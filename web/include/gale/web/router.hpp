// Router: path templates in a segment trie, regex routes as a fallback.
//
//   "/notes"                 a literal path
//   "/notes/{id}"            one segment, any text but '/', percent-decoded into the argument "id"
//   "/notes/{id:int}"        a decimal integer (optional '-'), else the route does not match; one
//                            beyond 64 bits matches and the request gets 400 (out of range)
//   "/files/{rest:path}"     the rest of the path, slashes included (last segment only)
//   "^/legacy/([0-9]+)$"     a pattern that starts with '^' is an ECMAScript regex, matched against
//                            the whole path only when no template matches; its groups are the
//                            arguments, named "1", "2", ...
//
// A lookup walks the path's segments once (literal children first, then typed, then plain ones),
// whatever the number of routes; it never runs a list of regexes unless no template matched.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gale::web {

struct PathArgs {
  const std::vector<std::string>* names = nullptr;  // owned by the router
  const std::vector<bool>* integers = nullptr;      // which are {name:int} (owned by the router)
  std::vector<std::string> values;                  // decoded, in the route's order

  std::size_t size() const noexcept { return values.size(); }
  // Whether argument i comes from an {name:int} segment.
  bool integer(std::size_t i) const noexcept {
    return integers != nullptr && i < integers->size() && (*integers)[i];
  }
  // The value of the argument `name`, or nullptr.
  const std::string* find(std::string_view name) const noexcept;
};

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Adds a route to target `id`. Throws gale::Error(invalid_argument) on a malformed template or
  // regex, or a template that is already routed.
  void add(std::string_view pattern, std::size_t id);

  // The id of the route that matches `path` (the raw, still-encoded path), with its arguments;
  // -1 if none does.
  long match(std::string_view path, PathArgs& args) const;
  // The pattern added for `id` ("" for none).
  std::string_view pattern(std::size_t id) const noexcept;

  struct Node;  // of the trie (opaque)

 private:
  struct RegexRoute {
    std::regex regex;
    std::size_t id;
    std::vector<std::string> names;
  };

  void add_template(std::string_view pattern, std::size_t id);

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  std::unique_ptr<Node> root_;
  // Templates without parameters, by their path: one look-up instead of a walk of the trie.
  std::unordered_map<std::string, const Node*, Hash, std::equal_to<>> exact_;
  std::vector<RegexRoute> regexes_;
  std::vector<std::string> patterns_;  // by id
};

}  // namespace gale::web
