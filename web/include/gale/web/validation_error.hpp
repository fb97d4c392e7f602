// ValidationError: a body that parsed as JSON but does not have the declared shape. It is an
// HTTPError(400) whose message sums the failures up and whose errors() list every failing field by
// its JSON Pointer; write_error adds that list to the envelope:
//
//   {"error": {"status": 400, "message": "invalid body: 'title' is required (and 1 more error)",
//              "request_id": "...",
//              "errors": [{"path": "/title", "message": "is required"},
//                         {"path": "/tags/2", "message": "must be a string"}]}}
//
// 400 and not 422: every other body error of gale (malformed JSON, too deep, a wrong media type's
// sibling 415 aside) is 400, the field list is what tells a client what to fix, and RFC 9110 makes
// 400 the status of a request the client must change before sending it again.
#pragma once

#include <string>
#include <vector>

#include "gale/web/http_error.hpp"

namespace gale::web {

struct FieldError {
  std::string path;  // a JSON Pointer into the body (RFC 6901): "" is the body, "/tags/2"
  std::string message;
  bool operator==(const FieldError&) const = default;
};

class ValidationError : public HTTPError {
 public:
  explicit ValidationError(std::vector<FieldError> errors, int status = 400);
  const std::vector<FieldError>& errors() const noexcept { return errors_; }

  // "invalid body: '<path>' <message>", and how many more failed.
  static std::string summary(const std::vector<FieldError>& errors);

 private:
  std::vector<FieldError> errors_;
};

}  // namespace gale::web
