// What json_type.hpp's codecs share and need not be templates: the path being read, the errors
// found so far, the checks of constraints on JSON values, and their JSON Schema keywords.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gale/web/json_fields.hpp"
#include "gale/web/validation_error.hpp"

namespace gale::web::detail {

// Where a decode is and what failed so far (at most kMaxErrors: a hostile body cannot make the
// error response larger than that). The path is a chain of Steps on the stack, made into a JSON
// Pointer only when something fails: a body that passes costs no string work.
class DecodeContext {
 public:
  static constexpr std::size_t kMaxErrors = 100;

  void fail(std::string message);
  void fail_at(std::string_view key, std::string message);  // at the member `key` of here
  bool failed() const noexcept { return !errors_.empty(); }
  std::vector<FieldError> take_errors() { return std::move(errors_); }

  // Descends into a member or an element for the life of the Step.
  class Step {
   public:
    Step(DecodeContext& c, std::string_view key) noexcept
        : c_(c), parent_(c.top_), key_(key), index_(0), is_index_(false) {
      c.top_ = this;
    }
    Step(DecodeContext& c, std::size_t index) noexcept
        : c_(c), parent_(c.top_), index_(index), is_index_(true) {
      c.top_ = this;
    }
    ~Step() { c_.top_ = parent_; }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    friend class DecodeContext;
    DecodeContext& c_;
    const Step* parent_;
    std::string_view key_;
    std::size_t index_;
    bool is_index_;
  };

 private:
  std::string pointer() const;  // RFC 6901

  const Step* top_ = nullptr;
  std::vector<FieldError> errors_;
};

const Rules& no_rules() noexcept;

// Each reports what fails to `c` and returns whether everything held.
bool check_string(const std::string& s, const Rules& r, DecodeContext& c);
bool check_number(double v, const Rules& r, DecodeContext& c);
bool check_one_of(const nlohmann::json& v, const Rules& r, DecodeContext& c);
// Sizes (items of an array, members of an object) and, for arrays, uniqueness.
bool check_size(const nlohmann::json& v, const Rules& r, DecodeContext& c);

// The keywords of `r` for a schema of JSON type `type` ("string", "array", "object", ...).
void add_keywords(nlohmann::json& schema, const Rules& r, std::string_view type);

// "is not a field (fields: a, b, c)"
std::string unknown_field_message(const std::vector<std::string_view>& names);

}  // namespace gale::web::detail
