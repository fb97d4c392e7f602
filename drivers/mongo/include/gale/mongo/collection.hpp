// Collection: the CRUD API, with Motor/PyMongo names. Documents go in and come out as
// nlohmann::json in relaxed Extended JSON (see document.hpp).
//
//   auto notes = client["app"]["notes"];
//   json note = {{"title", "x"}};
//   auto r = co_await notes.insert_one(note);                    // r.inserted_id
//   json by_id = {{"_id", r.inserted_id}};
//   auto doc = co_await notes.find_one(by_id);
//   json done = {{"$set", {{"done", true}}}};
//   auto u = co_await notes.update_one(by_id, done);
//
// On g++ 11-12, build braced JSON and option structs in a statement of their own, as above: a
// braced list inside a co_await does not compile there, and a braced option struct inside one is
// destroyed twice (README.md, "Compilers").
//
// Failures are MongoError (a gale::Error): a duplicate key is kind duplicate (code 11000), write
// errors of a batch are listed per index in write_errors().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "gale/loop/future.hpp"
#include "gale/mongo/change_stream.hpp"
#include "gale/mongo/cursor.hpp"
#include "gale/mongo/options.hpp"
#include "gale/mongo/results.hpp"

namespace gale::mongo {

namespace detail {
struct ClientState;
}

// The requests of bulk_write.
struct InsertOne {
  json document{};
};
struct UpdateOne {
  json filter{}, update{};
  bool upsert = false;
  json array_filters = nullptr;
};
struct UpdateMany {
  json filter{}, update{};
  bool upsert = false;
  json array_filters = nullptr;
};
struct ReplaceOne {
  json filter{}, replacement{};
  bool upsert = false;
};
struct DeleteOne {
  json filter{};
};
struct DeleteMany {
  json filter{};
};
using WriteModel =
    std::variant<InsertOne, UpdateOne, UpdateMany, ReplaceOne, DeleteOne, DeleteMany>;

class Collection {
 public:
  Collection(std::shared_ptr<detail::ClientState> client, std::string database, std::string name);

  const std::string& name() const noexcept { return name_; }
  const std::string& database_name() const noexcept { return database_; }
  std::string full_name() const { return database_ + "." + name_; }

  Future<InsertOneResult> insert_one(json document, InsertOptions options);
  Future<InsertOneResult> insert_one(json document) {
    return insert_one(std::move(document), InsertOptions{});
  }
  Future<InsertManyResult> insert_many(std::vector<json> documents, InsertOptions options);
  Future<InsertManyResult> insert_many(std::vector<json> documents) {
    return insert_many(std::move(documents), InsertOptions{});
  }

  Cursor find(json filter, FindOptions options);
  Cursor find(json filter) { return find(std::move(filter), FindOptions{}); }
  Cursor find() { return find(json::object()); }
  Future<std::optional<json>> find_one(json filter, FindOptions options);
  Future<std::optional<json>> find_one(json filter) {
    return find_one(std::move(filter), FindOptions{});
  }
  Future<std::optional<json>> find_one() { return find_one(json::object()); }

  Future<UpdateResult> update_one(json filter, json update, UpdateOptions options);
  Future<UpdateResult> update_one(json filter, json update) {
    return update_one(std::move(filter), std::move(update), UpdateOptions{});
  }
  Future<UpdateResult> update_many(json filter, json update, UpdateOptions options);
  Future<UpdateResult> update_many(json filter, json update) {
    return update_many(std::move(filter), std::move(update), UpdateOptions{});
  }
  Future<UpdateResult> replace_one(json filter, json replacement, UpdateOptions options);
  Future<UpdateResult> replace_one(json filter, json replacement) {
    return replace_one(std::move(filter), std::move(replacement), UpdateOptions{});
  }
  Future<DeleteResult> delete_one(json filter, DeleteOptions options);
  Future<DeleteResult> delete_one(json filter) {
    return delete_one(std::move(filter), DeleteOptions{});
  }
  Future<DeleteResult> delete_many(json filter, DeleteOptions options);
  Future<DeleteResult> delete_many(json filter) {
    return delete_many(std::move(filter), DeleteOptions{});
  }

  Future<std::int64_t> count_documents(json filter, CountOptions options);
  Future<std::int64_t> count_documents(json filter) {
    return count_documents(std::move(filter), CountOptions{});
  }
  Future<std::int64_t> count_documents() { return count_documents(json::object()); }
  Future<std::int64_t> estimated_document_count(CountOptions options);
  Future<std::int64_t> estimated_document_count() {
    return estimated_document_count(CountOptions{});
  }
  Future<std::vector<json>> distinct(std::string key, json filter, CountOptions options);
  Future<std::vector<json>> distinct(std::string key, json filter) {
    return distinct(std::move(key), std::move(filter), CountOptions{});
  }
  Future<std::vector<json>> distinct(std::string key) {
    return distinct(std::move(key), json::object());
  }
  Cursor aggregate(json pipeline, AggregateOptions options);
  Cursor aggregate(json pipeline) { return aggregate(std::move(pipeline), AggregateOptions{}); }

  // A change stream on this collection (change_stream.hpp); its aggregate has run when the
  // Future resolves. `pipeline`: the stages after $changeStream ($match, $project, ...).
  Future<ChangeStream> watch(json pipeline, ChangeStreamOptions options);
  Future<ChangeStream> watch(json pipeline) {
    return watch(std::move(pipeline), ChangeStreamOptions{});
  }
  Future<ChangeStream> watch() { return watch(json::array()); }

  Future<std::optional<json>> find_one_and_update(json filter, json update,
                                                  FindOneAndOptions options);
  Future<std::optional<json>> find_one_and_update(json filter, json update) {
    return find_one_and_update(std::move(filter), std::move(update), FindOneAndOptions{});
  }
  Future<std::optional<json>> find_one_and_replace(json filter, json replacement,
                                                   FindOneAndOptions options);
  Future<std::optional<json>> find_one_and_replace(json filter, json replacement) {
    return find_one_and_replace(std::move(filter), std::move(replacement), FindOneAndOptions{});
  }
  Future<std::optional<json>> find_one_and_delete(json filter, FindOneAndOptions options);
  Future<std::optional<json>> find_one_and_delete(json filter) {
    return find_one_and_delete(std::move(filter), FindOneAndOptions{});
  }

  Future<BulkWriteResult> bulk_write(std::vector<WriteModel> requests, BulkWriteOptions options);
  Future<BulkWriteResult> bulk_write(std::vector<WriteModel> requests) {
    return bulk_write(std::move(requests), BulkWriteOptions{});
  }

  Future<std::string> create_index(json keys, IndexOptions options);
  Future<std::string> create_index(json keys) {
    return create_index(std::move(keys), IndexOptions{});
  }
  Future<std::vector<std::string>> create_indexes(std::vector<IndexModel> indexes);
  Future<std::vector<json>> list_indexes();
  Future<void> drop_index(std::string name);
  Future<void> drop_indexes();
  Future<void> drop();

 private:
  Future<BulkWriteResult> write_batches(std::vector<WriteModel> requests, BulkWriteOptions options);

  std::shared_ptr<detail::ClientState> client_;
  std::string database_;
  std::string name_;
};

}  // namespace gale::mongo
