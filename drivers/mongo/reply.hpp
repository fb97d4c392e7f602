// Reading a command reply without converting it to JSON: ok, errors, and a few fields.
#pragma once

#include <bson/bson.h>

#include <cstdint>
#include <optional>
#include <string>

#include "gale/mongo/bson.hpp"
#include "gale/mongo/document.hpp"
#include "gale/mongo/error.hpp"

namespace gale::mongo {

// Throws the MongoError an ok:0 reply describes (code, codeName, errmsg, errorLabels). A reply
// with ok:1 but a writeConcernError throws that one.
void check_reply(const Document& reply);
MongoError error_from_reply(const bson_t* reply);

// Numeric field lookups on a reply (dotted paths allowed: "cursor.id").
std::optional<std::int64_t> reply_int(const Document& reply, const char* path);

}  // namespace gale::mongo
