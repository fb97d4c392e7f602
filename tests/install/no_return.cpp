// A handler that forgot its co_return: a plain function flowing off its end. gale::web makes this
// a compile error (-Werror=return-type) for the code that links it; check.sh expects this build
// to fail.
#include <gale/web/web.hpp>

struct Forgot : gale::web::RequestHandler {
  gale::Future<void> get(std::string_view) override { write_json({{"oops", true}}); }
};

int main() {
  gale::web::Application app({{"/", gale::web::handler<Forgot>()}});
  (void)app;
}
