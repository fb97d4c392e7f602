// StatementCache: the prepared statements of one connection, least recently used evicted first.
// (detail)
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

namespace gale::pg::detail {

class StatementCache {
 public:
  explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t size() const noexcept { return map_.size(); }

  // The statement's name if `key` is cached (and marks it recently used).
  const std::string* find(const std::string& key);
  // Adds `key` under a new name; sets `evicted` to the name that made room, if one had to go.
  const std::string& add(const std::string& key, std::optional<std::string>& evicted);
  // Forgets `key` if it is cached under `name`.
  void forget(const std::string& key, const std::string& name);

 private:
  struct Entry {
    std::string name;
    std::list<std::string>::iterator lru;  // in order_, most recent at the front
  };
  std::size_t capacity_;
  std::uint64_t next_ = 0;
  std::list<std::string> order_;
  std::unordered_map<std::string, Entry> map_;
};

}  // namespace gale::pg::detail
