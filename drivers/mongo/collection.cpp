#include "gale/mongo/collection.hpp"
#include "gale/mongo/bson.hpp"

#include <algorithm>

#include "gale/mongo/change_stream_state.hpp"
#include "gale/mongo/command_builder.hpp"
#include "gale/mongo/cursor_state.hpp"
#include "gale/mongo/operation.hpp"
#include "gale/mongo/reply.hpp"

namespace gale::mongo {

using detail::CommandBuilder;
using detail::read_op;
using detail::Retry;
using detail::write_op;

namespace {

struct Limits {
  std::size_t max_batch = 100'000;
  std::size_t max_bson = 16 * 1024 * 1024;
  std::size_t max_message = 48'000'000;
};

// The limits of `address` (from its hello), or of any known server when none is given.
Limits limits_of(const Topology& t, const std::string& address = {}) {
  Limits l;
  for (const auto& [a, s] : t.description().servers()) {
    if (!s.is_known() || (!address.empty() && a != address)) continue;
    l.max_batch = static_cast<std::size_t>(std::max<std::int64_t>(1, s.max_write_batch_size));
    l.max_bson = static_cast<std::size_t>(s.max_bson_object_size);
    l.max_message = static_cast<std::size_t>(s.max_message_size);
    break;
  }
  return l;
}

std::optional<std::int64_t> max_time(const std::optional<std::int64_t>& explicit_ms,
                                     const std::optional<Clock::duration>& timeout) {
  if (explicit_ms) return explicit_ms;
  if (timeout) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count();
    return std::max<std::int64_t>(1, ms);
  }
  return std::nullopt;
}

// An index hint: its name, or its key pattern.
void add_hint(CommandBuilder& b, const json& hint) {
  if (hint.is_string()) {
    b.str("hint", hint.get<std::string>());
  } else {
    b.keys("hint", hint);
  }
}

// The document with an _id (generated first when missing), and that _id.
std::pair<Document, json> with_id(const json& document) {
  if (!document.is_object()) {
    throw Error(ErrorKind::invalid_argument, "a document must be a JSON object");
  }
  if (auto it = document.find("_id"); it != document.end()) return {Document(document), *it};
  json id = detail::new_object_id();
  bson_t b;
  bson_init(&b);
  append_json(&b, "_id", id);
  try {
    append_members(&b, document);
  } catch (...) {
    bson_destroy(&b);
    throw;
  }
  Document d = from_bson(&b);
  bson_destroy(&b);
  return {std::move(d), id};
}

enum class Kind { insert, update, remove };

Kind kind_of(const WriteModel& m) {
  if (std::holds_alternative<InsertOne>(m)) return Kind::insert;
  if (std::holds_alternative<DeleteOne>(m) || std::holds_alternative<DeleteMany>(m)) {
    return Kind::remove;
  }
  return Kind::update;
}

bool is_multi(const WriteModel& m) {
  return std::holds_alternative<UpdateMany>(m) || std::holds_alternative<DeleteMany>(m);
}

void check_update_document(const json& update, bool replacement) {
  if (update.is_array()) {
    if (replacement) throw Error(ErrorKind::invalid_argument, "a replacement cannot be a pipeline");
    return;  // an update pipeline
  }
  if (!update.is_object() || update.empty()) {
    throw Error(ErrorKind::invalid_argument, "an update must be a non-empty document");
  }
  bool ops = update.begin().key().starts_with('$');
  if (replacement && ops) {
    throw Error(ErrorKind::invalid_argument,
                "a replacement document must not use update operators");
  }
  if (!replacement && !ops) {
    throw Error(ErrorKind::invalid_argument,
                "an update document must use update operators ($set, $inc, ...); use replace_one "
                "to replace a document");
  }
}

// The statement a request becomes inside the batch ({q, u, upsert, multi} / {q, limit} / doc).
Document statement(const WriteModel& m, json* inserted_id) {
  return std::visit(
      [&](const auto& r) -> Document {
        using T = std::decay_t<decltype(r)>;
        CommandBuilder b;
        if constexpr (std::is_same_v<T, InsertOne>) {
          auto [doc, id] = with_id(r.document);
          *inserted_id = id;
          return doc;
        } else if constexpr (std::is_same_v<T, DeleteOne> || std::is_same_v<T, DeleteMany>) {
          b.json("q", r.filter.is_null() ? json::object() : r.filter);
          b.i32("limit", std::is_same_v<T, DeleteOne> ? 1 : 0);
          return b.done();
        } else if constexpr (std::is_same_v<T, ReplaceOne>) {
          check_update_document(r.replacement, true);
          b.json("q", r.filter.is_null() ? json::object() : r.filter);
          b.json("u", r.replacement);
          b.boolean("upsert", r.upsert);
          b.boolean("multi", false);
          return b.done();
        } else {
          check_update_document(r.update, false);
          b.json("q", r.filter.is_null() ? json::object() : r.filter);
          b.json("u", r.update);
          b.boolean("upsert", r.upsert);
          b.boolean("multi", std::is_same_v<T, UpdateMany>);
          b.json("arrayFilters", r.array_filters);
          return b.done();
        }
      },
      m);
}

struct Batch {
  Kind kind;
  std::vector<std::size_t> indexes;  // request indexes
  bool multi = false;
};

// Requests grouped by kind (consecutive runs when ordered), cut at maxWriteBatchSize and
// maxMessageSizeBytes.
std::vector<Batch> plan(const std::vector<WriteModel>& requests, const std::vector<Document>& docs,
                        bool ordered, const Limits& limits) {
  std::vector<Batch> out;
  const std::size_t budget = limits.max_message - 16 * 1024;
  auto add_group = [&](Kind kind, const std::vector<std::size_t>& group) {
    Batch current{kind, {}, false};
    std::size_t bytes = 0;
    for (std::size_t i : group) {
      std::size_t size = docs[i].size();
      if (!current.indexes.empty() &&
          (current.indexes.size() >= limits.max_batch || bytes + size > budget)) {
        out.push_back(std::move(current));
        current = Batch{kind, {}, false};
        bytes = 0;
      }
      current.indexes.push_back(i);
      current.multi = current.multi || is_multi(requests[i]);
      bytes += size;
    }
    if (!current.indexes.empty()) out.push_back(std::move(current));
  };
  if (ordered) {
    std::vector<std::size_t> group;
    for (std::size_t i = 0; i < requests.size(); ++i) {
      if (!group.empty() && kind_of(requests[group.back()]) != kind_of(requests[i])) {
        add_group(kind_of(requests[group.back()]), group);
        group.clear();
      }
      group.push_back(i);
    }
    if (!group.empty()) add_group(kind_of(requests[group.back()]), group);
  } else {
    for (Kind k : {Kind::insert, Kind::update, Kind::remove}) {
      std::vector<std::size_t> group;
      for (std::size_t i = 0; i < requests.size(); ++i)
        if (kind_of(requests[i]) == k) group.push_back(i);
      if (!group.empty()) add_group(k, group);
    }
  }
  return out;
}

// The counters of a write reply, read in place; only errors and upserts become JSON.
void read_batch_reply(const Document& reply, const Batch& batch, BulkWriteResult& result,
                      std::vector<WriteError>& errors) {
  bson_t doc = bson_view(reply);
  bson_iter_t it;
  std::int64_t n = 0, modified = 0;
  json upserted, write_errors, concern_error;
  if (!bson_iter_init(&it, &doc)) throw MongoError(ErrorKind::internal, "corrupt write reply");
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if (key == "n") {
      n = bson_iter_as_int64(&it);
    } else if (key == "nModified") {
      modified = bson_iter_as_int64(&it);
    } else if (key == "upserted") {
      upserted = value_to_json(&it);
    } else if (key == "writeErrors") {
      write_errors = value_to_json(&it);
    } else if (key == "writeConcernError") {
      concern_error = value_to_json(&it);
    }
  }
  if (batch.kind == Kind::insert) {
    result.inserted_count += n;
  } else if (batch.kind == Kind::remove) {
    result.deleted_count += n;
  } else {
    std::int64_t count = 0;
    if (upserted.is_array()) {
      for (const auto& u : upserted) {
        auto local = u.value("index", std::size_t{0});
        if (local < batch.indexes.size()) {
          result.upserted_ids[batch.indexes[local]] = u.value("_id", json());
        }
        ++count;
      }
    }
    result.upserted_count += count;
    result.matched_count += n - count;
    result.modified_count += modified;
  }
  if (write_errors.is_array()) {
    for (const auto& e : write_errors) {
      auto local = e.value("index", std::size_t{0});
      WriteError w;
      w.index = local < batch.indexes.size() ? batch.indexes[local] : local;
      w.code = e.value("code", 0);
      w.errmsg = e.value("errmsg", std::string());
      w.details = e;
      errors.push_back(std::move(w));
    }
  }
  if (concern_error.is_object()) {
    int code = concern_error.value("code", 64);
    throw MongoError(
        ErrorKind::unavailable,
        "write concern error: " + concern_error.value("errmsg", std::string("unknown")), code,
        concern_error.value("codeName", std::string()));
  }
}

[[noreturn]] void throw_write_errors(std::vector<WriteError> errors, const BulkWriteResult& r) {
  std::sort(errors.begin(), errors.end(),
            [](const WriteError& a, const WriteError& b) { return a.index < b.index; });
  const auto& first = errors.front();
  std::string message = "write error at index " + std::to_string(first.index) + ": " + first.errmsg;
  if (errors.size() > 1) message += " (and " + std::to_string(errors.size() - 1) + " more)";
  MongoError e(kind_for_code(first.code) == ErrorKind::internal ? ErrorKind::invalid_argument
                                                                : kind_for_code(first.code),
               message, first.code, first.code == 11000 ? "DuplicateKey" : "");
  e.set_write_errors(std::move(errors), r.to_json());
  throw e;
}

json parse_reply_value(const Document& reply, const char* key) {
  json r = reply.to_json();
  auto it = r.find(key);
  return it == r.end() ? json() : *it;
}

}  // namespace

json BulkWriteResult::to_json() const {
  json up = json::object();
  for (const auto& [i, id] : upserted_ids) up[std::to_string(i)] = id;
  return json{{"inserted_count", inserted_count}, {"matched_count", matched_count},
              {"modified_count", modified_count}, {"deleted_count", deleted_count},
              {"upserted_count", upserted_count}, {"upserted_ids", up}};
}

Collection::Collection(std::shared_ptr<detail::ClientState> client, std::string database,
                       std::string name)
    : client_(std::move(client)), database_(std::move(database)), name_(std::move(name)) {
  if (name_.empty() || name_.find('\0') != std::string::npos) {
    throw Error(ErrorKind::invalid_argument, "invalid collection name \"" + name_ + "\"");
  }
}

Future<BulkWriteResult> Collection::write_batches(std::vector<WriteModel> requests,
                                                  BulkWriteOptions options) {
  if (requests.empty()) throw Error(ErrorKind::invalid_argument, "no write requests given");
  BulkWriteResult result;
  std::vector<Document> docs;
  docs.reserve(requests.size());
  result.inserted_ids.reserve(requests.size());
  const auto deadline = client_->deadline(options.timeout);
  // Batches are cut to the limits of the server that takes them: wait for it to be known.
  const auto& settings = client_->topology->settings();
  SelectionCriteria criteria;
  criteria.write = true;
  criteria.local_threshold = settings.local_threshold;
  criteria.heartbeat_frequency = settings.heartbeat_frequency;
  auto target = co_await client_->topology->select(
      criteria, std::min(deadline, Clock::now() + settings.server_selection_timeout));
  const Limits limits = limits_of(*client_->topology, target->address);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    json id;
    docs.push_back(statement(requests[i], &id));
    if (!id.is_null()) result.inserted_ids.push_back(std::move(id));
    if (docs.back().size() > limits.max_bson + 16 * 1024) {
      throw MongoError(ErrorKind::invalid_argument,
                       "request " + std::to_string(i) + " is " +
                           std::to_string(docs.back().size()) +
                           " bytes, above the server's maxBsonObjectSize (" +
                           std::to_string(limits.max_bson) + ")",
                       10334, "BSONObjectTooLarge");
    }
  }
  const WriteConcern wc =
      options.write_concern.value_or(client_->topology->settings().write_concern);
  const bool unacknowledged = wc.unacknowledged();
  result.acknowledged = !unacknowledged;
  std::vector<WriteError> errors;
  for (const auto& batch : plan(requests, docs, options.ordered, limits)) {
    CommandBuilder b;
    const char* verb = batch.kind == Kind::insert   ? "insert"
                       : batch.kind == Kind::update ? "update"
                                                    : "delete";
    b.str(verb, name_);
    b.boolean("ordered", options.ordered);
    if (options.bypass_document_validation) b.boolean("bypassDocumentValidation", true);
    if (!wc.is_default()) b.json("writeConcern", wc.to_json());
    auto op = write_op(database_, b.done(), deadline, batch.multi ? Retry::none : Retry::write);
    op.sequence_ids = {batch.kind == Kind::insert   ? "documents"
                       : batch.kind == Kind::update ? "updates"
                                                    : "deletes"};
    op.sequences.emplace_back();
    for (std::size_t i : batch.indexes) op.sequences[0].push_back(&docs[i]);
    op.unacknowledged = unacknowledged;
    auto out = co_await detail::execute(client_, std::move(op));
    if (unacknowledged) continue;
    std::size_t before = errors.size();
    read_batch_reply(out.reply, batch, result, errors);
    if (options.ordered && errors.size() > before) break;
  }
  if (!errors.empty()) throw_write_errors(std::move(errors), result);
  co_return result;
}

namespace {
// The insert command of one document (a plain function: the builder stays off coroutine frames).
Document insert_command(const std::string& name, bool bypass, const WriteConcern& wc) {
  CommandBuilder b;
  b.str("insert", name);
  b.boolean("ordered", true);
  if (bypass) b.boolean("bypassDocumentValidation", true);
  if (!wc.is_default()) b.json("writeConcern", wc.to_json());
  return b.done();
}
}  // namespace

// One document: the same command as a batch of one, without the batching machinery.
Future<InsertOneResult> Collection::insert_one(json document, InsertOptions options) {
  auto [doc, id] = with_id(document);
  const Limits limits = limits_of(*client_->topology);
  if (doc.size() > limits.max_bson) {
    throw MongoError(ErrorKind::invalid_argument,
                     "the document is " + std::to_string(doc.size()) +
                         " bytes, above the server's maxBsonObjectSize (" +
                         std::to_string(limits.max_bson) + ")",
                     10334, "BSONObjectTooLarge");
  }
  const WriteConcern wc =
      options.write_concern.value_or(client_->topology->settings().write_concern);
  auto op = write_op(database_, insert_command(name_, options.bypass_document_validation, wc),
                     client_->deadline(options.timeout), Retry::write);
  op.sequence_ids = {"documents"};
  op.sequences = {{&doc}};
  op.unacknowledged = wc.unacknowledged();
  auto out = co_await detail::execute(client_, std::move(op));
  if (wc.unacknowledged()) co_return InsertOneResult{std::move(id), false};
  BulkWriteResult result;
  std::vector<WriteError> errors;
  read_batch_reply(out.reply, Batch{Kind::insert, {0}, false}, result, errors);
  if (!errors.empty()) throw_write_errors(std::move(errors), result);
  co_return InsertOneResult{std::move(id), true};
}

Future<InsertManyResult> Collection::insert_many(std::vector<json> documents,
                                                 InsertOptions options) {
  BulkWriteOptions bo{options.ordered, options.bypass_document_validation, options.write_concern,
                      options.timeout};
  std::vector<WriteModel> r;
  r.reserve(documents.size());
  for (auto& d : documents) r.push_back(InsertOne{std::move(d)});
  documents.clear();
  auto res = co_await write_batches(std::move(r), std::move(bo));
  co_return InsertManyResult{std::move(res.inserted_ids), res.acknowledged};
}

namespace {
UpdateResult to_update_result(const BulkWriteResult& r) {
  UpdateResult u;
  u.matched_count = r.matched_count;
  u.modified_count = r.modified_count;
  if (!r.upserted_ids.empty()) u.upserted_id = r.upserted_ids.begin()->second;
  u.acknowledged = r.acknowledged;
  return u;
}
BulkWriteOptions bulk_options(const std::optional<WriteConcern>& wc,
                              const std::optional<Clock::duration>& timeout) {
  BulkWriteOptions o;
  o.write_concern = wc;
  o.timeout = timeout;
  return o;
}
}  // namespace

Future<UpdateResult> Collection::update_one(json filter, json update, UpdateOptions o) {
  auto bo = bulk_options(o.write_concern, o.timeout);
  std::vector<WriteModel> r;
  r.push_back(UpdateOne{std::move(filter), std::move(update), o.upsert, o.array_filters});
  co_return to_update_result(co_await write_batches(std::move(r), std::move(bo)));
}

Future<UpdateResult> Collection::update_many(json filter, json update, UpdateOptions o) {
  auto bo = bulk_options(o.write_concern, o.timeout);
  std::vector<WriteModel> r;
  r.push_back(UpdateMany{std::move(filter), std::move(update), o.upsert, o.array_filters});
  co_return to_update_result(co_await write_batches(std::move(r), std::move(bo)));
}

Future<UpdateResult> Collection::replace_one(json filter, json replacement, UpdateOptions o) {
  auto bo = bulk_options(o.write_concern, o.timeout);
  std::vector<WriteModel> r;
  r.push_back(ReplaceOne{std::move(filter), std::move(replacement), o.upsert});
  co_return to_update_result(co_await write_batches(std::move(r), std::move(bo)));
}

Future<DeleteResult> Collection::delete_one(json filter, DeleteOptions o) {
  auto bo = bulk_options(o.write_concern, o.timeout);
  std::vector<WriteModel> r;
  r.push_back(DeleteOne{std::move(filter)});
  auto res = co_await write_batches(std::move(r), std::move(bo));
  co_return DeleteResult{res.deleted_count, res.acknowledged};
}

Future<DeleteResult> Collection::delete_many(json filter, DeleteOptions o) {
  auto bo = bulk_options(o.write_concern, o.timeout);
  std::vector<WriteModel> r;
  r.push_back(DeleteMany{std::move(filter)});
  auto res = co_await write_batches(std::move(r), std::move(bo));
  co_return DeleteResult{res.deleted_count, res.acknowledged};
}

Future<BulkWriteResult> Collection::bulk_write(std::vector<WriteModel> requests,
                                               BulkWriteOptions options) {
  return write_batches(std::move(requests), std::move(options));
}

namespace {
Document find_command(const std::string& name, const json& filter, const FindOptions& o,
                      std::int64_t limit) {
  CommandBuilder b;
  b.str("find", name);
  b.json("filter", filter.is_null() ? json::object() : filter);
  b.keys("sort", o.sort);
  if (!o.projection.is_null()) b.json("projection", o.projection);
  if (o.skip > 0) b.i64("skip", o.skip);
  if (o.limit != 0) b.i64("limit", limit);
  if (o.limit < 0) b.boolean("singleBatch", true);
  if (o.batch_size > 0) b.i32("batchSize", o.batch_size);
  add_hint(b, o.hint);
  if (auto mt = max_time(o.max_time_ms, o.timeout)) b.i64("maxTimeMS", *mt);
  b.json("collation", o.collation);
  return b.done();
}

// The first document of a cursor reply's firstBatch, as JSON.
std::optional<json> first_of_batch(const Document& reply) {
  bson_t doc = bson_view(reply);
  bson_iter_t it, first;
  if (!bson_iter_init(&it, &doc) ||
      !bson_iter_find_descendant(&it, "cursor.firstBatch.0", &first)) {
    return std::nullopt;
  }
  if (!BSON_ITER_HOLDS_DOCUMENT(&first)) {
    throw MongoError(ErrorKind::internal, "a cursor batch holds a non-document");
  }
  std::uint32_t len = 0;
  const std::uint8_t* data = nullptr;
  bson_iter_document(&first, &len, &data);
  bson_t one;
  if (!bson_init_static(&one, data, len)) throw MongoError(ErrorKind::internal, "corrupt document");
  return to_json(&one);
}
}  // namespace

Cursor Collection::find(json filter, FindOptions o) {
  auto s = std::make_shared<detail::CursorState>();
  s->client = client_;
  s->database = database_;
  s->collection = name_;
  s->batch_size = o.batch_size;
  s->limit = o.limit < 0 ? -o.limit : o.limit;
  s->timeout = o.timeout;
  s->first = read_op(database_, find_command(name_, filter, o, s->limit),
                     client_->deadline(o.timeout), o.read_preference);
  return Cursor(std::move(s));
}

Future<std::optional<json>> Collection::find_one(json filter, FindOptions options) {
  // One batch of one document: no cursor is left open, so none is needed here.
  options.limit = -1;
  auto op = read_op(database_, find_command(name_, filter, options, 1),
                    client_->deadline(options.timeout), options.read_preference);
  auto out = co_await detail::execute(client_, std::move(op));
  co_return first_of_batch(out.reply);
}

Future<std::int64_t> Collection::count_documents(json filter, CountOptions o) {
  json pipeline = json::array({{{"$match", filter.is_null() ? json::object() : filter}}});
  if (o.skip > 0) pipeline.push_back({{"$skip", o.skip}});
  if (o.limit > 0) pipeline.push_back({{"$limit", o.limit}});
  pipeline.push_back({{"$group", {{"_id", 1}, {"n", {{"$sum", 1}}}}}});
  AggregateOptions a;
  a.hint = o.hint;
  a.max_time_ms = o.max_time_ms;
  a.timeout = o.timeout;
  auto cursor = aggregate(std::move(pipeline), a);
  auto doc = co_await cursor.next();
  if (!doc) co_return 0;
  co_return doc->value("n", std::int64_t{0});
}

Future<std::int64_t> Collection::estimated_document_count(CountOptions o) {
  CommandBuilder b;
  b.str("count", name_);
  if (auto mt = max_time(o.max_time_ms, o.timeout)) b.i64("maxTimeMS", *mt);
  auto op = read_op(database_, b.done(), client_->deadline(o.timeout));
  auto out = co_await detail::execute(client_, std::move(op));
  co_return reply_int(out.reply, "n").value_or(0);
}

Future<std::vector<json>> Collection::distinct(std::string key, json filter, CountOptions o) {
  CommandBuilder b;
  b.str("distinct", name_);
  b.str("key", key);
  b.json("query", filter.is_null() ? json::object() : filter);
  if (auto mt = max_time(o.max_time_ms, o.timeout)) b.i64("maxTimeMS", *mt);
  auto op = read_op(database_, b.done(), client_->deadline(o.timeout));
  auto out = co_await detail::execute(client_, std::move(op));
  json values = parse_reply_value(out.reply, "values");
  std::vector<json> result;
  if (values.is_array()) result.assign(values.begin(), values.end());
  co_return result;
}

Cursor Collection::aggregate(json pipeline, AggregateOptions o) {
  if (!pipeline.is_array()) {
    throw Error(ErrorKind::invalid_argument, "an aggregation pipeline must be a JSON array");
  }
  bool writes = false;
  for (const auto& stage : pipeline) {
    if (stage.is_object() && (stage.contains("$out") || stage.contains("$merge"))) writes = true;
  }
  auto s = std::make_shared<detail::CursorState>();
  s->client = client_;
  s->database = database_;
  s->collection = name_;
  s->batch_size = o.batch_size;
  s->timeout = o.timeout;
  CommandBuilder b;
  b.str("aggregate", name_);
  b.json("pipeline", pipeline);
  json cursor = json::object();
  if (o.batch_size > 0) cursor["batchSize"] = o.batch_size;
  b.json("cursor", cursor);
  if (o.allow_disk_use) b.boolean("allowDiskUse", true);
  add_hint(b, o.hint);
  if (auto mt = max_time(o.max_time_ms, o.timeout)) b.i64("maxTimeMS", *mt);
  b.json("collation", o.collation);
  // An aggregate with $out or $merge writes, and is not retried.
  s->first = writes ? write_op(database_, b.done(), client_->deadline(o.timeout))
                    : read_op(database_, b.done(), client_->deadline(o.timeout));
  return Cursor(std::move(s));
}

Future<ChangeStream> Collection::watch(json pipeline, ChangeStreamOptions options) {
  return detail::open_change_stream(client_, database_, name_, false, std::move(pipeline),
                                    std::move(options));
}

namespace {
Future<std::optional<json>> find_and_modify(std::shared_ptr<detail::ClientState> client,
                                            std::string db, std::string coll, json filter,
                                            json update, bool remove, FindOneAndOptions o) {
  CommandBuilder b;
  b.str("findAndModify", coll);
  b.json("query", filter.is_null() ? json::object() : filter);
  b.keys("sort", o.sort);
  if (remove) {
    b.boolean("remove", true);
  } else {
    b.json("update", update);
    b.boolean("new", o.return_document == ReturnDocument::after);
    b.boolean("upsert", o.upsert);
    b.json("arrayFilters", o.array_filters);
  }
  if (!o.projection.is_null()) b.json("fields", o.projection);
  if (auto mt = max_time(o.max_time_ms, o.timeout)) b.i64("maxTimeMS", *mt);
  if (o.write_concern && !o.write_concern->is_default())
    b.json("writeConcern", o.write_concern->to_json());
  auto op = write_op(std::move(db), b.done(), client->deadline(o.timeout), Retry::write);
  auto out = co_await detail::execute(client, std::move(op));
  json value = parse_reply_value(out.reply, "value");
  if (value.is_null()) co_return std::nullopt;
  co_return value;
}
}  // namespace

Future<std::optional<json>> Collection::find_one_and_update(json filter, json update,
                                                            FindOneAndOptions o) {
  check_update_document(update, false);
  return find_and_modify(client_, database_, name_, std::move(filter), std::move(update), false,
                         std::move(o));
}

Future<std::optional<json>> Collection::find_one_and_replace(json filter, json replacement,
                                                             FindOneAndOptions o) {
  check_update_document(replacement, true);
  return find_and_modify(client_, database_, name_, std::move(filter), std::move(replacement),
                         false, std::move(o));
}

Future<std::optional<json>> Collection::find_one_and_delete(json filter, FindOneAndOptions o) {
  return find_and_modify(client_, database_, name_, std::move(filter), json(), true, std::move(o));
}

namespace {
Future<detail::Outcome> simple(std::shared_ptr<detail::ClientState> client, std::string db,
                               Document body, bool write) {
  auto deadline = client->deadline(std::nullopt);
  auto op = write ? write_op(std::move(db), std::move(body), deadline)
                  : read_op(std::move(db), std::move(body), deadline);
  return detail::execute(std::move(client), std::move(op));
}
}  // namespace

Future<std::string> Collection::create_index(json keys, IndexOptions options) {
  std::vector<IndexModel> models(1);
  models[0].keys = std::move(keys);
  models[0].options = std::move(options);
  auto names = co_await create_indexes(std::move(models));
  co_return names.at(0);
}

Future<std::vector<std::string>> Collection::create_indexes(std::vector<IndexModel> indexes) {
  nlohmann::ordered_json specs = nlohmann::ordered_json::array();
  std::vector<std::string> names;
  for (const auto& m : indexes) {
    nlohmann::ordered_json spec = nlohmann::ordered_json::object();
    spec["key"] = detail::ordered_keys(m.keys);
    std::string name = m.options.name.empty() ? detail::index_name(m.keys) : m.options.name;
    spec["name"] = name;
    if (m.options.unique) spec["unique"] = true;
    if (m.options.sparse) spec["sparse"] = true;
    if (m.options.expire_after_seconds)
      spec["expireAfterSeconds"] = *m.options.expire_after_seconds;
    if (!m.options.partial_filter_expression.is_null()) {
      spec["partialFilterExpression"] = m.options.partial_filter_expression;
    }
    if (m.options.extra.is_object()) {
      for (auto it = m.options.extra.begin(); it != m.options.extra.end(); ++it)
        spec[it.key()] = it.value();
    }
    specs.push_back(std::move(spec));
    names.push_back(std::move(name));
  }
  CommandBuilder b;
  b.str("createIndexes", name_);
  b.json("indexes", specs);
  auto body = b.done();
  co_await simple(client_, database_, std::move(body), true);
  co_return names;
}

Future<std::vector<json>> Collection::list_indexes() {
  auto s = std::make_shared<detail::CursorState>();
  s->client = client_;
  s->database = database_;
  s->collection = name_;
  CommandBuilder b;
  b.str("listIndexes", name_);
  b.json("cursor", json::object());
  s->first = read_op(database_, b.done(), client_->deadline(std::nullopt));
  Cursor c(std::move(s));
  co_return co_await c.to_list();
}

Future<void> Collection::drop_index(std::string index) {
  CommandBuilder b;
  b.str("dropIndexes", name_);
  b.str("index", index);
  auto body = b.done();
  co_await simple(client_, database_, std::move(body), true);
}

Future<void> Collection::drop_indexes() {
  CommandBuilder b;
  b.str("dropIndexes", name_);
  b.str("index", "*");
  auto body = b.done();
  co_await simple(client_, database_, std::move(body), true);
}

Future<void> Collection::drop() {
  CommandBuilder b;
  b.str("drop", name_);
  try {
    auto body = b.done();
    co_await simple(client_, database_, std::move(body), true);
  } catch (const MongoError& e) {
    // NamespaceNotFound: already gone. Said by its code, or by its message alone, as servers that
    // send no code say it (old MongoDB, mongo-java-server); other drivers accept both.
    if (e.code() != 26 && !(e.code() == 0 && e.errmsg() == "ns not found")) throw;
  }
}

}  // namespace gale::mongo
