// BSON <-> JSON, both ways. The first byte picks the direction:
//   even: the rest is BSON bytes (a document from the network): Document::from_bytes either refuses
//         them with Error(invalid_argument) or gives a document whose JSON can be written out and
//         read back (or refused, again with a gale::Error);
//   odd:  the rest is JSON text (a request body): Document(json) either refuses it with a
//   gale::Error
//         or gives BSON that from_bytes accepts and that converts back to JSON.
// Any other exception, a crash or a leak is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gale/loop/error.hpp"
#include "gale/mongo/document.hpp"

namespace {

using gale::mongo::Document;

// A Document's JSON written out, read back into BSON and converted once more.
void round_trip(const Document& doc) {
  auto ordered = doc.to_ordered_json();
  (void)doc.to_json().dump();
  (void)ordered.dump();
  try {
    Document again(ordered);
    (void)again.to_ordered_json().dump();
  } catch (const gale::Error&) {
    // e.g. {"$numberLong": 5} stored as a plain sub-document does not read back as a wrapper
  }
}

void from_bson(std::string_view bytes) {
  Document doc;
  try {
    doc = Document::from_bytes(bytes);
  } catch (const gale::Error& e) {
    if (e.kind() != gale::ErrorKind::invalid_argument) std::abort();
    return;
  }
  round_trip(doc);
}

void from_json_text(std::string_view text) {
  auto value = nlohmann::ordered_json::parse(text, nullptr, false);
  if (value.is_discarded()) return;
  Document doc;
  try {
    doc = Document(value);
  } catch (const gale::Error&) {
    return;
  }
  // What we encode must be BSON that the strict reader accepts.
  auto checked =
      Document::from_bytes(std::string_view(reinterpret_cast<const char*>(doc.data()), doc.size()));
  round_trip(checked);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    from_bson(rest);
  } else {
    from_json_text(rest);
  }
  return 0;
}
