// /json without middleware and through three (CORS, a bearer check, a per-client rate limit), in
// one process: bench/middleware/run compares the server CPU per request of the two.
//   /json      {"message":"Hello, World!"}, no middleware
//   /json-mw   the same behind cors (an allowed origin), bearer_auth (a token compared in memory,
//              the User put in the request's state) and rate_limit (by remote IP, never reached)
// Request ids are built in (both routes echo X-Request-Id). Usage: bench_middleware_server --port N
#include <optional>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

namespace {

struct User {
  std::string name;
};

struct JsonHandler : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override {
    nlohmann::json message;
    message["message"] = "Hello, World!";
    write_json(message);
    return gale::make_ready_future();
  }
};

// A token compared in memory answers at once: bearer_auth's synchronous form.
std::optional<User> check(std::string_view token) {
  return token == "bench-token" ? std::optional<User>(User{"bench"}) : std::optional<User>();
}

gale::web::MiddlewareList three() {
  gale::web::CorsOptions cors;
  cors.allow_origins = {"http://app.example"};
  cors.allow_headers = {"Authorization"};
  gale::web::RateLimitOptions limit;
  limit.rate = 1e9;
  limit.burst = 1e9;
  return {gale::web::cors(cors), gale::web::bearer_auth<User>(check), gale::web::rate_limit(limit)};
}

}  // namespace

int main(int argc, char** argv) {
  gale::web::Options options("gale middleware benchmark server");
  options.parse(argc, argv);
  gale::web::Settings settings = options.settings();
  settings.access_log = false;
  gale::web::Application app({{"/json", gale::web::handler<JsonHandler>()},
                              {"/json-mw", gale::web::handler<JsonHandler>(), three()}},
                             settings);
  app.listen(options.port, options.address);
  gale::IOLoop::current().start();
}
