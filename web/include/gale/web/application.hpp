// Application: routes and settings, as Tornado's tornado.web.Application.
//
//   gale::web::Application app({
//       {"/notes", gale::web::handler<NotesHandler>()},
//       {"/notes/{id}", gale::web::handler<NoteHandler>()},
//   }, settings);
//   app.listen(options);          // Options: --port, --address, --workers (forks when != 1)
//   gale::IOLoop::current().start();
//
// Errors, in one place: whatever a handler throws ends in write_error, which answers
//   {"error": {"status": N, "message": "...", "request_id": "..."}}
// HTTPError(status, message) gives its status; a gale::Error its kind's status (400, 404, 409, 409,
// 504, 503 + Retry-After, 401, 403, 500); anything else 500 "Internal Server Error", logged with
// the request id (its text goes to the client only with settings.debug). Override write_error in a
// subclass of Application, or in a handler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "gale/web/api_doc.hpp"
#include "gale/web/middleware.hpp"
#include "gale/web/request_handler.hpp"
#include "gale/web/router.hpp"
#include "gale/web/settings.hpp"

namespace gale::web {

class HTTPServer;
class Metrics;
class Options;

// The methods a handler answers, as bits.
enum Method : unsigned {
  kGet = 1,
  kPost = 2,
  kPut = 4,
  kPatch = 8,
  kDelete = 16,
  kHead = 32,
  kOptions = 64,
};

struct HandlerSpec {
  std::function<std::unique_ptr<RequestHandler>()> make;
  unsigned methods = 0;             // the methods the handler overrides (HEAD comes with GET)
  std::function<RouteDoc()> doc{};  // H::api_doc() when H has one (api_doc.hpp)
};

namespace detail {
template <class H>
constexpr unsigned methods_of() {
  using B = RequestHandler;
  unsigned m = 0;
  if constexpr (!std::is_same_v<decltype(&H::get), decltype(&B::get)>) m |= kGet | kHead;
  if constexpr (!std::is_same_v<decltype(&H::post), decltype(&B::post)>) m |= kPost;
  if constexpr (!std::is_same_v<decltype(&H::put), decltype(&B::put)>) m |= kPut;
  if constexpr (!std::is_same_v<decltype(&H::patch), decltype(&B::patch)>) m |= kPatch;
  if constexpr (!std::is_same_v<decltype(&H::delete_), decltype(&B::delete_)>) m |= kDelete;
  if constexpr (!std::is_same_v<decltype(&H::head), decltype(&B::head)>) m |= kHead;
  if constexpr (!std::is_same_v<decltype(&H::options), decltype(&B::options)>) m |= kOptions;
  return m;
}
}  // namespace detail

// The route target for handler class H; constructor arguments are copied into each new handler.
template <class H, class... Args>
HandlerSpec handler(Args... args) {
  static_assert(std::is_base_of_v<RequestHandler, H>, "H must derive from RequestHandler");
  HandlerSpec spec{
      [args...]() -> std::unique_ptr<RequestHandler> { return std::make_unique<H>(args...); },
      detail::methods_of<H>()};
  if constexpr (requires { H::api_doc(); }) spec.doc = [] { return H::api_doc(); };
  return spec;
}

struct Route {
  std::string pattern;  // a template ("/notes/{id}") or a regex ("^/x/([0-9]+)$")
  HandlerSpec target;
  // This route's middleware, run after the app-wide ones (middleware.hpp).
  MiddlewareList middleware{};
};

class Application {
 public:
  explicit Application(std::vector<Route> routes);
  Application(std::vector<Route> routes, Settings settings);
  virtual ~Application();
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  void add_route(std::string pattern, HandlerSpec target, MiddlewareList middleware = {});
  // Adds an app-wide middleware, after those already added: it runs for every route (before the
  // route's own) and for requests no route matches. Add middleware before serving.
  void use(MiddlewarePtr middleware);

  // Writes the error response of `handler` (status already set, body cleared). The default writes
  // the JSON envelope.
  virtual void write_error(RequestHandler& handler, int status, const ErrorInfo& info) const;

  // Creates an HTTPServer for this application on the current loop and listens on
  // options.address:options.port with options.workers processes: with workers != 1 it forks
  // (HTTPServer::start) and returns in each worker, so create database clients after it. With
  // settings().handle_signals, SIGTERM/SIGINT drain and then stop the loop.
  HTTPServer& listen(const Options& options);
  // One process on port (0: a free one) and address.
  HTTPServer& listen(std::uint16_t port);
  HTTPServer& listen(std::uint16_t port, const std::string& address);

  // The routes, in the order added (for the OpenAPI document, openapi.hpp).
  struct RouteInfo {
    std::string_view pattern;
    const HandlerSpec* target;
  };
  std::vector<RouteInfo> routes() const;

  const Settings& settings() const noexcept { return settings_; }
  Settings& settings() noexcept { return settings_; }
  Metrics& metrics() const noexcept { return *metrics_; }

  // Serves one request (the server calls it): routing, the handler's life, errors, logging.
  void handle(std::unique_ptr<HTTPServerRequest> request,
              std::shared_ptr<detail::ResponseSink> sink) const;
  // Answers a request the server itself refuses (malformed, too large, too slow).
  void handle_error(std::unique_ptr<HTTPServerRequest> request,
                    std::shared_ptr<detail::ResponseSink> sink, int status,
                    std::string message) const;

 private:
  friend class RequestHandler;
  static void run_handler(std::unique_ptr<RequestHandler> handler, unsigned allowed);
  static Future<void> resume_handler(std::unique_ptr<RequestHandler> handler, Future<void> pending,
                                     unsigned allowed, unsigned step);
  static Future<void> advance(RequestHandler& handler, unsigned allowed, unsigned& step);
  static void step_failed(RequestHandler& handler, unsigned step, std::exception_ptr error);
  static void end_handler(RequestHandler& handler);
  static void hand_over(std::unique_ptr<RequestHandler> handler);
  void log_request(const RequestHandler& handler) const;

  Settings settings_;
  Router router_;
  std::vector<HandlerSpec> targets_;
  MiddlewareList middleware_;                     // app-wide
  std::vector<MiddlewareList> route_middleware_;  // by target
  std::vector<MiddlewareList> chains_;            // by target: app-wide, then the route's
  std::unique_ptr<Metrics> metrics_;
  std::vector<std::unique_ptr<HTTPServer>> servers_;
};

}  // namespace gale::web
