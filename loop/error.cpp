#include "gale/loop/error.hpp"

#include <exception>
#include <utility>

namespace gale {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return "invalid_argument";
    case ErrorKind::not_found:
      return "not_found";
    case ErrorKind::duplicate:
      return "duplicate";
    case ErrorKind::conflict:
      return "conflict";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::unauthorized:
      return "unauthorized";
    case ErrorKind::forbidden:
      return "forbidden";
    case ErrorKind::internal:
      return "internal";
  }
  return "internal";
}

std::string_view client_message_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return "invalid request";
    case ErrorKind::not_found:
      return "not found";
    case ErrorKind::duplicate:
      return "duplicate key";
    case ErrorKind::conflict:
      return "conflict with a concurrent change, retry";
    case ErrorKind::timeout:
      return "the operation timed out";
    case ErrorKind::unavailable:
      return "service unavailable, retry later";
    case ErrorKind::unauthorized:
      return "unauthorized";
    case ErrorKind::forbidden:
      return "forbidden";
    case ErrorKind::internal:
      return "Internal Server Error";
  }
  return "Internal Server Error";
}

Error::Error(ErrorKind kind, const std::string& message, std::string client_message)
    : Error(kind, message) {
  set_client_message(std::move(client_message));
}

const std::string& Error::client_message() const noexcept {
  static const std::string none;
  return extra_ ? extra_->client_message : none;
}

const std::string& Error::constraint() const noexcept {
  static const std::string none;
  return extra_ ? extra_->constraint : none;
}

Error::Extra& Error::extra() {
  // Copy on write: an Error copied before the change keeps what it had.
  auto fresh = extra_ ? std::make_shared<Extra>(*extra_) : std::make_shared<Extra>();
  Extra& out = *fresh;
  extra_ = std::move(fresh);
  return out;
}

void Error::set_client_message(std::string text) {
  extra().client_message = std::move(text);
}

void Error::set_constraint(std::string name) {
  extra().constraint = std::move(name);
}

ErrorKind kind_of(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return e.kind();
  } catch (...) {
    return ErrorKind::internal;
  }
}

std::string describe(const std::exception_ptr& error) {
  if (!error) return "no error";
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return std::string(to_string(e.kind())) + ": " + e.what();
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace gale
