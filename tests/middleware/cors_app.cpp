// The API that cors_browser.py calls from pages of other origins: cors_app PORT ALLOWED_ORIGIN.
//   GET/POST /notes   the notes, behind CORS (X-Total exposed, credentials allowed)
//   GET /me           bearer auth (token "t0k"): 401 without it, readable by the allowed page
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "gale/loop/loop.hpp"
#include "gale/web/web.hpp"

namespace {

using gale::Future;

struct User {
  std::string name;
};

struct Notes : gale::web::RequestHandler {
  Future<void> get(std::string_view) override {
    set_header("X-Total", "2");
    write_json({{"notes", {"one", "two"}}});
    return {};
  }
  Future<void> post(std::string_view) override {
    set_status(201);
    write_json({{"created", json_body()}});
    return {};
  }
};

struct Me : gale::web::RequestHandler {
  Future<void> get(std::string_view) override {
    write_json({{"name", state().get<User>().name}});
    return {};
  }
};

Future<std::optional<User>> check(std::string_view token) {
  return gale::make_ready_future(token == "t0k" ? std::optional<User>(User{"ann"})
                                                : std::optional<User>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: cors_app PORT ALLOWED_ORIGIN\n");
    return 2;
  }
  gale::web::Settings settings;
  settings.access_log = false;
  gale::web::CorsOptions cors;
  cors.allow_origins = {argv[2]};
  cors.allow_headers = {"Authorization", "Content-Type"};
  cors.expose_headers = {"X-Total"};
  cors.allow_credentials = true;
  gale::web::Application app(
      {{"/notes", gale::web::handler<Notes>()},
       {"/me", gale::web::handler<Me>(), {gale::web::bearer_auth<User>(check)}}},
      settings);
  app.use(gale::web::cors(cors));
  app.listen(static_cast<std::uint16_t>(std::atoi(argv[1])), "127.0.0.1");
  gale::IOLoop::current().start();
}
