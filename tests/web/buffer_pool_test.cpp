#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "gale/web/detail/buffer_pool.hpp"

using gale::web::detail::BufferPool;

TEST_CASE("BufferPool reuses the storage it is given back", "[buffers]") {
  BufferPool pool;
  std::string a = pool.take(256);
  REQUIRE(a.capacity() >= 256);
  a.assign(200, 'x');
  const char* storage = a.data();
  pool.give_back(a);
  CHECK(a.empty());
  CHECK(pool.size() == 1);
  std::string b = pool.take(100);
  CHECK(b.empty());  // nothing of what the last user wrote
  CHECK(b.data() == storage);
  CHECK(pool.size() == 0);
}

TEST_CASE("BufferPool is bounded in count and in size", "[buffers]") {
  BufferPool pool;
  std::vector<std::string> many;
  for (std::size_t i = 0; i < BufferPool::kPooledBuffers + 10; ++i) many.push_back(pool.take(512));
  for (auto& s : many) pool.give_back(s);
  CHECK(pool.size() == BufferPool::kPooledBuffers);

  BufferPool other;
  std::string large(BufferPool::kPooledCapacity * 4, 'y');
  other.give_back(large);
  CHECK(other.size() == 0);  // freed, not kept
  CHECK(large.empty());
  CHECK(large.capacity() <= std::string().capacity());
  std::string small = "tiny";  // inline: nothing to keep
  other.give_back(small);
  CHECK(other.size() == 0);
  CHECK(small.empty());
}
