#include "gale/pg/statement_cache.hpp"

namespace gale::pg::detail {

const std::string* StatementCache::find(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.lru);
  return &it->second.name;
}

const std::string& StatementCache::add(const std::string& key,
                                       std::optional<std::string>& evicted) {
  if (map_.size() >= capacity_ && !order_.empty()) {
    auto victim = map_.find(order_.back());
    evicted = std::move(victim->second.name);
    map_.erase(victim);
    order_.pop_back();
  }
  order_.push_front(key);
  auto [it, inserted] = map_.emplace(key, Entry{"gale_" + std::to_string(++next_), order_.begin()});
  return it->second.name;
}

void StatementCache::forget(const std::string& key, const std::string& name) {
  auto it = map_.find(key);
  if (it == map_.end() || it->second.name != name) return;
  order_.erase(it->second.lru);
  map_.erase(it);
}

}  // namespace gale::pg::detail
