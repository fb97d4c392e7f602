#include "gale/web/cors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "gale/web/detail/library_headers.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web {
namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool safelisted_header(std::string_view name) noexcept {
  return iequals(name, "accept") || iequals(name, "accept-language") ||
         iequals(name, "content-language") || iequals(name, "content-type");
}

// Adds `token` (a literal) to the response's Vary unless it is there.
void add_vary(RequestHandler& h, std::string_view token) {
  auto vary = h.response_headers().get("Vary");
  if (!vary) {
    // The common case: no search for one to replace.
    detail::LibraryHeaders::add_literal(h, "Vary", token);
  } else if (vary->find(token) == std::string_view::npos) {
    h.set_header("Vary", fmt::format("{}, {}", *vary, token));
  }
}

class Cors final : public Middleware {
 public:
  explicit Cors(CorsOptions options)
      : options_(std::move(options)),
        any_origin_(std::ranges::find(options_.allow_origins, "*") != options_.allow_origins.end()),
        any_header_(std::ranges::find(options_.allow_headers, "*") != options_.allow_headers.end()),
        methods_(joined(options_.allow_methods)),
        exposed_(joined(options_.expose_headers)),
        max_age_(std::to_string(options_.max_age.count())) {}

  Future<void> before(RequestHandler& h) override {
    if (h.request().method != "OPTIONS") return {};  // before any header look-up: the common case
    auto origin = h.request().headers.get("Origin");
    if (!origin) return {};
    auto method = h.request().headers.get("Access-Control-Request-Method");
    if (!method) return {};  // an OPTIONS request of the API's own, not a preflight
    preflight(h, *origin, *method);
    return {};
  }

  void after(RequestHandler& h) override {
    if (!varies_by_origin()) {
      // Any origin, no credentials: the same "*" for everyone, nothing varies.
    } else {
      add_vary(h, "Origin");
    }
    auto origin = h.request().headers.get("Origin");
    if (!origin || !allowed(*origin)) return;
    if (h.response_headers().contains("Access-Control-Allow-Origin")) return;  // a preflight's
    allow_origin(h, *origin);
    if (!exposed_.empty())
      detail::LibraryHeaders::add(h, "Access-Control-Expose-Headers", exposed_);
  }

 private:
  bool varies_by_origin() const noexcept { return !any_origin_ || options_.allow_credentials; }

  bool allowed(std::string_view origin) const {
    if (any_origin_) return true;
    for (const auto& o : options_.allow_origins) {
      if (o == origin) return true;
    }
    return options_.allow_origin_if && options_.allow_origin_if(origin);
  }

  void allow_origin(RequestHandler& h, std::string_view origin) const {
    // Callers know that there is none yet: add, not set (no search for one to replace).
    detail::LibraryHeaders::add(h, "Access-Control-Allow-Origin",
                                varies_by_origin() ? origin : std::string_view("*"));
    if (options_.allow_credentials) {
      detail::LibraryHeaders::add_literal(h, "Access-Control-Allow-Credentials", "true");
    }
  }

  bool header_allowed(std::string_view name) const {
    if (any_header_ || safelisted_header(name)) return true;
    return std::ranges::any_of(options_.allow_headers,
                               [name](const std::string& a) { return iequals(a, name); });
  }

  // Answers the preflight (204), or refuses it (403, no Access-Control-Allow-Origin).
  void preflight(RequestHandler& h, std::string_view origin, std::string_view method) const {
    if (!allowed(origin)) {
      throw HTTPError(403,
                      fmt::format("CORS preflight refused: origin '{}' is not allowed", origin));
    }
    if (std::ranges::find(options_.allow_methods, method) == options_.allow_methods.end()) {
      throw HTTPError(403,
                      fmt::format("CORS preflight refused: method '{}' is not allowed", method));
    }
    std::string_view requested = h.request().headers.get("Access-Control-Request-Headers", "");
    std::string_view rest = requested;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view name = trim(rest.substr(0, comma));
      rest = comma == rest.npos ? std::string_view() : rest.substr(comma + 1);
      if (!name.empty() && !header_allowed(name)) {
        throw HTTPError(403,
                        fmt::format("CORS preflight refused: header '{}' is not allowed", name));
      }
    }
    h.set_status(204);
    allow_origin(h, origin);
    h.set_header("Access-Control-Allow-Methods", methods_);
    if (!trim(requested).empty()) {
      h.set_header("Access-Control-Allow-Headers", std::string(trim(requested)));
    }
    if (options_.max_age.count() > 0) h.set_header("Access-Control-Max-Age", max_age_);
    add_vary(h, "Access-Control-Request-Method");
    add_vary(h, "Access-Control-Request-Headers");
    h.finish();
  }

  CorsOptions options_;
  bool any_origin_;
  bool any_header_;
  std::string methods_;
  std::string exposed_;
  std::string max_age_;
};

}  // namespace

MiddlewarePtr cors(CorsOptions options) {
  return std::make_shared<Cors>(std::move(options));
}

}  // namespace gale::web
