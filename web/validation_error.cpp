#include "gale/web/validation_error.hpp"

#include <utility>

#include "gale/web/detail/utf8.hpp"

namespace gale::web {

ValidationError::ValidationError(std::vector<FieldError> errors, int status)
    : HTTPError(status, summary(errors)), errors_(std::move(errors)) {}

std::string ValidationError::summary(const std::vector<FieldError>& errors) {
  if (errors.empty()) return "invalid body";
  const FieldError& first = errors.front();
  std::string out = "invalid body: ";
  if (!first.path.empty()) {
    // The pointer without its leading '/', cut short: the list has it whole.
    std::string_view name = detail::utf8_prefix(std::string_view(first.path).substr(1), 64);
    out.append("'").append(name).append("' ");
  }
  out += first.message;
  if (errors.size() > 1) {
    std::size_t more = errors.size() - 1;
    out += " (and " + std::to_string(more) + (more == 1 ? " more error)" : " more errors)");
  }
  return out;
}

}  // namespace gale::web
