#include "gale/web/middleware.hpp"

#include <utility>

namespace gale::web {

Middleware::~Middleware() = default;

Future<void> Middleware::before(RequestHandler&) {
  return {};
}

void Middleware::after(RequestHandler&) {}

namespace {

class FunctionMiddleware final : public Middleware {
 public:
  FunctionMiddleware(std::function<Future<void>(RequestHandler&)> before,
                     std::function<void(RequestHandler&)> after)
      : before_(std::move(before)), after_(std::move(after)) {}

  Future<void> before(RequestHandler& handler) override {
    return before_ ? before_(handler) : Future<void>();
  }
  void after(RequestHandler& handler) override {
    if (after_) after_(handler);
  }

 private:
  std::function<Future<void>(RequestHandler&)> before_;
  std::function<void(RequestHandler&)> after_;
};

}  // namespace

MiddlewarePtr middleware(std::function<Future<void>(RequestHandler&)> before,
                         std::function<void(RequestHandler&)> after) {
  return std::make_shared<FunctionMiddleware>(std::move(before), std::move(after));
}

}  // namespace gale::web
