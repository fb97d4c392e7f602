// Middleware: code that runs around every handler of an Application, or of one route, in order.
//
//   struct Timing : gale::web::Middleware {
//     gale::Future<void> before(gale::web::RequestHandler& h) override {
//       if (h.header("X-Api-Key").empty()) throw gale::web::HTTPError(401, "no API key");
//       return {};  // does not wait: no coroutine frame
//     }
//     void after(gale::web::RequestHandler& h) override {
//       h.set_header("X-Elapsed-Ms", std::to_string(h.request().elapsed_ms()));
//     }
//   };
//   app.use(std::make_shared<Timing>());                          // every route
//   app.add_route("/admin", handler<Admin>(), {admin_only});  // one route, after app-wide ones
//
// The life of a request with middleware m1, m2 (app-wide first, then the route's):
//   m1.before -> m2.before -> [405 check, prepare(), the method] -> the response is complete
//   -> m2.after -> m1.after -> the head is written
// before() sees the request and may wait (a coroutine, as handlers are); it answers early by
// throwing (HTTPError(401)...: the JSON envelope of write_error) or by finishing the response
// itself (h.set_status(204); h.finish()): the middlewares after it and the handler do not run.
// after() runs once, just before the response's head is serialized (at finish(), at the first
// flush(), or for an error response), in reverse order, for each middleware whose before() did not
// throw (so an outer CORS middleware decorates the 401 that an inner auth middleware threw). It
// sees get_status() and response_headers() and may set headers; it must not write a body nor wait.
// What it throws replaces the response with its error envelope (the other after() still run, but
// the envelope's clear() drops the headers they set).
// Headers set in before() are dropped if the response becomes an error response (clear()): set the
// headers that every response needs in after(). An upgraded request (WebSocket, event stream) runs
// before() but not after(). A request no route matches (404) runs the app-wide middleware.
//
// Values that middleware hands to handlers (the authenticated user) go in the handler's typed
// state: h.state().set(User{...}) in before(), h.state().get<User>() in the handler.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "gale/loop/future.hpp"

namespace gale::web {

class RequestHandler;

class Middleware {
 public:
  Middleware() = default;
  virtual ~Middleware();
  Middleware(const Middleware&) = delete;
  Middleware& operator=(const Middleware&) = delete;

  // Before the handler. Return {} (an empty Future) when nothing was waited for.
  virtual Future<void> before(RequestHandler& handler);
  // Once the response is complete, before its head is written.
  virtual void after(RequestHandler& handler);
};

using MiddlewarePtr = std::shared_ptr<Middleware>;
using MiddlewareList = std::vector<MiddlewarePtr>;

// A middleware from functions (either may be empty):
//   app.use(gale::web::middleware([](RequestHandler& h) -> gale::Future<void> { ...; return {};
//   }));
MiddlewarePtr middleware(std::function<Future<void>(RequestHandler&)> before,
                         std::function<void(RequestHandler&)> after = {});

}  // namespace gale::web
