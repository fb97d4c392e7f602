#include "gale/web/request_state.hpp"

#include "gale/loop/error.hpp"

namespace gale::web {

RequestState::~RequestState() {
  if (first_.destroy) first_.destroy(first_.value);
  for (auto& e : entries_) e.destroy(e.value);
}

bool RequestState::local_busy() const noexcept {
  if (first_.value == local_) return true;
  for (const auto& e : entries_) {
    if (e.value == local_) return true;
  }
  return false;
}

void RequestState::put(const void* key, void* value, Destroy destroy) {
  Entry* slot = nullptr;
  if (first_.key == nullptr || first_.key == key) {
    slot = &first_;
  } else {
    for (auto& e : entries_) {
      if (e.key == key) {
        slot = &e;
        break;
      }
    }
  }
  if (slot == nullptr) {
    try {
      entries_.push_back(Entry{key, value, destroy});
    } catch (...) {
      destroy(value);
      throw;
    }
    return;
  }
  Entry old = *slot;
  *slot = Entry{key, value, destroy};
  if (old.destroy) old.destroy(old.value);
}

void* RequestState::lookup(const void* key) const noexcept {
  if (first_.key == key) return first_.value;
  for (const auto& e : entries_) {
    if (e.key == key) return e.value;
  }
  return nullptr;
}

void RequestState::missing(const char* type) {
  throw Error(ErrorKind::internal, std::string("the request state holds no ") + type +
                                       " (is the middleware that sets it on this route?)");
}

}  // namespace gale::web
