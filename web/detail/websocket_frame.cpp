#include "gale/web/detail/websocket_frame.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace gale::web::detail::ws {

std::string accept_key(std::string_view key) {
  std::string text(key);
  text += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  std::array<unsigned char, 32> encoded{};
  int n = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(n));
}

bool valid_close_code(std::uint16_t code) noexcept {
  if (code >= 3000 && code <= 4999) return true;
  if (code < 1000 || code > 1014) return false;
  return code != 1004 && code != kCloseNoStatus && code != kCloseAbnormal;
}

std::size_t header_size(std::uint64_t length, bool masked) noexcept {
  std::size_t n = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
  return masked ? n + 4 : n;
}

void append_header(std::string& out, Opcode opcode, bool fin, bool rsv1, std::uint64_t length,
                   const std::array<std::uint8_t, 4>* mask) {
  std::array<char, 14> h{};
  std::size_t n = 0;
  h[n++] = static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | static_cast<int>(opcode));
  const char mask_bit = mask != nullptr ? static_cast<char>(0x80) : 0;
  if (length < 126) {
    h[n++] = static_cast<char>(mask_bit | static_cast<char>(length));
  } else if (length <= 0xFFFF) {
    h[n++] = static_cast<char>(mask_bit | 126);
    h[n++] = static_cast<char>(length >> 8);
    h[n++] = static_cast<char>(length & 0xFF);
  } else {
    h[n++] = static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) h[n++] = static_cast<char>(length >> shift);
  }
  if (mask != nullptr) {
    for (auto b : *mask) h[n++] = static_cast<char>(b);
  }
  out.append(h.data(), n);
}

std::size_t apply_mask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& mask,
                       std::size_t offset) noexcept {
  std::size_t i = 0;
  // Byte by byte up to a multiple of 4 of the payload, then 8 bytes at a time.
  for (; i < size && ((offset + i) & 3) != 0; ++i)
    data[i] ^= static_cast<char>(mask[(offset + i) & 3]);
  if (size - i >= 8) {
    std::uint32_t m32;
    std::memcpy(&m32, mask.data(), 4);
    std::uint64_t m64 = (static_cast<std::uint64_t>(m32) << 32) | m32;
    for (; size - i >= 8; i += 8) {
      std::uint64_t v;
      std::memcpy(&v, data + i, 8);
      v ^= m64;
      std::memcpy(data + i, &v, 8);
    }
  }
  for (; i < size; ++i) data[i] ^= static_cast<char>(mask[(offset + i) & 3]);
  return offset + size;
}

bool FrameDecoder::header_complete() const noexcept {
  if (head_size_ < 2) return false;
  std::size_t need = 2;
  std::uint8_t len7 = head_[1] & 0x7F;
  if (len7 == 126) need += 2;
  if (len7 == 127) need += 8;
  if ((head_[1] & 0x80) != 0) need += 4;
  return head_size_ >= need;
}

// The header is whole: check it and hand it on.
bool FrameDecoder::take_header(FrameSink& sink) {
  FrameHeader h;
  h.fin = (head_[0] & 0x80) != 0;
  h.rsv1 = (head_[0] & 0x40) != 0;
  const int opcode = head_[0] & 0x0F;
  h.masked = (head_[1] & 0x80) != 0;
  std::size_t at = 2;
  std::uint64_t len = head_[1] & 0x7F;
  if (len == 126) {
    len = (static_cast<std::uint64_t>(head_[2]) << 8) | head_[3];
    at = 4;
  } else if (len == 127) {
    len = 0;
    for (std::size_t i = 2; i < 10; ++i) len = (len << 8) | head_[i];
    at = 10;
    if ((len >> 63) != 0) return fail("a frame length with its most significant bit set");
  }
  if (h.masked) std::copy_n(head_.begin() + static_cast<std::ptrdiff_t>(at), 4, h.mask.begin());
  h.length = len;
  head_size_ = 0;
  if ((head_[0] & 0x30) != 0) return fail("a reserved bit (RSV2, RSV3) is set");
  if (opcode > 0xA || (opcode > 0x2 && opcode < 0x8)) return fail("a reserved opcode");
  h.opcode = static_cast<Opcode>(opcode);
  if (h.masked != server_) {
    return fail(server_ ? "a client frame that is not masked" : "a server frame that is masked");
  }
  if (is_control(h.opcode)) {
    if (!h.fin) return fail("a fragmented control frame");
    if (h.length > 125) return fail("a control frame longer than 125 bytes");
    if (h.rsv1) return fail("RSV1 set on a control frame");
  } else if (h.opcode == Opcode::continuation) {
    if (!in_message_) return fail("a continuation frame outside a message");
    if (h.rsv1) return fail("RSV1 set on a continuation frame");
  } else {
    if (in_message_) return fail("a new message inside a fragmented one");
    if (h.rsv1 && !allow_rsv1_) return fail("RSV1 set without a negotiated extension");
  }
  if (!is_control(h.opcode)) in_message_ = !h.fin;
  header_ = h;
  remaining_ = h.length;
  mask_offset_ = 0;
  in_frame_ = true;
  if (!sink.on_frame_begin(header_)) return false;
  if (remaining_ == 0) {
    in_frame_ = false;
    return sink.on_frame_end();
  }
  return true;
}

std::size_t FrameDecoder::feed(char* data, std::size_t size, FrameSink& sink) {
  if (error_ != nullptr) return 0;
  std::size_t used = 0;
  while (used < size) {
    if (!in_frame_) {
      // Header bytes one at a time until the header is whole (at most 14 of them).
      head_[head_size_++] = static_cast<std::uint8_t>(data[used++]);
      if (header_complete() && !take_header(sink)) return used;
      continue;
    }
    char* at = data + used;
    auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - used));
    if (header_.masked) {
      mask_offset_ = static_cast<std::uint8_t>(apply_mask(at, n, header_.mask, mask_offset_) & 3);
    }
    remaining_ -= n;
    used += n;
    if (!sink.on_frame_data(at, n)) return used;
    if (remaining_ == 0) {
      in_frame_ = false;
      if (!sink.on_frame_end()) return used;
    }
  }
  return used;
}

}  // namespace gale::web::detail::ws
