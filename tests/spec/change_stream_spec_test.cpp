// MongoDB's change-streams spec tests (source/change-streams/tests/unified/*.json, in the unified
// test format) run against a server with an oplog: one Catch case per spec file, each of its tests
// run, or skipped with the reason printed ([gale-skip] <server>: "<file case>": "<test>": <why>).
//
// The files are not in this repository (their licence, CC BY-NC-SA, forbids copying them here):
// they are read at run time from GALE_CHANGE_STREAM_SPEC_DIR, else extracted (git archive) from the
// specifications repository's git directory, GALE_SPECIFICATIONS_GIT or the local mirror, into the
// build directory (one directory per commit). With neither, every case says it is skipped.
//
// The server is change_stream_server()'s (tests/support/change_stream_server.hpp): FerretDB has no
// change streams, so on it every file is skipped; mongo-java-server in scripts/test's second pass.
//
// The runner implements the part of the unified format these files use: entities client,
// database, collection, changeStream; initialData; runOnRequirements (version and topology from
// buildInfo and isMaster); the operations below; expectResult, expectError (isError,
// isClientError, errorCode, errorCodeName, errorLabelsContain, errorLabelsOmit, errorContains) and
// the matching rules of unified_match.hpp. What it cannot check is said, never faked:
//   - expectEvents: gale has no command monitoring. A test whose only assertions are expectEvents
//     cannot run; in the others the events are left unchecked (said per test).
//   - failPoint: the servers here have no configureFailPoint (mongo-java-server), so those tests
//     cannot run; on a server that has it they fail with "failPoint is not supported by this
//     runner" until the operation is written.
//   - createChangeStream's `comment`: gale's watch() has no comment option.
//   - what mongo-java-server does differently from MongoDB (java_differences(), by test); its
//     events have no ns, so there a result without ns is matched without it (said per result).
//   - mongo-java-server answers isMaster as a standalone but has an oplog: its topology is taken
//     as "replicaset" for runOnRequirements (said at the top of each file's output).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gale/loop/log.hpp"
#include "gale/loop/loop.hpp"
#include "gale/mongo/mongo.hpp"
#include "mongo/support.hpp"
#include "spec/unified_match.hpp"
#include "support/change_stream_server.hpp"
#include "support/server_skips.hpp"

using namespace std::chrono_literals;
using gale::IOLoop;
using gale::mongo::ChangeStream;
using gale::mongo::ChangeStreamOptions;
using gale::mongo::Client;
using gale::mongo::MongoError;
using nlohmann::json;
using nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMirror = "/work/.mirror/mongodb+specifications/repo";
constexpr const char* kArea = "source/change-streams/tests/unified";

// ---------------------------------------------------------------------------------------------
// Where the spec files are.

std::string run_output(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    if (pclose(p) != 0) return "";
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The directory holding the unified *.json files, or nullopt with why there is none.
std::pair<std::optional<fs::path>, std::string> spec_dir() {
  if (const char* dir = std::getenv("GALE_CHANGE_STREAM_SPEC_DIR"); dir && *dir) {
    if (fs::is_directory(dir)) return {fs::path(dir), ""};
    return {std::nullopt, std::string("GALE_CHANGE_STREAM_SPEC_DIR=") + dir + " is no directory"};
  }
  const char* env_git = std::getenv("GALE_SPECIFICATIONS_GIT");
  const std::string git = env_git && *env_git ? env_git : kMirror;
  if (!fs::is_directory(git)) {
    return {std::nullopt,
            "no spec files: set GALE_CHANGE_STREAM_SPEC_DIR (the tests/unified directory) or "
            "GALE_SPECIFICATIONS_GIT (a git directory of mongodb/specifications); " +
                git + " does not exist"};
  }
  const std::string commit = run_output("git --git-dir=" + quoted(git) + " rev-parse HEAD");
  if (commit.empty()) return {std::nullopt, git + " is not a git directory with a HEAD"};
  const fs::path base = fs::path(GALE_CS_SPEC_EXTRACT_DIR) / commit;
  const fs::path files = base / kArea;
  if (fs::is_directory(files)) return {files, ""};
  // Extracted into a directory of this process's own, then renamed: two test processes may do it
  // at once.
  const fs::path tmp = base.string() + ".tmp." + std::to_string(getpid());
  fs::create_directories(tmp);
  const std::string cmd = "git --git-dir=" + quoted(git) + " archive HEAD " + kArea +
                          " | tar -x -C " + quoted(tmp.string());
  if (std::system(cmd.c_str()) != 0) {
    fs::remove_all(tmp);
    return {std::nullopt, "could not extract " + std::string(kArea) + " from " + git};
  }
  std::error_code ec;
  fs::rename(tmp, base, ec);
  if (ec) fs::remove_all(tmp);  // another process was first
  if (fs::is_directory(files)) return {files, ""};
  return {std::nullopt, git + " has no " + kArea};
}

// ---------------------------------------------------------------------------------------------
// The server, and runOnRequirements.

struct ServerInfo {
  std::string name;  // change_stream_server()'s
  std::string uri;
  std::vector<int> version;
  std::string version_text;
  std::string topology;           // as the unified format names them
  std::string reported_topology;  // as isMaster says
  bool failpoints = false;
};

std::vector<int> parse_version(const std::string& s) {
  std::vector<int> v;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, '.')) v.push_back(std::atoi(part.c_str()));
  while (v.size() < 3) v.push_back(0);
  return v;
}

int compare_versions(std::vector<int> a, std::vector<int> b) {
  while (a.size() < b.size()) a.push_back(0);
  while (b.size() < a.size()) b.push_back(0);
  return a < b ? -1 : (a == b ? 0 : 1);
}

ServerInfo ask_server(const std::string& name, const std::string& uri) {
  ServerInfo info{name, uri, {}, "", "", "", false};
  IOLoop loop;
  Client client(uri);
  auto admin = client["admin"];
  json build = loop.run_sync([&] { return admin.run_command(json{{"buildInfo", 1}}); }, 20s);
  json hello = loop.run_sync([&] { return admin.run_command(json{{"isMaster", 1}}); }, 20s);
  info.version_text = build.value("version", "0.0.0");
  info.version = parse_version(info.version_text);
  if (hello.contains("setName")) {
    info.reported_topology = "replicaset";
  } else if (hello.value("msg", "") == "isdbgrid") {
    info.reported_topology = "sharded";
  } else if (hello.contains("serviceId")) {
    info.reported_topology = "load-balanced";
  } else {
    info.reported_topology = "single";
  }
  info.topology = info.reported_topology;
  // mongo-java-server answers isMaster as a standalone (no setName) yet has the oplog that change
  // streams need, which a standalone mongod has not: the files ask for a replica set because of
  // that, so it is taken as one (said once per file, and in docs/mongo.md).
  if (name == gale::testing::kMongoJavaServer && info.topology == "single") {
    info.topology = "replicaset";
  }
  try {
    ordered_json off = {{"configureFailPoint", "failCommand"}, {"mode", "off"}};
    loop.run_sync([&] { return admin.run_command(off); }, 20s);
    info.failpoints = true;
  } catch (const MongoError&) {
    info.failpoints = false;
  }
  return info;
}

// nullopt when one of the requirements holds; else why none does.
std::optional<std::string> unmet(const json& requirements, const ServerInfo& server) {
  if (!requirements.is_array() || requirements.empty()) return std::nullopt;
  std::string why;
  for (const auto& r : requirements) {
    std::string no;
    for (const auto& [key, value] : r.items()) {
      if (key == "minServerVersion") {
        if (compare_versions(server.version, parse_version(value.get<std::string>())) < 0) {
          no = "needs server >= " + value.get<std::string>();
        }
      } else if (key == "maxServerVersion") {
        if (compare_versions(server.version, parse_version(value.get<std::string>())) > 0) {
          no = "needs server <= " + value.get<std::string>();
        }
      } else if (key == "topologies") {
        bool any = false;
        for (const auto& t : value) {
          std::string topology = t.get<std::string>();
          if (topology == "sharded-replicaset") topology = "sharded";
          any = any || topology == server.topology;
        }
        if (!any) no = "needs topology " + value.dump();
      } else if (key == "serverless") {
        if (value == "require") no = "needs Atlas Serverless";
      } else {
        no = "requirement " + key + " is not evaluated by this runner";
      }
      if (!no.empty()) break;
    }
    if (no.empty()) return std::nullopt;
    why += (why.empty() ? "" : "; or ") + no;
  }
  return "runOnRequirements not met (server " + server.version_text + ", " + server.topology +
         "): " + why;
}

// ---------------------------------------------------------------------------------------------
// Tests that cannot run for a reason of the runner or of gale, and mongo-java-server's
// differences from MongoDB (by test description).

constexpr const char* kNoMonitoring =
    "its only assertions are expectEvents (commandStartedEvent): gale has no command monitoring";

// Tests mongo-java-server cannot pass, by description, and what it does differently. (Its events
// have no ns: that alone is waived per result instead, see run_test.)
const std::map<std::string, std::string>& java_differences() {
  static const std::map<std::string, std::string> m = {
      {"Test array truncation",
       "an update given as a pipeline fails on the server (ArrayList cannot be cast to Document)"},
      {"to field is set in a rename change event", "it reports no rename event"},
      {"Test insert, update, replace, and delete event types",
       "its update events have no updateDescription, and it reports a replace as an update"},
      {"Test drop and invalidate event types", "no invalidate event follows its drop event"},
      {"Test rename and invalidate event types",
       "it reports no rename event, and the drop of another collection (collection1) as a drop "
       "event on this collection's stream"},
      {"Test new structure in ns document MUST NOT err",
       "$project with a dotted path (\"ns.viewOn\") makes a field named \"ns.viewOn\""},
      {"Test modified structure in ns document MUST NOT err",
       "its events have no ns for a $project to add to"},
      {"Test server error on projecting out _id",
       "an event without _id fails its getMore with a NullPointerException (no error code), not "
       "ChangeStreamFatalError (280)"},
      {"Change Stream should error when _id is projected out",
       "an event without _id fails its getMore with a NullPointerException (no error code), not "
       "ChangeStreamFatalError (280)"},
      {"Executing a watch helper on a Database results in notifications for changes to all "
       "collections in the specified database.",
       "it watches no database: {aggregate: 1} is taken for a collection named 1"},
      {"Executing a watch helper on a MongoClient results in notifications for changes to all "
       "collections in all databases in the cluster.",
       "it watches no cluster: aggregate on admin is no command there"},
  };
  return m;
}

// Why a test cannot run before anything is sent, or "".
std::string cannot_run(const json& test, const ServerInfo& server) {
  bool other_assertions = false;
  for (const auto& op : test["operations"]) {
    const std::string name = op.value("name", "");
    if (name == "failPoint" && !server.failpoints) {
      return "it sets a failpoint: the server has no failpoints (configureFailPoint is no command "
             "there)";
    }
    if (name == "createChangeStream" && op.contains("arguments") &&
        op["arguments"].contains("comment")) {
      return "createChangeStream with a comment: gale's watch() has no comment option";
    }
    if (op.contains("expectResult") || op.contains("expectError")) other_assertions = true;
  }
  if (test.contains("expectEvents") && !other_assertions) return kNoMonitoring;
  if (test.contains("outcome")) return "outcome is not checked by this runner";
  if (server.name == gale::testing::kMongoJavaServer) {
    auto it = java_differences().find(test["description"].get<std::string>());
    if (it != java_differences().end()) return "mongo-java-server: " + it->second;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Entities and operations.

// An error the runner cannot go on with (not an operation's result).
struct RunnerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Entities {
  std::map<std::string, std::unique_ptr<Client>> clients;
  std::map<std::string, gale::mongo::Database> databases;
  std::map<std::string, gale::mongo::Collection> collections;
  std::map<std::string, std::unique_ptr<ChangeStream>> streams;
  std::map<std::string, json> values;            // saved results
  std::map<std::string, std::string> client_of;  // database or collection -> its client

  template <class M>
  auto& get(M& m, const std::string& id, const char* what) {
    auto it = m.find(id);
    if (it == m.end()) throw RunnerError(std::string("no ") + what + " entity " + id);
    return it->second;
  }
};

std::string with_uri_options(std::string uri, const json& options) {
  if (!options.is_object() || options.empty()) return uri;
  std::string q;
  for (const auto& [k, v] : options.items()) {
    q += (q.empty() ? "" : "&") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  if (uri.find('?') == std::string::npos) {
    if (uri.back() != '/') uri += '/';
    return uri + "?" + q;
  }
  return uri + "&" + q;
}

void create_entities(Entities& e, const json& list, const std::string& uri) {
  for (const auto& item : list) {
    const auto& [kind, spec] = *item.items().begin();
    const std::string id = spec["id"].get<std::string>();
    if (kind == "client") {
      e.clients[id] = std::make_unique<Client>(
          with_uri_options(gale::testing::with_options(uri, "serverSelectionTimeoutMS=10000"),
                           spec.value("uriOptions", json::object())));
    } else if (kind == "database") {
      auto& client = *e.get(e.clients, spec["client"].get<std::string>(), "client");
      e.databases.emplace(id, client[spec["databaseName"].get<std::string>()]);
      e.client_of[id] = spec["client"].get<std::string>();
    } else if (kind == "collection") {
      auto& db = e.get(e.databases, spec["database"].get<std::string>(), "database");
      e.collections.emplace(id, db[spec["collectionName"].get<std::string>()]);
      e.client_of[id] = e.client_of[spec["database"].get<std::string>()];
    } else {
      throw RunnerError("entity kind " + kind + " is not supported by this runner");
    }
  }
}

ChangeStreamOptions stream_options(const json& args) {
  ChangeStreamOptions o;
  o.max_await_time = 200ms;
  for (const auto& [k, v] : args.items()) {
    if (k == "pipeline") continue;
    if (k == "batchSize") {
      o.batch_size = v.get<std::int32_t>();
    } else if (k == "fullDocument") {
      o.full_document = v.get<std::string>();
    } else if (k == "fullDocumentBeforeChange") {
      o.full_document_before_change = v.get<std::string>();
    } else if (k == "showExpandedEvents") {
      o.show_expanded_events = v.get<bool>();
    } else if (k == "resumeAfter") {
      o.resume_after = v;
    } else if (k == "startAfter") {
      o.start_after = v;
    } else if (k == "maxAwaitTimeMS") {
      o.max_await_time = std::chrono::milliseconds(v.get<std::int64_t>());
    } else if (k == "collation") {
      o.collation = v;
    } else {
      throw RunnerError("createChangeStream argument " + k + " is not supported by gale");
    }
  }
  return o;
}

// The spec's result documents for the CRUD results.
json update_result(const gale::mongo::UpdateResult& r) {
  json out = {{"matchedCount", r.matched_count}, {"modifiedCount", r.modified_count}};
  out["upsertedCount"] = r.upserted_id.is_null() ? 0 : 1;
  if (!r.upserted_id.is_null()) out["upsertedId"] = r.upserted_id;
  return out;
}

constexpr auto kOpTimeout = 20s;
constexpr auto kIterateTimeout = 10s;

// Runs one operation; its result (null when it has none), or throws its error.
json run_operation(IOLoop& loop, Entities& e, const ordered_json& op) {
  const std::string name = op["name"].get<std::string>();
  const std::string object = op["object"].get<std::string>();
  const json args = op.contains("arguments") ? json(op["arguments"]) : json::object();

  if (name == "createChangeStream") {
    const json pipeline = args.value("pipeline", json::array());
    const ChangeStreamOptions o = stream_options(args);
    ChangeStream stream = [&] {
      if (e.collections.count(object)) {
        auto& c = e.collections.at(object);
        return loop.run_sync([&] { return c.watch(pipeline, o); }, kOpTimeout);
      }
      if (e.databases.count(object)) {
        auto& d = e.databases.at(object);
        return loop.run_sync([&] { return d.watch(pipeline, o); }, kOpTimeout);
      }
      auto& c = *e.get(e.clients, object, "client, database or collection");
      return loop.run_sync([&] { return c.watch(pipeline, o); }, kOpTimeout);
    }();
    const std::string as = op.value("saveResultAsEntity", "");
    if (as.empty()) throw RunnerError("createChangeStream without saveResultAsEntity");
    e.streams[as] = std::make_unique<ChangeStream>(std::move(stream));
    return nullptr;
  }
  if (name == "iterateUntilDocumentOrError" || name == "iterateOnce") {
    auto& stream = *e.get(e.streams, object, "changeStream");
    std::optional<json> event;
    try {
      event =
          loop.run_sync([&] { return name == "iterateOnce" ? stream.try_next() : stream.next(); },
                        kIterateTimeout);
    } catch (const MongoError&) {
      throw;
    } catch (const gale::Error& err) {
      if (err.kind() == gale::ErrorKind::timeout) {
        throw RunnerError(name + ": no event within 10 s");
      }
      throw;
    }
    if (!event && name == "iterateUntilDocumentOrError") {
      throw RunnerError("the change stream ended without a document");
    }
    return event ? *event : json(nullptr);
  }
  if (name == "close") {
    if (e.streams.count(object)) e.streams.at(object)->close();
    return nullptr;
  }
  if (name == "dropCollection") {
    auto& db = e.get(e.databases, object, "database");
    auto coll = db[args["collection"].get<std::string>()];
    loop.run_sync([&] { return coll.drop(); }, kOpTimeout);
    return nullptr;
  }
  if (name == "createCollection") {
    auto& db = e.get(e.databases, object, "database");
    ordered_json cmd = {{"create", op["arguments"]["collection"]}};
    for (const auto& [k, v] : op["arguments"].items()) {
      if (k != "collection") cmd[k] = v;
    }
    loop.run_sync([&] { return db.run_command(cmd); }, kOpTimeout);
    return nullptr;
  }
  if (name == "runCommand") {
    auto& db = e.get(e.databases, object, "database");
    ordered_json cmd = op["arguments"]["command"];
    return loop.run_sync([&] { return db.run_command(cmd); }, kOpTimeout);
  }
  auto& coll = e.get(e.collections, object, "collection");
  if (name == "insertOne") {
    auto r = loop.run_sync([&] { return coll.insert_one(args["document"]); }, kOpTimeout);
    return json{{"insertedId", r.inserted_id}};
  }
  if (name == "insertMany") {
    std::vector<json> docs(args["documents"].begin(), args["documents"].end());
    auto r = loop.run_sync([&] { return coll.insert_many(docs); }, kOpTimeout);
    json ids = json::object();
    for (std::size_t i = 0; i < r.inserted_ids.size(); ++i)
      ids[std::to_string(i)] = r.inserted_ids[i];
    return json{{"insertedIds", ids}};
  }
  if (name == "updateOne" || name == "replaceOne") {
    gale::mongo::UpdateOptions o;
    o.upsert = args.value("upsert", false);
    const json& second = name == "updateOne" ? args["update"] : args["replacement"];
    auto r = loop.run_sync(
        [&] {
          return name == "updateOne" ? coll.update_one(args["filter"], second, o)
                                     : coll.replace_one(args["filter"], second, o);
        },
        kOpTimeout);
    return update_result(r);
  }
  if (name == "deleteOne") {
    auto r = loop.run_sync([&] { return coll.delete_one(args["filter"]); }, kOpTimeout);
    return json{{"deletedCount", r.deleted_count}};
  }
  if (name == "createIndex") {
    gale::mongo::IndexOptions o;
    o.name = args.value("name", "");
    ordered_json keys = op["arguments"]["keys"];
    json key_pairs = json::array();
    for (const auto& [k, v] : keys.items()) key_pairs.push_back(json::array({k, json(v)}));
    return loop.run_sync([&] { return coll.create_index(key_pairs, o); }, kOpTimeout);
  }
  if (name == "dropIndex") {
    loop.run_sync([&] { return coll.drop_index(args["name"].get<std::string>()); }, kOpTimeout);
    return nullptr;
  }
  if (name == "rename") {
    const std::string ns = coll.database_name() + "." + coll.name();
    ordered_json cmd = {{"renameCollection", ns},
                        {"to", coll.database_name() + "." + args["to"].get<std::string>()}};
    if (args.contains("dropTarget")) cmd["dropTarget"] = args["dropTarget"];
    auto admin = (*e.get(e.clients, e.client_of[object], "client"))["admin"];
    loop.run_sync([&] { return admin.run_command(cmd); }, kOpTimeout);
    return nullptr;
  }
  throw RunnerError("operation " + name + " is not supported by this runner");
}

// Whether `err` (what the operation threw) matches expectError; nullopt when it does.
std::optional<std::string> error_mismatch(const json& expected, const std::exception& err) {
  const auto* mongo = dynamic_cast<const MongoError*>(&err);
  const std::string what = err.what();
  for (const auto& [k, v] : expected.items()) {
    if (k == "isError") continue;
    if (k == "isClientError") {
      // Client side: no server code, and not a network error (which the format counts as the
      // server's).
      const bool client = mongo == nullptr || (mongo->code() == 0 && !mongo->network_error());
      if (client != v.get<bool>()) return "isClientError " + v.dump() + ", got: " + what;
    } else if (k == "errorCode") {
      if (mongo == nullptr || mongo->code() != v.get<int>()) {
        return "errorCode " + v.dump() + ", got " +
               (mongo ? std::to_string(mongo->code()) : "none") + ": " + what;
      }
    } else if (k == "errorCodeName") {
      if (mongo == nullptr || mongo->code_name() != v.get<std::string>()) {
        return "errorCodeName " + v.dump() + ", got: " + what;
      }
    } else if (k == "errorLabelsContain") {
      for (const auto& label : v) {
        if (mongo == nullptr || !mongo->has_label(label.get<std::string>())) {
          return "errorLabelsContain " + label.dump() + ", got: " + what;
        }
      }
    } else if (k == "errorLabelsOmit") {
      for (const auto& label : v) {
        if (mongo != nullptr && mongo->has_label(label.get<std::string>())) {
          return "errorLabelsOmit " + label.dump() + ", got: " + what;
        }
      }
    } else if (k == "errorContains") {
      auto lower = [](std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        return s;
      };
      if (lower(what).find(lower(v.get<std::string>())) == std::string::npos) {
        return "errorContains " + v.dump() + ", got: " + what;
      }
    } else {
      throw gale::spec::UnsupportedMatch("expectError." + k);
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

// Runs one test of a file: "" when it passed, else the first failure.
// `waived` gets what was left unchecked (said by the caller).
std::string run_test(const ordered_json& file, const ordered_json& test, const ServerInfo& server,
                     std::vector<std::string>& waived) {
  IOLoop loop;
  Entities e;  // after the loop: destroyed before it
  {
    // The format wants a client per entity; gale warns at each extra client for one server.
    const auto level = gale::log::level();
    gale::log::set_level(std::max(level, gale::log::Level::error));
    create_entities(e, json(file["createEntities"]), server.uri);
    gale::log::set_level(level);
  }
  if (file.contains("initialData")) {
    Client internal(gale::testing::with_options(server.uri, "serverSelectionTimeoutMS=10000"));
    for (const auto& data : file["initialData"]) {
      auto db = internal[data["databaseName"].get<std::string>()];
      const std::string name = data["collectionName"].get<std::string>();
      auto coll = db[name];
      loop.run_sync([&] { return coll.drop(); }, kOpTimeout);
      if (data["documents"].empty()) {
        ordered_json create = {{"create", name}};
        loop.run_sync([&] { return db.run_command(create); }, kOpTimeout);
      } else {
        std::vector<json> docs(data["documents"].begin(), data["documents"].end());
        loop.run_sync([&] { return coll.insert_many(docs); }, kOpTimeout);
      }
    }
  }
  const gale::spec::EntityLookup lookup = [&](const std::string& id) -> const json* {
    auto it = e.values.find(id);
    return it == e.values.end() ? nullptr : &it->second;
  };
  std::size_t index = 0;
  for (const auto& op : test["operations"]) {
    const std::string where = "operation " + std::to_string(index++) + " (" +
                              op["name"].get<std::string>() + " on " +
                              op["object"].get<std::string>() + ")";
    const bool expect_error = op.contains("expectError");
    json result;
    try {
      result = run_operation(loop, e, op);
    } catch (const RunnerError&) {
      throw;
    } catch (const std::exception& err) {
      if (!expect_error) return where + ": unexpected error: " + err.what();
      if (auto why = error_mismatch(json(op["expectError"]), err)) {
        return where + ": expected error with " + *why;
      }
      continue;
    }
    if (expect_error) {
      return where + ": expected an error " + json(op["expectError"]).dump() + ", got the result " +
             result.dump();
    }
    if (op.contains("expectResult")) {
      json expected = op["expectResult"];
      // mongo-java-server's change events have no ns: a result without one is matched without it.
      if (server.name == gale::testing::kMongoJavaServer && op["name"] != "runCommand" &&
          expected.is_object() && expected.contains("ns") && result.is_object() &&
          !result.contains("ns")) {
        expected.erase("ns");
        waived.push_back(where + ": ns not checked (mongo-java-server's events have no ns)");
      }
      if (auto why = gale::spec::unified_match(expected, &result, lookup, true)) {
        return where + ": " + *why + " (the result: " + result.dump() + ")";
      }
    }
    if (op.contains("saveResultAsEntity") && op["name"] != "createChangeStream") {
      e.values[op["saveResultAsEntity"].get<std::string>()] = result;
    }
  }
  for (auto& [_, stream] : e.streams) stream->close();
  return "";
}

// The databases a file's entities name, dropped after it.
void drop_databases(const ordered_json& file, const ServerInfo& server) {
  IOLoop loop;
  Client internal(gale::testing::with_options(server.uri, "serverSelectionTimeoutMS=10000"));
  for (const auto& item : file["createEntities"]) {
    if (!item.contains("database")) continue;
    auto db = internal[item["database"]["databaseName"].get<std::string>()];
    try {
      loop.run_sync([&] { return db.drop(); }, kOpTimeout);
    } catch (const std::exception&) {
    }
  }
}

void say(const std::string& line) {
  std::cout << "[cs-spec] " << line << std::endl;
}

// One spec file: each test run or skipped with its reason; CTest takes "no case ran" as a skip.
void run_file(const std::string& file_name) {
  auto where = gale::testing::change_stream_server();
  if (!where) {
    say(file_name + ": no case ran");
    return;
  }
  const auto [dir, why] = spec_dir();
  if (!dir) {
    gale::testing::say_skip(where->first, why);
    say(file_name + ": no case ran");
    return;
  }
  const fs::path path = *dir / file_name;
  REQUIRE(fs::exists(path));
  std::ifstream in(path);
  const ordered_json file = ordered_json::parse(in);
  const ServerInfo server = ask_server(where->first, where->second);
  say(file_name + " from " + dir->string() + ": " + server.name + " " + server.version_text +
      ", isMaster says " + server.reported_topology + ", taken as " + server.topology +
      (server.topology != server.reported_topology ? " (it has an oplog)" : "") +
      (server.failpoints ? ", failpoints" : ", no failpoints"));

  const json file_requirements =
      file.contains("runOnRequirements") ? json(file["runOnRequirements"]) : json::array();
  int passed = 0, skipped = 0, failed = 0;
  for (const auto& test : file["tests"]) {
    const std::string description = test["description"].get<std::string>();
    const std::string named = "\"" + description + "\": ";
    std::string skip;
    if (auto no = unmet(file_requirements, server)) {
      skip = *no;
    } else if (auto no_test =
                   unmet(test.contains("runOnRequirements") ? json(test["runOnRequirements"])
                                                            : json::array(),
                         server)) {
      skip = *no_test;
    } else {
      skip = cannot_run(json(test), server);
    }
    if (!skip.empty()) {
      gale::testing::say_skip(server.name, named + skip);
      ++skipped;
      continue;
    }
    std::string failure;
    std::vector<std::string> waived;
    try {
      failure = run_test(file, test, server, waived);
    } catch (const std::exception& err) {
      failure = std::string("the runner could not go on: ") + err.what();
    }
    if (failure.empty()) {
      ++passed;
      say(file_name + ": passed " + named.substr(0, named.size() - 2));
    } else {
      ++failed;
      FAIL_CHECK(file_name << ": " << named << failure);
    }
    for (const auto& w : waived) gale::testing::say_skip(server.name, named + w);
    if (test.contains("expectEvents")) {
      gale::testing::say_skip(
          server.name, named + "its expectEvents are not checked: gale has no command monitoring");
    }
  }
  drop_databases(file, server);
  say(file_name + ": " + std::to_string(passed) + " passed, " + std::to_string(skipped) +
      " cannot run, " + std::to_string(failed) + " failed");
  if (passed == 0 && failed == 0) say(file_name + ": no case ran");
}

// The files this runner knows (a new one in the specifications fails the last case below).
const std::vector<std::string> kFiles = {
    "change-streams.json",
    "change-streams-clusterTime.json",
    "change-streams-disambiguatedPaths.json",
    "change-streams-errors.json",
    "change-streams-nsType.json",
    "change-streams-pre_and_post_images.json",
    "change-streams-resume-allowlist.json",
    "change-streams-resume-errorLabels.json",
    "change-streams-showExpandedEvents.json",
};

}  // namespace

TEST_CASE("change-streams spec change-streams.json") {
  run_file("change-streams.json");
}
TEST_CASE("change-streams spec change-streams-clusterTime.json") {
  run_file("change-streams-clusterTime.json");
}
TEST_CASE("change-streams spec change-streams-disambiguatedPaths.json") {
  run_file("change-streams-disambiguatedPaths.json");
}
TEST_CASE("change-streams spec change-streams-errors.json") {
  run_file("change-streams-errors.json");
}
TEST_CASE("change-streams spec change-streams-nsType.json") {
  run_file("change-streams-nsType.json");
}
TEST_CASE("change-streams spec change-streams-pre_and_post_images.json") {
  run_file("change-streams-pre_and_post_images.json");
}
TEST_CASE("change-streams spec change-streams-resume-allowlist.json") {
  run_file("change-streams-resume-allowlist.json");
}
TEST_CASE("change-streams spec change-streams-resume-errorLabels.json") {
  run_file("change-streams-resume-errorLabels.json");
}
TEST_CASE("change-streams spec change-streams-showExpandedEvents.json") {
  run_file("change-streams-showExpandedEvents.json");
}

TEST_CASE("change-streams spec every unified file has a case here") {
  const auto [dir, why] = spec_dir();
  if (!dir) {
    gale::testing::say_skip("(none)", why);
    say("file list: no case ran");
    return;
  }
  for (const auto& entry : fs::directory_iterator(*dir)) {
    if (entry.path().extension() != ".json") continue;
    const std::string name = entry.path().filename().string();
    INFO("a spec file this runner has no case for: " << name);
    CHECK(std::find(kFiles.begin(), kFiles.end(), name) != kFiles.end());
  }
}
