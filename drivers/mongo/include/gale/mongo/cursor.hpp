// Cursor: the documents of a find or an aggregate, fetched batch by batch (getMore on demand).
//
//   auto c = notes.find({{"done", false}}, {.batch_size = 100});
//   while (auto doc = co_await c.next()) { ... }
//   auto docs = co_await c.to_list(100);
//
// The first batch is fetched by the first next(). A cursor dropped (or close()d) before the server
// exhausted it sends killCursors to the server that holds it, so nothing is left open there.
// Use a Cursor from one coroutine at a time.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "gale/loop/future.hpp"
#include "gale/mongo/document.hpp"

namespace gale::mongo {

namespace detail {
struct CursorState;
}

class Cursor {
 public:
  explicit Cursor(std::shared_ptr<detail::CursorState> state) noexcept;
  Cursor(Cursor&&) noexcept = default;
  Cursor& operator=(Cursor&& other) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  // The next document, or nullopt once the cursor is exhausted.
  Future<std::optional<nlohmann::json>> next();
  Future<std::optional<Document>> next_document();
  // Up to `length` documents (all that remain by default).
  Future<std::vector<nlohmann::json>> to_list(
      std::size_t length = std::numeric_limits<std::size_t>::max());

  // The server's cursor id (0 once exhausted or before the first batch).
  std::int64_t id() const noexcept;
  bool alive() const noexcept;
  // Kills the server cursor now (in the background) if it is still open.
  void close() noexcept;

 private:
  std::shared_ptr<detail::CursorState> state_;
};

}  // namespace gale::mongo
