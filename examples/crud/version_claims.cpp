#include "crud/version_claims.hpp"

#include "gale/loop/error.hpp"
#include "gale/mongo/error.hpp"

namespace crud {
namespace {

using gale::mongo::json;

std::string claim_id(const std::string& note_id, std::int64_t version) {
  return note_id + ":" + std::to_string(version);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

gale::Future<bool> VersionClaims::insert(std::string note_id, std::int64_t version) {
  json claim;
  claim["_id"] = claim_id(note_id, version);
  claim["note"] = note_id;
  claim["expires_ms"] = now_ms() + ttl_.count();
  try {
    co_await claims_.insert_one(std::move(claim));
    co_return true;
  } catch (const gale::mongo::MongoError& e) {
    if (e.kind() != gale::ErrorKind::duplicate) throw;
  }
  co_return false;
}

gale::Future<bool> VersionClaims::take(std::string note_id, std::int64_t version) {
  if (co_await insert(note_id, version)) co_return true;
  // Taken. If its writer died before writing (the claim expired), take it over: the delete is
  // conditional on the expiry read here, so of several late writers one deletes it, and then
  // the insert decides between them again.
  json filter;
  filter["_id"] = claim_id(note_id, version);
  auto held = co_await claims_.find_one(filter);
  if (!held || !held->contains("expires_ms")) co_return false;
  auto expires = (*held)["expires_ms"].get<std::int64_t>();
  if (expires > now_ms()) co_return false;
  filter["expires_ms"] = expires;
  auto gone = co_await claims_.delete_one(std::move(filter));
  if (gone.deleted_count == 0) co_return false;
  co_return co_await insert(std::move(note_id), version);
}

gale::Future<void> VersionClaims::release(std::string note_id, std::int64_t version) {
  json filter;
  filter["_id"] = claim_id(note_id, version);
  co_await claims_.delete_one(std::move(filter));
}

gale::Future<void> VersionClaims::release_all(std::string note_id) {
  json filter;
  filter["note"] = std::move(note_id);
  co_await claims_.delete_many(std::move(filter));
}

}  // namespace crud
