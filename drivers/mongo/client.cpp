#include "gale/mongo/client.hpp"

#include "gale/mongo/change_stream_state.hpp"
#include "gale/mongo/command_builder.hpp"
#include "gale/mongo/operation.hpp"

namespace gale::mongo {

Client::Client(std::string_view uri) : Client(parse_uri(uri)) {}

namespace {
ClientSettings checked(ClientSettings s) {
  if (s.srv) {
    throw Error(ErrorKind::invalid_argument,
                "mongodb+srv:// connection strings are not supported (no SRV lookup): list the "
                "hosts in a mongodb:// URI");
  }
  if (s.hosts.empty())
    throw Error(ErrorKind::invalid_argument, "the connection string names no host");
  if (s.credentials && !s.credentials->mechanism.empty() &&
      s.credentials->mechanism != "SCRAM-SHA-256" && s.credentials->mechanism != "SCRAM-SHA-1") {
    throw Error(ErrorKind::invalid_argument,
                "authentication mechanism " + s.credentials->mechanism +
                    " is not supported (SCRAM-SHA-256 and SCRAM-SHA-1 are)");
  }
  return s;
}
}  // namespace

Client::Client(ClientSettings settings)
    : state_(std::make_shared<detail::ClientState>(checked(std::move(settings)))) {}

Database Client::default_database() const {
  const auto& db = state_->topology->settings().database;
  return Database(state_, db.empty() ? "test" : db);
}

Future<ChangeStream> Client::watch(json pipeline, ChangeStreamOptions options) {
  return detail::open_change_stream(state_, "admin", "", true, std::move(pipeline),
                                    std::move(options));
}

Future<std::vector<std::string>> Client::list_database_names() {
  detail::CommandBuilder b;
  b.i32("listDatabases", 1);
  b.boolean("nameOnly", true);
  auto op = detail::read_op("admin", b.done(), state_->deadline(std::nullopt));
  auto out = co_await detail::execute(state_, std::move(op));
  std::vector<std::string> names;
  json r = out.reply.to_json();
  for (const auto& d : r.value("databases", json::array()))
    names.push_back(d.value("name", std::string()));
  co_return names;
}

Future<json> Client::run_command(json command, std::string database) {
  return Database(state_, std::move(database)).run_command(std::move(command));
}

PoolStats Client::pool_stats() const {
  return state_->topology->pool_stats();
}

std::vector<PoolStats> Client::pool_stats_per_server() const {
  return state_->topology->pool_stats_per_server();
}

const TopologyDescription& Client::topology() const {
  return state_->topology->description();
}

const ClientSettings& Client::settings() const {
  return state_->topology->settings();
}

std::uint64_t Client::cursors_killed() const {
  return state_->cursors_killed;
}

void Client::close() {
  state_->topology->close();
}

}  // namespace gale::mongo
