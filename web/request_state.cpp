#include "gale/web/request_state.hpp"

#include "gale/loop/error.hpp"

namespace gale::web {

void RequestState::put(const void* key, std::shared_ptr<void> value) {
  if (first_.key == nullptr || first_.key == key) {
    first_ = Entry{key, std::move(value)};
    return;
  }
  for (auto& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      return;
    }
  }
  entries_.push_back(Entry{key, std::move(value)});
}

void* RequestState::lookup(const void* key) const noexcept {
  if (first_.key == key) return first_.value.get();
  for (const auto& e : entries_) {
    if (e.key == key) return e.value.get();
  }
  return nullptr;
}

void RequestState::missing(const char* type) {
  throw Error(ErrorKind::internal, std::string("the request state holds no ") + type +
                                       " (is the middleware that sets it on this route?)");
}

}  // namespace gale::web
