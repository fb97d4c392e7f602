// RequestState: values of any type attached to one request, one per type, as middleware hands them
// to handlers (the authenticated user, a tenant, a trace span):
//
//   h.state().set(User{"ann"});                 // in a middleware's before()
//   const User& user = h.state().get<User>();   // in the handler: Error(internal) when absent
//   if (const User* u = h.state().find<User>()) ...
//
// Keyed by the C++ type, not by a string: no casts, no typos. Empty until used (no allocation). One
// small value (kLocalSize bytes at most: a User with a name and an id) lives in the state itself:
// the usual request, with one value, allocates nothing for it. Others (a larger one, a second one
// at once) are on the heap. A value keeps its address until it is replaced or the request ends. Not
// copyable: it belongs to its request.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace gale::web {

class RequestState {
 public:
  // Room for one value in the state itself.
  static constexpr std::size_t kLocalSize = 64;

  RequestState() = default;
  ~RequestState();
  RequestState(const RequestState&) = delete;
  RequestState& operator=(const RequestState&) = delete;

  // Stores value as the request's T (replacing a T already there); returns the stored one.
  template <class T>
  std::decay_t<T>& set(T&& value) {
    using V = std::decay_t<T>;
    if constexpr (fits_locally<V>()) {
      if (!local_busy()) {  // (a T being replaced is in local_ or not: either way built first)
        V* stored = ::new (static_cast<void*>(local_)) V(std::forward<T>(value));
        put(key<V>(), stored, &destroy_local<V>);
        return *stored;
      }
    }
    V* stored = new V(std::forward<T>(value));
    put(key<V>(), stored, &destroy_heap<V>);
    return *stored;
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
  using Destroy = void (*)(void*) noexcept;

  template <class T>
  static const void* key() noexcept {
    static const char tag = 0;  // one per type in the program
    return &tag;
  }
  template <class V>
  static constexpr bool fits_locally() noexcept {
    return sizeof(V) <= kLocalSize && alignof(V) <= alignof(std::max_align_t);
  }
  template <class V>
  static void destroy_local(void* value) noexcept {
    static_cast<V*>(value)->~V();
  }
  template <class V>
  static void destroy_heap(void* value) noexcept {
    delete static_cast<V*>(value);
  }
  bool local_busy() const noexcept;
  // Keeps value (destroyed by destroy) as key's, destroying the one it replaces; on failure (no
  // memory for the entry) destroys value and throws.
  void put(const void* key, void* value, Destroy destroy);
  void* lookup(const void* key) const noexcept;
  [[noreturn]] static void missing(const char* type);

  struct Entry {
    const void* key = nullptr;
    void* value = nullptr;
    Destroy destroy = nullptr;
  };
  Entry first_{};               // most requests carry one value (the user): no vector for it
  std::vector<Entry> entries_;  // the others
  alignas(std::max_align_t) unsigned char local_[kLocalSize];  // one value's room, see set()
};

}  // namespace gale::web
