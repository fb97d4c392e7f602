#include "gale/web/status.hpp"

#include <array>
#include <cstddef>

#include "gale/loop/detail/enum_table.hpp"

namespace gale::web {
namespace {

// The reason phrase of each status gale knows (RFC 9110 and the ones around it).
struct Phrase {
  int status;
  std::string_view text;
};
constexpr auto kPhrases = std::to_array<Phrase>({
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Payload Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Entity"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
});
static_assert(gale::detail::distinct(kPhrases, &Phrase::status));

// Read both ways: a kind's status (the server's error responses, status_for) and a status's kind
// (the client's HTTPClientError, kind_for_status). duplicate and conflict both answer 409, and a
// 409 reads back as conflict, the first of the two here; a status not here reads as internal.
struct KindStatus {
  ErrorKind kind;
  int status;
};
constexpr auto kKindStatus = std::to_array<KindStatus>({
    {ErrorKind::invalid_argument, 400},
    {ErrorKind::unauthorized, 401},
    {ErrorKind::forbidden, 403},
    {ErrorKind::not_found, 404},
    {ErrorKind::conflict, 409},
    {ErrorKind::duplicate, 409},
    {ErrorKind::unavailable, 503},
    {ErrorKind::timeout, 504},
    {ErrorKind::internal, 500},
});
static_assert(gale::detail::covers_each_once(kKindStatus, &KindStatus::kind,
                                             static_cast<std::size_t>(ErrorKind::internal) + 1));

}  // namespace

std::string_view reason_phrase(int status) noexcept {
  const Phrase* row = gale::detail::find_row(kPhrases, &Phrase::status, status);
  return row ? row->text : "Unknown";
}

int status_for(ErrorKind kind) noexcept {
  const KindStatus* row = gale::detail::find_row(kKindStatus, &KindStatus::kind, kind);
  return row ? row->status : 500;
}

ErrorKind kind_for_status(int status) noexcept {
  const KindStatus* row = gale::detail::find_row(kKindStatus, &KindStatus::status, status);
  return row ? row->kind : ErrorKind::internal;
}

}  // namespace gale::web
