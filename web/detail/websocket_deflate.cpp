#include "gale/web/detail/websocket_deflate.hpp"

#include <zlib.h>

#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <vector>

#include "gale/loop/error.hpp"

namespace gale::web::detail::ws {
namespace {

constexpr std::array<unsigned char, 4> kTail = {0x00, 0x00, 0xFF, 0xFF};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto at = s.find(sep);
    out.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// One extension offer's parameters: name -> value ("" when given without one); nullopt when a
// parameter repeats or is malformed.
std::optional<std::map<std::string, std::string, std::less<>>> parameters(
    const std::vector<std::string_view>& parts) {
  std::map<std::string, std::string, std::less<>> out;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    std::string name(trim(parts[i].substr(0, eq)));
    std::string_view value = eq == std::string_view::npos ? "" : trim(parts[i].substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name.empty() || (eq != std::string_view::npos && value.empty())) return std::nullopt;
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!out.emplace(std::move(name), std::string(value)).second) return std::nullopt;
  }
  return out;
}

// A window size parameter's value: 8 to 15.
std::optional<int> window_bits(std::string_view value) {
  int bits = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), bits);
  if (ec != std::errc() || end != value.data() + value.size() || bits < 8 || bits > 15) {
    return std::nullopt;
  }
  return bits;
}

// What the server makes of one offer.
std::optional<DeflateParams> accept_offer(const std::map<std::string, std::string, std::less<>>& p,
                                          bool context_takeover) {
  DeflateParams out;
  out.server_no_context_takeover = !context_takeover;
  out.client_no_context_takeover = !context_takeover;
  for (const auto& [name, value] : p) {
    if (name == "server_no_context_takeover" && value.empty()) {
      out.server_no_context_takeover = true;
    } else if (name == "client_no_context_takeover" && value.empty()) {
      out.client_no_context_takeover = true;
    } else if (name == "server_max_window_bits") {
      auto bits = window_bits(value);
      // zlib cannot compress with a 256-byte window (it makes 8 a 9): decline such an offer.
      if (!bits || *bits == 8) return std::nullopt;
      out.server_max_window_bits = *bits;
    } else if (name == "client_max_window_bits") {
      if (!value.empty() && !window_bits(value)) return std::nullopt;
      // gale inflates with a 32 KiB window, which reads any smaller one: no need to limit it.
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string response_of(const DeflateParams& p) {
  std::string r = "permessage-deflate";
  if (p.server_no_context_takeover) r += "; server_no_context_takeover";
  if (p.client_no_context_takeover) r += "; client_no_context_takeover";
  if (p.server_max_window_bits != 15) {
    r += "; server_max_window_bits=" + std::to_string(p.server_max_window_bits);
  }
  return r;
}

z_stream* new_deflate(int window_bits) {
  auto* s = new z_stream{};
  if (deflateInit2(s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    delete s;
    throw Error(ErrorKind::internal, "zlib: deflateInit2 failed");
  }
  return s;
}

void free_deflate(z_stream* s) noexcept {
  if (s == nullptr) return;
  deflateEnd(s);
  delete s;
}

// The deflate streams shared by messages without context takeover: one per thread and window.
z_stream* shared_deflate(int window_bits) {
  struct Streams {
    std::array<z_stream*, 16> by_bits{};
    ~Streams() {
      for (auto* s : by_bits) free_deflate(s);
    }
  };
  static thread_local Streams streams;
  auto*& s = streams.by_bits[static_cast<std::size_t>(window_bits)];
  if (s == nullptr) s = new_deflate(window_bits);
  return s;
}

void deflate_into(z_stream* s, std::string_view message, std::string& out) {
  s->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  s->avail_in = static_cast<uInt>(message.size());
  const std::size_t start = out.size();
  do {
    std::size_t room = std::max<std::size_t>(64, message.size() / 2 + 64);
    std::size_t at = out.size();
    out.resize(at + room);
    s->next_out = reinterpret_cast<Bytef*>(out.data() + at);
    s->avail_out = static_cast<uInt>(room);
    deflate(s, Z_SYNC_FLUSH);
    out.resize(out.size() - s->avail_out);
  } while (s->avail_out == 0 || s->avail_in > 0);
  // Z_SYNC_FLUSH ends with an empty stored block, 00 00 FF FF, which the receiver adds back.
  if (out.size() - start >= 4 &&
      std::equal(kTail.begin(), kTail.end(), out.end() - 4,
                 [](unsigned char a, char b) { return a == static_cast<unsigned char>(b); })) {
    out.resize(out.size() - 4);
  }
}

}  // namespace

std::optional<Negotiated> negotiate_deflate(std::string_view offers, bool context_takeover) {
  for (auto offer : split(offers, ',')) {
    auto parts = split(offer, ';');
    if (!iequal(parts[0], "permessage-deflate")) continue;
    auto p = parameters(parts);
    if (!p) continue;
    if (auto params = accept_offer(*p, context_takeover)) {
      return Negotiated{*params, response_of(*params)};
    }
  }
  return std::nullopt;
}

std::string deflate_offer() {
  return "permessage-deflate";
}

std::optional<DeflateParams> accept_deflate_response(std::string_view response) {
  auto extensions = split(response, ',');
  if (extensions.size() != 1) return std::nullopt;
  auto parts = split(extensions[0], ';');
  if (!iequal(parts[0], "permessage-deflate")) return std::nullopt;
  auto p = parameters(parts);
  if (!p) return std::nullopt;
  DeflateParams out;
  out.server_no_context_takeover = false;
  out.client_no_context_takeover = false;
  for (const auto& [name, value] : *p) {
    if (name == "server_no_context_takeover" && value.empty()) {
      out.server_no_context_takeover = true;
    } else if (name == "client_no_context_takeover" && value.empty()) {
      out.client_no_context_takeover = true;
    } else if (name == "server_max_window_bits") {
      auto bits = window_bits(value);
      if (!bits) return std::nullopt;
      out.server_max_window_bits = *bits;
    } else {
      return std::nullopt;  // client_max_window_bits was not offered
    }
  }
  return out;
}

Deflater::Deflater(int window_bits, bool context_takeover)
    : window_bits_(window_bits), takeover_(context_takeover) {}

Deflater::~Deflater() {
  free_deflate(stream_);
}

void Deflater::compress(std::string_view message, std::string& out) {
  if (!takeover_) {
    z_stream* s = shared_deflate(window_bits_);
    deflate_into(s, message, out);
    deflateReset(s);
    return;
  }
  if (stream_ == nullptr) stream_ = new_deflate(window_bits_);
  deflate_into(stream_, message, out);
}

Inflater::~Inflater() {
  end_message();
  if (stream_ != nullptr) {
    inflateEnd(stream_);
    delete stream_;
  }
}

bool Inflater::run(const char* data, std::size_t size, std::string& out, std::size_t limit) {
  if (stream_ == nullptr) {
    stream_ = new z_stream{};
    if (inflateInit2(stream_, -15) != Z_OK) {
      delete stream_;
      stream_ = nullptr;
      throw Error(ErrorKind::internal, "zlib: inflateInit2 failed");
    }
  }
  stream_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  stream_->avail_in = static_cast<uInt>(size);
  while (stream_->avail_in > 0) {
    // Room for one byte beyond the limit: a message that would exceed it shows by filling it.
    std::size_t room =
        std::min<std::size_t>(limit + 1 - out.size(), std::max<std::size_t>(size * 4, 4096));
    std::size_t at = out.size();
    out.resize(at + room);
    stream_->next_out = reinterpret_cast<Bytef*>(out.data() + at);
    stream_->avail_out = static_cast<uInt>(room);
    int rc = inflate(stream_, Z_SYNC_FLUSH);
    out.resize(out.size() - stream_->avail_out);
    if (out.size() > limit) return false;
    if (rc == Z_STREAM_END) {  // a final block: what follows (the 00 00 FF FF) is not deflate data
      inflateReset(stream_);
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    if (stream_->avail_out != 0) break;  // all the input it could take was taken
  }
  return true;
}

bool Inflater::feed(const char* data, std::size_t size, std::string& out, std::size_t limit) {
  return size == 0 || run(data, size, out, limit);
}

bool Inflater::finish(std::string& out, std::size_t limit) {
  bool ok = run(reinterpret_cast<const char*>(kTail.data()), kTail.size(), out, limit);
  end_message();
  return ok;
}

void Inflater::end_message() noexcept {
  if (takeover_ || stream_ == nullptr) return;
  inflateEnd(stream_);
  delete stream_;
  stream_ = nullptr;
}

}  // namespace gale::web::detail::ws
