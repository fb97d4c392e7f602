// doctest-kind: statements
// Statements of main(argc, argv), after #include <gale/pg/pg.hpp> and <gale/web/web.hpp>. In
// scope: `argc`, `argv`, an Application `app` and a database URI `uri`.
#include <string>

#include <gale/pg/pg.hpp>
#include <gale/web/web.hpp>

#pragma GCC diagnostic ignored "-Wunused-variable"

int doctest_main(int argc, char** argv, gale::web::Application& app, const std::string& uri);
int doctest_main([[maybe_unused]] int argc, [[maybe_unused]] char** argv,
                 [[maybe_unused]] gale::web::Application& app,
                 [[maybe_unused]] const std::string& uri) {
  // @BLOCK@
  return 0;
}
