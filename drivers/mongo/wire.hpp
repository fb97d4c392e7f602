// The wire protocol: OP_MSG (opcode 2013) with a body section (kind 0) and document sequences
// (kind 1), and OP_COMPRESSED (2012) with snappy, zlib or zstd. Pure functions over bytes, so they
// are tested without a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gale/mongo/document.hpp"

namespace gale::mongo::wire {

constexpr std::int32_t kOpMsg = 2013;
constexpr std::int32_t kOpCompressed = 2012;
constexpr std::uint32_t kChecksumPresent = 1u << 0;
constexpr std::uint32_t kMoreToCome = 1u << 1;
constexpr std::uint32_t kExhaustAllowed = 1u << 16;
constexpr std::size_t kHeaderSize = 16;

struct Header {
  std::int32_t length = 0;
  std::int32_t request_id = 0;
  std::int32_t response_to = 0;
  std::int32_t opcode = 0;
};
Header read_header(const std::uint8_t* p) noexcept;

// A document sequence (kind 1): "documents" of an insert, "updates", "deletes".
struct Sequence {
  std::string identifier;
  std::vector<const Document*> documents;
};

// Encodes an OP_MSG: the body and the sequences, with `flags` (kMoreToCome for w:0 writes).
std::vector<std::uint8_t> encode_msg(std::int32_t request_id, const Document& body,
                                     std::span<const Sequence> sequences = {},
                                     std::uint32_t flags = 0);

enum class Compressor : std::uint8_t { noop = 0, snappy = 1, zlib = 2, zstd = 3 };
std::optional<Compressor> compressor_named(std::string_view name);
std::string_view name_of(Compressor c) noexcept;

// Wraps an encoded message in OP_COMPRESSED.
std::vector<std::uint8_t> compress_message(std::span<const std::uint8_t> message, Compressor c,
                                           int zlib_level = -1);

// A decoded reply: its flags and body. Throws MongoError(internal) "protocol error: ..." on
// malformed bytes (bad lengths, unknown sections, a body that is not BSON, a decompression
// that does not give the announced size); never reads outside `message`.
struct Reply {
  std::int32_t response_to = 0;
  std::uint32_t flags = 0;
  Document body;
};
Reply decode_reply(std::span<const std::uint8_t> message, std::size_t max_message_size);

}  // namespace gale::mongo::wire
