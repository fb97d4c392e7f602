#include "gale/pg/result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "gale/loop/error.hpp"
#include "gale/pg/value_json.hpp"

namespace gale::pg {

namespace detail {

struct ResultData {
  ResultData(PGresult* r, std::shared_ptr<const TypeCatalog> c)
      : result(r), catalog(std::move(c)) {}
  ~ResultData() { PQclear(result); }
  ResultData(const ResultData&) = delete;
  ResultData& operator=(const ResultData&) = delete;

  PGresult* result;
  std::shared_ptr<const TypeCatalog> catalog;
};

}  // namespace detail

namespace {

nlohmann::json field_json(const detail::ResultData& d, int row, int column) {
  const PGresult* r = d.result;
  if (PQgetisnull(r, row, column)) return nullptr;
  std::string_view text(PQgetvalue(r, row, column),
                        static_cast<std::size_t>(PQgetlength(r, row, column)));
  return detail::value_to_json(PQftype(r, column), text, d.catalog.get());
}

nlohmann::json row_json(const detail::ResultData& d, int row) {
  auto out = nlohmann::json::object();
  int columns = PQnfields(d.result);
  for (int c = 0; c < columns; ++c) out[PQfname(d.result, c)] = field_json(d, row, c);
  return out;
}

}  // namespace

// Field

bool Field::is_null() const noexcept {
  return PQgetisnull(data_->result, row_, column_) != 0;
}

std::string_view Field::text() const noexcept {
  return {PQgetvalue(data_->result, row_, column_),
          static_cast<std::size_t>(PQgetlength(data_->result, row_, column_))};
}

std::string_view Field::name() const noexcept {
  return PQfname(data_->result, column_);
}

oid::Oid Field::type() const noexcept {
  return PQftype(data_->result, column_);
}

nlohmann::json Field::to_json() const {
  return field_json(*data_, row_, column_);
}

void Field::null_error() const {
  throw Error(ErrorKind::internal,
              "column \"" + std::string(name()) + "\" is NULL; read it as std::optional<T>");
}

void Field::parse_error(std::string_view as_what) const {
  throw Error(ErrorKind::internal, "column \"" + std::string(name()) + "\" does not hold " +
                                       std::string(as_what) + ": \"" + std::string(text()) + "\"");
}

std::int64_t Field::integer() const {
  auto t = text();
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) parse_error("an integer");
  return v;
}

bool Field::convert(bool*) const {
  auto t = text();
  if (t == "t") return true;
  if (t == "f") return false;
  parse_error("a bool");
}

double Field::convert(double*) const {
  auto t = text();
  double v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) parse_error("a number");
  return v;
}

std::vector<std::uint8_t> Field::convert(std::vector<std::uint8_t>*) const {
  if (type() != oid::bytea) parse_error("bytea");
  return detail::decode_bytea(text());
}

// Row

std::size_t Row::size() const noexcept {
  return static_cast<std::size_t>(PQnfields(data_->result));
}

Field Row::operator[](std::size_t column) const {
  if (column >= size()) {
    throw Error(ErrorKind::invalid_argument, "column " + std::to_string(column) +
                                                 " is out of range (" + std::to_string(size()) +
                                                 " columns)");
  }
  return Field(data_.get(), row_, static_cast<int>(column));
}

Field Row::operator[](std::string_view column) const {
  int columns = PQnfields(data_->result);
  for (int c = 0; c < columns; ++c) {
    if (column == PQfname(data_->result, c)) return Field(data_.get(), row_, c);
  }
  throw Error(ErrorKind::invalid_argument,
              "the result has no column \"" + std::string(column) + "\"");
}

nlohmann::json Row::to_json() const {
  return row_json(*data_, row_);
}

// Result

Result::Result(pg_result* result, std::shared_ptr<const detail::TypeCatalog> catalog)
    : data_(std::make_shared<detail::ResultData>(result, std::move(catalog))) {}

std::size_t Result::size() const noexcept {
  return data_ ? static_cast<std::size_t>(PQntuples(data_->result)) : 0;
}

std::size_t Result::columns() const noexcept {
  return data_ ? static_cast<std::size_t>(PQnfields(data_->result)) : 0;
}

std::string_view Result::column_name(std::size_t i) const {
  if (i >= columns()) throw Error(ErrorKind::invalid_argument, "column index out of range");
  return PQfname(data_->result, static_cast<int>(i));
}

oid::Oid Result::column_type(std::size_t i) const {
  if (i >= columns()) throw Error(ErrorKind::invalid_argument, "column index out of range");
  return PQftype(data_->result, static_cast<int>(i));
}

std::int64_t Result::affected_rows() const noexcept {
  if (!data_) return 0;
  const char* n = PQcmdTuples(data_->result);
  if (n == nullptr || *n == '\0') return 0;
  return std::strtoll(n, nullptr, 10);
}

std::string_view Result::command() const noexcept {
  return data_ ? PQcmdStatus(data_->result) : "";
}

Row Result::operator[](std::size_t row) const {
  if (row >= size()) {
    throw Error(ErrorKind::invalid_argument, "row " + std::to_string(row) + " is out of range (" +
                                                 std::to_string(size()) + " rows)");
  }
  return Row(data_, static_cast<int>(row));
}

nlohmann::json Result::to_json() const {
  auto out = nlohmann::json::array();
  if (!data_) return out;
  int rows = PQntuples(data_->result);
  for (int r = 0; r < rows; ++r) out.push_back(row_json(*data_, r));
  return out;
}

}  // namespace gale::pg
