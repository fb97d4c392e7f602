// detail: how every operation runs. Select a server, lease a connection from its pool, send the
// command (with $db, a session and txnNumber for retryable writes, the read preference for
// mongos), read the reply, let the topology learn from errors, and retry once where the
// retryable-reads/-writes specs allow.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gale/loop/fork_guard.hpp"
#include "gale/mongo/document.hpp"
#include "gale/mongo/topology.hpp"
#include "gale/mongo/wire.hpp"
#include "gale/pool/client_registry.hpp"

namespace gale::mongo::detail {

struct ServerSession {
  std::uint8_t id[16];
  std::int64_t txn_number = 0;
  Clock::time_point last_used;
};

struct ClientState {
  explicit ClientState(ClientSettings settings);
  ~ClientState();

  std::shared_ptr<Topology> topology;
  ClientRegistration registration;
  ForkGuard fork_guard;
  std::vector<ServerSession> sessions;  // idle implicit sessions, most recent at the back
  Clock::duration default_timeout;
  std::uint64_t cursors_killed = 0;
  // The loop the client was made on (its pools, timers and sockets): expired once it closes.
  std::weak_ptr<const void> loop_alive;

  ServerSession take_session();
  void give_back(ServerSession s);
  Clock::time_point deadline(const std::optional<Clock::duration>& timeout) const;
};

enum class Retry : std::uint8_t { none, read, write };

struct Operation {
  std::string database;
  Document body;  // the command without $db
  std::vector<std::string> sequence_ids;
  std::vector<std::vector<const Document*>> sequences;
  Retry retry = Retry::none;
  bool write = false;
  bool unacknowledged = false;
  std::optional<ReadPreference> read_preference;
  Clock::time_point deadline;
  // A server the operation must run on (getMore, killCursors), instead of selecting one.
  std::shared_ptr<Topology::Server> pinned;
};

// The fields every command sets, by its kind; the caller adds what is particular to it (document
// sequences, unacknowledged). A read is retried once (the retryable-reads spec) and may carry a
// read preference; a write is retried once when `retry` is Retry::write (a single-document write);
// a cursor's getMore or killCursors is never retried and runs on the server that holds the cursor.
Operation read_op(std::string database, Document body, Clock::time_point deadline);
Operation read_op(std::string database, Document body, Clock::time_point deadline,
                  std::optional<ReadPreference> read_preference);
Operation write_op(std::string database, Document body, Clock::time_point deadline);  // not retried
Operation write_op(std::string database, Document body, Clock::time_point deadline, Retry retry);
Operation cursor_op(std::string database, Document body, Clock::time_point deadline,
                    std::shared_ptr<Topology::Server> server);

struct Outcome {
  Document reply;
  std::shared_ptr<Topology::Server> server;
};

// Runs the operation; throws MongoError for ok:0 replies and failures, with the kinds documented
// in error.hpp. Write errors inside an ok:1 reply are left for the caller.
Future<Outcome> execute(std::shared_ptr<ClientState> client, Operation op);

// A new ObjectId as Extended JSON.
nlohmann::json new_object_id();

}  // namespace gale::mongo::detail
