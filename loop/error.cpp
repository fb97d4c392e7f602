#include "gale/loop/error.hpp"

#include <array>
#include <cstddef>
#include <exception>
#include <utility>

#include "gale/loop/detail/enum_table.hpp"

namespace gale {

namespace {

// Each kind's name and the words a client is shown for it.
struct KindRow {
  ErrorKind kind;
  std::string_view name;
  std::string_view client_message;
};
constexpr auto kKinds = std::to_array<KindRow>({
    {ErrorKind::invalid_argument, "invalid_argument", "invalid request"},
    {ErrorKind::not_found, "not_found", "not found"},
    {ErrorKind::duplicate, "duplicate", "duplicate key"},
    {ErrorKind::conflict, "conflict", "conflict with a concurrent change, retry"},
    {ErrorKind::timeout, "timeout", "the operation timed out"},
    {ErrorKind::unavailable, "unavailable", "service unavailable, retry later"},
    {ErrorKind::unauthorized, "unauthorized", "unauthorized"},
    {ErrorKind::forbidden, "forbidden", "forbidden"},
    {ErrorKind::internal, "internal", "Internal Server Error"},
});
static_assert(detail::covers_each_once(kKinds, &KindRow::kind,
                                       static_cast<std::size_t>(ErrorKind::internal) + 1));
static_assert(kKinds.back().kind == ErrorKind::internal);  // the fallback below

// The row of `kind`; internal's for a value outside the enumeration.
const KindRow& row_of(ErrorKind kind) noexcept {
  const KindRow* row = detail::find_row(kKinds, &KindRow::kind, kind);
  return row ? *row : kKinds.back();
}

}  // namespace

std::string_view to_string(ErrorKind kind) noexcept {
  return row_of(kind).name;
}

ErrorKind parse_error_kind(std::string_view name) {
  if (const KindRow* row = detail::find_row(kKinds, &KindRow::name, name)) return row->kind;
  throw Error(ErrorKind::invalid_argument, "unknown error kind " + std::string(name));
}

std::string_view client_message_for(ErrorKind kind) noexcept {
  return row_of(kind).client_message;
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
