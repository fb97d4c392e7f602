// A canned-reply MongoDB peer for the client-bound benchmark: it answers hello (OP_QUERY or
// OP_MSG), find (one small document with the _id asked for), insert ({n, ok}) and anything else
// ({ok: 1}) at once, so that throughput and CPU measure the clients, not a database.
//   fake_mongod <port>      (runs until killed)
// Not a server: no storage, no auth, loopback only.
#include <bson/bson.h>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using asio::ip::tcp;

namespace {

std::uint32_t get32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void append_small_doc(bson_t* d) {
  BSON_APPEND_UTF8(d, "field1", "miNVpaKW");
  BSON_APPEND_UTF8(d, "field2", "CS5VwrwN");
  BSON_APPEND_UTF8(d, "field3", "Oq5Csk1w");
  BSON_APPEND_UTF8(d, "field4", "ZPm57dhu");
  BSON_APPEND_UTF8(d, "field5", "gxUpzIjg");
  BSON_APPEND_UTF8(d, "field6", "Smo9whci");
  BSON_APPEND_UTF8(d, "field7", "TW34kfzq");
  BSON_APPEND_INT32(d, "field8", 55336395);
  BSON_APPEND_INT32(d, "field9", 41992681);
  BSON_APPEND_INT32(d, "field10", 72188733);
  BSON_APPEND_INT32(d, "field11", 46660880);
  BSON_APPEND_INT32(d, "field12", 3527055);
}

void hello_reply(bson_t* r) {
  BSON_APPEND_BOOL(r, "ismaster", true);
  BSON_APPEND_BOOL(r, "isWritablePrimary", true);
  BSON_APPEND_BOOL(r, "helloOk", true);
  BSON_APPEND_INT32(r, "maxBsonObjectSize", 16777216);
  BSON_APPEND_INT32(r, "maxMessageSizeBytes", 48000000);
  BSON_APPEND_INT32(r, "maxWriteBatchSize", 100000);
  BSON_APPEND_INT32(r, "minWireVersion", 0);
  BSON_APPEND_INT32(r, "maxWireVersion", 17);
  BSON_APPEND_DOUBLE(r, "ok", 1.0);
}

// The reply body for an OP_MSG command body (and its document sequences' count).
void answer(const bson_t* cmd, int sequence_docs, bson_t* r) {
  bson_iter_t it;
  if (!bson_iter_init(&it, cmd) || !bson_iter_next(&it)) {
    BSON_APPEND_DOUBLE(r, "ok", 0.0);
    return;
  }
  std::string name = bson_iter_key(&it);
  if (name == "hello" || name == "isMaster" || name == "ismaster") return hello_reply(r);
  if (name == "find") {
    bson_t cursor, batch, doc;
    BSON_APPEND_DOCUMENT_BEGIN(r, "cursor", &cursor);
    BSON_APPEND_INT64(&cursor, "id", 0);
    BSON_APPEND_UTF8(&cursor, "ns", "bench.c");
    BSON_APPEND_ARRAY_BEGIN(&cursor, "firstBatch", &batch);
    BSON_APPEND_DOCUMENT_BEGIN(&batch, "0", &doc);
    bson_iter_t f, id;
    if (bson_iter_init_find(&f, cmd, "filter") && bson_iter_recurse(&f, &id) &&
        bson_iter_find(&id, "_id")) {
      bson_append_iter(&doc, "_id", 3, &id);
    }
    append_small_doc(&doc);
    bson_append_document_end(&batch, &doc);
    bson_append_array_end(&cursor, &batch);
    bson_append_document_end(r, &cursor);
  } else if (name == "insert") {
    int n = sequence_docs;
    bson_iter_t docs, child;
    if (bson_iter_init_find(&docs, cmd, "documents") && bson_iter_recurse(&docs, &child)) {
      while (bson_iter_next(&child)) ++n;
    }
    BSON_APPEND_INT32(r, "n", n);
  }
  BSON_APPEND_DOUBLE(r, "ok", 1.0);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : socket_(std::move(s)) {}
  void start() { read_header(); }

 private:
  void read_header() {
    in_.resize(16);
    auto self = shared_from_this();
    asio::async_read(socket_, asio::buffer(in_), [self](asio::error_code ec, std::size_t) {
      if (ec) return;
      std::uint32_t len = get32(self->in_.data());
      if (len < 16 || len > 48'000'000) return;
      self->in_.resize(len);
      asio::async_read(self->socket_, asio::buffer(self->in_.data() + 16, len - 16),
                       [self](asio::error_code e, std::size_t) {
                         if (!e) self->respond();
                       });
    });
  }

  void respond() {
    const std::uint8_t* m = in_.data();
    std::uint32_t len = static_cast<std::uint32_t>(in_.size());
    std::uint32_t request_id = get32(m + 4);
    std::uint32_t opcode = get32(m + 12);
    bson_t reply;
    bson_init(&reply);
    bool legacy = opcode == 2004;
    bool more_to_come = false;
    if (legacy) {  // OP_QUERY: flags, cstring collection, skip, return, query
      std::size_t pos = 20;
      while (pos < len && m[pos] != 0) ++pos;
      pos += 1 + 8;
      bson_t q;
      if (pos + 4 <= len && bson_init_static(&q, m + pos, get32(m + pos))) answer(&q, 0, &reply);
    } else if (opcode == 2013) {
      std::uint32_t flags = get32(m + 16);
      more_to_come = flags & 2;
      std::size_t pos = 20, end = (flags & 1) ? len - 4 : len;
      bson_t body;
      bool have_body = false;
      int sequence_docs = 0;
      while (pos < end) {
        std::uint8_t kind = m[pos++];
        std::uint32_t size = get32(m + pos);
        if (kind == 0) {
          have_body = bson_init_static(&body, m + pos, size);
        } else {
          std::size_t p = pos + 4;
          while (m[p] != 0) ++p;
          ++p;
          while (p < pos + size) {
            p += get32(m + p);
            ++sequence_docs;
          }
        }
        pos += size;
      }
      if (have_body) answer(&body, sequence_docs, &reply);
    }
    if (more_to_come) {
      bson_destroy(&reply);
      return read_header();
    }
    out_.clear();
    put32(out_, 0);
    put32(out_, 1);
    put32(out_, request_id);
    if (legacy) {
      put32(out_, 1);  // OP_REPLY
      put32(out_, 0);
      put32(out_, 0);
      put32(out_, 0);
      put32(out_, 0);
      put32(out_, 1);
    } else {
      put32(out_, 2013);
      put32(out_, 0);
      out_.push_back(0);
    }
    const std::uint8_t* data = bson_get_data(&reply);
    out_.insert(out_.end(), data, data + reply.len);
    bson_destroy(&reply);
    std::uint32_t total = static_cast<std::uint32_t>(out_.size());
    std::memcpy(out_.data(), &total, 4);
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_), [self](asio::error_code ec, std::size_t) {
      if (!ec) self->read_header();
    });
  }

  tcp::socket socket_;
  std::vector<std::uint8_t> in_;
  std::vector<std::uint8_t> out_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](asio::error_code ec, tcp::socket s) {
    if (!ec) {
      s.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(s))->start();
    }
    accept(acceptor);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <port>\n", argv[0]);
    return 2;
  }
  asio::io_context io;
  tcp::acceptor acceptor(
      io, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::stoi(argv[1]))});
  accept(acceptor);
  io.run();
  return 0;
}
