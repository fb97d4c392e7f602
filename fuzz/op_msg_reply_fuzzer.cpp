// OP_MSG reply decoding: bytes a server (or anything pretending to be one) sends back. A reply
// decodes to a body or fails with MongoError "protocol error: ..."; a decoded body can be checked
// (check_reply) and converted to JSON like any reply.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "gale/mongo/error.hpp"
#include "gale/mongo/reply.hpp"
#include "gale/mongo/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gale::mongo;
  wire::Reply reply;
  try {
    reply = wire::decode_reply(std::span<const std::uint8_t>(data, size), 48 * 1024 * 1024);
  } catch (const gale::Error&) {
    return 0;  // a protocol error: what the connection reports before it closes
  }
  try {
    check_reply(reply.body);
    (void)reply_int(reply.body, "cursor.id");
    (void)reply_int(reply.body, "n");
  } catch (const gale::Error&) {
    // the server said ok:0, or a writeConcernError
  }
  try {
    (void)reply.body.to_json().dump();
  } catch (const gale::Error&) {
    // a value JSON cannot hold: reported, not crashed on
  }
  return 0;
}
