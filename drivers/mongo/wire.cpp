#include "gale/mongo/wire.hpp"
#include "gale/mongo/bson.hpp"

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include "gale/mongo/error.hpp"

namespace gale::mongo::wire {
namespace {

[[noreturn]] void protocol_error(const std::string& what) {
  throw MongoError(ErrorKind::internal, "MongoDB protocol error: " + what, 0, "ProtocolError");
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  std::uint8_t b[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8),
                       static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 24)};
  out.insert(out.end(), b, b + 4);
}

void set32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}

std::uint32_t get32(const std::uint8_t* p) noexcept {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::vector<std::uint8_t> decompress(Compressor c, std::span<const std::uint8_t> in,
                                     std::size_t expected) {
  std::vector<std::uint8_t> out(expected);
  switch (c) {
    case Compressor::noop:
      if (in.size() != expected) protocol_error("noop-compressed size mismatch");
      std::memcpy(out.data(), in.data(), expected);
      return out;
    case Compressor::zlib: {
      uLongf n = expected;
      if (uncompress(out.data(), &n, in.data(), in.size()) != Z_OK || n != expected) {
        protocol_error("zlib data does not decompress to the announced size");
      }
      return out;
    }
    case Compressor::zstd: {
      std::size_t n = ZSTD_decompress(out.data(), expected, in.data(), in.size());
      if (ZSTD_isError(n) || n != expected) protocol_error("zstd data does not decompress");
      return out;
    }
    case Compressor::snappy: {
      std::size_t n = expected;
      const char* src = reinterpret_cast<const char*>(in.data());
      std::size_t real = 0;
      if (snappy_uncompressed_length(src, in.size(), &real) != SNAPPY_OK || real != expected ||
          snappy_uncompress(src, in.size(), reinterpret_cast<char*>(out.data()), &n) != SNAPPY_OK) {
        protocol_error("snappy data does not decompress to the announced size");
      }
      return out;
    }
  }
  protocol_error("unknown compressor id " + std::to_string(static_cast<int>(c)));
}

Reply decode_msg(const Header& h, std::span<const std::uint8_t> m) {
  if (m.size() < kHeaderSize + 4 + 1 + 5) protocol_error("OP_MSG too short");
  Reply r;
  r.response_to = h.response_to;
  r.flags = get32(m.data() + kHeaderSize);
  std::size_t end = m.size();
  if (r.flags & kChecksumPresent) end -= 4;
  std::size_t pos = kHeaderSize + 4;
  bool have_body = false;
  while (pos < end) {
    std::uint8_t kind = m[pos++];
    if (pos + 4 > end) protocol_error("truncated section");
    std::uint32_t len = get32(m.data() + pos);
    if (len < 5 || len > end - pos) protocol_error("a section's length runs past the message");
    if (kind == 0) {
      if (have_body) protocol_error("two body sections");
      r.body = Document::from_trusted(m.data() + pos, len);
      bson_t view = bson_view(r.body);
      bson_iter_t it;
      if (!bson_iter_init(&it, &view)) protocol_error("the reply body is not a BSON document");
      have_body = true;
    } else if (kind != 1) {
      protocol_error("unknown section kind " + std::to_string(kind));
    }
    pos += len;
  }
  if (!have_body) protocol_error("a reply without a body");
  return r;
}

}  // namespace

Header read_header(const std::uint8_t* p) noexcept {
  return Header{static_cast<std::int32_t>(get32(p)), static_cast<std::int32_t>(get32(p + 4)),
                static_cast<std::int32_t>(get32(p + 8)), static_cast<std::int32_t>(get32(p + 12))};
}

std::vector<std::uint8_t> encode_msg(std::int32_t request_id, const Document& body,
                                     std::span<const Sequence> sequences, std::uint32_t flags) {
  std::size_t size = kHeaderSize + 4 + 1 + body.size();
  for (const auto& s : sequences) {
    size += 1 + 4 + s.identifier.size() + 1;
    for (const auto* d : s.documents) size += d->size();
  }
  std::vector<std::uint8_t> out;
  out.reserve(size);
  put32(out, static_cast<std::uint32_t>(size));
  put32(out, static_cast<std::uint32_t>(request_id));
  put32(out, 0);
  put32(out, kOpMsg);
  put32(out, flags);
  out.push_back(0);
  out.insert(out.end(), body.data(), body.data() + body.size());
  for (const auto& s : sequences) {
    out.push_back(1);
    std::size_t at = out.size();
    put32(out, 0);
    out.insert(out.end(), s.identifier.begin(), s.identifier.end());
    out.push_back(0);
    for (const auto* d : s.documents) out.insert(out.end(), d->data(), d->data() + d->size());
    set32(out.data() + at, static_cast<std::uint32_t>(out.size() - at));
  }
  return out;
}

std::optional<Compressor> compressor_named(std::string_view name) {
  if (name == "snappy") return Compressor::snappy;
  if (name == "zlib") return Compressor::zlib;
  if (name == "zstd") return Compressor::zstd;
  if (name == "noop") return Compressor::noop;
  return std::nullopt;
}

std::string_view name_of(Compressor c) noexcept {
  switch (c) {
    case Compressor::snappy:
      return "snappy";
    case Compressor::zlib:
      return "zlib";
    case Compressor::zstd:
      return "zstd";
    case Compressor::noop:
      return "noop";
  }
  return "noop";
}

std::vector<std::uint8_t> compress_message(std::span<const std::uint8_t> message, Compressor c,
                                           int zlib_level) {
  Header h = read_header(message.data());
  auto payload = message.subspan(kHeaderSize);
  std::vector<std::uint8_t> packed;
  switch (c) {
    case Compressor::noop:
      packed.assign(payload.begin(), payload.end());
      break;
    case Compressor::zlib: {
      uLongf n = compressBound(payload.size());
      packed.resize(n);
      if (compress2(packed.data(), &n, payload.data(), payload.size(), zlib_level) != Z_OK) {
        protocol_error("zlib compression failed");
      }
      packed.resize(n);
      break;
    }
    case Compressor::zstd: {
      packed.resize(ZSTD_compressBound(payload.size()));
      std::size_t n =
          ZSTD_compress(packed.data(), packed.size(), payload.data(), payload.size(), 3);
      if (ZSTD_isError(n)) protocol_error("zstd compression failed");
      packed.resize(n);
      break;
    }
    case Compressor::snappy: {
      std::size_t n = snappy_max_compressed_length(payload.size());
      packed.resize(n);
      if (snappy_compress(reinterpret_cast<const char*>(payload.data()), payload.size(),
                          reinterpret_cast<char*>(packed.data()), &n) != SNAPPY_OK) {
        protocol_error("snappy compression failed");
      }
      packed.resize(n);
      break;
    }
  }
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + 9 + packed.size());
  put32(out, static_cast<std::uint32_t>(kHeaderSize + 9 + packed.size()));
  put32(out, static_cast<std::uint32_t>(h.request_id));
  put32(out, static_cast<std::uint32_t>(h.response_to));
  put32(out, kOpCompressed);
  put32(out, static_cast<std::uint32_t>(h.opcode));
  put32(out, static_cast<std::uint32_t>(payload.size()));
  out.push_back(static_cast<std::uint8_t>(c));
  out.insert(out.end(), packed.begin(), packed.end());
  return out;
}

Reply decode_reply(std::span<const std::uint8_t> m, std::size_t max_message_size) {
  if (m.size() < kHeaderSize) protocol_error("message shorter than its header");
  Header h = read_header(m.data());
  if (h.length < 0 || static_cast<std::size_t>(h.length) != m.size()) {
    protocol_error("message length " + std::to_string(h.length) + " does not match " +
                   std::to_string(m.size()) + " bytes");
  }
  if (h.opcode == kOpMsg) return decode_msg(h, m);
  if (h.opcode != kOpCompressed) protocol_error("unexpected opcode " + std::to_string(h.opcode));
  if (m.size() < kHeaderSize + 9) protocol_error("OP_COMPRESSED too short");
  auto original = static_cast<std::int32_t>(get32(m.data() + kHeaderSize));
  std::uint32_t size = get32(m.data() + kHeaderSize + 4);
  auto id = static_cast<Compressor>(m[kHeaderSize + 8]);
  if (original != kOpMsg) protocol_error("compressed opcode " + std::to_string(original));
  if (size + kHeaderSize > max_message_size) {
    protocol_error("compressed message announces " + std::to_string(size) +
                   " bytes, above the limit of " + std::to_string(max_message_size));
  }
  std::vector<std::uint8_t> full(kHeaderSize);
  std::memcpy(full.data(), m.data(), kHeaderSize);
  auto body = decompress(id, m.subspan(kHeaderSize + 9), size);
  full.insert(full.end(), body.begin(), body.end());
  set32(full.data(), static_cast<std::uint32_t>(full.size()));
  set32(full.data() + 12, kOpMsg);
  return decode_msg(read_header(full.data()), full);
}

}  // namespace gale::mongo::wire
