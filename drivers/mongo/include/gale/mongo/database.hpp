// Database: a named database of a Client; gives Collections and runs commands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gale/mongo/collection.hpp"

namespace gale::mongo {

class Database {
 public:
  Database(std::shared_ptr<detail::ClientState> client, std::string name);

  const std::string& name() const noexcept { return name_; }
  Collection operator[](std::string collection) const { return collection_(std::move(collection)); }
  Collection collection(std::string name) const { return collection_(std::move(name)); }

  // Runs a command ({"ping": 1}, ...) and returns the reply; ok:0 throws MongoError. The first
  // key names the command: pass an ordered_json when the command has several keys.
  Future<json> run_command(nlohmann::ordered_json command, CommandOptions options);
  Future<json> run_command(nlohmann::ordered_json command) {
    return run_command(std::move(command), CommandOptions{});
  }
  Future<json> run_command(json command, CommandOptions options);
  Future<json> run_command(json command) {
    return run_command(std::move(command), CommandOptions{});
  }
  Future<std::vector<std::string>> list_collection_names(json filter);
  Future<std::vector<std::string>> list_collection_names() {
    return list_collection_names(json::object());
  }
  Future<void> drop();

  // A change stream on every collection of this database ({aggregate: 1}; change_stream.hpp).
  Future<ChangeStream> watch(json pipeline, ChangeStreamOptions options);
  Future<ChangeStream> watch(json pipeline) {
    return watch(std::move(pipeline), ChangeStreamOptions{});
  }
  Future<ChangeStream> watch() { return watch(json::array()); }

 private:
  Collection collection_(std::string name) const;
  std::shared_ptr<detail::ClientState> client_;
  std::string name_;
};

}  // namespace gale::mongo
