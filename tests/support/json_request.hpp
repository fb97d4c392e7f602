// Requests as the tests of JSON APIs send them, and the error envelope of their answers
// ({"error": {"status": N, "message": "...", "request_id": "..."}}).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gale/web/http_client.hpp"

namespace gale::testing {

// raise_error off (every status is an answer to look at), a JSON body when given.
inline gale::web::HTTPRequest json_request(
    std::string method, std::optional<nlohmann::json> body = std::nullopt,
    std::vector<std::pair<std::string, std::string>> headers = {}) {
  gale::web::HTTPRequest r;
  r.method = std::move(method);
  r.raise_error = false;
  if (body) {
    r.body = body->dump();
    r.headers.add("Content-Type", "application/json");
  }
  for (auto& [k, v] : headers) r.headers.add(k, v);
  return r;
}

// The envelope's message, or "(no error envelope) <body>".
inline std::string error_message(const gale::web::HTTPResponse& r) {
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("error")) return "(no error envelope) " + r.body;
  return doc["error"]["message"].get<std::string>();
}

// True when the body is the error envelope of the response's own status, with a message.
inline bool is_error_envelope(const gale::web::HTTPResponse& r) {
  auto doc = nlohmann::json::parse(r.body, nullptr, false);
  if (!doc.is_object() || !doc.contains("error") || !doc["error"].is_object()) return false;
  const auto& e = doc["error"];
  return e.value("status", 0) == r.code && e.contains("message") && e["message"].is_string() &&
         !e["message"].get<std::string>().empty() &&
         r.headers.get("Content-Type", "") == "application/json";
}

}  // namespace gale::testing
