#include "gale/mongo/database.hpp"

#include "gale/mongo/change_stream_state.hpp"
#include "gale/mongo/command_builder.hpp"
#include "gale/mongo/cursor_state.hpp"
#include "gale/mongo/operation.hpp"

namespace gale::mongo {

Database::Database(std::shared_ptr<detail::ClientState> client, std::string name)
    : client_(std::move(client)), name_(std::move(name)) {
  if (name_.empty() ||
      name_.find_first_of(std::string_view("/\\. \"$\0", 7)) != std::string::npos) {
    throw Error(ErrorKind::invalid_argument, "invalid database name \"" + name_ + "\"");
  }
}

Collection Database::collection_(std::string name) const {
  return Collection(client_, name_, std::move(name));
}

Future<json> Database::run_command(nlohmann::ordered_json command, CommandOptions options) {
  if (!command.is_object() || command.empty()) {
    throw Error(ErrorKind::invalid_argument, "a command must be a non-empty JSON object");
  }
  // Never retried (the spec leaves runCommand alone); a write unless it names a read preference.
  auto op = detail::write_op(name_, Document(command), client_->deadline(options.timeout));
  if (options.read_preference) {
    op.write = false;
    op.read_preference = options.read_preference;
  }
  auto out = co_await detail::execute(client_, std::move(op));
  co_return out.reply.to_json();
}

Future<json> Database::run_command(json command, CommandOptions options) {
  return run_command(nlohmann::ordered_json(command), std::move(options));
}

Future<std::vector<std::string>> Database::list_collection_names(json filter) {
  auto s = std::make_shared<detail::CursorState>();
  s->client = client_;
  s->database = name_;
  s->collection = "$cmd.listCollections";
  detail::CommandBuilder b;
  b.i32("listCollections", 1);
  b.json("filter", filter.is_null() ? json::object() : filter);
  b.boolean("nameOnly", true);
  b.json("cursor", json::object());
  s->first = detail::read_op(name_, b.done(), client_->deadline(std::nullopt));
  Cursor c(std::move(s));
  std::vector<std::string> names;
  auto docs = co_await c.to_list();
  for (auto& d : docs) names.push_back(d.value("name", std::string()));
  co_return names;
}

Future<ChangeStream> Database::watch(json pipeline, ChangeStreamOptions options) {
  return detail::open_change_stream(client_, name_, "", false, std::move(pipeline),
                                    std::move(options));
}

Future<void> Database::drop() {
  detail::CommandBuilder b;
  b.i32("dropDatabase", 1);
  auto op = detail::write_op(name_, b.done(), client_->deadline(std::nullopt));
  co_await detail::execute(client_, std::move(op));
}

}  // namespace gale::mongo
