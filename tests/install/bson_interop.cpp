// The opt-in libbson interop of the installed package: <gale/mongo/bson.hpp> brings libbson's
// header with it (gale::mongo links libbson publicly for this), and a Document goes to bson_t and
// back. Exits 0 when the round trip keeps every value.
#include <gale/mongo/bson.hpp>

#include <cstdio>

int main() {
  gale::mongo::Document document(nlohmann::json{{"a", 1}, {"s", "x"}});
  bson_t view = gale::mongo::bson_view(document);
  bson_t* copy = bson_copy(&view);
  BSON_APPEND_INT32(copy, "b", 2);
  gale::mongo::Document back = gale::mongo::from_bson(copy);
  bson_destroy(copy);
  const nlohmann::json expected = {{"a", 1}, {"s", "x"}, {"b", 2}};
  if (back.to_json() != expected || gale::mongo::to_json(&view) != document.to_json()) {
    std::fprintf(stderr, "bson_interop: FAILED, got %s\n", back.to_string().c_str());
    return 1;
  }
  std::printf("bson_interop: a Document went to bson_t and back\n");
  return 0;
}
