#include "gale/web/request.hpp"

namespace gale::web {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string url_unescape(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query_string(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(url_unescape(part), std::string());
    } else {
      out.emplace_back(url_unescape(part.substr(0, eq)), url_unescape(part.substr(eq + 1)));
    }
  }
  return out;
}

std::string_view HTTPServerRequest::path() const noexcept {
  std::string_view u(uri);
  return u.substr(0, u.find('?'));
}

std::string_view HTTPServerRequest::query() const noexcept {
  std::string_view u(uri);
  auto q = u.find('?');
  return q == std::string_view::npos ? std::string_view() : u.substr(q + 1);
}

HTTPServerRequest::Arguments& HTTPServerRequest::arguments() const {
  if (!arguments_) arguments_ = std::make_unique<Arguments>();
  return *arguments_;
}

const std::vector<std::pair<std::string, std::string>>& HTTPServerRequest::query_arguments() const {
  auto& parsed = arguments().query;
  if (!parsed) parsed = parse_query_string(query());
  return *parsed;
}

const std::vector<std::pair<std::string, std::string>>& HTTPServerRequest::body_arguments() const {
  auto& parsed = arguments().body;
  if (!parsed) {
    auto type = headers.get("Content-Type", "");
    bool form = type.substr(0, type.find(';')) == "application/x-www-form-urlencoded";
    parsed = form ? parse_query_string(body) : std::vector<std::pair<std::string, std::string>>();
  }
  return *parsed;
}

std::string_view HTTPServerRequest::client_certificate_subject() const noexcept {
  return arguments_ ? std::string_view(arguments_->client_certificate_subject) : std::string_view();
}

void HTTPServerRequest::set_client_certificate_subject(std::string subject) {
  arguments().client_certificate_subject = std::move(subject);
}

double HTTPServerRequest::elapsed_ms() const noexcept {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_time)
      .count();
}

void HTTPServerRequest::reset() noexcept {
  constexpr std::size_t kKeepBody = 4096;
  constexpr std::size_t kKeepFields = 32;
  method.clear();
  uri.clear();
  version.clear();
  if (headers.fields().capacity() > kKeepFields) {
    std::vector<HTTPHeaders::Field>().swap(headers.fields());
  } else {
    headers.clear();
  }
  if (body.capacity() > kKeepBody) {
    std::string().swap(body);
  } else {
    body.clear();
  }
  remote_ip.clear();
  protocol.assign("http");  // fits the room any string has inline: no allocation
  request_id.clear();
  start_time = {};
  keep_alive = false;
  if (arguments_) *arguments_ = Arguments();
}

}  // namespace gale::web
