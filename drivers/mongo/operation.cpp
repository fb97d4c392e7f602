#include "gale/mongo/operation.hpp"
#include "gale/mongo/bson.hpp"

#include <openssl/rand.h>

#include "gale/loop/io_loop.hpp"
#include "gale/loop/log.hpp"
#include "gale/mongo/reply.hpp"

namespace gale::mongo::detail {
namespace {

Clock::duration default_timeout_of(const ClientSettings& s) {
  if (s.timeout && s.timeout->count() > 0) return *s.timeout;
  Clock::duration socket = s.socket_timeout.count() > 0 ? Clock::duration(s.socket_timeout)
                                                        : Clock::duration(std::chrono::minutes(5));
  return Clock::duration(s.server_selection_timeout) + socket;
}

std::string hosts_of(const ClientSettings& s) {
  std::string out;
  for (const auto& h : s.hosts) out += (out.empty() ? "" : ",") + h.to_string();
  return out;
}

// The command as sent: body, $db, and what this attempt adds.
Document finish_command(const Operation& op, const ServerSession* session,
                        const Topology& topology) {
  bson_t cmd;
  bson_t body = bson_view(op.body);
  bson_init(&cmd);
  bson_concat(&cmd, &body);
  BSON_APPEND_UTF8(&cmd, "$db", op.database.c_str());
  if (session != nullptr) {
    bson_t lsid;
    BSON_APPEND_DOCUMENT_BEGIN(&cmd, "lsid", &lsid);
    BSON_APPEND_BINARY(&lsid, "id", BSON_SUBTYPE_UUID, session->id, 16);
    bson_append_document_end(&cmd, &lsid);
    if (op.retry == Retry::write) BSON_APPEND_INT64(&cmd, "txnNumber", session->txn_number);
  }
  if (op.read_preference && op.read_preference->mode != ReadMode::primary &&
      (topology.description().type() == TopologyType::sharded ||
       topology.description().type() == TopologyType::load_balanced)) {
    append_json(&cmd, "$readPreference", op.read_preference->to_json());
  } else if (!op.write && topology.description().type() == TopologyType::single) {
    // A direct connection to a secondary must still be readable.
    const auto& servers = topology.description().servers();
    if (!servers.empty() && servers.begin()->second.type != ServerType::mongos &&
        servers.begin()->second.type != ServerType::standalone) {
      append_json(&cmd, "$readPreference", nlohmann::json{{"mode", "primaryPreferred"}});
    }
  }
  Document d = from_bson(&cmd);
  bson_destroy(&cmd);
  return d;
}

bool retryable(const MongoError& e) {
  if (e.network_error() && e.kind() != ErrorKind::timeout) return true;
  return is_retryable_code(e.code()) || e.has_label("RetryableWriteError");
}

SelectionCriteria criteria_for(const Operation& op, const ClientSettings& s) {
  SelectionCriteria c;
  c.write = op.write;
  c.read_preference = op.read_preference.value_or(s.read_preference);
  c.local_threshold = s.local_threshold;
  c.heartbeat_frequency = s.heartbeat_frequency;
  return c;
}

// The deadline passed while the operation waited for its connection: fail it without sending it,
// and so without closing a healthy connection at once for a reply that cannot come in time.
[[noreturn]] void throw_expired(const std::string& address) {
  throw MongoError(ErrorKind::timeout,
                   "MongoDB " + address + ": the operation's deadline passed before it was sent", 0,
                   "ClientTimeout");
}

// The topologies of the clients made on one loop, closed when the loop closes (its locals go first,
// while its io_context lives): the pools' idle connections close their sockets on a live context,
// even for a client kept alive past the loop (by a Cursor or a ChangeStream declared before it).
struct LoopClients {
  std::vector<std::weak_ptr<Topology>> topologies;

  LoopClients() = default;
  LoopClients(const LoopClients&) = delete;
  LoopClients& operator=(const LoopClients&) = delete;
  ~LoopClients() {
    for (auto& weak : topologies) {
      if (auto t = weak.lock()) t->close();
    }
  }

  static void add(IOLoop& loop, const std::shared_ptr<Topology>& topology) {
    static const char key = 0;
    auto& slot = loop.local(&key);
    if (!slot) slot = std::make_shared<LoopClients>();
    auto& list = static_cast<LoopClients*>(slot.get())->topologies;
    std::erase_if(list, [](const auto& weak) { return weak.expired(); });
    list.push_back(topology);
  }
};

}  // namespace

ClientState::ClientState(ClientSettings settings)
    : topology(Topology::create(settings)),
      registration("MongoDB", hosts_of(settings)),
      default_timeout(default_timeout_of(settings)),
      loop_alive(IOLoop::current().alive()) {
  LoopClients::add(IOLoop::current(), topology);
}

ClientState::~ClientState() {
  topology->close();
}

ServerSession ClientState::take_session() {
  const auto now = Clock::now();
  while (!sessions.empty()) {
    ServerSession s = sessions.back();
    sessions.pop_back();
    if (now - s.last_used < std::chrono::minutes(25)) return s;
  }
  ServerSession s{};
  RAND_bytes(s.id, 16);
  s.id[6] = static_cast<std::uint8_t>((s.id[6] & 0x0f) | 0x40);  // UUID v4
  s.id[8] = static_cast<std::uint8_t>((s.id[8] & 0x3f) | 0x80);
  return s;
}

void ClientState::give_back(ServerSession s) {
  s.last_used = Clock::now();
  if (sessions.size() < 10'000) sessions.push_back(s);
}

Clock::time_point ClientState::deadline(const std::optional<Clock::duration>& timeout) const {
  return Clock::now() + timeout.value_or(default_timeout);
}

Future<Outcome> execute(std::shared_ptr<ClientState> client, Operation op) {
  client->fork_guard.check("gale::mongo::Client");
  auto& topology = *client->topology;
  const auto& settings = topology.settings();
  SelectionCriteria criteria = criteria_for(op, settings);
  bool retry_allowed = (op.retry == Retry::read && settings.retry_reads) ||
                       (op.retry == Retry::write && settings.retry_writes && !op.unacknowledged);
  std::optional<ServerSession> session;
  for (int attempt = 1;; ++attempt) {
    std::shared_ptr<Topology::Server> server = op.pinned;
    if (!server) {
      auto selection_deadline =
          std::min(op.deadline, Clock::now() + settings.server_selection_timeout);
      server = co_await topology.select(criteria, selection_deadline);
    }
    // Retryable writes need sessions; FerretDB and standalones have none: then no retry.
    const bool sessions =
        topology.supports_sessions() && topology.description().type() != TopologyType::single;
    if (op.retry == Retry::write && attempt == 1) {
      if (sessions && retry_allowed) {
        session = client->take_session();
        ++session->txn_number;
      } else {
        retry_allowed = false;
      }
    }
    std::exception_ptr failure;
    try {
      // The wait for a connection ends at the pool's own timeout (waitQueueTimeoutMS, else
      // serverSelectionTimeoutMS) or the operation's deadline, whichever comes first: without
      // timeoutMS the deadline is minutes away, and a wait behind an abandoned burst must not be.
      auto acquire_deadline =
          std::min(op.deadline, Clock::now() + server->pool->options().acquire_timeout);
      auto lease = co_await server->pool->acquire(acquire_deadline);
      if (Clock::now() >= op.deadline) throw_expired(server->address);
      Document cmd = finish_command(op, session ? &*session : nullptr, topology);
      std::vector<wire::Sequence> seqs;
      for (std::size_t i = 0; i < op.sequences.size(); ++i) {
        seqs.push_back(wire::Sequence{op.sequence_ids[i], op.sequences[i]});
      }
      ++server->operations;
      struct Count {
        int& n;
        ~Count() { --n; }
      } count{server->operations};
      if (op.unacknowledged) {
        co_await lease->send_unacknowledged(std::move(cmd), std::move(seqs), op.deadline);
        co_return Outcome{Document(), server};
      }
      Document reply = co_await lease->command(std::move(cmd), std::move(seqs), op.deadline);
      check_reply(reply);
      if (session) client->give_back(*session);
      co_return Outcome{std::move(reply), server};
    } catch (const MongoError& e) {
      topology.on_error(server->address, e);
      failure = std::current_exception();
      if (!(retry_allowed && attempt == 1 && retryable(e) && !op.pinned &&
            Clock::now() < op.deadline)) {
        if (session && !e.network_error()) client->give_back(*session);
        if (op.retry == Retry::write && e.network_error() && sessions) {
          auto copy = e;
          copy.add_label("RetryableWriteError");
          throw copy;
        }
        throw;
      }
      log::info("gale.mongo", "retrying once after: {}", e.what());
      criteria.deprioritized.push_back(server->address);
    }
  }
}

Operation read_op(std::string database, Document body, Clock::time_point deadline,
                  std::optional<ReadPreference> read_preference) {
  Operation op;
  op.database = std::move(database);
  op.body = std::move(body);
  op.retry = Retry::read;
  op.read_preference = std::move(read_preference);
  op.deadline = deadline;
  return op;
}

Operation read_op(std::string database, Document body, Clock::time_point deadline) {
  return read_op(std::move(database), std::move(body), deadline, std::nullopt);
}

Operation write_op(std::string database, Document body, Clock::time_point deadline) {
  return write_op(std::move(database), std::move(body), deadline, Retry::none);
}

Operation write_op(std::string database, Document body, Clock::time_point deadline, Retry retry) {
  Operation op;
  op.database = std::move(database);
  op.body = std::move(body);
  op.write = true;
  op.retry = retry;
  op.deadline = deadline;
  return op;
}

Operation cursor_op(std::string database, Document body, Clock::time_point deadline,
                    std::shared_ptr<Topology::Server> server) {
  Operation op;
  op.database = std::move(database);
  op.body = std::move(body);
  op.deadline = deadline;
  op.pinned = std::move(server);
  return op;
}

nlohmann::json new_object_id() {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  char hex[25];
  bson_oid_to_string(&oid, hex);
  return nlohmann::json{{"$oid", std::string(hex, 24)}};
}

}  // namespace gale::mongo::detail
