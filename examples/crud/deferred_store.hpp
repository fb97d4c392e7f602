// DeferredStore: the store the routes hold from the start, before the database client exists
// (the server must be started, and so forked, before a client may be made). Until set() gives it
// the real store (after the client and the schema), calls wait for it, at most `wait` (then
// Error(unavailable): 503 with Retry-After), so requests that arrive during start-up are served
// late rather than refused, and none meets a 404 from a route that is not there yet.
#pragma once

#include <chrono>
#include <vector>

#include "crud/notes_store.hpp"
#include "gale/loop/error.hpp"
#include "gale/loop/with_timeout.hpp"

namespace crud {

class DeferredStore final : public NotesStore {
 public:
  explicit DeferredStore(std::chrono::milliseconds wait = std::chrono::seconds(30)) : wait_(wait) {}

  void set(NotesStore* store) {
    store_ = store;
    auto waiters = std::move(waiters_);
    for (auto& w : waiters) w.set_value();
  }

  gale::Future<void> setup() override {
    NotesStore* s = co_await ready();
    co_await s->setup();
  }
  gale::Future<void> insert(Note note) override {
    NotesStore* s = co_await ready();
    co_await s->insert(std::move(note));
  }
  gale::Future<std::optional<Note>> find(std::string id) override {
    NotesStore* s = co_await ready();
    co_return co_await s->find(std::move(id));
  }
  gale::Future<std::vector<Note>> list(ListQuery query) override {
    NotesStore* s = co_await ready();
    co_return co_await s->list(std::move(query));
  }
  gale::Future<WriteResult> update(std::string id, NoteFields fields, std::string updated_at,
                                   Versions accept) override {
    NotesStore* s = co_await ready();
    co_return co_await s->update(std::move(id), std::move(fields), std::move(updated_at),
                                 std::move(accept));
  }
  gale::Future<WriteResult> remove(std::string id, Versions accept) override {
    NotesStore* s = co_await ready();
    co_return co_await s->remove(std::move(id), std::move(accept));
  }

 private:
  static constexpr std::size_t kMaxWaiters = 10000;

  // The store, once set() gave it (waiting at most wait_).
  gale::Future<NotesStore*> ready() {
    if (store_ != nullptr) co_return store_;
    if (waiters_.size() >= kMaxWaiters) throw starting();
    gale::Promise<void> promise;
    auto set_later = promise.get_future();
    waiters_.push_back(std::move(promise));
    try {
      co_await gale::with_timeout(wait_, std::move(set_later));
    } catch (const gale::Error&) {
    }
    if (store_ == nullptr) throw starting();
    co_return store_;
  }

  static gale::Error starting() {
    return gale::Error(gale::ErrorKind::unavailable, "the database is not ready yet",
                       "the service is starting, retry later");
  }

  std::chrono::milliseconds wait_;
  NotesStore* store_ = nullptr;
  std::vector<gale::Promise<void>> waiters_;
};

}  // namespace crud
