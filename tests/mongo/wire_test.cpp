// OP_MSG and OP_COMPRESSED encoding and decoding, and the bounds on what a reply may claim.
#include <catch2/catch.hpp>

#include <cstring>

#include "gale/mongo/error.hpp"
#include "gale/mongo/wire.hpp"

using namespace gale::mongo;

namespace {
// A server reply: the request encoded as OP_MSG, with response_to set.
std::vector<std::uint8_t> reply_to(std::int32_t request, const Document& body) {
  auto m = wire::encode_msg(99, body);
  std::memcpy(m.data() + 8, &request, 4);
  return m;
}
}  // namespace

TEST_CASE("OP_MSG: header, flags, body and a document sequence") {
  Document body(json{{"insert", "c"}, {"$db", "d"}});
  Document a(json{{"_id", 1}});
  Document b(json{{"_id", 2}});
  std::vector<wire::Sequence> seqs = {{"documents", {&a, &b}}};
  auto m = wire::encode_msg(7, body, seqs, wire::kMoreToCome);
  auto h = wire::read_header(m.data());
  CHECK(h.length == static_cast<std::int32_t>(m.size()));
  CHECK(h.request_id == 7);
  CHECK(h.opcode == wire::kOpMsg);
  std::uint32_t flags = 0;
  std::memcpy(&flags, m.data() + 16, 4);
  CHECK(flags == wire::kMoreToCome);
  CHECK(m[20] == 0);
  std::size_t seq_at = 21 + body.size();
  CHECK(m[seq_at] == 1);
  std::int32_t seq_len = 0;
  std::memcpy(&seq_len, m.data() + seq_at + 1, 4);
  CHECK(static_cast<std::size_t>(seq_len) ==
        4 + std::strlen("documents") + 1 + a.size() + b.size());
  CHECK(std::string(reinterpret_cast<const char*>(m.data() + seq_at + 5)) == "documents");
}

TEST_CASE("a reply decodes to its body, and compressed replies decompress (snappy, zlib, zstd)") {
  Document body(json{{"ok", 1}, {"n", 3}});
  auto plain = reply_to(5, body);
  auto r = wire::decode_reply(plain, 48'000'000);
  CHECK(r.response_to == 5);
  CHECK(r.body == body);
  for (auto c : {wire::Compressor::snappy, wire::Compressor::zlib, wire::Compressor::zstd,
                 wire::Compressor::noop}) {
    auto packed = wire::compress_message(plain, c);
    CHECK(wire::read_header(packed.data()).opcode == wire::kOpCompressed);
    auto rc = wire::decode_reply(packed, 48'000'000);
    CHECK(rc.response_to == 5);
    CHECK(rc.body == body);
  }
}

TEST_CASE("malformed replies are protocol errors, never huge allocations or overreads") {
  Document body(json{{"ok", 1}});
  auto good = reply_to(1, body);
  auto lying = good;
  std::int32_t huge = 0x7fffffff;
  std::memcpy(lying.data(), &huge, 4);
  CHECK_THROWS_AS(wire::decode_reply(lying, 48'000'000), MongoError);
  auto truncated = good;
  truncated.resize(good.size() - 3);
  std::int32_t len = static_cast<std::int32_t>(truncated.size());
  std::memcpy(truncated.data(), &len, 4);
  CHECK_THROWS_AS(wire::decode_reply(truncated, 48'000'000), MongoError);
  auto bad_kind = good;
  bad_kind[20] = 7;
  CHECK_THROWS_AS(wire::decode_reply(bad_kind, 48'000'000), MongoError);
  auto zipped = wire::compress_message(good, wire::Compressor::zlib);
  std::uint32_t claimed = 1u << 30;  // announces 1 GiB uncompressed
  std::memcpy(zipped.data() + 20, &claimed, 4);
  CHECK_THROWS_AS(wire::decode_reply(zipped, 48'000'000), MongoError);
  auto garbage = wire::compress_message(good, wire::Compressor::snappy);
  garbage.back() ^= 0xff;
  garbage[garbage.size() - 2] ^= 0xff;
  CHECK_THROWS(wire::decode_reply(garbage, 48'000'000));
}

// Found by fuzz/op_msg_reply_fuzzer.cpp: a reply whose body has a key that is not UTF-8 decoded,
// and converting it gave JSON that nlohmann could not write (type_error from dump(), not a
// gale::Error). Keys are checked as string values already were.
TEST_CASE("a reply with a key that is not UTF-8 converts to a gale::Error, not unwritable JSON") {
  // {"\xab" "k": 1.0} as BSON: a double element.
  const std::uint8_t doc[] = {0x12, 0, 0, 0, 0x01, 0xab, 'k', 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0};
  static_assert(sizeof(doc) == 17);
  std::vector<std::uint8_t> bytes(doc, doc + sizeof(doc));
  bytes[0] = static_cast<std::uint8_t>(bytes.size());
  auto body = Document::from_trusted(bytes.data(), bytes.size());
  auto reply = reply_to(1, body);
  auto decoded = wire::decode_reply(reply, 48'000'000);
  CHECK_THROWS_AS(decoded.body.to_json(), gale::Error);
  CHECK_THROWS_AS(decoded.body.to_ordered_json(), gale::Error);
  CHECK_THROWS_AS(Document::from_bytes(
                      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())),
                  gale::Error);
}

// The change-streams spec's "Resumable Error".
TEST_CASE("which getMore errors a change stream resumes from") {
  using gale::mongo::is_resumable_change_stream_error;
  using gale::mongo::MongoError;
  const MongoError network = gale::mongo::network_error("db:27017", "connection reset");
  CHECK(is_resumable_change_stream_error(network, 17));
  CHECK(is_resumable_change_stream_error(network, 6));
  const MongoError client_timeout(gale::ErrorKind::timeout, "deadline passed", 0, "ClientTimeout");
  CHECK(is_resumable_change_stream_error(client_timeout, 17));
  const MongoError cursor_not_found(gale::ErrorKind::internal, "cursor id 5 not found", 43);
  CHECK(is_resumable_change_stream_error(cursor_not_found, 17));
  CHECK(is_resumable_change_stream_error(cursor_not_found, 6));
  // From wire version 9 the label decides, whatever the code.
  const MongoError labelled(gale::ErrorKind::internal, "x", 1234, "Whatever",
                            {"ResumableChangeStreamError"});
  CHECK(is_resumable_change_stream_error(labelled, 9));
  const MongoError stepped_down(gale::ErrorKind::unavailable, "x", 189, "PrimarySteppedDown");
  CHECK_FALSE(is_resumable_change_stream_error(stepped_down, 9));
  // Below it, the spec's list of codes.
  CHECK(is_resumable_change_stream_error(stepped_down, 8));
  for (int code : {6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 63, 150, 13388,
                   234, 133}) {
    const MongoError e(gale::ErrorKind::internal, "x", code);
    CHECK(is_resumable_change_stream_error(e, 8));
  }
  const MongoError bad_value(gale::ErrorKind::invalid_argument, "x", 2, "BadValue");
  CHECK_FALSE(is_resumable_change_stream_error(bad_value, 8));
  CHECK_FALSE(is_resumable_change_stream_error(bad_value, 17));
  const MongoError fatal(gale::ErrorKind::invalid_argument, "x", 280, "ChangeStreamFatalError");
  CHECK_FALSE(is_resumable_change_stream_error(fatal, 17));
}
