#include "gale/web/application.hpp"

#include <fmt/format.h>
#include <asio/ip/address.hpp>

#include <atomic>
#include <bit>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <random>

#include "gale/loop/fork_guard.hpp"
#include "gale/loop/log.hpp"
#include "gale/web/detail/response_sink.hpp"
#include "gale/web/detail/upgraded_connection.hpp"
#include "gale/web/detail/utf8.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/http_server.hpp"
#include "gale/web/metrics.hpp"
#include "gale/web/openapi.hpp"
#include "gale/web/options.hpp"
#include "gale/web/status.hpp"

namespace gale::web {
namespace {

constexpr unsigned kAnyMethod = ~0u;  // no 405 check (a request no route matches)

unsigned method_bit(std::string_view m) noexcept {
  if (m == "GET") return kGet;
  if (m == "POST") return kPost;
  if (m == "PUT") return kPut;
  if (m == "PATCH") return kPatch;
  if (m == "DELETE") return kDelete;
  if (m == "HEAD") return kHead;
  if (m == "OPTIONS") return kOptions;
  return 0;
}

std::string allow_list(unsigned methods) {
  static constexpr std::pair<unsigned, std::string_view> kNames[] = {
      {kGet, "GET"},     {kHead, "HEAD"},     {kPost, "POST"},      {kPut, "PUT"},
      {kPatch, "PATCH"}, {kDelete, "DELETE"}, {kOptions, "OPTIONS"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if ((methods & bit) == 0) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// A client's X-Request-Id is kept when it is 1..128 characters of [A-Za-z0-9._:-].
bool sane_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// "<8 hex digits of this process>-<counter in hex>": unique per process, cheap; the prefix is
// drawn anew in each forked worker.
void new_request_id(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local std::uint64_t generation = ~std::uint64_t{0};
  thread_local char prefix[9];
  thread_local std::uint64_t counter = 0;
  if (generation != fork_generation()) {
    generation = fork_generation();
    std::uint32_t bits = std::random_device{}();
    for (int i = 0; i < 8; ++i) prefix[i] = kHex[(bits >> (28 - 4 * i)) & 0xf];
    prefix[8] = '-';
    counter = 0;
  }
  std::uint64_t c = ++counter;
  int digits = (67 - std::countl_zero(c)) / 4;  // hex digits of c (c > 0)
  char text[sizeof prefix + 16];
  std::memcpy(text, prefix, sizeof prefix);
  for (int i = digits - 1; i >= 0; --i, c >>= 4) text[sizeof prefix + i] = kHex[c & 0xf];
  out.assign(text, sizeof prefix + static_cast<std::size_t>(digits));
}

void assign_request_id(HTTPServerRequest& request) {
  auto given = request.headers.get("X-Request-Id");
  if (given && sane_request_id(*given)) {
    request.request_id.assign(*given);
  } else {
    new_request_id(request.request_id);
  }
}

bool valid_ip(std::string_view text) {
  asio::error_code ec;
  (void)asio::ip::make_address(std::string(text), ec);
  return !ec;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// X-Real-IP, else the last address of X-Forwarded-For (the one our proxy added); X-Forwarded-Proto
// (or X-Scheme) when it says http or https.
void apply_xheaders(HTTPServerRequest& request) {
  std::string_view ip;
  if (auto forwarded = request.headers.get("X-Forwarded-For")) {
    ip = trim(forwarded->substr(forwarded->rfind(',') + 1));
  }
  if (auto real = request.headers.get("X-Real-IP")) ip = trim(*real);
  if (!ip.empty() && valid_ip(ip)) request.remote_ip = std::string(ip);
  auto proto = request.headers.get("X-Forwarded-Proto");
  if (!proto) proto = request.headers.get("X-Scheme");
  if (proto) {
    std::string_view p = trim(proto->substr(proto->rfind(',') + 1));
    if (p == "http" || p == "https") request.protocol = std::string(p);
  }
}

// Why the arguments cannot reach a handler ("" when they can): text that is not UTF-8, an
// {name:int} beyond 64 bits.
std::string check_path_args(const PathArgs& args) {
  for (std::size_t i = 0; i < args.values.size(); ++i) {
    const std::string& value = args.values[i];
    if (!detail::valid_utf8(value)) return "the path is not valid UTF-8 once percent-decoded";
    std::int64_t n = 0;
    if (args.integer(i) &&
        std::from_chars(value.data(), value.data() + value.size(), n).ec != std::errc()) {
      return fmt::format("path argument '{}' is out of range (a 64-bit integer)", (*args.names)[i]);
    }
  }
  return {};
}

void finish_request(const Application& app, RequestHandler& handler) {
  try {
    handler.on_finish();
  } catch (...) {
    log::error("gale.web", "on_finish failed (request id {}): {}", handler.request().request_id,
               describe(std::current_exception()));
  }
  app.metrics().record_request(handler.get_status(), Clock::now() - handler.request().start_time);
}

}  // namespace

namespace detail {
// What a request no route matches runs, behind the app-wide middleware.
struct NotFoundHandler final : RequestHandler {
  Future<void> prepare() override { throw HTTPError(404); }
};
}  // namespace detail

Application::Application(std::vector<Route> routes) : Application(std::move(routes), Settings()) {}

Application::Application(std::vector<Route> routes, Settings settings)
    : settings_(std::move(settings)), metrics_(std::make_unique<Metrics>()) {
  for (auto& route : routes) {
    add_route(std::move(route.pattern), std::move(route.target), std::move(route.middleware));
  }
  if (settings_.metrics) add_route("/metrics", handler<MetricsHandler>());
  if (!settings_.openapi_path.empty()) add_route(settings_.openapi_path, openapi_handler());
}

Application::~Application() = default;

void Application::add_route(std::string pattern, HandlerSpec target, MiddlewareList middleware) {
  router_.add(pattern, targets_.size());
  targets_.push_back(std::move(target));
  MiddlewareList chain = middleware_;
  chain.insert(chain.end(), middleware.begin(), middleware.end());
  route_middleware_.push_back(std::move(middleware));
  chains_.push_back(std::move(chain));
}

void Application::use(MiddlewarePtr middleware) {
  if (!middleware) throw Error(ErrorKind::invalid_argument, "use(): a null middleware");
  middleware_.push_back(std::move(middleware));
  for (std::size_t i = 0; i < chains_.size(); ++i) {
    chains_[i] = middleware_;
    chains_[i].insert(chains_[i].end(), route_middleware_[i].begin(), route_middleware_[i].end());
  }
}

void Application::write_error(RequestHandler& handler, int status, const ErrorInfo& info) const {
  nlohmann::ordered_json envelope = {{"error",
                                      {{"status", status},
                                       {"message", info.message},
                                       {"request_id", handler.request().request_id}}}};
  if (!info.errors.empty()) {
    auto& errors = envelope["error"]["errors"] = nlohmann::ordered_json::array();
    for (const auto& e : info.errors) errors.push_back({{"path", e.path}, {"message", e.message}});
  }
  handler.set_header("Content-Type", "application/json");
  // Messages may quote what a client sent: bytes that are not UTF-8 become U+FFFD rather than
  // making the error response itself fail.
  handler.write(envelope.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

HTTPServer& Application::listen(const Options& options) {
  if (!options.openapi_out.empty()) {
    write_openapi(*this, options.openapi_out);  // --openapi-out: the document, and nothing else
    log::info("gale.web", "wrote the OpenAPI document to {}", options.openapi_out);
    std::exit(0);
  }
  servers_.push_back(std::make_unique<HTTPServer>(*this));
  HTTPServer& server = *servers_.back();
  server.bind(options.port, options.address);
  server.start(options.workers);  // forks when workers != 1: what follows runs in each worker
  if (settings_.handle_signals) server.install_signal_handlers();
  return server;
}

HTTPServer& Application::listen(std::uint16_t port) {
  return listen(port, "0.0.0.0");
}

HTTPServer& Application::listen(std::uint16_t port, const std::string& address) {
  servers_.push_back(std::make_unique<HTTPServer>(*this));
  HTTPServer& server = *servers_.back();
  server.listen(port, address);
  if (settings_.handle_signals) server.install_signal_handlers();
  return server;
}

void Application::handle(std::unique_ptr<HTTPServerRequest> request,
                         std::shared_ptr<detail::ResponseSink> sink) const {
  assign_request_id(*request);
  if (settings_.xheaders) apply_xheaders(*request);
  PathArgs args;
  long id = router_.match(request->path(), args);
  if (id < 0 && !middleware_.empty()) {  // the app-wide middleware sees it (CORS headers on a 404)
    auto h = std::make_unique<detail::NotFoundHandler>();
    h->attach(*this, std::move(request), std::move(args), std::move(sink));
    h->middleware_ = &middleware_;
    run_handler(std::move(h), kAnyMethod);
    return;
  }
  if (id < 0) {
    handle_error(std::move(request), std::move(sink), 404, "Not Found");
    return;
  }
  if (std::string why = check_path_args(args); !why.empty()) {
    handle_error(std::move(request), std::move(sink), 400, std::move(why));
    return;
  }
  const HandlerSpec& target = targets_[static_cast<std::size_t>(id)];
  std::unique_ptr<RequestHandler> h = target.make();
  h->attach(*this, std::move(request), std::move(args), std::move(sink));
  const MiddlewareList& chain = chains_[static_cast<std::size_t>(id)];
  if (!chain.empty()) h->middleware_ = &chain;
  run_handler(std::move(h), target.methods);
}

void Application::handle_error(std::unique_ptr<HTTPServerRequest> request,
                               std::shared_ptr<detail::ResponseSink> sink, int status,
                               std::string message) const {
  if (request->request_id.empty()) assign_request_id(*request);
  RequestHandler h;
  h.attach(*this, std::move(request), PathArgs{}, std::move(sink));
  h.send_error(status, ErrorInfo{status, std::move(message), nullptr});
  log_request(h);
  finish_request(*this, h);
}

// The life of a handler: its middleware's before() in order (steps 0..n-1), the method check and
// prepare() (step n), the method (n + 1), finish() (n + 2); finish() runs the after() of the
// middleware. Most steps finish at once (no database call, or a cached one): they run here without
// a coroutine; the first step that suspends hands the rest to resume_handler.
void Application::run_handler(std::unique_ptr<RequestHandler> owned, unsigned allowed) {
  RequestHandler& h = *owned;
  unsigned step = 0;
  Future<void> pending = advance(h, allowed, step);
  if (pending.valid()) {
    (void)resume_handler(std::move(owned), std::move(pending), allowed, step);
    return;
  }
  end_handler(h);
  hand_over(std::move(owned));
}

// Runs steps from `step` until one waits (returned, with `step` past it) or the response is done
// (an empty Future).
Future<void> Application::advance(RequestHandler& h, unsigned allowed, unsigned& step) {
  const auto n = static_cast<unsigned>(h.middleware_ ? h.middleware_->size() : 0);
  try {
    while (!h.finished()) {
      unsigned s = step++;
      Future<void> next;  // a step that does not wait may return an empty Future (`return {};`)
      if (s < n) {
        h.middleware_ran_ = s + 1;
        next = (*h.middleware_)[s]->before(h);
      } else if (s == n) {
        if (allowed != kAnyMethod && (allowed & method_bit(h.request().method)) == 0) {
          throw HTTPError(405).with_header("Allow", allow_list(allowed));
        }
        next = h.prepare();
      } else if (s == n + 1) {
        next = h.call_method();
      } else {
        h.finish();
        break;
      }
      if (next.valid() && !next.done()) return next;
      if (next.valid()) next.result();  // rethrows a failure
    }
  } catch (...) {
    step_failed(h, step - 1, std::current_exception());
  }
  return {};
}

// A middleware whose before() throws does not see the response; those before it do.
void Application::step_failed(RequestHandler& h, unsigned step, std::exception_ptr error) {
  const auto n = static_cast<unsigned>(h.middleware_ ? h.middleware_->size() : 0);
  if (step < n) h.middleware_ran_ = step;
  h.handle_exception(std::move(error));
}

Future<void> Application::resume_handler(std::unique_ptr<RequestHandler> owned,
                                         Future<void> pending, unsigned allowed, unsigned step) {
  RequestHandler& h = *owned;
  // While it waits, the handler hears of a client that goes away (only handlers that suspend:
  // one that finishes at once has nothing left to stop).
  h.sink_->watch_peer(&h);
  while (pending.valid()) {
    std::exception_ptr error;
    try {
      co_await std::move(pending);
    } catch (...) {
      error = std::current_exception();
    }
    pending = Future<void>();
    if (error) step_failed(h, step - 1, std::move(error));
    pending = advance(h, allowed, step);
  }
  h.sink_->watch_peer(nullptr);
  end_handler(h);
  hand_over(std::move(owned));
}

void Application::end_handler(RequestHandler& h) {
  h.app_->log_request(h);
  finish_request(*h.app_, h);
}

// After an upgrade (a WebSocket, an event stream) the handler lives on with its connection.
void Application::hand_over(std::unique_ptr<RequestHandler> owned) {
  auto protocol = owned->sink_ ? owned->sink_->upgraded() : nullptr;
  if (protocol) protocol->adopt(std::move(owned));
}

void Application::log_request(const RequestHandler& handler) const {
  if (!settings_.access_log) return;
  int status = handler.get_status();
  log::Level level = status < 400   ? log::Level::info
                     : status < 500 ? log::Level::warning
                                    : log::Level::error;
  if (!log::enabled(level)) return;
  const HTTPServerRequest& r = handler.request();
  log::emit(level, "gale.access", "{} {} {} ({}) {:.2f}ms {}", status,
            r.method.empty() ? "-" : r.method, r.uri.empty() ? "-" : r.uri, r.remote_ip,
            r.elapsed_ms(), r.request_id);
}

std::vector<Application::RouteInfo> Application::routes() const {
  std::vector<RouteInfo> out;
  for (std::size_t i = 0; i < targets_.size(); ++i)
    out.push_back({router_.pattern(i), &targets_[i]});
  return out;
}

}  // namespace gale::web
