// /json and /plaintext: no database. The JSON object is built and serialized per request, as the
// rules ask.
#pragma once

#include "gale/web/request_handler.hpp"

namespace techempower {

struct JsonHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    nlohmann::json message;
    message["message"] = "Hello, World!";
    write_json(message);
    return gale::make_ready_future();
  }
};

struct PlaintextHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    set_header("Content-Type", "text/plain");
    write("Hello, World!");
    return gale::make_ready_future();
  }
};

}  // namespace techempower
