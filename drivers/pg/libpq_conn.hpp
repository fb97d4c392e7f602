// LibpqConn: the thin wrapper of one libpq connection (detail of the driver): the handle, its
// socket as Asio sees it, the nonblocking connect and the cancel request; and the mapping of what
// libpq reports to PgError. It knows nothing of queries: connection.hpp composes it with the
// pipeline (pipeline.cpp) and the exclusive operations (copy_mode.cpp).
#pragma once

#include <asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/io_loop.hpp"
#include "gale/pg/conninfo.hpp"

struct pg_conn;
struct pg_cancel;
struct pg_result;

namespace gale::pg::detail {

// Error mapping.
// libpq's message without its trailing newline.
std::string trimmed(const char* message);
// A field of an error result (PG_DIAG_*), empty when absent.
std::string error_field(const pg_result* r, int code);
// The PgError of a failed result: its SQLSTATE's kind and the server's fields, scrubbed.
std::exception_ptr error_from(const pg_result* r, const ConnectConfig& config);
// The `unavailable` error of a lost connection.
std::exception_ptr lost(const ConnectConfig& config, const std::string& why);

inline std::chrono::milliseconds ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

class LibpqConn {
 public:
  explicit LibpqConn(IOLoop& loop);
  ~LibpqConn();
  LibpqConn(const LibpqConn&) = delete;
  LibpqConn& operator=(const LibpqConn&) = delete;

  // PQconnectStartParams / PQconnectPoll on socket readiness within config.connect_timeout, then
  // nonblocking (and in pipeline mode if `pipeline`). Throws PgError (unauthorized or unavailable)
  // when it fails, the handle finished.
  Future<void> connect(std::vector<std::pair<std::string, std::string>> params,
                       const ConnectConfig& config, bool pipeline);

  pg_conn* get() const noexcept { return conn_; }
  // The socket as Asio sees it; only while the handle is open (get() != nullptr).
  asio::posix::stream_descriptor& socket() noexcept { return *socket_; }
  // The libpq connection's last error message, trimmed.
  std::string error() const;
  int backend_pid() const noexcept;
  bool in_transaction() const noexcept;
  // TCP without TLS: sends may be corked.
  bool corkable() const;
  // TCP_CORK on or off; false when the socket refused.
  bool set_cork(bool on) const noexcept;
  // OpenSSL holds decrypted input that epoll cannot see.
  bool ssl_pending() const;

  // Asks the server to cancel what the connection runs now (PQcancel on the executor: it blocks).
  void send_cancel();
  Clock::time_point last_cancel() const noexcept { return last_cancel_; }

  // Drops Asio's registration of the socket (libpq owns the descriptor and closes it).
  void release_socket() noexcept;
  // release_socket() and PQfinish.
  void finish() noexcept;
  // The loop is closing (its io_context still lives): finish(), and drop the socket object, which
  // belongs to the loop's io_context and must not outlive it.
  void loop_closing() noexcept;

 private:
  void rewrap_socket();
  Future<asio::error_code> wait_socket(bool write);
  void after_connect(bool pipeline);

  IOLoop& loop_;
  std::optional<asio::posix::stream_descriptor> socket_;
  pg_conn* conn_ = nullptr;
  std::shared_ptr<pg_cancel> cancel_;
  bool tcp_ = false;  // a fact of the socket, found once connected
  Clock::time_point last_cancel_{};
};

}  // namespace gale::pg::detail
