// co_await gale::gather(a, b, c) -> std::tuple of the results (gale::Unit for Future<void>);
// co_await gale::gather(std::vector<Future<T>>) -> std::vector<T> (Future<void> for T = void).
// All run concurrently; the first failure fails the gather at once (as asyncio.gather does), the
// others go on. Later failures are not lost but not repeated either: one outage fails every part,
// so once the last part settles one debug line says how many more failed and what the first said.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gale/loop/future.hpp"
#include "gale/loop/log.hpp"

namespace gale {
namespace detail {

template <class Result, class Slots>
struct Gathering {
  Promise<Result> promise;
  Slots slots;
  std::size_t remaining;
  std::size_t late_failures = 0;
  std::string first_late_failure;

  void fail(std::exception_ptr error) {
    if (promise.done()) {
      if (late_failures++ == 0) first_late_failure = describe(error);
    } else {
      promise.set_exception(std::move(error));
    }
  }

  // Called as each part settles; true once the last one has.
  bool settled() {
    if (--remaining != 0) return false;
    if (late_failures > 0) {
      log::debug("gale.loop", "gather: {} more operation(s) failed after the first failure: {}",
                 late_failures, first_late_failure);
    }
    return true;
  }
};

template <class T, class Store, class G>
Future<void> gather_one(Future<T> future, std::shared_ptr<G> g, Store store) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(future);
      store(*g, Unit{});
    } else {
      store(*g, co_await std::move(future));
    }
  } catch (...) {
    g->fail(std::current_exception());
  }
  if (g->settled() && !g->promise.done()) g->finish();
}

template <class T>
struct VectorGathering : Gathering<std::vector<T>, std::vector<std::optional<T>>> {
  void finish() {
    std::vector<T> out;
    out.reserve(this->slots.size());
    for (auto& slot : this->slots) out.push_back(std::move(*slot));
    this->promise.set_value(std::move(out));
  }
};

struct VoidGathering : Gathering<void, Unit> {
  void finish() { promise.set_value(); }
};

template <class... T>
struct PackGathering
    : Gathering<std::tuple<Stored<T>...>, std::tuple<std::optional<Stored<T>>...>> {
  void finish() {
    std::apply([this](auto&... slot) { this->promise.set_value(std::move(*slot)...); },
               this->slots);
  }
};

}  // namespace detail

template <class T>
Future<std::vector<T>> gather(std::vector<Future<T>> futures) {
  auto g = std::make_shared<detail::VectorGathering<T>>();
  g->slots.resize(futures.size());
  g->remaining = futures.size();
  Future<std::vector<T>> out = g->promise.get_future();
  if (futures.empty()) g->finish();
  for (std::size_t i = 0; i < futures.size(); ++i) {
    (void)detail::gather_one(std::move(futures[i]), g,
                             [i](auto& gg, T&& v) { gg.slots[i].emplace(std::move(v)); });
  }
  return out;
}

inline Future<void> gather(std::vector<Future<void>> futures) {
  auto g = std::make_shared<detail::VoidGathering>();
  g->remaining = futures.size();
  Future<void> out = g->promise.get_future();
  if (futures.empty()) g->finish();
  for (auto& f : futures) {
    (void)detail::gather_one(std::move(f), g, [](auto&, Unit) {});
  }
  return out;
}

template <class... T>
Future<std::tuple<detail::Stored<T>...>> gather(Future<T>... futures) {
  auto g = std::make_shared<detail::PackGathering<T...>>();
  g->remaining = sizeof...(T);
  auto out = g->promise.get_future();
  if constexpr (sizeof...(T) == 0) g->finish();
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((void)detail::gather_one(
         std::move(futures), g,
         [](auto& gg, auto&& v) { std::get<I>(gg.slots).emplace(std::forward<decltype(v)>(v)); }),
     ...);
  }
  (std::index_sequence_for<T...>{});
  return out;
}

}  // namespace gale
