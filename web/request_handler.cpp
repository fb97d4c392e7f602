#include "gale/web/request_handler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <utility>

#include "gale/loop/error.hpp"
#include "gale/loop/log.hpp"
#include "gale/web/application.hpp"
#include "gale/web/detail/date_cache.hpp"
#include "gale/web/detail/error_response.hpp"
#include "gale/web/detail/gzip.hpp"
#include "gale/web/detail/json_writer.hpp"
#include "gale/web/detail/response_sink.hpp"
#include "gale/web/detail/utf8.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/json_body.hpp"
#include "gale/web/status.hpp"

namespace gale::web {
namespace {

using namespace std::string_view_literals;

// Bodies at least this large are not copied behind the head: the head and the body leave in one
// gather write.
constexpr std::size_t kGatherBody = 16 * 1024;

// CR, LF or NUL in s. Eight bytes at a time: a word without a byte below 0x0e (most text) needs
// no look at its bytes (a tab, 0x09, does; it is rare in header fields).
bool unsafe_header_text(std::string_view s) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHighs = 0x8080808080808080;
  auto unsafe = [](char c) { return c == '\r' || c == '\n' || c == '\0'; };
  auto suspect = [](const char* p) noexcept {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    return ((word - kOnes * 0x0e) & ~word & kHighs) != 0;
  };
  const char* p = s.data();
  const char* end = p + s.size();
  if (s.size() < 8) return std::any_of(p, end, unsafe);
  for (; end - p > 8; p += 8) {
    if (suspect(p) && std::any_of(p, p + 8, unsafe)) return true;
  }
  p = end - 8;  // the last 8 bytes, overlapping the words before: no byte-by-byte tail
  return suspect(p) && std::any_of(p, end, unsafe);
}

void check_header_text(std::string_view name, std::string_view value) {
  if (name.empty() || unsafe_header_text(name) || unsafe_header_text(value) ||
      name.find(':') != name.npos) {
    throw Error(ErrorKind::invalid_argument,
                fmt::format("unsafe response header '{}': no CR, LF or NUL allowed", name));
  }
}

Future<void> method_not_allowed() {
  throw HTTPError(405);
}

const std::string& last_value(const std::vector<std::pair<std::string, std::string>>& args,
                              std::string_view name, bool& found) {
  static const std::string empty;
  for (auto it = args.rbegin(); it != args.rend(); ++it) {
    if (it->first == name) {
      found = true;
      return it->second;
    }
  }
  found = false;
  return empty;
}

}  // namespace

RequestHandler::RequestHandler() = default;
RequestHandler::~RequestHandler() {
  if (!sink_) return;
  if (request_) sink_->recycle(std::move(request_));
  if (headers_.fields().capacity() != 0) sink_->buffers().give_back(headers_.fields());
}

void RequestHandler::on_connection_close() {}

void RequestHandler::notify_connection_close() noexcept {
  try {
    on_connection_close();
  } catch (...) {
    log::warning("gale.web", "on_connection_close failed: {} ({})",
                 describe(std::current_exception()), request_ ? request_->request_id : "-");
  }
}

bool RequestHandler::client_gone() const noexcept {
  return sink_ && sink_->peer_gone();
}

Future<void> RequestHandler::prepare() {
  return make_ready_future();  // shared per thread: no allocation per request
}
Future<void> RequestHandler::get(std::string_view) {
  return method_not_allowed();
}
Future<void> RequestHandler::post(std::string_view) {
  return method_not_allowed();
}
Future<void> RequestHandler::put(std::string_view) {
  return method_not_allowed();
}
Future<void> RequestHandler::patch(std::string_view) {
  return method_not_allowed();
}
Future<void> RequestHandler::delete_(std::string_view) {
  return method_not_allowed();
}
Future<void> RequestHandler::head(std::string_view arg) {
  return get(arg);  // finish() drops the body of a HEAD response
}
Future<void> RequestHandler::options(std::string_view) {
  return method_not_allowed();
}
void RequestHandler::on_finish() {}

void RequestHandler::write_error(int status, const ErrorInfo& info) {
  app_->write_error(*this, status, info);
}

const Settings& RequestHandler::settings() const noexcept {
  return app_->settings();
}

void RequestHandler::attach(const Application& app, std::unique_ptr<HTTPServerRequest> request,
                            PathArgs args, std::shared_ptr<detail::ResponseSink> sink) {
  app_ = &app;
  request_ = std::move(request);
  path_args_ = std::move(args);
  sink_ = std::move(sink);
  head_request_ = request_->method == "HEAD";
}

Future<void> RequestHandler::call_method() {
  std::string_view arg = path_args_.values.empty() ? std::string_view() : path_args_.values[0];
  const std::string& m = request_->method;
  if (m == "GET") return get(arg);
  if (m == "POST") return post(arg);
  if (m == "PUT") return put(arg);
  if (m == "PATCH") return patch(arg);
  if (m == "DELETE") return delete_(arg);
  if (m == "HEAD") return head(arg);
  if (m == "OPTIONS") return options(arg);
  return method_not_allowed();
}

// --- request access

std::string_view RequestHandler::path_argument(std::string_view name) const {
  if (const std::string* v = path_args_.find(name)) return *v;
  throw Error(ErrorKind::internal, fmt::format("the route has no path argument '{}'", name));
}

std::int64_t RequestHandler::path_int(std::string_view name) const {
  std::string_view text = path_argument(name);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw HTTPError(400, fmt::format("path argument '{}' is not an integer", name));
  }
  return value;
}

// Arguments are text: bytes that are not UTF-8 once percent-decoded are the client's error (as
// Tornado's decode_argument). request().query_arguments() keeps the raw bytes for who wants them.
namespace {
const std::string& checked_argument(std::string_view name, const std::string& value) {
  if (!detail::valid_utf8(value)) {
    throw HTTPError(400, fmt::format("argument '{}' is not valid UTF-8", name));
  }
  return value;
}
}  // namespace

std::optional<std::string> RequestHandler::get_optional_argument(std::string_view name) const {
  bool found = false;
  const std::string& body_value = last_value(request_->body_arguments(), name, found);
  if (found) return checked_argument(name, body_value);
  const std::string& query_value = last_value(request_->query_arguments(), name, found);
  if (found) return checked_argument(name, query_value);
  return std::nullopt;
}

std::string RequestHandler::get_argument(std::string_view name) const {
  auto v = get_optional_argument(name);
  if (!v) throw HTTPError(400, fmt::format("missing argument '{}'", name));
  return std::move(*v);
}

std::string RequestHandler::get_argument(std::string_view name, std::string_view fallback) const {
  auto v = get_optional_argument(name);
  return v ? std::move(*v) : std::string(fallback);
}

std::vector<std::string> RequestHandler::get_arguments(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto* args : {&request_->query_arguments(), &request_->body_arguments()}) {
    for (const auto& [n, v] : *args) {
      if (n == name) out.push_back(checked_argument(name, v));
    }
  }
  return out;
}

std::string_view RequestHandler::header(std::string_view name,
                                        std::string_view fallback) const noexcept {
  return request_->headers.get(name, fallback);
}

nlohmann::json RequestHandler::json_body() const {
  if (auto type = request_->headers.get("Content-Type"); type && !is_json_media_type(*type)) {
    throw HTTPError(415, "the body must be JSON (Content-Type: application/json)");
  }
  return parse_json(request_->body, {settings().max_body_size, settings().max_json_depth});
}

// --- the response

void RequestHandler::set_status(int status, std::string_view reason) {
  if (status < 100 || status > 999) {
    throw Error(ErrorKind::invalid_argument, fmt::format("invalid HTTP status {}", status));
  }
  status_ = status;
  if (reason.empty()) {
    reason_.reset();
  } else {
    reason_ = std::make_unique<std::string>(reason);
  }
}

void RequestHandler::take_header_fields() {
  if (sink_) headers_.fields() = sink_->buffers().take_fields();
}

void RequestHandler::set_header(std::string_view name, std::string value) {
  check_header_text(name, value);
  make_room_for_headers();
  headers_.set(name, std::move(value));
}

void RequestHandler::add_header(std::string name, std::string value) {
  check_header_text(name, value);
  make_room_for_headers();
  headers_.add(std::move(name), std::move(value));
}

void RequestHandler::add_library_header(std::string_view name, std::string_view value,
                                        bool literal_value) {
  assert(!name.empty() && !unsafe_header_text(name) && name.find(':') == name.npos);
  assert(!literal_value || !unsafe_header_text(value));
  if (!literal_value && unsafe_header_text(value)) check_header_text(name, value);  // throws
  make_room_for_headers();
  auto& fields = headers_.fields();
  if (!sink_ || (name.size() <= detail::BufferPool::kInlineText &&
                 value.size() <= detail::BufferPool::kInlineText)) {
    fields.emplace_back(std::piecewise_construct, std::forward_as_tuple(name),
                        std::forward_as_tuple(value));  // in place: no string moved
    return;
  }
  detail::BufferPool& pool = sink_->buffers();
  fields.emplace_back(pool.text(name), pool.text(value));
}

void RequestHandler::clear_header(std::string_view name) {
  headers_.erase(name);
}

void RequestHandler::write(std::string_view chunk) {
  if (finished_) throw Error(ErrorKind::internal, "write() after finish()");
  if (default_type_.empty()) default_type_ = "text/plain; charset=utf-8";
  body_buffer().append(chunk);
}

void RequestHandler::write_json(const nlohmann::json& value) {
  if (finished_) throw Error(ErrorKind::internal, "write_json() after finish()");
  if (default_type_.empty()) default_type_ = "application/json";
  detail::append_json(body_buffer(), value);
}

// The body, in a pooled buffer from its first byte on.
std::string& RequestHandler::body_buffer() {
  if (body_.empty() && body_.capacity() < 64) body_ = sink_->buffers().take(256);
  return body_;
}

bool RequestHandler::body_allowed() const noexcept {
  return !(status_ < 200 || status_ == 204 || status_ == 304);
}

namespace {

// Head writing through a cursor: literals copy with their size known when compiling.
template <std::size_t N>
char* copy_in(char* p, const char (&literal)[N]) noexcept {
  std::memcpy(p, literal, N - 1);
  return p + (N - 1);
}
char* copy_in(char* p, std::string_view text) noexcept {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

// Room for every literal a head has, the status and a Content-Length (129 bytes at most today).
constexpr std::size_t kHeadLiterals = 192;

}  // namespace

std::string RequestHandler::serialize_head(bool chunked, std::size_t content_length) {
  bool keep_alive =
      request_->keep_alive && !sink_->closing() && (!chunked || request_->version == "HTTP/1.1");
  request_->keep_alive = keep_alive;
  std::string_view reason = reason_ ? std::string_view(*reason_) : reason_phrase(status_);
  std::string_view server = settings().server_header;
  std::string_view date = detail::http_date();
  bool typed = !default_type_.empty() && !headers_.contains("Content-Type");
  std::string_view type = typed ? default_type_ : std::string_view();
  std::string_view id = request_->request_id;
  std::size_t bound =
      kHeadLiterals + reason.size() + server.size() + date.size() + type.size() + id.size();
  for (const auto& [name, value] : headers_.fields()) bound += 4 + name.size() + value.size();

  std::string out = sink_->buffers().take(bound + (body_.size() < kGatherBody ? body_.size() : 0));
  out.resize(bound);
  char* p = copy_in(out.data(), "HTTP/1.1 ");
  p = std::to_chars(p, p + 3, status_).ptr;  // set_status keeps it to 3 digits
  p = copy_in(copy_in(p, " "), reason);
  if (!server.empty()) p = copy_in(copy_in(p, "\r\nServer: "), server);
  p = copy_in(copy_in(p, "\r\nDate: "), date);
  for (const auto& [name, value] : headers_.fields()) {
    p = copy_in(copy_in(copy_in(copy_in(p, "\r\n"), name), ": "), value);
  }
  if (typed) p = copy_in(copy_in(p, "\r\nContent-Type: "), type);
  if (chunked && keep_alive) {
    p = copy_in(p, "\r\nTransfer-Encoding: chunked");
  } else if (!chunked && body_allowed()) {
    p = copy_in(p, "\r\nContent-Length: ");
    p = std::to_chars(p, p + 20, content_length).ptr;
  }
  p = copy_in(copy_in(p, "\r\nX-Request-Id: "), id);
  if (!keep_alive) {
    p = copy_in(p, "\r\nConnection: close");
  } else if (request_->version == "HTTP/1.0") {
    p = copy_in(p, "\r\nConnection: keep-alive");
  }
  p = copy_in(p, "\r\n\r\n");
  assert(p <= out.data() + bound && "kHeadLiterals must cover every literal of a head");
  out.resize(static_cast<std::size_t>(p - out.data()));
  return out;
}

void RequestHandler::maybe_gzip() {
  const Settings& s = settings();
  if (!s.gzip || body_.size() < s.gzip_min_size || !body_allowed() ||
      headers_.contains("Content-Encoding") ||
      !detail::compressible_type(headers_.get("Content-Type", default_type_)) ||
      !detail::accepts_gzip(request_->headers.get("Accept-Encoding", ""))) {
    return;
  }
  body_ = detail::gzip_compress(body_);
  headers_.set("Content-Encoding", "gzip");
  headers_.add("Vary", "Accept-Encoding");
}

Future<void> RequestHandler::flush() {
  if (finished_) throw Error(ErrorKind::internal, "flush() after finish()");
  std::string bytes;
  if (!headers_sent_ && middleware_ran_ > 0) {
    run_after_middleware();
    if (finished_) return make_ready_future();  // an after() failed: the error response is sent
  }
  if (!headers_sent_) {
    bytes = serialize_head(true, 0);
    headers_sent_ = true;
    chunked_ = request_->keep_alive;  // HTTP/1.0 or closing: raw body until the connection closes
  }
  if (!body_.empty() && !head_request_ && body_allowed()) {
    if (chunked_) bytes.append(fmt::format("{:x}\r\n", body_.size()));
    bytes.append(body_);
    if (chunked_) bytes.append("\r\n");
  }
  body_.clear();
  sink_->send(std::move(bytes), {}, false, request_->keep_alive);
  return sink_->drained();
}

void RequestHandler::finish() {
  if (finished_) throw Error(ErrorKind::internal, "finish() called twice");
  if (!headers_sent_ && middleware_ran_ > 0) {
    run_after_middleware();
    if (finished_) return;  // an after() failed: the error response is sent
  }
  std::string bytes;
  std::string tail;
  bool send_body = !head_request_ && body_allowed();
  if (!headers_sent_) {
    maybe_gzip();
    bytes = serialize_head(false, body_.size());
    if (send_body && body_.size() >= kGatherBody) {
      tail = std::move(body_);  // written after the head in one gather write, not copied
    } else if (send_body) {
      bytes.append(body_);
    }
    headers_sent_ = true;
  } else if (send_body) {
    if (chunked_ && !body_.empty()) bytes.append(fmt::format("{:x}\r\n", body_.size()));
    bytes.append(body_);
    if (chunked_) bytes.append(body_.empty() ? "0\r\n\r\n" : "\r\n0\r\n\r\n");
  }
  sink_->buffers().give_back(body_);
  finished_ = true;
  sink_->send(std::move(bytes), std::move(tail), true, request_->keep_alive);
}

void RequestHandler::run_after_middleware() {
  std::exception_ptr failure;
  for (auto i = std::exchange(middleware_ran_, 0); i-- > 0;) {
    try {
      (*middleware_)[i]->after(*this);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  if (failure) handle_exception(failure);  // the error envelope, finished (without after())
}

void RequestHandler::finish(std::string_view chunk) {
  write(chunk);
  finish();
}

void RequestHandler::redirect(std::string_view url, bool permanent) {
  if (headers_sent_) throw Error(ErrorKind::internal, "redirect() after the headers were sent");
  set_status(permanent ? 301 : 302);
  set_header("Location", std::string(url));
  finish();
}

void RequestHandler::clear() {
  if (headers_sent_) return;
  headers_.clear();
  default_type_ = {};
  body_.clear();
  reason_.reset();
  status_ = 200;
}

void RequestHandler::send_error(int status, ErrorInfo info) {
  if (headers_sent_) {
    sink_->abort();  // the status line is gone: all we can do is close
    finished_ = true;
    return;
  }
  clear();
  set_status(status);
  write_error_response(status, info);
}

}  // namespace gale::web

namespace gale::web {

void RequestHandler::handle_exception(std::exception_ptr error) {
  detail::ErrorResponse r = detail::error_response(error, settings());
  const HTTPServerRequest& q = *request_;
  if (r.unexpected || finished_ || headers_sent_) {
    log::error("gale.web", "uncaught exception in {} {} (request id {}): {}", q.method, q.uri,
               q.request_id, describe(error));
  } else if (!r.detail.empty() && log::enabled(r.level)) {
    log::emit(r.level, "gale.web", "{} {} {} (request id {}): {}", r.info.status, q.method, q.uri,
              q.request_id, r.detail);
  }
  if (finished_) return;
  if (headers_sent_) {
    sink_->abort();  // the status line went out already: close, the client sees a cut response
    finished_ = true;
    return;
  }
  clear();
  set_status(r.info.status);
  for (auto& [name, value] : r.headers) add_header(std::move(name), std::move(value));
  write_error_response(r.info.status, r.info);
}

void RequestHandler::write_error_response(int status, const ErrorInfo& given) {
  // A message may quote what a client sent: an override of write_error gets valid UTF-8, so that
  // putting it in JSON cannot throw.
  ErrorInfo sanitized;
  bool clean = detail::valid_utf8(given.message);
  if (!clean)
    sanitized = ErrorInfo{given.status, detail::to_valid_utf8(given.message), given.exception,
                          given.errors};
  const ErrorInfo& info = clean ? given : sanitized;
  try {
    write_error(status, info);
  } catch (...) {
    log::error("gale.web", "write_error failed (request id {}): {}", request_->request_id,
               describe(std::current_exception()));
    if (finished_) return;
    clear();
    set_status(status);
    app_->Application::write_error(*this, status, info);
  }
  if (!finished_) finish();
}

}  // namespace gale::web
