// WebSocket frames (RFC 6455, section 5): the incremental decoder both ends use, and the writer of
// frame headers. gale frames by hand rather than through libwslay: a wslay event context takes
// 8,784 bytes per connection (measured with mallinfo2 over 1,000 contexts), where an idle gale
// WebSocket is to cost under 1 KiB, and wslay copies each queued message into the context, where a
// broadcast must share one frame between its receivers. The decoder keeps about 40 bytes of state
// and no buffer: payload bytes are unmasked where they were read and handed on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gale::web::detail::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

inline bool is_control(Opcode op) noexcept {
  return (static_cast<std::uint8_t>(op) & 0x8) != 0;
}

// Close codes (RFC 6455, 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupported = 1003;
inline constexpr std::uint16_t kCloseNoStatus = 1005;  // never sent: no code was received
inline constexpr std::uint16_t kCloseAbnormal = 1006;  // never sent: no close frame at all
inline constexpr std::uint16_t kCloseInvalidData = 1007;
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;
inline constexpr std::uint16_t kCloseExtension = 1010;
inline constexpr std::uint16_t kCloseInternal = 1011;

// Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string accept_key(std::string_view key);

// Whether `code` may travel in a close frame: 1000-1003, 1007-1014, 3000-4999.
bool valid_close_code(std::uint16_t code) noexcept;

struct FrameHeader {
  std::uint64_t length = 0;
  std::array<std::uint8_t, 4> mask{};
  Opcode opcode = Opcode::continuation;
  bool fin = false;
  bool rsv1 = false;  // permessage-deflate: the message is compressed
  bool masked = false;
};

// Appends a frame header for `length` payload bytes. A client's frames are masked with `mask`
// (the caller masks the payload with apply_mask); a server's never are.
void append_header(std::string& out, Opcode opcode, bool fin, bool rsv1, std::uint64_t length,
                   const std::array<std::uint8_t, 4>* mask = nullptr);
// The header's size for a payload of `length` bytes (2, 4 or 10, plus 4 when masked).
std::size_t header_size(std::uint64_t length, bool masked) noexcept;
// XORs data with the mask, starting at byte `offset` of the payload; returns the next offset.
std::size_t apply_mask(char* data, std::size_t size, const std::array<std::uint8_t, 4>& mask,
                       std::size_t offset) noexcept;

// What a decoder hands on, in order, for each frame: begin (its header, checked), data (its payload
// in pieces, unmasked, possibly none), end.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // False stops decoding (the sink failed the connection).
  virtual bool on_frame_begin(const FrameHeader& header) = 0;
  virtual bool on_frame_data(char* data, std::size_t size) = 0;
  virtual bool on_frame_end() = 0;
};

// An incremental frame decoder. `server`: frames must be masked (client to server) or must not
// (server to client). It checks what can be checked frame by frame: the reserved bits (RSV1 only
// where `allow_rsv1` and on the first frame of a data message), reserved opcodes, control frames
// (final, at most 125 bytes), the mask bit, the 64-bit length's top bit, continuation frames only
// inside a message and data frames only outside one.
class FrameDecoder {
 public:
  FrameDecoder(bool server, bool allow_rsv1) noexcept : server_(server), allow_rsv1_(allow_rsv1) {}

  // Decodes what `data` holds (unmasking payload bytes in place) and returns how many bytes it
  // used: all of them, unless the sink stopped it (a callback returned false: the bytes up to
  // there are used) or a protocol error did (error() says which; close code 1002).
  std::size_t feed(char* data, std::size_t size, FrameSink& sink);
  const char* error() const noexcept { return error_; }
  void allow_rsv1(bool allow) noexcept { allow_rsv1_ = allow; }

 private:
  bool header_complete() const noexcept;
  bool take_header(FrameSink& sink);
  bool fail(const char* why) noexcept {
    error_ = why;
    return false;
  }

  std::array<std::uint8_t, 14> head_{};
  std::uint8_t head_size_ = 0;
  bool server_;
  bool allow_rsv1_;
  bool in_message_ = false;       // a fragmented data message is in progress
  bool in_frame_ = false;         // the header is read, payload bytes remain
  std::uint8_t mask_offset_ = 0;  // only its low 2 bits matter
  FrameHeader header_;
  std::uint64_t remaining_ = 0;
  const char* error_ = nullptr;
};

}  // namespace gale::web::detail::ws
