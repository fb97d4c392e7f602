// Result, Row and Field: typed access to what a query returned, and conversion to JSON by column
// type.
//
//   auto rows = co_await pg.query("SELECT id, title FROM notes");
//   for (auto row : rows) { int64_t id = row["id"].as<int64_t>(); ... }
//   nlohmann::json j = rows.to_json();          // [{"id": 1, "title": "..."}, ...]
//
// JSON by column type: int2/int4/int8/oid -> numbers; float4/float8 -> numbers (NaN and
// infinities as strings); numeric and money -> strings (exact); bool; json/jsonb -> the embedded
// JSON; date, time(tz), timestamp(tz) -> ISO 8601 strings ("2024-01-02T03:04:05.5+00:00");
// interval -> ISO 8601 duration ("P1DT2H"); uuid and text types -> strings; bytea -> base64;
// arrays (any dimension) -> JSON arrays; NULL -> null; domains as their base type, enums as their
// label, arrays of them as arrays (types looked up in pg_type once). Other types give their text.
//
// as<T>() reads one value: integers, float/double, bool, std::string, std::string_view (valid
// while the Result lives), nlohmann::json, std::vector<std::uint8_t> (bytea), and std::optional
// of each (empty for NULL). A NULL read as a non-optional type, or text that does not parse as T,
// throws gale::Error(internal) naming the column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gale/pg/oids.hpp"

struct pg_result;

namespace gale::pg {

class Row;

namespace detail {
struct ResultData;
struct TypeCatalog;
}  // namespace detail

class Field {
 public:
  bool is_null() const noexcept;
  std::string_view text() const noexcept;  // the value in PostgreSQL's text format
  std::string_view name() const noexcept;
  oid::Oid type() const noexcept;

  template <class T>
  T as() const {
    if constexpr (is_optional<T>::value) {
      if (is_null()) return std::nullopt;
      return as<typename T::value_type>();
    } else {
      if (is_null()) null_error();
      return convert(static_cast<T*>(nullptr));
    }
  }

  nlohmann::json to_json() const;

 private:
  friend class Row;
  Field(const detail::ResultData* data, int row, int column) noexcept
      : data_(data), row_(row), column_(column) {}

  template <class T>
  struct is_optional : std::false_type {};
  template <class T>
  struct is_optional<std::optional<T>> : std::true_type {};

  [[noreturn]] void null_error() const;
  [[noreturn]] void parse_error(std::string_view as_what) const;
  std::int64_t integer() const;

  template <class T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) T convert(T*)
  const {
    auto v = integer();
    if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max())) {
      parse_error("a value that fits the requested integer type");
    }
    return static_cast<T>(v);
  }
  bool convert(bool*) const;
  double convert(double*) const;
  float convert(float*) const { return static_cast<float>(convert(static_cast<double*>(nullptr))); }
  std::string convert(std::string*) const { return std::string(text()); }
  std::string_view convert(std::string_view*) const { return text(); }
  nlohmann::json convert(nlohmann::json*) const { return to_json(); }
  std::vector<std::uint8_t> convert(std::vector<std::uint8_t>*) const;

  const detail::ResultData* data_;
  int row_;
  int column_;
};

class Row {
 public:
  std::size_t size() const noexcept;
  Field operator[](std::size_t column) const;
  // Throws gale::Error(invalid_argument) for a name the result does not have.
  Field operator[](std::string_view column) const;
  Field operator[](const char* column) const { return (*this)[std::string_view(column)]; }
  // An object keyed by column names.
  nlohmann::json to_json() const;

 private:
  friend class Result;
  Row(std::shared_ptr<const detail::ResultData> data, int row) noexcept
      : data_(std::move(data)), row_(row) {}

  std::shared_ptr<const detail::ResultData> data_;
  int row_;
};

class Result {
 public:
  Result() = default;
  // Takes ownership of a PGresult; `catalog` describes types that are not built in.
  explicit Result(pg_result* result, std::shared_ptr<const detail::TypeCatalog> catalog = {});

  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  std::size_t columns() const noexcept;
  std::string_view column_name(std::size_t i) const;
  oid::Oid column_type(std::size_t i) const;
  // Rows changed by INSERT/UPDATE/DELETE/MERGE/COPY (the command tag's count); 0 otherwise.
  std::int64_t affected_rows() const noexcept;
  // The command tag: "SELECT 1", "UPDATE 3", ...
  std::string_view command() const noexcept;

  Row operator[](std::size_t row) const;
  Row front() const { return (*this)[0]; }
  // An array of objects, one per row.
  nlohmann::json to_json() const;

  class iterator {
   public:
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const Result* r, std::size_t i) : result_(r), i_(i) {}
    Row operator*() const { return (*result_)[i_]; }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    iterator operator++(int) {
      auto old = *this;
      ++i_;
      return old;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    const Result* result_ = nullptr;
    std::size_t i_ = 0;
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, size()}; }

 private:
  std::shared_ptr<const detail::ResultData> data_;
};

}  // namespace gale::pg
