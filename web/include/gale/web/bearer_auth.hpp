// Bearer tokens (RFC 6750) as a middleware: the application supplies the check, token -> user.
//
//   struct User { std::string name; };
//   using MaybeUser = gale::Future<std::optional<User>>;
//   auto auth = gale::web::bearer_auth<User>([&](std::string_view token) -> MaybeUser {
//     auto row = co_await db.query_opt("SELECT name FROM tokens WHERE token = $1", token);
//     if (!row) co_return std::nullopt;
//     co_return User{row->get<std::string>("name")};
//   });
//   app.add_route("/me", gale::web::handler<Me>(), {auth});    // Me: state().get<User>()
//
// A check that never waits (a token verified in memory, a JWT's signature) may return the
// std::optional<User> itself: no Future and no coroutine per request.
//
//   auto auth = gale::web::bearer_auth<User>([](std::string_view token) -> std::optional<User> {
//     if (token != expected) return std::nullopt;
//     return User{"ops"};
//   });
//
// No "Authorization: Bearer <token>": 401, WWW-Authenticate: Bearer realm="api". A token that the
// check refuses: 401, WWW-Authenticate: Bearer realm="api", error="invalid_token". Both in the JSON
// envelope. An accepted token puts the check's User in the handler's state(). A check that throws
// fails the request as a handler would (503 for an unavailable database...). The token is never
// logged.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gale/web/middleware.hpp"
#include "gale/web/request_handler.hpp"

namespace gale::web {

namespace detail {
// The token of "Authorization: Bearer <token>"; HTTPError(401) without one.
std::string_view bearer_token(const RequestHandler& handler, std::string_view realm);
// HTTPError(401) with error="invalid_token".
[[noreturn]] void refuse_bearer_token(std::string_view realm);
// The check's answer: the user into the handler's state(), or the refusal.
template <class User>
void accept_bearer_user(RequestHandler& h, std::optional<User> user, std::string_view realm) {
  if (!user) refuse_bearer_token(realm);
  h.state().set(std::move(*user));
}
}  // namespace detail

template <class User>
class BearerAuth final : public Middleware {
 public:
  using Check = std::function<Future<std::optional<User>>(std::string_view token)>;

  BearerAuth(Check check, std::string realm) : check_(std::move(check)), realm_(std::move(realm)) {}

  Future<void> before(RequestHandler& h) override {
    Future<std::optional<User>> user = check_(detail::bearer_token(h, realm_));
    if (!user.done()) return wait(h, std::move(user));
    // A check that did not wait: no coroutine here.
    detail::accept_bearer_user(h, std::move(user.result()), realm_);
    return {};
  }

 private:
  Future<void> wait(RequestHandler& h, Future<std::optional<User>> pending) {
    std::optional<User> user = co_await std::move(pending);
    detail::accept_bearer_user(h, std::move(user), realm_);
  }

  Check check_;
  std::string realm_;
};

// The same with a check that answers at once.
template <class User>
class BearerAuthSync final : public Middleware {
 public:
  using Check = std::function<std::optional<User>(std::string_view token)>;

  BearerAuthSync(Check check, std::string realm)
      : check_(std::move(check)), realm_(std::move(realm)) {}

  Future<void> before(RequestHandler& h) override {
    detail::accept_bearer_user(h, check_(detail::bearer_token(h, realm_)), realm_);
    return {};
  }

 private:
  Check check_;
  std::string realm_;
};

template <class User>
MiddlewarePtr bearer_auth(typename BearerAuth<User>::Check check, std::string realm = "api") {
  return std::make_shared<BearerAuth<User>>(std::move(check), std::move(realm));
}
template <class User>
MiddlewarePtr bearer_auth(typename BearerAuthSync<User>::Check check, std::string realm = "api") {
  return std::make_shared<BearerAuthSync<User>>(std::move(check), std::move(realm));
}

}  // namespace gale::web
