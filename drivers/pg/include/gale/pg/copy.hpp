// COPY FROM STDIN and COPY TO STDOUT on a connection held for the copy, with backpressure.
//
//   auto in = co_await pg.copy_in("COPY items (id, name) FROM STDIN (FORMAT csv)");
//   co_await in.write("1,apple\n2,pear\n");        // waits while the socket cannot take more
//   std::int64_t rows = co_await in.finish();
//
//   auto out = co_await pg.copy_out("COPY items TO STDOUT (FORMAT csv)");
//   while (auto chunk = co_await out.next()) consume(*chunk);   // whole rows, ~64 KiB at a time
//
// A CopyIn dropped unfinished is aborted (nothing of it stays); a CopyOut dropped unfinished gives
// up its connection. Each step has the client's query_timeout as deadline.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gale/loop/future.hpp"

namespace gale::pg {

class CopyIn;
class CopyOut;

namespace detail {
struct CopyState;
class ClientState;
Future<CopyIn> start_copy_in(std::shared_ptr<ClientState> client, std::string sql);
Future<CopyOut> start_copy_out(std::shared_ptr<ClientState> client, std::string sql);
}  // namespace detail

class CopyIn {
 public:
  CopyIn(CopyIn&&) noexcept = default;
  CopyIn& operator=(CopyIn&&) noexcept = default;
  ~CopyIn();

  Future<void> write(std::string data);
  // Ends the copy; the number of rows copied.
  Future<std::int64_t> finish();
  // Ends the copy with an error: the server keeps none of it.
  Future<void> abort(std::string reason);

 private:
  friend Future<CopyIn> detail::start_copy_in(std::shared_ptr<detail::ClientState>, std::string);
  explicit CopyIn(std::shared_ptr<detail::CopyState> s) noexcept : state_(std::move(s)) {}
  std::shared_ptr<detail::CopyState> state_;
};

class CopyOut {
 public:
  CopyOut(CopyOut&&) noexcept = default;
  CopyOut& operator=(CopyOut&&) noexcept = default;
  ~CopyOut();

  // The next chunk of whole rows, or nothing once the copy is complete.
  Future<std::optional<std::string>> next();

 private:
  friend Future<CopyOut> detail::start_copy_out(std::shared_ptr<detail::ClientState>, std::string);
  explicit CopyOut(std::shared_ptr<detail::CopyState> s) noexcept : state_(std::move(s)) {}
  std::shared_ptr<detail::CopyState> state_;
};

}  // namespace gale::pg
