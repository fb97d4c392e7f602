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

TEST_CASE("BufferPool keeps the long texts and the vector of response header fields", "[buffers]") {
  // kInlineText is a std::string's own inline room (not a constant expression under clang).
  CHECK(std::string().capacity() == BufferPool::kInlineText);
  BufferPool pool;
  CHECK(pool.text("Vary") == "Vary");  // inline: nothing pooled
  std::vector<gale::web::HTTPHeaders::Field> fields = pool.take_fields();
  CHECK(fields.empty());
  CHECK(fields.capacity() >= 4);
  const auto* room = fields.data();
  fields.emplace_back(pool.text("Access-Control-Allow-Origin"), pool.text("http://app.example"));
  fields.emplace_back(pool.text("Vary"), pool.text("Origin"));
  const char* name = fields[0].first.data();
  pool.give_back(fields);
  CHECK(fields.empty());
  CHECK(pool.texts() == 2);  // the two long ones; the short ones had no storage to keep
  std::vector<gale::web::HTTPHeaders::Field> again = pool.take_fields();
  CHECK(again.data() == room);
  CHECK(again.empty());
  std::string value = pool.text("http://other.example");
  CHECK(value == "http://other.example");
  CHECK((value.data() == name || pool.texts() == 1));
  std::string longer(BufferPool::kTextCapacity + 1, 'z');
  CHECK(pool.text(longer) == longer);  // too long for a pooled one: its own
  again.emplace_back(std::string(longer), std::move(value));
  pool.give_back(again);
  CHECK(pool.texts() == 2);  // the long one is freed, not kept
}
