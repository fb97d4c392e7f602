#include "gale/web/detail/error_response.hpp"

#include "gale/loop/error.hpp"
#include "gale/web/detail/utf8.hpp"
#include "gale/web/http_error.hpp"
#include "gale/web/status.hpp"
#include "gale/web/validation_error.hpp"

namespace gale::web::detail {
namespace {

void from_http_error(const HTTPError& e, const Settings& settings, ErrorResponse& out) {
  out.info.status = e.status();
  out.info.message = !e.message().empty() ? e.message() : std::string(reason_phrase(e.status()));
  out.headers = e.headers();
  if (!e.log_message().empty()) {
    out.detail = e.log_message();
    if (settings.debug) out.info.message += ": " + e.log_message();
  }
  out.level = out.info.status >= 500 ? log::Level::warning : log::Level::info;
}

// The message of a gale::Error for a client: its own client message, an opted-in constraint
// message, or its kind's words; everything with debug.
std::string client_text(const Error& e, const Settings& settings) {
  if (settings.debug) return e.what();
  if (!e.client_message().empty()) return e.client_message();
  if (!e.constraint().empty()) {
    auto it = settings.constraint_messages.find(e.constraint());
    if (it != settings.constraint_messages.end()) return it->second;
  }
  return std::string(client_message_for(e.kind()));
}

void from_error(const Error& e, const Settings& settings, ErrorResponse& out) {
  out.info.status = status_for(e.kind());
  out.info.message = client_text(e, settings);
  if (e.kind() == ErrorKind::unavailable) out.headers.emplace_back("Retry-After", "1");
  out.unexpected = e.kind() == ErrorKind::internal;
  out.level = out.unexpected           ? log::Level::error
              : out.info.status >= 500 ? log::Level::warning
                                       : log::Level::info;
}

}  // namespace

ErrorResponse error_response(const std::exception_ptr& error, const Settings& settings) {
  ErrorResponse out;
  out.info.exception = error;
  try {
    std::rethrow_exception(error);
  } catch (const ValidationError& e) {
    from_http_error(e, settings, out);
    out.info.errors = e.errors();
  } catch (const HTTPError& e) {
    from_http_error(e, settings, out);
  } catch (const Error& e) {
    from_error(e, settings, out);
    out.detail = describe(error);
  } catch (const std::exception& e) {
    out.info.status = 500;
    out.info.message = settings.debug ? std::string(e.what()) : std::string(reason_phrase(500));
    out.detail = describe(error);
    out.unexpected = true;
    out.level = log::Level::error;
  } catch (...) {
    out.info.status = 500;
    out.info.message = std::string(reason_phrase(500));
    out.detail = describe(error);
    out.unexpected = true;
    out.level = log::Level::error;
  }
  out.info.message = to_valid_utf8(out.info.message);
  return out;
}

}  // namespace gale::web::detail
