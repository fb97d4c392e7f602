// A write load on the notes API: `writers` coroutines POST notes (each with a slug of its own,
// "<prefix>-<n>") back to back over keep-alive connections until stopped, and every answer is
// kept: status, id, whether an error came in the JSON envelope (with Retry-After on 503), and
// when the request started and ended. A request the program does not answer within 15 s counts
// as status 0: a hang.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fault/until.hpp"
#include "gale/loop/loop.hpp"
#include "gale/web/http_client.hpp"
#include "support/json_request.hpp"

namespace fault {

using gale::Clock;

struct Write {
  std::string slug;
  int status = 0;         // 0: no answer within the client's deadline
  std::string id;         // of a 201
  bool envelope = false;  // an error answer in the JSON envelope (and Retry-After on 503)
  Clock::time_point start, end;
  std::string detail;  // the body of an unexpected answer, or the client's error

  Clock::duration took() const { return end - start; }
};

class WriteLoad {
 public:
  WriteLoad(std::string base_url, std::string prefix)
      : base_(std::move(base_url)), prefix_(prefix) {}

  // Starts `writers` writers; they run until stop().
  void start(int writers) {
    for (int i = 0; i < writers; ++i) running_.push_back(writer());
  }
  gale::Future<void> stop() {
    stopped_ = true;
    co_await gale::gather(std::move(running_));
  }

  const std::vector<Write>& writes() const noexcept { return writes_; }
  std::size_t count(int status) const {
    return static_cast<std::size_t>(std::count_if(
        writes_.begin(), writes_.end(), [&](const Write& w) { return w.status == status; }));
  }
  // Writes that got `status` and started at or after `since`.
  std::size_t count_since(int status, Clock::time_point since) const {
    return static_cast<std::size_t>(
        std::count_if(writes_.begin(), writes_.end(),
                      [&](const Write& w) { return w.status == status && w.start >= since; }));
  }
  // When the first 201 after `t` arrived (time_point::max() if none did).
  Clock::time_point first_created_after(Clock::time_point t) const {
    auto first = Clock::time_point::max();
    for (const auto& w : writes_) {
      if (w.status == 201 && w.end > t) first = std::min(first, w.end);
    }
    return first;
  }

 private:
  gale::Future<void> writer() {
    while (!stopped_) {
      Write w;
      w.slug = prefix_ + "-" + std::to_string(next_++);
      auto request = gale::testing::json_request(
          "POST", nlohmann::json{{"slug", w.slug}, {"title", "write " + w.slug}});
      request.url = base_ + "/notes";
      request.connect_timeout = std::chrono::seconds(15);
      request.request_timeout = std::chrono::seconds(15);
      w.start = Clock::now();
      try {
        auto r = co_await gale::web::fetch(std::move(request));
        w.end = Clock::now();
        record(w, r);
      } catch (const std::exception& e) {
        w.end = Clock::now();
        w.detail = e.what();
      }
      writes_.push_back(std::move(w));
    }
  }

  static void record(Write& w, const gale::web::HTTPResponse& r) {
    w.status = r.code;
    if (r.code == 201) {
      auto note = nlohmann::json::parse(r.body, nullptr, false);
      if (note.is_object() && note.contains("id")) w.id = note["id"].get<std::string>();
      if (w.id.empty()) w.detail = r.body;
      return;
    }
    w.envelope = gale::testing::is_error_envelope(r) &&
                 (r.code != 503 || !r.headers.get("Retry-After", "").empty());
    w.detail = r.body;
  }

  std::string base_;
  std::string prefix_;
  bool stopped_ = false;
  long next_ = 0;
  std::vector<gale::Future<void>> running_;
  std::vector<Write> writes_;
};

}  // namespace fault
