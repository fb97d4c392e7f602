// RequestState: values of any type attached to one request, one per type, as middleware hands them
// to handlers (the authenticated user, a tenant, a trace span):
//
//   h.state().set(User{"ann"});                 // in a middleware's before()
//   const User& user = h.state().get<User>();   // in the handler: Error(internal) when absent
//   if (const User* u = h.state().find<User>()) ...
//
// Keyed by the C++ type, not by a string: no casts, no typos. Empty until used (no allocation).
#pragma once

#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

namespace gale::web {

class RequestState {
 public:
  // Stores value as the request's T (replacing a T already there); returns the stored one.
  template <class T>
  std::decay_t<T>& set(T&& value) {
    using V = std::decay_t<T>;
    auto stored = std::make_shared<V>(std::forward<T>(value));
    V& ref = *stored;
    put(key<V>(), std::move(stored));
    return ref;
  }
  // The request's T, or nullptr.
  template <class T>
  T* find() const noexcept {
    return static_cast<T*>(lookup(key<T>()));
  }
  // The request's T; throws gale::Error(internal) when there is none (a route that lacks the
  // middleware that sets it).
  template <class T>
  T& get() const {
    if (T* value = find<T>()) return *value;
    missing(typeid(T).name());
  }
  template <class T>
  bool contains() const noexcept {
    return find<T>() != nullptr;
  }
  bool empty() const noexcept { return first_.key == nullptr; }

 private:
  template <class T>
  static const void* key() noexcept {
    static const char tag = 0;  // one per type in the program
    return &tag;
  }
  void put(const void* key, std::shared_ptr<void> value);
  void* lookup(const void* key) const noexcept;
  [[noreturn]] static void missing(const char* type);

  struct Entry {
    const void* key = nullptr;
    std::shared_ptr<void> value{};
  };
  Entry first_{};               // most requests carry one value (the user): no vector for it
  std::vector<Entry> entries_;  // the others
};

}  // namespace gale::web
