#include "gale/mongo/reply.hpp"
#include "gale/mongo/bson.hpp"

#include <string>
#include <vector>

namespace gale::mongo {
namespace {

std::optional<std::int64_t> iter_int(const bson_iter_t* it) {
  switch (bson_iter_type(it)) {
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_BOOL:
      return bson_iter_as_int64(it);
    default:
      return std::nullopt;
  }
}

std::string iter_string(const bson_t* doc, const char* key) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it)) {
    std::uint32_t len = 0;
    const char* s = bson_iter_utf8(&it, &len);
    return std::string(s, len);
  }
  return {};
}

MongoError error_from_fields(const bson_t* doc, std::vector<std::string> labels) {
  bson_iter_t it;
  int code = 0;
  if (bson_iter_init_find(&it, doc, "code")) code = static_cast<int>(iter_int(&it).value_or(0));
  std::string errmsg = iter_string(doc, "errmsg");
  if (errmsg.empty()) errmsg = "command failed";
  std::string name = iter_string(doc, "codeName");
  return MongoError(kind_for_code(code), errmsg, code, std::move(name), std::move(labels));
}

std::vector<std::string> labels_of(const bson_t* doc) {
  std::vector<std::string> labels;
  bson_iter_t it, child;
  if (bson_iter_init_find(&it, doc, "errorLabels") && BSON_ITER_HOLDS_ARRAY(&it) &&
      bson_iter_recurse(&it, &child)) {
    while (bson_iter_next(&child)) {
      if (BSON_ITER_HOLDS_UTF8(&child)) labels.emplace_back(bson_iter_utf8(&child, nullptr));
    }
  }
  return labels;
}

}  // namespace

MongoError error_from_reply(const bson_t* reply) {
  return error_from_fields(reply, labels_of(reply));
}

void check_reply(const Document& reply) {
  bson_t doc = bson_view(reply);
  bson_iter_t it;
  bool ok = bson_iter_init_find(&it, &doc, "ok") && iter_int(&it).value_or(0) == 1;
  if (!ok) throw error_from_reply(&doc);
  if (bson_iter_init_find(&it, &doc, "writeConcernError") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
    std::uint32_t len = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_document(&it, &len, &data);
    bson_t wce;
    if (bson_init_static(&wce, data, len)) {
      auto e = error_from_fields(&wce, labels_of(&doc));
      throw MongoError(e.kind() == ErrorKind::internal ? ErrorKind::unavailable : e.kind(),
                       "write concern error: " + e.errmsg(), e.code(), e.code_name(),
                       e.error_labels());
    }
  }
}

std::optional<std::int64_t> reply_int(const Document& reply, const char* path) {
  bson_t doc = bson_view(reply);
  bson_iter_t it, found;
  if (!bson_iter_init(&it, &doc) || !bson_iter_find_descendant(&it, path, &found)) {
    return std::nullopt;
  }
  return iter_int(&found);
}

}  // namespace gale::mongo
