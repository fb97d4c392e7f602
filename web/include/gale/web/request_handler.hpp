// RequestHandler: one object per request, as Tornado's tornado.web.RequestHandler.
//
//   struct NoteHandler : gale::web::RequestHandler {
//     gale::Future<void> get(std::string_view id) override {
//       nlohmann::json by_id = {{"_id", id}};
//       auto note = co_await notes.find_one(by_id);
//       if (!note) throw gale::web::HTTPError(404, "no such note");
//       write_json(*note);
//     }
//   };
//
// Path arguments: each method receives the route's first argument ("" for a route without one);
// every argument is also available by name, path_argument("id"), and in order, path_args(). One
// signature per method keeps overriding simple (no hidden overloads) whatever the route's arity.
// Typed templates ({id:int}) are checked by the router; path_int("id") returns the number. Path
// arguments are valid UTF-8 once percent-decoded, or the request gets 400 before any handler runs.
//
// Life of a request: prepare() -> the method -> finish() (implicit when the method returns) ->
// on_finish(). An exception anywhere goes to write_error (see application.hpp for the envelope).
//
// A method is usually a coroutine (it co_awaits, and ends with co_return when it has nothing to
// wait for). One that never waits may be a plain function that returns an empty Future, done at
// once, as a synchronous Tornado handler:
//
//   gale::Future<void> get(std::string_view) override {
//     write_json({{"status", "ok"}});
//     return {};
//   }
//
// A method with neither co_await/co_return nor return is not a coroutine and flows off its end
// (undefined behaviour): gale::web's CMake target makes -Wreturn-type an error for that reason.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/web/headers.hpp"
#include "gale/web/json_type.hpp"
#include "gale/web/middleware.hpp"
#include "gale/web/request.hpp"
#include "gale/web/request_state.hpp"
#include "gale/web/router.hpp"
#include "gale/web/settings.hpp"

namespace gale::web {

class Application;
namespace detail {
class ResponseSink;
struct LibraryHeaders;
}  // namespace detail
class WebSocketHandler;
class EventStreamHandler;

// What write_error receives: the status, the message meant for the client, and the exception.
struct ErrorInfo {
  int status = 500;
  std::string message{};
  std::exception_ptr exception{};  // null for errors the server detected itself
  std::vector<FieldError>
      errors{};  // a ValidationError's failing fields ("errors" in the envelope)
};

class RequestHandler {
 public:
  RequestHandler();
  virtual ~RequestHandler();
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // Runs before the method (authentication, an IP allow-list...). Finishing the response here
  // (or throwing) skips the method.
  virtual Future<void> prepare();
  // The methods; a method not overridden answers 405 with an Allow header. head() runs get() and
  // drops the body. The DELETE method is delete_() (delete is a C++ keyword).
  virtual Future<void> get(std::string_view arg);
  virtual Future<void> post(std::string_view arg);
  virtual Future<void> put(std::string_view arg);
  virtual Future<void> patch(std::string_view arg);
  virtual Future<void> delete_(std::string_view arg);
  virtual Future<void> head(std::string_view arg);
  virtual Future<void> options(std::string_view arg);
  // Called once the response is finished (also after errors), for cleanup and logging.
  virtual void on_finish();
  // Called once if the client goes away (closes its side of the connection or resets it) while the
  // handler waits, as Tornado's on_connection_close. Nothing is cancelled for you: what the handler
  // started runs on to its end or to its deadline (a pool wait ends at the pool's wait timeout)
  // and its response is dropped. A handler with long or many steps may stop early here, or check
  // client_gone() between steps.
  virtual void on_connection_close();
  // The client closed its side of the connection or reset it: the response will not be read.
  bool client_gone() const noexcept;
  // For the connection: calls on_connection_close(), logging what it throws.
  void notify_connection_close() noexcept;
  // Writes the error response; the default is the Application's write_error (the JSON envelope).
  virtual void write_error(int status, const ErrorInfo& info);

  // --- the request
  const HTTPServerRequest& request() const noexcept { return *request_; }
  HTTPServerRequest& request() noexcept { return *request_; }
  const PathArgs& path_args() const noexcept { return path_args_; }
  // The path argument `name`; throws gale::Error(internal) if the route has none of that name.
  std::string_view path_argument(std::string_view name) const;
  // The path argument `name` as an integer ({name:int}); HTTPError(400) if it is not one.
  std::int64_t path_int(std::string_view name) const;
  // A query (or form body) argument: the last value given; without a default, HTTPError(400)
  // "missing argument" when absent. Arguments are text: HTTPError(400) when one is not valid UTF-8
  // once percent-decoded (request().query_arguments() has the raw bytes).
  std::string get_argument(std::string_view name) const;
  std::string get_argument(std::string_view name, std::string_view fallback) const;
  std::optional<std::string> get_optional_argument(std::string_view name) const;
  std::vector<std::string> get_arguments(std::string_view name) const;
  std::string_view header(std::string_view name, std::string_view fallback = {}) const noexcept;
  const std::string& body() const noexcept { return request_->body; }
  // The body as JSON, within max_body_size and max_json_depth; HTTPError(400) when malformed,
  // HTTPError(415) when a Content-Type other than JSON (application/json, */*+json) is given. A
  // body without Content-Type is read as JSON.
  nlohmann::json json_body() const;
  // The body as a declared type T (json_fields.hpp): parsed as json_body() does, then decoded;
  // ValidationError (400, every failing field listed in the envelope) when it lacks T's shape.
  template <class T>
  T json_body() const {
    return decode<T>(json_body());
  }

  // --- the response
  void set_status(int status, std::string_view reason = {});
  int get_status() const noexcept { return status_; }
  void set_header(std::string_view name, std::string value);
  void add_header(std::string name, std::string value);
  void clear_header(std::string_view name);
  const HTTPHeaders& response_headers() const noexcept { return headers_; }
  // Appends to the body (Content-Type, unless set: text/plain; charset=utf-8).
  void write(std::string_view chunk);
  // Appends a serialized JSON value (Content-Type, unless set: application/json).
  void write_json(const nlohmann::json& value);
  // Appends a declared type's JSON (json_fields.hpp).
  template <JsonDeclared T>
  void write_json(const T& value) {
    write_json(encode(value));
  }
  // Sends the headers and what was written so far (chunked encoding); resolves once written.
  Future<void> flush();
  // Ends the response. Called for you when the method returns.
  void finish();
  void finish(std::string_view chunk);
  void redirect(std::string_view url, bool permanent = false);
  // Discards what was written and answers with `status` through write_error.
  void send_error(int status, ErrorInfo info);
  // Discards headers set and body written (not once the headers were sent).
  void clear();
  bool finished() const noexcept { return finished_; }
  bool headers_sent() const noexcept { return headers_sent_; }

  const Application& application() const noexcept { return *app_; }
  const Settings& settings() const noexcept;

  // Values that middleware hands to the handler, by type (request_state.hpp).
  RequestState& state() noexcept { return state_; }
  const RequestState& state() const noexcept { return state_; }

 private:
  friend class Application;
  friend class WebSocketHandler;
  friend class EventStreamHandler;
  friend struct detail::LibraryHeaders;

  void attach(const Application& app, std::unique_ptr<HTTPServerRequest> request, PathArgs args,
              std::shared_ptr<detail::ResponseSink> sink);
  Future<void> call_method();
  void handle_exception(std::exception_ptr error);
  void write_error_response(int status, const ErrorInfo& info);
  std::string serialize_head(bool chunked, std::size_t content_length);
  std::string& body_buffer();
  bool body_allowed() const noexcept;
  void maybe_gzip();
  // The first header takes a vector of fields that an earlier response gave back.
  void make_room_for_headers() {
    if (headers_.fields().capacity() == 0) take_header_fields();
  }
  void take_header_fields();
  // A header of the library's own middleware: `name` is a literal known to be safe (not checked);
  // so is `value` when `literal_value`, else it is checked. Both are copied into pooled strings
  // (detail::LibraryHeaders).
  void add_library_header(std::string_view name, std::string_view value, bool literal_value);
  // The after() of the middleware whose before() ran, once, before the head is serialized.
  void run_after_middleware();

  const Application* app_ = nullptr;
  std::unique_ptr<HTTPServerRequest> request_;
  PathArgs path_args_;
  std::shared_ptr<detail::ResponseSink> sink_;
  HTTPHeaders headers_;
  std::string body_;
  std::unique_ptr<std::string> reason_;  // a reason phrase of the handler's own (rare)
  std::string_view default_type_;        // Content-Type unless a header sets one (a literal)
  int status_ = 200;
  bool finished_ = false;
  bool headers_sent_ = false;
  bool chunked_ = false;
  bool head_request_ = false;
  const MiddlewareList* middleware_ = nullptr;  // the route's chain (app-wide first), if any
  std::uint32_t middleware_ran_ = 0;            // how many before() ran without throwing
  RequestState state_;
};

}  // namespace gale::web
