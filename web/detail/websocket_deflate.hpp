// permessage-deflate (RFC 7692) with zlib: negotiation of the extension's parameters, and the
// compression and decompression of whole messages.
//
// Memory: a deflate stream costs about 256 KiB and an inflate stream about 40 KiB. Without context
// takeover (gale's default, which a server may impose on both sides) no stream outlives a message:
// messages are compressed by one deflate stream per thread and window size, reset after each, and
// a connection holds an inflate stream only while a compressed message arrives. With context
// takeover a connection keeps its own streams for its life.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct z_stream_s z_stream;  // NOLINT: zlib's own declaration

namespace gale::web::detail::ws {

struct DeflateParams {
  bool server_no_context_takeover = true;
  bool client_no_context_takeover = true;
  int server_max_window_bits = 15;  // the window the server compresses with
  int client_max_window_bits = 15;  // the window the client compresses with
};

// Server side: the first acceptable permessage-deflate offer of a Sec-WebSocket-Extensions value
// (the header's values joined with ','), and the value to answer with; nullopt when there is
// none (offers with unknown, repeated or invalid parameters are declined, as RFC 7692 says).
// `context_takeover`: whether gale keeps compression contexts between messages when the client
// lets it (false: it imposes no_context_takeover on both sides).
struct Negotiated {
  DeflateParams params;
  std::string response;
};
std::optional<Negotiated> negotiate_deflate(std::string_view offers, bool context_takeover);

// Client side: the offer to send, and the server's answer checked against it (nullopt: the answer
// is not one the offer allows, and the connection must fail).
std::string deflate_offer();
std::optional<DeflateParams> accept_deflate_response(std::string_view response);

// Compresses one message into `out` (appended; the final 00 00 FF FF removed, as RFC 7692 says).
class Deflater {
 public:
  Deflater(int window_bits, bool context_takeover);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  void compress(std::string_view message, std::string& out);

 private:
  int window_bits_;
  bool takeover_;
  z_stream* stream_ = nullptr;  // kept only with context takeover
};

// Decompresses one message, piece by piece, within a bound on the inflated size (a deflate bomb
// gets `false`, not memory).
class Inflater {
 public:
  explicit Inflater(bool context_takeover) : takeover_(context_takeover) {}
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Appends what `data` inflates to; false if the message would exceed `limit` bytes or the data
  // is not valid deflate.
  bool feed(const char* data, std::size_t size, std::string& out, std::size_t limit);
  // The message's end (RFC 7692's 00 00 FF FF): false as feed().
  bool finish(std::string& out, std::size_t limit);
  // Releases the stream between messages without context takeover.
  void end_message() noexcept;

 private:
  bool run(const char* data, std::size_t size, std::string& out, std::size_t limit);
  bool takeover_;
  z_stream* stream_ = nullptr;
};

}  // namespace gale::web::detail::ws
