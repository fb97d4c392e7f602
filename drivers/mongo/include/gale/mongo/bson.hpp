// libbson interop for Document: from and to bson_t, and the Extended JSON conversions of bson_t
// values and iterators. Opt-in: this is the one public header of gale that includes libbson's.
#pragma once

#include <bson/bson.h>

#include <string_view>

#include "gale/mongo/document.hpp"

namespace gale::mongo {

// Copies a bson_t.
Document from_bson(const bson_t* bson);
// A read-only bson_t over the document's bytes, valid while `document` lives unchanged.
bson_t bson_view(const Document& document);

// Appends `value` under `key` to `out`, reading Extended JSON wrappers; throws
// Error(invalid_argument) for an invalid wrapper or a number BSON cannot hold.
void append_json(bson_t* out, std::string_view key, const json& value);
void append_json(bson_t* out, std::string_view key, const ordered_json& value);
// Appends every member of the object `doc` to `out`.
void append_members(bson_t* out, const json& doc);
void append_members(bson_t* out, const ordered_json& doc);

// The relaxed Extended JSON of a document, or of the value `iter` points at.
json to_json(const bson_t* doc);
ordered_json to_ordered_json(const bson_t* doc);
json value_to_json(const bson_iter_t* iter);

}  // namespace gale::mongo
